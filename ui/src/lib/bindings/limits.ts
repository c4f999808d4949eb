// Generated from sr_contract::limits by crates/engine/tests/bindings.rs. Do not edit.

/** Characters a verdict's note may hold. */
export const NOTE_MAX_CHARS = 2000;

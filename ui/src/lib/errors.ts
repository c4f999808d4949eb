// The UI's words for each error code, in one place: what the person can do about it,
// after the engine's own sentence. A code added on the Rust side fails the type check
// here until it is worded.
import type { ErrorCode } from "./bindings/ErrorCode";
import { asBackendError } from "./backend";

const nextStep: Record<ErrorCode, string | null> = {
  invalid: null,
  not_found: null,
  not_decidable: null,
  not_permitted: null,
  past_limit: null,
  unsynced: null,
  decode: null,
  io: null,
  disk_full: "Free some disk space, then try again.",
  key_lost: null,
  keyring: "Unlock the desktop's keyring (sign in to the desktop again), then try again.",
  catalogue: null,
  newer_schema: "Use the newer SecondRead that wrote this data.",
  audit_broken: "Tell your IT admin: the audit trail must be checked.",
  source: null,
  runtime_unavailable: "Tell your IT admin: the AI runtime is missing on this workstation.",
  model_refused: "Tell your IT admin: a model file does not match its manifest.",
  model: null,
  icd: null,
  no_browser: null,
  sign_in_again: "Your decisions are kept; sign in again to send them.",
  signed_out: "Sign in first.",
  unreachable: "Your decisions are kept and sent when it is back.",
  server_error: "Your decisions are kept and sent when it is back.",
  refused: null,
  protocol: "Tell your IT admin: the platform answered in a way SecondRead does not understand.",
  config: "Tell your IT admin: the platform settings need a look.",
  timed_out: null,
  auth: null,
  internal: "SecondRead logged it; if something stops responding, close and reopen the app.",
};

/** The sentence a screen shows for any failure of a backend call. */
export function errorText(e: unknown): string {
  const error = asBackendError(e);
  const next = nextStep[error.code];
  return next ? `${error.message.replace(/\.?$/, ".")} ${next}` : error.message;
}

/** Why the last sync stopped, as the status bar words it, or null when it is not a
 * reason to warn (a refusal of single decisions is shown with those decisions). */
export function syncTrouble(code: ErrorCode | null | undefined): { text: string; ended: boolean } | null {
  switch (code) {
    case "sign_in_again":
      return { text: "Session ended: sign in again to sync. Your decisions are kept.", ended: true };
    case "unreachable":
      return { text: "Offline: the platform cannot be reached. Decisions are kept and sent when it is back.", ended: false };
    case "server_error":
      return { text: "The platform is having trouble. Decisions are kept and sent when it is back.", ended: false };
    default:
      return null;
  }
}

//! The one vocabulary of failure codes on the workstation: the engine's errors, a sync's
//! stop and the shell's own failures all name theirs from here, so the UI branches on a
//! closed set (generated into its bindings) and words each code in one place.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // What the caller asked for is wrong: fix the request, not the workstation.
    /// Bad input: a form field, an argument, a file of an unsupported type.
    Invalid,
    /// No such item, frame, model or code.
    NotFound,
    /// The item is not one this role decides, or not in a state to be decided.
    NotDecidable,
    /// The signed-in person may not do this (a role or a tenant they lack).
    NotPermitted,
    /// A decision past the contract's limits: the platform would refuse it.
    PastLimit,
    /// Decisions wait to be synced, so this would lose them.
    Unsynced,

    // The item itself is damaged.
    /// A file that cannot be decoded.
    Decode,

    // The workstation's surroundings: a disk, a keyring, a server, a model.
    Io,
    DiskFull,
    /// The data dir's key is lost or does not open it.
    KeyLost,
    /// The OS keyring cannot be reached.
    Keyring,
    /// The catalogue refused or failed a query.
    Catalogue,
    /// The catalogue was written by a newer SecondRead.
    NewerSchema,
    /// The audit trail's hash chain is broken.
    AuditBroken,
    /// An object store that cannot be listed or read.
    Source,
    /// ONNX Runtime cannot be loaded.
    RuntimeUnavailable,
    /// A model whose checksum or manifest does not match.
    ModelRefused,
    /// A model that failed to run.
    Model,
    /// The ICD-10-CM table is missing or unreadable.
    Icd,
    /// The system browser cannot be opened for signing in.
    NoBrowser,

    // The platform and its realm.
    /// The realm's session ended: sign in again.
    SignInAgain,
    SignedOut,
    /// The platform or its realm cannot be reached.
    Unreachable,
    /// The platform answered 5xx (or too many requests) past every retry.
    ServerError,
    /// The platform refused a request (4xx).
    Refused,
    /// The platform answered something the contract does not describe.
    Protocol,
    /// The platform's settings are incomplete or wrong.
    Config,
    TimedOut,
    /// Any other sign-in failure.
    Auth,

    /// SecondRead's own fault (a worker that stopped, a thread that would not start):
    /// logged, and never the person's to fix.
    Internal,
}

// The stored and printed spelling is serde's, so there is one spelling to keep.
serde_plain::derive_display_from_serialize!(ErrorCode);
serde_plain::derive_fromstr_from_deserialize!(ErrorCode);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_spelling_is_the_wire_spelling_and_reads_back() {
        for code in [ErrorCode::SignInAgain, ErrorCode::Internal, ErrorCode::Io] {
            let printed = code.to_string();
            assert_eq!(serde_json::to_value(code).unwrap(), printed.as_str());
            assert_eq!(printed.parse::<ErrorCode>().unwrap(), code);
        }
        assert_eq!(ErrorCode::SignInAgain.to_string(), "sign_in_again");
        assert!("no_such_code".parse::<ErrorCode>().is_err());
    }
}

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

impl ErrorCode {
    /// The code as it is stored and printed: `"sign_in_again"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Invalid => "invalid",
            ErrorCode::NotFound => "not_found",
            ErrorCode::NotDecidable => "not_decidable",
            ErrorCode::NotPermitted => "not_permitted",
            ErrorCode::PastLimit => "past_limit",
            ErrorCode::Unsynced => "unsynced",
            ErrorCode::Decode => "decode",
            ErrorCode::Io => "io",
            ErrorCode::DiskFull => "disk_full",
            ErrorCode::KeyLost => "key_lost",
            ErrorCode::Keyring => "keyring",
            ErrorCode::Catalogue => "catalogue",
            ErrorCode::NewerSchema => "newer_schema",
            ErrorCode::AuditBroken => "audit_broken",
            ErrorCode::Source => "source",
            ErrorCode::RuntimeUnavailable => "runtime_unavailable",
            ErrorCode::ModelRefused => "model_refused",
            ErrorCode::Model => "model",
            ErrorCode::Icd => "icd",
            ErrorCode::NoBrowser => "no_browser",
            ErrorCode::SignInAgain => "sign_in_again",
            ErrorCode::SignedOut => "signed_out",
            ErrorCode::Unreachable => "unreachable",
            ErrorCode::ServerError => "server_error",
            ErrorCode::Refused => "refused",
            ErrorCode::Protocol => "protocol",
            ErrorCode::Config => "config",
            ErrorCode::TimedOut => "timed_out",
            ErrorCode::Auth => "auth",
            ErrorCode::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored and printed spelling is the one serde writes for the UI.
    #[test]
    fn as_str_is_the_wire_spelling() {
        let all = [
            ErrorCode::Invalid,
            ErrorCode::NotFound,
            ErrorCode::NotDecidable,
            ErrorCode::NotPermitted,
            ErrorCode::PastLimit,
            ErrorCode::Unsynced,
            ErrorCode::Decode,
            ErrorCode::Io,
            ErrorCode::DiskFull,
            ErrorCode::KeyLost,
            ErrorCode::Keyring,
            ErrorCode::Catalogue,
            ErrorCode::NewerSchema,
            ErrorCode::AuditBroken,
            ErrorCode::Source,
            ErrorCode::RuntimeUnavailable,
            ErrorCode::ModelRefused,
            ErrorCode::Model,
            ErrorCode::Icd,
            ErrorCode::NoBrowser,
            ErrorCode::SignInAgain,
            ErrorCode::SignedOut,
            ErrorCode::Unreachable,
            ErrorCode::ServerError,
            ErrorCode::Refused,
            ErrorCode::Protocol,
            ErrorCode::Config,
            ErrorCode::TimedOut,
            ErrorCode::Auth,
            ErrorCode::Internal,
        ];
        for code in all {
            let wire = serde_json::to_value(code).unwrap();
            assert_eq!(wire, code.as_str(), "{code:?}");
            assert_eq!(serde_json::from_value::<ErrorCode>(wire).unwrap(), code);
        }
    }
}

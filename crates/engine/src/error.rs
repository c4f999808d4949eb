//! The engine's error, with a machine-readable code so front ends branch on the kind of
//! failure, never on its wording.

use serde::Serialize;
use sr_contract::ErrorCode;
use ts_rs::TS;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Catalog(#[from] sr_catalog::CatalogError),
    #[error(transparent)]
    Decode(#[from] sr_decode::DecodeError),
    #[error(transparent)]
    Pull(#[from] sr_pull::PullError),
    #[error(transparent)]
    Model(#[from] sr_models::ModelError),
    #[error(transparent)]
    Auth(#[from] sr_auth::AuthError),
    #[error(transparent)]
    Sync(#[from] sr_sync::SyncError),
    #[error(transparent)]
    Ocr(#[from] sr_ocr::DocumentError),
    #[error(transparent)]
    Icd(#[from] sr_icd::IcdError),
    #[error(transparent)]
    Coding(#[from] sr_coding::CodingError),
    #[error(transparent)]
    Key(#[from] crate::KeyError),
    /// A decision past the contract's limits: the platform would refuse it.
    #[error(transparent)]
    Limit(#[from] sr_contract::limits::LimitError),
    #[error(
        "{0} decisions are not synced yet: sync them first (secondread sync), or say that \
         they may be lost (--discard-unsynced)"
    )]
    Unsynced(u32),
    /// A sync that could not finish; the outbox keeps everything for the next try.
    #[error("sync stopped ({}): {}", .0.code, .0.message)]
    SyncStopped(sr_sync::SyncStop),
    #[error("the audit trail was tampered with: {0} records edited or deleted")]
    AuditBroken(usize),
    /// The signed-in reviewer may not do this (a role they do not hold).
    #[error("{0}")]
    NotPermitted(String),
    /// The caller's request is wrong: a field, an argument, a file type.
    #[error("{0}")]
    Invalid(String),
    /// The item could not be read when it was imported; the sentence says why.
    #[error("{0}")]
    Damaged(String),
    #[error(
        "no ICD-10-CM table is installed ({} in a model folder)",
        crate::models::ICD_TABLE
    )]
    NoIcdTable,
    /// The disk or a file refused: the sentence names what was being done.
    #[error("cannot {doing}: {source}")]
    Io {
        doing: String,
        source: std::io::Error,
    },
    /// SecondRead's own fault, never the person's: a thread or runtime that would not
    /// start, a stored row the code cannot account for.
    #[error("{0}")]
    Internal(String),
}

/// What a front end shows: a stable code and a sentence for a person.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ErrorReport {
    pub code: ErrorCode,
    pub message: String,
}

impl ErrorReport {
    /// A failure of the shell's own, outside the engine.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl EngineError {
    pub fn io(doing: impl Into<String>, source: std::io::Error) -> Self {
        EngineError::Io {
            doing: doing.into(),
            source,
        }
    }

    pub fn code(&self) -> ErrorCode {
        use ErrorCode as E;
        use sr_catalog::CatalogError as C;
        match self {
            EngineError::Catalog(C::NoSuchItem(_)) => E::NotFound,
            EngineError::Catalog(C::NotDecidable { .. } | C::WrongKind { .. }) => E::NotDecidable,
            EngineError::Catalog(C::NewerSchema { .. }) => E::NewerSchema,
            EngineError::Catalog(C::Io { .. }) => E::Io,
            EngineError::Catalog(C::WrongKey(_)) => E::KeyLost,
            EngineError::Key(crate::KeyError::Keyring(_)) => E::Keyring,
            EngineError::Key(crate::KeyError::Io { .. }) => E::Io,
            EngineError::Key(_) => E::KeyLost,
            EngineError::Catalog(_) => E::Catalogue,
            EngineError::Decode(sr_decode::DecodeError::NoSuchFrame { .. }) => E::NotFound,
            EngineError::Decode(_) | EngineError::Damaged(_) => E::Decode,
            EngineError::Pull(sr_pull::PullError::Catalog(_)) => E::Catalogue,
            EngineError::Pull(sr_pull::PullError::DiskFull { .. }) => E::DiskFull,
            EngineError::Pull(_) => E::Source,
            EngineError::Model(sr_models::ModelError::Unknown(_)) => E::NotFound,
            EngineError::Model(sr_models::ModelError::RuntimeUnavailable(_)) => {
                E::RuntimeUnavailable
            }
            EngineError::Model(
                sr_models::ModelError::Checksum { .. } | sr_models::ModelError::Mismatch { .. },
            ) => E::ModelRefused,
            EngineError::Model(_) => E::Model,
            EngineError::Auth(sr_auth::AuthError::SignInAgain(_)) => E::SignInAgain,
            EngineError::Auth(sr_auth::AuthError::SignedOut) => E::SignedOut,
            EngineError::Auth(sr_auth::AuthError::Unreachable(_)) => E::Unreachable,
            EngineError::Auth(sr_auth::AuthError::Config(_)) => E::Config,
            EngineError::Auth(sr_auth::AuthError::TimedOut(_)) => E::TimedOut,
            EngineError::Auth(_) => E::Auth,
            EngineError::Sync(_) => E::Catalogue,
            EngineError::SyncStopped(stop) => stop.code,
            EngineError::Ocr(sr_ocr::DocumentError::Decode(_)) => E::Decode,
            EngineError::Ocr(sr_ocr::DocumentError::Ocr(sr_ocr::OcrError::MissingModel(_))) => {
                E::NotFound
            }
            EngineError::Ocr(_) => E::Model,
            EngineError::Icd(_)
            | EngineError::Coding(sr_coding::CodingError::Icd(_))
            | EngineError::NoIcdTable => E::Icd,
            EngineError::Coding(sr_coding::CodingError::Meaning(_)) => E::Model,
            EngineError::NotPermitted(_) => E::NotPermitted,
            EngineError::Limit(_) => E::PastLimit,
            EngineError::Unsynced(_) => E::Unsynced,
            EngineError::AuditBroken(_) => E::AuditBroken,
            EngineError::Invalid(_) => E::Invalid,
            EngineError::Io { source, .. } if source.kind() == std::io::ErrorKind::StorageFull => {
                E::DiskFull
            }
            EngineError::Io { .. } => E::Io,
            EngineError::Internal(_) => E::Internal,
        }
    }

    pub fn report(&self) -> ErrorReport {
        ErrorReport::new(self.code(), self.to_string())
    }
}

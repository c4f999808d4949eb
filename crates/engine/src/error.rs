//! The engine's error, with a machine-readable code so front ends branch on the kind of
//! failure, never on its wording.

use serde::Serialize;
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
    #[error("the audit trail was tampered with: {0} records edited or deleted")]
    AuditBroken(usize),
    /// The signed-in reviewer may not do this (a role they do not hold).
    #[error("{0}")]
    NotPermitted(String),
    #[error("{0}")]
    Invalid(String),
}

/// What a front end shows: a stable code and a sentence for a person.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ErrorReport {
    pub code: String,
    pub message: String,
}

impl EngineError {
    pub fn code(&self) -> &'static str {
        use sr_catalog::CatalogError as C;
        match self {
            EngineError::Catalog(C::NoSuchItem(_)) => "not_found",
            EngineError::Catalog(C::NotDecidable { .. } | C::WrongKind { .. }) => "not_decidable",
            EngineError::Catalog(C::NewerSchema { .. }) => "newer_schema",
            EngineError::Catalog(C::Io { .. }) => "io",
            EngineError::Catalog(C::WrongKey(_)) => "key_lost",
            EngineError::Key(crate::KeyError::Keyring(_)) => "keyring",
            EngineError::Key(crate::KeyError::Io { .. }) => "io",
            EngineError::Key(_) => "key_lost",
            EngineError::Catalog(_) => "catalogue",
            EngineError::Decode(sr_decode::DecodeError::NoSuchFrame { .. }) => "not_found",
            EngineError::Decode(_) => "decode",
            EngineError::Pull(sr_pull::PullError::Catalog(_)) => "catalogue",
            EngineError::Pull(sr_pull::PullError::DiskFull { .. }) => "disk_full",
            EngineError::Pull(_) => "source",
            EngineError::Model(sr_models::ModelError::Unknown(_)) => "not_found",
            EngineError::Model(sr_models::ModelError::RuntimeUnavailable(_)) => {
                "runtime_unavailable"
            }
            EngineError::Model(
                sr_models::ModelError::Checksum { .. } | sr_models::ModelError::Mismatch { .. },
            ) => "model_refused",
            EngineError::Model(_) => "model",
            EngineError::Auth(sr_auth::AuthError::SignInAgain(_)) => "sign_in_again",
            EngineError::Auth(sr_auth::AuthError::SignedOut) => "signed_out",
            EngineError::Auth(sr_auth::AuthError::Unreachable(_)) => "unreachable",
            EngineError::Auth(sr_auth::AuthError::Config(_)) => "config",
            EngineError::Auth(sr_auth::AuthError::TimedOut(_)) => "timed_out",
            EngineError::Auth(_) => "auth",
            EngineError::Sync(_) => "catalogue",
            EngineError::Ocr(sr_ocr::DocumentError::Decode(_)) => "decode",
            EngineError::Ocr(sr_ocr::DocumentError::Ocr(sr_ocr::OcrError::MissingModel(_))) => {
                "not_found"
            }
            EngineError::Ocr(_) => "model",
            EngineError::Icd(_) | EngineError::Coding(sr_coding::CodingError::Icd(_)) => "icd",
            EngineError::Coding(sr_coding::CodingError::Meaning(_)) => "model",
            EngineError::NotPermitted(_) => "not_permitted",
            EngineError::Limit(_) => "past_limit",
            EngineError::Unsynced(_) => "unsynced",
            EngineError::AuditBroken(_) => "audit_broken",
            EngineError::Invalid(_) => "invalid",
        }
    }

    pub fn report(&self) -> ErrorReport {
        ErrorReport {
            code: self.code().to_string(),
            message: self.to_string(),
        }
    }
}

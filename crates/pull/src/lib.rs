//! Pulling batches from an object store (S3, MinIO, a folder) into the catalogue:
//! list → diff against the blob cache → fetch with bounded concurrency → verify the
//! sha256 → store atomically → record. Everything from the store is untrusted: keys,
//! manifests and bytes are checked per item, and one bad item never stops the rest.

mod fetch;
mod listing;
mod models;
mod plan;
mod progress;
mod pull;
mod secrets;
mod sources;
mod store;

pub use models::{MODELS_PREFIX, ModelOutcome, ModelPull};
pub use progress::{ProgressSnapshot, PullPhase, PullProgress};
pub use pull::{DeferredBatch, PullOptions, PullReport, pull};
pub use secrets::{delete_source_secret, source_secret, store_source_secret};
pub use sources::{CacheConfig, SourcesFile, find_source};
pub use store::{Remote, SourceConfig, SourceLocation, open_store};

/// A pull that could not go on at all (as opposed to one bad item, which is recorded).
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("source '{source_name}': {message}")]
    Source {
        source_name: String,
        message: String,
    },
    #[error("source '{source_name}': pull stopped: {message}; everything stored so far is kept")]
    DiskFull {
        source_name: String,
        message: String,
    },
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Catalog(#[from] sr_catalog::CatalogError),
}

impl PullError {
    pub(crate) fn source(name: &str, error: impl std::fmt::Display) -> Self {
        PullError::Source {
            source_name: name.to_string(),
            message: error.to_string(),
        }
    }
}

/// An error with every cause under it, so that "error sending request" comes with the
/// reason a person can act on (an unknown certificate issuer, a refused connection).
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let text = inner.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = inner.source();
    }
    message
}

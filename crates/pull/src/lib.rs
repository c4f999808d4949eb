//! Pulling batches from an object store (S3, MinIO, a folder) into the catalogue:
//! list → diff against the blob cache → fetch with bounded concurrency → verify the
//! sha256 → store atomically → record. Everything from the store is untrusted: keys,
//! manifests and bytes are checked per item, and one bad item never stops the rest.

mod pull;
mod secrets;
mod sources;
mod store;

pub use pull::{PullFilter, PullReport, pull};
pub use secrets::{source_secret, store_source_secret};
pub use sources::find_source;
pub use store::{SourceConfig, SourceLocation, open_store};

/// A pull that could not go on at all (as opposed to one bad item, which is recorded).
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("source '{source_name}': {message}")]
    Source {
        source_name: String,
        message: String,
    },
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

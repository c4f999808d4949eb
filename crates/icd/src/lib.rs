//! ICD-10-CM, the code set billing coders assign diagnoses from, as the CDC publishes
//! it (the tabular list), built once into SQLite with full-text search so a coder can
//! find any code by its number or its words, offline.

mod excludes;
mod table;
mod tabular;

pub use excludes::CodeRange;
pub use table::{BuildSummary, CodeHit, CodeInfo, IcdTable, Term, build, normalise_code};
pub use tabular::{Entry, parse};

#[derive(Debug, thiserror::Error)]
pub enum IcdError {
    #[error("cannot read the ICD-10-CM tabular list: {0}")]
    Tabular(String),
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the ICD-10-CM table {path} cannot be used: {reason}")]
    Table { path: String, reason: String },
    #[error("ICD-10-CM table: {0}")]
    Sql(#[from] rusqlite::Error),
}

//! The local catalogue: what was pulled or imported, its state in each worklist, and
//! every decision as an append-only verdict event with its outbox entry.
//!
//! One SQLite database per data dir (WAL, synchronous FULL: a decision that returned
//! is on disk, whatever happens to the process next).

mod audit;
mod batches;
mod blobs;
mod cipher_setup;
mod import;
mod jobs;
mod keys;
mod manifest;
mod migrations;
pub mod model;
mod outbox;
mod protection;
mod remote;
mod results;
mod retention;
mod scope;
mod sealed;
mod sealing;
mod verdicts;

mod worklist;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

pub use audit::{AuditAction, AuditCheck, AuditEvent, AuditFilter, AuditProblem, AuditRecord};
pub use batches::{BatchEntry, BatchHeader, ImportReport, ItemFailure};
pub use blobs::{BlobError, BlobReader, BlobStore, BlobWriter, StoredBlob};
pub use import::ImportOptions;
pub use jobs::{Job, JobKind, QueueCounts};
pub use keys::check_key;
pub use manifest::{
    CheckedManifest, FILE_NAME as BATCH_MANIFEST, ManifestItem, parse as parse_manifest,
};
pub use model::*;
pub use outbox::{OutboxCounts, Settled, Unsynced};
pub use protection::{Protection, StoreKey};
pub use remote::RemoteObject;
pub use results::{JobResult, ModelStamp, StoredAssessment};
pub use retention::{Expired, Purge, retention_cutoff};
pub use scope::TenantScope;
pub use sealing::{Sealing, SealingProgress, is_plaintext_sqlite as is_plaintext};
pub use sr_contract::{
    BatchKind, CodingDecision, Decision, DiagnosisDecision, ItemRef, ModelRef, QualityDecision,
    Reviewer, Role, Verdict, VerdictKind,
};
pub use verdicts::NewVerdict;
pub use worklist::{
    BatchSummary, MATCH_END, MATCH_START, StateCounts, Worklist, WorklistQuery, WorklistRow,
    WorklistSort,
};

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalogue database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "the catalogue was written by a newer SecondRead (schema {found}, this one knows {known})"
    )]
    NewerSchema { found: usize, known: usize },
    #[error(
        "the catalogue in {0} cannot be opened with this workstation's key (it is not a \
         catalogue, or it was encrypted with a key this workstation no longer has)"
    )]
    WrongKey(PathBuf),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no item with id {0}")]
    NoSuchItem(i64),
    #[error("item {id} cannot be decided: {reason}")]
    NotDecidable { id: i64, reason: String },
    #[error("a {role} decides {expected} verdicts, not {got}")]
    WrongKind {
        role: &'static str,
        expected: &'static str,
        got: &'static str,
    },
    #[error("stored verdict {uuid} is unreadable: {source}")]
    CorruptVerdict {
        uuid: String,
        source: serde_json::Error,
    },
}

impl CatalogError {
    /// Whether the disk under the catalogue is full.
    pub fn is_disk_full(&self) -> bool {
        match self {
            CatalogError::Sqlite(e) => e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull),
            CatalogError::Io { source, .. } => source.kind() == std::io::ErrorKind::StorageFull,
            _ => false,
        }
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        CatalogError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// Everything the workstation knows about an item.
#[derive(Debug, Clone)]
pub struct ItemRecord {
    pub id: i64,
    pub tenant: String,
    pub batch: String,
    pub batch_kind: BatchKind,
    pub key: String,
    pub format: Option<Format>,
    pub sha256: Option<String>,
    pub size: Option<u64>,
    pub subject: Option<String>,
    pub frames: Option<u32>,
    pub meta: Option<serde_json::Value>,
    pub error: Option<String>,
    /// The AI pre-assessment the batch arrived with, if any.
    pub ai: Option<serde_json::Value>,
    /// When retention purged its file, text and results (RFC 3339, UTC).
    pub purged_at: Option<String>,
}

/// What opening an item found: its frame count and metadata, or why it cannot be shown.
pub type ProbeOutcome = Result<(u32, serde_json::Value), String>;

/// An item whose file is stored but not yet opened by a decoder.
#[derive(Debug, Clone)]
pub struct PendingProbe {
    pub id: i64,
    pub sha256: String,
    pub format: Format,
}

pub struct Catalog {
    conn: Connection,
    blobs: BlobStore,
}

impl Catalog {
    /// Opens (creating if need be) the catalogue in `data_dir`, kept as `protection`
    /// says. A data dir an earlier version left in plaintext is encrypted first, in
    /// place; one whose encryption was interrupted is finished.
    pub fn open(data_dir: &Path, protection: &Protection) -> Result<Self, CatalogError> {
        Self::open_reporting(data_dir, protection, &SealingProgress::default())
    }

    /// [`Catalog::open`], telling `progress` how far an encryption in place has come.
    pub fn open_reporting(
        data_dir: &Path,
        protection: &Protection,
        progress: &SealingProgress,
    ) -> Result<Self, CatalogError> {
        let opened = Self::open_sealing(data_dir, protection, progress);
        progress.end();
        opened
    }

    fn open_sealing(
        data_dir: &Path,
        protection: &Protection,
        progress: &SealingProgress,
    ) -> Result<Self, CatalogError> {
        std::fs::create_dir_all(data_dir).map_err(|e| CatalogError::io(data_dir, e))?;
        cipher_setup::ensure_ready()?;
        let path = data_dir.join(CATALOGUE_FILE);
        let blobs_dir = data_dir.join("blobs");
        let key = match protection {
            Protection::Encrypted(key) => Some(key),
            Protection::Plaintext => None,
        };
        if let Some(key) = key
            && sealing::is_plaintext_sqlite(&path).map_err(|e| CatalogError::io(&path, e))?
        {
            sealing::seal_catalogue(&path, &blobs_dir, key, progress)?;
        }
        let blobs = BlobStore::new(&blobs_dir, key.map(StoreKey::blob_key))
            .map_err(|e| CatalogError::io(&blobs_dir, e))?;
        let mut conn = Connection::open(&path)?;
        if let Some(key) = key {
            // SQLCipher would otherwise print its own failures on stderr.
            conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
            conn.execute_batch(&format!(
                "PRAGMA key = {};",
                key.catalogue_pragma().as_str()
            ))?;
        }
        if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(())) {
            return Err(match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::NotADatabase) => CatalogError::WrongKey(path),
                _ => e.into(),
            });
        }
        if key.is_some() {
            sealing::seal_blobs(&blobs, progress)?;
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // SQLCipher decrypts a page on every read that misses this cache (SQLite's default
        // is 2 MiB): 8 MiB holds the worklist's indexes for a 100,000-item catalogue.
        conn.pragma_update(None, "cache_size", -8192)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrations::apply(&mut conn)?;
        Ok(Self { conn, blobs })
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    pub fn item(&self, id: i64) -> Result<ItemRecord, CatalogError> {
        self.conn
            .query_row(
                "SELECT i.id, b.tenant, b.batch_key, b.kind, i.key, i.format, i.blob_sha256,
                        i.size, i.subject, i.frames, i.meta, i.error,
                        (SELECT result FROM assessments a WHERE a.item_id = i.id AND a.kind = 'batch'
                         ORDER BY a.id DESC LIMIT 1),
                        i.purged_at
                 FROM items i JOIN batches b ON b.id = i.batch_id WHERE i.id = ?1",
                [id],
                |r| {
                    let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
                    Ok(ItemRecord {
                        id: r.get(0)?,
                        tenant: r.get(1)?,
                        batch: r.get(2)?,
                        batch_kind: BatchKind::parse(&r.get::<_, String>(3)?)
                            .unwrap_or(BatchKind::Imaging),
                        key: r.get(4)?,
                        format: r
                            .get::<_, Option<String>>(5)?
                            .and_then(|f| Format::parse(&f)),
                        sha256: r.get(6)?,
                        size: r.get::<_, Option<i64>>(7)?.map(|s| s as u64),
                        subject: r.get(8)?,
                        frames: r.get(9)?,
                        meta: json(r.get(10)?),
                        error: r.get(11)?,
                        ai: json(r.get(12)?),
                        purged_at: r.get(13)?,
                    })
                },
            )
            .optional()?
            .ok_or(CatalogError::NoSuchItem(id))
    }

    /// Items whose blob is stored but that no decoder has looked at yet.
    pub fn pending_probes(&self) -> Result<Vec<PendingProbe>, CatalogError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, blob_sha256, format FROM items
             WHERE probed = 0 AND error IS NULL AND blob_sha256 IS NOT NULL ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, sha256, format) = row?;
            if let Some(format) = Format::parse(&format) {
                out.push(PendingProbe { id, sha256, format });
            }
        }
        Ok(out)
    }

    /// Records what the decoder found for each item (frame count and metadata, or why
    /// it failed), in one transaction: one disk sync for the lot, not one per item.
    pub fn record_probes(&mut self, outcomes: &[(i64, ProbeOutcome)]) -> Result<(), CatalogError> {
        let tx = self.conn.transaction()?;
        for (id, outcome) in outcomes {
            match outcome {
                Ok((frames, meta)) => tx.execute(
                    "UPDATE items SET probed = 1, frames = ?2, meta = ?3, error = NULL WHERE id = ?1",
                    params![id, frames, meta.to_string()],
                )?,
                Err(reason) => tx.execute(
                    "UPDATE items SET probed = 1, error = ?2 WHERE id = ?1",
                    params![id, reason],
                )?,
            };
        }
        tx.commit()?;
        Ok(())
    }

    /// Notes that a reviewer opened the item, so it shows as in review.
    pub fn mark_opened(&self, id: i64, kind: VerdictKind) -> Result<(), CatalogError> {
        self.conn.execute(
            "INSERT INTO item_reviews (item_id, kind, opened_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (item_id, kind) DO UPDATE SET opened_at = coalesce(opened_at, ?3)",
            params![id, kind.as_str(), now_rfc3339()],
        )?;
        Ok(())
    }
}

/// The catalogue's file in a data dir.
pub const CATALOGUE_FILE: &str = "catalogue.sqlite3";

/// Now, as the catalogue writes times (RFC 3339, UTC).
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

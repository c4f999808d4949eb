//! Cataloguing a local folder laid out like the bucket: `<tenant>/<batch>/<item>`.
//!
//! One bad item (wrong checksum, unsafe key, missing or empty file) is recorded with its
//! reason and the rest of the batch imports.

use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use ts_rs::TS;

use crate::blobs::BlobError;
use crate::manifest::{self, ManifestItem};
use crate::model::{BatchKind, Format};
use crate::{Catalog, CatalogError, check_key, now_rfc3339};

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Kind of a batch that carries no `batch.json`.
    pub default_kind: BatchKind,
    /// Recorded against each batch, to say where it came from.
    pub source: String,
}

#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct ImportReport {
    pub batches: u32,
    pub added: u32,
    pub changed: u32,
    pub unchanged: u32,
    pub failed: Vec<ItemFailure>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ItemFailure {
    pub tenant: String,
    pub batch: String,
    pub key: String,
    pub reason: String,
}

/// One item as found in a batch folder, before it is stored.
struct Entry {
    key: String,
    sha256: Option<String>,
    size: Option<u64>,
    subject: Option<String>,
    ai: Option<serde_json::Value>,
    /// Set when the batch itself is unusable, so that each of its items says why.
    batch_error: Option<String>,
}

enum Outcome {
    Added,
    Changed,
    Unchanged,
}

impl Catalog {
    /// Catalogues every batch under `dir`. Re-importing is cheap and idempotent.
    pub fn import_dir(
        &mut self,
        dir: &Path,
        options: &ImportOptions,
    ) -> Result<ImportReport, CatalogError> {
        let mut report = ImportReport::default();
        for tenant_dir in sorted_subdirs(dir)? {
            let tenant = file_name(&tenant_dir);
            for batch_dir in sorted_subdirs(&tenant_dir)? {
                let batch = file_name(&batch_dir);
                self.import_batch(&tenant, &batch, &batch_dir, options, &mut report)?;
                report.batches += 1;
            }
        }
        Ok(report)
    }

    fn import_batch(
        &mut self,
        tenant: &str,
        batch: &str,
        dir: &Path,
        options: &ImportOptions,
        report: &mut ImportReport,
    ) -> Result<(), CatalogError> {
        let BatchContents {
            kind,
            created_at,
            error: batch_error,
            entries,
        } = read_batch(tenant, batch, dir)?;
        let kind = kind.unwrap_or(options.default_kind);
        let tx = self.conn.transaction()?;
        tx.execute("INSERT OR IGNORE INTO tenants (id) VALUES (?1)", [tenant])?;
        tx.execute(
            "INSERT INTO batches (tenant, batch_key, kind, created_at, source, imported_at, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (tenant, batch_key) DO UPDATE SET kind = ?3, created_at = ?4,
                 source = ?5, imported_at = ?6, error = ?7",
            params![
                tenant,
                batch,
                kind.as_str(),
                created_at,
                options.source,
                now_rfc3339(),
                batch_error
            ],
        )?;
        let batch_id: i64 = tx.query_row(
            "SELECT id FROM batches WHERE tenant = ?1 AND batch_key = ?2",
            [tenant, batch],
            |r| r.get(0),
        )?;
        for entry in entries {
            let stored = store_entry(&self.blobs, dir, &entry);
            if let Err(reason) = &stored {
                report.failed.push(ItemFailure {
                    tenant: tenant.into(),
                    batch: batch.into(),
                    key: entry.key.clone(),
                    reason: reason.clone(),
                });
            }
            match upsert_item(&tx, batch_id, &entry, stored)? {
                Outcome::Added => report.added += 1,
                Outcome::Changed => report.changed += 1,
                Outcome::Unchanged => report.unchanged += 1,
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// What a batch folder holds, as far as its manifest (or the listing) tells.
struct BatchContents {
    /// None when the batch has no usable manifest: the configured default applies.
    kind: Option<BatchKind>,
    created_at: Option<String>,
    /// Why the batch's manifest is unusable; each of its items is marked with it.
    error: Option<String>,
    entries: Vec<Entry>,
}

/// Reads a batch's manifest, or lists its files when it has none or an unusable one.
fn read_batch(tenant: &str, batch: &str, dir: &Path) -> Result<BatchContents, CatalogError> {
    let manifest_path = dir.join(manifest::FILE_NAME);
    let parsed = match fs::read_to_string(&manifest_path) {
        Ok(text) => Some(manifest::parse(&text, tenant, batch)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some(Err(format!("batch.json is unreadable: {e}"))),
    };
    let problem = match parsed {
        Some(Ok(m)) => {
            return Ok(BatchContents {
                kind: Some(m.kind),
                created_at: m.created_at,
                error: None,
                entries: m.items.into_iter().map(Entry::from_manifest).collect(),
            });
        }
        Some(Err(reason)) => Some(reason),
        None => None,
    };
    let entries = list_files(dir)?
        .into_iter()
        .map(|key| Entry {
            key,
            sha256: None,
            size: None,
            subject: None,
            ai: None,
            batch_error: problem.clone(),
        })
        .collect();
    Ok(BatchContents {
        kind: None,
        created_at: None,
        error: problem,
        entries,
    })
}

impl Entry {
    fn from_manifest(item: ManifestItem) -> Self {
        Entry {
            key: item.key,
            sha256: item.sha256,
            size: item.size,
            subject: item.subject,
            ai: item.ai.filter(|v| !v.is_null()),
            batch_error: None,
        }
    }
}

/// Checks an entry and copies its file into the blob store.
fn store_entry(
    blobs: &crate::BlobStore,
    dir: &Path,
    entry: &Entry,
) -> Result<crate::StoredBlob, String> {
    if let Some(reason) = &entry.batch_error {
        return Err(reason.clone());
    }
    check_key(&entry.key)?;
    if Format::from_key(&entry.key).is_none() {
        return Err(format!("'{}' is not a supported file type", entry.key));
    }
    let path = dir.join(&entry.key);
    let meta = fs::symlink_metadata(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "file listed in batch.json is missing".to_string(),
        _ => format!("cannot read file: {e}"),
    })?;
    if !meta.file_type().is_file() {
        return Err("not a regular file (links are not followed)".into());
    }
    if meta.len() == 0 {
        return Err("empty file (0 bytes)".into());
    }
    if let Some(size) = entry.size
        && size != meta.len()
    {
        return Err(format!(
            "size mismatch: batch.json says {size} bytes, file has {}",
            meta.len()
        ));
    }
    blobs
        .put_file(&path, entry.sha256.as_deref())
        .map_err(|e| match e {
            BlobError::ChecksumMismatch { expected, actual } => {
                format!("checksum mismatch: batch.json says sha256 {expected}, file has {actual}")
            }
            BlobError::Io(e) => format!("cannot store file: {e}"),
        })
}

fn upsert_item(
    tx: &Transaction,
    batch_id: i64,
    entry: &Entry,
    stored: Result<crate::StoredBlob, String>,
) -> Result<Outcome, CatalogError> {
    let format = Format::from_key(&entry.key).map(Format::as_str);
    let (blob, size, error) = match stored {
        Ok(blob) => {
            tx.execute(
                "INSERT OR IGNORE INTO blobs (sha256, size, stored_at) VALUES (?1, ?2, ?3)",
                params![blob.sha256, blob.size as i64, now_rfc3339()],
            )?;
            (Some(blob.sha256), Some(blob.size as i64), None)
        }
        Err(reason) => (None, None, Some(reason)),
    };
    let existing: Option<(i64, Option<String>, Option<String>)> = tx
        .query_row(
            "SELECT id, blob_sha256, error FROM items WHERE batch_id = ?1 AND key = ?2",
            params![batch_id, entry.key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let outcome = match &existing {
        Some((_, old_blob, old_error))
            if (blob.is_some() && *old_blob == blob) || (blob.is_none() && *old_error == error) =>
        {
            return Ok(Outcome::Unchanged);
        }
        Some(_) => Outcome::Changed,
        None => Outcome::Added,
    };
    tx.execute(
        "INSERT INTO items (batch_id, key, format, expected_sha256, blob_sha256, size, subject,
                            probed, error, frames, meta)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, NULL, NULL)
         ON CONFLICT (batch_id, key) DO UPDATE SET format = ?3, expected_sha256 = ?4,
             blob_sha256 = ?5, size = ?6, subject = ?7, probed = 0, error = ?8,
             frames = NULL, meta = NULL",
        params![
            batch_id,
            entry.key,
            format,
            entry.sha256,
            blob,
            size,
            entry.subject,
            error
        ],
    )?;
    let item_id: i64 = tx.query_row(
        "SELECT id FROM items WHERE batch_id = ?1 AND key = ?2",
        params![batch_id, entry.key],
        |r| r.get(0),
    )?;
    tx.execute("DELETE FROM assessments WHERE item_id = ?1", [item_id])?;
    if let Some(ai) = &entry.ai {
        let model = ai.get("model");
        let field = |name: &str| {
            model
                .and_then(|m| m.get(name))
                .and_then(|v| v.as_str())
                .unwrap_or("unknown")
                .to_string()
        };
        tx.execute(
            "INSERT INTO assessments (item_id, kind, model_id, model_version, model_sha256,
                                      result, created_at)
             VALUES (?1, 'batch', ?2, ?3, NULL, ?4, ?5)",
            params![
                item_id,
                field("id"),
                field("version"),
                ai.to_string(),
                now_rfc3339()
            ],
        )?;
    }
    Ok(outcome)
}

fn sorted_subdirs(dir: &Path) -> Result<Vec<PathBuf>, CatalogError> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| CatalogError::io(dir, e))?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// Files of a known type under a batch folder, as keys relative to it.
fn list_files(dir: &Path) -> Result<Vec<String>, CatalogError> {
    let mut keys = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current).map_err(|e| CatalogError::io(&current, e))? {
            let entry = entry.map_err(|e| CatalogError::io(&current, e))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| CatalogError::io(&path, e))?;
            if kind.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                let key = rel.to_string_lossy().replace('\\', "/");
                if Format::from_key(&key).is_some() {
                    keys.push(key);
                }
            }
        }
    }
    keys.sort();
    Ok(keys)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

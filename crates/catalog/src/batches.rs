//! Recording a batch in the catalogue, wherever it came from (a folder, a bucket): each
//! item with its stored blob or the reason it has none, in one transaction per batch.

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use ts_rs::TS;

use crate::BatchKind;
use crate::manifest::ManifestItem;
use crate::model::Format;
use crate::{Catalog, CatalogError, StoredBlob, check_key, now_rfc3339};

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

/// A batch as its source describes it.
#[derive(Debug, Clone)]
pub struct BatchHeader {
    pub tenant: String,
    pub batch: String,
    pub kind: BatchKind,
    pub created_at: Option<String>,
    /// Why the batch's manifest is unusable, if it is.
    pub error: Option<String>,
    /// Where it came from, e.g. `folder:/path` or `s3:name`.
    pub source: String,
}

/// One item as the batch lists it, before it is stored.
#[derive(Debug, Clone)]
pub struct BatchEntry {
    pub key: String,
    pub sha256: Option<String>,
    pub size: Option<u64>,
    pub subject: Option<String>,
    pub ai: Option<serde_json::Value>,
    /// Set when the batch itself is unusable, so that each of its items says why.
    pub batch_error: Option<String>,
}

impl BatchEntry {
    pub fn from_manifest(item: ManifestItem) -> Self {
        BatchEntry {
            key: item.key,
            sha256: item.sha256,
            size: item.size,
            subject: item.subject,
            ai: item.ai.filter(|v| !v.is_null()),
            batch_error: None,
        }
    }

    /// An entry with no manifest behind it: a listed file of a known type.
    pub fn listed(key: String, batch_error: Option<String>) -> Self {
        BatchEntry {
            key,
            sha256: None,
            size: None,
            subject: None,
            ai: None,
            batch_error,
        }
    }

    /// The checks every source applies before fetching: the batch is usable, the key is
    /// safe, and the type is one the workstation reads.
    pub fn admit(&self) -> Result<Format, String> {
        if let Some(reason) = &self.batch_error {
            return Err(reason.clone());
        }
        check_key(&self.key)?;
        Format::from_key(&self.key)
            .ok_or_else(|| format!("'{}' is not a supported file type", self.key))
    }
}

enum Outcome {
    Added,
    Changed,
    Unchanged,
}

impl Catalog {
    /// Records a batch and its items; `stored` says, per entry, which blob holds it or why
    /// none does. Counts and failures are added to `report`.
    pub fn record_batch(
        &mut self,
        header: &BatchHeader,
        entries: Vec<(BatchEntry, Result<StoredBlob, String>)>,
        report: &mut ImportReport,
    ) -> Result<(), CatalogError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT OR IGNORE INTO tenants (id) VALUES (?1)",
            [&header.tenant],
        )?;
        tx.execute(
            "INSERT INTO batches (tenant, batch_key, kind, created_at, source, imported_at, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (tenant, batch_key) DO UPDATE SET kind = ?3, created_at = ?4,
                 source = ?5, imported_at = ?6, error = ?7",
            params![
                header.tenant,
                header.batch,
                header.kind.as_str(),
                header.created_at,
                header.source,
                now_rfc3339(),
                header.error
            ],
        )?;
        let batch_id: i64 = tx.query_row(
            "SELECT id FROM batches WHERE tenant = ?1 AND batch_key = ?2",
            [&header.tenant, &header.batch],
            |r| r.get(0),
        )?;
        for (entry, stored) in entries {
            if let Err(reason) = &stored {
                report.failed.push(ItemFailure {
                    tenant: header.tenant.clone(),
                    batch: header.batch.clone(),
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
        report.batches += 1;
        Ok(())
    }
}

fn upsert_item(
    tx: &Transaction,
    batch_id: i64,
    entry: &BatchEntry,
    stored: Result<StoredBlob, String>,
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
             frames = NULL, meta = NULL, purged_at = NULL",
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
    tx.execute("DELETE FROM jobs WHERE item_id = ?1", [item_id])?;
    tx.execute("DELETE FROM document_text WHERE rowid = ?1", [item_id])?;
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

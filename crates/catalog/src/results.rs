//! What the local models' reads produced, stored per item, kind and model: each
//! result with the model that made it, a heat map where the model gives one, and a
//! document's text for the worklist's search.

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use ts_rs::TS;

use crate::{Catalog, CatalogError, Job, JobKind};

/// Which model, exactly, produced a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
pub struct ModelStamp {
    pub id: String,
    pub version: String,
    /// The model file's sha256; none for measures built into SecondRead.
    pub sha256: Option<String>,
}

/// What a finished job stores.
#[derive(Debug, Clone)]
pub struct JobResult {
    pub model: ModelStamp,
    pub result: serde_json::Value,
    /// An 8-bit PNG of where the model looked, if it gives one.
    pub heatmap: Option<Vec<u8>>,
    /// A document's text, kept searchable for the worklist.
    pub text: Option<String>,
}

/// A result stored for an item by a local model.
#[derive(Debug, Clone)]
pub struct StoredAssessment {
    pub kind: JobKind,
    pub model: ModelStamp,
    /// The result as stored, JSON text: its reader parses it and says when it cannot
    /// (a damaged row is re-assessed, never dropped unseen).
    pub result: String,
    pub has_heatmap: bool,
    pub created_at: String,
}

/// Stores one finished job's result, replacing the one it had; the queue calls it in
/// the transaction that marks the job done.
pub(crate) fn store_result(
    tx: &Transaction<'_>,
    job: &Job,
    done: &JobResult,
    now: &str,
) -> rusqlite::Result<()> {
    let key = params![job.item_id, job.kind.as_str(), job.model_id];
    tx.execute(
        "DELETE FROM assessments WHERE item_id = ?1 AND kind = ?2 AND model_id = ?3",
        key,
    )?;
    tx.execute(
        "INSERT INTO assessments (item_id, kind, model_id, model_version,
                                  model_sha256, result, created_at, heatmap)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            job.item_id,
            job.kind.as_str(),
            done.model.id,
            done.model.version,
            done.model.sha256,
            done.result.to_string(),
            now,
            done.heatmap
        ],
    )?;
    tx.execute("DELETE FROM document_text WHERE rowid = ?1", [job.item_id])?;
    if let Some(text) = &done.text {
        tx.execute(
            "INSERT INTO document_text (rowid, text) VALUES (?1, ?2)",
            params![job.item_id, text],
        )?;
    }
    Ok(())
}

impl Catalog {
    /// The local models' results for an item.
    pub fn assessments(&self, item_id: i64) -> Result<Vec<StoredAssessment>, CatalogError> {
        let mut stmt = self.conn.prepare(
            "SELECT kind, model_id, model_version, model_sha256, result, heatmap IS NOT NULL,
                    created_at
             FROM assessments WHERE item_id = ?1 AND kind IN ('diagnosis', 'quality', 'coding')
             ORDER BY kind, model_id",
        )?;
        let rows = stmt.query_map([item_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                ModelStamp {
                    id: r.get(1)?,
                    version: r.get(2)?,
                    sha256: r.get(3)?,
                },
                r.get::<_, String>(4)?,
                r.get::<_, bool>(5)?,
                r.get::<_, String>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (kind, model, result, has_heatmap, created_at) = row?;
            if let Some(kind) = JobKind::parse(&kind) {
                out.push(StoredAssessment {
                    kind,
                    model,
                    result,
                    has_heatmap,
                    created_at,
                });
            }
        }
        Ok(out)
    }

    /// The heat map a diagnosis model stored for an item, as PNG.
    pub fn heatmap(&self, item_id: i64, model_id: &str) -> Result<Option<Vec<u8>>, CatalogError> {
        Ok(self
            .conn
            .query_row(
                "SELECT heatmap FROM assessments
                 WHERE item_id = ?1 AND kind = 'diagnosis' AND model_id = ?2",
                params![item_id, model_id],
                |r| r.get::<_, Option<Vec<u8>>>(0),
            )
            .optional()?
            .flatten())
    }
}

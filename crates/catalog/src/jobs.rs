//! The pre-assessment queue: which items still need which model's read, in the order
//! the reviewer needs them. The results the reads produce are `results.rs`'s.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use ts_rs::TS;

use crate::results::store_result;
use crate::{BatchKind, Catalog, CatalogError, Format, JobResult, now_rfc3339};

/// What a job computes for an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// A diagnosis model's finding, for doctors.
    Diagnosis,
    /// Capture quality, for technicians.
    Quality,
    /// A document's text and the ICD-10-CM codes it suggests, for coders.
    Coding,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Diagnosis => "diagnosis",
            JobKind::Quality => "quality",
            JobKind::Coding => "coding",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "diagnosis" => Some(JobKind::Diagnosis),
            "quality" => Some(JobKind::Quality),
            "coding" => Some(JobKind::Coding),
            _ => None,
        }
    }

    /// The batches whose items a job of this kind reads, and the formats it reads.
    fn scope(self) -> (BatchKind, &'static str) {
        match self {
            JobKind::Diagnosis | JobKind::Quality => {
                (BatchKind::Imaging, "'dicom', 'jpeg', 'png', 'tiff'")
            }
            JobKind::Coding => (BatchKind::Coding, "'pdf', 'tiff', 'jpeg', 'png'"),
        }
    }
}

/// One queued read of one item's stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub item_id: i64,
    pub kind: JobKind,
    pub model_id: String,
    pub sha256: String,
    pub format: Format,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
pub struct QueueCounts {
    pub queued: u32,
    pub done: u32,
    pub failed: u32,
}

impl Catalog {
    /// Gives every viewable item the jobs of its batch's kind that it does not have yet
    /// (images: diagnosis and quality; documents: coding); returns how many were added.
    /// Each job reads only the items that changed since it last looked (migration 10), so
    /// a large catalogue where nothing changed costs a lookup, not a pass over every item
    /// while the reviewer's worklist waits for the catalogue.
    pub fn enqueue_jobs(&mut self, wanted: &[(JobKind, &str)]) -> Result<usize, CatalogError> {
        let tx = self.conn.transaction()?;
        let latest: i64 = tx.query_row("SELECT seq FROM item_changes", [], |r| r.get(0))?;
        let mut added = 0;
        for (kind, model_id) in wanted {
            let looked_through: Option<i64> = tx
                .query_row(
                    "SELECT through_seq FROM job_marks WHERE kind = ?1 AND model_id = ?2",
                    params![kind.as_str(), model_id],
                    |r| r.get(0),
                )
                .optional()?;
            if looked_through == Some(latest) {
                continue;
            }
            let (batch_kind, formats) = kind.scope();
            added += tx.execute(
                &format!(
                    "INSERT OR IGNORE INTO jobs (item_id, kind, model_id, updated_at)
                     SELECT i.id, ?1, ?2, ?3 FROM items i JOIN batches b ON b.id = i.batch_id
                     WHERE i.changed_seq > ?5 AND b.kind = ?4 AND i.probed = 1
                       AND i.error IS NULL AND i.blob_sha256 IS NOT NULL
                       AND i.format IN ({formats})"
                ),
                params![
                    kind.as_str(),
                    model_id,
                    now_rfc3339(),
                    batch_kind.as_str(),
                    looked_through.unwrap_or(-1)
                ],
            )?;
            tx.execute(
                "INSERT INTO job_marks (kind, model_id, through_seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT (kind, model_id) DO UPDATE SET through_seq = excluded.through_seq",
                params![kind.as_str(), model_id, latest],
            )?;
        }
        tx.commit()?;
        Ok(added)
    }

    /// Up to `limit` queued jobs, those of items a reviewer opened first, then in
    /// worklist order; `item` narrows them to one item.
    pub fn due_jobs(&self, limit: u32, item: Option<i64>) -> Result<Vec<Job>, CatalogError> {
        let mut stmt = self.conn.prepare(
            "SELECT j.item_id, j.kind, j.model_id, i.blob_sha256, i.format
             FROM jobs j JOIN items i ON i.id = j.item_id
             WHERE j.state = 'queued' AND (?2 IS NULL OR j.item_id = ?2)
             ORDER BY j.priority DESC, j.item_id LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![limit, item], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut jobs = Vec::new();
        for row in rows {
            let (item_id, kind, model_id, sha256, format) = row?;
            if let (Some(kind), Some(format)) = (JobKind::parse(&kind), Format::parse(&format)) {
                jobs.push(Job {
                    item_id,
                    kind,
                    model_id,
                    sha256,
                    format,
                });
            }
        }
        Ok(jobs)
    }

    /// Stores finished jobs' results and marks them done (or failed, with the reason)
    /// in one transaction: a job is done exactly when its result is on disk.
    pub fn finish_jobs(
        &mut self,
        finished: &[(Job, Result<JobResult, String>)],
    ) -> Result<(), CatalogError> {
        let tx = self.conn.transaction()?;
        let now = now_rfc3339();
        for (job, outcome) in finished {
            let key = params![job.item_id, job.kind.as_str(), job.model_id];
            let still_queued: bool = tx
                .query_row(
                    "SELECT 1 FROM jobs WHERE item_id = ?1 AND kind = ?2 AND model_id = ?3
                     AND state = 'queued'",
                    key,
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            // The item changed (or was re-queued) while the job ran: drop the result.
            if !still_queued {
                continue;
            }
            match outcome {
                Ok(done) => {
                    store_result(&tx, job, done, &now)?;
                    tx.execute(
                        "UPDATE jobs SET state = 'done', error = NULL, updated_at = ?4
                         WHERE item_id = ?1 AND kind = ?2 AND model_id = ?3",
                        params![job.item_id, job.kind.as_str(), job.model_id, now],
                    )?;
                }
                Err(reason) => {
                    tx.execute(
                        "UPDATE jobs SET state = 'failed', error = ?4, updated_at = ?5
                         WHERE item_id = ?1 AND kind = ?2 AND model_id = ?3",
                        params![job.item_id, job.kind.as_str(), job.model_id, reason, now],
                    )?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Moves an item's queued jobs ahead of everything else: the reviewer is looking.
    /// Only queued jobs' priorities matter, and `jobs_due` (state, priority) finds their
    /// highest without reading the whole table on every item opened.
    pub fn prioritise_jobs(&self, item_id: i64) -> Result<(), CatalogError> {
        self.conn.execute(
            "UPDATE jobs SET priority = (SELECT coalesce(max(priority), 0) + 1 FROM jobs
                                         WHERE state = 'queued')
             WHERE item_id = ?1 AND state = 'queued'",
            [item_id],
        )?;
        Ok(())
    }

    /// Queues one job of an item again, ahead of everything else: its stored result
    /// cannot be read, and the reviewer is looking at the item.
    pub fn requeue_job(
        &self,
        item_id: i64,
        kind: JobKind,
        model_id: &str,
    ) -> Result<(), CatalogError> {
        self.conn.execute(
            "INSERT INTO jobs (item_id, kind, model_id, state, priority, updated_at)
             VALUES (?1, ?2, ?3, 'queued',
                     (SELECT coalesce(max(priority), 0) + 1 FROM jobs WHERE state = 'queued'), ?4)
             ON CONFLICT (item_id, kind, model_id) DO UPDATE
                 SET state = 'queued', error = NULL, priority = excluded.priority,
                     updated_at = excluded.updated_at",
            params![item_id, kind.as_str(), model_id, now_rfc3339()],
        )?;
        Ok(())
    }

    /// Whether any of an item's jobs is still waiting.
    pub fn item_jobs_queued(&self, item_id: i64) -> Result<bool, CatalogError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM jobs WHERE item_id = ?1 AND state = 'queued' LIMIT 1",
                [item_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    pub fn job_counts(&self) -> Result<QueueCounts, CatalogError> {
        let mut counts = QueueCounts::default();
        let mut stmt = self
            .conn
            .prepare("SELECT state, count(*) FROM jobs GROUP BY state")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?;
        for row in rows {
            match row? {
                (state, n) if state == "queued" => counts.queued = n,
                (state, n) if state == "done" => counts.done = n,
                (_, n) => counts.failed += n,
            }
        }
        Ok(counts)
    }

    /// The reason each of an item's jobs failed, by kind and model.
    pub fn failed_jobs(
        &self,
        item_id: i64,
    ) -> Result<Vec<(JobKind, String, String)>, CatalogError> {
        let mut stmt = self.conn.prepare(
            "SELECT kind, model_id, error FROM jobs
             WHERE item_id = ?1 AND state = 'failed' ORDER BY kind, model_id",
        )?;
        let rows = stmt.query_map([item_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (kind, model, error) = row?;
            if let Some(kind) = JobKind::parse(&kind) {
                out.push((kind, model, error.unwrap_or_default()));
            }
        }
        Ok(out)
    }
}

//! The outbox: every verdict waits here until the platform has answered it. Entries
//! leave `pending` only with the platform's answer (synced, conflict) or a refusal that
//! retrying cannot change (failed), each settled in one transaction, so a kill between
//! sending and settling only sends the same uuids again (answered `duplicate`).

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use sr_contract::ErrorCode;
use ts_rs::TS;

use crate::verdicts::{parse_verdict, read_verdicts};
use crate::{Catalog, CatalogError, Verdict, now_rfc3339};

/// What the platform's answer means for one entry.
#[derive(Debug, Clone)]
pub enum Settled {
    /// Stored there (accepted now, or a duplicate of an earlier send).
    Synced,
    /// Another reviewer's standing decision differs: theirs, for the reviewer to see.
    Conflict(Box<Verdict>),
    /// Refused in a way a retry cannot change (a role the reviewer lacks, say).
    Failed(String),
}

/// The status bar's figures.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct OutboxCounts {
    pub pending: u32,
    pub synced: u32,
    pub failed: u32,
    pub conflicts: u32,
    /// RFC 3339, UTC.
    pub last_attempt_at: Option<String>,
    pub last_success_at: Option<String>,
    /// Why the last attempt stopped (a machine-readable code and a sentence).
    pub last_error_code: Option<ErrorCode>,
    pub last_error: Option<String>,
}

/// A decision of the reviewer's that the platform did not take, and why.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Unsynced {
    pub item_id: i64,
    pub mine: Verdict,
    /// With a conflict: the other reviewer's standing verdict.
    pub theirs: Option<Verdict>,
    /// With a failure: what the platform said.
    pub error: Option<String>,
}

impl Catalog {
    /// The oldest pending verdicts, in the order they were decided; with `after`, those
    /// decided after that verdict (the sync reads the next batch while one is in flight).
    pub fn outbox_due(
        &self,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Vec<Verdict>, CatalogError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.uuid, e.body FROM outbox o JOIN verdict_events e ON e.uuid = o.verdict_uuid
             WHERE o.state = 'pending'
               AND e.seq > coalesce((SELECT seq FROM verdict_events WHERE uuid = ?2), 0)
             ORDER BY e.seq LIMIT ?1",
        )?;
        read_verdicts(&mut stmt, params![limit as i64, after])
    }

    /// Records the platform's answers, all in one transaction.
    pub fn outbox_settle(&mut self, answers: &[(String, Settled)]) -> Result<(), CatalogError> {
        let now = now_rfc3339();
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE outbox SET state = ?2, theirs = ?3, last_error = ?4, settled_at = ?5,
                        attempts = attempts + 1
                 WHERE verdict_uuid = ?1 AND state = 'pending'",
            )?;
            for (uuid, settled) in answers {
                let (state, theirs, error) = match settled {
                    Settled::Synced => ("synced", None, None),
                    Settled::Conflict(theirs) => (
                        "conflict",
                        Some(serde_json::to_string(theirs).map_err(|source| {
                            CatalogError::CorruptVerdict {
                                uuid: theirs.uuid.clone(),
                                source,
                            }
                        })?),
                        None,
                    ),
                    Settled::Failed(reason) => ("failed", None, Some(reason.as_str())),
                };
                stmt.execute(params![uuid, state, theirs, error, now])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Notes how a sync attempt ended: `None` when it reached the platform and drained
    /// what it could, else the code and sentence that stopped it.
    pub fn record_sync_attempt(
        &self,
        stopped: Option<(ErrorCode, &str)>,
    ) -> Result<(), CatalogError> {
        let now = now_rfc3339();
        match stopped {
            None => self.conn.execute(
                "UPDATE sync_status SET last_attempt_at = ?1, last_success_at = ?1,
                        last_error_code = NULL, last_error = NULL WHERE id = 1",
                [&now],
            )?,
            Some((code, message)) => self.conn.execute(
                "UPDATE sync_status SET last_attempt_at = ?1, last_error_code = ?2, last_error = ?3
                 WHERE id = 1",
                params![now, code.to_string(), message],
            )?,
        };
        Ok(())
    }

    pub fn outbox_counts(&self) -> Result<OutboxCounts, CatalogError> {
        let mut counts = self.conn.query_row(
            "SELECT last_attempt_at, last_success_at, last_error_code, last_error FROM sync_status
             WHERE id = 1",
            [],
            |r| {
                Ok(OutboxCounts {
                    last_attempt_at: r.get(0)?,
                    last_success_at: r.get(1)?,
                    // A code this build does not know (a newer SecondRead wrote it)
                    // still says that the last sync stopped, and its sentence why.
                    last_error_code: r
                        .get::<_, Option<String>>(2)?
                        .map(|code| code.parse().unwrap_or(ErrorCode::Internal)),
                    last_error: r.get(3)?,
                    ..OutboxCounts::default()
                })
            },
        )?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT state, count(*) FROM outbox GROUP BY state")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?;
        for row in rows {
            let (state, n) = row?;
            match state.as_str() {
                "pending" => counts.pending = n,
                "synced" => counts.synced = n,
                "failed" => counts.failed = n,
                _ => counts.conflicts = n,
            }
        }
        // A conflict the reviewer has answered with a newer decision is no longer open.
        counts.conflicts = self.unsynced(Some("conflict"))?.len() as u32;
        Ok(counts)
    }

    /// The reviewer's standing decisions that the platform did not take: conflicts and
    /// failures, newest first. A decision since superseded by a newer one is not listed.
    pub fn unsynced(&self, state: Option<&str>) -> Result<Vec<Unsynced>, CatalogError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.item_id, e.uuid, e.body, o.theirs, o.last_error FROM outbox o
             JOIN verdict_events e ON e.uuid = o.verdict_uuid
             JOIN item_reviews r ON r.item_id = e.item_id AND r.kind = e.kind AND r.latest_verdict = e.uuid
             WHERE o.state IN ('conflict', 'failed') AND (?1 IS NULL OR o.state = ?1)
             ORDER BY e.seq DESC",
        )?;
        let rows = stmt.query_map([state], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (item_id, uuid, body, theirs, error) = row?;
            Ok(Unsynced {
                item_id,
                mine: parse_verdict(&uuid, &body)?,
                theirs: theirs.map(|t| parse_verdict(&uuid, &t)).transpose()?,
                error,
            })
        })
        .collect()
    }

    /// The other reviewer's verdict a pending conflict on this verdict names, if any.
    pub(crate) fn conflicting_verdict(&self, uuid: &str) -> Result<Option<Verdict>, CatalogError> {
        let theirs: Option<String> = self
            .conn
            .query_row(
                "SELECT theirs FROM outbox WHERE verdict_uuid = ?1 AND state = 'conflict'",
                [uuid],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        theirs.map(|t| parse_verdict(uuid, &t)).transpose()
    }

    /// Puts failed entries back in the queue (the reviewer was given the role since).
    pub fn outbox_retry_failed(&self) -> Result<usize, CatalogError> {
        Ok(self.conn.execute(
            "UPDATE outbox SET state = 'pending', last_error = NULL WHERE state = 'failed'",
            [],
        )?)
    }

    /// How many decisions wait to be synced.
    pub fn outbox_pending(&self) -> Result<u32, CatalogError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM outbox WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )?)
    }
}

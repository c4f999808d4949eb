//! The audit trail: who opened, viewed, decided or searched what, when, from which
//! workstation. Records name items by id and content address, never by anything a
//! patient could be known by. Append-only, and hash-chained: each record carries the
//! hash of the one before, so `verify` finds a record edited or deleted in the file.

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Catalog, CatalogError, Reviewer, now_rfc3339};
use sr_contract::{AUDIT_GENESIS, AuditEntry};

const GENESIS: &str = AUDIT_GENESIS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// The app (or a verb) opened this workstation's data.
    Opened,
    ItemViewed,
    Decided,
    CodeSearched,
    SignedIn,
    SignedOut,
    /// Retention purged the item's file, text and results.
    Purged,
    /// The screen locked (idle, the desktop's screen saver, or asked for).
    Locked,
    /// Someone signed in again at the lock screen.
    Unlocked,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Opened => "opened",
            AuditAction::ItemViewed => "item_viewed",
            AuditAction::Decided => "decided",
            AuditAction::CodeSearched => "code_searched",
            AuditAction::SignedIn => "signed_in",
            AuditAction::SignedOut => "signed_out",
            AuditAction::Purged => "purged",
            AuditAction::Locked => "locked",
            AuditAction::Unlocked => "unlocked",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            AuditAction::Opened,
            AuditAction::ItemViewed,
            AuditAction::Decided,
            AuditAction::CodeSearched,
            AuditAction::SignedIn,
            AuditAction::SignedOut,
            AuditAction::Purged,
            AuditAction::Locked,
            AuditAction::Unlocked,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// What happened, as the engine reports it.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub action: AuditAction,
    pub actor: Reviewer,
    pub item_id: Option<i64>,
    /// Ids and counts only (a verdict's uuid, how many codes a search found).
    pub detail: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AuditRecord {
    pub seq: i64,
    pub uuid: String,
    /// RFC 3339, UTC.
    pub at: String,
    pub actor_subject: String,
    pub actor_username: String,
    pub workstation: String,
    pub action: AuditAction,
    pub item_id: Option<i64>,
    pub tenant: Option<String>,
    pub item_sha256: Option<String>,
    #[ts(type = "unknown")]
    pub detail: Option<serde_json::Value>,
    pub prev_hash: String,
    pub hash: String,
}

/// Which records to read; every field narrows.
#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct AuditFilter {
    /// The actor's username or subject.
    pub user: Option<String>,
    pub item_id: Option<i64>,
    /// RFC 3339 bounds (a date alone, `2026-12-06`, works as a prefix bound).
    pub since: Option<String>,
    pub until: Option<String>,
}

/// What `verify` found: how many records, and each break in the chain.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AuditCheck {
    pub records: u64,
    pub problems: Vec<AuditProblem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AuditProblem {
    /// The record that was edited or deleted.
    pub seq: i64,
    pub problem: String,
}

fn entry_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.get(0)?,
        uuid: r.get(1)?,
        at: r.get(2)?,
        actor_subject: r.get(3)?,
        actor_username: r.get(4)?,
        workstation: r.get(5)?,
        action: r.get(6)?,
        item_id: r.get(7)?,
        tenant: r.get(8)?,
        item_sha256: r.get(9)?,
        detail: r.get(10)?,
        prev_hash: r.get(11)?,
        hash: r.get(12)?,
    })
}

fn record(entry: AuditEntry) -> AuditRecord {
    AuditRecord {
        seq: entry.seq,
        uuid: entry.uuid,
        at: entry.at,
        actor_subject: entry.actor_subject,
        actor_username: entry.actor_username,
        workstation: entry.workstation,
        action: AuditAction::parse(&entry.action).unwrap_or(AuditAction::Opened),
        item_id: entry.item_id,
        tenant: entry.tenant,
        item_sha256: entry.item_sha256,
        detail: entry.detail.and_then(|d| serde_json::from_str(&d).ok()),
        prev_hash: entry.prev_hash,
        hash: entry.hash,
    }
}

const COLUMNS: &str = "seq, uuid, at, actor_subject, actor_username, workstation, action, \
                       item_id, tenant, item_sha256, detail, prev_hash, hash";

impl Catalog {
    /// This workstation's id, made once with the catalogue.
    pub fn workstation_id(&self) -> Result<String, CatalogError> {
        Ok(self
            .conn
            .query_row("SELECT id FROM workstation", [], |r| r.get(0))?)
    }

    /// Whether anyone ever signed in to a platform with this catalogue: it then holds
    /// a platform's patients, whoever is signed in now.
    pub fn ever_signed_in(&self) -> Result<bool, CatalogError> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM audit_log WHERE action = ?1)",
            [AuditAction::SignedIn.as_str()],
            |r| r.get(0),
        )?)
    }

    /// Appends a record to the trail. The previous record is read and the new one
    /// written in one write transaction, so two processes never fork the chain.
    pub fn record_audit(&mut self, event: AuditEvent) -> Result<AuditRecord, CatalogError> {
        let workstation = self.workstation_id()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let prev_hash: String = tx
            .query_row(
                "SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_else(|| GENESIS.to_string());
        let (tenant, item_sha256) = match event.item_id {
            Some(id) => tx
                .query_row(
                    "SELECT b.tenant, i.blob_sha256 FROM items i JOIN batches b ON b.id = i.batch_id
                     WHERE i.id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .unwrap_or((None, None)),
            None => (None, None),
        };
        let seq: i64 =
            tx.query_row("SELECT coalesce(max(seq), 0) + 1 FROM audit_log", [], |r| {
                r.get(0)
            })?;
        let mut stored = AuditEntry {
            seq,
            uuid: uuid::Uuid::now_v7().to_string(),
            at: now_rfc3339(),
            actor_subject: event.actor.subject,
            actor_username: event.actor.username,
            workstation,
            action: event.action.as_str().to_string(),
            item_id: event.item_id,
            tenant,
            item_sha256,
            detail: event.detail.map(|d| d.to_string()),
            prev_hash,
            hash: String::new(),
        };
        stored.hash = stored.digest();
        tx.execute(
            &format!(
                "INSERT INTO audit_log ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
            ),
            params![
                stored.seq,
                stored.uuid,
                stored.at,
                stored.actor_subject,
                stored.actor_username,
                stored.workstation,
                stored.action,
                stored.item_id,
                stored.tenant,
                stored.item_sha256,
                stored.detail,
                stored.prev_hash,
                stored.hash,
            ],
        )?;
        tx.commit()?;
        Ok(record(stored))
    }

    /// Up to `limit` records the platform has not stored yet, oldest first.
    pub fn audit_due(&self, limit: usize) -> Result<Vec<AuditEntry>, CatalogError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM audit_log
             WHERE seq > (SELECT through_seq FROM audit_sync WHERE id = 1)
             ORDER BY seq LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit as i64], entry_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many records the platform does not hold yet.
    pub fn audit_pending(&self) -> Result<u32, CatalogError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM audit_log
             WHERE seq > (SELECT through_seq FROM audit_sync WHERE id = 1)",
            [],
            |r| r.get(0),
        )?)
    }

    /// Notes that the platform holds every record up to `seq`.
    pub fn audit_synced(&self, seq: i64) -> Result<(), CatalogError> {
        self.conn.execute(
            "UPDATE audit_sync SET through_seq = max(through_seq, ?1) WHERE id = 1",
            [seq],
        )?;
        Ok(())
    }

    /// The records the filter lets through, oldest first.
    pub fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, CatalogError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM audit_log
             WHERE (?1 IS NULL OR actor_username = ?1 OR actor_subject = ?1)
               AND (?2 IS NULL OR item_id = ?2)
               AND (?3 IS NULL OR at >= ?3)
               AND (?4 IS NULL OR substr(at, 1, length(?4)) <= ?4)
             ORDER BY seq"
        ))?;
        let rows = stmt.query_map(
            params![filter.user, filter.item_id, filter.since, filter.until],
            entry_from_row,
        )?;
        let mut out = Vec::new();
        for row in rows {
            out.push(record(row?));
        }
        Ok(out)
    }

    /// Walks the chain from the first record: a record whose content no longer matches
    /// its hash was edited; a gap in the sequence, or a record whose previous hash
    /// matches nothing, means records were deleted.
    pub fn verify_audit(&self) -> Result<AuditCheck, CatalogError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq"))?;
        let rows = stmt.query_map([], entry_from_row)?;
        let mut check = AuditCheck {
            records: 0,
            problems: Vec::new(),
        };
        let (mut last_seq, mut last_hash) = (0i64, GENESIS.to_string());
        for row in rows {
            let row = row?;
            check.records += 1;
            if row.seq > last_seq + 1 {
                for seq in last_seq + 1..row.seq {
                    check.problems.push(AuditProblem {
                        seq,
                        problem: format!("record {seq} was deleted"),
                    });
                }
            } else if row.prev_hash != last_hash {
                check.problems.push(AuditProblem {
                    seq: row.seq - 1,
                    problem: format!(
                        "record {} was changed after record {} was written",
                        row.seq - 1,
                        row.seq
                    ),
                });
            }
            if row.digest() != row.hash {
                check.problems.push(AuditProblem {
                    seq: row.seq,
                    problem: format!("record {} was edited", row.seq),
                });
            }
            last_seq = row.seq;
            last_hash = row.hash;
        }
        Ok(check)
    }
}

//! Recording decisions: one append-only event and one outbox entry per decision,
//! committed in a single transaction before the caller moves on.

use rusqlite::{OptionalExtension, params};

use crate::{Catalog, CatalogError, now_rfc3339};
use crate::{Decision, ItemRef, ModelRef, Reviewer, Role, Verdict, VerdictKind};

/// What a reviewer decided about one item; the catalogue fills in the rest.
#[derive(Debug, Clone)]
pub struct NewVerdict {
    pub item_id: i64,
    pub decision: Decision,
    pub note: String,
    pub reviewer: Reviewer,
    pub role: Role,
    pub time_spent_ms: u64,
}

impl Catalog {
    /// Records a verdict; a second verdict on the same item and kind supersedes the first.
    pub fn record_verdict(&mut self, new: NewVerdict) -> Result<Verdict, CatalogError> {
        let expected = new.role.verdict_kind();
        if new.decision.kind() != expected {
            return Err(CatalogError::WrongKind {
                role: new.role.as_str(),
                expected: expected.as_str(),
                got: new.decision.kind().as_str(),
            });
        }
        let item = self.item(new.item_id)?;
        let not_decidable = |reason: String| CatalogError::NotDecidable {
            id: new.item_id,
            reason,
        };
        if item.batch_kind != new.role.batch_kind() {
            return Err(not_decidable(format!(
                "a {} does not review {} batches",
                new.role.as_str(),
                item.batch_kind.as_str()
            )));
        }
        if let Some(error) = item.error {
            return Err(not_decidable(error));
        }
        if let Some(at) = item.purged_at {
            return Err(not_decidable(format!(
                "its file was purged under the retention rule on {at}; pull its batch again"
            )));
        }
        let sha256 = item
            .sha256
            .ok_or_else(|| not_decidable("its file is not stored".into()))?;
        let ai = item.ai.as_ref().and_then(|ai| {
            let model = ai.get("model")?;
            Some(ModelRef {
                id: model.get("id")?.as_str()?.to_owned(),
                version: model.get("version")?.as_str()?.to_owned(),
            })
        });

        let supersedes: Option<String> = self
            .conn
            .query_row(
                "SELECT latest_verdict FROM item_reviews WHERE item_id = ?1 AND kind = ?2",
                params![new.item_id, expected.as_str()],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        // Deciding again after a conflict was shown is a knowing answer to theirs.
        let acknowledges = match &supersedes {
            Some(uuid) => self.conflicting_verdict(uuid)?.map(|theirs| theirs.uuid),
            None => None,
        };
        let tx = self.conn.transaction()?;
        let verdict = Verdict {
            uuid: uuid::Uuid::now_v7().to_string(),
            item: ItemRef {
                tenant: item.tenant,
                batch: item.batch,
                key: item.key,
                sha256,
            },
            decision: new.decision,
            ai,
            note: new.note,
            reviewer: new.reviewer,
            role: new.role,
            decided_at: now_rfc3339(),
            time_spent_ms: new.time_spent_ms,
            supersedes,
            acknowledges,
        };
        let body =
            serde_json::to_string(&verdict).map_err(|source| CatalogError::CorruptVerdict {
                uuid: verdict.uuid.clone(),
                source,
            })?;
        tx.execute(
            "INSERT INTO verdict_events (uuid, item_id, kind, body, supersedes, decided_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                verdict.uuid,
                new.item_id,
                expected.as_str(),
                body,
                verdict.supersedes,
                verdict.decided_at
            ],
        )?;
        tx.execute(
            "INSERT INTO outbox (verdict_uuid) VALUES (?1)",
            [&verdict.uuid],
        )?;
        tx.execute(
            "INSERT INTO item_reviews (item_id, kind, opened_at, latest_verdict)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (item_id, kind) DO UPDATE SET latest_verdict = ?4",
            params![
                new.item_id,
                expected.as_str(),
                verdict.decided_at,
                verdict.uuid
            ],
        )?;
        tx.commit()?;
        Ok(verdict)
    }

    /// Every verdict event, oldest first; optionally only those about one item and kind.
    pub fn verdicts(&self, item: Option<(i64, VerdictKind)>) -> Result<Vec<Verdict>, CatalogError> {
        let (sql, args): (&str, Vec<String>) = match item {
            Some((id, kind)) => (
                "SELECT uuid, body FROM verdict_events WHERE item_id = ?1 AND kind = ?2 ORDER BY seq",
                vec![id.to_string(), kind.as_str().to_string()],
            ),
            None => ("SELECT uuid, body FROM verdict_events ORDER BY seq", vec![]),
        };
        let mut stmt = self.conn.prepare(sql)?;
        read_verdicts(&mut stmt, rusqlite::params_from_iter(args.iter()))
    }
}

/// The verdicts a `SELECT uuid, body ...` statement finds, in its order.
pub(crate) fn read_verdicts(
    stmt: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
) -> Result<Vec<Verdict>, CatalogError> {
    let rows = stmt.query_map(params, |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    rows.map(|row| {
        let (uuid, body) = row?;
        parse_verdict(&uuid, &body)
    })
    .collect()
}

/// A stored verdict event's body.
pub(crate) fn parse_verdict(uuid: &str, body: &str) -> Result<Verdict, CatalogError> {
    serde_json::from_str(body).map_err(|source| CatalogError::CorruptVerdict {
        uuid: uuid.to_owned(),
        source,
    })
}

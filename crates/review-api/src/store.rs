//! The verdicts and claims in PostgreSQL.
//!
//! A batch is stored in one transaction that first takes an advisory lock per item (in
//! one order, so two batches cannot deadlock): two reviewers posting on the same item at
//! the same moment are judged one after the other, and a verdict uuid is stored once.

use std::collections::{HashMap, HashSet};

use deadpool_postgres::{Config, Pool, Runtime};
use sha2::{Digest, Sha256};
use sr_contract::{
    AUDIT_GENESIS, AuditAnswer, AuditEntry, ClaimAnswer, ClaimRequest, Outcome, Verdict,
    VerdictKind,
};
use tokio_postgres::NoTls;

use crate::tokens::Caller;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS verdicts (
    seq bigserial UNIQUE NOT NULL,
    uuid uuid PRIMARY KEY,
    tenant text NOT NULL,
    batch text NOT NULL,
    item_key text NOT NULL,
    sha256 text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('diagnosis', 'quality', 'coding')),
    reviewer_subject text NOT NULL,
    decided_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    body jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS verdicts_item ON verdicts (tenant, batch, item_key, kind, seq);
CREATE TABLE IF NOT EXISTS claims (
    tenant text NOT NULL,
    batch text NOT NULL,
    item_key text NOT NULL,
    kind text NOT NULL,
    holder_subject text NOT NULL,
    holder_username text NOT NULL,
    double_read boolean NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, batch, item_key, kind, holder_subject)
);
CREATE TABLE IF NOT EXISTS audit_records (
    workstation text NOT NULL,
    seq bigint NOT NULL,
    uuid uuid PRIMARY KEY,
    at timestamptz NOT NULL,
    actor_subject text NOT NULL,
    action text NOT NULL,
    tenant text,
    hash text NOT NULL,
    posted_by text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    body jsonb NOT NULL,
    forked boolean NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_records_trail ON audit_records (workstation, seq);
CREATE OR REPLACE FUNCTION audit_records_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'audit records are append-only'; END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_records_append_only ON audit_records;
CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_records_append_only();
";

/// Why a run of audit records cannot be stored: it does not continue what the
/// platform holds for that workstation.
#[derive(Debug)]
pub struct BrokenTrail {
    pub uuid: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database unavailable: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("database error: {0}")]
    Sql(#[from] tokio_postgres::Error),
    #[error("database configuration: {0}")]
    Config(String),
    #[error("a stored verdict cannot be read: {0}")]
    Corrupt(#[from] serde_json::Error),
}

/// An item and verdict kind: what conflicts and claims are about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Subject {
    tenant: String,
    batch: String,
    key: String,
    kind: String,
}

impl Subject {
    fn of(verdict: &Verdict) -> Self {
        Self {
            tenant: verdict.item.tenant.clone(),
            batch: verdict.item.batch.clone(),
            key: verdict.item.key.clone(),
            kind: verdict.decision.kind().as_str().to_owned(),
        }
    }

    /// A stable 64-bit advisory lock key.
    fn lock_key(&self) -> i64 {
        let digest = Sha256::new()
            .chain_update(self.tenant.as_bytes())
            .chain_update([0])
            .chain_update(self.batch.as_bytes())
            .chain_update([0])
            .chain_update(self.key.as_bytes())
            .chain_update([0])
            .chain_update(self.kind.as_bytes())
            .finalize();
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[..8]);
        i64::from_be_bytes(bytes)
    }
}

pub struct Store {
    pool: Pool,
}

impl Store {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let config = Config {
            url: Some(url.to_owned()),
            ..Config::default()
        };
        let pool = config
            .create_pool(Some(Runtime::Tokio1), NoTls)
            .map_err(|e| StoreError::Config(e.to_string()))?;
        pool.get().await?.batch_execute(SCHEMA).await?;
        Ok(Self { pool })
    }

    /// Stores what is new in a batch of (already authorised) verdicts; answers each.
    pub async fn store(&self, verdicts: &[Verdict]) -> Result<Vec<Outcome>, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;

        let subjects: Vec<Subject> = verdicts.iter().map(Subject::of).collect();
        let mut locks: Vec<i64> = subjects.iter().map(Subject::lock_key).collect();
        locks.sort_unstable();
        locks.dedup();
        tx.execute(
            "SELECT pg_advisory_xact_lock(k) FROM unnest($1::int8[]) AS k ORDER BY k",
            &[&locks],
        )
        .await?;

        let uuids: Vec<uuid::Uuid> = verdicts
            .iter()
            .filter_map(|v| uuid::Uuid::parse_str(&v.uuid).ok())
            .collect();
        let mut seen: HashSet<String> = tx
            .query(
                "SELECT uuid::text FROM verdicts WHERE uuid = ANY($1)",
                &[&uuids],
            )
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect();

        let mut standing = self.standing(&tx, &subjects).await?;
        let mut outcomes = Vec::with_capacity(verdicts.len());
        let mut fresh: Vec<serde_json::Value> = Vec::new();
        for (verdict, subject) in verdicts.iter().zip(subjects) {
            if !seen.insert(verdict.uuid.clone()) {
                outcomes.push(Outcome::Duplicate);
                continue;
            }
            let by_reviewer = standing.entry(subject).or_default();
            let conflicting = by_reviewer.iter().find(|(reviewer, theirs)| {
                **reviewer != verdict.reviewer.subject
                    && theirs.decision != verdict.decision
                    && verdict.acknowledges.as_deref() != Some(theirs.uuid.as_str())
            });
            if let Some((_, theirs)) = conflicting {
                seen.remove(&verdict.uuid);
                outcomes.push(Outcome::Conflict {
                    theirs: Box::new(theirs.clone()),
                });
                continue;
            }
            by_reviewer.insert(verdict.reviewer.subject.clone(), verdict.clone());
            fresh.push(serde_json::to_value(verdict)?);
            outcomes.push(Outcome::Accepted);
        }

        tx.execute(
            "INSERT INTO verdicts (uuid, tenant, batch, item_key, sha256, kind, reviewer_subject, decided_at, body)
             SELECT (b->>'uuid')::uuid, b->'item'->>'tenant', b->'item'->>'batch', b->'item'->>'key',
                    b->'item'->>'sha256', b->>'kind', b->'reviewer'->>'subject',
                    (b->>'decided_at')::timestamptz, b
             FROM unnest($1::jsonb[]) AS b",
            &[&fresh],
        )
        .await?;
        // A decided item is no longer held by the one who decided it.
        tx.execute(
            "DELETE FROM claims c USING unnest($1::jsonb[]) AS b
             WHERE c.tenant = b->'item'->>'tenant' AND c.batch = b->'item'->>'batch'
               AND c.item_key = b->'item'->>'key' AND c.kind = b->>'kind'
               AND c.holder_subject = b->'reviewer'->>'subject'",
            &[&fresh],
        )
        .await?;
        tx.commit().await?;
        Ok(outcomes)
    }

    /// Stores a run of one workstation's audit trail (hashes already checked). A record
    /// held already with the same hash is a duplicate; the same uuid with another hash
    /// is an edit, refused with the whole run. A record that does not continue the trail
    /// as the platform holds it (its place taken by another record, or its predecessor
    /// unknown) is a fork: a data dir restored from a backup or a cloned machine goes on
    /// from an earlier point. It is stored, marked forked, for an auditor to see.
    pub async fn store_audit(
        &self,
        records: &[AuditEntry],
        posted_by: &str,
    ) -> Result<Result<AuditAnswer, BrokenTrail>, StoreError> {
        let Some(first) = records.first() else {
            return Ok(Ok(AuditAnswer::default()));
        };
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // What the platform holds that the run touches, read in two queries whatever
        // the run's length: the run's own uuids, and every record of the workstation
        // from the place before the run's first to its last.
        let uuids: Vec<&str> = records.iter().map(|r| r.uuid.as_str()).collect();
        let mut held: HashMap<String, String> = tx
            .query(
                "SELECT uuid::text, hash FROM audit_records WHERE uuid = ANY($1::text[]::uuid[])",
                &[&uuids],
            )
            .await?
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect();
        let seqs = records.iter().map(|r| r.seq);
        let (low, high) = (
            seqs.clone().min().unwrap_or(first.seq) - 1,
            seqs.max().unwrap_or(first.seq),
        );
        let mut places: HashMap<i64, HashSet<String>> = HashMap::new();
        for row in tx
            .query(
                "SELECT seq, hash FROM audit_records
                 WHERE workstation = $1 AND seq BETWEEN $2 AND $3",
                &[&first.workstation, &low, &high],
            )
            .await?
        {
            places.entry(row.get(0)).or_default().insert(row.get(1));
        }

        let mut answer = AuditAnswer::default();
        let mut fresh: Vec<serde_json::Value> = Vec::new();
        let mut forked_flags: Vec<bool> = Vec::new();
        let mut previous: Option<&str> = None;
        for record in records {
            match held.get(&record.uuid) {
                Some(hash) if *hash == record.hash => {
                    answer.duplicates += 1;
                    previous = Some(&record.hash);
                    continue;
                }
                Some(_) => {
                    return Ok(Err(BrokenTrail {
                        uuid: record.uuid.clone(),
                        reason: format!(
                            "record {} of workstation {} was changed after the platform stored it",
                            record.seq, record.workstation
                        ),
                    }));
                }
                None => {}
            }
            let continues = match previous {
                Some(hash) => hash == record.prev_hash,
                None if record.seq == 1 => record.prev_hash == AUDIT_GENESIS,
                None => places
                    .get(&(record.seq - 1))
                    .is_some_and(|hashes| hashes.contains(&record.prev_hash)),
            };
            held.insert(record.uuid.clone(), record.hash.clone());
            let place = places.entry(record.seq).or_default();
            // A place forked before holds several records.
            let forked = !place.is_empty() || !continues;
            place.insert(record.hash.clone());
            fresh.push(serde_json::to_value(record)?);
            forked_flags.push(forked);
            answer.stored += 1;
            answer.forked += u32::from(forked);
            previous = Some(&record.hash);
        }
        // The route checked the uuids and the times; PostgreSQL reads them here.
        tx.execute(
            "INSERT INTO audit_records (workstation, seq, uuid, at, actor_subject, action,
                                        tenant, hash, posted_by, body, forked)
             SELECT b->>'workstation', (b->>'seq')::bigint, (b->>'uuid')::uuid,
                    (b->>'at')::timestamptz, b->>'actor_subject', b->>'action', b->>'tenant',
                    b->>'hash', $2, b, f
             FROM unnest($1::jsonb[], $3::bool[]) AS r(b, f)",
            &[&fresh, &posted_by, &forked_flags],
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(answer))
    }

    /// Each reviewer's latest verdict on each of these items.
    async fn standing(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        subjects: &[Subject],
    ) -> Result<HashMap<Subject, HashMap<String, Verdict>>, StoreError> {
        let column = |f: fn(&Subject) -> &String| -> Vec<&str> {
            subjects.iter().map(|s| f(s).as_str()).collect()
        };
        let rows = tx
            .query(
                "SELECT DISTINCT ON (v.tenant, v.batch, v.item_key, v.kind, v.reviewer_subject) v.body
                 FROM verdicts v
                 JOIN (SELECT DISTINCT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]))
                      AS s(tenant, batch, item_key, kind)
                   ON v.tenant = s.tenant AND v.batch = s.batch AND v.item_key = s.item_key AND v.kind = s.kind
                 ORDER BY v.tenant, v.batch, v.item_key, v.kind, v.reviewer_subject, v.seq DESC",
                &[
                    &column(|s| &s.tenant),
                    &column(|s| &s.batch),
                    &column(|s| &s.key),
                    &column(|s| &s.kind),
                ],
            )
            .await?;
        let mut standing: HashMap<Subject, HashMap<String, Verdict>> = HashMap::new();
        for row in rows {
            let verdict: Verdict = serde_json::from_value(row.get(0))?;
            standing
                .entry(Subject::of(&verdict))
                .or_default()
                .insert(verdict.reviewer.subject.clone(), verdict);
        }
        Ok(standing)
    }

    /// The verdicts of `kinds` on a tenant's batch (or every batch of the tenant), oldest first.
    pub async fn list(
        &self,
        tenant: &str,
        batch: Option<&str>,
        kinds: &[VerdictKind],
    ) -> Result<Vec<Verdict>, StoreError> {
        let client = self.pool.get().await?;
        let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        let rows = client
            .query(
                "SELECT body FROM verdicts WHERE tenant = $1 AND ($2::text IS NULL OR batch = $2)
                 AND kind = ANY($3::text[]) ORDER BY seq",
                &[&tenant, &batch, &kinds],
            )
            .await?;
        rows.into_iter()
            .map(|row| Ok(serde_json::from_value(row.get(0))?))
            .collect()
    }

    /// Grants or renews the caller's lease on an item unless someone else holds it (and
    /// no double read was asked for).
    pub async fn claim(
        &self,
        caller: &Caller,
        request: &ClaimRequest,
        lease_s: u32,
    ) -> Result<ClaimAnswer, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let subject = Subject {
            tenant: request.tenant.clone(),
            batch: request.batch.clone(),
            key: request.key.clone(),
            kind: request.kind.as_str().to_owned(),
        };
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&subject.lock_key()])
            .await?;
        let keys: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
            [&subject.tenant, &subject.batch, &subject.key, &subject.kind];
        tx.execute(
            "DELETE FROM claims WHERE tenant = $1 AND batch = $2 AND item_key = $3 AND kind = $4
               AND expires_at <= now()",
            &keys,
        )
        .await?;
        if !request.double_read {
            let held = tx
                .query_opt(
                    "SELECT holder_username, to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
                     FROM claims WHERE tenant = $1 AND batch = $2 AND item_key = $3 AND kind = $4
                       AND holder_subject <> $5 AND NOT double_read
                     ORDER BY expires_at DESC LIMIT 1",
                    &[keys[0], keys[1], keys[2], keys[3], &caller.subject],
                )
                .await?;
            if let Some(row) = held {
                tx.commit().await?;
                return Ok(ClaimAnswer::Held {
                    holder: row.get(0),
                    expires_at: row.get(1),
                });
            }
        }
        let row = tx
            .query_one(
                "INSERT INTO claims (tenant, batch, item_key, kind, holder_subject, holder_username, double_read, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8))
                 ON CONFLICT (tenant, batch, item_key, kind, holder_subject)
                 DO UPDATE SET expires_at = EXCLUDED.expires_at, double_read = EXCLUDED.double_read
                 RETURNING to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
                &[
                    keys[0],
                    keys[1],
                    keys[2],
                    keys[3],
                    &caller.subject,
                    &caller.username,
                    &request.double_read,
                    &f64::from(lease_s),
                ],
            )
            .await?;
        tx.commit().await?;
        Ok(ClaimAnswer::Granted {
            expires_at: row.get(0),
        })
    }
}

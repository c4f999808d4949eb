//! Versioned schema migrations, applied in order and recorded in `PRAGMA user_version`.
//!
//! A migration is never edited once released: append a new one instead.

use rusqlite::Connection;

use crate::CatalogError;

const MIGRATIONS: &[&str] = &[
    // 1: the first catalogue.
    r#"
    CREATE TABLE tenants (
        id TEXT PRIMARY KEY
    ) STRICT;

    CREATE TABLE batches (
        id INTEGER PRIMARY KEY,
        tenant TEXT NOT NULL REFERENCES tenants(id),
        batch_key TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('imaging', 'coding')),
        created_at TEXT,
        source TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        error TEXT,
        UNIQUE (tenant, batch_key)
    ) STRICT;

    CREATE TABLE blobs (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        stored_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        batch_id INTEGER NOT NULL REFERENCES batches(id),
        key TEXT NOT NULL,
        format TEXT,
        expected_sha256 TEXT,
        blob_sha256 TEXT REFERENCES blobs(sha256),
        size INTEGER,
        subject TEXT,
        frames INTEGER,
        meta TEXT,
        probed INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        UNIQUE (batch_id, key)
    ) STRICT;
    CREATE INDEX items_batch ON items(batch_id, id);

    CREATE TABLE assessments (
        id INTEGER PRIMARY KEY,
        item_id INTEGER NOT NULL REFERENCES items(id),
        kind TEXT NOT NULL,
        model_id TEXT NOT NULL,
        model_version TEXT NOT NULL,
        model_sha256 TEXT,
        result TEXT NOT NULL,
        created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX assessments_item ON assessments(item_id, kind);

    CREATE TABLE verdict_events (
        seq INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE,
        item_id INTEGER NOT NULL REFERENCES items(id),
        kind TEXT NOT NULL CHECK (kind IN ('diagnosis', 'quality', 'coding')),
        body TEXT NOT NULL,
        supersedes TEXT REFERENCES verdict_events(uuid),
        decided_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX verdict_events_item ON verdict_events(item_id, kind, seq);
    CREATE TRIGGER verdict_events_no_update BEFORE UPDATE ON verdict_events
        BEGIN SELECT RAISE(ABORT, 'verdict events are append-only'); END;
    CREATE TRIGGER verdict_events_no_delete BEFORE DELETE ON verdict_events
        BEGIN SELECT RAISE(ABORT, 'verdict events are append-only'); END;

    CREATE TABLE outbox (
        verdict_uuid TEXT PRIMARY KEY REFERENCES verdict_events(uuid),
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'synced', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    ) STRICT;

    -- Projection of the events above, kept in the same transaction, so that worklists
    -- stay fast on large catalogues without scanning the event log.
    CREATE TABLE item_reviews (
        item_id INTEGER NOT NULL REFERENCES items(id),
        kind TEXT NOT NULL,
        opened_at TEXT,
        latest_verdict TEXT REFERENCES verdict_events(uuid),
        PRIMARY KEY (item_id, kind)
    ) STRICT, WITHOUT ROWID;
    "#,
    // 2: what each source's objects looked like when last fetched, so that objects
    // without a manifest checksum are not fetched again while unchanged.
    r#"
    CREATE TABLE remote_objects (
        source TEXT NOT NULL,
        path TEXT NOT NULL,
        etag TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (source, path)
    ) STRICT, WITHOUT ROWID;
    "#,
    // 3: the local pre-assessment queue. A job is done in the same transaction that
    // stores its result, so a kill loses only the jobs in flight, redone on restart.
    r#"
    CREATE TABLE jobs (
        item_id INTEGER NOT NULL REFERENCES items(id),
        kind TEXT NOT NULL CHECK (kind IN ('diagnosis', 'quality')),
        model_id TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'failed')),
        priority INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (item_id, kind, model_id)
    ) STRICT;
    CREATE INDEX jobs_due ON jobs(state, priority DESC, item_id);
    ALTER TABLE assessments ADD COLUMN heatmap BLOB;
    "#,
    // 4: the outbox learns what the platform answered: a conflict keeps the other
    // reviewer's verdict; the sync's last attempt and success are kept for the status bar.
    r#"
    CREATE TABLE outbox_v4 (
        verdict_uuid TEXT PRIMARY KEY REFERENCES verdict_events(uuid),
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'synced', 'failed', 'conflict')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        theirs TEXT,
        settled_at TEXT
    ) STRICT;
    INSERT INTO outbox_v4 (verdict_uuid, state, attempts, last_error)
        SELECT verdict_uuid, state, attempts, last_error FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_v4 RENAME TO outbox;
    CREATE INDEX outbox_state ON outbox(state);

    CREATE TABLE sync_status (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        last_attempt_at TEXT,
        last_success_at TEXT,
        last_error_code TEXT,
        last_error TEXT
    ) STRICT;
    INSERT INTO sync_status (id) VALUES (1);
    "#,
    // 5: documents join the queue: a coding job reads a document's text and suggests
    // codes. The text is kept in a full-text index (rowid = item id) for the worklist.
    r#"
    CREATE TABLE jobs_v5 (
        item_id INTEGER NOT NULL REFERENCES items(id),
        kind TEXT NOT NULL CHECK (kind IN ('diagnosis', 'quality', 'coding')),
        model_id TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'failed')),
        priority INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (item_id, kind, model_id)
    ) STRICT;
    INSERT INTO jobs_v5 (item_id, kind, model_id, state, priority, error, updated_at)
        SELECT item_id, kind, model_id, state, priority, error, updated_at FROM jobs;
    DROP TABLE jobs;
    ALTER TABLE jobs_v5 RENAME TO jobs;
    CREATE INDEX jobs_due ON jobs(state, priority DESC, item_id);

    CREATE VIRTUAL TABLE document_text USING fts5(text, tokenize = 'porter unicode61');
    "#,
    // 6: the audit trail: who did what to which item, from which workstation; each record
    // carries the hash of the one before, so an edit or a deletion shows. The
    // workstation's own id is made once, here.
    r#"
    CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE,
        at TEXT NOT NULL,
        actor_subject TEXT NOT NULL,
        actor_username TEXT NOT NULL,
        workstation TEXT NOT NULL,
        action TEXT NOT NULL,
        item_id INTEGER,
        tenant TEXT,
        item_sha256 TEXT,
        detail TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    ) STRICT;
    CREATE INDEX audit_log_item ON audit_log(item_id);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;

    CREATE TABLE workstation (
        id TEXT NOT NULL
    ) STRICT;
    INSERT INTO workstation (id) VALUES (lower(hex(randomblob(16))));
    "#,
    // 7: retention: an item whose file, text and results were purged keeps its row (its
    // verdicts point to it), marked with when; pulling it again clears the mark.
    r#"
    ALTER TABLE items ADD COLUMN purged_at TEXT;
    "#,
    // 8: how far the audit trail has reached the platform.
    r#"
    CREATE TABLE audit_sync (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        through_seq INTEGER NOT NULL
    ) STRICT;
    INSERT INTO audit_sync (id, through_seq) VALUES (1, 0);
    "#,
    // 9: the worklist's counts read these small indexes, not every item's row (on an
    // encrypted catalogue, every page read is a page decrypted).
    r#"
    -- Every column the counts read is in the index, so no item's row is read.
    CREATE INDEX items_live ON items(batch_id, purged_at) WHERE purged_at IS NULL;
    CREATE INDEX items_failed ON items(batch_id, purged_at, error)
        WHERE purged_at IS NULL AND error IS NOT NULL;
    "#,
    // 10: the queue reads only the items that changed since it last looked for a job:
    // each change to what makes an item assessable stamps it with a counter's next value,
    // and each job remembers the stamp it has looked through. Items from before start at
    // 0, which a job never looked through.
    r#"
    CREATE TABLE item_changes (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL
    ) STRICT;
    INSERT INTO item_changes (id, seq) VALUES (1, 0);
    ALTER TABLE items ADD COLUMN changed_seq INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX items_changed ON items(changed_seq);
    CREATE TRIGGER items_stamp_new AFTER INSERT ON items BEGIN
        UPDATE item_changes SET seq = seq + 1;
        UPDATE items SET changed_seq = (SELECT seq FROM item_changes) WHERE id = NEW.id;
    END;
    CREATE TRIGGER items_stamp_changed
        AFTER UPDATE OF batch_id, format, blob_sha256, probed, error ON items BEGIN
        UPDATE item_changes SET seq = seq + 1;
        UPDATE items SET changed_seq = (SELECT seq FROM item_changes) WHERE id = NEW.id;
    END;
    CREATE TABLE job_marks (
        kind TEXT NOT NULL,
        model_id TEXT NOT NULL,
        through_seq INTEGER NOT NULL,
        PRIMARY KEY (kind, model_id)
    ) STRICT;
    "#,
];

/// Brings the database schema up to the newest version.
pub fn apply(conn: &mut Connection) -> Result<(), CatalogError> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let current = usize::try_from(current).unwrap_or(0);
    if current > MIGRATIONS.len() {
        return Err(CatalogError::NewerSchema {
            found: current,
            known: MIGRATIONS.len(),
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (index + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

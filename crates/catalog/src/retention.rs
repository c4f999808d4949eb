//! Retention: once the platform has accepted every decision on an item, its file, text
//! and results are kept a while longer, then purged. The item's row stays, marked
//! purged, with its verdict events (the history and the audit trail point to them);
//! pulling its batch again brings the file back.
//!
//! An item is never purged while any of its decisions is pending, refused or in
//! conflict, nor before anyone decided it.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use rusqlite::params;
use serde::Serialize;

use crate::{Catalog, CatalogError, now_rfc3339};

/// An item the retention rule lets go.
#[derive(Debug, Clone, Serialize)]
pub struct Expired {
    pub item_id: i64,
    pub tenant: String,
    pub batch: String,
    pub key: String,
    /// When the platform accepted its last decision (RFC 3339, UTC).
    pub settled_at: String,
}

/// How old a blob file no row names must be before a purge takes it: a pull writes the
/// file before it catalogues the item, and may be in that gap now.
const ORPHAN_AGE: Duration = Duration::from_secs(6 * 3600);

/// What a purge took away, or would.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Purge {
    pub items: Vec<Expired>,
    /// Files no item needs any more (one file may serve several items), with any that
    /// a purge killed after its commit left behind.
    pub blobs: u32,
    /// What those files take on disk.
    pub bytes: u64,
}

/// The time `days` ago, as the catalogue writes times: items settled before it expire.
pub fn retention_cutoff(days: u32) -> String {
    (time::OffsetDateTime::now_utc() - time::Duration::days(i64::from(days)))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Catalog {
    /// Purges the items whose every decision the platform accepted before
    /// `settled_before` (RFC 3339): their files, text, results and queued jobs. With
    /// `dry_run`, only says what would go. The catalogue's changes are one transaction;
    /// the files go once it is committed.
    pub fn purge(&mut self, settled_before: &str, dry_run: bool) -> Result<Purge, CatalogError> {
        let orphans = self.orphan_blobs()?;
        let tx = self.conn.transaction()?;
        let mut items = Vec::new();
        let mut shas = BTreeSet::new();
        {
            let mut stmt = tx.prepare(
                "SELECT i.id, b.tenant, b.batch_key, i.key, max(o.settled_at), i.blob_sha256
                 FROM items i JOIN batches b ON b.id = i.batch_id
                 JOIN verdict_events e ON e.item_id = i.id
                 LEFT JOIN outbox o ON o.verdict_uuid = e.uuid
                 WHERE i.purged_at IS NULL
                 GROUP BY i.id
                 HAVING sum(coalesce(o.state, '') <> 'synced') = 0
                    AND max(julianday(o.settled_at)) < julianday(?1)
                 ORDER BY max(o.settled_at), i.id",
            )?;
            let mut rows = stmt.query([settled_before])?;
            while let Some(r) = rows.next()? {
                items.push(Expired {
                    item_id: r.get(0)?,
                    tenant: r.get(1)?,
                    batch: r.get(2)?,
                    key: r.get(3)?,
                    settled_at: r.get(4)?,
                });
                if let Some(sha) = r.get::<_, Option<String>>(5)? {
                    shas.insert(sha);
                }
            }
        }
        let now = now_rfc3339();
        for item in &items {
            let id = item.item_id;
            tx.execute(
                "UPDATE items SET purged_at = ?2, blob_sha256 = NULL, size = NULL, subject = NULL,
                        frames = NULL, meta = NULL, probed = 0, error = NULL
                 WHERE id = ?1",
                params![id, now],
            )?;
            tx.execute("DELETE FROM assessments WHERE item_id = ?1", [id])?;
            tx.execute("DELETE FROM jobs WHERE item_id = ?1", [id])?;
            tx.execute("DELETE FROM document_text WHERE rowid = ?1", [id])?;
        }
        // What the purged items were the last to need.
        let mut unneeded = Vec::new();
        for sha in shas {
            let needed: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM items WHERE blob_sha256 = ?1)",
                [&sha],
                |r| r.get(0),
            )?;
            if !needed {
                tx.execute("DELETE FROM blobs WHERE sha256 = ?1", [&sha])?;
                unneeded.push(sha);
            }
        }
        let files: Vec<PathBuf> = unneeded
            .iter()
            .map(|sha| self.blobs.path(sha))
            .chain(orphans)
            .collect();
        let bytes = files
            .iter()
            .filter_map(|path| std::fs::metadata(path).ok())
            .map(|m| m.len())
            .sum();
        if dry_run {
            tx.rollback()?;
        } else {
            tx.commit()?;
            for path in &files {
                match std::fs::remove_file(path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(CatalogError::io(path, e)),
                }
            }
        }
        Ok(Purge {
            items,
            blobs: files.len() as u32,
            bytes,
        })
    }

    /// Blob files that no catalogue row names and no pull can still be registering:
    /// what a purge killed between its commit and its file removals left behind.
    fn orphan_blobs(&self) -> Result<Vec<PathBuf>, CatalogError> {
        let io = |e| CatalogError::io(self.blobs.root(), e);
        let mut named = self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = ?1)")?;
        let mut orphans = Vec::new();
        for entry in self.blobs.files().map_err(io)? {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > ORPHAN_AGE);
            let name = entry.file_name().to_string_lossy().into_owned();
            if old && !named.query_row([&name], |r| r.get::<_, bool>(0))? {
                orphans.push(entry.path());
            }
        }
        Ok(orphans)
    }
}

//! What each source's objects looked like when they were last fetched (path, ETag, size,
//! the digest they had), so a pull can tell an unchanged object without a checksum.

use rusqlite::params;

use crate::{Catalog, CatalogError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteObject {
    /// The object's full key in its bucket.
    pub path: String,
    pub etag: String,
    pub size: u64,
    pub sha256: String,
}

impl Catalog {
    /// The objects of `source` under `prefix` fetched before.
    pub fn remote_objects(
        &self,
        source: &str,
        prefix: &str,
    ) -> Result<Vec<RemoteObject>, CatalogError> {
        let mut stmt = self.conn.prepare(
            "SELECT path, etag, size, sha256 FROM remote_objects
             WHERE source = ?1 AND substr(path, 1, length(?2)) = ?2",
        )?;
        let rows = stmt.query_map(params![source, prefix], |r| {
            Ok(RemoteObject {
                path: r.get(0)?,
                etag: r.get(1)?,
                size: r.get::<_, i64>(2)? as u64,
                sha256: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Notes objects just fetched from `source`; ones without an ETag are not noted,
    /// since nothing could tell them unchanged.
    pub fn remember_remote_objects(
        &mut self,
        source: &str,
        objects: &[RemoteObject],
    ) -> Result<(), CatalogError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO remote_objects (source, path, etag, size, sha256)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (source, path) DO UPDATE SET etag = ?3, size = ?4, sha256 = ?5",
            )?;
            for o in objects.iter().filter(|o| !o.etag.is_empty()) {
                stmt.execute(params![source, o.path, o.etag, o.size as i64, o.sha256])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

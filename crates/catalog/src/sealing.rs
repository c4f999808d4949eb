//! Encrypting a data dir that an earlier version left in plaintext, in place.
//!
//! The catalogue is exported into an encrypted copy that replaces it in one rename;
//! a marker file then stands until every blob is sealed, so a kill at any point is
//! resumed by the next open. A blob still in plaintext is known by its content hashing
//! to its name, which a sealed one never does.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rusqlite::Connection;
use serde::Serialize;
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::{BlobStore, CatalogError, StoreKey};

/// The first bytes of every unencrypted SQLite database.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Stands in the blobs folder while blobs are being sealed.
const MARKER: &str = ".sealing";

/// How far the encryption of an earlier version's data dir has come, shared with whoever
/// shows it (a window, a terminal) while [`crate::Catalog::open_reporting`] does it: on a
/// large cache it takes minutes, which must not look like a hung start.
#[derive(Debug, Default)]
pub struct SealingProgress {
    running: AtomicBool,
    done: AtomicU64,
    total: AtomicU64,
}

/// One reading of [`SealingProgress`]: files of the cache sealed so far, of how many
/// (none counted yet while the catalogue itself is being exported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
pub struct Sealing {
    pub done: u64,
    pub total: u64,
}

impl SealingProgress {
    /// `None` unless an encryption is under way.
    pub fn now(&self) -> Option<Sealing> {
        self.running.load(Ordering::Acquire).then(|| Sealing {
            done: self.done.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
        })
    }

    fn begin(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
        self.running.store(true, Ordering::Release);
    }

    fn advance(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn end(&self) {
        self.running.store(false, Ordering::Release);
    }
}

/// Whether the file at `path` is an SQLite database in plaintext (false when absent).
pub fn is_plaintext_sqlite(path: &Path) -> io::Result<bool> {
    let mut header = [0u8; 16];
    match File::open(path).and_then(|mut f| f.read_exact(&mut header)) {
        Ok(()) => Ok(&header == SQLITE_HEADER),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::UnexpectedEof
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Replaces the plaintext catalogue at `path` with an encrypted copy of it, and marks
/// the blobs for sealing.
pub(crate) fn seal_catalogue(
    path: &Path,
    blobs_dir: &Path,
    key: &StoreKey,
    progress: &SealingProgress,
) -> Result<(), CatalogError> {
    progress.begin(0);
    let io = |e| CatalogError::io(path, e);
    let sealed = path.with_extension("sqlite3.sealing");
    match fs::remove_file(&sealed) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    fs::create_dir_all(blobs_dir).map_err(io)?;
    let marker = blobs_dir.join(MARKER);
    File::create(&marker)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    {
        let conn = Connection::open(path)?;
        // Fold the write-ahead log in and drop it, so no plaintext page outlives this.
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let target = sealed.to_str().ok_or_else(|| {
            CatalogError::io(path, io::Error::other("the data dir's path is not UTF-8"))
        })?;
        conn.execute(
            &format!(
                "ATTACH DATABASE ?1 AS sealed KEY {}",
                key.catalogue_pragma().as_str()
            ),
            [target],
        )?;
        conn.query_row("SELECT sqlcipher_export('sealed')", [], |_| Ok(()))?;
        conn.pragma_update(Some("sealed"), "user_version", version)?;
        conn.execute("DETACH DATABASE sealed", [])?;
    }
    File::open(&sealed).and_then(|f| f.sync_all()).map_err(io)?;
    fs::rename(&sealed, path).map_err(io)?;
    if let Some(dir) = path.parent() {
        File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
    }
    Ok(())
}

/// Seals every blob still in plaintext, if a sealing was begun; returns how many.
pub(crate) fn seal_blobs(
    blobs: &BlobStore,
    progress: &SealingProgress,
) -> Result<usize, CatalogError> {
    let marker = blobs.root().join(MARKER);
    if !marker.exists() {
        return Ok(0);
    }
    let io = |e| CatalogError::io(blobs.root(), e);
    let files = blobs.files().map_err(io)?;
    progress.begin(files.len() as u64);
    let mut sealed = Vec::new();
    for entry in files {
        let name = entry.file_name().to_string_lossy().into_owned();
        progress.advance();
        if name.starts_with(".tmp") || !is_plaintext_blob(&entry.path(), &name).map_err(io)? {
            continue;
        }
        blobs
            .reseal(&name)
            .map_err(|e| CatalogError::io(&entry.path(), io::Error::other(e)))?;
        sealed.push(name);
    }
    blobs
        .sync_dirs(sealed.iter().map(String::as_str))
        .map_err(io)?;
    fs::remove_file(&marker).map_err(io)?;
    Ok(sealed.len())
}

fn is_plaintext_blob(path: &Path, name: &str) -> io::Result<bool> {
    let mut hasher = Sha256::new();
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()).eq_ignore_ascii_case(name))
}

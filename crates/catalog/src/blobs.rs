//! The content-addressed blob cache: every stored file is named by the sha256 of its
//! plaintext, and sealed on disk (see [`crate::sealed`]) unless the store was opened
//! in plaintext for a test.
//!
//! Writes go to a temporary file in the same folder, are fsynced, then renamed, so a
//! kill at any point leaves either no blob or a whole one, never a torn one.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::sealed::{BlobKey, SealedReader, Sealer};

#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
    /// None: blobs are stored as they came (tests and benchmarks only).
    key: Option<BlobKey>,
}

/// A blob written to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub sha256: String,
    pub size: u64,
}

/// A blob being written: hashed as it goes, in a temporary file beside its final place
/// (dropped unfinished, the temporary file goes away).
pub struct BlobWriter {
    root: PathBuf,
    sink: Sink,
    hasher: Sha256,
    size: u64,
}

enum Sink {
    Plain(NamedTempFile),
    Sealed(Sealer<NamedTempFile>),
}

impl BlobWriter {
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hasher.update(bytes);
        match &mut self.sink {
            Sink::Plain(tmp) => tmp.write_all(bytes)?,
            Sink::Sealed(sealer) => sealer.write(bytes)?,
        }
        self.size += bytes.len() as u64;
        Ok(())
    }

    pub fn written(&self) -> u64 {
        self.size
    }

    /// Verifies the digest against `expected` (when given), makes the content durable,
    /// then visible under its digest. The rename itself is durable once
    /// [`BlobStore::sync_dirs`] has run for it: do that before recording the blob.
    pub fn finish(self, expected: Option<&str>) -> Result<StoredBlob, BlobError> {
        self.persist(expected, false)
    }

    fn fill(&mut self, mut reader: impl Read) -> io::Result<()> {
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            self.write(&buf[..n])?;
        }
    }

    fn persist(self, expected: Option<&str>, replace: bool) -> Result<StoredBlob, BlobError> {
        let sha256 = hex::encode(self.hasher.finalize());
        if let Some(expected) = expected
            && !expected.eq_ignore_ascii_case(&sha256)
        {
            return Err(BlobError::ChecksumMismatch {
                expected: expected.to_ascii_lowercase(),
                actual: sha256,
            });
        }
        let dest = blob_path(&self.root, &sha256);
        if replace || !dest.is_file() {
            let tmp = match self.sink {
                Sink::Plain(tmp) => tmp,
                Sink::Sealed(sealer) => sealer.finish(&sha256)?,
            };
            tmp.as_file().sync_all()?;
            fs::create_dir_all(dest.parent().unwrap_or(&self.root))?;
            tmp.persist(&dest).map_err(|e| e.error)?;
        }
        Ok(StoredBlob {
            sha256,
            size: self.size,
        })
    }
}

fn blob_path(root: &Path, sha256: &str) -> PathBuf {
    let prefix = sha256.get(..2).unwrap_or("00");
    root.join(prefix).join(sha256)
}

/// A stored blob's plaintext, read as it is decrypted.
pub enum BlobReader {
    Plain(BufReader<File>),
    Sealed(SealedReader),
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            BlobReader::Plain(r) => r.read(buf),
            BlobReader::Sealed(r) => r.read(buf),
        }
    }
}

impl Seek for BlobReader {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            BlobReader::Plain(r) => r.seek(pos),
            BlobReader::Sealed(r) => r.seek(pos),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("checksum mismatch: expected {expected}, got {actual}")]
    ChecksumMismatch { expected: String, actual: String },
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl BlobStore {
    /// A store in `root` that seals what it writes with `key`, or keeps it in
    /// plaintext when there is none.
    pub fn new(root: impl Into<PathBuf>, key: Option<BlobKey>) -> io::Result<Self> {
        let root = root.into();
        fs::create_dir_all(&root)?;
        let store = Self { root, key };
        store.sweep_abandoned_writes();
        Ok(store)
    }

    /// Removes temporary files a killed process left behind. Only old ones: another
    /// process (the app and a `secondread pull`) may be writing right now.
    fn sweep_abandoned_writes(&self) {
        let Ok(entries) = fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten() {
            let abandoned = entry.file_name().to_string_lossy().starts_with(".tmp")
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > std::time::Duration::from_secs(6 * 3600));
            if abandoned {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// Where the blob with this digest lives (whether or not it is there yet).
    pub fn path(&self, sha256: &str) -> PathBuf {
        blob_path(&self.root, sha256)
    }

    pub fn contains(&self, sha256: &str) -> bool {
        self.path(sha256).is_file()
    }

    /// Opens a stored blob for reading its plaintext; a sealed blob that was damaged,
    /// cut short or put under another name is refused here or as it is read.
    pub fn open(&self, sha256: &str) -> io::Result<BlobReader> {
        let file = File::open(self.path(sha256))?;
        Ok(match &self.key {
            Some(key) => BlobReader::Sealed(SealedReader::open(key, file, sha256)?),
            None => BlobReader::Plain(BufReader::new(file)),
        })
    }

    /// Starts a blob that arrives in pieces (a download); nothing is visible in the
    /// store until [`BlobWriter::finish`] has verified it.
    pub fn writer(&self) -> io::Result<BlobWriter> {
        let tmp = NamedTempFile::new_in(&self.root)?;
        let sink = match &self.key {
            Some(key) => Sink::Sealed(Sealer::new(key, tmp)?),
            None => Sink::Plain(tmp),
        };
        Ok(BlobWriter {
            root: self.root.clone(),
            sink,
            hasher: Sha256::new(),
            size: 0,
        })
    }

    /// Copies `reader` into the store, verifying it against `expected` when given; the
    /// blob is durable when this returns.
    pub fn put(&self, reader: impl Read, expected: Option<&str>) -> Result<StoredBlob, BlobError> {
        let mut writer = self.writer()?;
        writer.fill(reader)?;
        let blob = writer.finish(expected)?;
        self.sync_dirs([blob.sha256.as_str()])?;
        Ok(blob)
    }

    /// Makes the renames of these blobs durable: one fsync per shard folder, however
    /// many blobs landed in it (a pull syncs a whole batch at once).
    pub fn sync_dirs<'a>(&self, shas: impl IntoIterator<Item = &'a str>) -> io::Result<()> {
        let shards: std::collections::BTreeSet<PathBuf> = shas
            .into_iter()
            .filter_map(|sha| self.path(sha).parent().map(Path::to_owned))
            .collect();
        for shard in shards {
            File::open(shard)?.sync_all()?;
        }
        Ok(())
    }

    /// Bytes the stored blobs take, for the cache quota.
    pub fn total_bytes(&self) -> io::Result<u64> {
        let mut total = 0;
        for blob in self.files()? {
            total += blob.metadata()?.len();
        }
        Ok(total)
    }

    /// Every stored blob's file.
    pub(crate) fn files(&self) -> io::Result<Vec<fs::DirEntry>> {
        let mut files = Vec::new();
        for shard in fs::read_dir(&self.root)? {
            let shard = shard?;
            if !shard.file_type()?.is_dir() {
                continue;
            }
            for blob in fs::read_dir(shard.path())? {
                files.push(blob?);
            }
        }
        Ok(files)
    }

    /// Re-writes a blob that an earlier version stored in plaintext, sealed, in its place.
    pub(crate) fn reseal(&self, sha256: &str) -> Result<(), BlobError> {
        let mut writer = self.writer()?;
        writer.fill(File::open(self.path(sha256))?)?;
        writer.persist(Some(sha256), true)?;
        Ok(())
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Copies a file into the store.
    pub fn put_file(&self, path: &Path, expected: Option<&str>) -> Result<StoredBlob, BlobError> {
        self.put(File::open(path)?, expected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_by_digest_and_refuses_wrong_checksums() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::new(dir.path(), None).unwrap();
        let blob = store.put(&b"hello"[..], None).unwrap();
        assert_eq!(
            blob.sha256,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(fs::read(store.path(&blob.sha256)).unwrap(), b"hello");

        let wrong = "0".repeat(64);
        let err = store.put(&b"other"[..], Some(&wrong)).unwrap_err();
        assert!(matches!(err, BlobError::ChecksumMismatch { .. }));
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file())
            .collect();
        assert!(leftovers.is_empty(), "a refused blob left {leftovers:?}");
    }
}

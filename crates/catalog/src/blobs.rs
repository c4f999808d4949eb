//! The content-addressed blob cache: every stored file is named by its sha256.
//!
//! Writes go to a temporary file in the same folder, are fsynced, then renamed, so a
//! kill at any point leaves either no blob or a whole one, never a torn one.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

/// A blob written to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub sha256: String,
    pub size: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("checksum mismatch: expected {expected}, got {actual}")]
    ChecksumMismatch { expected: String, actual: String },
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl BlobStore {
    pub fn new(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    /// Where the blob with this digest lives (whether or not it is there yet).
    pub fn path(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        self.root.join(prefix).join(sha256)
    }

    pub fn contains(&self, sha256: &str) -> bool {
        self.path(sha256).is_file()
    }

    /// Copies `reader` into the store, verifying it against `expected` when given.
    pub fn put(
        &self,
        mut reader: impl Read,
        expected: Option<&str>,
    ) -> Result<StoredBlob, BlobError> {
        let mut tmp = tempfile::NamedTempFile::new_in(&self.root)?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n])?;
            size += n as u64;
        }
        let sha256 = hex::encode(hasher.finalize());
        if let Some(expected) = expected
            && !expected.eq_ignore_ascii_case(&sha256)
        {
            return Err(BlobError::ChecksumMismatch {
                expected: expected.to_ascii_lowercase(),
                actual: sha256,
            });
        }
        let dest = self.path(&sha256);
        if !dest.is_file() {
            tmp.as_file().sync_all()?;
            fs::create_dir_all(dest.parent().unwrap_or(&self.root))?;
            tmp.persist(&dest).map_err(|e| e.error)?;
            if let Some(dir) = dest.parent() {
                File::open(dir)?.sync_all()?;
            }
        }
        Ok(StoredBlob { sha256, size })
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
        let store = BlobStore::new(dir.path()).unwrap();
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

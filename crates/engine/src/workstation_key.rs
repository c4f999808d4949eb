//! The workstation's key: the one place that knows where the key to a data dir's
//! catalogue and blobs lives (the OS keyring, never a file), makes it on first use, and
//! refuses to open a store whose key is gone. Everything else asks it for the store.

use std::fs::File;
use std::path::{Path, PathBuf};

use sr_catalog::{CATALOGUE_FILE, Catalog, Protection, SealingProgress, StoreKey};

const SERVICE: &str = "secondread";

/// How a data dir is kept at rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtRest {
    /// Encrypted with the workstation's key, kept in the OS keyring.
    Encrypted,
    /// In plaintext: only for the tests that prove their PHI scan finds plaintext, and
    /// for benchmarks that measure what encryption costs.
    Plaintext,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "the OS keyring cannot be reached or is locked ({0}); unlock your desktop keyring \
         (or sign in to the desktop again) and start SecondRead again"
    )]
    Keyring(String),
    #[error(
        "this workstation's key to {0} is gone from the OS keyring, so the data there \
         cannot be read: pulled items can be pulled again, but decisions not yet synced \
         are lost. To start over, run `secondread forget` (it deletes that data)"
    )]
    Lost(PathBuf),
    #[error(
        "the OS keyring holds something that is not a SecondRead key for {0}; run \
         `secondread forget` to start over"
    )]
    Malformed(PathBuf),
    #[error("cannot use {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The keyring entry for one data dir: two data dirs (two reviewers on one OS account)
/// never share a key.
fn entry(data_dir: &Path) -> Result<keyring::Entry, KeyError> {
    let dir = data_dir
        .canonicalize()
        .unwrap_or_else(|_| data_dir.to_path_buf());
    keyring::Entry::new(SERVICE, &format!("store:{}", dir.display()))
        .map_err(|e| KeyError::Keyring(e.to_string()))
}

/// The data dir's key: read from the keyring, or made and kept there when the data dir
/// holds no encrypted store yet (a new one, or one an earlier version left in plaintext).
pub fn workstation_key(data_dir: &Path) -> Result<StoreKey, KeyError> {
    let io = |source| KeyError::Io {
        path: data_dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(data_dir).map_err(io)?;
    // Two processes opening a new data dir at once must not each make a key.
    let lock = File::create(data_dir.join(".key.lock")).map_err(io)?;
    lock.lock().map_err(io)?;
    let entry = entry(data_dir)?;
    match entry.get_password() {
        Ok(secret) => {
            StoreKey::from_secret(&secret).ok_or_else(|| KeyError::Malformed(data_dir.into()))
        }
        Err(keyring::Error::NoEntry) if holds_encrypted_store(data_dir) => {
            Err(KeyError::Lost(data_dir.into()))
        }
        Err(keyring::Error::NoEntry) => {
            let key = StoreKey::generate();
            entry
                .set_password(&key.to_secret())
                .map_err(|e| KeyError::Keyring(e.to_string()))?;
            Ok(key)
        }
        Err(e) => Err(KeyError::Keyring(e.to_string())),
    }
}

/// A catalogue that is there and is not plaintext SQLite was encrypted by some key.
fn holds_encrypted_store(data_dir: &Path) -> bool {
    let path = data_dir.join(CATALOGUE_FILE);
    path.is_file() && !sr_catalog::is_plaintext(&path).unwrap_or(false)
}

/// Opens the data dir's catalogue, kept as `at_rest` says.
pub fn open_store(
    data_dir: &Path,
    at_rest: AtRest,
    progress: &SealingProgress,
) -> Result<Catalog, crate::EngineError> {
    let protection = match at_rest {
        AtRest::Encrypted => Protection::Encrypted(workstation_key(data_dir)?),
        AtRest::Plaintext => Protection::Plaintext,
    };
    Ok(Catalog::open_reporting(data_dir, &protection, progress)?)
}

/// Deletes the data dir's key from the keyring; the data it opened is unreadable after.
pub fn forget_key(data_dir: &Path) -> Result<(), KeyError> {
    match entry(data_dir)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(KeyError::Keyring(e.to_string())),
    }
}

//! Forgetting a workstation: its key, everything pulled and decided, and its session go,
//! so the data dir can be handed on or started over after a lost key.

use std::path::Path;

use serde::Serialize;

use crate::{Engine, EngineConfig, EngineError, workstation_key};

/// What `forget` did.
#[derive(Debug, Clone, Serialize)]
pub struct Forgotten {
    pub data_dir: String,
    /// Decisions that never reached the platform, now gone; `None` when the store could
    /// not be read to count them (its key was already lost).
    pub discarded_unsynced: Option<u32>,
}

/// Deletes the data dir's key, catalogue, blobs and session. Refused while decisions
/// wait to be synced (pending or refused), unless `discard_unsynced`.
pub fn forget_workstation(
    config: EngineConfig,
    discard_unsynced: bool,
) -> Result<Forgotten, EngineError> {
    Engine::open(config)?.forget(discard_unsynced)
}

impl Engine {
    /// Forgets this workstation (see [`forget_workstation`]). What this engine still
    /// holds open is gone from the disk: the app starts afresh afterwards.
    pub fn forget(&self, discard_unsynced: bool) -> Result<Forgotten, EngineError> {
        let data_dir = self.data_dir.clone();
        let unsynced = match self.catalog() {
            Ok(catalog) => {
                let counts = catalog.outbox_counts()?;
                Some(counts.pending + counts.failed + counts.conflicts)
            }
            Err(EngineError::Key(workstation_key::KeyError::Keyring(e))) => {
                return Err(workstation_key::KeyError::Keyring(e).into());
            }
            Err(
                EngineError::Key(_) | EngineError::Catalog(sr_catalog::CatalogError::WrongKey(_)),
            ) => None,
            Err(e) => return Err(e),
        };
        if let Some(n @ 1..) = unsynced
            && !discard_unsynced
        {
            return Err(EngineError::Unsynced(n));
        }
        if self.session().mode == "signed_in" {
            self.logout()?;
        }
        for name in [
            sr_catalog::CATALOGUE_FILE,
            "catalogue.sqlite3-wal",
            "catalogue.sqlite3-shm",
            "session.json",
        ] {
            let path = data_dir.join(name);
            gone(std::fs::remove_file(&path), &path)?;
        }
        let blobs = data_dir.join("blobs");
        gone(std::fs::remove_dir_all(&blobs), &blobs)?;
        workstation_key::forget_key(&data_dir)?;
        tracing::warn!(
            discarded_unsynced = unsynced,
            "this workstation was forgotten: its key and data are deleted"
        );
        Ok(Forgotten {
            data_dir: data_dir.display().to_string(),
            discarded_unsynced: unsynced,
        })
    }
}

/// A removal that found nothing to remove is done too.
fn gone(removal: std::io::Result<()>, path: &Path) -> Result<(), EngineError> {
    match removal {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(EngineError::io(format!("delete {}", path.display()), e)),
    }
}

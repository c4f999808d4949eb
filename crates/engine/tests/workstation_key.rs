//! The workstation's key in the real OS keyring (`make test` runs the tests in a private
//! D-Bus session with gnome-keyring): made on first use, needed to read anything back,
//! its loss said clearly, and `forget` starting the workstation over.

mod common;

use std::path::{Path, PathBuf};

use common::{decided, engine, query};
use sr_engine::{EngineConfig, EngineError};

fn keyring_entry(data_dir: &Path) -> keyring::Entry {
    let dir: PathBuf = data_dir.canonicalize().unwrap();
    keyring::Entry::new("secondread", &format!("store:{}", dir.display())).unwrap()
}

#[test]
fn the_key_is_made_once_kept_in_the_keyring_and_reopens_the_data() {
    let data = tempfile::tempdir().unwrap();
    let _src = decided(data.path());
    let secret = keyring_entry(data.path()).get_password().unwrap();
    assert_eq!(secret.len(), 128, "two 32-byte keys, in hex");
    assert!(
        !std::fs::read_dir(data.path())
            .unwrap()
            .any(|e| std::fs::read(e.unwrap().path())
                .is_ok_and(|b| { b.windows(secret.len()).any(|w| w == secret.as_bytes()) })),
        "the key never sits in a file"
    );
    let reopened = engine(data.path());
    assert_eq!(reopened.worklist(&query()).unwrap().rows.len(), 2);
    assert_eq!(reopened.verdicts().unwrap().len(), 1);
    assert_eq!(
        keyring_entry(data.path()).get_password().unwrap(),
        secret,
        "the key is not made again"
    );
}

#[test]
fn a_lost_key_is_a_clear_error_and_forget_starts_over() {
    let data = tempfile::tempdir().unwrap();
    let _src = decided(data.path());
    keyring_entry(data.path()).delete_credential().unwrap();

    let engine = engine(data.path());
    let error = engine.worklist(&query()).unwrap_err();
    assert_eq!(error.code(), sr_engine::ErrorCode::KeyLost);
    let message = error.to_string();
    assert!(
        message.contains("not yet synced are lost") && message.contains("secondread forget"),
        "{message}"
    );
    assert!(
        keyring_entry(data.path()).get_password().is_err(),
        "no new key is made over data the old one encrypted"
    );
    drop(engine);

    let forgotten =
        sr_engine::forget_workstation(EngineConfig::new(data.path().into()), false).unwrap();
    assert_eq!(
        forgotten.discarded_unsynced, None,
        "the lost store cannot be counted"
    );
    let fresh = self::engine(data.path());
    assert!(fresh.worklist(&query()).unwrap().rows.is_empty());
}

#[test]
fn forget_refuses_while_decisions_wait_to_sync_unless_told_to_discard_them() {
    let data = tempfile::tempdir().unwrap();
    let _src = decided(data.path());
    let config = || EngineConfig::new(data.path().into());

    let refused = sr_engine::forget_workstation(config(), false).unwrap_err();
    assert!(matches!(refused, EngineError::Unsynced(1)), "{refused}");
    assert_eq!(
        engine(data.path()).verdicts().unwrap().len(),
        1,
        "nothing was deleted"
    );

    let forgotten = sr_engine::forget_workstation(config(), true).unwrap();
    assert_eq!(forgotten.discarded_unsynced, Some(1));
    assert!(
        keyring_entry(data.path()).get_password().is_err(),
        "the key is gone"
    );
    assert!(!data.path().join("blobs").exists());
    for file in [
        "catalogue.sqlite3",
        "catalogue.sqlite3-wal",
        "catalogue.sqlite3-shm",
    ] {
        assert!(
            !data.path().join(file).exists(),
            "{file} outlived the engine that had it open"
        );
    }
    assert!(engine(data.path()).verdicts().unwrap().is_empty());
}

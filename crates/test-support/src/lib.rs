//! What the crates' tests share, written once: where the demo data is, how a batch's
//! manifest looks, a catalogue under a fixed test key, and the rows that failed.
//! A dev-dependency only: nothing here ships in the app.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use sr_catalog::{Catalog, ItemState, Protection, Role, StoreKey, TenantScope, WorklistQuery};

/// `make demo-data`'s folder (tests/demo/make_demo.py), or a path within it.
pub fn demo_data(rel: impl AsRef<Path>) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/demo-data");
    assert!(root.is_dir(), "no demo data: run `make demo-data` first");
    root.join(rel)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A batch's `batch.json` with the given items, as the platform writes it.
pub fn manifest(tenant: &str, batch: &str, items: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"schema": "secondread.batch/1", "batch_id": batch, "tenant": tenant,
                       "kind": "imaging", "items": items})
}

/// A manifest's entry for a file: its key, sha256 and size.
pub fn manifest_entry(key: &str, bytes: &[u8]) -> serde_json::Value {
    serde_json::json!({"key": key, "sha256": sha256_hex(bytes), "size": bytes.len()})
}

/// Writes files under `root/tenant/batch/` with a manifest listing each one.
pub fn write_batch(root: &Path, tenant: &str, batch: &str, files: &[(&str, &[u8])]) {
    let items = files
        .iter()
        .map(|(key, bytes)| manifest_entry(key, bytes))
        .collect();
    write_batch_with(root, tenant, batch, files, manifest(tenant, batch, items));
}

/// Writes files under `root/tenant/batch/` with the manifest given (a wrong one, say).
pub fn write_batch_with(
    root: &Path,
    tenant: &str,
    batch: &str,
    files: &[(&str, &[u8])],
    manifest: serde_json::Value,
) {
    let dir = root.join(tenant).join(batch);
    std::fs::create_dir_all(&dir).unwrap();
    for (key, bytes) in files {
        std::fs::write(dir.join(key), bytes).unwrap();
    }
    std::fs::write(dir.join("batch.json"), manifest.to_string()).unwrap();
}

/// 64 bytes of test key, in the keyring's form: the catalogue's half, then the blobs'.
pub const TEST_SECRET: &str = "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e\
                               b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1";

/// Encrypted as every real store is, under one fixed test key, so that a test can close
/// and reopen it.
pub fn protection() -> Protection {
    Protection::Encrypted(StoreKey::from_secret(TEST_SECRET).expect("a well-formed key"))
}

pub fn open_catalog(dir: &Path) -> Catalog {
    Catalog::open(dir, &protection()).expect("the catalogue opens")
}

/// The catalogue's file opened past the crate's API, with its key.
pub fn raw_connection(dir: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(dir.join(sr_catalog::CATALOGUE_FILE)).unwrap();
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", &TEST_SECRET[..64]))
        .unwrap();
    conn
}

/// Every item in error, as (key, reason), in worklist order.
pub fn error_rows(catalog: &Catalog) -> Vec<(String, String)> {
    catalog
        .worklist(
            &WorklistQuery {
                state: Some(ItemState::Error),
                ..WorklistQuery::for_role(Role::Doctor)
            },
            &TenantScope::Every,
        )
        .unwrap()
        .rows
        .into_iter()
        .map(|r| (r.key, r.error.unwrap_or_default()))
        .collect()
}

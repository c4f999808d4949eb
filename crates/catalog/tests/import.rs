//! Importing a folder laid out like the bucket: good items land, each bad one is
//! recorded with its reason, and nothing is written outside the data dir.

mod common;

use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};
use sr_catalog::{BatchKind, Catalog, ImportOptions, ItemState, Role, TenantScope, WorklistQuery};

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn options() -> ImportOptions {
    ImportOptions {
        default_kind: BatchKind::Imaging,
        source: "test".into(),
    }
}

fn write_batch(
    root: &Path,
    tenant: &str,
    batch: &str,
    files: &[(&str, &[u8])],
    manifest: serde_json::Value,
) {
    let dir = root.join(tenant).join(batch);
    fs::create_dir_all(&dir).unwrap();
    for (key, bytes) in files {
        fs::write(dir.join(key), bytes).unwrap();
    }
    fs::write(dir.join("batch.json"), manifest.to_string()).unwrap();
}

fn manifest(tenant: &str, batch: &str, items: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"schema": "secondread.batch/1", "batch_id": batch, "tenant": tenant,
                       "kind": "imaging", "items": items})
}

fn errors(catalog: &Catalog) -> Vec<(String, String)> {
    let list = catalog
        .worklist(
            &WorklistQuery {
                state: Some(ItemState::Error),
                ..WorklistQuery::for_role(Role::Doctor)
            },
            &TenantScope::Every,
        )
        .unwrap();
    list.rows
        .into_iter()
        .map(|r| (r.key, r.error.unwrap_or_default()))
        .collect()
}

#[test]
fn bad_items_carry_their_reason_and_the_rest_imports() {
    let src = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let good = b"good image bytes".as_slice();
    let other = b"other bytes".as_slice();
    write_batch(
        src.path(),
        "clinic-a",
        "b1",
        &[
            ("good.png", good),
            ("bad-sum.png", other),
            ("empty.png", b""),
        ],
        manifest(
            "clinic-a",
            "b1",
            serde_json::json!([
                {"key": "good.png", "sha256": sha(good), "size": good.len()},
                {"key": "bad-sum.png", "sha256": sha(b"something else")},
                {"key": "empty.png"},
                {"key": "missing.png"},
                {"key": "../../outside.png", "sha256": sha(good)},
                {"key": "notes.txt"},
            ]),
        ),
    );
    let mut catalog = common::open(data.path());
    let report = catalog.import_dir(src.path(), &options()).unwrap();
    assert_eq!(report.added, 6);
    assert_eq!(report.failed.len(), 5);

    let errors = errors(&catalog);
    let reason = |key: &str| {
        errors
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, e)| e.clone())
            .unwrap_or_else(|| panic!("{key} is not in error"))
    };
    assert!(reason("bad-sum.png").contains("checksum mismatch"));
    assert!(reason("empty.png").contains("empty file"));
    assert!(reason("missing.png").contains("missing"));
    assert!(reason("../../outside.png").contains("'..'"));
    assert!(reason("notes.txt").contains("not a supported file type"));
    assert!(!errors.iter().any(|(k, _)| k == "good.png"));
    assert!(catalog.blobs().contains(&sha(good)));
    assert!(!src.path().join("outside.png").exists() && !data.path().join("outside.png").exists());
}

#[test]
fn an_unknown_schema_marks_each_item_and_other_batches_import() {
    let src = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write_batch(
        src.path(),
        "clinic-a",
        "future",
        &[("a.dcm", b"x"), ("b.dcm", b"y")],
        serde_json::json!({"schema": "secondread.batch/9", "items": []}),
    );
    write_batch(
        src.path(),
        "clinic-b",
        "fine",
        &[("c.png", b"z")],
        manifest(
            "clinic-b",
            "fine",
            serde_json::json!([{"key": "c.png", "sha256": sha(b"z")}]),
        ),
    );
    let mut catalog = common::open(data.path());
    let report = catalog.import_dir(src.path(), &options()).unwrap();
    assert_eq!(report.batches, 2);
    let errors = errors(&catalog);
    assert_eq!(errors.len(), 2);
    assert!(
        errors
            .iter()
            .all(|(_, e)| e.contains("unknown schema 'secondread.batch/9'"))
    );
}

#[test]
fn reimport_is_idempotent_and_a_changed_file_is_picked_up() {
    let src = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let dir = src.path().join("clinic-a").join("no-manifest");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("one.jpg"), b"first").unwrap();
    let mut catalog = common::open(data.path());
    let first = catalog.import_dir(src.path(), &options()).unwrap();
    assert_eq!((first.added, first.changed, first.unchanged), (1, 0, 0));
    let again = catalog.import_dir(src.path(), &options()).unwrap();
    assert_eq!((again.added, again.changed, again.unchanged), (0, 0, 1));
    fs::write(dir.join("one.jpg"), b"second").unwrap();
    let changed = catalog.import_dir(src.path(), &options()).unwrap();
    assert_eq!(
        (changed.added, changed.changed, changed.unchanged),
        (0, 1, 0)
    );
    let pending = catalog.pending_probes().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].sha256, sha(b"second"));
}

#[test]
fn a_worklist_holds_only_the_tenants_in_scope_and_counts_the_rest_as_hidden() {
    let src = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    for (tenant, files) in [
        ("clinic-a", vec!["a1.png", "a2.png"]),
        ("clinic-b", vec!["b1.png", "b2.png", "b3.png"]),
    ] {
        let bodies: Vec<(&str, &[u8])> = files.iter().map(|f| (*f, f.as_bytes())).collect();
        let items: Vec<_> = files
            .iter()
            .map(|f| serde_json::json!({"key": f, "sha256": sha(f.as_bytes())}))
            .collect();
        write_batch(
            src.path(),
            tenant,
            "b1",
            &bodies,
            manifest(tenant, "b1", items.into()),
        );
    }
    let mut catalog = common::open(data.path());
    catalog.import_dir(src.path(), &options()).unwrap();
    let query = |tenant: Option<&str>| WorklistQuery {
        tenant: tenant.map(str::to_owned),
        ..WorklistQuery::for_role(Role::Doctor)
    };

    let a_only = TenantScope::only(["clinic-a"]);
    let list = catalog.worklist(&query(None), &a_only).unwrap();
    let keys: Vec<_> = list.rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["a1.png", "a2.png"]);
    assert_eq!(list.counts.new, 2, "the counts are of the scope too");
    assert_eq!(list.hidden, 3);
    let batches: Vec<_> = list.batches.iter().map(|b| b.tenant.as_str()).collect();
    assert_eq!(batches, ["clinic-a"], "the filters offer no other tenant");

    let asked_for_other = catalog.worklist(&query(Some("clinic-b")), &a_only).unwrap();
    assert!(
        asked_for_other.rows.is_empty(),
        "filtering by a tenant does not widen the scope"
    );
    assert_eq!(asked_for_other.counts.new, 0);

    let nobody = catalog
        .worklist(&query(None), &TenantScope::only(Vec::<String>::new()))
        .unwrap();
    assert!(nobody.rows.is_empty() && nobody.batches.is_empty());
    assert_eq!(nobody.hidden, 5);

    let every = catalog.worklist(&query(None), &TenantScope::Every).unwrap();
    assert_eq!((every.rows.len(), every.hidden), (5, 0));
}

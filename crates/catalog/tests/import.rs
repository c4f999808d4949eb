//! Importing a folder laid out like the bucket: good items land, each bad one is
//! recorded with its reason, and nothing is written outside the data dir.

use std::fs;

use sr_catalog::{BatchKind, ImportOptions, Role, TenantScope, WorklistQuery};
use sr_test_support::{self as support, error_rows, manifest, sha256_hex, write_batch_with};

fn options() -> ImportOptions {
    ImportOptions {
        default_kind: BatchKind::Imaging,
        source: "test".into(),
    }
}

#[test]
fn bad_items_carry_their_reason_and_the_rest_imports() {
    let src = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let good = b"good image bytes".as_slice();
    let other = b"other bytes".as_slice();
    write_batch_with(
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
                {"key": "good.png", "sha256": sha256_hex(good), "size": good.len()},
                {"key": "bad-sum.png", "sha256": sha256_hex(b"something else")},
                {"key": "empty.png"},
                {"key": "missing.png"},
                {"key": "../../outside.png", "sha256": sha256_hex(good)},
                {"key": "notes.txt"},
            ]),
        ),
    );
    let mut catalog = support::open_catalog(data.path());
    let report = catalog.import_dir(src.path(), &options()).unwrap();
    assert_eq!(report.added, 6);
    assert_eq!(report.failed.len(), 5);

    let errors = error_rows(&catalog);
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
    assert!(catalog.blobs().contains(&sha256_hex(good)));
    assert!(!src.path().join("outside.png").exists() && !data.path().join("outside.png").exists());
}

#[test]
fn an_unknown_schema_marks_each_item_and_other_batches_import() {
    let src = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write_batch_with(
        src.path(),
        "clinic-a",
        "future",
        &[("a.dcm", b"x"), ("b.dcm", b"y")],
        serde_json::json!({"schema": "secondread.batch/9", "items": []}),
    );
    write_batch_with(
        src.path(),
        "clinic-b",
        "fine",
        &[("c.png", b"z")],
        manifest(
            "clinic-b",
            "fine",
            serde_json::json!([{"key": "c.png", "sha256": sha256_hex(b"z")}]),
        ),
    );
    let mut catalog = support::open_catalog(data.path());
    let report = catalog.import_dir(src.path(), &options()).unwrap();
    assert_eq!(report.batches, 2);
    let errors = error_rows(&catalog);
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
    let mut catalog = support::open_catalog(data.path());
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
    assert_eq!(pending[0].sha256, sha256_hex(b"second"));
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
            .map(|f| serde_json::json!({"key": f, "sha256": sha256_hex(f.as_bytes())}))
            .collect();
        write_batch_with(
            src.path(),
            tenant,
            "b1",
            &bodies,
            manifest(tenant, "b1", items.into()),
        );
    }
    let mut catalog = support::open_catalog(data.path());
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

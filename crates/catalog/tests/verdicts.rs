//! Decisions: committed before the call returns, append-only, superseded by amendment,
//! and reflected in the worklist of the role that made them.

use std::fs;

use sha2::{Digest, Sha256};
use sr_catalog::{
    BatchKind, Catalog, CatalogError, Decision, DiagnosisDecision, ImportOptions, ItemState,
    NewVerdict, QualityDecision, Reviewer, Role, WorklistQuery,
};

fn imported() -> (tempfile::TempDir, tempfile::TempDir, Vec<i64>) {
    let src = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let dir = src.path().join("clinic-a").join("b1");
    fs::create_dir_all(&dir).unwrap();
    let mut items = Vec::new();
    for (key, body) in [("a.png", "A"), ("b.png", "B"), ("c.png", "C")] {
        fs::write(dir.join(key), body).unwrap();
        items.push(serde_json::json!({"key": key, "sha256": hex::encode(Sha256::digest(body))}));
    }
    items.push(serde_json::json!({"key": "bad.png", "sha256": "00"}));
    fs::write(dir.join("bad.png"), "D").unwrap();
    let manifest = serde_json::json!({"schema": "secondread.batch/1", "batch_id": "b1",
        "tenant": "clinic-a", "kind": "imaging", "items": items});
    fs::write(dir.join("batch.json"), manifest.to_string()).unwrap();
    let mut catalog = Catalog::open(data.path()).unwrap();
    catalog
        .import_dir(
            src.path(),
            &ImportOptions {
                default_kind: BatchKind::Imaging,
                source: "test".into(),
            },
        )
        .unwrap();
    let ids = worklist(&catalog, Role::Doctor)
        .iter()
        .map(|r| r.0)
        .collect();
    (src, data, ids)
}

fn worklist(catalog: &Catalog, role: Role) -> Vec<(i64, ItemState, Option<Decision>)> {
    catalog
        .worklist(&WorklistQuery {
            role,
            tenant: None,
            batch: None,
            state: None,
            limit: 100,
            sort: Default::default(),
        })
        .unwrap()
        .rows
        .into_iter()
        .map(|r| (r.id, r.state, r.decision))
        .collect()
}

fn doctor(item_id: i64, decision: DiagnosisDecision) -> NewVerdict {
    NewVerdict {
        item_id,
        decision: Decision::Diagnosis(decision),
        note: String::new(),
        reviewer: Reviewer {
            subject: "s".into(),
            username: "dr".into(),
        },
        role: Role::Doctor,
        time_spent_ms: 1200,
    }
}

#[test]
fn a_decision_survives_reopening_and_an_amendment_supersedes_it() {
    let (_src, data, ids) = imported();
    let first = {
        let mut catalog = Catalog::open(data.path()).unwrap();
        catalog
            .mark_opened(ids[1], Role::Doctor.verdict_kind())
            .unwrap();
        catalog
            .record_verdict(doctor(ids[0], DiagnosisDecision::Agree))
            .unwrap()
    };
    let mut catalog = Catalog::open(data.path()).unwrap();
    let rows = worklist(&catalog, Role::Doctor);
    assert_eq!(rows[0].1, ItemState::Decided);
    assert_eq!(rows[1].1, ItemState::InReview);
    assert_eq!(rows[2].1, ItemState::Error, "bad.png has a wrong checksum");
    assert_eq!(rows[3].1, ItemState::New);
    assert_eq!(catalog.outbox_pending().unwrap(), 1);

    let amended = catalog
        .record_verdict(doctor(ids[0], DiagnosisDecision::Amend))
        .unwrap();
    assert_eq!(amended.supersedes.as_deref(), Some(first.uuid.as_str()));
    let rows = worklist(&catalog, Role::Doctor);
    assert_eq!(
        rows[0].2,
        Some(Decision::Diagnosis(DiagnosisDecision::Amend))
    );
    assert_eq!(catalog.verdicts(None).unwrap().len(), 2);
    // The technician's worklist of the same items is untouched.
    assert!(
        worklist(&catalog, Role::Technician)
            .iter()
            .all(|r| r.1 != ItemState::Decided)
    );
}

#[test]
fn wrong_kinds_and_broken_items_are_refused() {
    let (_src, data, ids) = imported();
    let mut catalog = Catalog::open(data.path()).unwrap();
    let mut wrong = doctor(ids[0], DiagnosisDecision::Agree);
    wrong.decision = Decision::Quality(QualityDecision::Blurry);
    assert!(matches!(
        catalog.record_verdict(wrong),
        Err(CatalogError::WrongKind { .. })
    ));
    assert!(matches!(
        catalog.record_verdict(doctor(ids[2], DiagnosisDecision::Agree)),
        Err(CatalogError::NotDecidable { .. })
    ));
    let mut coder = doctor(ids[0], DiagnosisDecision::Agree);
    coder.role = Role::Coder;
    coder.decision = Decision::Coding(sr_catalog::CodingDecision {
        accepted: vec![],
        rejected: vec![],
    });
    assert!(matches!(
        catalog.record_verdict(coder),
        Err(CatalogError::NotDecidable { .. })
    ));
    assert_eq!(catalog.outbox_pending().unwrap(), 0);
}

#[test]
fn verdict_events_cannot_be_rewritten() {
    let (_src, data, ids) = imported();
    let mut catalog = Catalog::open(data.path()).unwrap();
    catalog
        .record_verdict(doctor(ids[0], DiagnosisDecision::Agree))
        .unwrap();
    drop(catalog);
    let conn = rusqlite::Connection::open(data.path().join("catalogue.sqlite3")).unwrap();
    let update = conn.execute("UPDATE verdict_events SET body = '{}'", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = conn.execute("DELETE FROM verdict_events", []);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}

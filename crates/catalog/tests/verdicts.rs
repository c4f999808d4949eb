//! Decisions: committed before the call returns, append-only, superseded by amendment,
//! and reflected in the worklist of the role that made them.

use std::fs;

use sr_catalog::{
    BatchKind, Catalog, CatalogError, Decision, DiagnosisDecision, ImportOptions, ItemState,
    NewVerdict, QualityDecision, Reviewer, Role, WorklistQuery,
};
use sr_contract::ErrorCode;
use sr_test_support as support;

fn imported() -> (tempfile::TempDir, tempfile::TempDir, Vec<i64>) {
    let src = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let files: [(&str, &[u8]); 4] = [
        ("a.png", b"A"),
        ("b.png", b"B"),
        ("c.png", b"C"),
        ("bad.png", b"D"),
    ];
    let mut items: Vec<_> = files[..3]
        .iter()
        .map(|(key, body)| support::manifest_entry(key, body))
        .collect();
    items.push(serde_json::json!({"key": "bad.png", "sha256": "00"}));
    support::write_batch_with(
        src.path(),
        "clinic-a",
        "b1",
        &files,
        support::manifest("clinic-a", "b1", items.into()),
    );
    let mut catalog = support::open_catalog(data.path());
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
        .worklist(
            &WorklistQuery::for_role(role),
            &sr_catalog::TenantScope::Every,
        )
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
        let mut catalog = support::open_catalog(data.path());
        catalog
            .mark_opened(ids[1], Role::Doctor.verdict_kind())
            .unwrap();
        catalog
            .record_verdict(doctor(ids[0], DiagnosisDecision::Agree))
            .unwrap()
    };
    let mut catalog = support::open_catalog(data.path());
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
    let mut catalog = support::open_catalog(data.path());
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
    let mut catalog = support::open_catalog(data.path());
    catalog
        .record_verdict(doctor(ids[0], DiagnosisDecision::Agree))
        .unwrap();
    drop(catalog);
    let conn = support::raw_connection(data.path());
    let update = conn.execute("UPDATE verdict_events SET body = '{}'", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = conn.execute("DELETE FROM verdict_events", []);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}

/// The status bar says why the last sync stopped, even after a restart, and even when a
/// newer SecondRead stored a code this one does not know.
#[test]
fn a_stopped_sync_is_remembered_with_its_code() {
    let (_src, data, _ids) = imported();
    let catalog = support::open_catalog(data.path());
    catalog
        .record_sync_attempt(Some((ErrorCode::SignInAgain, "the session ended")))
        .unwrap();
    drop(catalog);
    let catalog = support::open_catalog(data.path());
    let counts = catalog.outbox_counts().unwrap();
    assert_eq!(counts.last_error_code, Some(ErrorCode::SignInAgain));
    assert_eq!(counts.last_error.as_deref(), Some("the session ended"));
    drop(catalog);

    support::raw_connection(data.path())
        .execute(
            "UPDATE sync_status SET last_error_code = 'from_the_future'",
            [],
        )
        .unwrap();
    let catalog = support::open_catalog(data.path());
    let counts = catalog.outbox_counts().unwrap();
    assert_eq!(counts.last_error_code, Some(ErrorCode::Internal));
    assert_eq!(counts.last_error.as_deref(), Some("the session ended"));

    catalog.record_sync_attempt(None).unwrap();
    let counts = catalog.outbox_counts().unwrap();
    assert_eq!((counts.last_error_code, counts.last_error), (None, None));
}

fn due_uuids(catalog: &Catalog) -> Vec<String> {
    catalog
        .outbox_due(10, None)
        .unwrap()
        .into_iter()
        .map(|v| v.uuid)
        .collect()
}

/// The outbox through one conflict and one refusal, as the sync settles them.
#[test]
fn the_outbox_keeps_what_the_platform_did_not_take_until_the_reviewer_answers() {
    use sr_catalog::Settled;
    let (_src, data, ids) = imported();
    let mut catalog = support::open_catalog(data.path());
    let mine = catalog
        .record_verdict(doctor(ids[0], DiagnosisDecision::Disagree))
        .unwrap();
    let refused = catalog
        .record_verdict(doctor(ids[1], DiagnosisDecision::Agree))
        .unwrap();
    let synced = catalog
        .record_verdict(doctor(ids[3], DiagnosisDecision::Agree))
        .unwrap();
    let due = due_uuids(&catalog);
    assert_eq!(
        due,
        [mine.uuid.clone(), refused.uuid.clone(), synced.uuid.clone()],
        "in decision order"
    );
    assert_eq!(catalog.outbox_due(2, None).unwrap().len(), 2);
    let after_first: Vec<String> = catalog
        .outbox_due(10, Some(&mine.uuid))
        .unwrap()
        .into_iter()
        .map(|v| v.uuid)
        .collect();
    assert_eq!(
        after_first,
        [refused.uuid.clone(), synced.uuid.clone()],
        "the next batch while the first is in flight"
    );

    let mut theirs = mine.clone();
    theirs.uuid = "019ad000-0000-7000-8000-00000000beef".into();
    theirs.reviewer.username = "other".into();
    theirs.decision = Decision::Diagnosis(DiagnosisDecision::Agree);
    catalog
        .outbox_settle(&[
            (
                mine.uuid.clone(),
                Settled::Conflict(Box::new(theirs.clone())),
            ),
            (
                refused.uuid.clone(),
                Settled::Failed("no doctor role".into()),
            ),
            (synced.uuid.clone(), Settled::Synced),
        ])
        .unwrap();
    // Settling again (a kill between send and settle, then a resend) changes nothing.
    catalog
        .outbox_settle(&[(synced.uuid.clone(), Settled::Failed("late".into()))])
        .unwrap();
    let counts = catalog.outbox_counts().unwrap();
    assert_eq!(
        (
            counts.pending,
            counts.synced,
            counts.failed,
            counts.conflicts
        ),
        (0, 1, 1, 1)
    );
    let open = catalog.unsynced(None).unwrap();
    assert_eq!(open.len(), 2);
    let conflict = open.iter().find(|u| u.mine.uuid == mine.uuid).unwrap();
    assert_eq!(conflict.theirs.as_ref().unwrap().uuid, theirs.uuid);
    let failure = open.iter().find(|u| u.mine.uuid == refused.uuid).unwrap();
    assert_eq!(failure.error.as_deref(), Some("no doctor role"));

    // Deciding again after seeing the conflict answers it, knowingly.
    let kept = catalog
        .record_verdict(doctor(ids[0], DiagnosisDecision::Disagree))
        .unwrap();
    assert_eq!(kept.acknowledges.as_deref(), Some(theirs.uuid.as_str()));
    assert_eq!(catalog.outbox_counts().unwrap().conflicts, 0);
    assert_eq!(catalog.unsynced(Some("conflict")).unwrap().len(), 0);

    // A refusal goes back to the queue only when asked.
    assert_eq!(catalog.outbox_retry_failed().unwrap(), 1);
    let due = due_uuids(&catalog);
    assert_eq!(due, [refused.uuid.clone(), kept.uuid.clone()]);
}

/// Retention: only what the platform accepted goes, after the limit; the file stays while
/// another item needs it; a purged item cannot be decided, and comes back with a pull.
#[test]
fn retention_purges_only_items_the_platform_accepted() {
    use sr_catalog::{Settled, retention_cutoff};
    let (src, data, ids) = imported();
    let (a, b, c) = (ids[0], ids[1], ids[3]);
    // A second batch holds a copy of a.png's file: it must outlive a's purge.
    let copy = src.path().join("clinic-a").join("b2");
    fs::create_dir_all(&copy).unwrap();
    fs::write(copy.join("a-again.png"), "A").unwrap();
    let options = ImportOptions {
        default_kind: BatchKind::Imaging,
        source: "test".into(),
    };
    let mut catalog = support::open_catalog(data.path());
    catalog.import_dir(src.path(), &options).unwrap();
    let a_sha = catalog.item(a).unwrap().sha256.unwrap();
    let b_sha = catalog.item(b).unwrap().sha256.unwrap();

    let first = catalog
        .record_verdict(doctor(a, DiagnosisDecision::Agree))
        .unwrap();
    let amended = catalog
        .record_verdict(doctor(a, DiagnosisDecision::Disagree))
        .unwrap();
    let b_synced = catalog
        .record_verdict(doctor(b, DiagnosisDecision::Agree))
        .unwrap();
    let b_refused = catalog
        .record_verdict(doctor(b, DiagnosisDecision::Amend))
        .unwrap();
    catalog
        .record_verdict(doctor(c, DiagnosisDecision::Agree))
        .unwrap();
    catalog
        .outbox_settle(&[
            (first.uuid, Settled::Synced),
            (amended.uuid, Settled::Synced),
            (b_synced.uuid, Settled::Synced),
            (b_refused.uuid, Settled::Failed("no doctor role".into())),
        ])
        .unwrap();

    let kept = catalog.purge(&retention_cutoff(30), false).unwrap();
    assert!(kept.items.is_empty(), "settled just now: {kept:?}");

    // A cutoff past every settle: whatever the platform accepted has expired.
    let everything_settled = "9999-12-31T00:00:00Z";
    let dry = catalog.purge(everything_settled, true).unwrap();
    assert_eq!(
        dry.items.iter().map(|i| i.item_id).collect::<Vec<_>>(),
        [a],
        "b has a refused decision, c a pending one, the others none"
    );
    assert_eq!((dry.blobs, dry.bytes), (0, 0), "b2 still needs a's file");
    assert_eq!(
        worklist(&catalog, Role::Doctor).len(),
        5,
        "a dry run purges nothing"
    );

    let purged = catalog.purge(everything_settled, false).unwrap();
    assert_eq!(purged.items.len(), 1);
    let rows = worklist(&catalog, Role::Doctor);
    assert!(rows.iter().all(|r| r.0 != a), "a is off the worklist");
    assert_eq!(rows.len(), 4);
    assert!(catalog.blobs().contains(&a_sha), "b2's copy keeps the file");
    assert!(catalog.blobs().contains(&b_sha));
    let record = catalog.item(a).unwrap();
    assert!(record.purged_at.is_some() && record.sha256.is_none());
    let refused = catalog
        .record_verdict(doctor(a, DiagnosisDecision::Agree))
        .unwrap_err();
    assert!(refused.to_string().contains("purged"), "{refused}");
    assert!(
        catalog
            .purge(everything_settled, false)
            .unwrap()
            .items
            .is_empty(),
        "a purged item is not purged twice"
    );

    // The copy's own decision, once accepted, lets the file go.
    let copy_id = catalog
        .worklist(
            &WorklistQuery {
                batch: Some("b2".into()),
                limit: 10,
                ..WorklistQuery::for_role(Role::Doctor)
            },
            &sr_catalog::TenantScope::Every,
        )
        .unwrap()
        .rows[0]
        .id;
    let on_copy = catalog
        .record_verdict(doctor(copy_id, DiagnosisDecision::Agree))
        .unwrap();
    catalog
        .outbox_settle(&[(on_copy.uuid, Settled::Synced)])
        .unwrap();
    let freed = catalog.purge(everything_settled, false).unwrap();
    assert_eq!(freed.blobs, 1);
    assert!(freed.bytes > 0);
    assert!(
        !catalog.blobs().contains(&a_sha),
        "no item needs the file now"
    );

    // Pulled again, a is back, decided as before.
    catalog.import_dir(src.path(), &options).unwrap();
    let back = worklist(&catalog, Role::Doctor);
    let a_row = back.iter().find(|r| r.0 == a).expect("a is back");
    assert_eq!(a_row.1, ItemState::Decided);
    assert!(catalog.blobs().contains(&a_sha));
    assert!(catalog.item(a).unwrap().purged_at.is_none());
}

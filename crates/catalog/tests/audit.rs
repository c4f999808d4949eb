//! The audit trail: records in order with who, what, which item and workstation; read
//! back by person, item and time; append-only; and a record edited or deleted in the
//! file behind the catalogue's back is named by `verify_audit`.

use sr_catalog::{AuditAction, AuditEvent, AuditFilter, Catalog, Reviewer};
use sr_test_support as support;

fn person(name: &str) -> Reviewer {
    Reviewer {
        subject: format!("sub-{name}"),
        username: name.into(),
    }
}

fn record(catalog: &mut Catalog, who: &str, action: AuditAction, item_id: Option<i64>) {
    catalog
        .record_audit(AuditEvent {
            action,
            actor: person(who),
            item_id,
            detail: Some(serde_json::json!({"n": 1})),
        })
        .unwrap();
}

/// Five records by two people; the third names an item that is not catalogued.
fn trail(data: &std::path::Path) -> Catalog {
    let mut catalog = support::open_catalog(data);
    record(&mut catalog, "ana", AuditAction::SignedIn, None);
    record(&mut catalog, "ana", AuditAction::ItemViewed, Some(7));
    record(&mut catalog, "ana", AuditAction::Decided, Some(7));
    record(&mut catalog, "ben", AuditAction::CodeSearched, None);
    record(&mut catalog, "ben", AuditAction::SignedOut, None);
    catalog
}

#[test]
fn records_are_chained_in_order_and_read_back_by_person_and_item() {
    let data = tempfile::tempdir().unwrap();
    let catalog = trail(data.path());
    let all = catalog.audit(&AuditFilter::default()).unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[0].prev_hash, "0".repeat(64));
    for pair in all.windows(2) {
        assert_eq!(
            pair[1].prev_hash, pair[0].hash,
            "each record names the one before"
        );
        assert!(pair[0].seq < pair[1].seq && pair[0].at <= pair[1].at);
    }
    let workstation = catalog.workstation_id().unwrap();
    assert!(all.iter().all(|r| r.workstation == workstation));

    let ana = catalog
        .audit(&AuditFilter {
            user: Some("ana".into()),
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(ana.len(), 3);
    let item = catalog
        .audit(&AuditFilter {
            item_id: Some(7),
            ..AuditFilter::default()
        })
        .unwrap();
    let actions: Vec<AuditAction> = item.iter().map(|r| r.action).collect();
    assert_eq!(actions, [AuditAction::ItemViewed, AuditAction::Decided]);
    let today = &all[0].at[..10];
    let none_yet = catalog
        .audit(&AuditFilter {
            until: Some("2000-01-01".into()),
            ..AuditFilter::default()
        })
        .unwrap();
    assert!(none_yet.is_empty());
    let whole_day = catalog
        .audit(&AuditFilter {
            since: Some(today.into()),
            until: Some(today.into()),
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(whole_day.len(), 5, "a date bounds the whole day");

    let check = catalog.verify_audit().unwrap();
    assert_eq!(check.records, 5);
    assert!(check.problems.is_empty(), "{:?}", check.problems);
}

#[test]
fn the_trail_refuses_edits_and_deletions_through_sql() {
    let data = tempfile::tempdir().unwrap();
    drop(trail(data.path()));
    let conn = support::raw_connection(data.path());
    let update = conn.execute("UPDATE audit_log SET actor_username = 'eve'", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = conn.execute("DELETE FROM audit_log WHERE seq = 2", []);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}

#[test]
fn verify_names_a_record_deleted_or_edited_behind_the_catalogues_back() {
    let data = tempfile::tempdir().unwrap();
    drop(trail(data.path()));
    let conn = support::raw_connection(data.path());
    // Someone with the key and a SQL shell: the triggers go first.
    conn.execute_batch(
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;
         DELETE FROM audit_log WHERE seq = 2;
         UPDATE audit_log SET actor_username = 'eve' WHERE seq = 4;",
    )
    .unwrap();
    drop(conn);

    let check = support::open_catalog(data.path()).verify_audit().unwrap();
    let named: Vec<(i64, &str)> = check
        .problems
        .iter()
        .map(|p| (p.seq, p.problem.as_str()))
        .collect();
    assert_eq!(
        named,
        [(2, "record 2 was deleted"), (4, "record 4 was edited")]
    );

    // An edit whose hash was made again still breaks the link from the next record.
    let data = tempfile::tempdir().unwrap();
    drop(trail(data.path()));
    let conn = support::raw_connection(data.path());
    conn.execute_batch(
        "DROP TRIGGER audit_log_no_update;
         UPDATE audit_log SET actor_username = 'eve', hash = 'ab' WHERE seq = 3;",
    )
    .unwrap();
    drop(conn);
    let check = support::open_catalog(data.path()).verify_audit().unwrap();
    let seqs: Vec<i64> = check.problems.iter().map(|p| p.seq).collect();
    assert_eq!(seqs, [3, 3], "{:?}", check.problems);
}

//! What the engine writes to the audit trail as a reviewer works: the data opened, an
//! item viewed and decided, each by its id and the person, never by a name or a key.

mod common;

use common::{decided, engine, query};
use sr_engine::catalog::{AuditAction, AuditFilter, Role};

#[test]
fn opening_viewing_and_deciding_are_recorded_by_item_id_and_person() {
    let data = tempfile::tempdir().unwrap();
    let _src = decided(data.path());
    let engine = engine(data.path());
    let id = engine.worklist(&query()).unwrap().rows[1].id;
    engine.open_item(id, Role::Doctor).unwrap();
    // The screen reads the item again as its local results land: still one view.
    engine.open_item(id, Role::Doctor).unwrap();

    let records = engine.audit_records(&AuditFilter::default()).unwrap();
    let actions: Vec<AuditAction> = records.iter().map(|r| r.action).collect();
    assert_eq!(
        actions,
        [
            AuditAction::Opened,
            AuditAction::Decided,
            AuditAction::Opened,
            AuditAction::ItemViewed,
        ],
        "the import's process and this one each opened the data"
    );
    let viewed = &records[3];
    assert_eq!(viewed.item_id, Some(id));
    assert_eq!(viewed.tenant.as_deref(), Some("clinic-a"));
    assert_eq!(viewed.actor_username, "demo doctor");
    assert_eq!(viewed.item_sha256.as_ref().map(String::len), Some(64));
    let decided = &records[1];
    let verdict = &engine.verdicts().unwrap()[0];
    assert_eq!(
        decided.detail.as_ref().unwrap()["verdict"],
        verdict.uuid.as_str()
    );
    let text = serde_json::to_string(&records).unwrap();
    assert!(
        !text.contains(".png"),
        "records name items by id, never by key: {text}"
    );
    assert!(engine.verify_audit().unwrap().problems.is_empty());

    // Another item, then back: two views more.
    let other = engine.worklist(&query()).unwrap().rows[0].id;
    engine.open_item(other, Role::Doctor).unwrap();
    engine.open_item(id, Role::Doctor).unwrap();
    let views: Vec<Option<i64>> = engine
        .audit_records(&AuditFilter::default())
        .unwrap()
        .iter()
        .filter(|r| r.action == AuditAction::ItemViewed)
        .map(|r| r.item_id)
        .collect();
    assert_eq!(views, [Some(id), Some(other), Some(id)]);
}

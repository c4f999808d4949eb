//! A pulled file damaged on disk after it was stored: its item shows a clear error when
//! opened, and every other item still opens.

mod common;

use common::{decided, engine, query};

#[test]
fn a_stored_file_damaged_on_disk_is_an_error_on_its_item_only() {
    let data = tempfile::tempdir().unwrap();
    let _src = decided(data.path());
    let engine = engine(data.path());
    let rows = engine.worklist(&query()).unwrap().rows;
    let (damaged, intact) = (&rows[0], &rows[1]);
    let sha = engine
        .audit_records(&Default::default())
        .unwrap()
        .into_iter()
        .find(|r| r.item_id == Some(damaged.id))
        .and_then(|r| r.item_sha256)
        .expect("the decision names the item's content address");
    let blob = data.path().join("blobs").join(&sha[..2]).join(&sha);
    let mut sealed = std::fs::read(&blob).unwrap();
    let middle = sealed.len() / 2;
    sealed[middle] ^= 0x40;
    std::fs::write(&blob, sealed).unwrap();

    let error = engine.frame(damaged.id, 0).unwrap_err().to_string();
    assert!(error.contains("damaged or was replaced"), "{error}");
    assert!(
        engine.frame(intact.id, 0).is_ok(),
        "the other item still opens"
    );
}

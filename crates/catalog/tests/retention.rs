//! A purge killed after its commit leaves files no row names; the next purge takes
//! them, once they are older than any pull could still be registering.

use std::fs::File;
use std::time::{Duration, SystemTime};

use sr_test_support as support;

#[test]
fn a_purge_takes_the_files_an_interrupted_one_left_and_spares_fresh_ones() {
    let data = tempfile::tempdir().unwrap();
    let mut catalog = support::open_catalog(data.path());
    let left = catalog
        .blobs()
        .put(&b"left by a killed purge"[..], None)
        .unwrap();
    let arriving = catalog
        .blobs()
        .put(&b"a pull's, not catalogued yet"[..], None)
        .unwrap();
    let left_path = catalog.blobs().path(&left.sha256);
    File::options()
        .write(true)
        .open(&left_path)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(7 * 3600))
        .unwrap();

    let dry = catalog.purge("2000-01-01T00:00:00Z", true).unwrap();
    assert_eq!(dry.blobs, 1);
    assert!(left_path.exists(), "a dry run removes nothing");

    let purge = catalog.purge("2000-01-01T00:00:00Z", false).unwrap();
    assert_eq!((purge.blobs, purge.items.len()), (1, 0));
    assert!(purge.bytes > 0);
    assert!(!left_path.exists());
    assert!(
        catalog.blobs().contains(&arriving.sha256),
        "a fresh file stays"
    );
}

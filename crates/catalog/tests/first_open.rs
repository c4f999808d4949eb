//! The first catalogues a process opens, opened at once from several threads, all open:
//! SQLite finishes SQLCipher's set-up after it lets other threads in, and a keyed open
//! that came too early failed with "An error occurred with PRAGMA key" (seen on CI).
//! This file holds one test so that its process starts with SQLite untouched.

use std::sync::{Arc, Barrier};

use sr_test_support as support;

#[test]
fn catalogues_opened_at_once_by_a_fresh_process_all_open() {
    const THREADS: usize = 8;
    let dirs: Vec<_> = (0..THREADS).map(|_| tempfile::tempdir().unwrap()).collect();
    let start = Arc::new(Barrier::new(THREADS));
    let opened = std::thread::scope(|scope| {
        let handles: Vec<_> = dirs
            .iter()
            .map(|dir| {
                let start = Arc::clone(&start);
                scope.spawn(move || {
                    start.wait();
                    sr_catalog::Catalog::open(dir.path(), &support::protection()).map(|_| ())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    for (i, result) in opened.iter().enumerate() {
        assert!(result.is_ok(), "catalogue {i}: {:?}", result.as_ref().err());
    }
}

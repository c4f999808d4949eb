//! The catalogue tests' store: encrypted as every real one is, under one fixed test key
//! so that a test can close and reopen it.

#![allow(dead_code)]

use std::path::Path;

use sr_catalog::{Catalog, Protection, StoreKey};

/// 64 bytes of test key, in the keyring's form: the catalogue's half, then the blobs'.
pub const TEST_SECRET: &str = "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e\
                               b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1";

pub fn protection() -> Protection {
    Protection::Encrypted(StoreKey::from_secret(TEST_SECRET).expect("a well-formed key"))
}

pub fn open(dir: &Path) -> Catalog {
    Catalog::open(dir, &protection()).expect("the catalogue opens")
}

/// A connection straight to the catalogue's file, past the crate's API, with its key.
pub fn raw_connection(dir: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(dir.join(sr_catalog::CATALOGUE_FILE)).unwrap();
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", &TEST_SECRET[..64]))
        .unwrap();
    conn
}

//! SQLCipher's one-time set-up, finished before any keyed open.
//!
//! SQLite runs SQLCipher's set-up (`SQLITE_EXTRA_INIT`) after it has marked itself
//! initialised and let other threads in, so a second thread's first `PRAGMA key` can come
//! before the cipher provider exists and fail ("An error occurred with PRAGMA key").
//! The set-up is idempotent and guarded by SQLite's main mutex: running it ourselves
//! before the first keyed open closes that window.

use std::ffi::{c_char, c_int};
use std::sync::OnceLock;

use rusqlite::ffi;

#[allow(unsafe_code)]
unsafe extern "C" {
    /// Bundled SQLCipher's `SQLITE_EXTRA_INIT` hook.
    fn sqlcipher_extra_init(arg: *const c_char) -> c_int;
}

/// Runs SQLite's and SQLCipher's set-up once per process; later calls return its result.
#[allow(unsafe_code)]
pub(crate) fn ensure_ready() -> rusqlite::Result<()> {
    static READY: OnceLock<c_int> = OnceLock::new();
    let rc = *READY.get_or_init(|| {
        // SAFETY: both take no pointers we own (a null argument is what SQLite passes),
        // may be called from any thread, and return at once when already done.
        // `sqlite3_initialize` first: SQLCipher's set-up allocates SQLite mutexes.
        unsafe {
            match ffi::sqlite3_initialize() {
                ffi::SQLITE_OK => sqlcipher_extra_init(std::ptr::null()),
                rc => rc,
            }
        }
    });
    match rc {
        ffi::SQLITE_OK => Ok(()),
        rc => Err(rusqlite::Error::SqliteFailure(ffi::Error::new(rc), None)),
    }
}

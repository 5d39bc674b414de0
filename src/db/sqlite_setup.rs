//! What SQLite is told once per process, before it opens its first connection.
//!
//! SQLite's default (serialized) threading takes the connection's mutex on every call and a
//! global one on every allocation, for memory statistics nobody reads: on a search page that
//! locking was a twentieth of the server's CPU (`perf`). Mediadesk never uses one connection
//! from two threads at once — the pool hands each to one task, and its statements run on that
//! task's thread ([`super::blocking`]) — which is all SQLite's multi-thread mode asks. Both
//! settings only take before SQLite initializes itself, which opening a connection or
//! registering an extension does, so [`configure`] runs first wherever the process may open
//! its first connection (migrations and pools).
#![allow(unsafe_code)]

use std::os::raw::c_int;
use std::sync::Once;

use libsqlite3_sys as ffi;

/// Sets the threading mode and registers [`super::fts_rank`]'s function. Idempotent.
pub fn configure() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: both options take (at most) one int; SQLite refuses them with SQLITE_MISUSE,
        // changing nothing, once it is initialized.
        let rc = unsafe {
            [
                ffi::sqlite3_config(ffi::SQLITE_CONFIG_MULTITHREAD),
                ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int),
            ]
        };
        if rc.iter().any(|rc| *rc != ffi::SQLITE_OK) {
            tracing::warn!(?rc, "SQLite was initialized before it could be configured; it keeps its locking");
        }
        super::fts_rank::install();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_opened_after_configure_have_no_mutex() {
        configure();
        let mut db: *mut ffi::sqlite3 = std::ptr::null_mut();
        // SAFETY: an in-memory database, opened and closed here; the pointer is not kept.
        unsafe {
            assert_eq!(ffi::sqlite3_open(c":memory:".as_ptr(), &mut db), ffi::SQLITE_OK);
            // Multi-thread mode gives a connection no mutex; serialized mode gives it one.
            let mutex = ffi::sqlite3_db_mutex(db);
            ffi::sqlite3_close(db);
            assert!(mutex.is_null(), "SQLite still locks every call on a connection");
        }
    }
}

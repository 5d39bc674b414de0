//! `mediadesk_rank(fts, weight…)`: the score SQLite's search ranks by, an FTS5 function of our
//! own registered on every SQLite connection this process opens.
//!
//! FTS5's `bm25` weighs each word by how rare it is, and to learn that it walks every row that
//! holds the word, once per query: for a word in most of a 100 000-item library that walk is
//! 2.4 ms, against 0.04 ms for finding the matches themselves, and it dominated the search page.
//! A search here keeps only items holding every word, so rarity changes little (nothing at all
//! for one word), and PostgreSQL's `ts_rank` has none either. This is `bm25` with every word's
//! weight set to one: how often the words occur in each column (times the column's weight),
//! saturating, against the row's length — and no walk.
//!
//! One of the modules with `unsafe` (with the decoders' and [`super::sqlite_setup`]): FTS5
//! functions exist only in its C API. Diesel does not hand out its connection's handle, so the
//! function is registered through `sqlite3_auto_extension`, which SQLite runs on each
//! connection it opens; [`install`] does that once, when [`super::sqlite_setup`] prepares
//! SQLite for the process. Nothing here allocates, panics or holds a pointer past the call it
//! was given in.
#![allow(unsafe_code)]

use std::os::raw::{c_char, c_int, c_void};
use std::sync::Once;

use libsqlite3_sys as ffi;

/// BM25's saturation and length-normalisation constants, FTS5's own.
const K1: f64 = 1.2;
const B: f64 = 0.75;
/// The most phrases a query's score tracks; a search has a handful of words.
const MAX_PHRASES: usize = 64;

/// Registers the function for every SQLite connection opened from now on. Idempotent.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: `register` has the entry-point signature SQLite calls it with.
        unsafe { ffi::sqlite3_auto_extension(Some(register)) };
    });
}

/// Finds the connection's FTS5 API (the documented `SELECT fts5(?1)` handshake) and adds the
/// function to it. A failure fails the connection's opening, with the reason.
unsafe extern "C" fn register(
    db: *mut ffi::sqlite3,
    err: *mut *mut c_char,
    _: *const ffi::sqlite3_api_routines,
) -> c_int {
    let mut api: *mut ffi::fts5_api = std::ptr::null_mut();
    let mut stmt: *mut ffi::sqlite3_stmt = std::ptr::null_mut();
    // SAFETY: `db` is the connection SQLite is opening; `api` outlives the statement, which is
    // finalized before it is read.
    unsafe {
        let mut rc =
            ffi::sqlite3_prepare_v2(db, c"SELECT fts5(?1)".as_ptr(), -1, &mut stmt, std::ptr::null_mut());
        if rc == ffi::SQLITE_OK {
            let ptr = (&mut api as *mut *mut ffi::fts5_api).cast::<c_void>();
            rc = ffi::sqlite3_bind_pointer(stmt, 1, ptr, c"fts5_api_ptr".as_ptr(), None);
        }
        if rc == ffi::SQLITE_OK {
            ffi::sqlite3_step(stmt);
        }
        ffi::sqlite3_finalize(stmt);
        let create = if api.is_null() { None } else { (*api).xCreateFunction };
        let Some(create) = create else {
            *err = ffi::sqlite3_mprintf(c"mediadesk_rank: this SQLite has no FTS5".as_ptr());
            return ffi::SQLITE_ERROR;
        };
        create(api, c"mediadesk_rank".as_ptr(), std::ptr::null_mut(), Some(rank), None)
    }
}

/// The score of the current row: for each phrase, its weighted count f over the columns,
/// `f (K1 + 1) / (f + K1 (1 − B + B · length / average length))`, summed. Arguments after the
/// table are column weights, as `bm25` takes them (1.0 for a column not given).
unsafe extern "C" fn rank(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut ffi::sqlite3_context,
    n_val: c_int,
    values: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite calls this with its API table, the cursor's context and `n_val` values,
    // all valid for the call.
    unsafe {
        match score(&*api, fts, n_val, values) {
            Ok(s) => ffi::sqlite3_result_double(ctx, s),
            Err(rc) => ffi::sqlite3_result_error_code(ctx, rc),
        }
    }
}

/// The score, or the SQLite error code an API call returned.
unsafe fn score(
    api: &ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    n_val: c_int,
    values: *mut *mut ffi::sqlite3_value,
) -> Result<f64, c_int> {
    let check = |rc: c_int| if rc == ffi::SQLITE_OK { Ok(()) } else { Err(rc) };
    // Every member is set by every SQLite with FTS5 (API version 2 and later).
    let missing = ffi::SQLITE_MISUSE;
    // SAFETY: as for `rank`; `values` has `n_val` entries, read only below that count.
    unsafe {
        let weight = |col: c_int| -> f64 {
            if col >= 0 && col < n_val { ffi::sqlite3_value_double(*values.add(col as usize)) } else { 1.0 }
        };
        let phrases = (api.xPhraseCount.ok_or(missing)?(fts).max(0) as usize).min(MAX_PHRASES);
        let mut freq = [0.0f64; MAX_PHRASES];
        let mut instances = 0;
        check(api.xInstCount.ok_or(missing)?(fts, &mut instances))?;
        for i in 0..instances {
            let (mut phrase, mut col, mut offset) = (0, 0, 0);
            check(api.xInst.ok_or(missing)?(fts, i, &mut phrase, &mut col, &mut offset))?;
            if let Some(f) = usize::try_from(phrase).ok().and_then(|p| freq.get_mut(p)) {
                *f += weight(col);
            }
        }
        let (mut rows, mut total, mut length) = (0i64, 0i64, 0 as c_int);
        check(api.xRowCount.ok_or(missing)?(fts, &mut rows))?;
        check(api.xColumnTotalSize.ok_or(missing)?(fts, -1, &mut total))?;
        check(api.xColumnSize.ok_or(missing)?(fts, -1, &mut length))?;
        let average = if rows > 0 && total > 0 { total as f64 / rows as f64 } else { 1.0 };
        let norm = K1 * (1.0 - B + B * f64::from(length) / average);
        Ok(freq[..phrases].iter().map(|&f| f * (K1 + 1.0) / (f + norm)).sum())
    }
}

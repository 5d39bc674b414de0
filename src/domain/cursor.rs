//! Where a newest-first page of the trash or the audit log goes on: the last row's time and id,
//! as `{unix microseconds}_{id}` in a link.

use chrono::NaiveDateTime;

pub fn encode_time_cursor((at, id): (NaiveDateTime, i64)) -> String {
    format!("{}_{id}", at.and_utc().timestamp_micros())
}

/// `None` for anything [`encode_time_cursor`] did not make.
pub fn decode_time_cursor(s: &str) -> Option<(NaiveDateTime, i64)> {
    let (micros, id) = s.split_once('_')?;
    let at = chrono::DateTime::from_timestamp_micros(micros.parse().ok()?)?;
    Some((at.naive_utc(), id.parse().ok()?))
}

//! The webhook cursor and the audit rows it walks. Rows are read after the cursor by id (the
//! primary key) and only once they are a few seconds old: ids are handed out at insert but rows
//! become visible at commit, so a younger row with a lower id could still be on its way.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::rows::{AuditRow, WebhookCursorRow};
use crate::db::schema::audit_log::dsl as l;
use crate::db::schema::webhook_cursor::dsl as w;
use crate::db::{DbConn, DbError, run};

/// The one row's key.
const ROW: i32 = 1;

pub struct WebhookRepo;

impl WebhookRepo {
    /// Creates the cursor at the log's end when there is none, so a first start does not send
    /// the whole history.
    pub async fn ensure(conn: &mut DbConn<'_>) -> Result<(), DbError> {
        let last: Option<i64> =
            run!(conn, |c| l::audit_log.select(diesel::dsl::max(l::id)).get_result(c).await)?;
        run!(conn, |c| diesel::insert_into(w::webhook_cursor)
            .values((w::id.eq(ROW), w::delivered_through.eq(last.unwrap_or(0)), w::attempts.eq(0)))
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Takes (or keeps) the lease for `holder` until `until`, if nobody else holds it at
    /// `now`; the cursor when it did.
    pub async fn claim(
        conn: &mut DbConn<'_>,
        holder: &str,
        now: NaiveDateTime,
        until: NaiveDateTime,
    ) -> Result<Option<WebhookCursorRow>, DbError> {
        let free = w::holder.eq(holder).or(w::lease_until.is_null()).or(w::lease_until.lt(now));
        let n = run!(conn, |c| diesel::update(w::webhook_cursor.find(ROW).filter(free))
            .set((w::holder.eq(holder), w::lease_until.eq(until)))
            .execute(c)
            .await)?;
        if n == 0 {
            return Ok(None);
        }
        Self::cursor(conn).await
    }

    pub async fn cursor(conn: &mut DbConn<'_>) -> Result<Option<WebhookCursorRow>, DbError> {
        Ok(run!(conn, |c| w::webhook_cursor
            .find(ROW)
            .select(WebhookCursorRow::as_select())
            .get_result(c)
            .await
            .optional())?)
    }

    /// Up to `limit` audit rows after `after`, oldest first, written before `settled`.
    pub async fn rows_after(
        conn: &mut DbConn<'_>,
        after: i64,
        settled: NaiveDateTime,
        limit: i64,
    ) -> Result<Vec<AuditRow>, DbError> {
        Ok(run!(conn, |c| l::audit_log
            .filter(l::id.gt(after))
            .filter(l::at.lt(settled))
            .order(l::id.asc())
            .limit(limit)
            .select(AuditRow::as_select())
            .load(c)
            .await)?)
    }

    /// Moves the cursor to `through` (sent, or not one to send), while `holder` holds it.
    pub async fn advance(
        conn: &mut DbConn<'_>,
        holder: &str,
        through: i64,
        sent_at: Option<NaiveDateTime>,
    ) -> Result<bool, DbError> {
        let n = run!(conn, |c| diesel::update(w::webhook_cursor.find(ROW).filter(w::holder.eq(holder)))
            .set((
                w::delivered_through.eq(through),
                w::attempts.eq(0),
                w::retry_at.eq(None::<NaiveDateTime>),
                w::last_error.eq(None::<String>),
            ))
            .execute(c)
            .await)?;
        // Only while still holding it: a cursor set by hand meanwhile keeps its own.
        if n == 1
            && let Some(at) = sent_at
        {
            run!(conn, |c| diesel::update(w::webhook_cursor.find(ROW).filter(w::holder.eq(holder)))
                .set(w::delivered_at.eq(at))
                .execute(c)
                .await)?;
        }
        Ok(n == 1)
    }

    /// Sets the cursor to `through` by hand (to send events again, or skip them), ends any
    /// lease, so a sender mid-pass stops at its next step, and forgets refusals.
    pub async fn reset(conn: &mut DbConn<'_>, through: i64) -> Result<(), DbError> {
        Self::ensure(conn).await?;
        run!(conn, |c| diesel::update(w::webhook_cursor.find(ROW))
            .set((
                w::delivered_through.eq(through),
                w::holder.eq(None::<String>),
                w::lease_until.eq(None::<NaiveDateTime>),
                w::attempts.eq(0),
                w::retry_at.eq(None::<NaiveDateTime>),
                w::last_error.eq(None::<String>),
            ))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Records a refused delivery: tried again at `retry_at`.
    pub async fn failed(
        conn: &mut DbConn<'_>,
        holder: &str,
        attempts: i32,
        retry_at: NaiveDateTime,
        error: &str,
    ) -> Result<(), DbError> {
        run!(conn, |c| diesel::update(w::webhook_cursor.find(ROW).filter(w::holder.eq(holder)))
            .set((w::attempts.eq(attempts), w::retry_at.eq(retry_at), w::last_error.eq(error)))
            .execute(c)
            .await)?;
        Ok(())
    }
}

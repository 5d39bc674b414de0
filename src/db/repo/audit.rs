//! The audit log: rows are added in the transaction of the action they record and never
//! changed (the migration refuses an UPDATE); old ones are pruned. Pages go newest first by
//! (at, id), each filter on an index of its own.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::rows::{AuditRow, NewAudit};
use crate::db::schema::audit_log::dsl as t;
use crate::db::{DbConn, DbError, run};
use crate::domain::AuditFilter;

/// Where a page of the log starts: after the row at (at, id).
pub type AuditCursor = (NaiveDateTime, i64);

pub struct AuditRepo;

impl AuditRepo {
    pub async fn add(conn: &mut DbConn<'_>, row: &NewAudit) -> Result<(), DbError> {
        run!(conn, |c| diesel::insert_into(t::audit_log).values(row).execute(c).await)?;
        Ok(())
    }

    /// Up to `limit` rows matching `filter`, newest first, after `after`.
    pub async fn page(
        conn: &mut DbConn<'_>,
        filter: &AuditFilter,
        after: Option<AuditCursor>,
        limit: i64,
    ) -> Result<Vec<AuditRow>, DbError> {
        Ok(run!(conn, |c| {
            let mut q = t::audit_log.select(AuditRow::as_select()).into_boxed();
            if let Some(actor) = filter.actor {
                q = q.filter(t::actor_id.eq(actor));
            }
            if let Some(action) = filter.action {
                q = q.filter(t::action.eq(action.as_str()));
            }
            if let Some((kind, id)) = filter.item {
                q = q.filter(t::item_kind.eq(kind.as_str())).filter(t::item_id.eq(id));
            }
            if let Some(since) = filter.since {
                q = q.filter(t::at.ge(since));
            }
            if let Some(until) = filter.until {
                q = q.filter(t::at.lt(until));
            }
            if let Some((at, id)) = after {
                q = q.filter(t::at.lt(at).or(t::at.eq(at).and(t::id.lt(id))));
            }
            q.order((t::at.desc(), t::id.desc())).limit(limit).load(c).await
        })?)
    }

    /// Deletes rows older than `before` (retention), but none after `keep_after`; how many.
    pub async fn prune(
        conn: &mut DbConn<'_>,
        before: NaiveDateTime,
        keep_after: Option<i64>,
    ) -> Result<usize, DbError> {
        let through = keep_after.unwrap_or(i64::MAX);
        Ok(run!(conn, |c| diesel::delete(t::audit_log.filter(t::at.lt(before).and(t::id.le(through))))
            .execute(c)
            .await)?)
    }
}

//! Share links. Each list walks one index newest first: an item's links, one account's, or
//! everyone's; "live only" is a filter on the rows that walk finds. Revoking sets `revoked_at`
//! on links still live and leaves ended ones as they ended.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::rows::{NewShare, ShareRow};
use crate::db::schema::shares::dsl as t;
use crate::db::{DbConn, DbError, run};
use crate::domain::MediaKind;

/// Whose links a list or a revocation covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareScope {
    Item(MediaKind, i64),
    /// Made by this account.
    Creator(i64),
    Everyone,
}

/// Where a page of links starts: after the link at (created_at, id).
pub type ShareCursor = (NaiveDateTime, i64);

pub struct ShareRepo;

impl ShareRepo {
    pub async fn create(conn: &mut DbConn<'_>, row: &NewShare<'_>) -> Result<ShareRow, DbError> {
        Ok(run!(conn, |c| diesel::insert_into(t::shares)
            .values(row)
            .returning(ShareRow::as_returning())
            .get_result(c)
            .await)?)
    }

    pub async fn by_token_hash(conn: &mut DbConn<'_>, hash: &str) -> Result<Option<ShareRow>, DbError> {
        Ok(run!(conn, |c| t::shares
            .filter(t::token_hash.eq(hash))
            .select(ShareRow::as_select())
            .get_result(c)
            .await
            .optional())?)
    }

    pub async fn by_id(conn: &mut DbConn<'_>, id: i64) -> Result<Option<ShareRow>, DbError> {
        Ok(run!(conn, |c| t::shares.find(id).select(ShareRow::as_select()).get_result(c).await.optional())?)
    }

    /// Up to `limit` links of `scope`, newest first, after `after`; only those live at
    /// `live_at` when it is given.
    pub async fn page(
        conn: &mut DbConn<'_>,
        scope: ShareScope,
        live_at: Option<NaiveDateTime>,
        after: Option<ShareCursor>,
        limit: i64,
    ) -> Result<Vec<ShareRow>, DbError> {
        Ok(run!(conn, |c| {
            let mut q = t::shares.select(ShareRow::as_select()).into_boxed();
            match scope {
                ShareScope::Item(kind, id) => {
                    q = q.filter(t::kind.eq(kind.as_str())).filter(t::item_id.eq(id));
                }
                ShareScope::Creator(user) => q = q.filter(t::created_by.eq(user)),
                ShareScope::Everyone => {}
            }
            if let Some(now) = live_at {
                q = q
                    .filter(t::revoked_at.is_null())
                    .filter(t::expires_at.is_null().or(t::expires_at.gt(now)));
            }
            if let Some((at, id)) = after {
                q = q.filter(t::created_at.lt(at).or(t::created_at.eq(at).and(t::id.lt(id))));
            }
            q.order((t::created_at.desc(), t::id.desc())).limit(limit).load(c).await
        })?)
    }

    /// How many links live at `now` each of `ids` (items of `kind`) has; items without one are
    /// left out. Walks the item index.
    pub async fn live_counts(
        conn: &mut DbConn<'_>,
        kind: MediaKind,
        ids: &[i64],
        now: NaiveDateTime,
    ) -> Result<Vec<(i64, i64)>, DbError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(run!(conn, |c| t::shares
            .filter(t::kind.eq(kind.as_str()))
            .filter(t::item_id.eq_any(ids))
            .filter(t::revoked_at.is_null())
            .filter(t::expires_at.is_null().or(t::expires_at.gt(now)))
            .group_by(t::item_id)
            .select((t::item_id, diesel::dsl::count_star()))
            .load(c)
            .await)?)
    }

    /// Counts an open of the public page.
    pub async fn opened(conn: &mut DbConn<'_>, id: i64, now: NaiveDateTime) -> Result<(), DbError> {
        run!(conn, |c| diesel::update(t::shares.find(id))
            .set((t::opens.eq(t::opens + 1), t::last_opened_at.eq(now)))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Revokes one link if it is still live; whether it was.
    pub async fn revoke(conn: &mut DbConn<'_>, id: i64, now: NaiveDateTime) -> Result<bool, DbError> {
        let n = run!(conn, |c| diesel::update(
            t::shares
                .find(id)
                .filter(t::revoked_at.is_null())
                .filter(t::expires_at.is_null().or(t::expires_at.gt(now)))
        )
        .set(t::revoked_at.eq(now))
        .execute(c)
        .await)?;
        Ok(n > 0)
    }

    /// Revokes every live link of `scope`; how many.
    pub async fn revoke_all(
        conn: &mut DbConn<'_>,
        scope: ShareScope,
        now: NaiveDateTime,
    ) -> Result<usize, DbError> {
        let live = t::revoked_at.is_null().and(t::expires_at.is_null().or(t::expires_at.gt(now)));
        Ok(match scope {
            ShareScope::Item(kind, id) => run!(conn, |c| diesel::update(
                t::shares.filter(t::kind.eq(kind.as_str())).filter(t::item_id.eq(id)).filter(live)
            )
            .set(t::revoked_at.eq(now))
            .execute(c)
            .await)?,
            ShareScope::Creator(user) => {
                run!(conn, |c| diesel::update(t::shares.filter(t::created_by.eq(user)).filter(live))
                    .set(t::revoked_at.eq(now))
                    .execute(c)
                    .await)?
            }
            ShareScope::Everyone => run!(conn, |c| diesel::update(t::shares.filter(live))
                .set(t::revoked_at.eq(now))
                .execute(c)
                .await)?,
        })
    }
}

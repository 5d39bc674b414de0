use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::rows::PendingDeletionRow;
use crate::db::schema::pending_deletions::dsl as t;
use crate::db::{DbConn, DbError, run};

/// Objects whose rows are gone and whose bytes still have to be removed from the store.
pub struct PendingDeletionRepo;

impl PendingDeletionRepo {
    pub async fn add(conn: &mut DbConn<'_>, keys: &[&str], now: NaiveDateTime) -> Result<Vec<i64>, DbError> {
        Self::add_due(conn, keys, now, now).await
    }

    /// Records keys whose first attempt should wait until `due`.
    pub async fn add_due(
        conn: &mut DbConn<'_>,
        keys: &[&str],
        now: NaiveDateTime,
        due: NaiveDateTime,
    ) -> Result<Vec<i64>, DbError> {
        let mut ids = Vec::with_capacity(keys.len());
        for key in keys {
            let id = run!(conn, |c| diesel::insert_into(t::pending_deletions)
                .values((
                    t::storage_key.eq(*key),
                    t::attempts.eq(0),
                    t::created_at.eq(now),
                    t::next_attempt_at.eq(due),
                ))
                .returning(t::id)
                .get_result::<i64>(c)
                .await)?;
            ids.push(id);
        }
        Ok(ids)
    }

    /// Entries whose next attempt is due, oldest first.
    pub async fn due(
        conn: &mut DbConn<'_>,
        now: NaiveDateTime,
        limit: i64,
    ) -> Result<Vec<PendingDeletionRow>, DbError> {
        Ok(run!(conn, |c| t::pending_deletions
            .filter(t::next_attempt_at.le(now))
            .order(t::id.asc())
            .limit(limit)
            .select(PendingDeletionRow::as_select())
            .load(c)
            .await)?)
    }

    pub async fn by_ids(conn: &mut DbConn<'_>, ids: &[i64]) -> Result<Vec<PendingDeletionRow>, DbError> {
        Ok(run!(conn, |c| t::pending_deletions
            .filter(t::id.eq_any(ids))
            .order(t::id.asc())
            .select(PendingDeletionRow::as_select())
            .load(c)
            .await)?)
    }

    /// Whether `key` is waiting to be deleted (one lookup on `pending_deletions_key`).
    pub async fn contains(conn: &mut DbConn<'_>, key: &str) -> Result<bool, DbError> {
        let found: Option<i64> = run!(conn, |c| t::pending_deletions
            .filter(t::storage_key.eq(key))
            .select(t::id)
            .get_result(c)
            .await
            .optional())?;
        Ok(found.is_some())
    }

    pub async fn all(conn: &mut DbConn<'_>) -> Result<Vec<PendingDeletionRow>, DbError> {
        Ok(run!(conn, |c| t::pending_deletions
            .order(t::id.asc())
            .select(PendingDeletionRow::as_select())
            .load(c)
            .await)?)
    }

    pub async fn done(conn: &mut DbConn<'_>, id: i64) -> Result<(), DbError> {
        run!(conn, |c| diesel::delete(t::pending_deletions.find(id)).execute(c).await)?;
        Ok(())
    }

    pub async fn failed(
        conn: &mut DbConn<'_>,
        id: i64,
        error: &str,
        next_attempt_at: NaiveDateTime,
    ) -> Result<(), DbError> {
        run!(conn, |c| diesel::update(t::pending_deletions.find(id))
            .set((
                t::attempts.eq(t::attempts + 1),
                t::last_error.eq(error),
                t::next_attempt_at.eq(next_attempt_at),
            ))
            .execute(c)
            .await)?;
        Ok(())
    }
}

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::rows::ResumableRow;
use crate::db::schema::resumable_uploads::dsl as t;
use crate::db::{DbConn, DbError, run};

/// Uploads arriving in pieces. Every change to one is conditional on the offset it started
/// from, so two processes taking pieces of one upload at once cannot both move it on.
pub struct ResumableRepo;

/// What a piece changed: the new offset and held-back bytes, and what the first piece learned.
pub struct Advance<'a> {
    pub received: i64,
    pub tail: &'a [u8],
    pub content_type: Option<&'a str>,
    pub storage_key: Option<&'a str>,
    pub assembly_id: Option<&'a str>,
    pub expires_at: NaiveDateTime,
}

impl ResumableRepo {
    pub async fn create(conn: &mut DbConn<'_>, row: &ResumableRow) -> Result<(), DbError> {
        run!(conn, |c| diesel::insert_into(t::resumable_uploads).values(row).execute(c).await)?;
        Ok(())
    }

    pub async fn by_id(conn: &mut DbConn<'_>, id: &str) -> Result<Option<ResumableRow>, DbError> {
        Ok(run!(conn, |c| t::resumable_uploads
            .find(id)
            .select(ResumableRow::as_select())
            .get_result(c)
            .await
            .optional())?)
    }

    /// Moves the upload from offset `from` on; false when it is no longer at `from`.
    pub async fn advance(
        conn: &mut DbConn<'_>,
        id: &str,
        from: i64,
        to: &Advance<'_>,
    ) -> Result<bool, DbError> {
        let changed = run!(conn, |c| diesel::update(
            t::resumable_uploads.filter(t::id.eq(id)).filter(t::received.eq(from))
        )
        .set((
            t::received.eq(to.received),
            t::tail.eq(to.tail),
            t::content_type.eq(to.content_type),
            t::storage_key.eq(to.storage_key),
            t::assembly_id.eq(to.assembly_id),
            t::expires_at.eq(to.expires_at),
        ))
        .execute(c)
        .await)?;
        Ok(changed == 1)
    }

    /// Uploads past their expiry, soonest first (an index walk on `resumable_uploads_expires`).
    pub async fn expired(
        conn: &mut DbConn<'_>,
        at: NaiveDateTime,
        limit: i64,
    ) -> Result<Vec<ResumableRow>, DbError> {
        Ok(run!(conn, |c| t::resumable_uploads
            .filter(t::expires_at.lt(at))
            .order(t::expires_at.asc())
            .limit(limit)
            .select(ResumableRow::as_select())
            .load(c)
            .await)?)
    }

    /// Removes the upload if it is still at offset `at`; false when it moved or is gone.
    pub async fn remove_at(conn: &mut DbConn<'_>, id: &str, at: i64) -> Result<bool, DbError> {
        let n = run!(conn, |c| diesel::delete(
            t::resumable_uploads.filter(t::id.eq(id)).filter(t::received.eq(at))
        )
        .execute(c)
        .await)?;
        Ok(n == 1)
    }

    pub async fn delete(conn: &mut DbConn<'_>, id: &str) -> Result<(), DbError> {
        run!(conn, |c| diesel::delete(t::resumable_uploads.find(id)).execute(c).await)?;
        Ok(())
    }

    pub async fn count(conn: &mut DbConn<'_>) -> Result<i64, DbError> {
        Ok(run!(conn, |c| t::resumable_uploads.count().get_result(c).await)?)
    }
}

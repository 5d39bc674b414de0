//! Bytes stored per owner, for quotas. `storage_usage` is kept by triggers (see the quotas
//! migration) in the transaction of every change to the rows it sums, so reading it inside a
//! transaction that just added an item includes that item, and a concurrent writer for the
//! same owner waits on its row (PostgreSQL) or on the database (SQLite) until this one ends.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::{audios, images, storage_usage, trash, versions};
use crate::db::{DbConn, DbError, run};

pub struct UsageRepo;

impl UsageRepo {
    /// Bytes stored for the owner's items, their versions and their trash.
    pub async fn of(conn: &mut DbConn<'_>, owner: i64) -> Result<i64, DbError> {
        use storage_usage::dsl as u;
        let found: Option<i64> =
            run!(conn, |c| u::storage_usage.find(owner).select(u::bytes).get_result(c).await.optional())?;
        Ok(found.unwrap_or(0))
    }

    /// Every owner's bytes (owners who never stored anything are missing).
    pub async fn all(conn: &mut DbConn<'_>) -> Result<Vec<(i64, i64)>, DbError> {
        use storage_usage::dsl as u;
        Ok(run!(conn, |c| u::storage_usage.select((u::owner_id, u::bytes)).load(c).await)?)
    }

    /// The same sum counted from the rows themselves, to check the running total against.
    pub async fn recount(conn: &mut DbConn<'_>, owner: i64) -> Result<i64, DbError> {
        let image_sizes: Vec<(i64, i64, i64, i64)> = run!(conn, |c| images::table
            .filter(images::owner_id.eq(owner))
            .select((
                images::byte_size,
                images::thumbnail_bytes,
                images::display_bytes,
                images::private_bytes
            ))
            .load(c)
            .await)?;
        let audio_sizes: Vec<(i64, i64)> = run!(conn, |c| audios::table
            .filter(audios::owner_id.eq(owner))
            .select((audios::byte_size, audios::rendition_bytes))
            .load(c)
            .await)?;
        let trashed: Vec<i64> = run!(conn, |c| trash::table
            .filter(trash::owner_id.eq(owner))
            .select(trash::stored_bytes)
            .load(c)
            .await)?;
        let kept: Vec<i64> = run!(conn, |c| versions::table
            .filter(versions::owner_id.eq(owner))
            .select(versions::stored_bytes)
            .load(c)
            .await)?;
        Ok(image_sizes.iter().map(|(a, b, c, d)| a + b + c + d).sum::<i64>()
            + audio_sizes.iter().map(|(a, b)| a + b).sum::<i64>()
            + trashed.iter().chain(&kept).sum::<i64>())
    }
}

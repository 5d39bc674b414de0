//! The `versions` table: the files an item had before its file was replaced.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::rows::{NewVersion, VersionRow};
use crate::db::schema::collection_items::dsl as ci;
use crate::db::schema::item_tags::dsl as it;
use crate::db::schema::versions::dsl as t;
use crate::db::{DbConn, DbError, run};

pub struct VersionRepo;

impl VersionRepo {
    pub async fn add(conn: &mut DbConn<'_>, new: &NewVersion<'_>) -> Result<(), DbError> {
        run!(conn, |c| diesel::insert_into(t::versions).values(new).execute(c).await)?;
        Ok(())
    }

    /// An item's earlier files, the most recently replaced first.
    pub async fn of_item(conn: &mut DbConn<'_>, (kind, id): (&str, i64)) -> Result<Vec<VersionRow>, DbError> {
        Ok(run!(conn, |c| t::versions
            .filter(t::kind.eq(kind))
            .filter(t::item_id.eq(id))
            .order((t::replaced_at.desc(), t::id.desc()))
            .select(VersionRow::as_select())
            .load(c)
            .await)?)
    }

    pub async fn by_id(conn: &mut DbConn<'_>, id: i64) -> Result<Option<VersionRow>, DbError> {
        Ok(run!(conn, |c| t::versions
            .find(id)
            .select(VersionRow::as_select())
            .get_result(c)
            .await
            .optional())?)
    }

    /// Removes a version; false when it was gone already.
    pub async fn remove(conn: &mut DbConn<'_>, id: i64) -> Result<bool, DbError> {
        Ok(run!(conn, |c| diesel::delete(t::versions.find(id)).execute(c).await)? == 1)
    }

    /// Versions whose time is over, oldest first.
    pub async fn expired(
        conn: &mut DbConn<'_>,
        now: NaiveDateTime,
        limit: i64,
    ) -> Result<Vec<VersionRow>, DbError> {
        Ok(run!(conn, |c| t::versions
            .filter(t::purge_at.le(now))
            .order(t::purge_at.asc())
            .limit(limit)
            .select(VersionRow::as_select())
            .load(c)
            .await)?)
    }

    /// The trash keys of every version, for reconciliation.
    pub async fn all_keys(conn: &mut DbConn<'_>) -> Result<Vec<String>, DbError> {
        Ok(run!(conn, |c| t::versions.select(t::object_keys).load(c).await)?)
    }

    /// Keeps the copies of an item's file name and size in its tag and collection rows (which
    /// their galleries sort by) in step with a new file.
    pub async fn refresh_copies(
        conn: &mut DbConn<'_>,
        (kind, id): (&str, i64),
        filename: &str,
        size: i64,
    ) -> Result<(), DbError> {
        run!(conn, |c| diesel::update(it::item_tags.filter(it::kind.eq(kind)).filter(it::item_id.eq(id)))
            .set((it::original_filename.eq(filename), it::byte_size.eq(size)))
            .execute(c)
            .await)?;
        run!(conn, |c| diesel::update(
            ci::collection_items.filter(ci::kind.eq(kind)).filter(ci::item_id.eq(id))
        )
        .set((ci::original_filename.eq(filename), ci::byte_size.eq(size)))
        .execute(c)
        .await)?;
        Ok(())
    }
}

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{OwnerFilter, PageParams};
use crate::db::rows::{ImageRow, NewImage};
use crate::db::schema::images::dsl as t;
use crate::db::{DbConn, DbError, run};

pub struct ImageRepo;

macro_rules! filtered {
    ($filter:expr) => {{
        let mut q = t::images.into_boxed();
        match $filter {
            OwnerFilter::Any => {}
            OwnerFilter::System => q = q.filter(t::owner_id.is_null()),
            OwnerFilter::User(id) => q = q.filter(t::owner_id.eq(id)),
            OwnerFilter::Visible(id) => q = q.filter(t::owner_id.eq(id).or(t::owner_id.is_null())),
        }
        q
    }};
}

impl ImageRepo {
    pub async fn create(conn: &mut DbConn<'_>, new: &NewImage<'_>) -> Result<ImageRow, DbError> {
        Ok(run!(conn, |c| diesel::insert_into(t::images)
            .values(new)
            .returning(ImageRow::as_returning())
            .get_result(c)
            .await)?)
    }

    pub async fn by_id(conn: &mut DbConn<'_>, id: i64) -> Result<Option<ImageRow>, DbError> {
        Ok(run!(conn, |c| t::images.find(id).select(ImageRow::as_select()).first(c).await.optional())?)
    }

    pub async fn by_storage_key(conn: &mut DbConn<'_>, key: &str) -> Result<Option<ImageRow>, DbError> {
        Ok(run!(conn, |c| t::images
            .filter(t::storage_key.eq(key))
            .select(ImageRow::as_select())
            .first(c)
            .await
            .optional())?)
    }

    /// Newest first, with the total count of the filter.
    pub async fn list(
        conn: &mut DbConn<'_>,
        filter: OwnerFilter,
        page: PageParams,
    ) -> Result<(Vec<ImageRow>, i64), DbError> {
        let rows = run!(conn, |c| filtered!(filter)
            .order((t::created_at.desc(), t::id.desc()))
            .limit(page.limit)
            .offset(page.offset)
            .select(ImageRow::as_select())
            .load(c)
            .await)?;
        let total = run!(conn, |c| filtered!(filter).count().get_result::<i64>(c).await)?;
        Ok((rows, total))
    }

    pub async fn list_by_owner(
        conn: &mut DbConn<'_>,
        owner_id: i64,
        page: PageParams,
    ) -> Result<(Vec<ImageRow>, i64), DbError> {
        Self::list(conn, OwnerFilter::User(owner_id), page).await
    }

    pub async fn list_system(
        conn: &mut DbConn<'_>,
        page: PageParams,
    ) -> Result<(Vec<ImageRow>, i64), DbError> {
        Self::list(conn, OwnerFilter::System, page).await
    }

    /// Returns whether a row was deleted.
    pub async fn delete(conn: &mut DbConn<'_>, id: i64) -> Result<bool, DbError> {
        Ok(run!(conn, |c| diesel::delete(t::images.find(id)).execute(c).await)? == 1)
    }

    pub async fn exists(conn: &mut DbConn<'_>, id: i64) -> Result<bool, DbError> {
        Ok(run!(conn, |c| diesel::select(diesel::dsl::exists(t::images.find(id)))
            .get_result::<bool>(c)
            .await)?)
    }

    pub async fn set_thumbnail_key(conn: &mut DbConn<'_>, id: i64, key: Option<&str>) -> Result<(), DbError> {
        run!(conn, |c| diesel::update(t::images.find(id)).set(t::thumbnail_key.eq(key)).execute(c).await)?;
        Ok(())
    }

    /// Every storage key the table refers to (originals and thumbnails), for reconciliation.
    pub async fn all_keys(conn: &mut DbConn<'_>) -> Result<Vec<(i64, String, Option<String>)>, DbError> {
        Ok(run!(conn, |c| t::images.select((t::id, t::storage_key, t::thumbnail_key)).load(c).await)?)
    }
}

//! An audio item's regions (named ranges and markers).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::rows::{NewRegion, RegionRow};
use crate::db::schema::audio_regions::dsl as r;
use crate::db::{DbConn, DbError, run};

pub struct RegionRepo;

impl RegionRepo {
    /// The item's regions in time order.
    pub async fn of_audio(conn: &mut DbConn<'_>, audio_id: i64) -> Result<Vec<RegionRow>, DbError> {
        Ok(run!(conn, |c| r::audio_regions
            .filter(r::audio_id.eq(audio_id))
            .order((r::start_ms.asc(), r::id.asc()))
            .select(RegionRow::as_select())
            .load(c)
            .await)?)
    }

    pub async fn create(conn: &mut DbConn<'_>, new: &NewRegion<'_>) -> Result<RegionRow, DbError> {
        Ok(run!(conn, |c| diesel::insert_into(r::audio_regions)
            .values(new)
            .returning(RegionRow::as_returning())
            .get_result(c)
            .await)?)
    }

    /// Puts regions back as a trash snapshot kept them.
    pub async fn restore(conn: &mut DbConn<'_>, rows: &[RegionRow]) -> Result<(), DbError> {
        for row in rows {
            run!(conn, |c| diesel::insert_into(r::audio_regions).values(row).execute(c).await)?;
        }
        Ok(())
    }

    /// The region of that item, locked until the transaction ends (a no-op write: a row lock on
    /// PostgreSQL, the write lock on SQLite) so that what is read is what a change replaces.
    pub async fn locked(
        conn: &mut DbConn<'_>,
        (audio_id, id): (i64, i64),
    ) -> Result<Option<RegionRow>, DbError> {
        Ok(run!(conn, |c| diesel::update(r::audio_regions.find(id))
            .filter(r::audio_id.eq(audio_id))
            .set(r::id.eq(r::id))
            .returning(RegionRow::as_returning())
            .get_result(c)
            .await
            .optional())?)
    }

    pub async fn update(
        conn: &mut DbConn<'_>,
        (audio_id, id): (i64, i64),
        (start_ms, end_ms, label): (i64, Option<i64>, &str),
        at: NaiveDateTime,
    ) -> Result<(), DbError> {
        run!(conn, |c| diesel::update(r::audio_regions.find(id))
            .filter(r::audio_id.eq(audio_id))
            .set((r::start_ms.eq(start_ms), r::end_ms.eq(end_ms), r::label.eq(label), r::updated_at.eq(at)))
            .execute(c)
            .await)?;
        Ok(())
    }

    pub async fn delete(conn: &mut DbConn<'_>, (audio_id, id): (i64, i64)) -> Result<(), DbError> {
        run!(conn, |c| diesel::delete(r::audio_regions.find(id))
            .filter(r::audio_id.eq(audio_id))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Removes the regions that reach past `duration_ms` (a new, shorter file) and returns them.
    pub async fn drop_beyond(
        conn: &mut DbConn<'_>,
        audio_id: i64,
        duration_ms: i64,
    ) -> Result<Vec<RegionRow>, DbError> {
        Ok(run!(conn, |c| diesel::delete(r::audio_regions)
            .filter(r::audio_id.eq(audio_id))
            .filter(r::start_ms.ge(duration_ms).or(r::end_ms.gt(duration_ms)))
            .returning(RegionRow::as_returning())
            .get_results(c)
            .await)?)
    }
}

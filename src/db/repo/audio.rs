use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{OwnerFilter, PageParams};
use crate::db::rows::{AudioRow, NewAudio};
use crate::db::schema::audios::dsl as t;
use crate::db::{DbConn, DbError, run};

pub struct AudioRepo;

macro_rules! filtered {
    ($filter:expr) => {{
        let mut q = t::audios.into_boxed();
        match $filter {
            OwnerFilter::Any => {}
            OwnerFilter::System => q = q.filter(t::owner_id.is_null()),
            OwnerFilter::User(id) => q = q.filter(t::owner_id.eq(id)),
            OwnerFilter::Visible(id) => q = q.filter(t::owner_id.eq(id).or(t::owner_id.is_null())),
        }
        q
    }};
}

impl AudioRepo {
    pub async fn create(conn: &mut DbConn<'_>, new: &NewAudio<'_>) -> Result<AudioRow, DbError> {
        Ok(run!(conn, |c| diesel::insert_into(t::audios)
            .values(new)
            .returning(AudioRow::as_returning())
            .get_result(c)
            .await)?)
    }

    pub async fn by_id(conn: &mut DbConn<'_>, id: i64) -> Result<Option<AudioRow>, DbError> {
        Ok(run!(conn, |c| t::audios.find(id).select(AudioRow::as_select()).first(c).await.optional())?)
    }

    pub async fn by_storage_key(conn: &mut DbConn<'_>, key: &str) -> Result<Option<AudioRow>, DbError> {
        Ok(run!(conn, |c| t::audios
            .filter(t::storage_key.eq(key))
            .select(AudioRow::as_select())
            .first(c)
            .await
            .optional())?)
    }

    /// Newest first, with the total count of the filter.
    pub async fn list(
        conn: &mut DbConn<'_>,
        filter: OwnerFilter,
        page: PageParams,
    ) -> Result<(Vec<AudioRow>, i64), DbError> {
        let rows = run!(conn, |c| filtered!(filter)
            .order((t::created_at.desc(), t::id.desc()))
            .limit(page.limit)
            .offset(page.offset)
            .select(AudioRow::as_select())
            .load(c)
            .await)?;
        let total = run!(conn, |c| filtered!(filter).count().get_result::<i64>(c).await)?;
        Ok((rows, total))
    }

    pub async fn list_by_owner(
        conn: &mut DbConn<'_>,
        owner_id: i64,
        page: PageParams,
    ) -> Result<(Vec<AudioRow>, i64), DbError> {
        Self::list(conn, OwnerFilter::User(owner_id), page).await
    }

    pub async fn list_system(
        conn: &mut DbConn<'_>,
        page: PageParams,
    ) -> Result<(Vec<AudioRow>, i64), DbError> {
        Self::list(conn, OwnerFilter::System, page).await
    }

    /// Returns whether a row was deleted.
    pub async fn delete(conn: &mut DbConn<'_>, id: i64) -> Result<bool, DbError> {
        Ok(run!(conn, |c| diesel::delete(t::audios.find(id)).execute(c).await)? == 1)
    }

    pub async fn exists(conn: &mut DbConn<'_>, id: i64) -> Result<bool, DbError> {
        Ok(run!(conn, |c| diesel::select(diesel::dsl::exists(t::audios.find(id)))
            .get_result::<bool>(c)
            .await)?)
    }

    /// Returns whether a row was updated.
    pub async fn update_transcript(
        conn: &mut DbConn<'_>,
        id: i64,
        transcript: Option<&str>,
        now: chrono::NaiveDateTime,
    ) -> Result<bool, DbError> {
        Ok(run!(conn, |c| diesel::update(t::audios.find(id))
            .set((t::transcript.eq(transcript), t::updated_at.eq(now)))
            .execute(c)
            .await)?
            == 1)
    }

    pub async fn set_waveform_key(conn: &mut DbConn<'_>, id: i64, key: Option<&str>) -> Result<(), DbError> {
        run!(conn, |c| diesel::update(t::audios.find(id)).set(t::waveform_key.eq(key)).execute(c).await)?;
        Ok(())
    }

    /// Every storage key the table refers to (originals and waveforms), for reconciliation.
    pub async fn all_keys(conn: &mut DbConn<'_>) -> Result<Vec<(i64, String, Option<String>)>, DbError> {
        Ok(run!(conn, |c| t::audios.select((t::id, t::storage_key, t::waveform_key)).load(c).await)?)
    }
}

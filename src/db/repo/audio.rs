use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::media_table::{media_repo, owner_filtered};
use super::{OwnerFilter, PageParams};
use crate::db::rows::{AudioRow, NewAudio};
use crate::db::schema::audios::dsl as t;
use crate::db::{DbConn, DbError, run};

media_repo!(AudioRepo, audios, AudioRow, NewAudio, waveform_key, set_waveform_key);

impl AudioRepo {
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
}

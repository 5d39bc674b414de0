//! The `audios` table. Its twin, `images`, has the same shape; each repo is written out
//! in full so every query can be found and read where it runs.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::SoundRepo;
use crate::db::rows::{AudioDescription, AudioFile, AudioHealth, AudioRow, NewAudio};
use crate::db::schema::audios::dsl as t;
use crate::db::{DbConn, DbError, run};

pub struct AudioRepo;

/// An audio row's id, original key, waveform key and rendition key.
pub type AudioKeys = (i64, String, Option<String>, Option<String>);

impl AudioRepo {
    /// Inserts the row and its print's keys (in the caller's transaction).
    pub async fn create(conn: &mut DbConn<'_>, new: &NewAudio<'_>) -> Result<AudioRow, DbError> {
        let row = run!(conn, |c| diesel::insert_into(t::audios)
            .values(new)
            .returning(AudioRow::as_returning())
            .get_result(c)
            .await)?;
        SoundRepo::write_keys(conn, row.id, row.print.as_deref()).await?;
        Ok(row)
    }

    /// Inserts many rows (one statement on PostgreSQL; SQLite has no multi-row insert with
    /// defaults); returns how many. For load-test rows.
    pub async fn create_many(conn: &mut DbConn<'_>, rows: &[NewAudio<'_>]) -> Result<usize, DbError> {
        match conn {
            DbConn::Pg(c) => Ok(diesel::insert_into(t::audios).values(rows).execute(&mut **c).await?),
            DbConn::Sqlite(c) => {
                let mut n = 0;
                for row in rows {
                    n += diesel::insert_into(t::audios).values(row).execute(&mut **c).await?;
                }
                Ok(n)
            }
        }
    }

    /// Locks the row for the rest of the transaction; false when it is gone. A no-op update
    /// rather than `FOR UPDATE`, which SQLite lacks: there it takes the database's write lock
    /// before the transaction reads, so two edits of one item take turns instead of both
    /// reading the same text and the later one failing (or writing over the first).
    pub async fn lock(conn: &mut DbConn<'_>, id: i64) -> Result<bool, DbError> {
        Ok(run!(conn, |c| diesel::update(t::audios.find(id)).set(t::id.eq(t::id)).execute(c).await)? == 1)
    }

    /// Replaces what is written about the item.
    pub async fn describe(conn: &mut DbConn<'_>, id: i64, d: &AudioDescription<'_>) -> Result<(), DbError> {
        run!(conn, |c| diesel::update(t::audios.find(id)).set(d).execute(c).await)?;
        Ok(())
    }

    pub async fn by_id(conn: &mut DbConn<'_>, id: i64) -> Result<Option<AudioRow>, DbError> {
        Ok(run!(conn, |c| t::audios.find(id).select(AudioRow::as_select()).get_result(c).await.optional())?)
    }

    /// The rows of those ids that exist, in no particular order.
    pub async fn by_ids(conn: &mut DbConn<'_>, ids: &[i64]) -> Result<Vec<AudioRow>, DbError> {
        Ok(run!(conn, |c| t::audios.filter(t::id.eq_any(ids)).select(AudioRow::as_select()).load(c).await)?)
    }

    /// Puts another file in place (and its print's keys), if the item still has the file `was`
    /// (the original's key); false when it is gone or its file changed meanwhile.
    pub async fn set_file(
        conn: &mut DbConn<'_>,
        id: i64,
        was: &str,
        file: &AudioFile<'_>,
    ) -> Result<bool, DbError> {
        let n = run!(conn, |c| diesel::update(t::audios.find(id).filter(t::storage_key.eq(was)))
            .set(file)
            .execute(c)
            .await)?;
        if n == 1 {
            SoundRepo::write_keys(conn, id, file.print).await?;
        }
        Ok(n == 1)
    }

    /// Gives the item the print (and keys) made from its file `was`, if it still holds it.
    pub async fn set_print(conn: &mut DbConn<'_>, id: i64, was: &str, print: &[u8]) -> Result<bool, DbError> {
        let n = run!(conn, |c| diesel::update(t::audios.find(id).filter(t::storage_key.eq(was)))
            .set(t::print.eq(print))
            .execute(c)
            .await)?;
        if n == 1 {
            SoundRepo::write_keys(conn, id, Some(print)).await?;
        }
        Ok(n == 1)
    }

    /// Returns whether a row was deleted.
    pub async fn delete(conn: &mut DbConn<'_>, id: i64) -> Result<bool, DbError> {
        Ok(run!(conn, |c| diesel::delete(t::audios.find(id)).execute(c).await)? == 1)
    }

    /// Sets or clears the name of the waveform object.
    pub async fn set_waveform_key(conn: &mut DbConn<'_>, id: i64, key: Option<&str>) -> Result<(), DbError> {
        run!(conn, |c| diesel::update(t::audios.find(id)).set(t::waveform_key.eq(key)).execute(c).await)?;
        Ok(())
    }

    /// Records what the meter measured, if the item still holds the file it measured.
    pub async fn set_health(
        conn: &mut DbConn<'_>,
        id: i64,
        storage_key: &str,
        health: &AudioHealth,
    ) -> Result<bool, DbError> {
        Ok(run!(conn, |c| diesel::update(t::audios.find(id))
            .filter(t::storage_key.eq(storage_key))
            .set(health)
            .execute(c)
            .await)?
            == 1)
    }

    /// Audio an older Mediadesk stored without loudness (never measured: no true peak and no
    /// leading silence, which only a silent track has), without a print or, for ALAC, without
    /// its playable copy; by id, after `after`.
    pub async fn unfinished(conn: &mut DbConn<'_>, after: i64, limit: i64) -> Result<Vec<AudioRow>, DbError> {
        Ok(run!(conn, |c| t::audios
            .filter(t::id.gt(after))
            .filter(
                t::true_peak_db
                    .is_null()
                    .and(t::silence_start_ms.eq(0))
                    .or(t::rendition_key.is_null().and(t::codec.eq("alac")))
                    .or(t::print.is_null()),
            )
            .order(t::id)
            .limit(limit)
            .select(AudioRow::as_select())
            .load(c)
            .await)?)
    }

    /// Names a playable copy made after the upload, if the item still holds the file it was made
    /// from and has none yet.
    pub async fn add_rendition(
        conn: &mut DbConn<'_>,
        id: i64,
        storage_key: &str,
        (key, bytes): (&str, i64),
    ) -> Result<bool, DbError> {
        Ok(run!(conn, |c| diesel::update(t::audios.find(id))
            .filter(t::storage_key.eq(storage_key))
            .filter(t::rendition_key.is_null())
            .set((t::rendition_key.eq(key), t::rendition_bytes.eq(bytes)))
            .execute(c)
            .await)?
            == 1)
    }

    /// Forgets a playable rendition the store no longer has (players fall back to the original).
    pub async fn clear_rendition(conn: &mut DbConn<'_>, id: i64) -> Result<(), DbError> {
        let none: Option<&str> = None;
        run!(conn, |c| diesel::update(t::audios.find(id))
            .set((t::rendition_key.eq(none), t::rendition_bytes.eq(0)))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Every storage key the table refers to (originals, waveforms, renditions), for
    /// reconciliation.
    pub async fn all_keys(conn: &mut DbConn<'_>) -> Result<Vec<AudioKeys>, DbError> {
        Ok(run!(conn, |c| t::audios
            .select((t::id, t::storage_key, t::waveform_key, t::rendition_key))
            .load(c)
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
}

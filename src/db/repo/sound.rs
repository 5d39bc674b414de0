//! Sounds alike: a sound's print keys (`domain::print_keys`) in `sound_keys`, written whenever
//! its row gets a print (upload, replace, roll back, restore, backfill) and deleted with the
//! row, and the sounds that share keys with a print, found through the key's index (migration
//! 000035). The caller compares the prints.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::sql::{Param, Sql};
use crate::db::rows::SoundRow;
use crate::db::schema::sound_keys::dsl as k;
use crate::db::{DbConn, DbError, run};
use crate::domain::{print_keys, print_values};

/// Sounds read at most for one print, those sharing the most keys first: copies share most of
/// their 24 keys, unrelated sounds seldom one, so a library of any size yields few more.
const CANDIDATES: i64 = 200;

pub struct SoundRepo;

impl SoundRepo {
    /// Writes the keys of audio `id`'s print in place of any it had (none for no print).
    pub async fn write_keys(conn: &mut DbConn<'_>, id: i64, print: Option<&[u8]>) -> Result<(), DbError> {
        run!(conn, |c| diesel::delete(k::sound_keys.filter(k::audio_id.eq(id))).execute(c).await)?;
        let keys = print.map(|p| print_keys(&print_values(p))).unwrap_or_default();
        if keys.is_empty() {
            return Ok(());
        }
        let rows: Vec<_> = keys.iter().map(|key| (k::key.eq(*key), k::audio_id.eq(id))).collect();
        match conn {
            DbConn::Pg(c) => {
                diesel::insert_into(k::sound_keys).values(&rows).execute(&mut **c).await?;
            }
            // SQLite takes one row a statement here (diesel writes no multi-row insert for it).
            DbConn::Sqlite(c) => {
                for row in rows {
                    diesel::insert_into(k::sound_keys).values(row).execute(&mut **c).await?;
                }
            }
        }
        Ok(())
    }

    /// Sounds other than `except` sharing one of `keys` (a print's, never none), among what
    /// `visible_to` sees (their own and the system's; `None`: everyone's).
    pub async fn sharing_keys(
        conn: &mut DbConn<'_>,
        keys: &[i64],
        except: i64,
        visible_to: Option<i64>,
    ) -> Result<Vec<SoundRow>, DbError> {
        Self::query(keys, except, visible_to).rows(conn).await
    }

    /// The query: one walk of the key index per key, each sound by its id, counted per sound.
    pub(super) fn query(keys: &[i64], except: i64, visible_to: Option<i64>) -> Sql {
        let mut sql = Sql::new(
            "SELECT a.id, a.owner_id, a.original_filename, a.title, a.sha256, a.print FROM sound_keys k \
             JOIN audios a ON a.id = k.audio_id WHERE k.key IN (",
        );
        for (n, key) in keys.iter().enumerate() {
            sql.push(if n == 0 { "" } else { ", " }).bind(Param::Int(*key));
        }
        sql.push(") AND k.audio_id <> ").bind(Param::Int(except));
        if let Some(user) = visible_to {
            sql.push(" AND (a.owner_id = ").bind(Param::Int(user)).push(" OR a.owner_id IS NULL)");
        }
        // Grouped by the primary key, so both databases take the row's other columns with it.
        sql.push(&format!(" GROUP BY a.id ORDER BY COUNT(*) DESC, a.id LIMIT {CANDIDATES}"));
        sql
    }
}

//! The `images` table. Its twin, `audios`, has the same shape; each repo is written out
//! in full so every query can be found and read where it runs.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::rows::{ImageDescription, ImageFile, ImageRow, NewImage};
use crate::db::schema::images::dsl as t;
use crate::db::{DbConn, DbError, run};

pub struct ImageRepo;

impl ImageRepo {
    pub async fn create(conn: &mut DbConn<'_>, new: &NewImage<'_>) -> Result<ImageRow, DbError> {
        Ok(run!(conn, |c| diesel::insert_into(t::images)
            .values(new)
            .returning(ImageRow::as_returning())
            .get_result(c)
            .await)?)
    }

    /// Inserts many rows (one statement on PostgreSQL; SQLite has no multi-row insert with
    /// defaults); returns how many. For load-test rows.
    pub async fn create_many(conn: &mut DbConn<'_>, rows: &[NewImage<'_>]) -> Result<usize, DbError> {
        match conn {
            DbConn::Pg(c) => Ok(diesel::insert_into(t::images).values(rows).execute(&mut **c).await?),
            DbConn::Sqlite(c) => {
                let mut n = 0;
                for row in rows {
                    n += diesel::insert_into(t::images).values(row).execute(&mut **c).await?;
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
        Ok(run!(conn, |c| diesel::update(t::images.find(id)).set(t::id.eq(t::id)).execute(c).await)? == 1)
    }

    /// Replaces what is written about the item.
    pub async fn describe(conn: &mut DbConn<'_>, id: i64, d: &ImageDescription<'_>) -> Result<(), DbError> {
        run!(conn, |c| diesel::update(t::images.find(id)).set(d).execute(c).await)?;
        Ok(())
    }

    /// Sets (or with `None` clears) the focal point, in ten-thousandths.
    pub async fn set_focal(conn: &mut DbConn<'_>, id: i64, at: Option<(i32, i32)>) -> Result<(), DbError> {
        let (x, y) = at.unzip();
        run!(conn, |c| diesel::update(t::images.find(id))
            .set((t::focal_x.eq(x), t::focal_y.eq(y)))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Images with a thumbnail but no placeholder or no look (stored before those were made),
    /// by id after `after`: (id, thumbnail key).
    pub async fn without_likeness(
        conn: &mut DbConn<'_>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>, DbError> {
        let rows: Vec<(i64, Option<String>)> = run!(conn, |c| t::images
            .filter(t::id.gt(after))
            .filter(t::placeholder.is_null().or(t::look.is_null()).and(t::thumbnail_key.is_not_null()))
            .order(t::id)
            .limit(limit)
            .select((t::id, t::thumbnail_key))
            .load(c)
            .await)?;
        Ok(rows.into_iter().filter_map(|(id, key)| Some((id, key?))).collect())
    }

    /// Images whose shot was never read (stored before shots were), by id after `after`:
    /// each id and its original's key.
    pub async fn without_shot(
        conn: &mut DbConn<'_>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>, DbError> {
        Ok(run!(conn, |c| t::images
            .filter(t::id.gt(after))
            .filter(t::shot.is_null())
            .order(t::id)
            .limit(limit)
            .select((t::id, t::storage_key))
            .load(c)
            .await)?)
    }

    /// Records the shot read from the original `original`, if the image still has it.
    pub async fn set_shot(
        conn: &mut DbConn<'_>,
        id: i64,
        original: &str,
        shot: &str,
    ) -> Result<bool, DbError> {
        let n = run!(conn, |c| diesel::update(t::images.find(id).filter(t::storage_key.eq(original)))
            .set(t::shot.eq(shot))
            .execute(c)
            .await)?;
        Ok(n == 1)
    }

    /// Records the placeholder and look made from the thumbnail `thumb`, if the image still
    /// has it.
    pub async fn set_likeness(
        conn: &mut DbConn<'_>,
        id: i64,
        thumb: &str,
        (placeholder, look): (&str, i64),
    ) -> Result<bool, DbError> {
        let n = run!(conn, |c| diesel::update(t::images.find(id).filter(t::thumbnail_key.eq(thumb)))
            .set((t::placeholder.eq(placeholder), t::look.eq(look)))
            .execute(c)
            .await)?;
        Ok(n == 1)
    }

    pub async fn by_id(conn: &mut DbConn<'_>, id: i64) -> Result<Option<ImageRow>, DbError> {
        Ok(run!(conn, |c| t::images.find(id).select(ImageRow::as_select()).get_result(c).await.optional())?)
    }

    /// The rows of those ids that exist, in no particular order.
    pub async fn by_ids(conn: &mut DbConn<'_>, ids: &[i64]) -> Result<Vec<ImageRow>, DbError> {
        Ok(run!(conn, |c| t::images.filter(t::id.eq_any(ids)).select(ImageRow::as_select()).load(c).await)?)
    }

    /// Puts another file in place, if the item still has the file `was` (the original's key);
    /// false when it is gone or its file changed meanwhile.
    pub async fn set_file(
        conn: &mut DbConn<'_>,
        id: i64,
        was: &str,
        file: &ImageFile<'_>,
    ) -> Result<bool, DbError> {
        let n = run!(conn, |c| diesel::update(t::images.find(id).filter(t::storage_key.eq(was)))
            .set(file)
            .execute(c)
            .await)?;
        Ok(n == 1)
    }

    /// Returns whether a row was deleted.
    pub async fn delete(conn: &mut DbConn<'_>, id: i64) -> Result<bool, DbError> {
        Ok(run!(conn, |c| diesel::delete(t::images.find(id)).execute(c).await)? == 1)
    }

    /// Forgets a thumbnail whose object is gone (its bytes no longer count).
    pub async fn clear_thumbnail(conn: &mut DbConn<'_>, id: i64) -> Result<(), DbError> {
        let none: Option<&str> = None;
        run!(conn, |c| diesel::update(t::images.find(id))
            .set((t::thumbnail_key.eq(none), t::thumbnail_bytes.eq(0)))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Forgets a private copy whose object is gone.
    pub async fn clear_private(conn: &mut DbConn<'_>, id: i64) -> Result<(), DbError> {
        let none: Option<&str> = None;
        run!(conn, |c| diesel::update(t::images.find(id))
            .set((t::private_key.eq(none), t::private_bytes.eq(0)))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Forgets a display rendition whose object is gone.
    pub async fn clear_display(conn: &mut DbConn<'_>, id: i64) -> Result<(), DbError> {
        let none: Option<&str> = None;
        run!(conn, |c| diesel::update(t::images.find(id))
            .set((t::display_key.eq(none), t::display_bytes.eq(0)))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Names the display rendition (its key and size) made from the original `of`; `false` if
    /// the row is gone or has another file by now (replaced while the rendition was being made).
    pub async fn name_display(
        conn: &mut DbConn<'_>,
        id: i64,
        of: &str,
        (key, size): (&str, i64),
    ) -> Result<bool, DbError> {
        let n = run!(conn, |c| diesel::update(t::images.find(id).filter(t::storage_key.eq(of)))
            .set((t::display_key.eq(key), t::display_bytes.eq(size)))
            .execute(c)
            .await)?;
        Ok(n == 1)
    }

    /// Every storage key the table refers to (original, thumbnail, display rendition), for
    /// reconciliation.
    pub async fn all_keys(conn: &mut DbConn<'_>) -> Result<Vec<ImageKeys>, DbError> {
        type Keys = (i64, String, Option<String>, Option<String>, Option<String>, i64, i64);
        let rows: Vec<Keys> = run!(conn, |c| t::images
            .select((
                t::id,
                t::storage_key,
                t::thumbnail_key,
                t::display_key,
                t::private_key,
                t::thumbnail_bytes,
                t::display_bytes
            ))
            .load(c)
            .await)?;
        Ok(rows
            .into_iter()
            .map(|(id, original, thumbnail, display, private, thumbnail_bytes, display_bytes)| ImageKeys {
                id,
                original,
                thumbnail,
                display,
                private,
                sizes: (thumbnail_bytes, display_bytes),
            })
            .collect())
    }

    /// Records the sizes of the derived objects (as the store has them), for the quota.
    pub async fn set_derived_sizes(
        conn: &mut DbConn<'_>,
        id: i64,
        (thumbnail, display): (i64, i64),
    ) -> Result<(), DbError> {
        run!(conn, |c| diesel::update(t::images.find(id))
            .set((t::thumbnail_bytes.eq(thumbnail), t::display_bytes.eq(display)))
            .execute(c)
            .await)?;
        Ok(())
    }
}

/// The objects of one image.
#[derive(Clone)]
pub struct ImageKeys {
    pub id: i64,
    pub original: String,
    pub thumbnail: Option<String>,
    pub display: Option<String>,
    pub private: Option<String>,
    /// The recorded sizes of the thumbnail and the display rendition.
    pub sizes: (i64, i64),
}

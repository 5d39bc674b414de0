//! The `trash` table, and taking an item out of its table into it and back. An item's row,
//! tags and collection places travel as one JSON snapshot, so that nothing a gallery reads
//! needs to know about the trash.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};

use super::{AlikeGroupRepo, AudioRepo, ImageRepo, RegionRepo, SoundRepo, TagRepo};
use crate::db::rows::{AudioRow, ImageRow, NewMembership, NewTagging, NewTrash, RegionRow, TrashRow};
use crate::db::schema::collection_items::dsl as ci;
use crate::db::schema::collections::dsl as co;
use crate::db::schema::trash::dsl as t;
use crate::db::schema::{audios, images};
use crate::db::{DbConn, DbError, run};

/// An item's row as it was.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum TrashedRow {
    Image(ImageRow),
    Audio(AudioRow),
}

impl TrashedRow {
    /// Bytes of all the item's objects, as the quota counts them (see the quotas migration).
    pub fn stored_bytes(&self) -> i64 {
        match self {
            TrashedRow::Image(r) => r.byte_size + r.thumbnail_bytes + r.display_bytes + r.private_bytes,
            TrashedRow::Audio(r) => r.byte_size + r.rendition_bytes,
        }
    }
}

/// Everything of an item that lives in the database, as the trash keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub row: TrashedRow,
    /// Tags as (name, key).
    pub tags: Vec<(String, String)>,
    /// Collections it was in, with when it was put there.
    pub collections: Vec<(i64, NaiveDateTime)>,
    /// Audio's regions (snapshots from before regions existed have none).
    #[serde(default)]
    pub regions: Vec<RegionRow>,
    /// Items it was said not to be a duplicate of (snapshots from before that have none).
    #[serde(default)]
    pub apart: Vec<i64>,
}

impl Snapshot {
    fn kind(&self) -> &'static str {
        match self.row {
            TrashedRow::Image(_) => "image",
            TrashedRow::Audio(_) => "audio",
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a snapshot is plain data")
    }

    pub fn from_json(json: &str) -> Result<Snapshot, DbError> {
        serde_json::from_str(json).map_err(|e| DbError::Config(format!("unreadable trash snapshot: {e}")))
    }
}

/// Where a trash page starts: after this (trashed_at, id).
pub type TrashCursor = (NaiveDateTime, i64);

pub struct TrashRepo;

impl TrashRepo {
    /// Reads the item with its tags and collections and deletes its row (its tags and places go
    /// with it, by trigger). `None` when the row is gone or its original is no longer `key`
    /// (replaced meanwhile): then nothing was changed.
    pub async fn take_item(
        conn: &mut DbConn<'_>,
        (kind, id): (&str, i64),
        key: &str,
    ) -> Result<Option<Snapshot>, DbError> {
        // Locked first: a tag, place or region being written beside it lands before the
        // snapshot is read, so the snapshot has it (and restoring brings it back).
        let locked = match kind {
            "image" => ImageRepo::lock(conn, id).await?,
            _ => AudioRepo::lock(conn, id).await?,
        };
        if !locked {
            return Ok(None);
        }
        let row = match kind {
            "image" => ImageRepo::by_id(conn, id).await?.map(TrashedRow::Image),
            _ => AudioRepo::by_id(conn, id).await?.map(TrashedRow::Audio),
        };
        let Some(row) = row else { return Ok(None) };
        let original = match &row {
            TrashedRow::Image(r) => &r.storage_key,
            TrashedRow::Audio(r) => &r.storage_key,
        };
        if original != key {
            return Ok(None);
        }
        let tags = TagRepo::of_item(conn, (kind, id)).await?.into_iter().map(|t| (t.name, t.key)).collect();
        let collections = run!(conn, |c| ci::collection_items
            .filter(ci::kind.eq(kind))
            .filter(ci::item_id.eq(id))
            .order(ci::collection_id.asc())
            .select((ci::collection_id, ci::added_at))
            .load(c)
            .await)?;
        let regions = match kind {
            "image" => Vec::new(),
            _ => RegionRepo::of_audio(conn, id).await?,
        };
        let apart = AlikeGroupRepo::apart_from(conn, kind, id).await?;
        let deleted = match kind {
            "image" => ImageRepo::delete(conn, id).await?,
            _ => AudioRepo::delete(conn, id).await?,
        };
        Ok(deleted.then_some(Snapshot { row, tags, collections, regions, apart }))
    }

    /// Puts an item back as the snapshot has it, under its own id, with its originals and
    /// derivatives renamed by `rename`; tags come back (made again if they were dropped), it
    /// rejoins the collections that still exist and is again kept apart from the items still
    /// there it was kept apart from.
    pub async fn put_back(
        conn: &mut DbConn<'_>,
        snapshot: Snapshot,
        rename: impl Fn(&str) -> String,
    ) -> Result<(), DbError> {
        let kind = snapshot.kind();
        let (id, owner_id, created_at, filename, size) = match snapshot.row {
            TrashedRow::Image(mut r) => {
                r.storage_key = rename(&r.storage_key);
                r.thumbnail_key = r.thumbnail_key.as_deref().map(&rename);
                r.display_key = r.display_key.as_deref().map(&rename);
                r.private_key = r.private_key.as_deref().map(&rename);
                run!(conn, |c| diesel::insert_into(images::table).values(&r).execute(c).await)?;
                (r.id, r.owner_id, r.created_at, r.original_filename, r.byte_size)
            }
            TrashedRow::Audio(mut r) => {
                r.storage_key = rename(&r.storage_key);
                r.waveform_key = r.waveform_key.as_deref().map(&rename);
                r.rendition_key = r.rendition_key.as_deref().map(&rename);
                run!(conn, |c| diesel::insert_into(audios::table).values(&r).execute(c).await)?;
                SoundRepo::write_keys(conn, r.id, r.print.as_deref()).await?;
                (r.id, r.owner_id, r.created_at, r.original_filename, r.byte_size)
            }
        };
        RegionRepo::restore(conn, &snapshot.regions).await?;
        AlikeGroupRepo::restore_apart(conn, kind, id, &snapshot.apart).await?;
        for (name, key) in &snapshot.tags {
            let tag = TagRepo::get_or_create(conn, name, key).await?;
            let tagging = NewTagging {
                tag_id: tag.id,
                kind,
                item_id: id,
                owner_id,
                created_at,
                original_filename: &filename,
                byte_size: size,
            };
            TagRepo::add(conn, &tagging).await?;
        }
        let wanted: Vec<i64> = snapshot.collections.iter().map(|(c, _)| *c).collect();
        let existing: Vec<i64> =
            run!(conn, |c| co::collections.filter(co::id.eq_any(&wanted)).select(co::id).load(c).await)?;
        for (collection_id, added_at) in snapshot.collections {
            if !existing.contains(&collection_id) {
                continue;
            }
            let m = NewMembership {
                collection_id,
                kind,
                item_id: id,
                owner_id,
                created_at,
                original_filename: &filename,
                byte_size: size,
                added_at,
            };
            run!(conn, |c| diesel::insert_into(ci::collection_items)
                .values(&m)
                .on_conflict_do_nothing()
                .execute(c)
                .await)?;
        }
        Ok(())
    }

    pub async fn add(conn: &mut DbConn<'_>, new: &NewTrash<'_>) -> Result<TrashRow, DbError> {
        Ok(run!(conn, |c| diesel::insert_into(t::trash)
            .values(new)
            .returning(TrashRow::as_returning())
            .get_result(c)
            .await)?)
    }

    /// The trashed item of this kind and id, if it is in the trash.
    pub async fn by_item(
        conn: &mut DbConn<'_>,
        (kind, id): (&str, i64),
    ) -> Result<Option<TrashRow>, DbError> {
        Ok(run!(conn, |c| t::trash
            .filter(t::kind.eq(kind))
            .filter(t::item_id.eq(id))
            .select(TrashRow::as_select())
            .get_result(c)
            .await
            .optional())?)
    }

    /// Removes a trash row; false when it was gone already (restored or purged meanwhile).
    pub async fn remove(conn: &mut DbConn<'_>, id: i64) -> Result<bool, DbError> {
        Ok(run!(conn, |c| diesel::delete(t::trash.find(id)).execute(c).await)? == 1)
    }

    /// Most recently trashed first, of one owner (`Some`) or of everyone, after `after`.
    pub async fn page(
        conn: &mut DbConn<'_>,
        owner: Option<i64>,
        after: Option<TrashCursor>,
        limit: i64,
    ) -> Result<Vec<TrashRow>, DbError> {
        Ok(run!(conn, |c| {
            let mut q = t::trash.select(TrashRow::as_select()).into_boxed();
            if let Some(owner) = owner {
                q = q.filter(t::owner_id.eq(owner));
            }
            if let Some((at, id)) = after {
                q = q.filter(t::trashed_at.lt(at).or(t::trashed_at.eq(at).and(t::id.lt(id))));
            }
            q.order((t::trashed_at.desc(), t::id.desc())).limit(limit).load(c).await
        })?)
    }

    /// How many items are in one owner's trash (`Some`) or in all of it.
    pub async fn count(conn: &mut DbConn<'_>, owner: Option<i64>) -> Result<i64, DbError> {
        Ok(run!(conn, |c| match owner {
            Some(owner) => t::trash.filter(t::owner_id.eq(owner)).count().get_result(c).await,
            None => t::trash.count().get_result(c).await,
        })?)
    }

    /// Rows whose time in the trash is over, oldest first.
    pub async fn expired(
        conn: &mut DbConn<'_>,
        now: NaiveDateTime,
        limit: i64,
    ) -> Result<Vec<TrashRow>, DbError> {
        Ok(run!(conn, |c| t::trash
            .filter(t::purge_at.le(now))
            .order(t::purge_at.asc())
            .limit(limit)
            .select(TrashRow::as_select())
            .load(c)
            .await)?)
    }

    /// The objects every trashed item keeps, for reconciliation.
    pub async fn all_keys(conn: &mut DbConn<'_>) -> Result<Vec<(String, i64, String)>, DbError> {
        Ok(run!(conn, |c| t::trash.select((t::kind, t::item_id, t::object_keys)).load(c).await)?)
    }
}

//! Row structs: what the tables hold, nothing more. The service turns them into DTOs.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Bool, Double, Integer, Nullable, Text, Timestamp};

use super::schema::{
    access_tokens, audio_regions, audios, audit_log, collection_items, collections, images, item_tags,
    pending_deletions, resumable_uploads, shares, sign_ons, tags, trash, users, versions, webhook_cursor,
};
use crate::domain::{MediaKind, loudness};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub session_epoch: i32,
    pub last_sign_in_at: Option<NaiveDateTime>,
    /// `None`: the default quota; `Some(i64::MAX)`: unlimited.
    pub quota_bytes: Option<i64>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Insertable and serializable as a whole so that the trash can keep it and put it back as it
/// was, id included.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = images, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct ImageRow {
    pub id: i64,
    pub owner_id: Option<i64>,
    pub uploader_id: Option<i64>,
    pub original_filename: String,
    pub content_type: String,
    pub byte_size: i64,
    pub sha256: String,
    pub storage_key: String,
    pub thumbnail_key: Option<String>,
    pub width: i32,
    pub height: i32,
    pub created_at: NaiveDateTime,
    /// The screen-size rendition of a large image.
    pub display_key: Option<String>,
    pub frame_count: i32,
    pub title: Option<String>,
    pub alt_text: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
    /// Sizes of the derived objects, for the owner's quota (kept trash snapshots from before
    /// they were recorded read as 0).
    #[serde(default)]
    pub thumbnail_bytes: i64,
    #[serde(default)]
    pub display_bytes: i64,
    /// Location and device data found at upload, and the copy made without them.
    #[serde(default)]
    pub has_location: bool,
    #[serde(default)]
    pub has_device_data: bool,
    #[serde(default)]
    pub private_key: Option<String>,
    #[serde(default)]
    pub private_bytes: i64,
    /// The focal point, in ten-thousandths of the width and height as shown; both or neither.
    #[serde(default)]
    pub focal_x: Option<i32>,
    #[serde(default)]
    pub focal_y: Option<i32>,
    /// The thumbnail's ThumbHash, base64.
    #[serde(default)]
    pub placeholder: Option<String>,
    /// The picture's look (media/file/look.rs), found by its quarters.
    #[serde(default)]
    pub look: Option<i64>,
    /// How the photo was taken (`domain::Shot` as JSON); `None` until read (images stored
    /// before shots were are read by `mediadesk backfill`).
    #[serde(default)]
    pub shot: Option<String>,
    /// The link the file was added from, without its password, query or fragment (`None`:
    /// uploaded, or stored before links were kept).
    #[serde(default)]
    pub source_link: Option<String>,
}

/// What is written about an image; `None` clears a field.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = images, treat_none_as_null = true)]
pub struct ImageDescription<'a> {
    pub title: Option<&'a str>,
    pub alt_text: Option<&'a str>,
    pub caption: Option<&'a str>,
    pub credit: Option<&'a str>,
}

/// What is written about an audio item; `None` clears a field.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = audios, treat_none_as_null = true)]
pub struct AudioDescription<'a> {
    pub title: Option<&'a str>,
    pub caption: Option<&'a str>,
    pub credit: Option<&'a str>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = images)]
pub struct NewImage<'a> {
    pub owner_id: Option<i64>,
    pub uploader_id: Option<i64>,
    pub original_filename: &'a str,
    pub content_type: &'a str,
    pub byte_size: i64,
    pub sha256: &'a str,
    pub storage_key: &'a str,
    pub thumbnail_key: Option<&'a str>,
    pub width: i32,
    pub height: i32,
    pub created_at: NaiveDateTime,
    pub display_key: Option<&'a str>,
    pub frame_count: i32,
    pub thumbnail_bytes: i64,
    pub has_location: bool,
    pub has_device_data: bool,
    pub private_key: Option<&'a str>,
    pub private_bytes: i64,
    pub placeholder: Option<&'a str>,
    pub look: Option<i64>,
    pub shot: Option<&'a str>,
    pub source_link: Option<&'a str>,
}

/// Kept whole by the trash, like [`ImageRow`].
#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = audios, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct AudioRow {
    pub id: i64,
    pub owner_id: Option<i64>,
    pub uploader_id: Option<i64>,
    pub original_filename: String,
    pub content_type: String,
    pub byte_size: i64,
    pub sha256: String,
    pub storage_key: String,
    pub waveform_key: Option<String>,
    pub duration_ms: i64,
    pub bitrate: i32,
    pub sample_rate: i32,
    pub channels: i32,
    pub codec: String,
    pub transcript: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub peaks: Option<Vec<u8>>,
    pub title: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
    /// A FLAC copy for browsers that cannot play the original's codec, and its size.
    #[serde(default)]
    pub rendition_key: Option<String>,
    #[serde(default)]
    pub rendition_bytes: i64,
    #[serde(flatten)]
    #[diesel(embed)]
    pub health: AudioHealth,
    /// The sound's print (`domain::print_values`); empty when it has none, `None` before
    /// `mediadesk backfill` made it. Snapshots from before prints existed have none.
    #[serde(default)]
    pub print: Option<Vec<u8>>,
    /// The link the file was added from, without its password, query or fragment (`None`:
    /// uploaded, or stored before links were kept).
    #[serde(default)]
    pub source_link: Option<String>,
}

/// What the upload's decode measured about how an audio item sounds (all zero / `None` for
/// items uploaded before it was measured).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
    serde::Serialize,
    serde::Deserialize,
)]
#[diesel(table_name = audios, treat_none_as_null = true)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[serde(default)]
pub struct AudioHealth {
    pub loudness_lufs: Option<f64>,
    pub loudness_range: Option<f64>,
    pub true_peak_db: Option<f64>,
    pub clipped_samples: i64,
    pub silence_start_ms: i64,
    pub silence_end_ms: i64,
    pub quiet: bool,
    pub clipped: bool,
    pub mostly_silent: bool,
}

impl AudioHealth {
    /// Whether a meter has measured the item (see [`loudness::measured`]).
    pub fn measured(&self) -> bool {
        loudness::measured(self.true_peak_db, self.silence_start_ms)
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = audios)]
pub struct NewAudio<'a> {
    pub owner_id: Option<i64>,
    pub uploader_id: Option<i64>,
    pub original_filename: &'a str,
    pub content_type: &'a str,
    pub byte_size: i64,
    pub sha256: &'a str,
    pub storage_key: &'a str,
    pub waveform_key: Option<&'a str>,
    pub duration_ms: i64,
    pub bitrate: i32,
    pub sample_rate: i32,
    pub channels: i32,
    pub codec: &'a str,
    pub transcript: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub peaks: Option<&'a [u8]>,
    pub rendition_key: Option<&'a str>,
    pub rendition_bytes: i64,
    #[diesel(embed)]
    pub health: AudioHealth,
    pub print: Option<&'a [u8]>,
    pub source_link: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pending_deletions, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct PendingDeletionRow {
    pub id: i64,
    pub storage_key: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub next_attempt_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = collections, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct CollectionRow {
    pub id: i64,
    pub owner_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub name: String,
    pub name_key: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl CollectionRow {
    pub fn entry(&self) -> CollectionEntry {
        CollectionEntry {
            id: self.id,
            owner_id: self.owner_id,
            parent_id: self.parent_id,
            name: self.name.clone(),
        }
    }
}

/// A collection with how many items it holds.
#[derive(Debug, Clone, QueryableByName)]
pub struct CountedCollection {
    #[diesel(embed)]
    pub collection: CollectionRow,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub items: i64,
}

/// What a listing of collections reads of each (a picker on every gallery page lists a hundred:
/// the timestamps it does not show were most of the cost of reading them).
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = collections, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct CollectionEntry {
    pub id: i64,
    pub owner_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub name: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = collections)]
pub struct NewCollection<'a> {
    pub owner_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub name: &'a str,
    pub name_key: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An item's place in a collection, with the values its gallery sorts and filters by.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = collection_items)]
pub struct NewMembership<'a> {
    pub collection_id: i64,
    pub kind: &'a str,
    pub item_id: i64,
    pub owner_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub original_filename: &'a str,
    pub byte_size: i64,
    pub added_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = tags, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct TagRow {
    pub id: i64,
    pub name: String,
    pub key: String,
}

/// A tag on an item, with the values a tag's gallery sorts and filters by.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = item_tags)]
pub struct NewTagging<'a> {
    pub tag_id: i64,
    pub kind: &'a str,
    pub item_id: i64,
    pub owner_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub original_filename: &'a str,
    pub byte_size: i64,
}

/// An upload arriving in pieces (tus).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = resumable_uploads, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct ResumableRow {
    pub id: String,
    pub uploader_id: i64,
    pub owner_id: Option<i64>,
    pub filename: String,
    pub declared_type: Option<String>,
    pub length: i64,
    pub received: i64,
    pub content_type: Option<String>,
    pub storage_key: Option<String>,
    pub assembly_id: Option<String>,
    pub tail: Vec<u8>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    /// Report an exact duplicate when the last piece is in, instead of keeping it.
    pub refuse_duplicates: bool,
}

/// An image as a gallery entry needs it.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = images, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct ImageItemRow {
    pub id: i64,
    pub owner_id: Option<i64>,
    pub original_filename: String,
    pub content_type: String,
    pub byte_size: i64,
    pub thumbnail_key: Option<String>,
    pub storage_key: String,
    pub width: i32,
    pub height: i32,
    pub created_at: NaiveDateTime,
    pub frame_count: i32,
    pub title: Option<String>,
    pub alt_text: Option<String>,
    pub placeholder: Option<String>,
    pub focal_x: Option<i32>,
    pub focal_y: Option<i32>,
}

/// An audio item as a gallery entry needs it (the transcript is searched, not shown).
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = audios, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct AudioItemRow {
    pub id: i64,
    pub owner_id: Option<i64>,
    pub original_filename: String,
    pub content_type: String,
    pub byte_size: i64,
    pub storage_key: String,
    pub duration_ms: i64,
    pub peaks: Option<Vec<u8>>,
    pub created_at: NaiveDateTime,
    pub title: Option<String>,
    pub rendition_key: Option<String>,
    pub loudness_lufs: Option<f64>,
    pub true_peak_db: Option<f64>,
    pub quiet: bool,
    pub clipped: bool,
    pub mostly_silent: bool,
}

/// How an audio entry sounds, as the gallery shows and plays it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sound {
    pub loudness_lufs: Option<f64>,
    pub true_peak_db: Option<f64>,
    pub quiet: bool,
    pub clipped: bool,
    pub mostly_silent: bool,
}

/// One gallery entry of either kind.
#[derive(Debug, Clone)]
pub struct MediaItemRow {
    pub kind: MediaKind,
    pub id: i64,
    pub owner_id: Option<i64>,
    pub original_filename: String,
    pub content_type: String,
    pub byte_size: i64,
    /// The thumbnail of an image; audio's playable rendition.
    pub preview_key: Option<String>,
    pub storage_key: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// Of an image: 1, or an animation's frames.
    pub frames: i32,
    pub duration_ms: Option<i64>,
    pub peaks: Option<Vec<u8>>,
    pub created_at: NaiveDateTime,
    pub title: Option<String>,
    /// Of an image: what a screen reader says instead of it.
    pub alt_text: Option<String>,
    /// Of an image: its thumbnail's ThumbHash, base64.
    pub placeholder: Option<String>,
    /// Of an image: its focal point, in ten-thousandths.
    pub focal: Option<(i32, i32)>,
    /// How well it matched a search ranked by relevance; 0 otherwise.
    pub rank: i64,
    pub sound: Sound,
}

impl From<ImageItemRow> for MediaItemRow {
    fn from(r: ImageItemRow) -> Self {
        MediaItemRow {
            kind: MediaKind::Image,
            id: r.id,
            owner_id: r.owner_id,
            original_filename: r.original_filename,
            content_type: r.content_type,
            byte_size: r.byte_size,
            preview_key: r.thumbnail_key,
            storage_key: r.storage_key,
            width: Some(r.width),
            height: Some(r.height),
            frames: r.frame_count,
            duration_ms: None,
            peaks: None,
            created_at: r.created_at,
            title: r.title,
            alt_text: r.alt_text,
            placeholder: r.placeholder,
            focal: r.focal_x.zip(r.focal_y),
            rank: 0,
            sound: Sound::default(),
        }
    }
}

impl From<AudioItemRow> for MediaItemRow {
    fn from(r: AudioItemRow) -> Self {
        MediaItemRow {
            kind: MediaKind::Audio,
            id: r.id,
            owner_id: r.owner_id,
            original_filename: r.original_filename,
            content_type: r.content_type,
            byte_size: r.byte_size,
            preview_key: r.rendition_key,
            storage_key: r.storage_key,
            width: None,
            height: None,
            frames: 1,
            duration_ms: Some(r.duration_ms),
            peaks: r.peaks,
            created_at: r.created_at,
            title: r.title,
            alt_text: None,
            placeholder: None,
            focal: None,
            rank: 0,
            sound: Sound {
                loudness_lufs: r.loudness_lufs,
                true_peak_db: r.true_peak_db,
                quiet: r.quiet,
                clipped: r.clipped,
                mostly_silent: r.mostly_silent,
            },
        }
    }
}

/// A gallery entry of either kind as one query over both tables returns it (`kind` says
/// which; the other kind's columns are NULL or fixed), so that the database merges a page from
/// both in order and reads only the rows it shows.
#[derive(Debug, Clone, QueryableByName)]
pub struct MixedItemRow {
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub owner_id: Option<i64>,
    #[diesel(sql_type = Text)]
    pub original_filename: String,
    #[diesel(sql_type = Text)]
    pub content_type: String,
    #[diesel(sql_type = BigInt)]
    pub byte_size: i64,
    #[diesel(sql_type = Text)]
    pub storage_key: String,
    #[diesel(sql_type = Timestamp)]
    pub created_at: NaiveDateTime,
    #[diesel(sql_type = Nullable<Text>)]
    pub title: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub preview_key: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub width: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub height: Option<i32>,
    #[diesel(sql_type = Integer)]
    pub frame_count: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub alt_text: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub placeholder: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub focal_x: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub focal_y: Option<i32>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub duration_ms: Option<i64>,
    #[diesel(sql_type = Nullable<Binary>)]
    pub peaks: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Double>)]
    pub loudness_lufs: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub true_peak_db: Option<f64>,
    #[diesel(sql_type = Bool)]
    pub quiet: bool,
    #[diesel(sql_type = Bool)]
    pub clipped: bool,
    #[diesel(sql_type = Bool)]
    pub mostly_silent: bool,
}

impl TryFrom<MixedItemRow> for MediaItemRow {
    type Error = diesel::result::Error;

    fn try_from(r: MixedItemRow) -> Result<Self, Self::Error> {
        let kind: MediaKind =
            r.kind.parse().map_err(|_| diesel::result::Error::DeserializationError(r.kind.clone().into()))?;
        Ok(MediaItemRow {
            kind,
            id: r.id,
            owner_id: r.owner_id,
            original_filename: r.original_filename,
            content_type: r.content_type,
            byte_size: r.byte_size,
            preview_key: r.preview_key,
            storage_key: r.storage_key,
            width: r.width,
            height: r.height,
            frames: r.frame_count,
            duration_ms: r.duration_ms,
            peaks: r.peaks,
            created_at: r.created_at,
            title: r.title,
            alt_text: r.alt_text,
            placeholder: r.placeholder,
            focal: r.focal_x.zip(r.focal_y),
            rank: 0,
            sound: Sound {
                loudness_lufs: r.loudness_lufs,
                true_peak_db: r.true_peak_db,
                quiet: r.quiet,
                clipped: r.clipped,
                mostly_silent: r.mostly_silent,
            },
        })
    }
}

/// An item in the trash; `object_keys` and `snapshot` are JSON (see the migration).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = trash, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct TrashRow {
    pub id: i64,
    pub kind: String,
    pub item_id: i64,
    pub owner_id: Option<i64>,
    pub trashed_by: Option<i64>,
    pub trashed_at: NaiveDateTime,
    pub purge_at: NaiveDateTime,
    pub original_filename: String,
    pub title: Option<String>,
    pub content_type: String,
    pub byte_size: i64,
    /// The trashed thumbnail, for the trash page.
    pub preview_key: Option<String>,
    pub object_keys: String,
    pub snapshot: String,
    /// Bytes of all its objects, for the owner's quota.
    pub stored_bytes: i64,
}

/// A row of the trash to be written (the database numbers it).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = trash)]
pub struct NewTrash<'a> {
    pub kind: &'a str,
    pub item_id: i64,
    pub owner_id: Option<i64>,
    pub trashed_by: Option<i64>,
    pub trashed_at: NaiveDateTime,
    pub purge_at: NaiveDateTime,
    pub original_filename: &'a str,
    pub title: Option<&'a str>,
    pub content_type: &'a str,
    pub byte_size: i64,
    pub preview_key: Option<&'a str>,
    pub object_keys: &'a str,
    pub snapshot: &'a str,
    pub stored_bytes: i64,
}

/// An earlier file of an item; `object_keys` and `snapshot` are JSON (see the migration).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = versions, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct VersionRow {
    pub id: i64,
    pub kind: String,
    pub item_id: i64,
    pub owner_id: Option<i64>,
    pub uploaded_by: Option<i64>,
    pub replaced_by: Option<i64>,
    pub replaced_at: NaiveDateTime,
    pub purge_at: NaiveDateTime,
    pub original_filename: String,
    pub content_type: String,
    pub byte_size: i64,
    pub object_keys: String,
    pub snapshot: String,
    /// Bytes of all its objects, for the owner's quota.
    pub stored_bytes: i64,
    /// Of its file (rows from before the column have it from their snapshot).
    pub sha256: Option<String>,
    /// The audit action that set it aside (rows from before the column: none, a replace).
    pub replaced_how: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = versions)]
pub struct NewVersion<'a> {
    pub kind: &'a str,
    pub item_id: i64,
    pub owner_id: Option<i64>,
    pub uploaded_by: Option<i64>,
    pub replaced_by: Option<i64>,
    pub replaced_at: NaiveDateTime,
    pub purge_at: NaiveDateTime,
    pub original_filename: &'a str,
    pub content_type: &'a str,
    pub byte_size: i64,
    pub object_keys: &'a str,
    pub snapshot: &'a str,
    pub stored_bytes: i64,
    pub sha256: &'a str,
    pub replaced_how: &'a str,
}

/// The columns of an image that are its file (what a replace changes).
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = images, treat_none_as_null = true)]
pub struct ImageFile<'a> {
    pub uploader_id: Option<i64>,
    pub original_filename: &'a str,
    pub content_type: &'a str,
    pub byte_size: i64,
    pub sha256: &'a str,
    pub storage_key: &'a str,
    pub thumbnail_key: Option<&'a str>,
    pub display_key: Option<&'a str>,
    pub width: i32,
    pub height: i32,
    pub frame_count: i32,
    pub thumbnail_bytes: i64,
    pub display_bytes: i64,
    pub has_location: bool,
    pub has_device_data: bool,
    pub private_key: Option<&'a str>,
    pub private_bytes: i64,
    /// Where the point is in the file's picture (a turn or crop moves it).
    pub focal_x: Option<i32>,
    pub focal_y: Option<i32>,
    pub placeholder: Option<&'a str>,
    pub look: Option<i64>,
    /// How the file's photo was taken (a version from before shots were has none: NULL, and
    /// `mediadesk backfill` reads it).
    pub shot: Option<&'a str>,
    pub source_link: Option<&'a str>,
}

/// The columns of an audio item that are its file (what a replace changes).
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = audios, treat_none_as_null = true)]
pub struct AudioFile<'a> {
    pub uploader_id: Option<i64>,
    pub original_filename: &'a str,
    pub content_type: &'a str,
    pub byte_size: i64,
    pub sha256: &'a str,
    pub storage_key: &'a str,
    pub waveform_key: Option<&'a str>,
    pub duration_ms: i64,
    pub bitrate: i32,
    pub sample_rate: i32,
    pub channels: i32,
    pub codec: &'a str,
    pub peaks: Option<&'a [u8]>,
    pub rendition_key: Option<&'a str>,
    pub rendition_bytes: i64,
    #[diesel(embed)]
    pub health: AudioHealth,
    pub print: Option<&'a [u8]>,
    pub updated_at: NaiveDateTime,
    pub source_link: Option<&'a str>,
}

/// One line of the audit log.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct AuditRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub action: String,
    pub outcome: String,
    pub item_kind: Option<String>,
    pub item_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub subject_name: Option<String>,
    pub client: Option<String>,
    pub detail: Option<String>,
}

/// An audit row to add; `NewAudit::of` fills in the time and the request's client address.
#[derive(Debug, Clone, Default, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAudit {
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub action: &'static str,
    pub outcome: &'static str,
    pub item_kind: Option<&'static str>,
    pub item_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub subject_name: Option<String>,
    pub client: Option<String>,
    pub detail: Option<String>,
}

impl NewAudit {
    pub fn of(
        actor_id: Option<i64>,
        action: crate::domain::AuditAction,
        outcome: crate::domain::AuditOutcome,
    ) -> NewAudit {
        NewAudit {
            at: super::now(),
            actor_id,
            action: action.as_str(),
            outcome: outcome.as_str(),
            client: crate::client::address(),
            ..NewAudit::default()
        }
    }

    pub fn item(self, kind: MediaKind, id: i64) -> NewAudit {
        NewAudit { item_kind: Some(kind.as_str()), item_id: Some(id), ..self }
    }

    pub fn subject(self, id: Option<i64>, name: Option<&str>) -> NewAudit {
        NewAudit { subject_id: id, subject_name: name.map(str::to_owned), ..self }
    }

    pub fn detail(self, detail: impl Into<String>) -> NewAudit {
        NewAudit { detail: Some(detail.into()), ..self }
    }
}

/// A share link; the token itself is never stored, only its SHA-256.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = shares, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct ShareRow {
    pub id: i64,
    pub token_hash: String,
    pub kind: String,
    pub item_id: i64,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub password_hash: Option<String>,
    pub allow_download: bool,
    pub note: Option<String>,
    pub opens: i64,
    pub last_opened_at: Option<NaiveDateTime>,
}

impl ShareRow {
    /// Neither revoked nor expired at `now`.
    pub fn is_live(&self, now: NaiveDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = shares)]
pub struct NewShare<'a> {
    pub token_hash: &'a str,
    pub kind: &'static str,
    pub item_id: i64,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub password_hash: Option<&'a str>,
    pub allow_download: bool,
    pub note: Option<&'a str>,
}

/// An access token; like a share link's, the token itself is never stored, only its SHA-256.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = access_tokens, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct AccessTokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub scope: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = access_tokens)]
pub struct NewAccessToken<'a> {
    pub token_hash: &'a str,
    pub user_id: i64,
    pub name: &'a str,
    pub scope: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
}

/// A provider's person linked to an account (single sign-on).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sign_ons, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct SignOnRow {
    pub id: i64,
    pub issuer: String,
    pub subject: String,
    pub user_id: i64,
    pub known_as: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = sign_ons)]
pub struct NewSignOn<'a> {
    pub issuer: &'a str,
    pub subject: &'a str,
    pub user_id: i64,
    pub known_as: &'a str,
    pub created_at: NaiveDateTime,
}

/// How far webhooks have been delivered (one row).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_cursor, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct WebhookCursorRow {
    pub delivered_through: i64,
    pub attempts: i32,
    pub retry_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub delivered_at: Option<NaiveDateTime>,
}

/// A named range (or, without an end, a marker) of an audio item; kept whole in trash snapshots.
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = audio_regions, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct RegionRow {
    pub id: i64,
    pub audio_id: i64,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    pub label: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = audio_regions)]
pub struct NewRegion<'a> {
    pub audio_id: i64,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    pub label: &'a str,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What a look- or sound-alike lists of an item, the same for both kinds.
#[derive(Debug, Clone, QueryableByName)]
pub struct AlikeItem {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub owner_id: Option<i64>,
    #[diesel(sql_type = Text)]
    pub original_filename: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub title: Option<String>,
    #[diesel(sql_type = Text)]
    pub sha256: String,
}

/// A sound that may sound like another.
#[derive(Debug, Clone, QueryableByName)]
pub struct SoundRow {
    #[diesel(embed)]
    pub item: AlikeItem,
    #[diesel(sql_type = Nullable<Binary>)]
    pub print: Option<Vec<u8>>,
}

/// An image that may look like another.
#[derive(Debug, Clone, QueryableByName)]
pub struct LookRow {
    #[diesel(embed)]
    pub item: AlikeItem,
    #[diesel(sql_type = Nullable<Text>)]
    pub thumbnail_key: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub look: i64,
}

/// An image's look, for finding every group of look-alikes.
#[derive(Debug, Clone, Copy, QueryableByName)]
pub struct IdLook {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub look: i64,
}

/// A print key more than one sound holds.
#[derive(Debug, Clone, Copy, QueryableByName)]
pub struct HeldKey {
    #[diesel(sql_type = BigInt)]
    pub key: i64,
}

/// A print key and a sound holding it.
#[derive(Debug, Clone, Copy, QueryableByName)]
pub struct KeyHolder {
    #[diesel(sql_type = BigInt)]
    pub key: i64,
    #[diesel(sql_type = BigInt)]
    pub audio_id: i64,
}

/// Two sounds whose prints share keys, the lower id first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPair {
    pub first: i64,
    pub second: i64,
}

/// One item of a group of look- or sound-alikes.
#[derive(Debug, Clone, Queryable)]
pub struct AlikeMemberRow {
    pub id: i64,
    pub owner_id: Option<i64>,
    pub original_filename: String,
    pub title: Option<String>,
    pub created_at: NaiveDateTime,
    /// A picture's thumbnail; a sound's waveform, which is not shown.
    pub preview_key: Option<String>,
    pub byte_size: i64,
    /// Pixels of a picture, milliseconds of a sound.
    pub extent: i64,
    pub sha256: String,
    /// A picture's width and height (a sound's are 0).
    pub width: i32,
    pub height: i32,
}

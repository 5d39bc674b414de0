//! What the media service takes and returns. Rows never leave the service; these do.

use chrono::NaiveDateTime;
use serde::Serialize;

use super::sniff::MediaKind;
use crate::db::rows::{AudioRow, ImageRow};

/// Who an item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// System-wide media, visible to every account.
    System,
    User(i64),
}

impl Owner {
    pub fn id(self) -> Option<i64> {
        match self {
            Owner::System => None,
            Owner::User(id) => Some(id),
        }
    }

    pub fn from_id(id: Option<i64>) -> Owner {
        id.map_or(Owner::System, Owner::User)
    }
}

/// An image upload request; the bytes travel separately as a stream.
#[derive(Debug, Clone)]
pub struct ImageCreate {
    pub owner: Owner,
    /// The client's file name, kept for display and downloads only.
    pub filename: String,
    /// The client's declared `Content-Type`; checked against the sniffed type, never trusted.
    pub content_type: Option<String>,
    pub generate_presigned_url: bool,
}

/// An audio upload request.
#[derive(Debug, Clone)]
pub struct AudioCreate {
    pub owner: Owner,
    pub filename: String,
    pub content_type: Option<String>,
    pub transcript: Option<String>,
    pub generate_presigned_url: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageRead {
    pub id: i64,
    pub owner_id: Option<i64>,
    pub uploader_id: Option<i64>,
    pub filename: String,
    pub content_type: String,
    pub byte_size: i64,
    pub sha256: String,
    pub width: i32,
    pub height: i32,
    pub has_thumbnail: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AudioRead {
    pub id: i64,
    pub owner_id: Option<i64>,
    pub uploader_id: Option<i64>,
    pub filename: String,
    pub content_type: String,
    pub byte_size: i64,
    pub sha256: String,
    pub duration_ms: i64,
    pub bitrate: i32,
    pub sample_rate: i32,
    pub channels: i32,
    pub codec: String,
    pub transcript: Option<String>,
    /// Waveform peaks: (min, max) signed-byte pairs, see [`crate::media::waveform`].
    #[serde(skip)]
    pub peaks: Option<Vec<u8>>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Either kind of item.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum MediaRead {
    Image(ImageRead),
    Audio(AudioRead),
}

impl MediaRead {
    pub fn id(&self) -> i64 {
        match self {
            MediaRead::Image(i) => i.id,
            MediaRead::Audio(a) => a.id,
        }
    }

    pub fn kind(&self) -> MediaKind {
        match self {
            MediaRead::Image(_) => MediaKind::Image,
            MediaRead::Audio(_) => MediaKind::Audio,
        }
    }

    pub fn filename(&self) -> &str {
        match self {
            MediaRead::Image(i) => &i.filename,
            MediaRead::Audio(a) => &a.filename,
        }
    }
}

/// What an upload produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileUploadResult {
    pub media: MediaRead,
    /// A signed GET URL when one was asked for.
    pub url: Option<String>,
}

/// A page of a listing, with the total count of the whole listing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u32 {
        (self.total.max(0) as u64).div_ceil(u64::from(self.per_page.max(1))).max(1) as u32
    }
}

/// 1-based page number and page size; the service clamps both.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest { page: 1, per_page: 50 }
    }
}

/// A signed URL and when it stops working.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignedUrl {
    pub url: String,
    pub expires_at: NaiveDateTime,
}

impl From<ImageRow> for ImageRead {
    fn from(r: ImageRow) -> Self {
        ImageRead {
            id: r.id,
            owner_id: r.owner_id,
            uploader_id: r.uploader_id,
            filename: r.original_filename,
            content_type: r.content_type,
            byte_size: r.byte_size,
            sha256: r.sha256,
            width: r.width,
            height: r.height,
            has_thumbnail: r.thumbnail_key.is_some(),
            created_at: r.created_at,
        }
    }
}

impl From<AudioRow> for AudioRead {
    fn from(r: AudioRow) -> Self {
        AudioRead {
            id: r.id,
            owner_id: r.owner_id,
            uploader_id: r.uploader_id,
            filename: r.original_filename,
            content_type: r.content_type,
            byte_size: r.byte_size,
            sha256: r.sha256,
            duration_ms: r.duration_ms,
            bitrate: r.bitrate,
            sample_rate: r.sample_rate,
            channels: r.channels,
            codec: r.codec,
            transcript: r.transcript,
            peaks: r.peaks,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

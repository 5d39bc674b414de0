//! What the media service takes and returns. Rows never leave the service; these do.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::db::rows::{AudioHealth, AudioRow, ImageRow};
use crate::domain::{Focal, MediaKind, Owner, Shot, loudness};

/// One file to upload; the bytes travel separately as a stream.
#[derive(Debug, Clone)]
pub struct Upload {
    pub owner: Owner,
    /// The client's file name, kept for display and downloads only.
    pub filename: String,
    /// The client's declared `Content-Type`; checked against the sniffed type, never trusted.
    pub declared_type: Option<String>,
    /// Refuse the file unless its bytes are of this kind.
    pub expected_kind: Option<MediaKind>,
    /// The size the client said it would send: a larger one is refused before a byte is read,
    /// and bytes that disagree with it are refused.
    pub announced_size: Option<u64>,
    /// The transcript of an audio file.
    pub transcript: Option<String>,
    /// Refuse the file if it is already an item the uploader can see (the upload page does,
    /// unless "Keep duplicates" is ticked; the command line, tus and imports keep them).
    pub refuse_duplicates: bool,
    /// The link the file was fetched from, as the audit log records it.
    pub source: Option<String>,
}

impl Upload {
    /// A file of either kind (its bytes decide), with nothing announced.
    pub fn new(owner: Owner, filename: impl Into<String>) -> Upload {
        Upload {
            owner,
            filename: filename.into(),
            declared_type: None,
            expected_kind: None,
            announced_size: None,
            transcript: None,
            refuse_duplicates: false,
            source: None,
        }
    }
}

/// What is written about an item: by staff, or by its file's own metadata at upload. Empty
/// fields are `None`; alt text is for images only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Description {
    pub title: Option<String>,
    pub alt_text: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
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
    /// 1 for a still image; an animation's frames.
    pub frames: i32,
    pub has_thumbnail: bool,
    pub created_at: NaiveDateTime,
    pub description: Description,
    /// The file says where it was taken (GPS, XMP or IPTC location fields).
    pub has_location: bool,
    /// The file names the camera or lens (serials), its owner, or has maker notes.
    pub has_device_data: bool,
    /// A copy without those exists, for share links and other users' downloads.
    pub has_private_copy: bool,
    /// The spot a cover crop keeps; `None`: none chosen (the middle).
    pub focal: Option<Focal>,
    /// The thumbnail's ThumbHash, base64 (`None` until backfilled).
    pub placeholder: Option<String>,
    /// How the photo was taken, as its EXIF says (`None`: not read yet).
    pub shot: Option<Shot>,
    /// The link the file was added from (without its password, query or fragment).
    pub source_link: Option<String>,
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
    pub description: Description,
    /// Players get a FLAC copy: the original's codec does not play in every browser.
    pub has_rendition: bool,
    pub health: Health,
    /// The link the file was added from (without its password, query or fragment).
    pub source_link: Option<String>,
}

/// How an audio item sounds, as its upload measured it (see [`crate::domain::loudness`]); all
/// `None`/zero for items uploaded before it was measured. The gallery fills only the loudness,
/// peak and flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Health {
    /// Integrated loudness, LUFS.
    pub loudness_lufs: Option<f64>,
    /// Loudness range, LU.
    pub loudness_range: Option<f64>,
    /// True peak, dBTP.
    pub true_peak_db: Option<f64>,
    pub clipped_samples: i64,
    pub silence_start_ms: i64,
    pub silence_end_ms: i64,
    pub quiet: bool,
    pub clipped: bool,
    pub mostly_silent: bool,
}

impl Health {
    /// The gain matched playback applies (see [`loudness::match_gain_db`]).
    pub fn gain_db(&self) -> Option<f64> {
        loudness::match_gain_db(self.loudness_lufs, self.true_peak_db)
    }
}

impl From<AudioHealth> for Health {
    fn from(h: AudioHealth) -> Self {
        Health {
            loudness_lufs: h.loudness_lufs,
            loudness_range: h.loudness_range,
            true_peak_db: h.true_peak_db,
            clipped_samples: h.clipped_samples,
            silence_start_ms: h.silence_start_ms,
            silence_end_ms: h.silence_end_ms,
            quiet: h.quiet,
            clipped: h.clipped,
            mostly_silent: h.mostly_silent,
        }
    }
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

    /// Its title, or its file name when it has none.
    pub fn display_name(&self) -> &str {
        self.description().title.as_deref().unwrap_or_else(|| self.filename())
    }

    pub fn owner_id(&self) -> Option<i64> {
        match self {
            MediaRead::Image(i) => i.owner_id,
            MediaRead::Audio(a) => a.owner_id,
        }
    }

    pub fn owner(&self) -> Owner {
        Owner::from_id(self.owner_id())
    }

    /// When it was uploaded and its size: the sort values its tag and collection rows carry.
    pub fn created_and_size(&self) -> (chrono::NaiveDateTime, i64) {
        match self {
            MediaRead::Image(i) => (i.created_at, i.byte_size),
            MediaRead::Audio(a) => (a.created_at, a.byte_size),
        }
    }

    /// The file's SHA-256, hex.
    pub fn sha256(&self) -> &str {
        match self {
            MediaRead::Image(i) => &i.sha256,
            MediaRead::Audio(a) => &a.sha256,
        }
    }

    /// The link the file was added from, if it came from one.
    pub fn source_link(&self) -> Option<&str> {
        match self {
            MediaRead::Image(i) => i.source_link.as_deref(),
            MediaRead::Audio(a) => a.source_link.as_deref(),
        }
    }

    pub fn description(&self) -> &Description {
        match self {
            MediaRead::Image(i) => &i.description,
            MediaRead::Audio(a) => &a.description,
        }
    }

    pub fn content_type(&self) -> &str {
        match self {
            MediaRead::Image(i) => &i.content_type,
            MediaRead::Audio(a) => &a.content_type,
        }
    }

    /// Whether it can be cropped here.
    pub fn can_crop(&self) -> bool {
        match self {
            MediaRead::Image(i) => super::file::turn::can_crop(&i.content_type, i.frames as u32),
            MediaRead::Audio(_) => false,
        }
    }

    /// Whether it can be turned here.
    pub fn can_turn(&self) -> bool {
        match self {
            MediaRead::Image(i) => super::file::turn::can_turn(&i.content_type, i.frames as u32),
            MediaRead::Audio(_) => false,
        }
    }
}

/// An upload arriving in pieces, as its client sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resumable {
    pub id: String,
    /// Bytes received so far.
    pub offset: u64,
    pub length: u64,
    /// When it is removed unless another piece arrives.
    pub expires_at: NaiveDateTime,
}

/// What a piece did: where the upload stands, and the new item once the last piece made one.
#[derive(Debug, Clone)]
pub struct Appended {
    pub upload: Resumable,
    pub media: Option<MediaRead>,
}

/// A signed URL and when it stops working.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignedUrl {
    pub url: String,
    pub expires_at: NaiveDateTime,
}

/// One item of a selection, as a confirmation page shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Selected {
    pub kind: MediaKind,
    pub id: i64,
    pub filename: String,
    pub owner: Owner,
    /// Signed URL of the thumbnail (images).
    pub thumb_url: Option<String>,
    pub can_manage: bool,
    /// Share links live now, counted for an item the actor manages: what deleting it ends for
    /// whoever holds them.
    pub live_shares: usize,
}

/// A selection made on an earlier page, as it stands now: what is still there (and visible to
/// the actor), and what is gone since.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Selection {
    pub items: Vec<Selected>,
    pub gone: usize,
}

/// What an item's page shows: the item and the links to it, from one read of its row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detail {
    pub media: MediaRead,
    /// The original, for the player or "Open full size".
    pub view_url: String,
    /// A large image's screen-size rendition, for the preview.
    pub display_url: Option<String>,
    /// Audio's rendition in a codec every browser plays, for the player.
    pub play_url: Option<String>,
    /// The same file, as a download under its name.
    pub download_url: String,
    /// A large image's screen-size rendition as a download, and its size.
    #[serde(skip)]
    pub display_download: Option<(String, (u32, u32))>,
    /// An image's thumbnail (for the JSON API; the pages show the item itself).
    pub thumb_url: Option<String>,
    /// An image's size in pixels as shown (that of the screen-size rendition when it has one).
    #[serde(skip)]
    pub shown_size: Option<(u32, u32)>,
}

impl Detail {
    /// An image as its pages show it: the screen-size rendition, or the original when the
    /// image is small enough to have none.
    pub fn shown_url(&self) -> &str {
        self.display_url.as_deref().unwrap_or(&self.view_url)
    }
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
            frames: r.frame_count,
            has_thumbnail: r.thumbnail_key.is_some(),
            created_at: r.created_at,
            has_location: r.has_location,
            has_device_data: r.has_device_data,
            has_private_copy: r.private_key.is_some(),
            focal: Focal::from_stored(r.focal_x, r.focal_y),
            placeholder: r.placeholder,
            shot: Shot::from_column(r.shot.as_deref()),
            source_link: r.source_link,
            description: Description {
                title: r.title,
                alt_text: r.alt_text,
                caption: r.caption,
                credit: r.credit,
            },
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
            description: Description { title: r.title, alt_text: None, caption: r.caption, credit: r.credit },
            has_rendition: r.rendition_key.is_some(),
            health: r.health.into(),
            source_link: r.source_link,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectionRead {
    pub id: i64,
    pub owner: Owner,
    pub parent_id: Option<i64>,
    pub name: String,
    /// Items in it (not counting its sub-collections').
    pub items: i64,
    pub can_manage: bool,
    /// Levels below the top, in a listing.
    pub depth: usize,
}

/// One collection with where it sits and what it holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectionDetail {
    pub collection: CollectionRead,
    /// From the top down to its parent.
    pub path: Vec<CollectionRead>,
    pub children: Vec<CollectionRead>,
}

//! The API's documents. Times are RFC 3339 in UTC; links are absolute; file links are signed
//! and expire (a listing's live at least an hour, an item's for the configured lifetime), so a
//! client fetches them again rather than keeping them.

use std::collections::HashMap;

use chrono::{NaiveDateTime, SecondsFormat};
use serde::Serialize;

use crate::domain::{Focal, MediaKind, Owner, Shot};
use crate::media::{CollectionRead, Detail, GalleryItem, Health, MediaRead, RegionRead};
use crate::web::WebSettings;

pub(super) fn time(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Whose an item or collection is: none for system media.
#[derive(Serialize)]
pub struct OwnerJson {
    pub id: i64,
    /// Shown to staff, and to an account for its own; `null` to others.
    pub username: Option<String>,
}

fn owner(o: Owner, names: &HashMap<i64, String>) -> Option<OwnerJson> {
    o.id().map(|id| OwnerJson { id, username: names.get(&id).cloned() })
}

/// How an audio item sounds, as its upload measured it; all `null` for one uploaded before
/// Mediadesk measured it. A listing carries the first five; an item all of them.
#[derive(Serialize)]
pub struct LoudnessJson {
    pub integrated_lufs: Option<f64>,
    pub true_peak_dbtp: Option<f64>,
    pub quiet: bool,
    pub clipped: bool,
    pub mostly_silent: bool,
    /// `null` in an item's document for audio too short to have a range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range_lu: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clipped_samples: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silence_start_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silence_end_ms: Option<i64>,
}

impl LoudnessJson {
    fn of(h: &Health, whole: bool) -> LoudnessJson {
        LoudnessJson {
            integrated_lufs: h.loudness_lufs,
            true_peak_dbtp: h.true_peak_db,
            quiet: h.quiet,
            clipped: h.clipped,
            mostly_silent: h.mostly_silent,
            range_lu: whole.then_some(h.loudness_range),
            clipped_samples: whole.then_some(h.clipped_samples),
            silence_start_ms: whole.then_some(h.silence_start_ms),
            silence_end_ms: whole.then_some(h.silence_end_ms),
        }
    }
}

/// An item as a listing shows it; an item's own document adds to it.
#[derive(Serialize)]
pub struct ItemJson {
    pub kind: MediaKind,
    pub id: i64,
    /// Its page.
    pub url: String,
    /// Its document in this API.
    pub api_url: String,
    pub owner: Option<OwnerJson>,
    pub filename: String,
    pub title: Option<String>,
    /// Images: what a screen reader says instead of the image.
    pub alt_text: Option<String>,
    pub content_type: String,
    pub byte_size: i64,
    pub created_at: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// Images: 1, or an animation's frames.
    pub frames: Option<i32>,
    /// Audio: exact, from the upload's decode.
    pub duration_ms: Option<i64>,
    /// Images: a JPEG thumbnail.
    pub thumbnail_url: Option<String>,
    /// Images: the thumbnail's ThumbHash (base64), a blurred likeness to paint while it loads.
    pub placeholder: Option<String>,
    /// Images: the spot a crop to another shape keeps, fractions of the picture as shown
    /// (`null`: none chosen, the middle; audio).
    pub focal_point: Option<Focal>,
    /// Audio: what plays in every browser (the file, or its lossless FLAC rendition).
    pub play_url: Option<String>,
    pub loudness: Option<LoudnessJson>,
}

/// Makes the API's links absolute: a local store's signed links are the app's own.
pub struct Links<'a> {
    pub settings: &'a WebSettings,
    pub names: &'a HashMap<i64, String>,
}

impl Links<'_> {
    fn page(&self, kind: MediaKind, id: i64) -> String {
        self.settings.absolute_url(&format!("/media/{kind}/{id}"))
    }

    fn api(&self, kind: MediaKind, id: i64) -> String {
        self.settings.absolute_url(&format!("/api/v1/media/{kind}/{id}"))
    }

    fn file(&self, url: Option<&str>) -> Option<String> {
        url.map(|u| self.settings.absolute_url(u))
    }

    pub fn listed(&self, g: GalleryItem) -> ItemJson {
        let audio = g.kind == MediaKind::Audio;
        ItemJson {
            kind: g.kind,
            id: g.id,
            url: self.page(g.kind, g.id),
            api_url: self.api(g.kind, g.id),
            owner: owner(g.owner, self.names),
            title: g.title,
            alt_text: g.alt_text,
            content_type: g.content_type,
            byte_size: g.byte_size,
            created_at: time(g.created_at),
            width: g.width,
            height: g.height,
            frames: (!audio).then_some(g.frames),
            duration_ms: g.duration_ms,
            thumbnail_url: self.file(g.thumb_url.as_deref()),
            placeholder: g.placeholder,
            focal_point: g.focal,
            play_url: self.file(g.media_url.as_deref()),
            loudness: audio.then(|| LoudnessJson::of(&g.health, false)),
            filename: g.filename,
        }
    }
}

/// A collection an item is in, or one of the collections listing.
#[derive(Serialize)]
pub struct CollectionJson {
    pub id: i64,
    pub name: String,
    pub parent_id: Option<i64>,
    pub owner: Option<OwnerJson>,
    /// Items in it, not counting its sub-collections'.
    pub items: i64,
    pub url: String,
    /// Its items in this API.
    pub media_url: String,
}

impl Links<'_> {
    pub fn collection(&self, c: CollectionRead) -> CollectionJson {
        CollectionJson {
            url: self.settings.absolute_url(&format!("/collections/{}", c.id)),
            media_url: self.settings.absolute_url(&format!("/api/v1/media?collection={}", c.id)),
            id: c.id,
            name: c.name,
            parent_id: c.parent_id,
            owner: owner(c.owner, self.names),
            items: c.items,
        }
    }
}

#[derive(Serialize)]
pub struct RegionJson {
    pub id: i64,
    pub label: String,
    pub start_ms: i64,
    /// `null`: a point marker.
    pub end_ms: Option<i64>,
    /// The item's page, playing this range (a media fragment).
    pub url: String,
}

/// One item, whole.
#[derive(Serialize)]
pub struct DetailJson {
    #[serde(flatten)]
    pub item: ItemJson,
    pub caption: Option<String>,
    pub credit: Option<String>,
    /// Of the original file's bytes, hex.
    pub sha256: String,
    pub tags: Vec<String>,
    pub collections: Vec<CollectionJson>,
    /// The file as uploaded (to another account, an image without its location and device
    /// data, as it downloads it).
    pub file_url: String,
    /// The same, as a download under its name.
    pub download_url: String,
    /// Images: the screen-size rendition of a large image (`null`: the file is small enough).
    pub display_url: Option<String>,
    /// Images: that rendition as a download named for its size (`harbour-2048x1365.jpg`), and
    /// its size; all `null` when there is none.
    pub display_download_url: Option<String>,
    pub display_width: Option<u32>,
    pub display_height: Option<u32>,
    /// Images: the file says where it was taken / names the camera or its owner.
    pub has_location: Option<bool>,
    pub has_device_data: Option<bool>,
    /// The link the file was added from, without its password, query or fragment (`null`:
    /// uploaded from a computer).
    pub source_link: Option<String>,
    /// Images: how the photo was taken, as far as its EXIF says (`{}`: it says nothing;
    /// `null` for an image stored before this was read, until `mediadesk backfill`).
    pub shot: Option<Shot>,
    /// Audio.
    pub codec: Option<String>,
    pub sample_rate: Option<i32>,
    pub channels: Option<i32>,
    pub bitrate: Option<i32>,
    pub transcript: Option<String>,
    pub regions: Vec<RegionJson>,
}

/// What an item's document gathers besides the item.
pub struct Around {
    pub tags: Vec<String>,
    pub collections: Vec<CollectionRead>,
    pub regions: Vec<RegionRead>,
}

/// What only one kind has, for [`Links::detail`].
#[derive(Default)]
struct KindFacts {
    width: Option<i32>,
    height: Option<i32>,
    frames: Option<i32>,
    has_location: Option<bool>,
    has_device_data: Option<bool>,
    shot: Option<Shot>,
    focal_point: Option<Focal>,
    placeholder: Option<String>,
    duration_ms: Option<i64>,
    play_url: Option<String>,
    loudness: Option<LoudnessJson>,
    codec: Option<String>,
    sample_rate: Option<i32>,
    channels: Option<i32>,
    bitrate: Option<i32>,
    transcript: Option<String>,
}

impl Links<'_> {
    fn regions(page: &str, regions: Vec<RegionRead>) -> Vec<RegionJson> {
        let secs = |ms: i64| ms as f64 / 1000.0;
        regions
            .into_iter()
            .map(|r| RegionJson {
                url: match r.end_ms {
                    Some(end) => format!("{page}#t={},{}", secs(r.start_ms), secs(end)),
                    None => format!("{page}#t={}", secs(r.start_ms)),
                },
                id: r.id,
                label: r.label,
                start_ms: r.start_ms,
                end_ms: r.end_ms,
            })
            .collect()
    }

    pub fn detail(&self, d: Detail, around: Around) -> DetailJson {
        let f = match &d.media {
            MediaRead::Image(i) => KindFacts {
                width: Some(i.width),
                height: Some(i.height),
                frames: Some(i.frames),
                has_location: Some(i.has_location),
                has_device_data: Some(i.has_device_data),
                shot: i.shot.clone(),
                focal_point: i.focal,
                placeholder: i.placeholder.clone(),
                ..KindFacts::default()
            },
            MediaRead::Audio(a) => KindFacts {
                duration_ms: Some(a.duration_ms),
                play_url: Some(self.settings.absolute_url(d.play_url.as_deref().unwrap_or(&d.view_url))),
                loudness: Some(LoudnessJson::of(&a.health, true)),
                codec: Some(a.codec.clone()),
                sample_rate: Some(a.sample_rate),
                channels: Some(a.channels),
                bitrate: Some(a.bitrate),
                transcript: a.transcript.clone(),
                ..KindFacts::default()
            },
        };
        let m = &d.media;
        let (kind, id) = (m.kind(), m.id());
        let (created, size) = m.created_and_size();
        let description = m.description().clone();
        let page = self.page(kind, id);
        DetailJson {
            item: ItemJson {
                kind,
                id,
                url: page.clone(),
                api_url: self.api(kind, id),
                owner: owner(m.owner(), self.names),
                filename: m.filename().to_owned(),
                title: description.title,
                alt_text: description.alt_text,
                content_type: m.content_type().to_owned(),
                byte_size: size,
                created_at: time(created),
                width: f.width,
                height: f.height,
                frames: f.frames,
                duration_ms: f.duration_ms,
                thumbnail_url: self.file(d.thumb_url.as_deref()),
                placeholder: f.placeholder,
                focal_point: f.focal_point,
                play_url: f.play_url,
                loudness: f.loudness,
            },
            caption: description.caption,
            credit: description.credit,
            sha256: m.sha256().to_owned(),
            tags: around.tags,
            collections: around.collections.into_iter().map(|c| self.collection(c)).collect(),
            file_url: self.settings.absolute_url(&d.view_url),
            download_url: self.settings.absolute_url(&d.download_url),
            display_url: self.file(d.display_url.as_deref()),
            display_download_url: self.file(d.display_download.as_ref().map(|(url, _)| url.as_str())),
            display_width: d.display_download.as_ref().map(|(_, (w, _))| *w),
            display_height: d.display_download.as_ref().map(|(_, (_, h))| *h),
            has_location: f.has_location,
            has_device_data: f.has_device_data,
            source_link: m.source_link().map(str::to_owned),
            shot: f.shot,
            codec: f.codec,
            sample_rate: f.sample_rate,
            channels: f.channels,
            bitrate: f.bitrate,
            transcript: f.transcript,
            regions: Self::regions(&page, around.regions),
        }
    }
}

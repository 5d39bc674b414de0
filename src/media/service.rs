//! `MediaService`: the one surface the rest of the app uses for media.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::MediaError;
use super::access::Actor;
use super::dto::{AudioRead, CollectionRead, Detail, MediaRead, Selected, Selection, SignedUrl};
use super::file::MediaType;
use super::file::cpu_pool::CpuPool;
use super::file::decode::ImageLimits;
use super::file::display::{DISPLAY_MAX, DisplayFormat};
use super::file::thumbnail;
use crate::db::repo::{AudioRepo, AuditRepo, ImageRepo, ShareRepo};
use crate::db::rows::{AudioRow, ImageRow};
use crate::db::{Db, DbConn, now};
use crate::domain::{AuditAction, MediaKind, OwnerFilter};
use crate::memo::{self, Memo};
use crate::storage::{ObjectStore, SignedUrlOptions, StorageKey};

/// Tunables of the media service.
#[derive(Debug, Clone)]
pub struct MediaSettings {
    /// Largest accepted file; 100 MiB by default.
    pub max_upload_bytes: u64,
    /// Where uploads are spooled while they are checked.
    pub spool_dir: PathBuf,
    pub image_limits: ImageLimits,
    pub default_url_ttl: Duration,
    pub max_url_ttl: Duration,
    /// Threads that decode and resize (at the lowest priority); more would only queue for the CPU.
    pub cpu_jobs: usize,
    /// How long a resumable upload waits for its next piece before it is removed.
    pub resumable_expiry: Duration,
    /// Days a deleted item waits in the trash before it is purged; 0 deletes at once.
    pub trash_days: u32,
    /// Bytes an account may store unless an admin set its own quota; `None`: no limit.
    pub default_quota: Option<u64>,
    /// The longest a share link may live, when admins capped it; `None`: until revoked.
    pub share_max_lifetime: Option<Duration>,
    /// How long the URLs a share page hands out live (at most 60 s).
    pub share_url_ttl: Duration,
    /// Where location and device data is removed from images.
    pub strip_metadata: crate::domain::StripPolicy,
    /// Whether and where files may be fetched from links.
    pub link_import: super::link_import::LinkImport,
}

impl MediaSettings {
    pub fn new(spool_dir: PathBuf) -> MediaSettings {
        MediaSettings {
            max_upload_bytes: 100 * 1024 * 1024,
            spool_dir,
            image_limits: ImageLimits::default(),
            default_url_ttl: Duration::from_secs(3600),
            max_url_ttl: Duration::from_secs(7 * 24 * 3600),
            cpu_jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            resumable_expiry: Duration::from_secs(24 * 3600),
            trash_days: 30,
            default_quota: None,
            share_max_lifetime: None,
            share_url_ttl: Duration::from_secs(60),
            strip_metadata: crate::domain::StripPolicy::Shares,
            link_import: Default::default(),
        }
    }
}

/// Longest transcript kept, in characters.
pub const MAX_TRANSCRIPT_CHARS: usize = 100_000;

/// Whether the service's dependencies answer, each with why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub database: Result<(), String>,
    pub storage: Result<(), String>,
}

/// Upload, read, list, sign, change and delete media; checks who may do what.
#[derive(Clone)]
pub struct MediaService {
    pub(super) db: Db,
    pub(super) store: Arc<dyn ObjectStore>,
    pub(super) settings: Arc<MediaSettings>,
    pub(super) cpu: CpuPool,
    /// Work an upload left running after it answered (display renditions).
    pub(super) background: Arc<Background>,
    /// What this process keeps of the resumable uploads it takes pieces of.
    pub(super) pieces: Arc<super::pieces::Pieces>,
    pub(super) memos: Arc<PageMemos>,
    pub(super) link_client: super::link_import::LinkClient,
    /// Turns at fetching links (see [`super::LinkImport::concurrency`]).
    pub(super) link_turns: Arc<tokio::sync::Semaphore>,
}

/// What every page shows beside its items, kept for a moment (see [`crate::memo`]).
pub(super) struct PageMemos {
    /// By scope (`None`: staff, who see every collection) and how many.
    pub(super) collection_choices: Memo<(Option<i64>, usize), Vec<CollectionRead>>,
    /// By scope, as [`MediaService::tag_suggestions`] reads them.
    pub(super) tag_suggestions: Memo<Option<i64>, Vec<String>>,
    /// Tag ids by key, as the gallery's tag filter finds them. A tag is never deleted, renamed or
    /// given another key (untagging removes only the tagging), so the id a key found stays its
    /// id for good, on every instance: a filter by a known tag asks the database nothing. A key
    /// no tag has yet is not kept: a tag may be made for it at any moment.
    pub(super) tag_ids: memo::Kept<String, i64>,
}

/// Counts the work uploads left running after they answered (`later.rs`), so that tests and
/// shutdown can wait for it.
#[derive(Default)]
pub struct Background {
    pub(super) running: std::sync::atomic::AtomicUsize,
    pub(super) idle: tokio::sync::Notify,
}

/// An item as the service works with it: what callers may see, and where its objects are.
pub(super) struct Item {
    pub media: MediaRead,
    pub key: String,
    pub thumbnail: Option<String>,
    /// The screen-size rendition of a large image.
    pub display: Option<String>,
    pub waveform: Option<String>,
    /// An image's copy without location and device data.
    pub private: Option<String>,
    /// Audio's copy in a codec every browser plays.
    pub rendition: Option<String>,
}

/// Ids one query of [`MediaService::items`] asks for (well under SQLite's bound variables).
const ITEMS_PER_QUERY: usize = 500;

impl Item {
    /// An image's size in pixels as its pages show it: its screen-size rendition's when it has
    /// one. A page holds the picture's place at that size, its placeholder painted there, until
    /// the picture loads.
    pub fn shown_size(&self) -> Option<(u32, u32)> {
        let MediaRead::Image(i) = &self.media else { return None };
        let (w, h) = (i.width as u32, i.height as u32);
        Some(if self.display.is_some() { thumbnail::fit(w, h, DISPLAY_MAX) } else { (w, h) })
    }

    fn image(r: ImageRow) -> Item {
        Item {
            key: r.storage_key.clone(),
            thumbnail: r.thumbnail_key.clone(),
            display: r.display_key.clone(),
            waveform: None,
            private: r.private_key.clone(),
            rendition: None,
            media: MediaRead::Image(r.into()),
        }
    }

    fn audio(r: AudioRow) -> Item {
        Item {
            key: r.storage_key.clone(),
            thumbnail: None,
            display: None,
            waveform: r.waveform_key.clone(),
            private: None,
            rendition: r.rendition_key.clone(),
            media: MediaRead::Audio(r.into()),
        }
    }

    /// Every object the item has besides its original.
    pub fn derived_keys(&self) -> impl Iterator<Item = &String> {
        self.thumbnail
            .iter()
            .chain(&self.display)
            .chain(&self.waveform)
            .chain(&self.private)
            .chain(&self.rendition)
    }
}

impl MediaService {
    /// The same service over another pool of the same database (an HTTP worker's own); work,
    /// memos and settings stay shared.
    pub fn with_db(&self, db: Db) -> MediaService {
        MediaService { db, ..self.clone() }
    }

    pub fn new(db: Db, store: Arc<dyn ObjectStore>, settings: MediaSettings) -> MediaService {
        let cpu = CpuPool::new(settings.cpu_jobs);
        let link_turns = Arc::new(tokio::sync::Semaphore::new(settings.link_import.concurrency.max(1)));
        MediaService {
            db,
            store,
            settings: Arc::new(settings),
            cpu,
            background: Arc::default(),
            pieces: Arc::default(),
            link_client: Arc::default(),
            link_turns,
            memos: Arc::new(PageMemos {
                collection_choices: Memo::new(memo::LIFETIME),
                tag_suggestions: Memo::new(memo::LIFETIME),
                tag_ids: memo::Kept::new(4096),
            }),
        }
    }

    pub fn settings(&self) -> &MediaSettings {
        &self.settings
    }

    /// Reads an item's row inside a transaction, locked until it ends (a no-op write: a row
    /// lock on PostgreSQL, the write lock on SQLite): what is written beside it (a tag, a
    /// collection place, a description) then takes turns with its delete and its replace, and
    /// never lands for an item that is gone or carries its old name and size.
    pub(super) async fn locked_item(
        c: &mut DbConn<'_>,
        (kind, id): (MediaKind, i64),
    ) -> Result<Item, MediaError> {
        let item = match kind {
            MediaKind::Image if ImageRepo::lock(c, id).await? => {
                ImageRepo::by_id(c, id).await?.map(Item::image)
            }
            MediaKind::Audio if AudioRepo::lock(c, id).await? => {
                AudioRepo::by_id(c, id).await?.map(Item::audio)
            }
            _ => None,
        };
        item.ok_or(MediaError::NotFound)
    }

    /// Reads an item's row, once.
    pub(super) async fn item(&self, kind: MediaKind, id: i64) -> Result<Item, MediaError> {
        let mut pooled = self.db.get().await?;
        let item = match kind {
            MediaKind::Image => ImageRepo::by_id(&mut pooled.conn(), id).await?.map(Item::image),
            MediaKind::Audio => AudioRepo::by_id(&mut pooled.conn(), id).await?.map(Item::audio),
        };
        item.ok_or(MediaError::NotFound)
    }

    /// The items of those kinds and ids that exist, read a few hundred per query (a ZIP of
    /// thousands made as many round trips before its first byte).
    pub(super) async fn items(
        &self,
        wanted: &[(MediaKind, i64)],
    ) -> Result<HashMap<(MediaKind, i64), Item>, MediaError> {
        let mut found = HashMap::with_capacity(wanted.len());
        let mut pooled = self.db.get().await?;
        for kind in [MediaKind::Image, MediaKind::Audio] {
            let ids: Vec<i64> = wanted.iter().filter(|(k, _)| *k == kind).map(|&(_, id)| id).collect();
            for chunk in ids.chunks(ITEMS_PER_QUERY) {
                let items: Vec<Item> = match kind {
                    MediaKind::Image => ImageRepo::by_ids(&mut pooled.conn(), chunk)
                        .await?
                        .into_iter()
                        .map(Item::image)
                        .collect(),
                    MediaKind::Audio => AudioRepo::by_ids(&mut pooled.conn(), chunk)
                        .await?
                        .into_iter()
                        .map(Item::audio)
                        .collect(),
                };
                found.extend(items.into_iter().map(|i| ((kind, i.media.id()), i)));
            }
        }
        Ok(found)
    }

    /// An item the actor may see.
    pub async fn get(&self, actor: &Actor, kind: MediaKind, id: i64) -> Result<MediaRead, MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_view(item.media.owner_id())?;
        Ok(item.media)
    }

    /// A selection as it stands now: each item the actor may still see, with its thumbnail; those
    /// deleted (or never visible) since are counted, not an error.
    pub async fn selection(
        &self,
        actor: &Actor,
        picked: &[(MediaKind, i64)],
    ) -> Result<Selection, MediaError> {
        let mut selection = Selection::default();
        for &(kind, id) in picked {
            let item = match self.item(kind, id).await {
                Ok(item) if actor.can_view(item.media.owner_id()) => item,
                Ok(_) | Err(MediaError::NotFound) => {
                    selection.gone += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let thumb_url = match &item.thumbnail {
                Some(thumb) => {
                    Some(self.sign(&StorageKey::parse(thumb)?, "image/jpeg", None, None).await?.url)
                }
                None => None,
            };
            selection.items.push(Selected {
                kind,
                id,
                filename: item.media.filename().to_owned(),
                owner: item.media.owner(),
                thumb_url,
                can_manage: actor.can_manage(item.media.owner_id()),
                live_shares: 0,
            });
        }
        let managed: Vec<_> =
            selection.items.iter().filter(|i| i.can_manage).map(|i| (i.kind, i.id)).collect();
        let live = self.live_share_counts(&managed).await?;
        for item in &mut selection.items {
            item.live_shares = live.get(&(item.kind, item.id)).copied().unwrap_or(0);
        }
        Ok(selection)
    }

    /// Of a view's items one may delete: how many have live share links, and how many links
    /// they have between them, for the question before deleting them all.
    pub async fn view_live_shares(&self, members: &super::ViewMembers) -> Result<(usize, usize), MediaError> {
        let live = self.live_share_counts(&members.items).await?;
        Ok((live.len(), live.values().sum()))
    }

    /// Live share links of `items` (which the caller has checked the actor manages), by item;
    /// items without one are left out.
    async fn live_share_counts(
        &self,
        items: &[(MediaKind, i64)],
    ) -> Result<HashMap<(MediaKind, i64), usize>, MediaError> {
        let mut counts = HashMap::new();
        let mut pooled = self.db.get().await?;
        for kind in [MediaKind::Image, MediaKind::Audio] {
            let ids: Vec<i64> = items.iter().filter(|(k, _)| *k == kind).map(|(_, id)| *id).collect();
            for (id, n) in ShareRepo::live_counts(&mut pooled.conn(), kind, &ids, now()).await? {
                counts.insert((kind, id), n as usize);
            }
        }
        Ok(counts)
    }

    /// The database and the object store answer (for `/readyz`).
    pub async fn readiness(&self) -> Readiness {
        let (database, storage) = tokio::join!(self.db.ping(), self.store.ping());
        Readiness {
            database: database.map_err(|e| e.to_string()),
            storage: storage.map_err(|e| e.to_string()),
        }
    }

    pub(super) fn check_list(actor: &Actor, filter: OwnerFilter) -> Result<(), MediaError> {
        match filter {
            OwnerFilter::System => Ok(()),
            OwnerFilter::Visible(id) if Some(id) == actor.user_id => Ok(()),
            OwnerFilter::User(id) if Some(id) == actor.user_id => Ok(()),
            _ if actor.is_staff => Ok(()),
            _ => Err(MediaError::Forbidden),
        }
    }

    /// A signed GET URL for an item the actor may see. `ttl` defaults to the configured one and
    /// is capped at the maximum (7 days, the S3 limit).
    pub async fn signed_url(
        &self,
        actor: &Actor,
        kind: MediaKind,
        id: i64,
        ttl: Option<Duration>,
        download: bool,
    ) -> Result<SignedUrl, MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_view(item.media.owner_id())?;
        let name = download.then(|| item.media.filename());
        let key = StorageKey::parse(self.outgoing_key(Some(actor), &item))?;
        self.sign(&key, item.media.content_type(), ttl, name).await
    }

    /// An item's page: the item, a link to view it and one to download it; the row is read once.
    /// The links are issued on a round time (see [`MediaService::round_issue`]), so a browser
    /// keeps what it fetched: coming back to the page, or walking the viewer back and forth,
    /// fetches no picture twice, and the viewer can fetch the next one ahead.
    pub async fn detail(&self, actor: &Actor, kind: MediaKind, id: i64) -> Result<Detail, MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_view(item.media.owner_id())?;
        let key = StorageKey::parse(self.outgoing_key(Some(actor), &item))?;
        let mime = item.media.content_type();
        let at = self.round_issue();
        let view_url = self.sign_issued(&key, mime, None, None, at).await?.url;
        let download_url = self.sign_issued(&key, mime, None, Some(item.media.filename()), at).await?.url;
        let display_url = match &item.display {
            Some(display) => Some(self.sign_display(display, at).await?),
            None => None,
        };
        let display_download =
            self.sign_sized_download(&item, None, at).await?.map(|(signed, size)| (signed.url, size));
        let play_url = match &item.rendition {
            Some(play) => {
                Some(self.sign_issued(&StorageKey::parse(play)?, "audio/flac", None, None, at).await?.url)
            }
            None => None,
        };
        let thumb_url = match &item.thumbnail {
            Some(thumb) => {
                Some(self.sign_issued(&StorageKey::parse(thumb)?, "image/jpeg", None, None, at).await?.url)
            }
            None => None,
        };
        let shown_size = item.shown_size();
        Ok(Detail {
            media: item.media,
            view_url,
            display_url,
            play_url,
            download_url,
            display_download,
            thumb_url,
            shown_size,
        })
    }

    /// The one link of [`Detail::shown_url`], the same as the item's page gives now: the
    /// picture to fetch before going there, without signing the page's other links.
    pub async fn shown_url(&self, actor: &Actor, kind: MediaKind, id: i64) -> Result<String, MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_view(item.media.owner_id())?;
        let at = self.round_issue();
        match &item.display {
            Some(display) => self.sign_display(display, at).await,
            None => {
                let key = StorageKey::parse(self.outgoing_key(Some(actor), &item))?;
                Ok(self.sign_issued(&key, item.media.content_type(), None, None, at).await?.url)
            }
        }
    }

    /// A large image's screen-size copy as a download named for its size
    /// (`harbour.jpg` → `harbour-2048x1365.jpg`), and that size; `None` for an item without
    /// one. What someone fetching a picture for a web page wants, rather than a 24 MP original.
    pub(super) async fn sign_sized_download(
        &self,
        item: &Item,
        ttl: Option<Duration>,
        at: Option<i64>,
    ) -> Result<Option<(SignedUrl, (u32, u32))>, MediaError> {
        let (Some(display), Some((w, h))) = (&item.display, item.shown_size()) else {
            return Ok(None);
        };
        let key = StorageKey::parse(display)?;
        let format = DisplayFormat::of_key(key.as_str());
        let original = item.media.filename();
        let stem = original.rsplit_once('.').map_or(original, |(stem, _)| stem);
        let name = format!("{stem}-{w}x{h}.{}", format.extension());
        let signed = self.sign_issued(&key, format.mime(), ttl, Some(&name), at).await?;
        Ok(Some((signed, (w, h))))
    }

    async fn sign_display(&self, display: &str, at: Option<i64>) -> Result<String, MediaError> {
        let display = StorageKey::parse(display)?;
        let mime = DisplayFormat::of_key(display.as_str()).mime();
        Ok(self.sign_issued(&display, mime, None, None, at).await?.url)
    }

    pub(super) async fn sign(
        &self,
        key: &StorageKey,
        mime: &str,
        ttl: Option<Duration>,
        download_name: Option<&str>,
    ) -> Result<SignedUrl, MediaError> {
        self.sign_issued(key, mime, ttl, download_name, None).await
    }

    /// When the links of a page issued now start: the last multiple of half the default
    /// lifetime, so the same object keeps the same URL that long and every URL still has at
    /// least half its life left. (Under two minutes' lifetime, now.)
    fn round_issue(&self) -> Option<i64> {
        let half = (self.settings.default_url_ttl.as_secs() / 2) as i64;
        (half >= 60).then(|| chrono::Utc::now().timestamp() / half * half)
    }

    /// [`MediaService::sign`], valid from `issued_at` (unix seconds; `None`: now).
    async fn sign_issued(
        &self,
        key: &StorageKey,
        mime: &str,
        ttl: Option<Duration>,
        download_name: Option<&str>,
        issued_at: Option<i64>,
    ) -> Result<SignedUrl, MediaError> {
        let ttl = ttl
            .unwrap_or(self.settings.default_url_ttl)
            .clamp(Duration::from_secs(1), self.settings.max_url_ttl);
        // Every download ends in its real type's extension, whatever the uploader named it.
        let download_name = download_name.map(|name| match MediaType::from_mime(mime) {
            Some(t) => super::filename::download_name(name, t),
            None => name.to_owned(),
        });
        let options = SignedUrlOptions { ttl, content_type: Some(mime.to_owned()), download_name, issued_at };
        let url = self.store.signed_url(key, &options).await?;
        let issued = issued_at
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map_or_else(now, |t| t.naive_utc());
        let expires_at = issued + chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::zero());
        Ok(SignedUrl { url, expires_at })
    }

    /// Replaces (or clears, with an empty text) an audio item's transcript. With `seen`, the
    /// fingerprint of the transcript the form showed, a transcript someone else changed
    /// meanwhile refuses the save ([`MediaError::EditConflict`]) instead of being overwritten.
    pub async fn update_transcript(
        &self,
        actor: &Actor,
        id: i64,
        transcript: &str,
        seen: Option<&str>,
    ) -> Result<AudioRead, MediaError> {
        check_transcript(transcript)?;
        let item = self.item(MediaKind::Audio, id).await?;
        actor.check_manage(item.media.owner_id())?;
        let text = transcript.trim();
        let mine = (!text.is_empty()).then(|| text.to_owned());
        let updated = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                if !AudioRepo::lock(c, id).await? {
                    return Err(MediaError::NotFound);
                }
                let saved = AudioRepo::by_id(c, id).await?.and_then(|r| r.transcript);
                let mut clashes = Vec::new();
                let value = match seen {
                    Some(_) => super::seen::merge("transcript", (seen, mine, saved), &mut clashes),
                    None => mine,
                };
                if !clashes.is_empty() {
                    return Err(MediaError::EditConflict(clashes));
                }
                write_transcript(c, actor, id, value.as_deref()).await?;
                Ok(AudioRepo::by_id(c, id).await?)
            })
            .await?;
        updated.map(Into::into).ok_or(MediaError::NotFound)
    }
}

/// An audio item's transcript (`None`: cleared) and its audit row, in the caller's transaction.
pub(super) async fn write_transcript(
    c: &mut DbConn<'_>,
    actor: &Actor,
    id: i64,
    text: Option<&str>,
) -> Result<(), MediaError> {
    AudioRepo::update_transcript(c, id, text, now()).await?;
    let entry = actor.did(AuditAction::Edit, (MediaKind::Audio, id)).detail("transcript");
    AuditRepo::add(c, &entry).await?;
    Ok(())
}

pub(super) fn check_transcript(text: &str) -> Result<(), MediaError> {
    if text.chars().count() > MAX_TRANSCRIPT_CHARS {
        return Err(MediaError::Invalid(format!(
            "the transcript is longer than {MAX_TRANSCRIPT_CHARS} characters"
        )));
    }
    Ok(())
}

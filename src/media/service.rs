//! `MediaService`: the one surface the rest of the app uses for media.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use tokio::sync::Semaphore;

use super::access::Actor;
use super::dto::{
    AudioCreate, AudioRead, FileUploadResult, ImageCreate, ImageRead, MediaRead, Owner, Page, PageRequest,
    SignedUrl,
};
use super::probe_audio::{AudioInfo, analyse_audio};
use super::probe_image::{ImageInfo, ImageLimits, probe_image};
use super::sniff::{MediaKind, MediaType, sniff_path};
use super::spool::{Spooled, spool};
use super::thumbnail::{THUMB_MAX, Thumbnail};
use super::{MediaError, filename};
use crate::db::repo::{AudioRepo, ImageRepo, OwnerFilter, PageParams, PendingDeletionRepo, UserRepo};
use crate::db::rows::{AudioRow, ImageRow, NewAudio, NewImage};
use crate::db::{Db, DbConn, DbError};
use crate::metrics::METRICS;
use crate::storage::{ByteStream, ObjectStore, SignedUrlOptions, StorageError, StorageKey};

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
    /// Concurrent decode/probe jobs; more would only queue for the CPU.
    pub cpu_jobs: usize,
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
        }
    }
}

/// Thumbnails sit next to their original: `u1/abc.jpg` → `u1/abc.thumb.jpg`.
const THUMB_SUFFIX: &str = "thumb.jpg";

/// Longest transcript kept, in characters.
pub const MAX_TRANSCRIPT_CHARS: usize = 100_000;
const MAX_PER_PAGE: u32 = 200;
/// How long a failed object deletion waits before the next try.
const DELETE_RETRY_BACKOFF: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// What a retry pass over pending deletions achieved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RetryReport {
    pub deleted: usize,
    pub failed: usize,
}

/// Upload, read, list, sign, change and delete media; checks who may do what.
#[derive(Clone)]
pub struct MediaService {
    pub(super) db: Db,
    pub(super) store: Arc<dyn ObjectStore>,
    pub(super) settings: Arc<MediaSettings>,
    cpu: Arc<Semaphore>,
}

enum Probed {
    Image(ImageInfo, Thumbnail),
    Audio(AudioInfo, Vec<u8>),
}

/// A checked upload waiting to be stored.
struct Accepted {
    spooled: Spooled,
    media_type: MediaType,
    probed: Probed,
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

impl MediaService {
    pub fn new(db: Db, store: Arc<dyn ObjectStore>, settings: MediaSettings) -> MediaService {
        let cpu = Arc::new(Semaphore::new(settings.cpu_jobs.max(1)));
        MediaService { db, store, settings: Arc::new(settings), cpu }
    }

    pub fn settings(&self) -> &MediaSettings {
        &self.settings
    }

    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// Uploads an image; refuses anything whose bytes are not an accepted image.
    pub async fn upload_image(
        &self,
        actor: &Actor,
        create: ImageCreate,
        body: ByteStream,
    ) -> Result<FileUploadResult, MediaError> {
        let upload = UploadRequest {
            owner: create.owner,
            filename: create.filename,
            content_type: create.content_type,
            transcript: None,
            generate_presigned_url: create.generate_presigned_url,
        };
        self.upload_checked(actor, upload, Some(MediaKind::Image), body).await
    }

    /// Uploads an audio file; refuses anything whose bytes are not accepted audio.
    pub async fn upload_audio(
        &self,
        actor: &Actor,
        create: AudioCreate,
        body: ByteStream,
    ) -> Result<FileUploadResult, MediaError> {
        let upload = UploadRequest {
            owner: create.owner,
            filename: create.filename,
            content_type: create.content_type,
            transcript: create.transcript,
            generate_presigned_url: create.generate_presigned_url,
        };
        self.upload_checked(actor, upload, Some(MediaKind::Audio), body).await
    }

    /// Uploads a file of either kind; what it is comes from its bytes.
    pub async fn upload(
        &self,
        actor: &Actor,
        create: ImageCreate,
        body: ByteStream,
    ) -> Result<FileUploadResult, MediaError> {
        let upload = UploadRequest {
            owner: create.owner,
            filename: create.filename,
            content_type: create.content_type,
            transcript: None,
            generate_presigned_url: create.generate_presigned_url,
        };
        self.upload_checked(actor, upload, None, body).await
    }

    async fn upload_checked(
        &self,
        actor: &Actor,
        upload: UploadRequest,
        expected: Option<MediaKind>,
        body: ByteStream,
    ) -> Result<FileUploadResult, MediaError> {
        let result = self.upload_counted(actor, upload, expected, body).await;
        match &result {
            Ok(_) => METRICS.uploads_accepted.fetch_add(1, Relaxed),
            Err(_) => METRICS.uploads_refused.fetch_add(1, Relaxed),
        };
        result
    }

    async fn upload_counted(
        &self,
        actor: &Actor,
        upload: UploadRequest,
        expected: Option<MediaKind>,
        body: ByteStream,
    ) -> Result<FileUploadResult, MediaError> {
        actor.check_upload_for(upload.owner)?;
        if let Some(text) = &upload.transcript {
            check_transcript(text)?;
        }
        let filename = filename::clean(&upload.filename);
        if let Owner::User(id) = upload.owner {
            let mut pooled = self.db.get().await?;
            if !UserRepo::exists(&mut pooled.conn(), id).await? {
                return Err(MediaError::Invalid("the chosen owner does not exist".into()));
            }
        }
        let spooled = spool(body, &self.settings.spool_dir, self.settings.max_upload_bytes).await?;
        let accepted = self.check(spooled, upload.content_type.as_deref(), expected).await?;
        let key = StorageKey::generate(upload.owner.id(), accepted.media_type.extension());
        let thumb_key = matches!(accepted.probed, Probed::Image(..)).then(|| key.derived(THUMB_SUFFIX));
        let stored = self.store_objects(&key, thumb_key.as_ref(), &accepted).await;
        let inserted = match stored {
            Ok(()) => self.insert_row(actor, &upload, &filename, &key, thumb_key.as_ref(), &accepted).await,
            Err(e) => Err(e),
        };
        let media = match inserted {
            Ok(media) => media,
            Err(e) => {
                // The row is what makes objects reachable; without it they must go.
                let keys: Vec<&StorageKey> = std::iter::once(&key).chain(thumb_key.as_ref()).collect();
                self.discard_objects(&keys, matches!(e, MediaError::Storage(StorageError::Unavailable(_))))
                    .await;
                return Err(e);
            }
        };
        let url = if upload.generate_presigned_url {
            Some(self.sign(&key, media.kind(), accepted.media_type.mime(), None, None).await?.url)
        } else {
            None
        };
        tracing::info!(
            id = media.id(),
            kind = media.kind().as_str(),
            size = accepted.spooled.size,
            "media uploaded"
        );
        METRICS.upload_bytes.fetch_add(accepted.spooled.size, Relaxed);
        Ok(FileUploadResult { media, url })
    }

    /// Sniffs, compares with the declared type, and probes on the blocking pool.
    async fn check(
        &self,
        spooled: Spooled,
        declared: Option<&str>,
        expected: Option<MediaKind>,
    ) -> Result<Accepted, MediaError> {
        let path = spooled.path.to_path_buf();
        let (media_type, audio_start) = tokio::task::spawn_blocking(move || sniff_path(&path))
            .await
            .map_err(|e| MediaError::Internal(format!("sniff task failed: {e}")))??;
        check_declared(declared, media_type)?;
        if let Some(kind) = expected
            && kind != media_type.kind()
        {
            return Err(MediaError::UnsupportedType(format!(
                "expected an {} file, but this is a {}",
                kind.as_str(),
                media_type.label()
            )));
        }
        let _permit = self.cpu.acquire().await.map_err(|e| MediaError::Internal(e.to_string()))?;
        let path = spooled.path.to_path_buf();
        let limits = self.settings.image_limits;
        let started = std::time::Instant::now();
        let probed = tokio::task::spawn_blocking(move || match media_type.kind() {
            MediaKind::Image => {
                probe_image(&path, media_type, &limits, THUMB_MAX).map(|(i, t)| Probed::Image(i, t))
            }
            MediaKind::Audio => {
                analyse_audio(&path, media_type, audio_start).map(|(i, p)| Probed::Audio(i, p))
            }
        })
        .await
        .map_err(|e| MediaError::Internal(format!("probe task failed: {e}")))??;
        match media_type.kind() {
            MediaKind::Image => METRICS.thumbnail_seconds.observe(started.elapsed()),
            MediaKind::Audio => METRICS.waveform_seconds.observe(started.elapsed()),
        }
        Ok(Accepted { spooled, media_type, probed })
    }

    async fn store_objects(
        &self,
        key: &StorageKey,
        thumb_key: Option<&StorageKey>,
        accepted: &Accepted,
    ) -> Result<(), MediaError> {
        self.store.put_file(key, &accepted.spooled.path, accepted.media_type.mime()).await?;
        if let (Some(thumb_key), Probed::Image(_, thumb)) = (thumb_key, &accepted.probed) {
            let body: ByteStream = Box::pin(futures_util::stream::iter([Ok::<_, std::io::Error>(
                bytes::Bytes::from(thumb.jpeg.clone()),
            )]));
            self.store.put_stream(thumb_key, body, "image/jpeg").await?;
        }
        Ok(())
    }

    /// Removes the objects of an upload that failed. What cannot be removed now is recorded as a
    /// pending deletion and retried. After a timeout the store may still finish a write it was
    /// sent (`in_doubt`), so the keys are recorded for a later, idempotent retry even when the
    /// delete seemed to work.
    async fn discard_objects(&self, keys: &[&StorageKey], in_doubt: bool) {
        let mut leftovers = Vec::new();
        for key in keys {
            match self.store.delete(key).await {
                Ok(()) if !in_doubt => {}
                Ok(()) => leftovers.push(key.as_str()),
                Err(e) => {
                    tracing::warn!(key = %key, error = %e, "could not remove the object of a failed upload yet");
                    leftovers.push(key.as_str());
                }
            }
        }
        if leftovers.is_empty() {
            return;
        }
        let due = now() + DELETE_RETRY_BACKOFF;
        let recorded = match self.db.get().await {
            Ok(mut pooled) => PendingDeletionRepo::add_due(&mut pooled.conn(), &leftovers, now(), due).await,
            Err(e) => Err(e),
        };
        if let Err(e) = recorded {
            tracing::error!(keys = ?leftovers, error = %e, "orphaned objects after a failed upload; reconcile will find them");
        }
    }

    async fn insert_row(
        &self,
        actor: &Actor,
        upload: &UploadRequest,
        filename: &str,
        key: &StorageKey,
        thumb_key: Option<&StorageKey>,
        accepted: &Accepted,
    ) -> Result<MediaRead, MediaError> {
        let t = now();
        let size = accepted.spooled.size as i64;
        let mime = accepted.media_type.mime();
        let sha = accepted.spooled.sha256.as_str();
        let owner_id = upload.owner.id();
        match &accepted.probed {
            Probed::Image(info, _) => {
                let new = NewImage {
                    owner_id,
                    uploader_id: actor.user_id,
                    original_filename: filename,
                    content_type: mime,
                    byte_size: size,
                    sha256: sha,
                    storage_key: key.as_str(),
                    thumbnail_key: thumb_key.map(StorageKey::as_str),
                    width: info.width as i32,
                    height: info.height as i32,
                    created_at: t,
                };
                let row =
                    self.db.transaction(async |c: &mut DbConn<'_>| ImageRepo::create(c, &new).await).await?;
                Ok(MediaRead::Image(row.into()))
            }
            Probed::Audio(info, peaks) => {
                let new = NewAudio {
                    owner_id,
                    uploader_id: actor.user_id,
                    original_filename: filename,
                    content_type: mime,
                    byte_size: size,
                    sha256: sha,
                    storage_key: key.as_str(),
                    waveform_key: None,
                    duration_ms: info.duration_ms,
                    bitrate: info.bitrate,
                    sample_rate: info.sample_rate,
                    channels: info.channels,
                    codec: &info.codec,
                    transcript: upload.transcript.as_deref(),
                    created_at: t,
                    updated_at: t,
                    peaks: Some(peaks),
                };
                let row =
                    self.db.transaction(async |c: &mut DbConn<'_>| AudioRepo::create(c, &new).await).await?;
                Ok(MediaRead::Audio(row.into()))
            }
        }
    }

    async fn image_row(&self, id: i64) -> Result<ImageRow, MediaError> {
        let mut pooled = self.db.get().await?;
        ImageRepo::by_id(&mut pooled.conn(), id).await?.ok_or(MediaError::NotFound)
    }

    async fn audio_row(&self, id: i64) -> Result<AudioRow, MediaError> {
        let mut pooled = self.db.get().await?;
        AudioRepo::by_id(&mut pooled.conn(), id).await?.ok_or(MediaError::NotFound)
    }

    pub async fn get_image(&self, actor: &Actor, id: i64) -> Result<ImageRead, MediaError> {
        let row = self.image_row(id).await?;
        actor.check_view(row.owner_id)?;
        Ok(row.into())
    }

    pub async fn get_audio(&self, actor: &Actor, id: i64) -> Result<AudioRead, MediaError> {
        let row = self.audio_row(id).await?;
        actor.check_view(row.owner_id)?;
        Ok(row.into())
    }

    pub async fn get(&self, actor: &Actor, kind: MediaKind, id: i64) -> Result<MediaRead, MediaError> {
        Ok(match kind {
            MediaKind::Image => MediaRead::Image(self.get_image(actor, id).await?),
            MediaKind::Audio => MediaRead::Audio(self.get_audio(actor, id).await?),
        })
    }

    fn page_params(&self, page: PageRequest) -> (PageParams, u32, u32) {
        let per_page = page.per_page.clamp(1, MAX_PER_PAGE);
        let number = page.page.max(1);
        let params =
            PageParams { limit: i64::from(per_page), offset: i64::from(number - 1) * i64::from(per_page) };
        (params, number, per_page)
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

    /// Images of one owner, of the system, or (staff only) of everyone; newest first.
    pub async fn list_images(
        &self,
        actor: &Actor,
        filter: OwnerFilter,
        page: PageRequest,
    ) -> Result<Page<ImageRead>, MediaError> {
        Self::check_list(actor, filter)?;
        let (params, number, per_page) = self.page_params(page);
        let mut pooled = self.db.get().await?;
        let (rows, total) = ImageRepo::list(&mut pooled.conn(), filter, params).await?;
        Ok(Page { items: rows.into_iter().map(Into::into).collect(), total, page: number, per_page })
    }

    pub async fn list_audio(
        &self,
        actor: &Actor,
        filter: OwnerFilter,
        page: PageRequest,
    ) -> Result<Page<AudioRead>, MediaError> {
        Self::check_list(actor, filter)?;
        let (params, number, per_page) = self.page_params(page);
        let mut pooled = self.db.get().await?;
        let (rows, total) = AudioRepo::list(&mut pooled.conn(), filter, params).await?;
        Ok(Page { items: rows.into_iter().map(Into::into).collect(), total, page: number, per_page })
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
        let (owner, key, mime, name) = match kind {
            MediaKind::Image => {
                let r = self.image_row(id).await?;
                (r.owner_id, r.storage_key, r.content_type, r.original_filename)
            }
            MediaKind::Audio => {
                let r = self.audio_row(id).await?;
                (r.owner_id, r.storage_key, r.content_type, r.original_filename)
            }
        };
        actor.check_view(owner)?;
        let key = StorageKey::parse(&key)?;
        self.sign(&key, kind, &mime, ttl, download.then_some(name.as_str())).await
    }

    async fn sign(
        &self,
        key: &StorageKey,
        _kind: MediaKind,
        mime: &str,
        ttl: Option<Duration>,
        download_name: Option<&str>,
    ) -> Result<SignedUrl, MediaError> {
        let ttl = ttl
            .unwrap_or(self.settings.default_url_ttl)
            .clamp(Duration::from_secs(1), self.settings.max_url_ttl);
        let options = SignedUrlOptions {
            ttl,
            content_type: Some(mime.to_owned()),
            download_name: download_name.map(str::to_owned),
            issued_at: None,
        };
        let url = self.store.signed_url(key, &options).await?;
        let expires_at = now() + chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::zero());
        Ok(SignedUrl { url, expires_at })
    }

    /// Replaces (or clears, with an empty text) an audio item's transcript.
    pub async fn update_transcript(
        &self,
        actor: &Actor,
        id: i64,
        transcript: &str,
    ) -> Result<AudioRead, MediaError> {
        check_transcript(transcript)?;
        let row = self.audio_row(id).await?;
        actor.check_manage(row.owner_id)?;
        let text = transcript.trim();
        let value = (!text.is_empty()).then_some(text);
        let updated = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                AudioRepo::update_transcript(c, id, value, now()).await?;
                AudioRepo::by_id(c, id).await
            })
            .await?;
        updated.map(Into::into).ok_or(MediaError::NotFound)
    }

    pub async fn delete_image(&self, actor: &Actor, id: i64) -> Result<(), MediaError> {
        let row = self.image_row(id).await?;
        actor.check_manage(row.owner_id)?;
        let keys: Vec<String> = std::iter::once(row.storage_key).chain(row.thumbnail_key).collect();
        self.delete_with(keys, async |c: &mut DbConn<'_>| ImageRepo::delete(c, id).await).await
    }

    pub async fn delete_audio(&self, actor: &Actor, id: i64) -> Result<(), MediaError> {
        let row = self.audio_row(id).await?;
        actor.check_manage(row.owner_id)?;
        let keys: Vec<String> = std::iter::once(row.storage_key).chain(row.waveform_key).collect();
        self.delete_with(keys, async |c: &mut DbConn<'_>| AudioRepo::delete(c, id).await).await
    }

    pub async fn delete(&self, actor: &Actor, kind: MediaKind, id: i64) -> Result<(), MediaError> {
        match kind {
            MediaKind::Image => self.delete_image(actor, id).await,
            MediaKind::Audio => self.delete_audio(actor, id).await,
        }
    }

    /// Removes the row and records its objects as pending deletion in one transaction, then
    /// deletes the objects. A row never points at a missing object; an object that could not be
    /// deleted stays recorded and is retried by [`MediaService::retry_pending_deletions`].
    async fn delete_with<F>(&self, keys: Vec<String>, delete_row: F) -> Result<(), MediaError>
    where
        F: for<'c, 'd> AsyncFnOnce(&'c mut DbConn<'d>) -> Result<bool, DbError>,
    {
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let pending = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                if !delete_row(c).await? {
                    return Err(MediaError::NotFound);
                }
                Ok(PendingDeletionRepo::add(c, &refs, now()).await?)
            })
            .await?;
        // The item is gone from here on. Whatever fails below is recorded and retried, so it
        // must not make the caller believe the delete did not happen.
        match self.delete_pending(&pending).await {
            Ok(report) if report.failed > 0 => {
                tracing::warn!(failed = report.failed, "object deletion deferred; it will be retried");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "object deletion deferred; it will be retried"),
        }
        Ok(())
    }

    async fn delete_pending(&self, ids: &[i64]) -> Result<RetryReport, MediaError> {
        let mut pooled = self.db.get().await?;
        let rows = PendingDeletionRepo::by_ids(&mut pooled.conn(), ids).await?;
        drop(pooled);
        self.delete_objects(rows).await
    }

    /// Deletes the objects of pending rows and settles each row. A failure to settle a row does
    /// not stop the others: the row stays and its (idempotent) delete is simply repeated later.
    async fn delete_objects(
        &self,
        rows: Vec<crate::db::rows::PendingDeletionRow>,
    ) -> Result<RetryReport, MediaError> {
        let mut report = RetryReport::default();
        let mut bookkeeping: Option<MediaError> = None;
        for row in rows {
            let outcome = match StorageKey::parse(&row.storage_key) {
                Ok(key) => self.store.delete(&key).await.map_err(|e| e.to_string()),
                // A key the store would refuse cannot exist in it.
                Err(_) => Ok(()),
            };
            let settled = async {
                let mut pooled = self.db.get().await?;
                match &outcome {
                    Ok(()) => PendingDeletionRepo::done(&mut pooled.conn(), row.id).await,
                    Err(error) => {
                        let next = now() + DELETE_RETRY_BACKOFF;
                        PendingDeletionRepo::failed(&mut pooled.conn(), row.id, error, next).await
                    }
                }
            }
            .await;
            match (outcome, settled) {
                (_, Err(e)) => bookkeeping = bookkeeping.or(Some(e.into())),
                (Ok(()), Ok(())) => report.deleted += 1,
                (Err(_), Ok(())) => report.failed += 1,
            }
        }
        match bookkeeping {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// Retries object deletions that are due (`force` retries all of them now).
    pub async fn retry_pending_deletions(&self, force: bool) -> Result<RetryReport, MediaError> {
        let mut pooled = self.db.get().await?;
        let horizon = if force { now() + chrono::TimeDelta::days(3650) } else { now() };
        let due = PendingDeletionRepo::due(&mut pooled.conn(), horizon, 500).await?;
        drop(pooled);
        self.delete_objects(due).await
    }

    /// Deletions still waiting for the object store.
    pub async fn pending_deletions(&self) -> Result<Vec<String>, MediaError> {
        let mut pooled = self.db.get().await?;
        Ok(PendingDeletionRepo::all(&mut pooled.conn()).await?.into_iter().map(|r| r.storage_key).collect())
    }
}

struct UploadRequest {
    owner: Owner,
    filename: String,
    content_type: Option<String>,
    transcript: Option<String>,
    generate_presigned_url: bool,
}

fn check_transcript(text: &str) -> Result<(), MediaError> {
    if text.chars().count() > MAX_TRANSCRIPT_CHARS {
        return Err(MediaError::Invalid(format!(
            "the transcript is longer than {MAX_TRANSCRIPT_CHARS} characters"
        )));
    }
    Ok(())
}

/// A declared type that names an accepted type must match the bytes. Generic declarations
/// (`application/octet-stream`, none) say nothing and are ignored.
fn check_declared(declared: Option<&str>, actual: MediaType) -> Result<(), MediaError> {
    let Some(declared) = declared.map(str::trim).filter(|d| !d.is_empty()) else {
        return Ok(());
    };
    let essence = declared.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence == "application/octet-stream" {
        return Ok(());
    }
    match MediaType::from_mime(&essence) {
        Some(t) if t == actual => Ok(()),
        _ => Err(MediaError::UnsupportedType(format!(
            "the file was sent as {essence}, but its contents are a {}",
            actual.label()
        ))),
    }
}

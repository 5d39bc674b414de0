//! `MediaService`: the one surface the rest of the app uses for media.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};

use super::MediaError;
use super::access::Actor;
use super::cpu_pool::CpuPool;
use super::dto::{AudioRead, ImageRead, MediaRead, Page, PageRequest, SignedUrl};
use super::probe_image::ImageLimits;
use super::sniff::MediaKind;
use crate::db::repo::{AudioRepo, ImageRepo, OwnerFilter, PageParams, PendingDeletionRepo};
use crate::db::rows::{AudioRow, ImageRow};
use crate::db::{Db, DbConn, DbError};
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

/// Longest transcript kept, in characters.
pub const MAX_TRANSCRIPT_CHARS: usize = 100_000;
const MAX_PER_PAGE: u32 = 200;
/// How long a failed object deletion waits before the next try.
pub(super) const DELETE_RETRY_BACKOFF: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

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
    pub(super) cpu: CpuPool,
}

pub(super) fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

impl MediaService {
    pub fn new(db: Db, store: Arc<dyn ObjectStore>, settings: MediaSettings) -> MediaService {
        let cpu = CpuPool::new(settings.cpu_jobs);
        MediaService { db, store, settings: Arc::new(settings), cpu }
    }

    pub fn settings(&self) -> &MediaSettings {
        &self.settings
    }

    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
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

    pub(super) async fn sign(
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

pub(super) fn check_transcript(text: &str) -> Result<(), MediaError> {
    if text.chars().count() > MAX_TRANSCRIPT_CHARS {
        return Err(MediaError::Invalid(format!(
            "the transcript is longer than {MAX_TRANSCRIPT_CHARS} characters"
        )));
    }
    Ok(())
}

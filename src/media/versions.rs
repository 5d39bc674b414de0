//! Replacing an item's file in place, and rolling back to an earlier one. The item keeps its
//! id, owner, fields, tags, collections and transcript; its file, derived objects and keys
//! change (old links die). The file it had is copied aside and listed as a version until it is
//! purged like the trash; with `MEDIADESK_TRASH_DAYS=0` it is deleted at once instead.
//!
//! Order, as for the trash: the new objects are stored and the old ones copied aside first;
//! then one transaction swaps the row's file, records the version and hands the old live
//! objects to the pending deletions; then they are deleted. A failure before the commit takes
//! back the new objects and the copies; the item is as it was.

use chrono::{NaiveDateTime, TimeDelta};

use super::MediaError;
use super::access::Actor;
use super::aside::{Plan, kept_keys};
use super::dto::{MediaRead, Upload};
use super::filename;
use super::service::{Item, MediaService};
use super::upload::{Accepted, Heard, Probed, THUMB_SUFFIX};
use crate::db::repo::{AudioRepo, AuditRepo, ImageRepo, PendingDeletionRepo, TrashedRow, VersionRepo};
use crate::db::rows::{AudioFile, ImageFile, NewVersion, VersionRow};
use crate::db::{DbConn, DbError, now};
use crate::domain::{AuditAction, Focal, MediaKind};
use crate::storage::{ByteStream, StorageError, StorageKey};

/// Said when the file changed between reading the item and swapping it.
const CHANGED: &str = "the file was replaced by someone else meanwhile; nothing was changed, try again";

/// An earlier file of an item, as its page lists it.
#[derive(Debug, Clone)]
pub struct VersionRead {
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    pub byte_size: i64,
    pub uploaded_by: Option<i64>,
    pub replaced_by: Option<i64>,
    pub replaced_at: NaiveDateTime,
    /// When it goes for good.
    pub purge_at: NaiveDateTime,
    /// What set it aside: a replace, a turn or a roll back.
    pub how: AuditAction,
}

impl From<VersionRow> for VersionRead {
    fn from(v: VersionRow) -> Self {
        VersionRead {
            id: v.id,
            filename: v.original_filename,
            content_type: v.content_type,
            byte_size: v.byte_size,
            uploaded_by: v.uploaded_by,
            replaced_by: v.replaced_by,
            replaced_at: v.replaced_at,
            purge_at: v.purge_at,
            how: v.replaced_how.and_then(|h| h.parse().ok()).unwrap_or(AuditAction::Replace),
        }
    }
}

/// What a replace did.
#[derive(Debug, Clone)]
pub struct Replaced {
    pub media: MediaRead,
    /// The file it had is listed as a version (false when versions are not kept).
    pub kept_version: bool,
}

/// The row's file as a version records it, set aside by `actor`'s `action`.
fn version_of<'a>(
    row: &'a TrashedRow,
    (actor, action): (&Actor, AuditAction),
    at: NaiveDateTime,
    until: NaiveDateTime,
) -> NewVersion<'a> {
    let (kind, id, owner, uploader, (name, mime, size), sha) = match row {
        TrashedRow::Image(r) => {
            let file = (&r.original_filename, &r.content_type, r.byte_size);
            ("image", r.id, r.owner_id, r.uploader_id, file, &r.sha256)
        }
        TrashedRow::Audio(r) => {
            let file = (&r.original_filename, &r.content_type, r.byte_size);
            ("audio", r.id, r.owner_id, r.uploader_id, file, &r.sha256)
        }
    };
    NewVersion {
        kind,
        item_id: id,
        owner_id: owner,
        uploaded_by: uploader,
        replaced_by: actor.user_id,
        replaced_at: at,
        purge_at: until,
        original_filename: name,
        content_type: mime,
        byte_size: size,
        object_keys: "",
        snapshot: "",
        stored_bytes: row.stored_bytes(),
        sha256: sha,
        replaced_how: action.as_str(),
    }
}

async fn current_row(c: &mut DbConn<'_>, kind: MediaKind, id: i64) -> Result<TrashedRow, MediaError> {
    let row = match kind {
        MediaKind::Image => ImageRepo::by_id(c, id).await?.map(TrashedRow::Image),
        MediaKind::Audio => AudioRepo::by_id(c, id).await?.map(TrashedRow::Audio),
    };
    row.ok_or(MediaError::NotFound)
}

/// Puts a row's file columns in place of the item's current file (if that is still `was`).
async fn set_file(c: &mut DbConn<'_>, file: &TrashedRow, was: &str) -> Result<bool, DbError> {
    match file {
        TrashedRow::Image(r) => {
            let f = ImageFile {
                uploader_id: r.uploader_id,
                original_filename: &r.original_filename,
                content_type: &r.content_type,
                byte_size: r.byte_size,
                sha256: &r.sha256,
                storage_key: &r.storage_key,
                thumbnail_key: r.thumbnail_key.as_deref(),
                display_key: r.display_key.as_deref(),
                width: r.width,
                height: r.height,
                frame_count: r.frame_count,
                thumbnail_bytes: r.thumbnail_bytes,
                display_bytes: r.display_bytes,
                has_location: r.has_location,
                has_device_data: r.has_device_data,
                private_key: r.private_key.as_deref(),
                private_bytes: r.private_bytes,
                focal_x: r.focal_x,
                focal_y: r.focal_y,
                placeholder: r.placeholder.as_deref(),
                look: r.look,
                shot: r.shot.as_deref(),
                source_link: r.source_link.as_deref(),
            };
            ImageRepo::set_file(c, r.id, was, &f).await
        }
        TrashedRow::Audio(r) => {
            let f = AudioFile {
                uploader_id: r.uploader_id,
                original_filename: &r.original_filename,
                content_type: &r.content_type,
                byte_size: r.byte_size,
                sha256: &r.sha256,
                storage_key: &r.storage_key,
                waveform_key: r.waveform_key.as_deref(),
                duration_ms: r.duration_ms,
                bitrate: r.bitrate,
                sample_rate: r.sample_rate,
                channels: r.channels,
                codec: &r.codec,
                peaks: r.peaks.as_deref(),
                rendition_key: r.rendition_key.as_deref(),
                rendition_bytes: r.rendition_bytes,
                health: r.health,
                print: r.print.as_deref(),
                updated_at: now(),
                source_link: r.source_link.as_deref(),
            };
            AudioRepo::set_file(c, r.id, was, &f).await
        }
    }
}

/// The row with a new file's columns in place of its own.
fn with_new_file(
    row: &TrashedRow,
    actor: &Actor,
    name: &str,
    accepted: &Accepted,
    key: &StorageKey,
    thumb: Option<&StorageKey>,
    source: Option<&str>,
) -> TrashedRow {
    let size = accepted.spooled.size as i64;
    let mime = accepted.media_type.mime().to_owned();
    let sha = accepted.spooled.sha256.clone();
    match (row.clone(), &accepted.probed) {
        (TrashedRow::Image(mut r), Probed::Image(info, _, _, private, shot)) => {
            r.uploader_id = actor.user_id;
            r.original_filename = name.to_owned();
            (r.content_type, r.byte_size, r.sha256) = (mime, size, sha);
            r.storage_key = key.as_str().to_owned();
            r.thumbnail_key = thumb.map(|k| k.as_str().to_owned());
            r.thumbnail_bytes = thumb.map_or(0, |_| accepted.thumbnail_bytes());
            let made = thumb.and(accepted.thumbnail());
            (r.placeholder, r.look) = (made.map(|t| t.placeholder.clone()), made.map(|t| t.look));
            (r.display_key, r.display_bytes) = (None, 0);
            (r.has_location, r.has_device_data) = (private.location, private.device);
            r.private_key = accepted.private_copy.as_ref().map(|(k, _)| k.as_str().to_owned());
            r.private_bytes = accepted.private_copy.as_ref().map_or(0, |(_, n)| *n as i64);
            (r.width, r.height) = (info.width as i32, info.height as i32);
            r.frame_count = info.frames.try_into().unwrap_or(i32::MAX);
            r.shot = Some(shot.to_column());
            r.source_link = source.map(str::to_owned);
            TrashedRow::Image(r)
        }
        (TrashedRow::Audio(mut r), Probed::Audio(Heard { info, peaks, health, print, .. })) => {
            r.uploader_id = actor.user_id;
            r.original_filename = name.to_owned();
            (r.content_type, r.byte_size, r.sha256) = (mime, size, sha);
            r.storage_key = key.as_str().to_owned();
            r.waveform_key = None;
            (r.duration_ms, r.bitrate, r.sample_rate) = (info.duration_ms, info.bitrate, info.sample_rate);
            (r.channels, r.codec) = (info.channels, info.codec.clone());
            r.peaks = Some(peaks.clone());
            r.rendition_key = accepted.rendition.as_ref().map(|(k, _)| k.as_str().to_owned());
            r.rendition_bytes = accepted.rendition.as_ref().map_or(0, |(_, n)| *n as i64);
            r.health = *health;
            r.print = Some(print.clone());
            r.source_link = source.map(str::to_owned);
            TrashedRow::Audio(r)
        }
        // `expected_kind` made the upload refuse any other kind.
        (other, _) => other,
    }
}

/// The row with the file (and its renamed objects) of a version.
fn with_version_file(
    current: &TrashedRow,
    version: TrashedRow,
    rename: impl Fn(&str) -> String,
) -> TrashedRow {
    match (current.clone(), version) {
        (TrashedRow::Image(mut r), TrashedRow::Image(v)) => {
            (r.uploader_id, r.original_filename, r.content_type) =
                (v.uploader_id, v.original_filename, v.content_type);
            (r.byte_size, r.sha256) = (v.byte_size, v.sha256);
            r.storage_key = rename(&v.storage_key);
            r.thumbnail_key = v.thumbnail_key.as_deref().map(&rename);
            r.display_key = v.display_key.as_deref().map(&rename);
            (r.thumbnail_bytes, r.display_bytes) = (v.thumbnail_bytes, v.display_bytes);
            (r.has_location, r.has_device_data) = (v.has_location, v.has_device_data);
            (r.private_key, r.private_bytes) = (v.private_key.as_deref().map(&rename), v.private_bytes);
            (r.width, r.height, r.frame_count) = (v.width, v.height, v.frame_count);
            (r.focal_x, r.focal_y, r.placeholder, r.look) = (v.focal_x, v.focal_y, v.placeholder, v.look);
            (r.shot, r.source_link) = (v.shot, v.source_link);
            TrashedRow::Image(r)
        }
        (TrashedRow::Audio(mut r), TrashedRow::Audio(v)) => {
            (r.uploader_id, r.original_filename, r.content_type) =
                (v.uploader_id, v.original_filename, v.content_type);
            (r.byte_size, r.sha256) = (v.byte_size, v.sha256);
            r.storage_key = rename(&v.storage_key);
            r.waveform_key = v.waveform_key.as_deref().map(&rename);
            (r.duration_ms, r.bitrate, r.sample_rate) = (v.duration_ms, v.bitrate, v.sample_rate);
            (r.channels, r.codec, r.peaks) = (v.channels, v.codec, v.peaks);
            (r.rendition_key, r.rendition_bytes) =
                (v.rendition_key.as_deref().map(&rename), v.rendition_bytes);
            (r.health, r.print, r.source_link) = (v.health, v.print, v.source_link);
            TrashedRow::Audio(r)
        }
        (current, _) => current,
    }
}

fn file_name_and_size(row: &TrashedRow) -> (&str, i64) {
    match row {
        TrashedRow::Image(r) => (&r.original_filename, r.byte_size),
        TrashedRow::Audio(r) => (&r.original_filename, r.byte_size),
    }
}

impl MediaService {
    /// Replaces the file of an item the actor manages with `upload`'s bytes, which must be of
    /// the same kind; everything else about the item stays.
    pub async fn replace(
        &self,
        actor: &Actor,
        item: (MediaKind, i64),
        upload: Upload,
        body: ByteStream,
    ) -> Result<Replaced, MediaError> {
        // Another file of the same picture (retouched, exported again) keeps its focal point.
        self.replace_recorded(actor, item, upload, body, (AuditAction::Replace, None), Some).await
    }

    /// [`MediaService::replace`], recorded in the audit log as `action` with `detail` (else
    /// the new file's name); `refocus` says where an image's focal point is in the new file
    /// (`None`: cut away).
    pub(super) async fn replace_recorded(
        &self,
        actor: &Actor,
        (kind, id): (MediaKind, i64),
        upload: Upload,
        body: ByteStream,
        record: (AuditAction, Option<String>),
        refocus: impl FnOnce(Focal) -> Option<Focal>,
    ) -> Result<Replaced, MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_manage(item.media.owner_id())?;
        let upload = Upload { owner: item.media.owner(), expected_kind: Some(kind), ..upload };
        // A file sent without a name (the API's `PUT` of a body alone) keeps the item's; its
        // downloads still end in the new type's extension.
        let name = if upload.filename.trim().is_empty() {
            item.media.filename().to_owned()
        } else {
            filename::clean(&upload.filename)
        };
        let (mut accepted, key) = self.receive(&upload, body).await?;
        let display = match &mut accepted.probed {
            Probed::Image(_, made, ..) => made.display.take(),
            Probed::Audio(..) => None,
        };
        let thumb = matches!(accepted.probed, Probed::Image(..)).then(|| key.derived(THUMB_SUFFIX));
        let mut new_objects: Vec<StorageKey> = vec![key.clone()];
        new_objects.extend(thumb.clone());
        let stored = match self.store_thumbnail(thumb.as_ref(), &accepted).await {
            Ok(()) => self.keep_aside(&key, &mut accepted).await,
            Err(e) => Err(e),
        };
        new_objects.extend(accepted.aside_keys().cloned());
        if let Err(e) = stored {
            let refs: Vec<&StorageKey> = new_objects.iter().collect();
            self.discard_objects(&refs, matches!(e, MediaError::Storage(StorageError::Unavailable(_)))).await;
            return Err(e);
        }
        let kept_version = self
            .swap_file(actor, &item, &new_objects, None, record, |current| {
                let source = upload.source.as_deref();
                let mut row = with_new_file(current, actor, &name, &accepted, &key, thumb.as_ref(), source);
                if let TrashedRow::Image(r) = &mut row {
                    let focal = Focal::from_stored(r.focal_x, r.focal_y).and_then(refocus);
                    (r.focal_x, r.focal_y) = focal.map(Focal::stored).unzip();
                }
                row
            })
            .await?;
        if let Some(source) = display {
            self.make_display_later(id, &key, source);
        }
        tracing::info!(id, kind = kind.as_str(), size = accepted.spooled.size, "file replaced");
        let media = self.item(kind, id).await?.media;
        if let MediaRead::Audio(a) = &media {
            self.fit_regions(actor, id, a.duration_ms).await?;
        }
        Ok(Replaced { media, kept_version })
    }

    /// Puts an earlier file of the item back in place; the file it has now becomes a version.
    pub async fn restore_version(
        &self,
        actor: &Actor,
        (kind, id): (MediaKind, i64),
        version: i64,
    ) -> Result<MediaRead, MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_manage(item.media.owner_id())?;
        let mut pooled = self.db.get().await?;
        let found = VersionRepo::by_id(&mut pooled.conn(), version).await?;
        drop(pooled);
        let v = found
            .filter(|v| v.kind == kind.as_str() && v.item_id == id && v.purge_at > now())
            .ok_or(MediaError::NotFound)?;
        let earlier: TrashedRow = serde_json::from_str(&v.snapshot)
            .map_err(|e| MediaError::Invalid(format!("unreadable version: {e}")))?;
        let plan = Plan::back(&v.object_keys, item.media.owner_id())?;
        self.copy_all(&plan.from, &plan.to).await?;
        let renamed = plan.renamed();
        let rename = |old: &str| renamed.get(old).map_or_else(|| old.to_owned(), |n| (*n).to_owned());
        // The version leaves the list in the same transaction; its copies are deleted after.
        let consumed = (v.id, plan.source_keys());
        self.swap_file(actor, &item, &plan.to, Some(consumed), (AuditAction::RollBack, None), |current| {
            with_version_file(current, earlier, rename)
        })
        .await?;
        let media = self.item(kind, id).await?.media;
        if let MediaRead::Audio(a) = &media {
            self.fit_regions(actor, id, a.duration_ms).await?;
        }
        Ok(media)
    }

    /// Swaps the item's file for the one `new_row` makes of the current row, whose objects
    /// (`new_objects`) are stored already: the file it had is copied aside as a version (when
    /// versions are kept), the row changes, the version put back (`consumed`, with its kept
    /// objects) leaves the list, and the old objects are deleted. On failure the new objects and
    /// the copies are removed and the item is as it was. Whether a version was kept.
    async fn swap_file(
        &self,
        actor: &Actor,
        item: &Item,
        new_objects: &[StorageKey],
        consumed: Option<(i64, Vec<&str>)>,
        (action, detail): (AuditAction, Option<String>),
        new_row: impl FnOnce(&TrashedRow) -> TrashedRow,
    ) -> Result<bool, MediaError> {
        let keep = self.keeps_trash();
        let aside = Plan::aside(item, item.media.owner_id())?;
        if keep && let Err(e) = self.copy_all(&aside.from, &aside.to).await {
            self.discard(new_objects).await;
            return Err(e);
        }
        let at = now();
        let until = at + TimeDelta::days(i64::from(self.settings.trash_days));
        let kind = item.media.kind();
        let id = item.media.id();
        let old_keys = aside.source_keys();
        let json = aside.json();
        let swapped = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                let current = current_row(c, kind, id).await?;
                let replacement = new_row(&current);
                if !set_file(c, &replacement, &item.key).await? {
                    return Err(MediaError::Invalid(CHANGED.into()));
                }
                let mut pending = Vec::new();
                if let Some((version, kept)) = &consumed {
                    if !VersionRepo::remove(c, *version).await? {
                        return Err(MediaError::NotFound);
                    }
                    pending.extend(PendingDeletionRepo::add(c, kept, at).await?);
                }
                let (name, size) = file_name_and_size(&replacement);
                VersionRepo::refresh_copies(c, (kind.as_str(), id), name, size).await?;
                if keep {
                    let snapshot = serde_json::to_string(&current).expect("plain data");
                    let version = NewVersion {
                        object_keys: &json,
                        snapshot: &snapshot,
                        ..version_of(&current, (actor, action), at, until)
                    };
                    VersionRepo::add(c, &version).await?;
                }
                pending.extend(PendingDeletionRepo::add(c, &old_keys, at).await?);
                // A rollback swaps files the owner already stores; a replace adds one.
                if consumed.is_none() {
                    self.check_quota(c, item.media.owner_id()).await?;
                }
                let detail = detail.as_deref().unwrap_or(name);
                AuditRepo::add(c, &actor.did(action, (kind, id)).detail(detail)).await?;
                Ok(pending)
            })
            .await;
        match swapped {
            Ok(pending) => {
                self.delete_recorded(&pending).await;
                Ok(keep)
            }
            Err(e) => {
                self.discard(new_objects).await;
                if keep {
                    self.discard(&aside.to).await;
                }
                Err(e)
            }
        }
    }

    /// An item's earlier files, the most recently replaced first.
    pub async fn versions(
        &self,
        actor: &Actor,
        (kind, id): (MediaKind, i64),
    ) -> Result<Vec<VersionRead>, MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_view(item.media.owner_id())?;
        let mut pooled = self.db.get().await?;
        let rows = VersionRepo::of_item(&mut pooled.conn(), (kind.as_str(), id)).await?;
        Ok(rows.into_iter().filter(|v| v.purge_at > now()).map(Into::into).collect())
    }

    /// Purges versions whose time is over (housekeeping); how many.
    pub async fn purge_expired_versions(&self, at: NaiveDateTime) -> Result<usize, MediaError> {
        let mut purged = 0;
        loop {
            let mut pooled = self.db.get().await?;
            let rows = VersionRepo::expired(&mut pooled.conn(), at, 200).await?;
            drop(pooled);
            if rows.is_empty() {
                return Ok(purged);
            }
            let (n, pending) = self
                .db
                .transaction(async |c: &mut DbConn<'_>| {
                    let (mut n, mut pending) = (0, Vec::new());
                    for v in &rows {
                        if VersionRepo::remove(c, v.id).await? {
                            n += 1;
                            let keys = kept_keys(&v.object_keys);
                            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
                            pending.extend(PendingDeletionRepo::add(c, &refs, now()).await?);
                        }
                    }
                    Ok::<_, MediaError>((n, pending))
                })
                .await?;
            self.delete_recorded(&pending).await;
            purged += n;
        }
    }
}

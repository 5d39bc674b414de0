//! The upload pipeline. The body is spooled to disk while it is hashed; as soon as its first
//! bytes tell what it is, the store starts taking it (S3 parts go up while the rest arrives);
//! when it is all in, the full check (decode, thumbnail or waveform) runs while the store takes
//! the rest; the object becomes visible only if the check passes, and the row comes last.

use std::path::Path;
use std::sync::atomic::Ordering::Relaxed;

use super::access::Actor;
use super::delete::DELETE_RETRY_BACKOFF;
use super::dto::{Description, MediaRead, Upload};
use super::file::embedded::Embedded;
use super::file::privacy::{self, Private};
use super::file::probe_audio::{AudioAnalysis, AudioInfo, Wanted, analyse_audio};
use super::file::probe_image::{ImageInfo, Renditions, probe_image};
use super::file::shot;
use super::file::sniff::{MediaType, sniff_received};
use super::file::thumbnail::{THUMB_MAX, Thumbnail};
use super::quota::over_quota;
use super::service::{MediaService, check_transcript};
use super::spool::{Spooled, spool_with, too_large};
use super::{MediaError, filename};
use crate::db::repo::{AudioRepo, AuditRepo, ImageRepo, PendingDeletionRepo, UserRepo};
use crate::db::rows::{AudioHealth, NewAudio, NewAudit, NewImage};
use crate::db::{DbConn, now};
use crate::domain::{AuditAction, AuditOutcome, MediaKind, Owner, Shot, loudness, print_bytes};
use crate::metrics::METRICS;
use crate::storage::{ByteStream, PendingUpload, StorageError, StorageKey, WholeFileUpload};

/// Thumbnails sit next to their original: `u1/abc.jpg` → `u1/abc.thumb.jpg`.
pub(super) const THUMB_SUFFIX: &str = "thumb.jpg";

/// Besides the playable rendition's name, as an upload stores it: `u1/abc.m4a` → `u1/abc.play.flac`.
pub(super) const PLAY_SUFFIX: &str = "play.flac";

pub(super) enum Probed {
    Image(ImageInfo, Renditions, Embedded, Private, Shot),
    Audio(Heard),
}

/// What the decode of an audio upload found and made.
pub(super) struct Heard {
    pub info: AudioInfo,
    pub peaks: Vec<u8>,
    pub health: AudioHealth,
    /// A FLAC rendition waiting in the spool, for a codec not every browser plays.
    pub rendition: Option<(tempfile::TempPath, u64)>,
    /// The sound's print as stored (empty: too short to have one).
    pub print: Vec<u8>,
}

/// A checked upload waiting to be stored.
pub(super) struct Accepted {
    pub spooled: Spooled,
    pub media_type: MediaType,
    pub probed: Probed,
    /// The copy without location and device data, once stored: its key and size.
    pub private_copy: Option<(StorageKey, u64)>,
    /// The playable rendition of audio, once stored: its key and size.
    pub rendition: Option<(StorageKey, u64)>,
}

impl Accepted {
    pub(super) fn new(spooled: Spooled, media_type: MediaType, probed: Probed) -> Accepted {
        Accepted { spooled, media_type, probed, private_copy: None, rendition: None }
    }

    /// The objects stored beside the original (a private copy, a playable rendition).
    pub(super) fn aside_keys(&self) -> impl Iterator<Item = &StorageKey> {
        self.private_copy.iter().chain(&self.rendition).map(|(k, _)| k)
    }

    /// A checked image's thumbnail (with its placeholder and look).
    pub(super) fn thumbnail(&self) -> Option<&Thumbnail> {
        match &self.probed {
            Probed::Image(_, made, ..) => Some(&made.thumbnail),
            Probed::Audio(..) => None,
        }
    }

    /// Size of the thumbnail stored with a checked image.
    pub(super) fn thumbnail_bytes(&self) -> i64 {
        match &self.probed {
            Probed::Image(_, made, ..) => made.thumbnail.jpeg.len() as i64,
            Probed::Audio(..) => 0,
        }
    }
}

/// An upload whose type is known and whose object is on its way into the store.
struct Staged {
    media_type: MediaType,
    audio_start: u64,
    key: StorageKey,
    object: Box<dyn PendingUpload>,
}

impl MediaService {
    /// Uploads one file of either kind (unless `upload.expected_kind` says which): its bytes
    /// decide what it is; whatever they are not, it is refused and nothing is kept.
    pub async fn upload(
        &self,
        actor: &Actor,
        upload: Upload,
        body: ByteStream,
    ) -> Result<MediaRead, MediaError> {
        let result = self.accept(actor, &upload, body).await;
        match &result {
            Ok(_) => METRICS.uploads_accepted.fetch_add(1, Relaxed),
            Err(_) => METRICS.uploads_refused.fetch_add(1, Relaxed),
        };
        if let Err(e) = &result
            && let Some(refusal) = e.refusal()
        {
            let named = match &upload.source {
                Some(link) => format!("{} from {link}", upload.filename),
                None => upload.filename.clone(),
            };
            self.audit_refusal(actor, &named, refusal.code()).await;
        }
        result
    }

    /// Records a refused upload (there is no action for it to be part of).
    pub(super) async fn audit_refusal(&self, actor: &Actor, filename: &str, code: &str) {
        let name: String = filename.chars().take(400).collect();
        let entry = NewAudit::of(actor.user_id, AuditAction::Upload, AuditOutcome::Refused)
            .detail(format!("{code}: {name}"));
        let written = match self.db.get().await {
            Ok(mut pooled) => AuditRepo::add(&mut pooled.conn(), &entry).await,
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            tracing::warn!(error = %e, "could not record a refused upload in the audit log");
        }
    }

    /// Checks who uploads for whom, receives and checks the file, stores it and adds its row.
    async fn accept(
        &self,
        actor: &Actor,
        upload: &Upload,
        body: ByteStream,
    ) -> Result<MediaRead, MediaError> {
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
        let (accepted, key) = self.receive(upload, body).await?;
        if upload.refuse_duplicates {
            let kind = accepted.media_type.kind();
            if let Err(e) = self.check_duplicate(actor, kind, &accepted.spooled.sha256).await {
                self.discard_objects(&[&key], false).await;
                return Err(e);
            }
        }
        self.keep(actor, upload, &filename, accepted, key).await
    }

    /// Stores a checked upload's derived objects and adds its row; without the row, its
    /// objects go again.
    pub(super) async fn keep(
        &self,
        actor: &Actor,
        upload: &Upload,
        filename: &str,
        mut accepted: Accepted,
        key: StorageKey,
    ) -> Result<MediaRead, MediaError> {
        let display = match &mut accepted.probed {
            Probed::Image(_, made, ..) => made.display.take(),
            Probed::Audio(..) => None,
        };
        let thumb_key = matches!(accepted.probed, Probed::Image(..)).then(|| key.derived(THUMB_SUFFIX));
        let inserted = match self.store_thumbnail(thumb_key.as_ref(), &accepted).await {
            Ok(()) => match self.keep_aside(&key, &mut accepted).await {
                Ok(()) => self.insert_row(actor, upload, filename, &key, thumb_key.as_ref(), &accepted).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        let media = match inserted {
            Ok(media) => media,
            Err(e) => {
                // The row is what makes objects reachable; without it they must go.
                let keys: Vec<&StorageKey> =
                    std::iter::once(&key).chain(thumb_key.as_ref()).chain(accepted.aside_keys()).collect();
                self.discard_objects(&keys, matches!(e, MediaError::Storage(StorageError::Unavailable(_))))
                    .await;
                return Err(e);
            }
        };
        tracing::info!(
            id = media.id(),
            kind = media.kind().as_str(),
            size = accepted.spooled.size,
            "media uploaded"
        );
        METRICS.upload_bytes.fetch_add(accepted.spooled.size, Relaxed);
        if let Some(source) = display {
            self.make_display_later(media.id(), &key, source);
        }
        Ok(media)
    }

    /// Stores what a checked upload keeps beside its original: an image's private copy (see
    /// [`super::privacy`]), audio's playable rendition. What was stored is noted in `accepted`,
    /// so that it goes again with the upload if a later step fails.
    pub(super) async fn keep_aside(
        &self,
        key: &StorageKey,
        accepted: &mut Accepted,
    ) -> Result<(), MediaError> {
        self.keep_private(key, accepted).await?;
        let Probed::Audio(heard) = &mut accepted.probed else { return Ok(()) };
        let Some((file, size)) = heard.rendition.take() else { return Ok(()) };
        let play = key.derived(PLAY_SUFFIX);
        self.store.put_file(&play, &file, "audio/flac").await?;
        accepted.rendition = Some((play, size));
        Ok(())
    }

    /// Stores the thumbnail a checked image came with under `key`.
    pub(super) async fn store_thumbnail(
        &self,
        key: Option<&StorageKey>,
        accepted: &Accepted,
    ) -> Result<(), MediaError> {
        match (key, &accepted.probed) {
            (Some(key), Probed::Image(_, made, ..)) => {
                let body = crate::storage::body_of(made.thumbnail.jpeg.clone());
                self.store.put_stream(key, body, "image/jpeg").await?;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Receives the body into a spool file and, as soon as its first bytes tell what it is,
    /// starts writing it to the store alongside; once it is all in, checks it (decode, thumbnail
    /// or waveform) while the store takes the rest, and makes the object visible only if the
    /// checks pass. Returns the checked upload and the key its object is stored under.
    pub(super) async fn receive(
        &self,
        upload: &Upload,
        body: ByteStream,
    ) -> Result<(Accepted, StorageKey), MediaError> {
        let announced = upload.announced_size;
        let max = self.settings.max_upload_bytes;
        let room = self.room_for(upload.owner.id()).await?;
        // The quota caps the upload like the size limit, when it is the nearer of the two.
        let quota_cap = room.filter(|(r, _)| *r < max);
        let limit = quota_cap.map_or(max, |(r, _)| r);
        let refuse_past = || match quota_cap {
            Some((_, usage)) => over_quota(usage.used, usage.limit.unwrap_or_default()),
            None => too_large(max),
        };
        match announced {
            Some(n) if n > limit => return Err(refuse_past()),
            Some(0) => return Err(MediaError::Empty("the file is empty".into())),
            _ => {}
        }
        let mut staged: Option<Staged> = None;
        let received = spool_with(body, &self.settings.spool_dir, limit, |path, len| {
            if let Some(n) = announced.filter(|n| len > *n) {
                return Err(size_mismatch(n, len));
            }
            if staged.is_none() {
                staged = self.stage(path, len, false, upload)?;
            }
            if let Some(s) = staged.as_mut() {
                s.object.grown(len);
            }
            Ok(())
        })
        .await;
        let spooled = match received {
            Ok(spooled) => spooled,
            Err(e) => {
                let e = if matches!(e, MediaError::TooLarge(_)) { refuse_past() } else { e };
                if let Some(s) = staged {
                    s.object.abort().await;
                }
                return Err(e);
            }
        };
        let mut staged = match staged {
            Some(s) => s,
            None => match self.stage(&spooled.path, spooled.size, true, upload)? {
                Some(s) => s,
                None => {
                    return Err(MediaError::Internal("a complete file always has a type or an error".into()));
                }
            },
        };
        if let Some(n) = announced.filter(|n| *n != spooled.size) {
            staged.object.abort().await;
            return Err(size_mismatch(n, spooled.size));
        }
        let (probed, sealed) = tokio::join!(
            self.probe(&spooled.path, staged.media_type, staged.audio_start),
            staged.object.seal(spooled.size)
        );
        // A refused file is reported as such, whatever the store did meanwhile.
        let outcome = match (probed, sealed) {
            (Ok(probed), Ok(())) => Ok(probed),
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => Err(e.into()),
        };
        let probed = match outcome {
            Ok(probed) => probed,
            Err(e) => {
                staged.object.abort().await;
                return Err(e);
            }
        };
        if let Err(e) = staged.object.commit().await {
            // A completion that timed out may still have happened.
            let in_doubt = matches!(e, StorageError::Unavailable(_));
            self.discard_objects(&[&staged.key], in_doubt).await;
            return Err(e.into());
        }
        Ok((Accepted::new(spooled, staged.media_type, probed), staged.key))
    }

    /// Decides the type from the bytes received so far and, once it is known and allowed,
    /// starts the object's upload. `Ok(None)`: not enough bytes to tell yet.
    fn stage(
        &self,
        path: &Path,
        received: u64,
        complete: bool,
        upload: &Upload,
    ) -> Result<Option<Staged>, MediaError> {
        let Some((media_type, audio_start)) = sniff_received(path, received, complete)? else {
            return Ok(None);
        };
        // The bytes decide: a declared type (a browser's guess from the extension) that says
        // otherwise is corrected, not refused.
        if let Some(declared) = upload.declared_type.as_deref()
            && MediaType::from_mime(declared) != Some(media_type)
        {
            tracing::debug!(declared, actual = media_type.mime(), "declared type corrected from the bytes");
        }
        if let Some(kind) = upload.expected_kind
            && kind != media_type.kind()
        {
            return Err(MediaError::UnsupportedType(format!(
                "expected an {} file, but this is a {}",
                kind.as_str(),
                media_type.label()
            )));
        }
        let key = StorageKey::generate(upload.owner.id(), media_type.extension());
        let object = self
            .store
            .begin_upload(&key, path, media_type.mime(), upload.announced_size)
            .unwrap_or_else(|| WholeFileUpload::boxed(self.store.clone(), &key, path, media_type.mime()));
        Ok(Some(Staged { media_type, audio_start, key, object }))
    }

    /// A spool file for the playable FLAC copy an audio file may need (written by the decode
    /// only for ALAC; gone when dropped).
    pub(super) fn play_spool(&self) -> std::io::Result<tempfile::TempPath> {
        Ok(tempfile::Builder::new().prefix("play-").tempfile_in(&self.settings.spool_dir)?.into_temp_path())
    }

    /// The full check of a received file, on the media worker threads.
    pub(super) async fn probe(
        &self,
        path: &Path,
        media_type: MediaType,
        audio_start: u64,
    ) -> Result<Probed, MediaError> {
        let path = path.to_path_buf();
        let limits = self.settings.image_limits;
        let started = std::time::Instant::now();
        let rendition = match media_type.kind() {
            MediaKind::Audio => Some(self.play_spool()?),
            MediaKind::Image => None,
        };
        let probed = self
            .cpu
            .run(move || match media_type.kind() {
                MediaKind::Image => probe_image(&path, media_type, &limits, THUMB_MAX, true).map(|(i, r)| {
                    let private = privacy::scan(&path, media_type);
                    let (text, shot) = shot::read_with_text(&path, media_type);
                    Probed::Image(i, r, text, private, shot)
                }),
                MediaKind::Audio => {
                    // The meter and the print run beside the decode (file/meter_threads.rs, sound.rs).
                    let wanted = Wanted { loudness: true, print: true, rendition: rendition.as_deref() };
                    analyse_audio(&path, media_type, audio_start, wanted)
                        .map(|a| Probed::Audio(heard(a, rendition)))
                }
            })
            .await??;
        match media_type.kind() {
            MediaKind::Image => METRICS.thumbnail_seconds.observe(started.elapsed()),
            MediaKind::Audio => METRICS.waveform_seconds.observe(started.elapsed()),
        }
        Ok(probed)
    }

    /// Removes the objects of an upload that failed. What cannot be removed now is recorded as a
    /// pending deletion and retried. After a timeout the store may still finish a write it was
    /// sent (`in_doubt`), so the keys are recorded for a later, idempotent retry even when the
    /// delete seemed to work.
    pub(super) async fn discard_objects(&self, keys: &[&StorageKey], in_doubt: bool) {
        let mut leftovers = Vec::new();
        for key in keys {
            match self.store.delete(key).await {
                Ok(()) if !in_doubt => {}
                Ok(()) => leftovers.push(key.as_str()),
                Err(e) => {
                    tracing::warn!(key = %key, error = %e, "could not remove the object of a failed upload \
                        yet");
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
            tracing::error!(keys = ?leftovers, error = %e, "orphaned objects after a failed upload; \
                reconcile will find them");
        }
    }

    async fn insert_row(
        &self,
        actor: &Actor,
        upload: &Upload,
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
            Probed::Image(info, made, text, private, shot) => {
                let shot_column = shot.to_column();
                let new = NewImage {
                    owner_id,
                    uploader_id: actor.user_id,
                    original_filename: filename,
                    content_type: mime,
                    byte_size: size,
                    sha256: sha,
                    storage_key: key.as_str(),
                    thumbnail_key: thumb_key.map(StorageKey::as_str),
                    display_key: None,
                    frame_count: info.frames.try_into().unwrap_or(i32::MAX),
                    thumbnail_bytes: thumb_key.map_or(0, |_| accepted.thumbnail_bytes()),
                    has_location: private.location,
                    has_device_data: private.device,
                    private_key: accepted.private_copy.as_ref().map(|(k, _)| k.as_str()),
                    private_bytes: accepted.private_copy.as_ref().map_or(0, |(_, n)| *n as i64),
                    placeholder: thumb_key.map(|_| made.thumbnail.placeholder.as_str()),
                    look: thumb_key.map(|_| made.thumbnail.look),
                    width: info.width as i32,
                    height: info.height as i32,
                    created_at: t,
                    shot: Some(&shot_column),
                    source_link: upload.source.as_deref(),
                };
                let described = described(text.clone().tidy(0));
                let row = self
                    .db
                    .transaction(async |c: &mut DbConn<'_>| {
                        let row = ImageRepo::create(c, &new).await?;
                        self.check_quota(c, owner_id).await?;
                        AuditRepo::add(c, &uploaded(actor, (MediaKind::Image, row.id), filename, upload))
                            .await?;
                        if described == Description::default() {
                            return Ok(row);
                        }
                        super::describe::write(c, (MediaKind::Image, row.id), &described).await?;
                        ImageRepo::by_id(c, row.id).await?.ok_or(MediaError::NotFound)
                    })
                    .await?;
                Ok(MediaRead::Image(row.into()))
            }
            Probed::Audio(Heard { info, peaks, health, print, .. }) => {
                // Lyrics in the file's tags become the transcript, unless one was given.
                let text = info.text.clone().tidy(super::service::MAX_TRANSCRIPT_CHARS);
                let transcript = upload.transcript.as_deref().or(text.lyrics.as_deref());
                let described = described(Embedded { alt_text: None, ..text.clone() });
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
                    transcript,
                    created_at: t,
                    updated_at: t,
                    peaks: Some(peaks),
                    rendition_key: accepted.rendition.as_ref().map(|(k, _)| k.as_str()),
                    rendition_bytes: accepted.rendition.as_ref().map_or(0, |(_, n)| *n as i64),
                    health: *health,
                    print: Some(print),
                    source_link: upload.source.as_deref(),
                };
                let row = self
                    .db
                    .transaction(async |c: &mut DbConn<'_>| {
                        let row = AudioRepo::create(c, &new).await?;
                        self.check_quota(c, owner_id).await?;
                        AuditRepo::add(c, &uploaded(actor, (MediaKind::Audio, row.id), filename, upload))
                            .await?;
                        if described == Description::default() {
                            return Ok(row);
                        }
                        super::describe::write(c, (MediaKind::Audio, row.id), &described).await?;
                        AudioRepo::by_id(c, row.id).await?.ok_or(MediaError::NotFound)
                    })
                    .await?;
                Ok(MediaRead::Audio(row.into()))
            }
        }
    }
}

/// The decode's findings as an upload keeps them; the rendition file stays only if one was written.
fn heard(a: AudioAnalysis, rendition: Option<tempfile::TempPath>) -> Heard {
    let health = health_of(&a);
    let rendition = rendition.zip(a.rendition);
    let print = a.print.as_deref().map(print_bytes).unwrap_or_default();
    Heard { info: a.info, peaks: a.peaks, health, rendition, print }
}

/// What a decode measured, as an audio row records it (all unset when loudness was not asked).
pub(super) fn health_of(a: &AudioAnalysis) -> AudioHealth {
    let info = &a.info;
    let Some(loudness) = a.loudness else { return AudioHealth::default() };
    let total = info.duration_ms * i64::from(info.sample_rate) / 1000 * i64::from(info.channels);
    let (quiet, clipped, mostly_silent) =
        loudness::judge(loudness.integrated, loudness.clipped, total, loudness.silence_ms, info.duration_ms);
    AudioHealth {
        loudness_lufs: loudness.integrated,
        loudness_range: loudness.range,
        true_peak_db: loudness.true_peak,
        clipped_samples: loudness.clipped,
        silence_start_ms: loudness.silence_start_ms,
        silence_end_ms: loudness.silence_end_ms,
        quiet,
        clipped,
        mostly_silent,
    }
}

fn uploaded(actor: &Actor, item: (MediaKind, i64), filename: &str, upload: &Upload) -> NewAudit {
    let entry = actor.did(AuditAction::Upload, item);
    match &upload.source {
        Some(link) => entry.detail(format!("{filename} from {link}")),
        None => entry.detail(filename),
    }
}

/// What a file's own metadata says about it, as an item's description.
fn described(text: Embedded) -> Description {
    Description { title: text.title, alt_text: text.alt_text, caption: text.caption, credit: text.credit }
}

fn size_mismatch(announced: u64, received: u64) -> MediaError {
    let arrived = if received > announced { format!("more than {announced}") } else { received.to_string() };
    MediaError::Invalid(format!(
        "the upload announced {announced} bytes but {arrived} arrived; nothing was saved"
    ))
}

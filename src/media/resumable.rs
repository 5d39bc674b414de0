//! Resumable uploads (tus): a file sent in pieces over many requests, which may reach different
//! processes. Where an upload stands lives in its `resumable_uploads` row (offset, type, key,
//! the store's assembly and the last bytes that do not fill a part yet) and in the store (the
//! parts), never only in one process. The first bytes decide the type, as for any upload, so a
//! file that is not media is refused at its first piece; the whole check runs when the last
//! piece is in, and the item appears only once it passed.

use std::sync::atomic::Ordering::Relaxed;

use chrono::NaiveDateTime;
use sha2::Digest;

use super::access::Actor;
use super::dto::{Appended, MediaRead, Resumable, Upload};
use super::file::sniff::{MediaType, sniff_received};
use super::pieces::{Arrival, Bounds, PartSender, Piece, Window, receive};
use super::quota::over_quota;
use super::service::MediaService;
use super::spool::{Spooled, spool_with, too_large};
use super::upload::Accepted;
use super::{MediaError, filename};
use crate::db::now;
use crate::db::repo::{Advance, ResumableRepo, UserRepo};
use crate::db::rows::ResumableRow;
use crate::domain::Owner;
use crate::metrics::METRICS;
use crate::storage::StorageKey;

/// Bytes after which an upload whose type is still unknown (inside a huge ID3 tag) is refused:
/// until the type is known nothing can go to the store, so they are all held in the database.
const UNTYPED_MAX: u64 = 16 * 1024 * 1024;

/// Where a piece's upload goes in the store, once its type is known.
#[derive(Clone)]
struct Target {
    media_type: MediaType,
    key: StorageKey,
    assembly: String,
}

impl Target {
    fn of(row: &ResumableRow) -> Option<Target> {
        let media_type = MediaType::from_mime(row.content_type.as_deref()?)?;
        let key = StorageKey::parse(row.storage_key.as_deref()?).ok()?;
        Some(Target { media_type, key, assembly: row.assembly_id.clone()? })
    }
}

fn past_the_end(room: u64) -> MediaError {
    MediaError::Invalid(format!(
        "this piece runs past the length the upload announced ({room} bytes were left)"
    ))
}

/// Whether the error is about the file itself, which no later piece can change.
fn refuses_the_file(e: &MediaError) -> bool {
    matches!(e, MediaError::UnsupportedType(_) | MediaError::Corrupt(_) | MediaError::Limits(_))
}

fn status(row: &ResumableRow) -> Resumable {
    Resumable {
        id: row.id.clone(),
        offset: row.received as u64,
        length: row.length as u64,
        expires_at: row.expires_at,
    }
}

impl MediaService {
    /// Starts an upload of `upload.announced_size` bytes that will arrive in pieces.
    pub async fn begin_resumable(&self, actor: &Actor, upload: &Upload) -> Result<Resumable, MediaError> {
        actor.check_upload_for(upload.owner)?;
        let user_id = actor.user_id.ok_or(MediaError::Forbidden)?;
        let length = upload
            .announced_size
            .ok_or_else(|| MediaError::Invalid("the upload's length is required".into()))?;
        if length == 0 {
            return Err(MediaError::Empty("the file is empty".into()));
        }
        if length > self.settings.max_upload_bytes {
            return Err(too_large(self.settings.max_upload_bytes));
        }
        if let Some((room, usage)) = self.room_for(upload.owner.id()).await?
            && length > room
        {
            return Err(over_quota(usage.used, usage.limit.unwrap_or_default()));
        }
        let name = filename::clean(&upload.filename);
        if upload.filename.trim().is_empty() {
            return Err(MediaError::Name("the file has no name".into()));
        }
        let mut pooled = self.db.get().await?;
        if let Owner::User(id) = upload.owner
            && !UserRepo::exists(&mut pooled.conn(), id).await?
        {
            return Err(MediaError::Invalid("the chosen owner does not exist".into()));
        }
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|e| MediaError::Internal(format!("no randomness: {e}")))?;
        let t = now();
        let row = ResumableRow {
            id: hex::encode(id),
            uploader_id: user_id,
            owner_id: upload.owner.id(),
            filename: name,
            declared_type: upload.declared_type.clone(),
            length: length as i64,
            received: 0,
            content_type: None,
            storage_key: None,
            assembly_id: None,
            tail: Vec::new(),
            created_at: t,
            expires_at: t + self.settings.resumable_expiry,
            refuse_duplicates: upload.refuse_duplicates,
        };
        ResumableRepo::create(&mut pooled.conn(), &row).await?;
        Ok(status(&row))
    }

    /// An upload of the actor's that has not expired.
    async fn own_resumable(&self, actor: &Actor, id: &str) -> Result<ResumableRow, MediaError> {
        let mut pooled = self.db.get().await?;
        let row = ResumableRepo::by_id(&mut pooled.conn(), id).await?.ok_or(MediaError::NotFound)?;
        if Some(row.uploader_id) != actor.user_id || row.expires_at <= now() {
            return Err(MediaError::NotFound);
        }
        Ok(row)
    }

    /// Where an upload stands.
    pub async fn resumable(&self, actor: &Actor, id: &str) -> Result<Resumable, MediaError> {
        Ok(status(&self.own_resumable(actor, id).await?))
    }

    /// Takes the piece that starts at `offset`. A piece cut off midway keeps what arrived (unless
    /// it came with a checksum, which covers all of it); the last piece makes the item.
    pub async fn append_resumable(
        &self,
        actor: &Actor,
        id: &str,
        piece: Piece,
        body: crate::storage::ByteStream,
    ) -> Result<Appended, MediaError> {
        let Piece { offset, len, checksum } = piece;
        let row = self.own_resumable(actor, id).await?;
        if offset != row.received as u64 {
            return Err(MediaError::OffsetMismatch { expected: row.received as u64 });
        }
        if len.is_some_and(|n| offset + n > row.length as u64) {
            return Err(past_the_end(row.length as u64 - offset));
        }
        let bounds = Bounds { announced_end: len.map(|n| offset + n), length: row.length as u64 };
        let _claim = self.pieces.claim(id).ok_or(MediaError::Busy)?;
        let length = row.length as u64;
        let copy = self.pieces.take_copy(id, offset);
        let mut window = Window::open(&self.settings.spool_dir, copy, offset, &row.tail).await?;
        let known = Target::of(&row);
        let mut target = known.clone();
        // The store holds every part before the bytes held back in the row.
        let stored = offset - row.tail.len() as u64;
        let mut sender = target.as_ref().map(|t| self.part_sender(t, &window, stored, bounds));
        let arrival = receive(&mut window, body, length - offset, checksum.as_ref(), async |w: &Window| {
            if target.is_none() {
                target = self.identify(&row, w, w.end() == length).await?;
                sender = target.as_ref().map(|t| self.part_sender(t, w, 0, bounds));
            }
            if let Some(s) = &sender {
                s.grown(w.end());
            }
            Ok(())
        })
        .await;
        let started_here = known.is_none() && target.is_some();
        let refuse = async |e: MediaError, target: Option<&Target>| {
            if refuses_the_file(&e) {
                // The file is refused: nothing of it stays.
                self.drop_resumable(&row, target).await;
                METRICS.uploads_refused.fetch_add(1, Relaxed);
            } else if started_here && let Some(t) = target {
                let _ = self.store.abort_assembly(&t.key, &t.assembly).await;
            }
            Err(e)
        };
        let cut = match arrival {
            Ok(Arrival::Complete) => None,
            Ok(Arrival::Cut(reason)) if checksum.is_none() => Some(reason),
            Ok(Arrival::Cut(reason)) => {
                return refuse(
                    MediaError::Invalid(format!("the piece was cut off: {reason}")),
                    target.as_ref(),
                )
                .await;
            }
            Err(e) => return refuse(e, target.as_ref()).await,
        };
        let end = window.end();
        let last = end == length && cut.is_none();
        let sent = match sender {
            Some(s) => match s.seal(end, last).await {
                Ok(sent) => sent,
                Err(e) => return refuse(e.into(), target.as_ref()).await,
            },
            None => 0,
        };
        let held = window.bytes_from(sent.max(window.start)).await?;
        let advance = Advance {
            received: end as i64,
            tail: &held,
            content_type: target.as_ref().map(|t| t.media_type.mime()),
            storage_key: target.as_ref().map(|t| t.key.as_str()),
            assembly_id: target.as_ref().map(|t| t.assembly.as_str()),
            expires_at: now() + self.settings.resumable_expiry,
        };
        let moved = {
            let mut pooled = self.db.get().await?;
            ResumableRepo::advance(&mut pooled.conn(), id, offset as i64, &advance).await
        };
        match moved {
            Ok(true) => {}
            Ok(false) => {
                return refuse(MediaError::OffsetMismatch { expected: offset }, target.as_ref()).await;
            }
            Err(e) => return refuse(e.into(), target.as_ref()).await,
        }
        let upload = Resumable { id: id.to_owned(), offset: end, length, expires_at: advance.expires_at };
        if let Some(reason) = cut {
            tracing::info!(id, offset = end, reason, "a piece was cut off; what arrived is kept");
        }
        match (last, target) {
            (true, Some(t)) => {
                let media = self.finish_resumable(actor, &row, &t, window).await?;
                Ok(Appended { upload, media: Some(media) })
            }
            _ => {
                if let Some(copy) = window.into_copy() {
                    self.pieces.keep_copy(id, copy);
                }
                Ok(Appended { upload, media: None })
            }
        }
    }

    fn part_sender(&self, target: &Target, window: &Window, stored: u64, bounds: Bounds) -> PartSender {
        PartSender::start(
            self.store.clone(),
            (target.key.clone(), target.assembly.clone()),
            (window.path.to_path_buf(), window.start),
            stored,
            bounds,
        )
    }

    /// The type of an upload from its first bytes, and its assembly started once it is known;
    /// `None` while they cannot tell yet.
    async fn identify(
        &self,
        row: &ResumableRow,
        window: &Window,
        complete: bool,
    ) -> Result<Option<Target>, MediaError> {
        if window.start != 0 {
            return Err(MediaError::Internal("the first bytes of an untyped upload are missing".into()));
        }
        let (path, len) = (window.path.to_path_buf(), window.len);
        let sniffed = self.cpu.run(move || sniff_received(&path, len, complete)).await??;
        let Some((media_type, _)) = sniffed else {
            if len > UNTYPED_MAX {
                return Err(MediaError::UnsupportedType(format!(
                    "the first {} do not tell what this file is",
                    crate::domain::human_size(UNTYPED_MAX)
                )));
            }
            return Ok(None);
        };
        let key = StorageKey::generate(row.owner_id, media_type.extension());
        let assembly = self.store.start_assembly(&key, media_type.mime()).await?;
        Ok(Some(Target { media_type, key, assembly }))
    }

    /// The last piece is in: check the whole file (from this process's copy, or read back from
    /// the store when other processes took pieces), then make the item.
    async fn finish_resumable(
        &self,
        actor: &Actor,
        row: &ResumableRow,
        target: &Target,
        window: Window,
    ) -> Result<MediaRead, MediaError> {
        let length = row.length as u64;
        // With a copy here, the check and the store's assembly run side by side (on S3 the
        // completion joins the parts, a good part of a second for 100 MB); the object has no row
        // yet, so nothing can reach it, and a refused file's object is removed again.
        let checked = match window.into_copy() {
            Some(copy) => {
                let sha256 = hex::encode(copy.hasher.finalize());
                let spooled = Spooled { path: copy.path, size: copy.len, sha256 };
                let (probed, finished) = tokio::join!(
                    self.check_whole(&spooled, target.media_type),
                    self.store.finish_assembly(&target.key, &target.assembly, length)
                );
                match (probed, finished) {
                    (Ok(probed), Ok(())) => Ok((spooled, probed)),
                    (Err(e), Ok(())) => Err((e, false)),
                    (Err(e), Err(_)) => Err((e, true)),
                    (Ok(_), Err(e)) => Err((e.into(), true)),
                }
            }
            None => self.read_back(target, length).await,
        };
        let (spooled, probed) = match checked {
            Ok(c) => c,
            Err((e, unfinished)) => {
                self.drop_resumable(row, unfinished.then_some(target)).await;
                let in_doubt = matches!(e, MediaError::Storage(_));
                self.discard_objects(&[&target.key], in_doubt).await;
                if e.refusal().is_some() {
                    METRICS.uploads_refused.fetch_add(1, Relaxed);
                }
                return Err(e);
            }
        };
        if row.refuse_duplicates
            && let Err(e) = self.check_duplicate(actor, target.media_type.kind(), &spooled.sha256).await
        {
            self.drop_resumable(row, None).await;
            self.discard_objects(&[&target.key], false).await;
            METRICS.uploads_refused.fetch_add(1, Relaxed);
            return Err(e);
        }
        let upload = Upload {
            declared_type: row.declared_type.clone(),
            announced_size: Some(length),
            ..Upload::new(Owner::from_id(row.owner_id), row.filename.clone())
        };
        let accepted = Accepted::new(spooled, target.media_type, probed);
        let media = self.keep(actor, &upload, &row.filename, accepted, target.key.clone()).await;
        // The item exists (or its objects were removed again): the upload is over either way.
        self.drop_resumable(row, None).await;
        match &media {
            Ok(_) => METRICS.uploads_accepted.fetch_add(1, Relaxed),
            Err(_) => METRICS.uploads_refused.fetch_add(1, Relaxed),
        };
        media
    }

    /// Finishes the object from pieces other processes took too, reads it back and checks it.
    /// An error says whether the assembly may still be unfinished.
    async fn read_back(
        &self,
        target: &Target,
        length: u64,
    ) -> Result<(Spooled, super::upload::Probed), (MediaError, bool)> {
        self.store
            .finish_assembly(&target.key, &target.assembly, length)
            .await
            .map_err(|e| (e.into(), true))?;
        let read = async {
            let object = self.store.get(&target.key, None).await?;
            let spooled = spool_with(object.body, &self.settings.spool_dir, length, |_, _| Ok(())).await?;
            let probed = self.check_whole(&spooled, target.media_type).await?;
            Ok::<_, MediaError>((spooled, probed))
        };
        read.await.map_err(|e| (e, false))
    }

    /// The full check of a complete file, whose type the first bytes told.
    async fn check_whole(
        &self,
        spooled: &Spooled,
        media_type: MediaType,
    ) -> Result<super::upload::Probed, MediaError> {
        let path = spooled.path.to_path_buf();
        let size = spooled.size;
        let (sniffed, audio_start) =
            self.cpu.run(move || super::file::sniff::sniff_received(&path, size, true)).await??.ok_or_else(
                || MediaError::Internal("a complete file always has a type or an error".into()),
            )?;
        if sniffed != media_type {
            return Err(MediaError::Corrupt("the file's first bytes changed while it was sent".into()));
        }
        self.probe(&spooled.path, media_type, audio_start).await
    }

    /// Removes an upload's row, this process's copy and (given its target) its assembly.
    async fn drop_resumable(&self, row: &ResumableRow, target: Option<&Target>) {
        self.pieces.forget(&row.id);
        if let Some(t) = target
            && let Err(e) = self.store.abort_assembly(&t.key, &t.assembly).await
        {
            tracing::warn!(id = row.id, error = %e, "could not abort an upload's assembly; it expires later");
            return;
        }
        let removed = match self.db.get().await {
            Ok(mut pooled) => ResumableRepo::delete(&mut pooled.conn(), &row.id).await,
            Err(e) => Err(e),
        };
        if let Err(e) = removed {
            tracing::warn!(id = row.id, error = %e, "could not remove an upload's row; it expires later");
        }
    }

    /// Gives an upload up (tus termination).
    pub async fn cancel_resumable(&self, actor: &Actor, id: &str) -> Result<(), MediaError> {
        let row = self.own_resumable(actor, id).await?;
        let _claim = self.pieces.claim(id).ok_or(MediaError::Busy)?;
        if let Some(t) = Target::of(&row) {
            self.store.abort_assembly(&t.key, &t.assembly).await?;
        }
        self.pieces.forget(id);
        let mut pooled = self.db.get().await?;
        ResumableRepo::delete(&mut pooled.conn(), id).await?;
        Ok(())
    }

    /// Removes the uploads that expired before `at`, with their parts and copies; returns how
    /// many. One whose parts the store would not free yet stays for the next sweep.
    pub async fn expire_resumable(&self, at: NaiveDateTime) -> Result<usize, MediaError> {
        let expired = {
            let mut pooled = self.db.get().await?;
            ResumableRepo::expired(&mut pooled.conn(), at, 100).await?
        };
        self.pieces.forget_idle(self.settings.resumable_expiry);
        let mut removed = 0;
        for row in expired {
            if let Some(t) = Target::of(&row)
                && let Err(e) = self.store.abort_assembly(&t.key, &t.assembly).await
            {
                tracing::warn!(id = row.id, error = %e, "could not abort an expired upload's assembly yet");
                continue;
            }
            self.pieces.forget(&row.id);
            let mut pooled = self.db.get().await?;
            if ResumableRepo::remove_at(&mut pooled.conn(), &row.id, row.received).await? {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

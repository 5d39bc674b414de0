//! Audio stored before uploads measured loudness or made prints, or ALAC stored before uploads
//! made a playable copy, is finished here (`mediadesk backfill`): its original is fetched into the
//! spool and decoded as an upload decodes it, and the figures and the copy are recorded only if
//! the item still holds that original, so an edit, replace or delete meanwhile wins. Images
//! stored before placeholders and looks get theirs from their thumbnail (already small and
//! turned as shown), recorded only if the image still has that thumbnail. Pictures put in a
//! bucket before pictures carried caching advice get it. Running it again finds nothing left
//! to do; an item that cannot be read is reported and left as it was.

use futures_util::StreamExt;
use serde::Serialize;

use super::MediaError;
use super::file::probe_audio::{Wanted, analyse_audio};
use super::file::sniff::sniff_received;
use super::file::{FileError, look, shot, thumbnail};
use super::service::MediaService;
use super::spool::spool_with;
use super::upload::{PLAY_SUFFIX, health_of};
use crate::db::repo::{AudioRepo, ImageRepo};
use crate::db::rows::AudioRow;
use crate::domain::{MediaKind, print_bytes};
use crate::storage::StorageKey;

/// Rows read per query.
const PAGE: i64 = 100;

/// What a backfill did.
#[derive(Debug, Default, Serialize)]
pub struct Backfilled {
    /// Items whose loudness was measured.
    pub measured: usize,
    /// Playable copies made.
    pub copies: usize,
    /// Sounds given their print.
    pub printed: usize,
    /// Images given their placeholder and look.
    pub placeholders: usize,
    /// Images whose original was read for how the photo was taken.
    pub shots: usize,
    /// Stored pictures given the caching advice pictures are now stored with.
    pub advised: usize,
    /// Items left as they were, with why.
    pub failed: Vec<NotRead>,
}

/// An item whose stored file could not be read, left as it was.
#[derive(Debug, Serialize)]
pub struct NotRead {
    pub kind: MediaKind,
    pub id: i64,
    pub error: String,
}

impl MediaService {
    /// Measures and makes what older uploads lack, one item at a time.
    pub async fn backfill(&self) -> Result<Backfilled, MediaError> {
        let mut done = self.backfill_audio().await?;
        done.advised = self.advise_caching().await?;
        self.backfill_shots(&mut done).await?;
        let mut after = 0;
        loop {
            let rows = {
                let mut pooled = self.db.get().await?;
                ImageRepo::without_likeness(&mut pooled.conn(), after, PAGE).await?
            };
            let Some(&(last, _)) = rows.last() else { return Ok(done) };
            after = last;
            for (id, thumb) in rows {
                match self.placeholder_of(id, &thumb).await {
                    Ok(made) => done.placeholders += usize::from(made),
                    Err(e) => {
                        tracing::warn!(id, error = %e, "image placeholder not made");
                        done.failed.push(NotRead { kind: MediaKind::Image, id, error: e.to_string() });
                    }
                }
            }
        }
    }

    /// Reads how each photo stored before shots were was taken, from its original.
    async fn backfill_shots(&self, done: &mut Backfilled) -> Result<(), MediaError> {
        let mut after = 0;
        loop {
            let rows = {
                let mut pooled = self.db.get().await?;
                ImageRepo::without_shot(&mut pooled.conn(), after, PAGE).await?
            };
            let Some((last, _)) = rows.last() else { return Ok(()) };
            after = *last;
            for (id, original) in rows {
                match self.shot_of(id, &original).await {
                    Ok(read) => done.shots += usize::from(read),
                    Err(e) => {
                        tracing::warn!(id, error = %e, "how the photo was taken not read");
                        done.failed.push(NotRead { kind: MediaKind::Image, id, error: e.to_string() });
                    }
                }
            }
        }
    }

    /// Whether the image's shot was read from its original `original` and recorded.
    async fn shot_of(&self, id: i64, original: &str) -> Result<bool, MediaError> {
        let object = self.store.get(&StorageKey::parse(original)?, None).await?;
        let spooled = spool_with(object.body, &self.settings.spool_dir, u64::MAX, |_, _| Ok(())).await?;
        let (path, size) = (spooled.path.to_path_buf(), spooled.size);
        let shot = self
            .cpu
            .run(move || {
                let (t, _) = sniff_received(&path, size, true)?
                    .ok_or_else(|| FileError::Corrupt("the stored file is not an image".into()))?;
                Ok::<_, FileError>(shot::read(&path, t))
            })
            .await??;
        drop(spooled);
        let mut pooled = self.db.get().await?;
        Ok(ImageRepo::set_shot(&mut pooled.conn(), id, original, &shot.to_column()).await?)
    }

    /// Gives every stored picture (originals, thumbnails, display copies, the trash's and the
    /// versions') the caching advice pictures are now stored with, where the store sends it
    /// from the object (S3); how many needed it. One look at each object, so a second run reads
    /// the bucket's headers again but changes nothing.
    async fn advise_caching(&self) -> Result<usize, MediaError> {
        let mut advised = 0;
        for object in self.store.list("").await? {
            // A key the app could not have written is not its to rewrite.
            let Ok(key) = StorageKey::parse(&object.key) else { continue };
            advised += usize::from(self.store.advise_caching(&key).await?);
        }
        Ok(advised)
    }

    /// Whether the image got the placeholder and look of its thumbnail `thumb`.
    async fn placeholder_of(&self, id: i64, thumb: &str) -> Result<bool, MediaError> {
        let mut body = self.store.get(&StorageKey::parse(thumb)?, None).await?.body;
        let mut jpeg = Vec::new();
        while let Some(chunk) = body.next().await {
            jpeg.extend_from_slice(&chunk?);
        }
        let (placeholder, look) = self
            .cpu
            .run(move || {
                let rgb = image::load_from_memory(&jpeg)
                    .map_err(|e| FileError::Corrupt(format!("the thumbnail could not be read: {e}")))?
                    .into_rgb8();
                Ok::<_, FileError>((thumbnail::placeholder(&rgb), look::look(&rgb)))
            })
            .await??;
        let mut pooled = self.db.get().await?;
        Ok(ImageRepo::set_likeness(&mut pooled.conn(), id, thumb, (&placeholder, look)).await?)
    }

    async fn backfill_audio(&self) -> Result<Backfilled, MediaError> {
        let mut done = Backfilled::default();
        let mut after = 0;
        loop {
            let rows = {
                let mut pooled = self.db.get().await?;
                AudioRepo::unfinished(&mut pooled.conn(), after, PAGE).await?
            };
            let Some(last) = rows.last() else { return Ok(done) };
            after = last.id;
            for row in rows {
                let id = row.id;
                match self.backfill_one(row).await {
                    Ok((measured, copied, printed)) => {
                        done.measured += usize::from(measured);
                        done.copies += usize::from(copied);
                        done.printed += usize::from(printed);
                    }
                    Err(e) => {
                        tracing::warn!(id, error = %e, "audio not backfilled");
                        done.failed.push(NotRead { kind: MediaKind::Audio, id, error: e.to_string() });
                    }
                }
            }
        }
    }

    /// Whether the item got its figures, a copy, and a print.
    async fn backfill_one(&self, row: AudioRow) -> Result<(bool, bool, bool), MediaError> {
        let original = StorageKey::parse(&row.storage_key)?;
        let object = self.store.get(&original, None).await?;
        let spooled = spool_with(object.body, &self.settings.spool_dir, u64::MAX, |_, _| Ok(())).await?;
        let unmeasured = !row.health.measured();
        let copy = match row.rendition_key {
            None => Some(self.play_spool()?),
            Some(_) => None,
        };
        let path = spooled.path.to_path_buf();
        let (size, out) = (spooled.size, copy.as_ref().map(|c| c.to_path_buf()));
        let analysis = self
            .cpu
            .run(move || {
                let (t, start) = sniff_received(&path, size, true)?
                    .ok_or_else(|| super::file::FileError::Corrupt("the stored file is not audio".into()))?;
                analyse_audio(
                    &path,
                    t,
                    start,
                    Wanted { loudness: true, print: true, rendition: out.as_deref() },
                )
            })
            .await??;
        drop(spooled);
        let mut copied = false;
        if let (Some(file), Some(bytes)) = (&copy, analysis.rendition) {
            let play = original.derived(PLAY_SUFFIX);
            self.store.put_file(&play, file, "audio/flac").await?;
            let named = match self.db.get().await {
                Ok(mut pooled) => {
                    AudioRepo::add_rendition(
                        &mut pooled.conn(),
                        row.id,
                        original.as_str(),
                        (play.as_str(), bytes as i64),
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            copied = self.keep_if_named(&play, named).await?;
        }
        let mut pooled = self.db.get().await?;
        let printed = match (&row.print, &analysis.print) {
            (Some(_), _) => false,
            (None, print) => {
                let print = print.as_deref().map(print_bytes).unwrap_or_default();
                AudioRepo::set_print(&mut pooled.conn(), row.id, original.as_str(), &print).await?
                    && !print.is_empty()
            }
        };
        if !unmeasured {
            return Ok((false, copied, printed));
        }
        let measured =
            AudioRepo::set_health(&mut pooled.conn(), row.id, original.as_str(), &health_of(&analysis))
                .await?;
        Ok((measured, copied, printed))
    }
}

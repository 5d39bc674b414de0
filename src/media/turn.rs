//! Turning and cropping an image: its file replaced by the same image turned or cut (without
//! loss but for a lossy WebP's, see [`super::file::turn`]) through the one way a file is
//! replaced, so the earlier file is kept as a version, the previews are made again from the new
//! file, and the log says so.

use futures_util::StreamExt;

use crate::domain::{Aspect, AuditAction, Crop, Focal, MediaKind, Owner, Turn};
use crate::storage::{StorageKey, body_of};

use super::dto::{ImageRead, MediaRead};
use super::file::FileError;
use super::file::turn::{can_crop, crop_image, turn_image};
use super::{Actor, MediaError, MediaService, Replaced, Upload};

/// Why a sound does not turn.
pub const NOT_TURNABLE: &str = "Only images can be turned.";

/// Why an animated PNG or WebP does not turn.
pub const ANIMATION_NOT_TURNED: &str = "An animated PNG or WebP cannot be turned here (each frame would \
                                        need placing anew); turn it in an image editor and replace the file.";

/// Why an animated PNG or WebP does not crop.
pub const ANIMATION_NOT_CROPPED: &str = "An animated PNG or WebP cannot be cropped here; crop it in an \
                                         image editor and replace the file.";

impl MediaService {
    /// Turns or mirrors an image the actor manages: a JPEG's orientation changes and its pixels
    /// are copied as they are; a PNG's, GIF's or WebP's pixels move (a lossy WebP's compressed
    /// anew).
    pub async fn turn(
        &self,
        actor: &Actor,
        (kind, id): (MediaKind, i64),
        turn: Turn,
    ) -> Result<Replaced, MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_manage(item.media.owner_id())?;
        if !item.media.can_turn() {
            let image = kind == MediaKind::Image;
            return Err(MediaError::Invalid(if image { ANIMATION_NOT_TURNED } else { NOT_TURNABLE }.into()));
        }
        let data = self.whole_file(&item.key).await?;
        let content_type = item.media.content_type().to_owned();
        let turned = match self.cpu.run(move || turn_image(&content_type, &data, turn)).await? {
            // Its frames were counted at upload; the file says it is animated after all.
            Err(FileError::UnsupportedType(_)) => {
                return Err(MediaError::Invalid(ANIMATION_NOT_TURNED.into()));
            }
            other => other?,
        };
        // The same picture, turned: from where it came still holds.
        let source = item.media.source_link().map(str::to_owned);
        let upload = Upload { source, ..Upload::new(item.media.owner(), item.media.filename()) };
        let record = (AuditAction::Turn, Some(format!("{} {}", item.media.filename(), turn.done())));
        let refocus = |f: Focal| Some(f.turned(turn));
        self.replace_recorded(actor, (kind, id), upload, body_of(turned), record, refocus).await
    }

    /// Cuts an image the actor manages to `crop` (of the image as shown), losslessly: a JPEG's
    /// blocks inside are copied as they are, its edge moving out to their grid on the side its
    /// stored image starts; a PNG's pixels and a GIF's frames are cut. The rectangle kept is
    /// returned with it.
    pub async fn crop(
        &self,
        actor: &Actor,
        (kind, id): (MediaKind, i64),
        crop: Crop,
    ) -> Result<(Replaced, Crop), MediaError> {
        let image = self.image_to_cut(actor, kind, id).await?;
        self.cut(actor, (kind, id), image, crop).await
    }

    /// Cuts an image the actor manages to the largest part of `shape` it holds, centred on its
    /// focal point (else the middle) as far as its edges allow, as [`MediaService::crop`] does.
    pub async fn crop_to(
        &self,
        actor: &Actor,
        (kind, id): (MediaKind, i64),
        shape: Aspect,
    ) -> Result<(Replaced, Crop), MediaError> {
        let (image, key) = self.image_to_cut(actor, kind, id).await?;
        let (w, h) = (image.width as u32, image.height as u32);
        let crop = shape.around((w, h), image.focal);
        if (crop.width, crop.height) == (w, h) {
            return Err(MediaError::Invalid(format!(
                "the picture is already {shape} ({w}×{h}); nothing to cut"
            )));
        }
        self.cut(actor, (kind, id), (image, key), crop).await
    }

    /// An image the actor manages and its file's key, read once for either way of cropping it.
    async fn image_to_cut(
        &self,
        actor: &Actor,
        kind: MediaKind,
        id: i64,
    ) -> Result<(ImageRead, String), MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_manage(item.media.owner_id())?;
        match item.media {
            MediaRead::Image(image) => Ok((image, item.key)),
            MediaRead::Audio(_) => Err(MediaError::Invalid("only images are cropped".into())),
        }
    }

    async fn cut(
        &self,
        actor: &Actor,
        (kind, id): (MediaKind, i64),
        (image, key): (ImageRead, String),
        crop: Crop,
    ) -> Result<(Replaced, Crop), MediaError> {
        if !can_crop(&image.content_type, image.frames as u32) {
            return Err(MediaError::Invalid(ANIMATION_NOT_CROPPED.into()));
        }
        if let Some(why) = crop.refused((image.width as u32, image.height as u32)) {
            return Err(MediaError::Invalid(why));
        }
        let data = self.whole_file(&key).await?;
        let content_type = image.content_type.clone();
        let (cropped, kept) = match self.cpu.run(move || crop_image(&content_type, &data, crop)).await? {
            Err(FileError::UnsupportedType(_)) => {
                return Err(MediaError::Invalid(ANIMATION_NOT_CROPPED.into()));
            }
            other => other?,
        };
        let source = image.source_link.clone();
        let upload = Upload { source, ..Upload::new(Owner::from_id(image.owner_id), &image.filename) };
        let record = (AuditAction::Crop, Some(format!("{} {}", image.filename, kept.done())));
        let shown = (image.width as u32, image.height as u32);
        let refocus = |f: Focal| f.cropped(shown, &kept);
        let replaced =
            self.replace_recorded(actor, (kind, id), upload, body_of(cropped), record, refocus).await?;
        Ok((replaced, kept))
    }

    /// An item's stored file, read into memory rather than spooled: a turn or crop needs the
    /// whole file at hand, and its size was bounded at upload.
    async fn whole_file(&self, key: &str) -> Result<Vec<u8>, MediaError> {
        let mut body = self.store.get(&StorageKey::parse(key)?, None).await?.body;
        let mut data = Vec::new();
        while let Some(chunk) = body.next().await {
            data.extend_from_slice(&chunk?);
        }
        Ok(data)
    }
}

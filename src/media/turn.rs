//! Turning an image: its file replaced by the same image turned without loss (see
//! [`super::file::turn`]) through the one way a file is replaced, so the earlier file is kept
//! as a version, the previews are made again from the turned file, and the log says so.

use futures_util::StreamExt;

use crate::domain::{AuditAction, MediaKind, Turn};
use crate::storage::{StorageKey, body_of};

use super::file::FileError;
use super::file::turn::turn_image;
use super::{Actor, MediaError, MediaService, Replaced, Upload};

/// Why a WebP does not turn.
pub const NOT_TURNABLE: &str = "Only JPEG, PNG and GIF images can be turned here without losing \
                                anything; turn a WebP in an image editor and replace the file.";

/// Why an animated PNG does not turn.
pub const ANIMATION_NOT_TURNED: &str = "An animated PNG cannot be turned here (each frame would need \
                                        placing anew); turn it in an image editor and replace the file.";

impl MediaService {
    /// Turns or mirrors an image the actor manages, losslessly: a JPEG's orientation changes
    /// and its pixels are copied as they are; a PNG's or GIF's pixels move.
    pub async fn turn(
        &self,
        actor: &Actor,
        (kind, id): (MediaKind, i64),
        turn: Turn,
    ) -> Result<Replaced, MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_manage(item.media.owner_id())?;
        if !item.media.turns_losslessly() {
            let animated = item.media.content_type() == "image/png";
            return Err(MediaError::Invalid(
                if animated { ANIMATION_NOT_TURNED } else { NOT_TURNABLE }.into(),
            ));
        }
        let original = StorageKey::parse(&item.key)?;
        // Read into memory, not spooled: the turn needs the whole file at hand, and its size
        // was bounded at upload.
        let mut body = self.store.get(&original, None).await?.body;
        let mut data = Vec::new();
        while let Some(chunk) = body.next().await {
            data.extend_from_slice(&chunk?);
        }
        let content_type = item.media.content_type().to_owned();
        let turned = match self.cpu.run(move || turn_image(&content_type, &data, turn)).await? {
            // Its frames were counted at upload; the file says it is animated after all.
            Err(FileError::UnsupportedType(_)) => {
                return Err(MediaError::Invalid(ANIMATION_NOT_TURNED.into()));
            }
            other => other?,
        };
        let upload = Upload::new(item.media.owner(), item.media.filename());
        let record = (AuditAction::Turn, Some(format!("{} {}", item.media.filename(), turn.done())));
        self.replace_recorded(actor, (kind, id), upload, body_of(turned), record).await
    }
}

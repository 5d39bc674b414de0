//! Turning a photo: its file replaced by the same JPEG with another orientation (see
//! [`super::file::turn`]) through the one way a file is replaced, so the earlier file is kept
//! as a version, the previews are made again from the turned file, and the log says so.

use futures_util::StreamExt;

use crate::domain::{AuditAction, MediaKind, Turn};
use crate::storage::{StorageKey, body_of};

use super::file::turn::turn_jpeg;
use super::{Actor, MediaError, MediaService, Replaced, Upload};

/// Why only JPEG turns.
pub const ONLY_JPEG: &str = "Only JPEG photos can be turned here (without losing anything); turn a \
                             PNG, WebP or GIF in an image editor and replace the file.";

impl MediaService {
    /// Turns or mirrors an image the actor manages, losslessly: a JPEG's orientation changes,
    /// its pixels are copied as they are.
    pub async fn turn(
        &self,
        actor: &Actor,
        (kind, id): (MediaKind, i64),
        turn: Turn,
    ) -> Result<Replaced, MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_manage(item.media.owner_id())?;
        if !item.media.turns_losslessly() {
            return Err(MediaError::Invalid(ONLY_JPEG.into()));
        }
        let original = StorageKey::parse(&item.key)?;
        // Read into memory, not spooled: the turn needs the whole file at hand, and its size
        // was bounded at upload.
        let mut body = self.store.get(&original, None).await?.body;
        let mut data = Vec::new();
        while let Some(chunk) = body.next().await {
            data.extend_from_slice(&chunk?);
        }
        let turned = self.cpu.run(move || turn_jpeg(&data, turn)).await??;
        let upload = Upload::new(item.media.owner(), item.media.filename());
        let record = (AuditAction::Turn, Some(format!("{} {}", item.media.filename(), turn.done())));
        self.replace_recorded(actor, (kind, id), upload, body_of(turned), record).await
    }
}

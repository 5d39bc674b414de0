//! Turning a photo: its file replaced by the same JPEG with another orientation (see
//! [`super::file::turn`]) through the one way a file is replaced, so the earlier file is kept
//! as a version, the previews are made again from the turned file, and the log says so.

use crate::domain::{AuditAction, MediaKind, Turn};
use crate::storage::{StorageKey, body_of};

use super::file::turn::turn_jpeg;
use super::spool::spool_with;
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
        let object = self.store.get(&original, None).await?;
        let spooled = spool_with(object.body, &self.settings.spool_dir, u64::MAX, |_, _| Ok(())).await?;
        let path = spooled.path.to_path_buf();
        let turned = self.cpu.run(move || std::fs::read(path).map(|data| turn_jpeg(&data, turn))).await???;
        drop(spooled);
        let upload = Upload::new(item.media.owner(), item.media.filename());
        let record = (AuditAction::Turn, Some(format!("{} {}", item.media.filename(), turn.done())));
        self.replace_recorded(actor, (kind, id), upload, body_of(turned), record).await
    }
}

//! Choosing an image's focal point (see [`Focal`]): set by a click on its page, typed, or sent
//! by the API; logged like any other edit of what is written about the item.

use super::MediaError;
use super::access::Actor;
use super::dto::MediaRead;
use super::service::MediaService;
use crate::db::DbConn;
use crate::db::repo::{AuditRepo, ImageRepo};
use crate::domain::{AuditAction, Focal, MediaKind};

impl MediaService {
    /// Sets (or with `None` clears) the focal point of an image the actor manages.
    pub async fn set_focal(
        &self,
        actor: &Actor,
        id: i64,
        focal: Option<Focal>,
    ) -> Result<MediaRead, MediaError> {
        let item = self.item(MediaKind::Image, id).await?;
        actor.check_manage(item.media.owner_id())?;
        self.db.transaction(async |c: &mut DbConn<'_>| focal_in(c, actor, id, focal).await).await?;
        Ok(self.item(MediaKind::Image, id).await?.media)
    }
}

/// [`MediaService::set_focal`] in the caller's transaction, the image locked; a point the
/// image already has changes nothing and is not logged.
pub(super) async fn focal_in(
    c: &mut DbConn<'_>,
    actor: &Actor,
    id: i64,
    focal: Option<Focal>,
) -> Result<(), MediaError> {
    let focal = focal.map(Focal::checked).transpose().map_err(MediaError::Invalid)?;
    let locked = MediaService::locked_item(c, (MediaKind::Image, id)).await?;
    actor.check_manage(locked.media.owner_id())?;
    let MediaRead::Image(image) = &locked.media else { return Err(MediaError::NotFound) };
    if image.focal == focal {
        return Ok(());
    }
    ImageRepo::set_focal(c, id, focal.map(Focal::stored)).await?;
    let detail = match focal.map(Focal::percent) {
        Some((x, y)) => format!("focal point at {x} %, {y} %"),
        None => "focal point cleared".to_owned(),
    };
    AuditRepo::add(c, &actor.did(AuditAction::Edit, (MediaKind::Image, id)).detail(detail)).await?;
    Ok(())
}

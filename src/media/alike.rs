//! Look-alikes: images whose pictures look like an image's, though their bytes differ (a copy
//! resized, saved again, in another format or lightly retouched), found by their looks
//! (file/look.rs) among what the viewer sees, so nobody learns of another user's files.
//! Exact copies (the same SHA-256) are among them, said as such.

use super::MediaError;
use super::access::Actor;
use super::file::look::{ALIKE, distance};
use super::service::MediaService;
use crate::db::repo::{AlikeRepo, ImageRepo};
use crate::domain::{MediaKind, Owner};
use crate::storage::StorageKey;

/// Why a sound has no look-alikes.
pub const NOT_LOOKED_AT: &str = "Only images have look-alikes.";

/// Look-alikes shown for one image.
pub const MAX_ALIKE: usize = 12;

/// An image that looks like another.
#[derive(Debug, Clone)]
pub struct LookAlike {
    pub id: i64,
    pub filename: String,
    pub title: Option<String>,
    pub owner: Owner,
    pub thumb_url: Option<String>,
    /// Bits its look differs in: 0 is the same picture to the eye.
    pub distance: u32,
    /// Whether it holds the very same file.
    pub same_file: bool,
}

/// An image's look-alikes, or why there are none to show.
#[derive(Debug, Clone)]
pub enum Alike {
    /// The closest first, at most [`MAX_ALIKE`].
    Found(Vec<LookAlike>),
    /// The image has no look yet (stored by an older version, before `mediadesk backfill`).
    NotLooked,
}

impl MediaService {
    /// The images the actor sees that look like item `id`, which the actor must see.
    pub async fn look_alikes(&self, actor: &Actor, kind: MediaKind, id: i64) -> Result<Alike, MediaError> {
        if kind == MediaKind::Audio {
            self.get(actor, kind, id).await?;
            return Err(MediaError::Invalid(NOT_LOOKED_AT.into()));
        }
        let visible_to = if actor.is_staff { None } else { Some(actor.user_id.unwrap_or(-1)) };
        let mut pooled = self.db.get().await?;
        // The row holds the look the item's read leaves out: one read serves for both.
        let row = ImageRepo::by_id(&mut pooled.conn(), id).await?.ok_or(MediaError::NotFound)?;
        actor.check_view(row.owner_id)?;
        let Some(look) = row.look else { return Ok(Alike::NotLooked) };
        let candidates = AlikeRepo::sharing_a_quarter(&mut pooled.conn(), look, id, visible_to).await?;
        drop(pooled);
        let mut near: Vec<_> = candidates
            .into_iter()
            .map(|c| (distance(look, c.look), c))
            .filter(|(d, _)| *d <= ALIKE)
            .collect();
        near.sort_by_key(|(d, c)| (*d, c.id));
        let mut out = Vec::with_capacity(near.len().min(MAX_ALIKE));
        for (distance, c) in near.into_iter().take(MAX_ALIKE) {
            let thumb_url = match &c.thumbnail_key {
                Some(t) => Some(self.sign(&StorageKey::parse(t)?, "image/jpeg", None, None).await?.url),
                None => None,
            };
            out.push(LookAlike {
                id: c.id,
                same_file: c.sha256 == row.sha256,
                filename: c.original_filename,
                title: c.title,
                owner: Owner::from_id(c.owner_id),
                thumb_url,
                distance,
            });
        }
        Ok(Alike::Found(out))
    }
}

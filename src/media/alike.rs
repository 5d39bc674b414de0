//! Look-alikes and sound-alikes: items whose pictures look like an image's (a copy resized,
//! saved again, in another format or lightly retouched), or whose sound is a sound's (a copy in
//! another format, bitrate or rate, or a part cut from it), though their bytes differ, found by
//! their looks (file/look.rs) or prints (file/sound.rs) among what the viewer sees, so nobody
//! learns of another user's files. Exact copies (the same SHA-256) are among them, said as such.

use super::MediaError;
use super::access::Actor;
use super::file::look::{ALIKE, distance};
use super::file::sound::{Shared, shared};
use super::service::MediaService;
use crate::db::DbConn;
use crate::db::repo::{AlikeGroupRepo, AlikeRepo, AudioRepo, ImageRepo, SoundRepo};
use crate::db::rows::AlikeItem;
use crate::domain::{MediaKind, Owner, print_keys, print_values};
use crate::storage::StorageKey;

/// Alikes shown for one item.
pub const MAX_ALIKE: usize = 12;

/// How alike two items are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Likeness {
    /// Images: bits their looks differ in (0 is the same picture to the eye).
    Look(u32),
    /// Sounds: what they share.
    Sound(Shared),
}

/// An item that looks or sounds like another.
#[derive(Debug, Clone)]
pub struct LookAlike {
    pub id: i64,
    pub filename: String,
    pub title: Option<String>,
    pub owner: Owner,
    pub thumb_url: Option<String>,
    pub likeness: Likeness,
    /// Whether it holds the very same file.
    pub same_file: bool,
    /// Whether someone said the two are not duplicates (the groups keep them apart).
    pub kept_apart: bool,
}

/// An item's alikes, or why there are none to show.
#[derive(Debug, Clone)]
pub enum Alike {
    /// The closest first, at most [`MAX_ALIKE`].
    Found(Vec<LookAlike>),
    /// The item has no look or print yet (stored by an older version, before `mediadesk
    /// backfill`).
    NotLooked,
    /// A sound too short (under about 2 s) or too quiet to have a print worth comparing.
    Unprintable,
}

impl LookAlike {
    /// `item` as an alike of an item holding the file `sha256` and kept apart from `apart`.
    fn of(
        item: AlikeItem,
        (sha256, apart): (&str, &[i64]),
        thumb_url: Option<String>,
        likeness: Likeness,
    ) -> LookAlike {
        LookAlike {
            same_file: item.sha256 == sha256,
            kept_apart: apart.binary_search(&item.id).is_ok(),
            id: item.id,
            filename: item.original_filename,
            title: item.title,
            owner: Owner::from_id(item.owner_id),
            thumb_url,
            likeness,
        }
    }
}

impl MediaService {
    /// The items of its kind the actor sees that look or sound like item `id`, which the actor
    /// must see.
    pub async fn look_alikes(&self, actor: &Actor, kind: MediaKind, id: i64) -> Result<Alike, MediaError> {
        let visible_to = if actor.is_staff { None } else { Some(actor.user_id.unwrap_or(-1)) };
        if kind == MediaKind::Audio {
            return self.sound_alikes(actor, id, visible_to).await;
        }
        let mut pooled = self.db.get().await?;
        // The row holds the look the item's read leaves out: one read serves for both.
        let row = ImageRepo::by_id(&mut pooled.conn(), id).await?.ok_or(MediaError::NotFound)?;
        actor.check_view(row.owner_id)?;
        let Some(look) = row.look else { return Ok(Alike::NotLooked) };
        let candidates = AlikeRepo::sharing_a_quarter(&mut pooled.conn(), look, id, visible_to).await?;
        let apart = apart_if_any(&mut pooled.conn(), ("image", id), !candidates.is_empty()).await?;
        drop(pooled);
        let mut near: Vec<_> = candidates
            .into_iter()
            .map(|c| (distance(look, c.look), c))
            .filter(|(d, _)| *d <= ALIKE)
            .collect();
        near.sort_by_key(|(d, c)| (*d, c.item.id));
        let mut out = Vec::with_capacity(near.len().min(MAX_ALIKE));
        for (distance, c) in near.into_iter().take(MAX_ALIKE) {
            let thumb_url = match &c.thumbnail_key {
                Some(t) => Some(self.sign(&StorageKey::parse(t)?, "image/jpeg", None, None).await?.url),
                None => None,
            };
            out.push(LookAlike::of(c.item, (&row.sha256, &apart), thumb_url, Likeness::Look(distance)));
        }
        Ok(Alike::Found(out))
    }

    /// Sounds sharing keys with the sound's print, each print compared with Chromaprint's
    /// matcher on a media worker (up to 200 comparisons, about 10 ms): the same file first,
    /// then the same recording, then the most sound shared.
    async fn sound_alikes(
        &self,
        actor: &Actor,
        id: i64,
        visible_to: Option<i64>,
    ) -> Result<Alike, MediaError> {
        let mut pooled = self.db.get().await?;
        let row = AudioRepo::by_id(&mut pooled.conn(), id).await?.ok_or(MediaError::NotFound)?;
        actor.check_view(row.owner_id)?;
        let Some(print) = row.print else { return Ok(Alike::NotLooked) };
        let mine = print_values(&print);
        let keys = print_keys(&mine);
        if keys.is_empty() {
            return Ok(Alike::Unprintable);
        }
        let candidates = SoundRepo::sharing_keys(&mut pooled.conn(), &keys, id, visible_to).await?;
        let apart = apart_if_any(&mut pooled.conn(), ("audio", id), !candidates.is_empty()).await?;
        drop(pooled);
        let mut near = self
            .cpu
            .run(move || {
                candidates
                    .into_iter()
                    .filter_map(|c| Some((shared(&mine, &print_values(c.print.as_deref()?))?, c.item)))
                    .collect::<Vec<_>>()
            })
            .await?;
        near.sort_by_key(|(s, c)| (c.sha256 != row.sha256, !s.whole, -s.ms, c.id));
        let near = near.into_iter().take(MAX_ALIKE);
        let found = near.map(|(s, c)| LookAlike::of(c, (&row.sha256, &apart), None, Likeness::Sound(s)));
        Ok(Alike::Found(found.collect()))
    }
}

/// The items `id` is kept apart from, asked only when it has candidates at all (most items
/// have none, and then there is nothing to mark).
async fn apart_if_any(
    conn: &mut DbConn<'_>,
    (kind, id): (&str, i64),
    any: bool,
) -> Result<Vec<i64>, MediaError> {
    Ok(if any { AlikeGroupRepo::apart_from(conn, kind, id).await? } else { Vec::new() })
}

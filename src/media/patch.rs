//! One change of an item as the JSON API sends it: any of its description's fields, its
//! transcript or focal point, tags and collections to add it to and take it from, all in one
//! transaction (a refusal or a failure keeps none of it). A field left out is left as it is, so two scripts
//! that fill different fields never undo each other; the item is locked while the change reads
//! and writes it.

use super::MediaError;
use super::access::Actor;
use super::collections::{add_in, remove_in};
use super::describe::rewrite_in;
use super::dto::Description;
use super::focal::focal_in;
use super::service::{MediaService, check_transcript, write_transcript};
use super::tags::{clean_tag, key_order, tag_in, untag_in};
use crate::db::DbConn;
use crate::db::repo::TagRepo;
use crate::domain::{Focal, MediaKind};

/// Tags one change may add or take off.
const MAX_TAGS: usize = 50;

/// The tags to put on, as (name, key) in key order, and the keys of those to take off.
struct TagChange {
    add: Vec<(String, String)>,
    remove: Vec<String>,
}

/// What a change sets; `None` leaves a field as it is, `Some(None)` (or an empty text) clears it.
#[derive(Debug, Clone, Default)]
pub struct ItemPatch {
    pub title: Option<Option<String>>,
    pub alt_text: Option<Option<String>>,
    pub caption: Option<Option<String>>,
    pub credit: Option<Option<String>>,
    pub transcript: Option<Option<String>>,
    /// An image's focal point (`Some(None)` clears it).
    pub focal: Option<Option<Focal>>,
    pub tags_add: Vec<String>,
    pub tags_remove: Vec<String>,
    /// Collections (ids) the actor manages to put the item in and take it out of.
    pub collections_add: Vec<i64>,
    pub collections_remove: Vec<i64>,
}

impl ItemPatch {
    fn describes(&self) -> bool {
        self.title.is_some() || self.alt_text.is_some() || self.caption.is_some() || self.credit.is_some()
    }

    /// What is saved, with this change's fields over it.
    fn over(&self, now: Description) -> Description {
        let pick = |mine: &Option<Option<String>>, saved: Option<String>| match mine {
            Some(v) => v.clone(),
            None => saved,
        };
        Description {
            title: pick(&self.title, now.title),
            alt_text: pick(&self.alt_text, now.alt_text),
            caption: pick(&self.caption, now.caption),
            credit: pick(&self.credit, now.credit),
        }
    }

    /// Refuses what no transaction should start with: a field the kind does not have, a
    /// transcript too long, too many tags, or one unfit.
    fn check(&self, kind: MediaKind) -> Result<TagChange, MediaError> {
        let given = |v: &Option<Option<String>>| {
            v.as_ref().is_some_and(|t| t.as_deref().is_some_and(|t| !t.trim().is_empty()))
        };
        if kind == MediaKind::Audio && given(&self.alt_text) {
            return Err(MediaError::Invalid("audio has no alt text: describe it with a transcript".into()));
        }
        if kind == MediaKind::Audio && self.focal.is_some() {
            return Err(MediaError::Invalid("audio has no focal point: only images do".into()));
        }
        if let Some(Some(f)) = self.focal {
            f.checked().map_err(MediaError::Invalid)?;
        }
        if kind == MediaKind::Image && self.transcript.is_some() {
            return Err(MediaError::Invalid("an image has no transcript: describe it with alt text".into()));
        }
        if let Some(Some(t)) = &self.transcript {
            check_transcript(t)?;
        }
        if self.collections_add.len() > MAX_TAGS || self.collections_remove.len() > MAX_TAGS {
            return Err(MediaError::Invalid(format!("at most {MAX_TAGS} collections at once")));
        }
        if self.tags_add.len() > MAX_TAGS || self.tags_remove.len() > MAX_TAGS {
            return Err(MediaError::Invalid(format!(
                "at most {MAX_TAGS} tags added and {MAX_TAGS} taken off at once"
            )));
        }
        let add = self.tags_add.iter().map(|t| clean_tag(t)).collect::<Result<Vec<_>, _>>()?;
        let remove =
            self.tags_remove.iter().map(|t| clean_tag(t).map(|(_, key)| key)).collect::<Result<_, _>>()?;
        Ok(TagChange { add: key_order(&add), remove })
    }
}

impl MediaService {
    /// Applies `patch` to an item the actor manages.
    pub async fn patch_item(
        &self,
        actor: &Actor,
        (kind, id): (MediaKind, i64),
        patch: &ItemPatch,
    ) -> Result<(), MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_manage(item.media.owner_id())?;
        let TagChange { add, remove } = patch.check(kind)?;
        let tags_changed = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                let locked = Self::locked_item(c, (kind, id)).await?;
                actor.check_manage(locked.media.owner_id())?;
                if patch.describes() {
                    rewrite_in(c, actor, (kind, id), |now| Ok(patch.over(now))).await?;
                }
                if let Some(text) = &patch.transcript {
                    let text = text.as_deref().map(str::trim).filter(|t| !t.is_empty());
                    write_transcript(c, actor, id, text).await?;
                }
                if let Some(focal) = patch.focal {
                    focal_in(c, actor, id, focal).await?;
                }
                let mut changed = !tag_in(c, actor, (kind, id), &add).await?.is_empty();
                if !remove.is_empty() {
                    for tag in TagRepo::by_keys(c, &remove).await? {
                        changed |= untag_in(c, actor, (kind, id), &tag).await?;
                    }
                }
                // In id order, so that two changes naming the same collections take turns.
                let mut adds = patch.collections_add.clone();
                adds.sort_unstable();
                adds.dedup();
                for collection in adds {
                    add_in(c, actor, collection, (kind, id)).await.map_err(|e| named(e, collection))?;
                }
                for &collection in &patch.collections_remove {
                    remove_in(c, actor, collection, (kind, id)).await.map_err(|e| named(e, collection))?;
                }
                Ok::<_, MediaError>(changed)
            })
            .await?;
        if tags_changed {
            self.memos.tag_suggestions.forget();
        }
        Ok(())
    }
}

/// A collection the change names but the actor cannot change is a refusal of the change (a
/// 404 would say the item is missing).
fn named(e: MediaError, collection: i64) -> MediaError {
    match e {
        MediaError::NotFound | MediaError::Forbidden => {
            MediaError::Invalid(format!("collection {collection}: no collection you manage has that id"))
        }
        other => other,
    }
}

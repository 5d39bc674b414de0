//! One change to many items at once (the gallery's selection): each item is changed on its own,
//! so one that cannot be (someone else's, gone, audio asked for alt text) never stops the
//! others; the caller gets each item's outcome. The same change may be made to every item of
//! a gallery view, across its pages, up to [`MAX_VIEW_EDIT`] items ([`MAX_VIEW_TURN`] photos
//! for a turn, which rewrites each file, fewer large PNGs, GIFs or WebPs).

use futures_util::StreamExt;

use super::MediaError;
use super::access::Actor;
use super::dto::Description;
use super::file::turn::{can_turn, turn_work};
use super::service::MediaService;
use crate::domain::{GalleryQuery, MediaKind, Turn};

/// Most items one change or delete of a whole view reaches: it runs while the request waits.
pub const MAX_VIEW_EDIT: usize = 5_000;
/// Most 24 MP JPEGs one turn of a whole view reaches (a large PNG or GIF counts as several,
/// see [`turn_work`]): each file is read, written and its previews made again (see the
/// README's figures).
pub const MAX_VIEW_TURN: usize = 300;
/// Photos turned side by side: the store's reads and writes overlap the previews' decoding.
const TURNS_AT_ONCE: usize = 4;

/// What to do to each selected item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkEdit {
    /// Add these comma-separated tags.
    Tag(String),
    /// Take these comma-separated tags off.
    Untag(String),
    Collect(i64),
    Uncollect(i64),
    /// Replace the credit (empty clears it).
    Credit(String),
    /// Replace the alt text (images only).
    AltText(String),
    /// Add to the end of the alt text (images only).
    AppendAltText(String),
    /// Turn or mirror (JPEG, PNG and GIF images, without loss).
    Turn(Turn),
}

/// One item's outcome: changed, or why not.
pub type BulkOutcome = ((MediaKind, i64), Result<(), MediaError>);

/// What a change of a whole view would reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewMembers {
    /// The items the actor may change and the change applies to, in the view's order.
    pub items: Vec<(MediaKind, i64)>,
    /// Items of the view the actor may see but not change.
    pub not_yours: usize,
    /// Items the change does not apply to: audio, for alt text; for a collection, media of
    /// someone other than its owner, which cannot go in it; for a turn, what does not
    /// turn without loss (a WebP, an animated PNG).
    pub not_applicable: usize,
    /// Of `items`, how many are system media, and how many other users' (staff reach those).
    pub of_system: usize,
    pub of_others: usize,
}

impl MediaService {
    /// Applies `edit` to each item in turn.
    pub async fn bulk_edit(
        &self,
        actor: &Actor,
        items: &[(MediaKind, i64)],
        edit: &BulkEdit,
    ) -> Vec<BulkOutcome> {
        let at_once = if matches!(edit, BulkEdit::Turn(_)) { TURNS_AT_ONCE } else { 1 };
        futures_util::stream::iter(items.iter().copied())
            .map(|item| async move { (item, self.edit_one(actor, item, edit).await) })
            .buffered(at_once)
            .collect()
            .await
    }

    /// The items of the view `query` describes (its filters and order, not its position) that
    /// `edit` would change, or a delete (`None`) would reach: checked as the gallery checks the
    /// view, and the edit's own input checked once, so that a typo is one error rather than
    /// one per item. More than `limit` items is refused (the pages pass [`MAX_VIEW_EDIT`]).
    pub async fn view_members(
        &self,
        actor: &Actor,
        query: &GalleryQuery,
        edit: Option<&BulkEdit>,
        limit: usize,
    ) -> Result<ViewMembers, MediaError> {
        // Whose media may go in the collection (besides system media).
        let mut fits_owner = None;
        match edit {
            Some(BulkEdit::Tag(names) | BulkEdit::Untag(names)) => drop(super::tags::typed_tags(names)?),
            Some(BulkEdit::Collect(id) | BulkEdit::Uncollect(id)) => {
                let mut pooled = self.db.get().await?;
                fits_owner = Some(self.managed_collection(&mut pooled.conn(), actor, *id).await?.owner_id);
            }
            _ => {}
        }
        let alt = matches!(edit, Some(BulkEdit::AltText(_) | BulkEdit::AppendAltText(_)));
        let turn = matches!(edit, Some(BulkEdit::Turn(_)));
        let collect = matches!(edit, Some(BulkEdit::Collect(_)));
        let mut members = ViewMembers::default();
        // Each item counts one against `limit`; for a turn, what its turn costs.
        let mut work = 0u64;
        self.walk_view(actor, query, |row| {
            let fits = match fits_owner {
                Some(owner) if collect => row.owner_id.is_none() || row.owner_id == owner,
                _ => true,
            };
            if !actor.can_manage(row.owner_id) {
                members.not_yours += 1;
                return Ok(());
            }
            if (alt && row.kind == MediaKind::Audio)
                || (turn && !can_turn(&row.content_type, row.frames as u32))
                || !fits
            {
                members.not_applicable += 1;
                return Ok(());
            }
            let sides = (row.width.unwrap_or(0) as u32, row.height.unwrap_or(0) as u32);
            work += if turn { turn_work(&row.content_type, sides, row.frames as u32) } else { 1 };
            if work > limit as u64 {
                let what = if turn {
                    format!("more than one turn reaches ({limit} photos; fewer large PNGs, GIFs or WebPs)")
                } else {
                    format!("more than {limit} items you may change")
                };
                return Err(MediaError::Invalid(format!(
                    "this view holds {what}; narrow it with a search or filter and change each part"
                )));
            }
            members.items.push((row.kind, row.id));
            match row.owner_id {
                None => members.of_system += 1,
                Some(owner) if Some(owner) != actor.user_id => members.of_others += 1,
                Some(_) => {}
            }
            Ok(())
        })
        .await?;
        Ok(members)
    }

    async fn edit_one(
        &self,
        actor: &Actor,
        item: (MediaKind, i64),
        edit: &BulkEdit,
    ) -> Result<(), MediaError> {
        match edit {
            BulkEdit::Tag(names) => self.tag_item(actor, item, names).await.map(drop),
            BulkEdit::Untag(names) => {
                for name in super::tags::split_tags(names) {
                    self.untag_item(actor, item, name).await?;
                }
                Ok(())
            }
            BulkEdit::Collect(id) => self.add_to_collection(actor, *id, item).await.map(drop),
            BulkEdit::Uncollect(id) => self.remove_from_collection(actor, *id, item).await.map(drop),
            BulkEdit::Credit(text) => self.change(actor, item, |d| d.credit = Some(text.clone())).await,
            BulkEdit::AltText(_) | BulkEdit::AppendAltText(_) if item.0 == MediaKind::Audio => {
                Err(MediaError::Invalid("audio has no alt text".into()))
            }
            BulkEdit::AltText(text) => self.change(actor, item, |d| d.alt_text = Some(text.clone())).await,
            BulkEdit::Turn(turn) => self.turn(actor, item, *turn).await.map(drop),
            BulkEdit::AppendAltText(text) => {
                self.change(actor, item, |d| {
                    d.alt_text = Some(match d.alt_text.take() {
                        Some(old) if !old.trim().is_empty() => format!("{} {}", old.trim_end(), text.trim()),
                        _ => text.clone(),
                    });
                })
                .await
            }
        }
    }

    /// Changes one field of an item's description as it is saved now, keeping the others.
    async fn change(
        &self,
        actor: &Actor,
        item: (MediaKind, i64),
        change: impl FnOnce(&mut Description),
    ) -> Result<(), MediaError> {
        let change = |mut d: Description| {
            change(&mut d);
            Ok(d)
        };
        self.rewrite(actor, item, change).await.map(drop)
    }
}

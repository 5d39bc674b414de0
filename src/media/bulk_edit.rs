//! One change to many items at once (the gallery's selection): each item is changed on its own,
//! so one that cannot be (someone else's, gone, audio asked for alt text) never stops the
//! others; the caller gets each item's outcome.

use super::MediaError;
use super::access::Actor;
use super::dto::Description;
use super::service::MediaService;
use crate::domain::MediaKind;

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
}

/// One item's outcome: changed, or why not.
pub type BulkOutcome = ((MediaKind, i64), Result<(), MediaError>);

impl MediaService {
    /// Applies `edit` to each item in turn.
    pub async fn bulk_edit(
        &self,
        actor: &Actor,
        items: &[(MediaKind, i64)],
        edit: &BulkEdit,
    ) -> Vec<BulkOutcome> {
        let mut out = Vec::with_capacity(items.len());
        for &item in items {
            out.push((item, self.edit_one(actor, item, edit).await));
        }
        out
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

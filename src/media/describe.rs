//! Describing an item: its title, alt text (images), caption and credit. Fields are trimmed,
//! an empty one is cleared, and each has a length a person can still read.

use super::MediaError;
use super::access::Actor;
use super::dto::{Description, MediaRead};
use super::seen::{Seen, merge_description};
use super::service::MediaService;
use crate::db::DbConn;
use crate::db::repo::AuditRepo;
use crate::db::repo::{AudioRepo, ImageRepo};
use crate::db::rows::{AudioDescription, ImageDescription};
use crate::domain::AuditAction;
use crate::domain::MediaKind;

/// Longest field, in characters: title, alt text, caption, credit.
pub const MAX_TITLE: usize = 200;
pub const MAX_ALT_TEXT: usize = 1000;
pub const MAX_CAPTION: usize = 5000;
pub const MAX_CREDIT: usize = 300;

/// `text` trimmed, `None` when empty; refused past `max` characters.
fn field(text: Option<&str>, what: &str, max: usize) -> Result<Option<String>, MediaError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    if text.chars().count() > max {
        return Err(MediaError::Invalid(format!("the {what} has at most {max} characters")));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(MediaError::Invalid(format!("the {what} cannot hold control characters")));
    }
    Ok(Some(text.to_owned()))
}

/// A description checked and tidied: what would be stored.
pub fn clean_description(d: &Description) -> Result<Description, MediaError> {
    Ok(Description {
        title: field(d.title.as_deref(), "title", MAX_TITLE)?,
        alt_text: field(d.alt_text.as_deref(), "alt text", MAX_ALT_TEXT)?,
        caption: field(d.caption.as_deref(), "caption", MAX_CAPTION)?,
        credit: field(d.credit.as_deref(), "credit", MAX_CREDIT)?,
    })
}

/// Writes `d` as an item's description, in the caller's transaction.
pub(super) async fn write(
    c: &mut DbConn<'_>,
    (kind, id): (MediaKind, i64),
    d: &Description,
) -> Result<(), MediaError> {
    match kind {
        MediaKind::Image => {
            let set = ImageDescription {
                title: d.title.as_deref(),
                alt_text: d.alt_text.as_deref(),
                caption: d.caption.as_deref(),
                credit: d.credit.as_deref(),
            };
            ImageRepo::describe(c, id, &set).await?;
        }
        MediaKind::Audio => {
            let set = AudioDescription {
                title: d.title.as_deref(),
                caption: d.caption.as_deref(),
                credit: d.credit.as_deref(),
            };
            AudioRepo::describe(c, id, &set).await?;
        }
    }
    Ok(())
}

/// What is written about an item now, its row locked until the transaction ends.
async fn locked(c: &mut DbConn<'_>, item: (MediaKind, i64)) -> Result<Description, MediaError> {
    Ok(MediaService::locked_item(c, item).await?.media.description().clone())
}

impl MediaService {
    /// Saves what someone wrote about an item they manage. With `seen`, the fingerprints of
    /// what their form showed, only the fields they changed are written, and a field someone
    /// else changed meanwhile refuses the save ([`MediaError::EditConflict`]); without it, `d`
    /// replaces what is saved.
    pub async fn describe(
        &self,
        actor: &Actor,
        item: (MediaKind, i64),
        d: &Description,
        seen: Option<&Seen>,
    ) -> Result<MediaRead, MediaError> {
        let mine = clean_description(d)?;
        self.rewrite(actor, item, |now| match seen {
            None => Ok(mine),
            Some(seen) => match merge_description(seen, mine, now) {
                (merged, clashes) if clashes.is_empty() => Ok(merged),
                (_, clashes) => Err(MediaError::EditConflict(clashes)),
            },
        })
        .await
    }

    /// Changes an item's description, starting from what is saved when the change runs (the
    /// item locked meanwhile, so two changes take turns rather than one undoing the other).
    pub(super) async fn rewrite(
        &self,
        actor: &Actor,
        (kind, id): (MediaKind, i64),
        change: impl FnOnce(Description) -> Result<Description, MediaError>,
    ) -> Result<MediaRead, MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_manage(item.media.owner_id())?;
        self.db
            .transaction(async |c: &mut DbConn<'_>| rewrite_in(c, actor, (kind, id), change).await)
            .await?;
        Ok(self.item(kind, id).await?.media)
    }
}

/// [`MediaService::rewrite`]'s change and its audit row, in the caller's transaction.
pub(super) async fn rewrite_in(
    c: &mut DbConn<'_>,
    actor: &Actor,
    (kind, id): (MediaKind, i64),
    change: impl FnOnce(Description) -> Result<Description, MediaError>,
) -> Result<(), MediaError> {
    let now = locked(c, (kind, id)).await?;
    let mut d = clean_description(&change(now)?)?;
    if kind == MediaKind::Audio {
        d.alt_text = None;
    }
    write(c, (kind, id), &d).await?;
    let entry = actor.did(AuditAction::Edit, (kind, id)).detail("description");
    AuditRepo::add(c, &entry).await?;
    Ok(())
}

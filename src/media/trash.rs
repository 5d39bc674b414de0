//! The trash. Trashing copies an item's objects to fresh trash keys, then in one transaction
//! moves its row (with tags and collections) into `trash` and records the old objects as
//! pending deletion, then deletes them: every link made before stops working on either store,
//! and a failure at any step leaves the item as it was (the copies are removed again). Restore
//! is the same walk back to fresh live keys; purging hands the trash keys to the pending
//! deletions that plain deletes use.

use std::collections::HashMap;

use chrono::{NaiveDateTime, TimeDelta};

use super::MediaError;
use super::access::Actor;
use super::delete::Deleted;
use super::dto::MediaRead;
use super::service::{Item, MediaService};
use crate::db::repo::{PendingDeletionRepo, Snapshot, TrashCursor, TrashRepo, TrashedRow};
use crate::db::rows::{NewTrash, TrashRow};
use crate::db::{DbConn, now};
use crate::domain::{MediaKind, Owner};
use crate::storage::StorageKey;

/// Items per trash page.
pub const TRASH_PAGE: i64 = 50;

/// Trash rows purged per transaction when emptying or expiring.
const PURGE_BATCH: i64 = 200;

/// One item in the trash, as its page shows it.
#[derive(Debug, Clone)]
pub struct TrashedItem {
    pub kind: MediaKind,
    pub id: i64,
    pub filename: String,
    pub title: Option<String>,
    pub content_type: String,
    pub byte_size: i64,
    pub owner: Owner,
    pub trashed_by: Option<i64>,
    pub trashed_at: NaiveDateTime,
    /// When it goes for good.
    pub purge_at: NaiveDateTime,
    /// The trashed thumbnail of an image, signed for this page only.
    pub preview_url: Option<String>,
}

/// A page of the trash, most recently trashed first.
#[derive(Debug, Clone, Default)]
pub struct TrashPage {
    pub items: Vec<TrashedItem>,
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
    /// Items in this trash (the actor's own, or everyone's for staff).
    pub total: i64,
}

/// An object's old name and its name in the trash, as `object_keys` keeps them; the original
/// first.
type Moves = Vec<(String, String)>;

/// The names `original` and its derivatives take beside `to` (the original's new name).
fn names_beside(original: &StorageKey, derived: &[String], to: &StorageKey) -> Vec<StorageKey> {
    let mut names = vec![to.clone()];
    for (i, d) in derived.iter().enumerate() {
        names.push(original.rebase(d, to).unwrap_or_else(|| to.derived(&format!("d{i}"))));
    }
    names
}

fn encode_cursor((at, id): TrashCursor) -> String {
    format!("{}_{id}", at.and_utc().timestamp_micros())
}

fn decode_cursor(s: &str) -> Result<TrashCursor, MediaError> {
    let bad = || MediaError::Invalid("this trash page link is not valid".into());
    let (micros, id) = s.split_once('_').ok_or_else(bad)?;
    let at = chrono::DateTime::from_timestamp_micros(micros.parse().map_err(|_| bad())?).ok_or_else(bad)?;
    Ok((at.naive_utc(), id.parse().map_err(|_| bad())?))
}

impl TrashedRow {
    fn summary(&self) -> (&str, Option<&str>, &str, i64) {
        match self {
            TrashedRow::Image(r) => (&r.original_filename, r.title.as_deref(), &r.content_type, r.byte_size),
            TrashedRow::Audio(r) => (&r.original_filename, r.title.as_deref(), &r.content_type, r.byte_size),
        }
    }
}

impl MediaService {
    /// Whether deleting moves items to the trash (`MEDIADESK_TRASH_DAYS` > 0).
    pub fn keeps_trash(&self) -> bool {
        self.settings.trash_days > 0
    }

    /// Moves an item the actor manages to the trash (see the module docs).
    pub(super) async fn move_to_trash(
        &self,
        actor: &Actor,
        kind: MediaKind,
        item: Item,
    ) -> Result<Deleted, MediaError> {
        let id = item.media.id();
        let owner = item.media.owner_id();
        let original = StorageKey::parse(&item.key)?;
        let derived: Vec<String> = item.derived_keys().cloned().collect();
        let mut sources = vec![original.clone()];
        for d in &derived {
            sources.push(StorageKey::parse(d)?);
        }
        let in_trash = StorageKey::generate_in_trash(owner, original.extension().unwrap_or("bin"));
        let targets = names_beside(&original, &derived, &in_trash);
        self.copy_all(&sources, &targets).await?;
        let moves: Moves = sources
            .iter()
            .zip(&targets)
            .map(|(s, t)| (s.as_str().to_owned(), t.as_str().to_owned()))
            .collect();
        let preview = item
            .thumbnail
            .as_ref()
            .and_then(|thumb| moves.iter().find(|(old, _)| old == thumb))
            .map(|(_, new)| new.clone());
        let at = now();
        let purge_at = at + TimeDelta::days(i64::from(self.settings.trash_days));
        let old_keys: Vec<&str> = sources.iter().map(StorageKey::as_str).collect();
        let json = serde_json::to_string(&moves).expect("plain strings");
        let moved = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                let Some(snapshot) = TrashRepo::take_item(c, (kind.as_str(), id), &item.key).await? else {
                    return Err(MediaError::NotFound);
                };
                let (filename, title, content_type, byte_size) = snapshot.row.summary();
                let row = NewTrash {
                    kind: kind.as_str(),
                    item_id: id,
                    owner_id: owner,
                    trashed_by: actor.user_id,
                    trashed_at: at,
                    purge_at,
                    original_filename: filename,
                    title,
                    content_type,
                    byte_size,
                    preview_key: preview.as_deref(),
                    object_keys: &json,
                    snapshot: &snapshot.to_json(),
                };
                TrashRepo::add(c, &row).await?;
                Ok(PendingDeletionRepo::add(c, &old_keys, at).await?)
            })
            .await;
        let pending = match moved {
            Ok(pending) => pending,
            Err(e) => {
                self.discard(&targets).await;
                return Err(e);
            }
        };
        let removal_deferred = self.delete_recorded(&pending).await;
        Ok(Deleted { media: item.media, removal_deferred, trashed_until: Some(purge_at) })
    }

    /// Brings an item back from the trash with its fields, tags and collections, under fresh
    /// keys (links made before it was trashed stay dead).
    pub async fn restore(&self, actor: &Actor, kind: MediaKind, id: i64) -> Result<MediaRead, MediaError> {
        let row = self.trashed(actor, kind, id).await?;
        let moves: Moves = serde_json::from_str(&row.object_keys)
            .map_err(|e| MediaError::Invalid(format!("unreadable trash entry: {e}")))?;
        let Some((first, _)) = moves.first() else {
            return Err(MediaError::Invalid("a trash entry without objects".into()));
        };
        let original = StorageKey::parse(first)?;
        let derived: Vec<String> = moves[1..].iter().map(|(old, _)| old.clone()).collect();
        let live = StorageKey::generate(row.owner_id, original.extension().unwrap_or("bin"));
        let targets = names_beside(&original, &derived, &live);
        let mut sources = Vec::with_capacity(moves.len());
        for (_, in_trash) in &moves {
            sources.push(StorageKey::parse(in_trash)?);
        }
        self.copy_all(&sources, &targets).await?;
        let renamed: HashMap<&str, &str> =
            moves.iter().zip(&targets).map(|((old, _), new)| (old.as_str(), new.as_str())).collect();
        let trash_keys: Vec<&str> = sources.iter().map(StorageKey::as_str).collect();
        let snapshot = Snapshot::from_json(&row.snapshot)?;
        let back = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                if !TrashRepo::remove(c, row.id).await? {
                    return Err(MediaError::NotFound);
                }
                let rename = |old: &str| renamed.get(old).map_or_else(|| old.to_owned(), |n| (*n).to_owned());
                TrashRepo::put_back(c, snapshot, rename).await?;
                Ok(PendingDeletionRepo::add(c, &trash_keys, now()).await?)
            })
            .await;
        let pending = match back {
            Ok(pending) => pending,
            Err(e) => {
                self.discard(&targets).await;
                return Err(e);
            }
        };
        self.delete_recorded(&pending).await;
        Ok(self.item(kind, id).await?.media)
    }

    /// Deletes one trashed item for good.
    pub async fn purge(&self, actor: &Actor, kind: MediaKind, id: i64) -> Result<(), MediaError> {
        let row = self.trashed(actor, kind, id).await?;
        if self.purge_rows(vec![row]).await? == 0 {
            return Err(MediaError::NotFound);
        }
        Ok(())
    }

    /// Deletes everything in the actor's trash (all of it for staff) for good; how many items.
    pub async fn empty_trash(&self, actor: &Actor) -> Result<usize, MediaError> {
        let owner = Self::trash_owner(actor)?;
        let mut purged = 0;
        loop {
            let mut pooled = self.db.get().await?;
            let rows = TrashRepo::page(&mut pooled.conn(), owner, None, PURGE_BATCH).await?;
            drop(pooled);
            if rows.is_empty() {
                return Ok(purged);
            }
            purged += self.purge_rows(rows).await?;
        }
    }

    /// Purges what has been in the trash for its time (housekeeping); how many items.
    pub async fn purge_expired_trash(&self, at: NaiveDateTime) -> Result<usize, MediaError> {
        let mut purged = 0;
        loop {
            let mut pooled = self.db.get().await?;
            let rows = TrashRepo::expired(&mut pooled.conn(), at, PURGE_BATCH).await?;
            drop(pooled);
            if rows.is_empty() {
                return Ok(purged);
            }
            purged += self.purge_rows(rows).await?;
        }
    }

    /// A page of the actor's trash (everyone's for staff), after `cursor`.
    pub async fn trash_page(&self, actor: &Actor, cursor: Option<&str>) -> Result<TrashPage, MediaError> {
        let owner = Self::trash_owner(actor)?;
        let after = cursor.map(decode_cursor).transpose()?;
        let mut pooled = self.db.get().await?;
        let mut rows = TrashRepo::page(&mut pooled.conn(), owner, after, TRASH_PAGE + 1).await?;
        let total = TrashRepo::count(&mut pooled.conn(), owner).await?;
        drop(pooled);
        let next = if rows.len() as i64 > TRASH_PAGE {
            rows.truncate(TRASH_PAGE as usize);
            rows.last().map(|r| encode_cursor((r.trashed_at, r.id)))
        } else {
            None
        };
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            let preview_url = match &r.preview_key {
                Some(key) => Some(self.sign(&StorageKey::parse(key)?, "image/jpeg", None, None).await?.url),
                None => None,
            };
            items.push(TrashedItem {
                kind: r.kind.parse().map_err(|_| MediaError::Invalid(format!("kind {:?}", r.kind)))?,
                id: r.item_id,
                filename: r.original_filename,
                title: r.title,
                content_type: r.content_type,
                byte_size: r.byte_size,
                owner: Owner::from_id(r.owner_id),
                trashed_by: r.trashed_by,
                trashed_at: r.trashed_at,
                purge_at: r.purge_at,
                preview_url,
            });
        }
        Ok(TrashPage { items, next, total })
    }

    /// Whether this item is in the trash where the actor could restore it.
    pub async fn in_trash(&self, actor: &Actor, kind: MediaKind, id: i64) -> Result<bool, MediaError> {
        match self.trashed(actor, kind, id).await {
            Ok(_) => Ok(true),
            Err(MediaError::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whose trash the actor sees: their own, or (staff) everyone's.
    fn trash_owner(actor: &Actor) -> Result<Option<i64>, MediaError> {
        match (actor.is_staff, actor.user_id) {
            (true, _) => Ok(None),
            (false, Some(id)) => Ok(Some(id)),
            (false, None) => Err(MediaError::Forbidden),
        }
    }

    /// The trash row of an item the actor manages and whose time is not over; anything else
    /// is `NotFound` (nobody learns what is in someone else's trash).
    async fn trashed(&self, actor: &Actor, kind: MediaKind, id: i64) -> Result<TrashRow, MediaError> {
        let mut pooled = self.db.get().await?;
        let row = TrashRepo::by_item(&mut pooled.conn(), (kind.as_str(), id)).await?;
        match row {
            Some(row) if actor.can_manage(row.owner_id) && row.purge_at > now() => Ok(row),
            _ => Err(MediaError::NotFound),
        }
    }

    /// Removes trash rows and hands their objects to the pending deletions in one transaction,
    /// then deletes the objects; how many rows were still there to purge.
    async fn purge_rows(&self, rows: Vec<TrashRow>) -> Result<usize, MediaError> {
        let mut keys: Vec<Vec<String>> = Vec::with_capacity(rows.len());
        for row in &rows {
            let moves: Moves = serde_json::from_str(&row.object_keys).unwrap_or_default();
            keys.push(moves.into_iter().map(|(_, in_trash)| in_trash).collect());
        }
        let (purged, pending) = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                let (mut purged, mut pending) = (0, Vec::new());
                for (row, keys) in rows.iter().zip(&keys) {
                    if TrashRepo::remove(c, row.id).await? {
                        purged += 1;
                        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
                        pending.extend(PendingDeletionRepo::add(c, &refs, now()).await?);
                    }
                }
                Ok::<_, MediaError>((purged, pending))
            })
            .await?;
        self.delete_recorded(&pending).await;
        Ok(purged)
    }

    /// Copies each source to its target; on a failure removes the copies already made, so the
    /// store holds what it held before (a failed copy itself leaves nothing: one request on S3,
    /// a link committed by rename on a folder).
    async fn copy_all(&self, sources: &[StorageKey], targets: &[StorageKey]) -> Result<(), MediaError> {
        for (i, (from, to)) in sources.iter().zip(targets).enumerate() {
            if let Err(e) = self.store.copy(from, to).await {
                self.discard(&targets[..i]).await;
                return Err(e.into());
            }
        }
        Ok(())
    }

    /// Removes copies a failed step made. What the store refuses now is recorded for the
    /// pending-deletion retry; if the database is down as well, `reconcile` finds it.
    async fn discard(&self, keys: &[StorageKey]) {
        let mut left = Vec::new();
        for key in keys {
            if let Err(e) = self.store.delete(key).await {
                tracing::warn!(key = %key, error = %e, "could not remove a copy; recording it");
                left.push(key.as_str());
            }
        }
        if left.is_empty() {
            return;
        }
        let recorded = self
            .db
            .transaction(async |c: &mut DbConn<'_>| PendingDeletionRepo::add(c, &left, now()).await)
            .await;
        if let Err(e) = recorded {
            tracing::warn!(error = %e, "could not record copies to remove; reconcile will find them");
        }
    }
}

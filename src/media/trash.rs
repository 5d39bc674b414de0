//! The trash. Trashing copies an item's objects to fresh trash keys, then in one transaction
//! moves its row (with tags and collections) into `trash` and records the old objects as
//! pending deletion, then deletes them: every link made before stops working on either store,
//! and a failure at any step leaves the item as it was (the copies are removed again). Restore
//! is the same walk back to fresh live keys; purging hands the trash keys to the pending
//! deletions that plain deletes use.

use chrono::{NaiveDateTime, TimeDelta};

use super::MediaError;
use super::access::Actor;
use super::aside::{Plan, drop_versions, kept_keys};
use super::delete::Deleted;
use super::dto::MediaRead;
use super::service::{Item, MediaService};
use crate::db::repo::{
    AuditRepo, LifecycleRepo, PendingDeletionRepo, ShareRepo, ShareScope, Snapshot, TrashCursor, TrashRepo,
    TrashedRow,
};
use crate::db::rows::{NewAudit, NewTrash, TrashRow};
use crate::db::{DbConn, now};
use crate::domain::{AuditAction, AuditOutcome, MediaKind, Owner, decode_time_cursor, encode_time_cursor};
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

fn decode_cursor(s: &str) -> Result<TrashCursor, MediaError> {
    decode_time_cursor(s).ok_or_else(|| MediaError::Invalid("this trash page link is not valid".into()))
}

/// Who purges: someone, or the trash's expiry.
#[derive(Clone, Copy)]
enum Purger<'a> {
    Actor(&'a Actor),
    Expiry,
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
        let plan = Plan::aside(&item, owner)?;
        self.copy_all(&plan.from, &plan.to).await?;
        let renamed = plan.renamed();
        let preview = item.thumbnail.as_deref().and_then(|thumb| renamed.get(thumb)).map(|k| (*k).to_owned());
        let at = now();
        let purge_at = at + TimeDelta::days(i64::from(self.settings.trash_days));
        let old_keys = plan.source_keys();
        let json = plan.json();
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
                    stored_bytes: snapshot.row.stored_bytes(),
                };
                TrashRepo::add(c, &row).await?;
                AuditRepo::add(c, &actor.did(AuditAction::Trash, (kind, id))).await?;
                // Restoring it later does not bring its links back.
                ShareRepo::revoke_all(c, ShareScope::Item(kind, id), at).await?;
                Ok(PendingDeletionRepo::add(c, &old_keys, at).await?)
            })
            .await;
        let pending = match moved {
            Ok(pending) => pending,
            Err(e) => {
                self.discard(&plan.to).await;
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
        let plan = Plan::back(&row.object_keys, row.owner_id)?;
        self.copy_all(&plan.from, &plan.to).await?;
        let renamed = plan.renamed();
        let trash_keys = plan.source_keys();
        let snapshot = Snapshot::from_json(&row.snapshot)?;
        let back = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                if !TrashRepo::remove(c, row.id).await? {
                    return Err(MediaError::NotFound);
                }
                let rename = |old: &str| renamed.get(old).map_or_else(|| old.to_owned(), |n| (*n).to_owned());
                TrashRepo::put_back(c, snapshot, rename).await?;
                AuditRepo::add(c, &actor.did(AuditAction::Restore, (kind, id))).await?;
                Ok(PendingDeletionRepo::add(c, &trash_keys, now()).await?)
            })
            .await;
        let pending = match back {
            Ok(pending) => pending,
            Err(e) => {
                self.discard(&plan.to).await;
                return Err(e);
            }
        };
        self.delete_recorded(&pending).await;
        Ok(self.item(kind, id).await?.media)
    }

    /// Deletes one trashed item for good.
    pub async fn purge(&self, actor: &Actor, kind: MediaKind, id: i64) -> Result<(), MediaError> {
        let row = self.trashed(actor, kind, id).await?;
        if self.purge_rows(vec![row], Purger::Actor(actor)).await? == 0 {
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
            purged += self.purge_rows(rows, Purger::Actor(actor)).await?;
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
            purged += self.purge_rows(rows, Purger::Expiry).await?;
        }
    }

    /// A page of the actor's trash (everyone's for staff), after `cursor`.
    pub async fn trash_page(&self, actor: &Actor, cursor: Option<&str>) -> Result<TrashPage, MediaError> {
        self.trash_page_of(actor, None, cursor).await
    }

    /// A page of the trash; staff may narrow it to one account's items (`whose`), which users'
    /// own view always is.
    pub async fn trash_page_of(
        &self,
        actor: &Actor,
        whose: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<TrashPage, MediaError> {
        let owner = Self::trash_owner(actor)?.or(whose.filter(|_| actor.is_staff));
        let after = cursor.map(decode_cursor).transpose()?;
        let mut pooled = self.db.get().await?;
        let mut rows = TrashRepo::page(&mut pooled.conn(), owner, after, TRASH_PAGE + 1).await?;
        let total = TrashRepo::count(&mut pooled.conn(), owner).await?;
        drop(pooled);
        let next = if rows.len() as i64 > TRASH_PAGE {
            rows.truncate(TRASH_PAGE as usize);
            rows.last().map(|r| encode_time_cursor((r.trashed_at, r.id)))
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
        Ok(self.trashed_name(actor, kind, id).await?.is_some())
    }

    /// The file name of this item if it is in the trash where the actor could restore it.
    pub async fn trashed_name(
        &self,
        actor: &Actor,
        kind: MediaKind,
        id: i64,
    ) -> Result<Option<String>, MediaError> {
        match self.trashed(actor, kind, id).await {
            Ok(row) => Ok(Some(row.original_filename)),
            Err(MediaError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// How the database runs the trash, version and duplicate queries, as user `owner` and as
    /// staff would: (what, plan).
    pub async fn lifecycle_plans(&self, owner: i64) -> Result<Vec<(&'static str, String)>, MediaError> {
        let mut pooled = self.db.get().await?;
        Ok(LifecycleRepo::plans(&mut pooled.conn(), owner).await?)
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
    async fn purge_rows(&self, rows: Vec<TrashRow>, by: Purger<'_>) -> Result<usize, MediaError> {
        let mut keys: Vec<Vec<String>> = Vec::with_capacity(rows.len());
        for row in &rows {
            keys.push(kept_keys(&row.object_keys));
        }
        let (purged, pending) = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                let (mut purged, mut pending) = (0, Vec::new());
                for (row, keys) in rows.iter().zip(&keys) {
                    if TrashRepo::remove(c, row.id).await? {
                        purged += 1;
                        let kind: MediaKind = row.kind.parse().unwrap_or(MediaKind::Image);
                        let entry = match by {
                            Purger::Actor(actor) => actor.did(AuditAction::Purge, (kind, row.item_id)),
                            Purger::Expiry => NewAudit::of(None, AuditAction::Purge, AuditOutcome::Ok)
                                .item(kind, row.item_id)
                                .detail("its time in the trash was over"),
                        };
                        AuditRepo::add(c, &entry).await?;
                        // Its earlier files go with it.
                        let versions = drop_versions(c, (row.kind.as_str(), row.item_id)).await?;
                        let refs: Vec<&str> = keys.iter().chain(&versions).map(String::as_str).collect();
                        pending.extend(PendingDeletionRepo::add(c, &refs, now()).await?);
                    }
                }
                Ok::<_, MediaError>((purged, pending))
            })
            .await?;
        self.delete_recorded(&pending).await;
        Ok(purged)
    }
}

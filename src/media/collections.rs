//! Collections: named, nestable sets of media owned by an account or by the system. Items are
//! referenced, never copied. The rules are the items' own: a user sees their collections and
//! the system's, and manages their own; staff see and manage all; another user's collection
//! does not exist for a user. An item goes only into a collection whose owner can see it.

use std::sync::Arc;

use unicode_normalization::UnicodeNormalization;

use super::MediaError;
use super::access::Actor;
use super::dto::{CollectionDetail, CollectionRead};
use super::seen::fingerprint;
use super::service::MediaService;
use crate::db::repo::{AuditRepo, CollectionRepo};
use crate::db::rows::{CollectionEntry, CollectionRow, NewCollection, NewMembership};
use crate::db::{DbConn, now};
use crate::domain::{AuditAction, MediaKind, Owner};

/// Longest collection name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Deepest nesting: a tree deeper than this is refused rather than walked.
pub const MAX_DEPTH: usize = 16;

/// A name as kept (trimmed, NFC) and as compared (also lower case).
fn clean_name(raw: &str) -> Result<(String, String), MediaError> {
    let name: String = raw.trim().nfc().collect();
    if name.is_empty() {
        return Err(MediaError::Invalid("give the collection a name".into()));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(MediaError::Invalid(format!(
            "a collection name has at most {MAX_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(MediaError::Invalid("a collection name cannot hold control characters".into()));
    }
    let key = name.to_lowercase().nfc().collect();
    Ok((name, key))
}

fn taken(name: &str) -> MediaError {
    MediaError::Invalid(format!("there is already a collection named “{name}” in that place"))
}

impl MediaService {
    fn collection_read(actor: &Actor, row: &CollectionEntry, items: i64, depth: usize) -> CollectionRead {
        CollectionRead {
            id: row.id,
            owner: Owner::from_id(row.owner_id),
            parent_id: row.parent_id,
            name: row.name.clone(),
            items,
            can_manage: actor.can_manage(row.owner_id),
            depth,
        }
    }

    /// A collection the actor may see.
    async fn visible_collection(
        &self,
        c: &mut DbConn<'_>,
        actor: &Actor,
        id: i64,
    ) -> Result<CollectionRow, MediaError> {
        let row = CollectionRepo::by_id(c, id).await?.ok_or(MediaError::NotFound)?;
        actor.check_view(row.owner_id)?;
        Ok(row)
    }

    /// `NotFound` unless the actor may see the collection (one row read).
    pub(super) async fn check_collection_visible(&self, actor: &Actor, id: i64) -> Result<(), MediaError> {
        let mut pooled = self.db.get().await?;
        self.visible_collection(&mut pooled.conn(), actor, id).await.map(drop)
    }

    /// A collection the actor may change.
    pub(super) async fn managed_collection(
        &self,
        c: &mut DbConn<'_>,
        actor: &Actor,
        id: i64,
    ) -> Result<CollectionRow, MediaError> {
        managed(c, actor, id).await
    }

    /// Every collection the actor may see, as a tree: each after its parent, siblings by name.
    pub async fn collections(&self, actor: &Actor) -> Result<Vec<CollectionRead>, MediaError> {
        self.collection_tree(actor, None).await
    }

    /// The first `limit` collections the actor may see by name, in tree order, without item
    /// counts (a parent past the limit makes its child a top): what a page's collection
    /// pickers need on every view, however many collections there are.
    /// Kept for a moment (see [`crate::memo`]); a change to a collection forgets them.
    pub async fn collection_choices(
        &self,
        actor: &Actor,
        limit: usize,
    ) -> Result<Arc<Vec<CollectionRead>>, MediaError> {
        let scope = (if actor.is_staff { None } else { actor.user_id }, limit);
        self.memos.collection_choices.get(scope, self.collection_tree(actor, Some(limit))).await
    }

    async fn collection_tree(
        &self,
        actor: &Actor,
        limit: Option<usize>,
    ) -> Result<Vec<CollectionRead>, MediaError> {
        let counted = limit.is_none();
        let mut pooled = self.db.get().await?;
        let scope = if actor.is_staff { None } else { Some(actor.user_id.ok_or(MediaError::Forbidden)?) };
        let rows = match limit {
            None => CollectionRepo::list(&mut pooled.conn(), scope).await?,
            Some(n) => CollectionRepo::first(&mut pooled.conn(), scope, n as i64).await?,
        };
        let counts: std::collections::HashMap<i64, i64> = if counted {
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            CollectionRepo::counts(&mut pooled.conn(), &ids).await?.into_iter().collect()
        } else {
            Default::default()
        };
        // Depth-first from the tops, each level in name order (as listed); a parent the actor
        // cannot see makes its child a top.
        let visible: std::collections::HashSet<i64> = rows.iter().map(|r| r.id).collect();
        let mut children: std::collections::HashMap<Option<i64>, Vec<&CollectionEntry>> = Default::default();
        for r in &rows {
            children.entry(r.parent_id.filter(|p| visible.contains(p))).or_default().push(r);
        }
        let mut out = Vec::with_capacity(rows.len());
        let mut stack: Vec<(&CollectionEntry, usize)> =
            children.get(&None).into_iter().flatten().rev().map(|r| (*r, 0)).collect();
        while let Some((row, depth)) = stack.pop() {
            out.push(Self::collection_read(actor, row, counts.get(&row.id).copied().unwrap_or(0), depth));
            if depth < MAX_DEPTH {
                let below = children.get(&Some(row.id)).into_iter().flatten().rev();
                stack.extend(below.map(|r| (*r, depth + 1)));
            }
        }
        Ok(out)
    }

    /// One collection, with its path from the top and its sub-collections.
    pub async fn collection(&self, actor: &Actor, id: i64) -> Result<CollectionDetail, MediaError> {
        let mut pooled = self.db.get().await?;
        let mut rows = CollectionRepo::with_children(&mut pooled.conn(), id).await?;
        let at = rows.iter().position(|(r, _)| r.id == id).ok_or(MediaError::NotFound)?;
        let (row, items) = rows.remove(at);
        actor.check_view(row.owner_id)?;
        // Up from it: the parents the actor may see (a hidden one ends the path, as it makes
        // its child a top in the listing).
        let mut path = Vec::new();
        let mut parent = row.parent_id;
        while let Some(p) = parent {
            let Some(up) =
                CollectionRepo::by_id(&mut pooled.conn(), p).await?.filter(|r| actor.can_view(r.owner_id))
            else {
                break;
            };
            if path.len() >= MAX_DEPTH {
                return Err(MediaError::Invalid("this collection is nested too deep to show".into()));
            }
            parent = up.parent_id;
            path.insert(0, up);
        }
        let below: Vec<(CollectionRow, i64)> =
            rows.into_iter().filter(|(r, _)| actor.can_view(r.owner_id)).collect();
        let depth = path.len();
        Ok(CollectionDetail {
            collection: Self::collection_read(actor, &row.entry(), items, depth),
            path: path
                .iter()
                .enumerate()
                .map(|(d, r)| Self::collection_read(actor, &r.entry(), 0, d))
                .collect(),
            children: below
                .iter()
                .map(|(r, items)| Self::collection_read(actor, &r.entry(), *items, depth + 1))
                .collect(),
        })
    }

    /// Checks that `parent` may hold a collection of `owner` (same owner, visible, manageable)
    /// that is `moving` (when moved, not created): not itself nor one of its own descendants.
    async fn check_parent(
        &self,
        c: &mut DbConn<'_>,
        actor: &Actor,
        (parent, owner): (Option<i64>, Option<i64>),
        moving: Option<i64>,
    ) -> Result<(), MediaError> {
        let Some(parent) = parent else { return Ok(()) };
        let row = self.managed_collection(c, actor, parent).await?;
        if row.owner_id != owner {
            return Err(MediaError::Invalid(
                "a collection goes only inside another of the same owner".into(),
            ));
        }
        // Up from the new parent: meeting the collection itself would close a circle.
        let mut at = Some(row);
        let mut depth = 0;
        while let Some(r) = at {
            if Some(r.id) == moving {
                return Err(MediaError::Invalid(
                    "a collection cannot go inside itself or one of its own sub-collections".into(),
                ));
            }
            depth += 1;
            if depth >= MAX_DEPTH {
                return Err(MediaError::Invalid(format!("collections nest at most {MAX_DEPTH} deep")));
            }
            at = match r.parent_id {
                Some(p) => CollectionRepo::by_id(c, p).await?,
                None => None,
            };
        }
        Ok(())
    }

    pub async fn create_collection(
        &self,
        actor: &Actor,
        owner: Owner,
        parent: Option<i64>,
        name: &str,
    ) -> Result<CollectionRead, MediaError> {
        actor.check_upload_for(owner)?;
        let (name, key) = clean_name(name)?;
        let t = now();
        let new = NewCollection {
            owner_id: owner.id(),
            parent_id: parent,
            name: &name,
            name_key: &key,
            created_at: t,
            updated_at: t,
        };
        // In its parent's turn on the tree: a parent deleted meanwhile is found gone (404)
        // rather than failing the insert.
        let created = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                if parent.is_some() {
                    CollectionRepo::lock_tree(c).await?;
                }
                self.check_parent(c, actor, (parent, owner.id()), None).await?;
                let row = match CollectionRepo::create(c, &new).await {
                    Ok(row) => row,
                    Err(e) if e.is_unique_violation() => return Err(taken(&name)),
                    Err(e) => return Err(e.into()),
                };
                let mut entry = actor.did_to(AuditAction::CreateCollection, (row.id, &row.name));
                if let Some(p) = parent {
                    entry = entry.detail(format!("in {}", named(c, p).await?));
                }
                AuditRepo::add(c, &entry).await?;
                Ok(Self::collection_read(actor, &row.entry(), 0, 0))
            })
            .await;
        self.memos.collection_choices.forget();
        created
    }

    /// Renames a collection. `seen` is the fingerprint of the name as the person's form showed
    /// it: if someone else renamed it meanwhile, to another name than this one, nothing is saved
    /// ([`MediaError::EditConflict`] with the name as it is now). Without it, the name replaces
    /// what is saved.
    pub async fn rename_collection(
        &self,
        actor: &Actor,
        id: i64,
        name: &str,
        seen: Option<&str>,
    ) -> Result<(), MediaError> {
        let (name, key) = clean_name(name)?;
        let renamed = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                let saved = CollectionRepo::locked(c, id).await?.ok_or(MediaError::NotFound)?;
                actor.check_manage(saved.owner_id)?;
                if seen.is_some_and(|seen| seen != fingerprint(Some(&saved.name))) && saved.name != name {
                    return Err(MediaError::EditConflict(vec![("name", Some(saved.name))]));
                }
                match CollectionRepo::rename(c, id, (&name, &key), now()).await {
                    Err(e) if e.is_unique_violation() => return Err(taken(&name)),
                    other => other?,
                }
                if saved.name != name {
                    let entry = actor.did_to(AuditAction::ChangeCollection, (id, &name));
                    AuditRepo::add(c, &entry.detail(format!("renamed from “{}”", saved.name))).await?;
                }
                Ok(())
            })
            .await;
        self.memos.collection_choices.forget();
        renamed
    }

    /// Moves a collection under another of the same owner (or to the top). Moves take turns,
    /// so two made at once cannot close a circle that neither would alone.
    pub async fn move_collection(
        &self,
        actor: &Actor,
        id: i64,
        parent: Option<i64>,
    ) -> Result<(), MediaError> {
        self.change_collection(actor, id, None, Some(parent)).await
    }

    /// Renames a collection and moves it (`Some(None)`: to the top), either or both, in one
    /// transaction: a refusal of one keeps the other unchanged too.
    pub async fn change_collection(
        &self,
        actor: &Actor,
        id: i64,
        name: Option<&str>,
        parent: Option<Option<i64>>,
    ) -> Result<(), MediaError> {
        let name = name.map(clean_name).transpose()?;
        let changed = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                if parent.is_some() {
                    CollectionRepo::lock_tree(c).await?;
                }
                let row = self.managed_collection(c, actor, id).await?;
                let mut changes = Vec::new();
                if let Some(parent) = parent {
                    self.check_parent(c, actor, (parent, row.owner_id), Some(id)).await?;
                    match CollectionRepo::set_parent(c, id, parent, now()).await {
                        Err(e) if e.is_unique_violation() => return Err(taken(&row.name)),
                        other => other?,
                    }
                    if parent != row.parent_id {
                        changes.push(match parent {
                            Some(p) => format!("moved into {}", named(c, p).await?),
                            None => "moved to the top".to_owned(),
                        });
                    }
                }
                if let Some((name, key)) = &name {
                    match CollectionRepo::rename(c, id, (name, key), now()).await {
                        Err(e) if e.is_unique_violation() => return Err(taken(name)),
                        other => other?,
                    }
                    if *name != row.name {
                        changes.push(format!("renamed from “{}”", row.name));
                    }
                }
                if !changes.is_empty() {
                    let now_named = name.as_ref().map_or(row.name.as_str(), |(n, _)| n.as_str());
                    let entry = actor.did_to(AuditAction::ChangeCollection, (id, now_named));
                    AuditRepo::add(c, &entry.detail(changes.join("; "))).await?;
                }
                Ok::<_, MediaError>(())
            })
            .await;
        self.memos.collection_choices.forget();
        changed
    }

    /// Deletes a collection and its sub-collections; their media stay where they are.
    pub async fn delete_collection(&self, actor: &Actor, id: i64) -> Result<CollectionRead, MediaError> {
        let deleted = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                let row = self.managed_collection(c, actor, id).await?;
                CollectionRepo::delete(c, id).await?;
                AuditRepo::add(c, &actor.did_to(AuditAction::DeleteCollection, (id, &row.name))).await?;
                Ok::<_, MediaError>(row)
            })
            .await;
        self.memos.collection_choices.forget();
        Ok(Self::collection_read(actor, &deleted?.entry(), 0, 0))
    }

    /// Puts an item the actor may see into a collection they manage; false when it was in.
    pub async fn add_to_collection(
        &self,
        actor: &Actor,
        id: i64,
        (kind, item): (MediaKind, i64),
    ) -> Result<bool, MediaError> {
        self.db.transaction(async |c: &mut DbConn<'_>| add_in(c, actor, id, (kind, item)).await).await
    }

    /// Takes an item out of a collection the actor manages; false when it was not in.
    pub async fn remove_from_collection(
        &self,
        actor: &Actor,
        id: i64,
        (kind, item): (MediaKind, i64),
    ) -> Result<bool, MediaError> {
        self.db.transaction(async |c: &mut DbConn<'_>| remove_in(c, actor, id, (kind, item)).await).await
    }

    /// The collections an item is in that the actor may see.
    pub async fn collections_of(
        &self,
        actor: &Actor,
        (kind, item): (MediaKind, i64),
    ) -> Result<Vec<CollectionRead>, MediaError> {
        let mut pooled = self.db.get().await?;
        let rows = CollectionRepo::of_item(&mut pooled.conn(), (kind.as_str(), item)).await?;
        Ok(rows
            .iter()
            .filter(|r| actor.can_view(r.owner_id))
            .map(|r| Self::collection_read(actor, &r.entry(), 0, 0))
            .collect())
    }
}

async fn managed(c: &mut DbConn<'_>, actor: &Actor, id: i64) -> Result<CollectionRow, MediaError> {
    let row = CollectionRepo::by_id(c, id).await?.ok_or(MediaError::NotFound)?;
    actor.check_manage(row.owner_id)?;
    Ok(row)
}

/// Puts an item the actor may see into a collection they manage, in the caller's transaction;
/// false when it was in. The item is read locked: no place is written for an item deleted
/// meanwhile, nor with the name and size it had before a replace.
pub(super) async fn add_in(
    c: &mut DbConn<'_>,
    actor: &Actor,
    id: i64,
    (kind, item): (MediaKind, i64),
) -> Result<bool, MediaError> {
    let found = MediaService::locked_item(c, (kind, item)).await?;
    actor.check_view(found.media.owner_id())?;
    // Locked too: one deleted meanwhile is found gone, not a failed insert.
    let collection = CollectionRepo::locked(c, id).await?.ok_or(MediaError::NotFound)?;
    actor.check_manage(collection.owner_id)?;
    let item_owner = found.media.owner_id();
    if item_owner.is_some() && item_owner != collection.owner_id {
        return Err(MediaError::Invalid(
            "only the collection owner's own media and system media can go in it".into(),
        ));
    }
    let (created_at, byte_size) = found.media.created_and_size();
    let m = NewMembership {
        collection_id: id,
        kind: kind.as_str(),
        item_id: item,
        owner_id: item_owner,
        created_at,
        original_filename: found.media.filename(),
        byte_size,
        added_at: now(),
    };
    let added = CollectionRepo::add_item(c, &m).await?;
    if added {
        let entry =
            actor.did(AuditAction::AddToCollection, (kind, item)).subject(Some(id), Some(&collection.name));
        AuditRepo::add(c, &entry.detail(format!("into “{}”", collection.name))).await?;
    }
    Ok(added)
}

/// Takes an item out of a collection the actor manages, in the caller's transaction (with its
/// audit row); false when it was not in.
pub(super) async fn remove_in(
    c: &mut DbConn<'_>,
    actor: &Actor,
    id: i64,
    (kind, item): (MediaKind, i64),
) -> Result<bool, MediaError> {
    let collection = managed(c, actor, id).await?;
    let removed = CollectionRepo::remove_item(c, id, (kind.as_str(), item)).await?;
    if removed {
        let entry = actor.did(AuditAction::RemoveFromCollection, (kind, item));
        let entry = entry.subject(Some(id), Some(&collection.name));
        AuditRepo::add(c, &entry.detail(format!("out of “{}”", collection.name))).await?;
    }
    Ok(removed)
}

/// A collection as the audit log's details name it.
async fn named(c: &mut DbConn<'_>, id: i64) -> Result<String, MediaError> {
    Ok(CollectionRepo::by_id(c, id)
        .await?
        .map_or_else(|| format!("collection {id}"), |r| format!("“{}”", r.name)))
}

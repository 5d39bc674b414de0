//! Objects set aside: an item's files copied to fresh `trash/` keys that no link was ever
//! made for, for the trash and for earlier versions. A copy that fails midway takes back
//! what it made, so the store holds what it held before.

use std::collections::HashMap;

use super::MediaError;
use super::service::{Item, MediaService};
use crate::db::repo::{PendingDeletionRepo, VersionRepo};
use crate::db::{DbConn, DbError, now};
use crate::storage::StorageKey;

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

/// Where a set of objects is copied: `from[i]` to `to[i]`, the original first; `was[i]` is the
/// name the object had while live (what the item's row says).
pub(super) struct Plan {
    pub from: Vec<StorageKey>,
    pub to: Vec<StorageKey>,
    pub was: Vec<String>,
}

impl Plan {
    /// An item's objects, each to a fresh trash name.
    pub fn aside(item: &Item, owner: Option<i64>) -> Result<Plan, MediaError> {
        let original = StorageKey::parse(&item.key)?;
        let derived: Vec<String> = item.derived_keys().cloned().collect();
        let mut from = vec![original.clone()];
        for d in &derived {
            from.push(StorageKey::parse(d)?);
        }
        let in_trash = StorageKey::generate_in_trash(owner, original.extension().unwrap_or("bin"));
        let to = names_beside(&original, &derived, &in_trash);
        let was = from.iter().map(|k| k.as_str().to_owned()).collect();
        Ok(Plan { from, to, was })
    }

    /// Objects kept aside (`object_keys`) back to fresh live names of `owner`.
    pub fn back(object_keys: &str, owner: Option<i64>) -> Result<Plan, MediaError> {
        let moves: Moves = serde_json::from_str(object_keys)
            .map_err(|e| MediaError::Invalid(format!("unreadable kept objects: {e}")))?;
        let Some((first, _)) = moves.first() else {
            return Err(MediaError::Invalid("kept objects without an original".into()));
        };
        let original = StorageKey::parse(first)?;
        let derived: Vec<String> = moves[1..].iter().map(|(was, _)| was.clone()).collect();
        let live = StorageKey::generate(owner, original.extension().unwrap_or("bin"));
        let to = names_beside(&original, &derived, &live);
        let mut from = Vec::with_capacity(moves.len());
        for (_, kept) in &moves {
            from.push(StorageKey::parse(kept)?);
        }
        Ok(Plan { from, to, was: moves.into_iter().map(|(was, _)| was).collect() })
    }

    /// The moves as `object_keys` keeps them: each live name with its trash name.
    pub fn json(&self) -> String {
        let moves: Moves =
            self.was.iter().cloned().zip(self.to.iter().map(|k| k.as_str().to_owned())).collect();
        serde_json::to_string(&moves).expect("plain strings")
    }

    /// Each live name the row had, to the name its object has now.
    pub fn renamed(&self) -> HashMap<&str, &str> {
        self.was.iter().map(String::as_str).zip(self.to.iter().map(StorageKey::as_str)).collect()
    }

    pub fn source_keys(&self) -> Vec<&str> {
        self.from.iter().map(StorageKey::as_str).collect()
    }
}

/// The trash keys of kept objects (`object_keys`), to be deleted for good.
pub(super) fn kept_keys(object_keys: &str) -> Vec<String> {
    let moves: Moves = serde_json::from_str(object_keys).unwrap_or_default();
    moves.into_iter().map(|(_, kept)| kept).collect()
}

/// Removes an item's versions inside a transaction; their trash keys, to delete for good.
pub(super) async fn drop_versions(
    c: &mut DbConn<'_>,
    (kind, id): (&str, i64),
) -> Result<Vec<String>, DbError> {
    let mut keys = Vec::new();
    for v in VersionRepo::of_item(c, (kind, id)).await? {
        if VersionRepo::remove(c, v.id).await? {
            keys.extend(kept_keys(&v.object_keys));
        }
    }
    Ok(keys)
}

impl MediaService {
    /// Copies each source to its target; on a failure removes the copies already made, so the
    /// store holds what it held before (a failed copy itself leaves nothing: one request on S3,
    /// a link committed by rename on a folder).
    pub(super) async fn copy_all(
        &self,
        sources: &[StorageKey],
        targets: &[StorageKey],
    ) -> Result<(), MediaError> {
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
    pub(super) async fn discard(&self, keys: &[StorageKey]) {
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

//! Deleting media: the row goes first, together with a record of its objects as pending
//! deletion; then the objects. A row never points at a missing object, and an object whose
//! deletion failed stays recorded and is retried until it is gone. With a trash (the default),
//! a delete moves the item there instead (`trash.rs`) and this is how it is purged later.

use futures_util::StreamExt;

use super::MediaError;
use super::access::Actor;
use super::aside::drop_versions;
use super::dto::MediaRead;
use super::service::MediaService;
use crate::db::repo::{AudioRepo, AuditRepo, ImageRepo, PendingDeletionRepo, ShareRepo, ShareScope};
use crate::db::rows::PendingDeletionRow;
use crate::db::{DbConn, DbError, now};
use crate::domain::{AuditAction, MediaKind};
use crate::storage::StorageKey;

/// How long a failed object deletion waits before the next try.
pub(super) const DELETE_RETRY_BACKOFF: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// What a delete did.
#[derive(Debug, Clone)]
pub struct Deleted {
    pub media: MediaRead,
    /// Some of its objects could not be removed yet: they are removed when the store answers
    /// again, and links to them are refused meanwhile.
    pub removal_deferred: bool,
    /// It went to the trash, where it stays until then.
    pub trashed_until: Option<chrono::NaiveDateTime>,
}

/// What a retry pass over pending deletions achieved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RetryReport {
    pub deleted: usize,
    pub failed: usize,
}

/// Deletes one selection runs at once: each waits mostly on the store (copies to trash keys,
/// removals), so a few side by side take a fraction of the time one after another does,
/// without crowding out other people's requests.
const DELETES_AT_ONCE: usize = 4;

impl MediaService {
    /// Deletes each item on its own, a few at once; each one's outcome, in the order given.
    pub async fn delete_many(
        &self,
        actor: &Actor,
        items: &[(MediaKind, i64)],
    ) -> Vec<((MediaKind, i64), Result<Deleted, MediaError>)> {
        futures_util::stream::iter(items.iter().copied())
            .map(|(kind, id)| async move { ((kind, id), self.delete(actor, kind, id).await) })
            .buffered(DELETES_AT_ONCE)
            .collect()
            .await
    }

    /// Deletes an item the actor manages: to the trash when there is one, else for good with its
    /// objects; says what it was, and whether removing its objects had to be deferred.
    pub async fn delete(&self, actor: &Actor, kind: MediaKind, id: i64) -> Result<Deleted, MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_manage(item.media.owner_id())?;
        if self.keeps_trash() {
            return self.move_to_trash(actor, kind, item).await;
        }
        let keys: Vec<String> = std::iter::once(&item.key).chain(item.derived_keys()).cloned().collect();
        let removal_deferred = self
            .delete_with(keys, async |c: &mut DbConn<'_>| {
                let gone = match kind {
                    MediaKind::Image => ImageRepo::delete(c, id).await?,
                    MediaKind::Audio => AudioRepo::delete(c, id).await?,
                };
                if gone {
                    AuditRepo::add(c, &actor.did(AuditAction::Delete, (kind, id))).await?;
                    ShareRepo::revoke_all(c, ShareScope::Item(kind, id), now()).await?;
                }
                // Earlier files (kept while there was a trash) go too, by the next retry pass.
                let versions = drop_versions(c, (kind.as_str(), id)).await?;
                let refs: Vec<&str> = versions.iter().map(String::as_str).collect();
                PendingDeletionRepo::add(c, &refs, now()).await?;
                Ok(gone)
            })
            .await?;
        Ok(Deleted { media: item.media, removal_deferred, trashed_until: None })
    }

    /// Removes the row and records its objects as pending deletion in one transaction, then
    /// deletes the objects. A row never points at a missing object; an object that could not be
    /// deleted stays recorded and is retried by [`MediaService::retry_pending_deletions`].
    async fn delete_with<F>(&self, keys: Vec<String>, delete_row: F) -> Result<bool, MediaError>
    where
        F: for<'c, 'd> AsyncFnOnce(&'c mut DbConn<'d>) -> Result<bool, DbError>,
    {
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let pending = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                if !delete_row(c).await? {
                    return Err(MediaError::NotFound);
                }
                Ok(PendingDeletionRepo::add(c, &refs, now()).await?)
            })
            .await?;
        Ok(self.delete_recorded(&pending).await)
    }

    /// Deletes the objects of pending deletions just recorded; true if some had to be left for
    /// the retry. What fails here is recorded and retried, so it must not make the caller
    /// believe that what was committed did not happen.
    pub(super) async fn delete_recorded(&self, pending: &[i64]) -> bool {
        match self.delete_pending(pending).await {
            Ok(report) if report.failed > 0 => {
                tracing::warn!(failed = report.failed, "object deletion deferred; it will be retried");
                true
            }
            Ok(_) => false,
            Err(e) => {
                tracing::warn!(error = %e, "object deletion deferred; it will be retried");
                true
            }
        }
    }

    async fn delete_pending(&self, ids: &[i64]) -> Result<RetryReport, MediaError> {
        let mut pooled = self.db.get().await?;
        let rows = PendingDeletionRepo::by_ids(&mut pooled.conn(), ids).await?;
        drop(pooled);
        self.delete_objects(rows).await
    }

    /// Deletes the objects of pending rows and settles each row. A failure to settle a row does
    /// not stop the others: the row stays and its (idempotent) delete is simply repeated later.
    async fn delete_objects(&self, rows: Vec<PendingDeletionRow>) -> Result<RetryReport, MediaError> {
        let mut report = RetryReport::default();
        let mut bookkeeping: Option<MediaError> = None;
        for row in rows {
            let outcome = match StorageKey::parse(&row.storage_key) {
                Ok(key) => self.store.delete(&key).await.map_err(|e| e.to_string()),
                // A key the store would refuse cannot exist in it.
                Err(_) => Ok(()),
            };
            let settled = async {
                let mut pooled = self.db.get().await?;
                match &outcome {
                    Ok(()) => PendingDeletionRepo::done(&mut pooled.conn(), row.id).await,
                    Err(error) => {
                        let next = now() + DELETE_RETRY_BACKOFF;
                        PendingDeletionRepo::failed(&mut pooled.conn(), row.id, error, next).await
                    }
                }
            }
            .await;
            match (outcome, settled) {
                (_, Err(e)) => bookkeeping = bookkeeping.or(Some(e.into())),
                (Ok(()), Ok(())) => report.deleted += 1,
                (Err(_), Ok(())) => report.failed += 1,
            }
        }
        match bookkeeping {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// Retries object deletions that are due (`force` retries all of them now).
    pub async fn retry_pending_deletions(&self, force: bool) -> Result<RetryReport, MediaError> {
        let mut pooled = self.db.get().await?;
        let horizon = if force { now() + chrono::TimeDelta::days(3650) } else { now() };
        let due = PendingDeletionRepo::due(&mut pooled.conn(), horizon, 500).await?;
        drop(pooled);
        self.delete_objects(due).await
    }

    /// Deletions still waiting for the object store.
    pub async fn pending_deletions(&self) -> Result<Vec<String>, MediaError> {
        let mut pooled = self.db.get().await?;
        Ok(PendingDeletionRepo::all(&mut pooled.conn()).await?.into_iter().map(|r| r.storage_key).collect())
    }
}

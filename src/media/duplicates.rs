//! Exact duplicates, by SHA-256: refused at upload when asked (among what the uploader can
//! see, so nobody learns of another user's files), and grouped for cleaning up among what the
//! viewer manages.

use chrono::NaiveDateTime;

use super::MediaError;
use super::access::Actor;
use super::service::MediaService;
use crate::db::repo::DuplicateRepo;
use crate::domain::{MediaKind, Owner};
use crate::storage::StorageKey;

/// Groups shown at once, per kind.
const MAX_GROUPS: i64 = 50;

/// One copy of a file held more than once.
#[derive(Debug, Clone)]
pub struct DuplicateItem {
    pub id: i64,
    pub filename: String,
    pub owner: Owner,
    pub created_at: NaiveDateTime,
    pub thumb_url: Option<String>,
}

/// Items holding the same file, the oldest first.
#[derive(Debug, Clone)]
pub struct DuplicateGroup {
    pub kind: MediaKind,
    pub items: Vec<DuplicateItem>,
}

impl MediaService {
    /// `Duplicate` when an item the actor can see holds a file with this SHA-256, or held it
    /// before it was replaced or turned.
    pub(super) async fn check_duplicate(
        &self,
        actor: &Actor,
        kind: MediaKind,
        sha: &str,
    ) -> Result<(), MediaError> {
        let visible_to = if actor.is_staff { None } else { Some(actor.user_id.unwrap_or(-1)) };
        let mut pooled = self.db.get().await?;
        if let Some((id, filename)) =
            DuplicateRepo::find(&mut pooled.conn(), kind.as_str(), sha, visible_to).await?
        {
            return Err(MediaError::Duplicate { kind, id, filename, earlier: false });
        }
        // A photo turned or a file replaced keeps its old file as a version: uploading that
        // file again (the folder it came from, imported again) is the same item.
        match DuplicateRepo::find_version(&mut pooled.conn(), kind.as_str(), sha, visible_to).await? {
            Some((id, filename)) => Err(MediaError::Duplicate { kind, id, filename, earlier: true }),
            None => Ok(()),
        }
    }

    /// Files held more than once among the items the actor manages (their own; staff: all).
    pub async fn duplicates(&self, actor: &Actor) -> Result<Vec<DuplicateGroup>, MediaError> {
        let owner = actor.managed_owner()?;
        let mut pooled = self.db.get().await?;
        let groups = DuplicateRepo::groups(&mut pooled.conn(), owner, MAX_GROUPS).await?;
        let mut out = Vec::with_capacity(groups.len());
        for (kind, sha, _) in groups {
            let members = DuplicateRepo::members(&mut pooled.conn(), kind, &sha, owner).await?;
            let kind: MediaKind = kind.parse().map_err(|_| MediaError::Internal(format!("kind {kind}")))?;
            let mut items = Vec::with_capacity(members.len());
            for (id, owner_id, filename, created_at, thumbnail) in members {
                let thumb_url = match (kind, thumbnail) {
                    (MediaKind::Image, Some(t)) => {
                        Some(self.sign(&StorageKey::parse(&t)?, "image/jpeg", None, None).await?.url)
                    }
                    _ => None,
                };
                items.push(DuplicateItem {
                    id,
                    filename,
                    owner: Owner::from_id(owner_id),
                    created_at,
                    thumb_url,
                });
            }
            out.push(DuplicateGroup { kind, items });
        }
        Ok(out)
    }

    /// Deletes (to the trash, when there is one) every item of `others` that holds the same file
    /// as `keep`; how many went. Items that hold another file are left alone.
    pub async fn keep_one(
        &self,
        actor: &Actor,
        kind: MediaKind,
        keep: i64,
        others: &[i64],
    ) -> Result<usize, MediaError> {
        let kept = self.get(actor, kind, keep).await?;
        let sha = kept.sha256().to_owned();
        let mut gone = 0;
        for &id in others.iter().filter(|id| **id != keep) {
            match self.get(actor, kind, id).await {
                Ok(other) if other.sha256() == sha => {
                    self.delete(actor, kind, id).await?;
                    gone += 1;
                }
                Ok(_) | Err(MediaError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(gone)
    }
}

//! Byte quotas. An account's items count against it with every object they have (original,
//! thumbnail, display rendition), their earlier files and their trash until purged; system
//! media counts against nobody. The running total is the database's (`UsageRepo`), so it is
//! what the rows name at any commit.
//!
//! Two checks: before the body is read, the room left caps the upload like the size limit
//! does (refused at the byte that crosses it, or at once when the size is announced); and in
//! the transaction that adds the row, the total is read again, so two uploads racing for the
//! last bytes cannot both land.

use std::collections::HashMap;

use super::MediaError;
use super::access::Actor;
use super::service::MediaService;
use crate::db::DbConn;
use crate::db::repo::{UsageRepo, UserRepo};
use crate::domain::{Quota, human_size};

/// What an account stores and may store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub used: u64,
    /// `None`: no limit.
    pub limit: Option<u64>,
}

impl Usage {
    /// `1.2 GiB of 5 GiB`, or `1.2 GiB` without a limit.
    pub fn label(&self) -> String {
        match self.limit {
            Some(limit) => format!("{} of {}", human_size(self.used), human_size(limit)),
            None => human_size(self.used),
        }
    }
}

pub(super) fn over_quota(used: u64, limit: u64) -> MediaError {
    MediaError::Quota(format!(
        "this file does not fit in the {} storage quota ({} used); nothing was saved. Deleting items \
         and emptying the trash makes room",
        human_size(limit),
        human_size(used)
    ))
}

impl MediaService {
    async fn usage_in(&self, c: &mut DbConn<'_>, owner: i64) -> Result<Usage, MediaError> {
        let quota = Quota::from_column(UserRepo::quota(c, owner).await?);
        let used = UsageRepo::of(c, owner).await?.max(0) as u64;
        Ok(Usage { used, limit: quota.limit(self.settings.default_quota) })
    }

    /// What the account stores, for itself or for staff.
    pub async fn usage(&self, actor: &Actor, owner: i64) -> Result<Usage, MediaError> {
        if !actor.is_staff && actor.user_id != Some(owner) {
            return Err(MediaError::NotFound);
        }
        let mut pooled = self.db.get().await?;
        self.usage_in(&mut pooled.conn(), owner).await
    }

    /// Bytes stored per account (accounts without any are missing), for the accounts page.
    pub async fn usages(&self, actor: &Actor) -> Result<HashMap<i64, u64>, MediaError> {
        if !actor.is_staff {
            return Err(MediaError::Forbidden);
        }
        let mut pooled = self.db.get().await?;
        let all = UsageRepo::all(&mut pooled.conn()).await?;
        Ok(all.into_iter().map(|(owner, bytes)| (owner, bytes.max(0) as u64)).collect())
    }

    /// Bytes the owner may still add; `None` for no limit.
    pub(super) async fn room_for(&self, owner: Option<i64>) -> Result<Option<(u64, Usage)>, MediaError> {
        let Some(owner) = owner else { return Ok(None) };
        let mut pooled = self.db.get().await?;
        let usage = self.usage_in(&mut pooled.conn(), owner).await?;
        Ok(usage.limit.map(|limit| (limit.saturating_sub(usage.used), usage)))
    }

    /// In the transaction that stored more for `owner`: refuses, which rolls it back, when the
    /// owner is now past their quota.
    pub(super) async fn check_quota(&self, c: &mut DbConn<'_>, owner: Option<i64>) -> Result<(), MediaError> {
        let Some(owner) = owner else { return Ok(()) };
        let usage = self.usage_in(c, owner).await?;
        match usage.limit {
            Some(limit) if usage.used > limit => Err(over_quota(usage.used, limit)),
            _ => Ok(()),
        }
    }
}

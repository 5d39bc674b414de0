//! `AccountService`: creating, authenticating and administering accounts.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{NaiveDateTime, TimeDelta};
use serde::Serialize;

use super::{AuthError, Role, password};
use crate::db::DbError;
use crate::db::repo::{AuditRepo, ShareRepo, ShareScope, TokenRepo, UserRepo};
use crate::db::rows::{NewAudit, NewUser, UserRow};
use crate::db::{Db, DbConn, now};
use crate::domain::{AuditAction, AuditOutcome, Quota};
use crate::memo::{self, Memo};

/// Failed sign-ins are counted over this window.
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;
/// Failures allowed per account from one address within the window.
const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failures allowed from one address within the window, whatever the accounts.
const MAX_FAILURES_PER_ADDRESS: i64 = 30;
/// Failures allowed per account from all addresses together within the window: slower than
/// per address, so guessing from many addresses gains little, while the owner is locked out
/// for one window at most.
const MAX_FAILURES_PER_ACCOUNT_ANYWHERE: i64 = 20;

/// An account as the rest of the app sees it (no hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    pub session_epoch: i32,
    pub created_at: NaiveDateTime,
    pub last_sign_in_at: Option<NaiveDateTime>,
    /// Bytes the account may store.
    pub quota: Quota,
}

impl TryFrom<UserRow> for Account {
    type Error = AuthError;
    fn try_from(r: UserRow) -> Result<Account, AuthError> {
        Ok(Account {
            id: r.id,
            role: r.role.parse().map_err(AuthError::Internal)?,
            username: r.username,
            disabled: r.disabled,
            session_epoch: r.session_epoch,
            created_at: r.created_at,
            last_sign_in_at: r.last_sign_in_at,
            quota: Quota::from_column(r.quota_bytes),
        })
    }
}

#[derive(Clone)]
pub struct AccountService {
    pub(super) db: Db,
    /// Every account's name by id (names never change; a new account forgets it).
    pub(super) names: Arc<Memo<(), HashMap<i64, String>>>,
}

/// Lower-case letters, digits, `.`, `_`, `-`; 1 to 64 characters.
pub fn check_username(name: &str) -> Result<String, AuthError> {
    let name = name.trim().to_ascii_lowercase();
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(name)
    } else {
        Err(AuthError::Invalid("a username is 1–64 letters, digits, '.', '_' or '-'".into()))
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, AuthError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| AuthError::Internal(e.to_string()))
}

impl AccountService {
    /// The same service over another pool of the same database (an HTTP worker's own).
    pub fn with_db(&self, db: Db) -> AccountService {
        AccountService { db, names: self.names.clone() }
    }

    pub fn new(db: Db) -> AccountService {
        AccountService { db, names: Arc::new(Memo::new(memo::LIFETIME)) }
    }

    pub async fn count(&self) -> Result<i64, AuthError> {
        let mut pooled = self.db.get().await?;
        Ok(UserRepo::count(&mut pooled.conn()).await?)
    }

    /// Creates an account from the command line.
    pub async fn create(&self, username: &str, password: &str, role: Role) -> Result<Account, AuthError> {
        self.create_by(None, username, password, role).await
    }

    /// Creates an account; `actor` is the admin who does (`None`: the command line).
    pub async fn create_by(
        &self,
        actor: Option<&Account>,
        username: &str,
        password: &str,
        role: Role,
    ) -> Result<Account, AuthError> {
        let username = check_username(username)?;
        password::check_strength(password)?;
        let pw = password.to_owned();
        let hash = blocking(move || password::hash(&pw)).await??;
        let t = now();
        let new = NewUser {
            username: &username,
            password_hash: &hash,
            role: role.as_str(),
            disabled: false,
            created_at: t,
            updated_at: t,
        };
        let created = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                let row = UserRepo::create(c, &new).await?;
                let entry = NewAudit::of(actor.map(|a| a.id), AuditAction::CreateAccount, AuditOutcome::Ok)
                    .subject(Some(row.id), Some(&row.username))
                    .detail(format!("role {}", role.as_str()));
                AuditRepo::add(c, &entry).await?;
                Ok::<_, DbError>(row)
            })
            .await;
        self.names.forget();
        match created {
            Ok(row) => row.try_into(),
            Err(e) if e.is_unique_violation() => Err(AuthError::UsernameTaken),
            Err(e) => Err(e.into()),
        }
    }

    /// Checks a sign-in, counting failures per account and address and refusing when too many.
    pub async fn authenticate(&self, username: &str, password: &str, ip: &str) -> Result<Account, AuthError> {
        let username = username.trim().to_ascii_lowercase();
        let since = now() - TimeDelta::minutes(THROTTLE_WINDOW_MINUTES);
        let mut pooled = self.db.get().await?;
        let (account_here, account_anywhere, address) =
            UserRepo::sign_in_failures(&mut pooled.conn(), &username, ip, since).await?;
        if account_here >= MAX_FAILURES_PER_ACCOUNT
            || account_anywhere >= MAX_FAILURES_PER_ACCOUNT_ANYWHERE
            || address >= MAX_FAILURES_PER_ADDRESS
        {
            let entry = NewAudit::of(None, AuditAction::SignIn, AuditOutcome::Throttled)
                .subject(None, Some(&username));
            AuditRepo::add(&mut pooled.conn(), &entry).await?;
            return Err(AuthError::Throttled { minutes: THROTTLE_WINDOW_MINUTES });
        }
        let row = UserRepo::by_username(&mut pooled.conn(), &username).await?;
        drop(pooled);
        let stored =
            row.as_ref().map_or_else(|| password::dummy_hash().to_owned(), |r| r.password_hash.clone());
        let pw = password.to_owned();
        let matches = blocking(move || password::verify(&pw, &stored)).await?;
        match row {
            Some(row) if matches => {
                let outcome = if row.disabled { AuditOutcome::Failed } else { AuditOutcome::Ok };
                self.db
                    .transaction(async |c: &mut DbConn<'_>| {
                        UserRepo::clear_sign_in_failures(c, &username, ip).await?;
                        if !row.disabled {
                            UserRepo::signed_in(c, row.id, now()).await?;
                        }
                        let mut entry = NewAudit::of(Some(row.id), AuditAction::SignIn, outcome)
                            .subject(Some(row.id), Some(&row.username));
                        if row.disabled {
                            entry = entry.detail("the account is disabled");
                        }
                        AuditRepo::add(c, &entry).await
                    })
                    .await?;
                if row.disabled {
                    return Err(AuthError::Disabled);
                }
                row.try_into()
            }
            _ => {
                let known = row.as_ref().map(|r| r.id);
                self.db
                    .transaction(async |c: &mut DbConn<'_>| {
                        UserRepo::record_sign_in_failure(c, &username, ip, now()).await?;
                        UserRepo::prune_sign_in_failures(c, since - TimeDelta::days(1)).await?;
                        let entry = NewAudit::of(None, AuditAction::SignIn, AuditOutcome::Failed)
                            .subject(known, Some(&username))
                            .detail(if known.is_some() { "wrong password" } else { "no such account" });
                        AuditRepo::add(c, &entry).await
                    })
                    .await?;
                Err(AuthError::BadCredentials)
            }
        }
    }

    /// How many media items each account owns (for the accounts page).
    pub async fn media_counts(&self) -> Result<HashMap<i64, i64>, AuthError> {
        let mut pooled = self.db.get().await?;
        Ok(UserRepo::media_counts(&mut pooled.conn()).await?.into_iter().collect())
    }

    /// The account behind a session, if the session is still valid for it.
    pub async fn for_session(&self, id: i64, epoch: i32) -> Result<Option<Account>, AuthError> {
        let mut pooled = self.db.get().await?;
        let Some(row) = UserRepo::by_id(&mut pooled.conn(), id).await? else { return Ok(None) };
        if row.disabled || row.session_epoch != epoch {
            return Ok(None);
        }
        Ok(Some(row.try_into()?))
    }

    /// Ends every session of the account (sign-out).
    pub async fn end_sessions(&self, id: i64) -> Result<(), AuthError> {
        self.db
            .transaction(async |c: &mut DbConn<'_>| {
                UserRepo::bump_session_epoch(c, id).await?;
                let entry =
                    NewAudit::of(Some(id), AuditAction::SignOut, AuditOutcome::Ok).subject(Some(id), None);
                AuditRepo::add(c, &entry).await
            })
            .await?;
        Ok(())
    }

    pub async fn list(&self) -> Result<Vec<Account>, AuthError> {
        let mut pooled = self.db.get().await?;
        UserRepo::list(&mut pooled.conn()).await?.into_iter().map(TryInto::try_into).collect()
    }

    /// Every account's name by id, as the galleries show owners: kept for a moment (see
    /// [`crate::memo`]), since each gallery page of staff shows them.
    pub async fn usernames(&self) -> Result<Arc<HashMap<i64, String>>, AuthError> {
        self.names
            .get((), async {
                let mut pooled = self.db.get().await?;
                let rows = UserRepo::list(&mut pooled.conn()).await?;
                Ok::<_, AuthError>(rows.into_iter().map(|r| (r.id, r.username)).collect())
            })
            .await
    }

    pub async fn by_id(&self, id: i64) -> Result<Account, AuthError> {
        let mut pooled = self.db.get().await?;
        UserRepo::by_id(&mut pooled.conn(), id).await?.ok_or(AuthError::NotFound)?.try_into()
    }

    pub async fn by_username(&self, username: &str) -> Result<Account, AuthError> {
        let mut pooled = self.db.get().await?;
        UserRepo::by_username(&mut pooled.conn(), &username.trim().to_ascii_lowercase())
            .await?
            .ok_or(AuthError::NotFound)?
            .try_into()
    }

    pub(super) fn require_admin(actor: Option<&Account>) -> Result<(), AuthError> {
        match actor {
            None => Ok(()), // the operator at the command line
            Some(a) if a.role.is_admin() => Ok(()),
            Some(_) => Err(AuthError::Forbidden("only admins manage accounts".into())),
        }
    }

    /// Refuses a change that would leave no active admin.
    pub(super) async fn keep_an_admin(conn: &mut DbConn<'_>, target: &UserRow) -> Result<(), AuthError> {
        if target.role == "admin" && !target.disabled && UserRepo::count_active_admins(conn).await? <= 1 {
            return Err(AuthError::Forbidden("the last active admin cannot be demoted or disabled".into()));
        }
        Ok(())
    }

    /// `actor` is `None` for the CLI operator.
    pub async fn set_role(&self, actor: Option<&Account>, id: i64, role: Role) -> Result<Account, AuthError> {
        Self::require_admin(actor)?;
        let row = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                let target = UserRepo::by_id(c, id).await?.ok_or(AuthError::NotFound)?;
                if role != Role::Admin {
                    Self::keep_an_admin(c, &target).await?;
                }
                UserRepo::set_role(c, id, role.as_str(), now()).await?;
                let entry = NewAudit::of(actor.map(|a| a.id), AuditAction::Role, AuditOutcome::Ok)
                    .subject(Some(id), Some(&target.username))
                    .detail(format!("{} → {}", target.role, role.as_str()));
                AuditRepo::add(c, &entry).await?;
                UserRepo::by_id(c, id).await?.ok_or(AuthError::NotFound)
            })
            .await?;
        row.try_into()
    }

    pub async fn set_quota(
        &self,
        actor: Option<&Account>,
        id: i64,
        quota: Quota,
    ) -> Result<Account, AuthError> {
        Self::require_admin(actor)?;
        let row = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                if !UserRepo::set_quota(c, id, quota.to_column(), now()).await? {
                    return Err(AuthError::NotFound);
                }
                let row = UserRepo::by_id(c, id).await?.ok_or(AuthError::NotFound)?;
                let entry = NewAudit::of(actor.map(|a| a.id), AuditAction::Quota, AuditOutcome::Ok)
                    .subject(Some(id), Some(&row.username))
                    .detail(quota.words());
                AuditRepo::add(c, &entry).await?;
                Ok(row)
            })
            .await?;
        row.try_into()
    }

    pub async fn reset_password(
        &self,
        actor: Option<&Account>,
        id: i64,
        new_password: &str,
    ) -> Result<(), AuthError> {
        Self::require_admin(actor)?;
        password::check_strength(new_password)?;
        let pw = new_password.to_owned();
        let hash = blocking(move || password::hash(&pw)).await??;
        self.db
            .transaction(async |c: &mut DbConn<'_>| {
                if !UserRepo::set_password(c, id, &hash, now()).await? {
                    return Err(AuthError::NotFound);
                }
                let entry = NewAudit::of(actor.map(|a| a.id), AuditAction::Password, AuditOutcome::Ok)
                    .subject(Some(id), None);
                Ok(AuditRepo::add(c, &entry).await?)
            })
            .await
    }

    pub async fn set_disabled(
        &self,
        actor: Option<&Account>,
        id: i64,
        disabled: bool,
    ) -> Result<Account, AuthError> {
        Self::require_admin(actor)?;
        if disabled && actor.is_some_and(|a| a.id == id) {
            return Err(AuthError::Forbidden("you cannot disable your own account".into()));
        }
        let action = if disabled { AuditAction::Disable } else { AuditAction::Enable };
        let row = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                let target = UserRepo::by_id(c, id).await?.ok_or(AuthError::NotFound)?;
                if disabled {
                    Self::keep_an_admin(c, &target).await?;
                }
                UserRepo::set_disabled(c, id, disabled, now()).await?;
                if disabled {
                    // Enabling it again does not bring its links or tokens back.
                    ShareRepo::revoke_all(c, ShareScope::Creator(id), now()).await?;
                    TokenRepo::revoke(c, id, None, now()).await?;
                }
                let entry = NewAudit::of(actor.map(|a| a.id), action, AuditOutcome::Ok)
                    .subject(Some(id), Some(&target.username));
                AuditRepo::add(c, &entry).await?;
                UserRepo::by_id(c, id).await?.ok_or(AuthError::NotFound)
            })
            .await?;
        row.try_into()
    }
}

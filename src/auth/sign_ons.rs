//! Accounts and the sign-on provider's people linked to them: signing in as a linked person,
//! making an account for a new one (when the deployment allows), linking and unlinking.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use super::oidc::Person;
use super::oidc_logout::SignedOut;
use super::{Account, AccountService, AuthError, Role, password};
use crate::db::repo::{AuditRepo, SignOnRepo, UserRepo};
use crate::db::rows::{NewAudit, NewSignOn, NewUser, UserRow};
use crate::db::{DbConn, DbError, now};
use crate::domain::{AuditAction, AuditOutcome, Quota};

/// A provider's person linked to an account, as the account's page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedSignOn {
    pub id: i64,
    pub known_as: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

/// Names tried for a new account before giving up: `carol`, `carol-2`, … `carol-50`.
const NAME_TRIES: usize = 50;
/// A new account's password: random and never shown, so only the provider lets it in until an
/// admin sets one. A real hash (not a marker) so that a password sign-in to it takes as long
/// to refuse as any other.
const UNUSABLE_PASSWORD_BYTES: usize = 32;

/// A username made from the provider's name for a person: an address's local part, lower
/// case, anything else than letters, digits, `.`, `_` and `-` made `-`.
pub fn username_from(known_as: &str) -> String {
    let local = known_as.split('@').next().unwrap_or_default();
    let name: String = local
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_') { c } else { '-' })
        .collect();
    let name: String = name.trim_matches('-').chars().take(56).collect();
    if name.is_empty() { "user".into() } else { name }
}

impl AccountService {
    /// The account `person` signs in to: the one linked to them (given the role their groups
    /// name, when roles come from groups); failing that, with `create`, a new account linked to
    /// them (role `user`, or their groups'). The audit log says which, or why neither.
    pub async fn sign_on(&self, person: &Person, create: bool) -> Result<Account, AuthError> {
        // Two first sign-ons of one person at once: the second finds the first's link.
        match self.sign_on_once(person, create).await {
            Err(AuthError::Database(e)) if e.is_unique_violation() => self.sign_on_once(person, create).await,
            other => other,
        }
    }

    async fn sign_on_once(&self, person: &Person, create: bool) -> Result<Account, AuthError> {
        let fresh_hash = if create {
            let secret = crate::secret_token::fresh(UNUSABLE_PASSWORD_BYTES).map_err(AuthError::Internal)?;
            Some(
                tokio::task::spawn_blocking(move || password::hash(&secret))
                    .await
                    .map_err(|e| AuthError::Internal(e.to_string()))??,
            )
        } else {
            None
        };
        let via = format!("single sign-on as {}", person.known_as);
        let outcome = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                if let Some(link) = SignOnRepo::find(c, &person.issuer, &person.subject).await? {
                    let row = UserRepo::by_id(c, link.user_id).await?.ok_or(AuthError::NotFound)?;
                    let outcome = if row.disabled { AuditOutcome::Failed } else { AuditOutcome::Ok };
                    let entry = NewAudit::of(Some(row.id), AuditAction::SignIn, outcome)
                        .subject(Some(row.id), Some(&row.username));
                    if row.disabled {
                        let entry = entry.detail(format!("{via}; the account is disabled"));
                        AuditRepo::add(c, &entry).await?;
                        return Ok::<_, AuthError>(Ok(row));
                    }
                    AuditRepo::add(c, &entry.detail(via.clone())).await?;
                    UserRepo::signed_in(c, row.id, now()).await?;
                    SignOnRepo::used(c, link.id, now()).await?;
                    let row = match person.role {
                        Some(role) if role.as_str() != row.role => {
                            Self::role_from_groups(c, row, role).await?
                        }
                        _ => row,
                    };
                    return Ok(Ok(Self::quota_from_claim(c, row, person.quota).await?));
                }
                let Some(hash) = &fresh_hash else {
                    let entry = NewAudit::of(None, AuditAction::SignIn, AuditOutcome::Failed)
                        .subject(None, Some(&person.known_as))
                        .detail(format!("{via}: no account is linked"));
                    AuditRepo::add(c, &entry).await?;
                    return Ok(Err(AuthError::NotLinked { known_as: person.known_as.clone() }));
                };
                let role = person.role.unwrap_or(Role::User);
                let row = Self::new_account(c, &username_from(&person.known_as), hash, role).await?;
                let link = NewSignOn {
                    issuer: &person.issuer,
                    subject: &person.subject,
                    user_id: row.id,
                    known_as: &person.known_as,
                    created_at: now(),
                };
                let added = SignOnRepo::add(c, &link).await?;
                SignOnRepo::used(c, added.id, now()).await?;
                UserRepo::signed_in(c, row.id, now()).await?;
                let made = NewAudit::of(None, AuditAction::CreateAccount, AuditOutcome::Ok)
                    .subject(Some(row.id), Some(&row.username))
                    .detail(format!("role {}, by {via}", role.as_str()));
                AuditRepo::add(c, &made).await?;
                let entry = NewAudit::of(Some(row.id), AuditAction::SignIn, AuditOutcome::Ok)
                    .subject(Some(row.id), Some(&row.username))
                    .detail(via.clone());
                AuditRepo::add(c, &entry).await?;
                Ok(Ok(Self::quota_from_claim(c, row, person.quota).await?))
            })
            .await?;
        let row = outcome?;
        if fresh_hash.is_some() {
            self.names.forget();
        }
        if row.disabled {
            return Err(AuthError::Disabled);
        }
        row.try_into()
    }

    /// Gives `row`'s account the role the provider's groups name, unless that would leave no
    /// active admin; the audit log says which.
    async fn role_from_groups(c: &mut DbConn<'_>, row: UserRow, role: Role) -> Result<UserRow, AuthError> {
        let change = format!("{} → {}, from the provider's groups", row.role, role.as_str());
        let kept = role != Role::Admin && Self::keep_an_admin(c, &row).await.is_err();
        let (outcome, detail) = if kept {
            (AuditOutcome::Failed, format!("{change}: kept, the last active admin"))
        } else {
            UserRepo::set_role(c, row.id, role.as_str(), now()).await?;
            (AuditOutcome::Ok, change)
        };
        let entry = NewAudit::of(None, AuditAction::Role, outcome)
            .subject(Some(row.id), Some(&row.username))
            .detail(detail);
        AuditRepo::add(c, &entry).await?;
        UserRepo::by_id(c, row.id).await?.ok_or(AuthError::NotFound)
    }

    /// Gives `row`'s account the quota the provider's claim names, when it names one other
    /// than the account's; the audit log says so.
    async fn quota_from_claim(
        c: &mut DbConn<'_>,
        row: UserRow,
        quota: Option<Quota>,
    ) -> Result<UserRow, AuthError> {
        let Some(quota) = quota.filter(|q| q.to_column() != row.quota_bytes) else {
            return Ok(row);
        };
        UserRepo::set_quota(c, row.id, quota.to_column(), now()).await?;
        let was = Quota::from_column(row.quota_bytes);
        let entry = NewAudit::of(None, AuditAction::Quota, AuditOutcome::Ok)
            .subject(Some(row.id), Some(&row.username))
            .detail(format!("{} → {}, from the provider's claim", was.words(), quota.words()));
        AuditRepo::add(c, &entry).await?;
        UserRepo::by_id(c, row.id).await?.ok_or(AuthError::NotFound)
    }

    /// A new account under the first free name of `base`, `base-2`, …
    async fn new_account(
        c: &mut DbConn<'_>,
        base: &str,
        hash: &str,
        role: Role,
    ) -> Result<UserRow, AuthError> {
        for n in 1..=NAME_TRIES {
            let name = if n == 1 { base.to_owned() } else { format!("{base}-{n}") };
            if UserRepo::by_username(c, &name).await?.is_some() {
                continue;
            }
            let t = now();
            let new = NewUser {
                username: &name,
                password_hash: hash,
                role: role.as_str(),
                disabled: false,
                created_at: t,
                updated_at: t,
            };
            return Ok(UserRepo::create(c, &new).await?);
        }
        Err(AuthError::Invalid(format!("no free username like {base:?} for a new account; ask an admin")))
    }

    /// Links `person` to `account` (the account's own choice, from its page).
    pub async fn link_sign_on(&self, account: &Account, person: &Person) -> Result<(), AuthError> {
        let linked = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                if let Some(link) = SignOnRepo::find(c, &person.issuer, &person.subject).await? {
                    return Ok::<_, DbError>(link.user_id == account.id);
                }
                let new = NewSignOn {
                    issuer: &person.issuer,
                    subject: &person.subject,
                    user_id: account.id,
                    known_as: &person.known_as,
                    created_at: now(),
                };
                SignOnRepo::add(c, &new).await?;
                let entry = NewAudit::of(Some(account.id), AuditAction::LinkSignOn, AuditOutcome::Ok)
                    .subject(Some(account.id), Some(&account.username))
                    .detail(format!("as {}", person.known_as));
                AuditRepo::add(c, &entry).await?;
                Ok(true)
            })
            .await;
        match linked {
            Ok(true) => Ok(()),
            Ok(false) => Err(AuthError::SignOnTaken { known_as: person.known_as.clone() }),
            Err(e) if e.is_unique_violation() => {
                Err(AuthError::SignOnTaken { known_as: person.known_as.clone() })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Ends every session of the account linked to the person the provider says signed out
    /// (back-channel logout), with an audit row; the account's name, `None` when nobody here
    /// is linked to that person.
    pub async fn end_sessions_of(&self, person: &SignedOut) -> Result<Option<String>, AuthError> {
        self.db
            .transaction(async |c: &mut DbConn<'_>| {
                let Some(link) = SignOnRepo::find(c, &person.issuer, &person.subject).await? else {
                    return Ok(None);
                };
                let row = UserRepo::by_id(c, link.user_id).await?.ok_or(AuthError::NotFound)?;
                UserRepo::bump_session_epoch(c, row.id).await?;
                let entry = NewAudit::of(None, AuditAction::SignOut, AuditOutcome::Ok)
                    .subject(Some(row.id), Some(&row.username))
                    .detail(format!("signed out at the sign-on provider as {}", link.known_as));
                AuditRepo::add(c, &entry).await?;
                Ok(Some(row.username))
            })
            .await
    }

    /// Unlinks one of the account's sign-ons; an unknown one (or another account's) is 404.
    pub async fn unlink_sign_on(&self, account: &Account, id: i64) -> Result<String, AuthError> {
        self.db
            .transaction(async |c: &mut DbConn<'_>| {
                let gone = SignOnRepo::remove(c, account.id, id).await?.ok_or(AuthError::NotFound)?;
                let entry = NewAudit::of(Some(account.id), AuditAction::UnlinkSignOn, AuditOutcome::Ok)
                    .subject(Some(account.id), Some(&account.username))
                    .detail(format!("as {}", gone.known_as));
                AuditRepo::add(c, &entry).await?;
                Ok(gone.known_as)
            })
            .await
    }

    /// The names each account signs on as, for the accounts page.
    pub async fn sign_on_names(&self) -> Result<HashMap<i64, Vec<String>>, AuthError> {
        let mut pooled = self.db.get().await?;
        let mut out: HashMap<i64, Vec<String>> = HashMap::new();
        for (user, name) in SignOnRepo::names(&mut pooled.conn()).await? {
            out.entry(user).or_default().push(name);
        }
        Ok(out)
    }

    /// An admin unlinks every sign-on of an account (say, a provider's person handed to
    /// someone else); how many there were.
    pub async fn unlink_sign_ons_of(&self, actor: Option<&Account>, id: i64) -> Result<usize, AuthError> {
        Self::require_admin(actor)?;
        self.db
            .transaction(async |c: &mut DbConn<'_>| {
                let target = UserRepo::by_id(c, id).await?.ok_or(AuthError::NotFound)?;
                let n = SignOnRepo::remove_all(c, id).await?;
                if n > 0 {
                    let entry =
                        NewAudit::of(actor.map(|a| a.id), AuditAction::UnlinkSignOn, AuditOutcome::Ok)
                            .subject(Some(id), Some(&target.username))
                            .detail(format!("all {n}"));
                    AuditRepo::add(c, &entry).await?;
                }
                Ok::<_, AuthError>(n)
            })
            .await
    }

    pub async fn sign_ons(&self, user_id: i64) -> Result<Vec<LinkedSignOn>, AuthError> {
        let mut pooled = self.db.get().await?;
        let rows = SignOnRepo::of_user(&mut pooled.conn(), user_id).await?;
        Ok(rows
            .into_iter()
            .map(|r| LinkedSignOn {
                id: r.id,
                known_as: r.known_as,
                created_at: r.created_at,
                last_used_at: r.last_used_at,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::username_from;

    #[test]
    fn usernames_come_from_the_providers_name() {
        assert_eq!(username_from("Carol"), "carol");
        assert_eq!(username_from("carol.smith@example.org"), "carol.smith");
        assert_eq!(username_from("Carol Smith"), "carol-smith");
        assert_eq!(username_from("  Zoë "), "zo");
        assert_eq!(username_from("@@"), "user");
        assert_eq!(username_from(&"x".repeat(90)).len(), 56);
    }
}

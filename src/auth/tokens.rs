//! Access tokens: what lets a script act for its account without a session. A token is made on
//! the account's Tokens page, shown once, and names its scopes; the database keeps its hash. Only
//! its scopes' routes take it, with no CSRF token (a header a page cannot make a browser send
//! is not ambient authority, unlike a cookie).

use chrono::{NaiveDateTime, TimeDelta};

use super::{Account, AccountService, AuthError};
use crate::db::repo::{AuditRepo, TokenRepo, UserRepo};
use crate::db::rows::{AccessTokenRow, NewAccessToken, NewAudit};
use crate::db::{DbConn, now};
use crate::domain::{AuditAction, AuditOutcome};

/// Every token starts so, so that a leaked one is recognised (secret scanners match prefixes).
pub const TOKEN_PREFIX: &str = "mdk_";
/// Random bytes in a token (256 bits: guessing needs no throttle).
const TOKEN_BYTES: usize = 32;
/// Live tokens an account may hold at once.
pub const MAX_LIVE_TOKENS: i64 = 20;
/// Tokens a list shows, newest first.
const LISTED: i64 = 100;
pub const MAX_TOKEN_NAME_CHARS: usize = 100;
/// "Last used" is written at most this often (seconds), not on every piece of an upload.
const USE_GRANULARITY: i64 = 60;

/// One thing a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Upload files: the upload form's post, adding files from links, and resumable (tus) uploads.
    Upload,
    /// Read media: the JSON API's listings and items, with signed links to their files.
    Read,
    /// Describe, tag and turn media and keep collections through the JSON API (`PATCH` of an
    /// item, its turn, the collections' changes); with `Upload`, replace an item's file.
    Edit,
    /// Delete media through the JSON API (`DELETE` of an item): to the trash when there is one.
    Delete,
    /// Make, list and revoke an item's share links through the JSON API: a link opens the item
    /// to anyone who has it, so this is a scope of its own.
    Share,
}

impl Scope {
    pub const ALL: [Scope; 5] = [Scope::Upload, Scope::Read, Scope::Edit, Scope::Delete, Scope::Share];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Upload => "upload",
            Scope::Read => "read",
            Scope::Edit => "edit",
            Scope::Delete => "delete",
            Scope::Share => "share",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Scope::Upload => "Upload files",
            Scope::Read => "Read media (API)",
            Scope::Edit => "Describe, organize, turn and crop media (API)",
            Scope::Delete => "Delete media (API)",
            Scope::Share => "Share media by link (API)",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|v| v.as_str() == s)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// What a token may do: one or more scopes, each named when it is made and never widened. Kept
/// as their names separated by spaces (`upload read`), in [`Scope::ALL`]'s order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scopes(u8);

impl From<Scope> for Scopes {
    fn from(s: Scope) -> Scopes {
        Scopes(s.bit())
    }
}

impl Scopes {
    /// The scopes named in `s` (separated by commas or spaces); `None` if it names none, or
    /// anything that is not one.
    pub fn parse(s: &str) -> Option<Scopes> {
        let mut bits = 0;
        for name in s.split([',', ' ']).map(str::trim).filter(|n| !n.is_empty()) {
            bits |= Scope::parse(name)?.bit();
        }
        (bits != 0).then_some(Scopes(bits))
    }

    pub fn of(scopes: &[Scope]) -> Option<Scopes> {
        let bits = scopes.iter().fold(0, |b, s| b | s.bit());
        (bits != 0).then_some(Scopes(bits))
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// `upload read`, as stored.
    pub fn names(self) -> String {
        self.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ")
    }

    /// "Upload files, Read media (API)", as a page lists them.
    pub fn labels(self) -> String {
        self.iter().map(Scope::label).collect::<Vec<_>>().join(", ")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Live,
    Expired,
    Revoked,
}

/// A token as its account's page lists it (never the token itself).
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub id: i64,
    pub name: String,
    pub scopes: Scopes,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
    pub state: TokenState,
}

impl AccessToken {
    fn of(r: AccessTokenRow, at: NaiveDateTime) -> Result<AccessToken, AuthError> {
        let scopes =
            Scopes::parse(&r.scope).ok_or_else(|| AuthError::Internal(format!("scope {:?}", r.scope)))?;
        let state = match (r.revoked_at, r.expires_at) {
            (Some(_), _) => TokenState::Revoked,
            (None, Some(e)) if e <= at => TokenState::Expired,
            _ => TokenState::Live,
        };
        Ok(AccessToken {
            id: r.id,
            name: r.name,
            scopes,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            last_used_at: r.last_used_at,
            state,
        })
    }
}

/// A token just made: the one time its secret is known.
pub struct NewToken {
    pub token: AccessToken,
    pub secret: String,
}

fn check_name(name: &str) -> Result<String, AuthError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AuthError::Invalid("name the token (say, what script will use it)".into()));
    }
    if name.chars().count() > MAX_TOKEN_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(AuthError::Invalid(format!(
            "a token's name is at most {MAX_TOKEN_NAME_CHARS} characters on one line"
        )));
    }
    Ok(name.to_owned())
}

impl AccountService {
    /// Makes a token for `account`, living `days` or until revoked; `actor` is the account
    /// itself, signed in (`None`: the command line).
    pub async fn create_token(
        &self,
        actor: Option<&Account>,
        account: &Account,
        name: &str,
        scopes: Scopes,
        days: Option<u32>,
    ) -> Result<NewToken, AuthError> {
        let name = check_name(name)?;
        let secret = format!(
            "{TOKEN_PREFIX}{}",
            crate::secret_token::fresh(TOKEN_BYTES).map_err(AuthError::Internal)?
        );
        let hash = crate::secret_token::hash(&secret);
        let names = scopes.names();
        let at = now();
        let expires_at = days.map(|d| at + TimeDelta::days(i64::from(d)));
        let row = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                if TokenRepo::live_count(c, account.id, at).await? >= MAX_LIVE_TOKENS {
                    return Err(AuthError::Invalid(format!(
                        "an account holds at most {MAX_LIVE_TOKENS} live tokens; revoke one first"
                    )));
                }
                let new = NewAccessToken {
                    token_hash: &hash,
                    user_id: account.id,
                    name: &name,
                    scope: &names,
                    created_at: at,
                    expires_at,
                };
                let row = TokenRepo::create(c, &new).await?;
                let entry = NewAudit::of(actor.map(|a| a.id), AuditAction::Token, AuditOutcome::Ok)
                    .subject(Some(account.id), Some(&account.username))
                    .detail(format!("“{name}”, {names}"));
                AuditRepo::add(c, &entry).await?;
                Ok::<_, AuthError>(row)
            })
            .await?;
        Ok(NewToken { token: AccessToken::of(row, at)?, secret })
    }

    /// An account's tokens, newest first (the latest hundred).
    pub async fn tokens(&self, account_id: i64) -> Result<Vec<AccessToken>, AuthError> {
        let mut pooled = self.db.get().await?;
        let rows = TokenRepo::of_user(&mut pooled.conn(), account_id, LISTED).await?;
        let at = now();
        rows.into_iter().map(|r| AccessToken::of(r, at)).collect()
    }

    /// Revokes one of the account's live tokens and answers its name; another's, or one
    /// already ended, is `NotFound`. `actor` is the account itself (`None`: the command line)
    /// or an admin.
    pub async fn revoke_token(
        &self,
        actor: Option<&Account>,
        account: &Account,
        id: i64,
    ) -> Result<String, AuthError> {
        self.db
            .transaction(async |c: &mut DbConn<'_>| {
                if TokenRepo::revoke(c, account.id, Some(id), now()).await? == 0 {
                    return Err(AuthError::NotFound);
                }
                let name = TokenRepo::name_of(c, account.id, id).await?.unwrap_or_default();
                let entry = NewAudit::of(actor.map(|a| a.id), AuditAction::RevokeToken, AuditOutcome::Ok)
                    .subject(Some(account.id), Some(&account.username))
                    .detail(format!("“{name}”"));
                AuditRepo::add(c, &entry).await?;
                Ok::<_, AuthError>(name)
            })
            .await
    }

    /// An account's tokens as an admin reviews them: which scripts can act as it.
    pub async fn tokens_of(
        &self,
        actor: Option<&Account>,
        id: i64,
    ) -> Result<(Account, Vec<AccessToken>), AuthError> {
        Self::require_admin(actor)?;
        let account = self.by_id(id).await?;
        let tokens = self.tokens(id).await?;
        Ok((account, tokens))
    }

    /// An admin revokes one of an account's live tokens and learns its name; another
    /// account's, or one already ended, is `NotFound`.
    pub async fn revoke_token_of(
        &self,
        actor: Option<&Account>,
        account_id: i64,
        token_id: i64,
    ) -> Result<String, AuthError> {
        Self::require_admin(actor)?;
        let account = self.by_id(account_id).await?;
        self.revoke_token(actor, &account, token_id).await
    }

    /// Live tokens per account, for the accounts page.
    pub async fn live_token_counts(&self) -> Result<std::collections::HashMap<i64, i64>, AuthError> {
        let mut pooled = self.db.get().await?;
        Ok(TokenRepo::live_counts(&mut pooled.conn(), now()).await?.into_iter().collect())
    }

    /// An admin revokes every live token of an account (say, one whose laptop was stolen),
    /// without disabling it; how many there were.
    pub async fn revoke_tokens_of(&self, actor: Option<&Account>, id: i64) -> Result<usize, AuthError> {
        Self::require_admin(actor)?;
        self.db
            .transaction(async |c: &mut DbConn<'_>| {
                let target = UserRepo::by_id(c, id).await?.ok_or(AuthError::NotFound)?;
                let n = TokenRepo::revoke(c, id, None, now()).await?;
                if n > 0 {
                    let entry = NewAudit::of(actor.map(|a| a.id), AuditAction::RevokeToken, AuditOutcome::Ok)
                        .subject(Some(id), Some(&target.username))
                        .detail(format!("all {n} live"));
                    AuditRepo::add(c, &entry).await?;
                }
                Ok::<_, AuthError>(n)
            })
            .await
    }

    /// Who a live token speaks for: its account (enabled), its name and its scopes; anything
    /// else is `BadToken` (unknown, ended and disabled alike). Notes the use (at most once a
    /// minute).
    pub async fn token_holder(&self, secret: &str) -> Result<TokenHolder, AuthError> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Err(AuthError::BadToken);
        }
        let mut pooled = self.db.get().await?;
        let mut conn = pooled.conn();
        let at = now();
        let Some((token, user)) = TokenRepo::by_hash(&mut conn, &crate::secret_token::hash(secret)).await?
        else {
            return Err(AuthError::BadToken);
        };
        let live = token.revoked_at.is_none() && token.expires_at.is_none_or(|e| e > at);
        if !live || user.disabled {
            return Err(AuthError::BadToken);
        }
        let scopes = Scopes::parse(&token.scope).ok_or(AuthError::TokenScope)?;
        // The row read above says whether the minute is up: most pieces of an upload write nothing.
        if token.last_used_at.is_none_or(|t| at - t >= TimeDelta::seconds(USE_GRANULARITY)) {
            TokenRepo::touch(&mut conn, token.id, at).await?;
        }
        Ok(TokenHolder { account: user.try_into()?, name: token.name, scopes })
    }

    /// The account a request's token speaks for, and the token's name, if the token is live,
    /// holds every scope `needed`, and its account is enabled; anything else is `BadToken`
    /// (unknown, ended and disabled alike) or `TokenScope`.
    pub async fn for_token(&self, secret: &str, needed: &[Scope]) -> Result<(Account, String), AuthError> {
        let holder = self.token_holder(secret).await?;
        holder.check(needed)?;
        Ok((holder.account, holder.name))
    }
}

/// A live token, as [`AccountService::token_holder`] found it.
#[derive(Debug, Clone)]
pub struct TokenHolder {
    pub account: Account,
    pub name: String,
    pub scopes: Scopes,
}

impl TokenHolder {
    /// `TokenScope` unless the token holds every scope `needed`.
    pub fn check(&self, needed: &[Scope]) -> Result<(), AuthError> {
        if needed.iter().all(|n| self.scopes.contains(*n)) { Ok(()) } else { Err(AuthError::TokenScope) }
    }
}

//! Share links as records. A link is a random token (128 bits) whose SHA-256 is all the
//! database keeps; it names one item and may expire, need a password, allow the download or
//! not, and carry a note. The public page never hands out a lasting address: each view gets
//! signed URLs living at most `share_url_ttl` (60 s), so a revoked link stops serving bytes
//! within that time on S3 as well as from the local folder.
//!
//! Anything wrong with a token (unknown, expired, revoked, its item gone) is the same
//! `NotFound`, reached by the same work (hash, one indexed lookup), so answers tell nothing
//! about which tokens exist. A wrong password is counted like a failed sign-in (the same table
//! and limits, keyed by the link), so guessing one is throttled the same way.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};

use super::MediaError;
use super::access::Actor;
use super::dto::{MediaRead, SignedUrl};
use super::file::display::DisplayFormat;
use super::service::{Item, MediaService};
use crate::db::repo::{AuditRepo, ShareCursor, ShareRepo, ShareScope, UserRepo};
use crate::db::rows::{NewAudit, NewShare, ShareRow};
use crate::db::{DbConn, now};
use crate::domain::{AuditAction, AuditOutcome, MediaKind};
use crate::secret_token::hash as token_hash;
use crate::storage::StorageKey;

/// The shortest and longest lifetime a link may be given (or none: until revoked).
pub const SHARE_MIN_LIFETIME: Duration = Duration::from_secs(5 * 60);
pub const SHARE_MAX_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
/// Longest note, in characters.
pub const MAX_SHARE_NOTE: usize = 500;
/// Links listed per page.
pub const SHARES_PAGE: i64 = 50;
/// Wrong passwords counted per link over this window, like sign-ins.
const THROTTLE_MINUTES: i64 = 15;
/// Wrong passwords allowed per link from one address, and from all addresses together.
const MAX_FAILURES_HERE: i64 = 5;
const MAX_FAILURES_ANYWHERE: i64 = 20;
/// Wrong passwords allowed from one address, whatever the link.
const MAX_FAILURES_PER_ADDRESS: i64 = 30;

/// What a new link is to allow.
#[derive(Debug, Clone, Default)]
pub struct ShareRequest {
    /// `None`: until revoked (unless an admin capped lifetimes).
    pub lifetime: Option<Duration>,
    pub password: Option<String>,
    pub allow_download: bool,
    pub note: Option<String>,
}

/// Whether a link still opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareState {
    Live,
    Expired,
    Revoked,
}

/// A link as lists show it; never its token.
#[derive(Debug, Clone)]
pub struct ShareRead {
    pub id: i64,
    pub kind: MediaKind,
    pub item_id: i64,
    /// The item's title or file name; `None` once the item is gone.
    pub item_name: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub has_password: bool,
    pub allow_download: bool,
    pub note: Option<String>,
    pub opens: i64,
    pub last_opened_at: Option<NaiveDateTime>,
    pub state: ShareState,
    /// Whether the actor who listed it may revoke it.
    pub can_revoke: bool,
}

/// A link just made: the only time its token is known.
#[derive(Debug, Clone)]
pub struct CreatedShare {
    pub share: ShareRead,
    pub token: String,
}

/// A page of links and where the next starts.
#[derive(Debug, Clone)]
pub struct SharePage {
    pub shares: Vec<ShareRead>,
    pub next: Option<ShareCursor>,
}

/// What the public page of a live link shows.
#[derive(Debug, Clone)]
pub struct SharedItem {
    pub media: MediaRead,
    /// Audio's regions, listed under the player.
    pub regions: Vec<super::RegionRead>,
    pub allow_download: bool,
    pub expires_at: Option<NaiveDateTime>,
    pub note: Option<String>,
    /// An image's size in pixels as the page shows it.
    pub shown_size: Option<(u32, u32)>,
    /// Whether that is a screen-size copy of a larger original (then a download of its own
    /// when the link allows downloads).
    pub reduced: bool,
}

/// Which bytes of a shared item a link's address asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareFile {
    /// The image as shown (its screen-size copy when it has one), or the audio as played.
    Shown,
    /// The file, as a download (when the link allows downloads).
    Original,
    /// A large image's screen-size copy, as a download (when the link allows downloads).
    Sized,
}

/// A live link before its password is asked for.
#[derive(Debug, Clone, Copy)]
pub struct ShareGate {
    pub id: i64,
    pub needs_password: bool,
    pub expires_at: Option<NaiveDateTime>,
}

/// What a live link answers: its content, or that its password is asked first.
#[derive(Debug)]
pub enum Opened<T> {
    Open(T),
    Locked,
}

/// Why a password did not open a link.
#[derive(Debug)]
pub enum Unlock {
    Wrong,
    Throttled { minutes: i64 },
}

fn new_token() -> Result<String, MediaError> {
    crate::secret_token::fresh(16).map_err(MediaError::Internal)
}

impl MediaService {
    /// Makes a link to an item the actor may see.
    pub async fn create_share(
        &self,
        actor: &Actor,
        kind: MediaKind,
        id: i64,
        request: ShareRequest,
    ) -> Result<CreatedShare, MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_view(item.media.owner_id())?;
        let lifetime = self.check_lifetime(request.lifetime)?;
        let note = request.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
        if note.is_some_and(|n| n.chars().count() > MAX_SHARE_NOTE) {
            return Err(MediaError::Invalid(format!("the note is longer than {MAX_SHARE_NOTE} characters")));
        }
        let password_hash = match request.password.filter(|p| !p.is_empty()) {
            Some(pw) => Some(hash_password(pw).await?),
            None => None,
        };
        let token = new_token()?;
        let hash = token_hash(&token);
        let at = now();
        let expires_at = lifetime.map(|l| at + TimeDelta::from_std(l).unwrap_or(TimeDelta::MAX));
        let row = NewShare {
            token_hash: &hash,
            kind: kind.as_str(),
            item_id: id,
            created_by: actor.user_id,
            created_at: at,
            expires_at,
            password_hash: password_hash.as_deref(),
            allow_download: request.allow_download,
            note,
        };
        let until = expires_at
            .map_or("until revoked".to_owned(), |e| format!("until {}", e.format("%Y-%m-%d %H:%M UTC")));
        let mut detail = format!("link {until}");
        if password_hash.is_some() {
            detail.push_str(", password");
        }
        if request.allow_download {
            detail.push_str(", download allowed");
        }
        let created = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                // Under the item's lock: a link made while the item goes to the trash either
                // exists before the trash revokes its links, or finds the item gone; it never
                // outlives the trashing to work again after a restore.
                Self::locked_item(c, (kind, id)).await?;
                let row = ShareRepo::create(c, &row).await?;
                AuditRepo::add(c, &actor.did(AuditAction::Share, (kind, id)).detail(detail)).await?;
                Ok::<_, MediaError>(row)
            })
            .await?;
        let share = self.share_read(actor, created, Some(&item), at);
        Ok(CreatedShare { share, token })
    }

    /// A lifetime within the bounds and the admins' cap.
    fn check_lifetime(&self, lifetime: Option<Duration>) -> Result<Option<Duration>, MediaError> {
        let max = self.settings.share_max_lifetime.unwrap_or(SHARE_MAX_LIFETIME).min(SHARE_MAX_LIFETIME);
        match lifetime {
            None if self.settings.share_max_lifetime.is_some() => Err(MediaError::Invalid(format!(
                "links must expire: the longest allowed here is {}",
                lifetime_words(max)
            ))),
            None => Ok(None),
            Some(l) if l < SHARE_MIN_LIFETIME || l > max => Err(MediaError::Invalid(format!(
                "a link lives from {} to {}",
                lifetime_words(SHARE_MIN_LIFETIME),
                lifetime_words(max)
            ))),
            Some(l) => Ok(Some(l)),
        }
    }

    /// Whether links may live until revoked, and the longest lifetime otherwise.
    pub fn share_lifetimes(&self) -> (bool, Duration) {
        let cap = self.settings.share_max_lifetime;
        (cap.is_none(), cap.unwrap_or(SHARE_MAX_LIFETIME).min(SHARE_MAX_LIFETIME))
    }

    /// An item's links, newest first, for someone who may see it.
    pub async fn item_shares(
        &self,
        actor: &Actor,
        kind: MediaKind,
        id: i64,
    ) -> Result<Vec<ShareRead>, MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_view(item.media.owner_id())?;
        let mut pooled = self.db.get().await?;
        let rows = ShareRepo::page(&mut pooled.conn(), ShareScope::Item(kind, id), None, None, 200).await?;
        drop(pooled);
        let t = now();
        Ok(rows
            .into_iter()
            // Users see the links they made and, on their own items, everyone's.
            .filter(|r| actor.can_manage(item.media.owner_id()) || r.created_by == actor.user_id)
            .map(|r| self.share_read(actor, r, Some(&item), t))
            .collect())
    }

    /// A page of links: one account's (`Some`), or everyone's for staff (`None`).
    pub async fn shares_page(
        &self,
        actor: &Actor,
        creator: Option<i64>,
        live_only: bool,
        after: Option<ShareCursor>,
    ) -> Result<SharePage, MediaError> {
        let scope = match creator {
            Some(user) if Some(user) == actor.user_id || actor.is_staff => ShareScope::Creator(user),
            None if actor.is_staff => ShareScope::Everyone,
            _ => return Err(MediaError::Forbidden),
        };
        let t = now();
        let mut pooled = self.db.get().await?;
        let mut rows =
            ShareRepo::page(&mut pooled.conn(), scope, live_only.then_some(t), after, SHARES_PAGE + 1)
                .await?;
        drop(pooled);
        let next = (rows.len() as i64 > SHARES_PAGE).then(|| {
            rows.truncate(SHARES_PAGE as usize);
            rows.last().map(|r| (r.created_at, r.id))
        });
        let kind = |r: &ShareRow| r.kind.parse().unwrap_or(MediaKind::Image);
        let wanted: Vec<(MediaKind, i64)> = rows.iter().map(|r| (kind(r), r.item_id)).collect();
        let items = self.items(&wanted).await?;
        let shares = rows
            .into_iter()
            .map(|row| {
                let item = items.get(&(kind(&row), row.item_id));
                self.share_read(actor, row, item, t)
            })
            .collect();
        Ok(SharePage { shares, next: next.flatten() })
    }

    fn share_read(&self, actor: &Actor, r: ShareRow, item: Option<&Item>, t: NaiveDateTime) -> ShareRead {
        let state = if r.revoked_at.is_some() {
            ShareState::Revoked
        } else if r.is_live(t) {
            ShareState::Live
        } else {
            ShareState::Expired
        };
        let owner = item.and_then(|i| i.media.owner_id());
        let can_revoke = state == ShareState::Live
            && (actor.is_staff
                || (r.created_by.is_some() && r.created_by == actor.user_id)
                || (item.is_some() && actor.can_manage(owner)));
        ShareRead {
            id: r.id,
            kind: r.kind.parse().unwrap_or(MediaKind::Image),
            item_id: r.item_id,
            item_name: item.map(|i| i.media.display_name().to_owned()),
            created_by: r.created_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            has_password: r.password_hash.is_some(),
            allow_download: r.allow_download,
            note: r.note,
            opens: r.opens,
            last_opened_at: r.last_opened_at,
            state,
            can_revoke,
        }
    }

    /// Revokes one link: its maker, whoever manages its item, or staff. The item it names
    /// (for the page to go back to).
    pub async fn revoke_share(&self, actor: &Actor, share_id: i64) -> Result<(MediaKind, i64), MediaError> {
        let mut pooled = self.db.get().await?;
        let row = ShareRepo::by_id(&mut pooled.conn(), share_id).await?.ok_or(MediaError::NotFound)?;
        drop(pooled);
        let kind: MediaKind = row.kind.parse().map_err(|_| MediaError::NotFound)?;
        let item = self.item(kind, row.item_id).await.ok();
        let read = self.share_read(actor, row.clone(), item.as_ref(), now());
        let sees = actor.is_staff
            || (row.created_by.is_some() && row.created_by == actor.user_id)
            || item.as_ref().is_some_and(|i| actor.can_view(i.media.owner_id()));
        if !sees {
            return Err(MediaError::NotFound);
        }
        if read.state != ShareState::Live {
            return Ok((kind, row.item_id));
        }
        if !read.can_revoke {
            return Err(MediaError::Forbidden);
        }
        let entry = actor.did(AuditAction::Unshare, (kind, row.item_id)).detail(format!("link {share_id}"));
        self.db
            .transaction(async |c: &mut DbConn<'_>| {
                if ShareRepo::revoke(c, share_id, now()).await? {
                    AuditRepo::add(c, &entry).await?;
                }
                Ok::<_, MediaError>(())
            })
            .await?;
        Ok((kind, row.item_id))
    }

    /// Revokes every live link to an item, for someone who manages it; how many.
    pub async fn revoke_item_shares(
        &self,
        actor: &Actor,
        kind: MediaKind,
        id: i64,
    ) -> Result<usize, MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_manage(item.media.owner_id())?;
        self.db
            .transaction(async |c: &mut DbConn<'_>| {
                let n = ShareRepo::revoke_all(c, ShareScope::Item(kind, id), now()).await?;
                if n > 0 {
                    let entry = actor.did(AuditAction::Unshare, (kind, id)).detail(format!("all {n} links"));
                    AuditRepo::add(c, &entry).await?;
                }
                Ok::<_, MediaError>(n)
            })
            .await
    }

    /// Revokes every live link an account made: the account itself or staff; how many.
    pub async fn revoke_user_shares(&self, actor: &Actor, user: i64) -> Result<usize, MediaError> {
        if !(actor.is_staff || actor.user_id == Some(user)) {
            return Err(MediaError::Forbidden);
        }
        self.db
            .transaction(async |c: &mut DbConn<'_>| {
                let n = ShareRepo::revoke_all(c, ShareScope::Creator(user), now()).await?;
                if n > 0 {
                    let entry = NewAudit::of(actor.user_id, AuditAction::Unshare, AuditOutcome::Ok)
                        .subject(Some(user), None)
                        .detail(format!("all {n} links of the account"));
                    AuditRepo::add(c, &entry).await?;
                }
                Ok::<_, MediaError>(n)
            })
            .await
    }

    /// The live link a token names, with its item; `NotFound` for anything else.
    async fn live_share(&self, token: &str) -> Result<(ShareRow, Item), MediaError> {
        let hash = token_hash(token);
        let mut pooled = self.db.get().await?;
        let row = ShareRepo::by_token_hash(&mut pooled.conn(), &hash).await?;
        drop(pooled);
        let row = row.filter(|r| r.is_live(now())).ok_or(MediaError::NotFound)?;
        let kind: MediaKind = row.kind.parse().map_err(|_| MediaError::NotFound)?;
        let item = self.item(kind, row.item_id).await?;
        Ok((row, item))
    }

    /// Whether a token opens, and whether it needs its password first.
    pub async fn share_gate(&self, token: &str) -> Result<ShareGate, MediaError> {
        let (row, _) = self.live_share(token).await?;
        Ok(ShareGate { id: row.id, needs_password: row.password_hash.is_some(), expires_at: row.expires_at })
    }

    /// Checks a link's password, counted and throttled like a sign-in from `client`.
    pub async fn unlock_share(
        &self,
        token: &str,
        password: &str,
        client: &str,
    ) -> Result<Result<(), Unlock>, MediaError> {
        let (row, _) = self.live_share(token).await?;
        let Some(stored) = row.password_hash.clone() else { return Ok(Ok(())) };
        let key = format!("share:{}", row.id);
        let since = now() - TimeDelta::minutes(THROTTLE_MINUTES);
        let mut pooled = self.db.get().await?;
        let (here, anywhere, address) =
            UserRepo::sign_in_failures(&mut pooled.conn(), &key, client, since).await?;
        drop(pooled);
        if here >= MAX_FAILURES_HERE
            || anywhere >= MAX_FAILURES_ANYWHERE
            || address >= MAX_FAILURES_PER_ADDRESS
        {
            return Ok(Err(Unlock::Throttled { minutes: THROTTLE_MINUTES }));
        }
        let pw = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || crate::password_hash::verify(&pw, &stored))
            .await
            .map_err(|e| MediaError::Internal(e.to_string()))?;
        self.db
            .transaction(async |c: &mut DbConn<'_>| {
                if matches {
                    UserRepo::clear_sign_in_failures(c, &key, client).await
                } else {
                    UserRepo::record_sign_in_failure(c, &key, client, now()).await?;
                    UserRepo::prune_sign_in_failures(c, since - TimeDelta::days(1)).await
                }
            })
            .await?;
        Ok(if matches { Ok(()) } else { Err(Unlock::Wrong) })
    }

    /// The public page's content for a live link, counting the open; `Locked` when it has a
    /// password and the visitor has not `unlocked` it.
    pub async fn open_share(&self, token: &str, unlocked: bool) -> Result<Opened<SharedItem>, MediaError> {
        let (row, item) = self.live_share(token).await?;
        if row.password_hash.is_some() && !unlocked {
            return Ok(Opened::Locked);
        }
        let mut pooled = self.db.get().await?;
        ShareRepo::opened(&mut pooled.conn(), row.id, now()).await?;
        drop(pooled);
        let regions = match &item.media {
            MediaRead::Audio(a) => self.shared_regions(a.id).await?,
            MediaRead::Image(_) => Vec::new(),
        };
        Ok(Opened::Open(SharedItem {
            shown_size: item.shown_size(),
            reduced: item.display.is_some(),
            media: item.media,
            regions,
            allow_download: row.allow_download,
            expires_at: row.expires_at,
            note: row.note,
        }))
    }

    /// A signed URL for a live link's bytes, living `share_url_ttl`: the image as shown (its
    /// display copy when it has one) or the audio as played (its rendition when it has one),
    /// or, when the link allows it, the file as a download — without location and device data
    /// under the `shares` policy. `Locked` as for [`MediaService::open_share`].
    pub async fn share_url(
        &self,
        token: &str,
        what: ShareFile,
        unlocked: bool,
    ) -> Result<Opened<SignedUrl>, MediaError> {
        let (row, item) = self.live_share(token).await?;
        if row.password_hash.is_some() && !unlocked {
            return Ok(Opened::Locked);
        }
        if what != ShareFile::Shown && !row.allow_download {
            return Err(MediaError::NotFound);
        }
        let ttl = Some(self.settings.share_url_ttl);
        let mime = item.media.content_type();
        let original = StorageKey::parse(self.outgoing_key(None, &item))?;
        let signed = match (what, &item.display, &item.rendition) {
            (ShareFile::Original, ..) => self.sign(&original, mime, ttl, Some(item.media.filename())).await,
            (ShareFile::Sized, ..) => match self.sign_sized_download(&item, ttl, None).await? {
                Some((signed, _)) => Ok(signed),
                None => return Err(MediaError::NotFound),
            },
            (ShareFile::Shown, Some(display), _) => {
                let mime = DisplayFormat::of_key(display).mime();
                self.sign(&StorageKey::parse(display)?, mime, ttl, None).await
            }
            (ShareFile::Shown, None, Some(play)) => {
                self.sign(&StorageKey::parse(play)?, "audio/flac", ttl, None).await
            }
            (ShareFile::Shown, None, None) => self.sign(&original, mime, ttl, None).await,
        };
        signed.map(Opened::Open)
    }
}

async fn hash_password(password: String) -> Result<String, MediaError> {
    if password.chars().count() < 4 {
        return Err(MediaError::Invalid("a link's password needs at least 4 characters".into()));
    }
    if password.len() > crate::password_hash::MAX_PASSWORD_BYTES {
        return Err(MediaError::Invalid("the password is too long".into()));
    }
    tokio::task::spawn_blocking(move || crate::password_hash::hash(&password))
        .await
        .map_err(|e| MediaError::Internal(e.to_string()))?
        .map_err(MediaError::Internal)
}

/// "5 minutes", "1 hour", "30 days".
pub fn lifetime_words(d: Duration) -> String {
    let secs = d.as_secs();
    let (n, unit) = if secs.is_multiple_of(86_400) {
        (secs / 86_400, "day")
    } else if secs.is_multiple_of(3600) {
        (secs / 3600, "hour")
    } else {
        (secs.div_ceil(60), "minute")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

//! What a signed-in session holds: the account id, the account's session epoch (so sign-out,
//! password resets and disabling end sessions everywhere), when it was signed in and last used,
//! the CSRF token and flash messages. The state lives in a signed and encrypted cookie, so app
//! processes stay stateless; its age is checked here on every request, because a cookie's
//! `Max-Age` only tells the browser, and a copied cookie would otherwise work forever.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use actix_session::Session;
use serde::{Deserialize, Serialize};

use super::Account;
use super::oidc::{Pending, Person};
use crate::domain::MediaKind;

const USER_ID: &str = "uid";
const EPOCH: &str = "epoch";
const ISSUED_AT: &str = "iat";
const LAST_SEEN: &str = "seen";
const FLASH: &str = "flash";

/// Last-seen is written back at most this often (seconds), not on every request, so most
/// responses do not rewrite the cookie.
const SEEN_GRANULARITY: i64 = 60;

/// How long a session lives, in seconds: from sign-in, and since its last request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub lifetime: i64,
    pub idle: i64,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits { lifetime: 12 * 3600, idle: 2 * 3600 }
    }
}

/// The time sessions are judged by, in seconds since the epoch; tests move it forward.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.offset.load(Ordering::Relaxed)
    }

    /// Moves this clock (and every copy of it) `secs` into the future.
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::Relaxed);
    }
}

/// The account a session claims to belong to; still to be checked against the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionClaim {
    pub user_id: i64,
    pub epoch: i32,
}

/// Starts a fresh session for `account`: the old session id and its CSRF token are dropped.
pub fn sign_in(
    session: &Session,
    account: &Account,
    now: i64,
) -> Result<(), actix_session::SessionInsertError> {
    // `clear` + `renew`, not `purge`: a purged session stays purged whatever is inserted later.
    session.clear();
    session.renew();
    session.insert(USER_ID, account.id)?;
    session.insert(EPOCH, account.session_epoch)?;
    session.insert(ISSUED_AT, now)?;
    session.insert(LAST_SEEN, now)?;
    super::csrf::rotate(session)?;
    Ok(())
}

/// The account a session claims, if the session is still alive at `now`: signed in less than
/// `lifetime` ago and used less than `idle` ago. A dead session is emptied; a live one is
/// marked as used.
pub fn claim(session: &Session, now: i64, limits: SessionLimits) -> Option<SessionClaim> {
    let user_id = session.get::<i64>(USER_ID).ok().flatten()?;
    let epoch = session.get::<i32>(EPOCH).ok().flatten()?;
    let issued = session.get::<i64>(ISSUED_AT).ok().flatten().unwrap_or(i64::MIN);
    let seen = session.get::<i64>(LAST_SEEN).ok().flatten().unwrap_or(i64::MIN);
    if now.saturating_sub(issued) >= limits.lifetime || now.saturating_sub(seen) >= limits.idle {
        sign_out(session);
        return None;
    }
    if now - seen >= SEEN_GRANULARITY {
        // Losing this write only makes the session look idle a minute earlier.
        let _ = session.insert(LAST_SEEN, now);
    }
    Some(SessionClaim { user_id, epoch })
}

/// The account an ended (or live) session was for, unchecked: to hand work posted after the
/// session ended back to the same account only.
pub fn claimed_user(session: &Session) -> Option<i64> {
    session.get::<i64>(USER_ID).ok().flatten()
}

/// Whether the session claims an account at all (not checked against the database or its age).
pub fn is_signed_in(session: &Session) -> bool {
    session.contains_key(USER_ID)
}

pub fn sign_out(session: &Session) {
    session.purge();
}

/// Signs out, keeping the session to carry a message to the next page (a purged one keeps
/// nothing): its contents go and its key is renewed, as a sign-in renews it.
pub fn sign_out_to_say(session: &Session) {
    session.clear();
    session.renew();
}

/// A one-time message shown on the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    /// `ok` or `error`.
    pub level: String,
    pub message: String,
}

/// Flashes travel in the session cookie, which browsers drop past 4 KB: a few short messages at
/// most. Whoever reports many outcomes says how many and names a few.
const MAX_FLASHES: usize = 3;
/// Longest flash kept, in characters; longer ones end in `…`.
pub const MAX_FLASH_CHARS: usize = 300;

pub fn flash(session: &Session, level: &str, message: impl Into<String>) {
    let mut all: Vec<Flash> = session.get(FLASH).ok().flatten().unwrap_or_default();
    let mut message: String = message.into();
    if message.chars().count() > MAX_FLASH_CHARS {
        message = message.chars().take(MAX_FLASH_CHARS - 1).collect::<String>() + "…";
    }
    all.push(Flash { level: level.into(), message });
    if all.len() > MAX_FLASHES {
        all.drain(..all.len() - MAX_FLASHES);
    }
    // A flash that cannot be stored is lost, not an error for the request that made it.
    let _ = session.insert(FLASH, all);
}

/// A small remembered choice (say, the owner last chosen for uploads), kept with the session.
pub fn set_choice(session: &Session, name: &'static str, value: &str) {
    // Forgetting a choice costs a click, not the request.
    let _ = session.insert(name, value.chars().take(64).collect::<String>());
}

pub fn choice(session: &Session, name: &'static str) -> Option<String> {
    session.get(name).ok().flatten()
}

const UNDO: &str = "undo";
/// Items an Undo button brings back at most; a larger delete is undone from the Trash.
pub const MAX_UNDO: usize = 20;
/// The longest gallery view Undo returns to; past it (a very long search), no Undo is offered.
const MAX_UNDO_BACK: usize = 256;

/// Offers Undo on the next page for items just moved to the trash (`kind:id`), to come back
/// to `back` (a gallery view) afterwards; more than [`MAX_UNDO`] are not offered (the cookie
/// stays small).
pub fn offer_undo(session: &Session, items: &[String], back: &str) {
    if items.is_empty() || items.len() > MAX_UNDO || back.len() > MAX_UNDO_BACK {
        return;
    }
    let _ = session.insert(UNDO, (items.join(","), back.to_owned()));
}

/// What the next page's Undo restores, and where it returns, once.
pub fn take_undo(session: &Session) -> (Vec<String>, String) {
    let all: Option<(String, String)> = session.get(UNDO).ok().flatten();
    if all.is_some() {
        session.remove(UNDO);
    }
    match all {
        Some((items, back)) => (items.split(',').map(str::to_owned).collect(), back),
        None => (Vec::new(), String::new()),
    }
}

const APART: &str = "apart";

/// Offers on the next page to take back a group just said not duplicates (its kind and items'
/// ids, at most a group's few dozen).
pub fn offer_alike_again(session: &Session, kind: MediaKind, ids: &[i64]) {
    let _ = session.insert(APART, (kind, ids.to_vec()));
}

/// The group the next page offers to take back, once.
pub fn take_alike_again(session: &Session) -> Option<(MediaKind, Vec<i64>)> {
    let offered = session.get(APART).ok().flatten();
    if offered.is_some() {
        session.remove(APART);
    }
    offered
}

const SIGN_ON: &str = "sign_on";
const SIGNED_ON: &str = "signed_on";
const UNLINKED: &str = "unlinked";

/// Keeps a sign-on under way until the provider sends the browser back.
pub fn keep_sign_on(session: &Session, pending: &Pending) -> Result<(), actix_session::SessionInsertError> {
    session.insert(SIGN_ON, pending)
}

/// The sign-on under way, once: a second answer from the provider finds none.
pub fn take_sign_on(session: &Session) -> Option<Pending> {
    let pending = session.get(SIGN_ON).ok().flatten();
    session.remove(SIGN_ON);
    pending
}

/// Marks the session as signed in by the provider, so that signing out signs out there too.
pub fn mark_signed_on(session: &Session) {
    // Lost, signing out ends this session only.
    let _ = session.insert(SIGNED_ON, true);
}

pub fn signed_on(session: &Session) -> bool {
    session.get::<bool>(SIGNED_ON).ok().flatten().unwrap_or(false)
}

/// How long a refused sign-on's person may be linked by a password sign-in in the same
/// browser (seconds): a shared computer's next user must not find it still on offer.
const UNLINKED_FOR: i64 = 600;

/// Keeps the provider's person no account is linked to, for a password sign-in to link.
pub fn keep_unlinked(session: &Session, person: &Person, now: i64) {
    // Lost, the person signs on again after the password sign-in.
    let _ = session.insert(UNLINKED, (person, now));
}

/// That person, if this browser's sign-on found no account less than [`UNLINKED_FOR`] ago.
pub fn unlinked(session: &Session, now: i64) -> Option<Person> {
    let (person, at): (Person, i64) = session.get(UNLINKED).ok().flatten()?;
    (now.saturating_sub(at) < UNLINKED_FOR).then_some(person)
}

/// Whether a message waits to be shown.
pub fn has_flashes(session: &Session) -> bool {
    session.contains_key(FLASH)
}

pub fn take_flashes(session: &Session) -> Vec<Flash> {
    let all = session.get(FLASH).ok().flatten().unwrap_or_default();
    if session.contains_key(FLASH) {
        session.remove(FLASH);
    }
    all
}

//! What a signed-in session holds: the account id, the account's session epoch (so sign-out,
//! password resets and disabling end sessions everywhere), the CSRF token and flash messages.
//! The state lives in a signed and encrypted cookie, so app processes stay stateless.

use actix_session::Session;
use serde::{Deserialize, Serialize};

use super::Account;

const USER_ID: &str = "uid";
const EPOCH: &str = "epoch";
const FLASH: &str = "flash";

/// The account a session claims to belong to; still to be checked against the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionClaim {
    pub user_id: i64,
    pub epoch: i32,
}

/// Starts a fresh session for `account`: the old session id and its CSRF token are dropped.
pub fn sign_in(session: &Session, account: &Account) -> Result<(), actix_session::SessionInsertError> {
    // `clear` + `renew`, not `purge`: a purged session stays purged whatever is inserted later.
    session.clear();
    session.renew();
    session.insert(USER_ID, account.id)?;
    session.insert(EPOCH, account.session_epoch)?;
    super::csrf::rotate(session)?;
    Ok(())
}

pub fn claim(session: &Session) -> Option<SessionClaim> {
    let user_id = session.get::<i64>(USER_ID).ok().flatten()?;
    let epoch = session.get::<i32>(EPOCH).ok().flatten()?;
    Some(SessionClaim { user_id, epoch })
}

pub fn sign_out(session: &Session) {
    session.purge();
}

/// A one-time message shown on the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    /// `ok` or `error`.
    pub level: String,
    pub message: String,
}

pub fn flash(session: &Session, level: &str, message: impl Into<String>) {
    let mut all: Vec<Flash> = session.get(FLASH).ok().flatten().unwrap_or_default();
    all.push(Flash { level: level.into(), message: message.into() });
    // A flash that cannot be stored is lost, not an error for the request that made it.
    let _ = session.insert(FLASH, all);
}

pub fn take_flashes(session: &Session) -> Vec<Flash> {
    let all = session.get(FLASH).ok().flatten().unwrap_or_default();
    if session.contains_key(FLASH) {
        session.remove(FLASH);
    }
    all
}

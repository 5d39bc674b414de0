//! Synchronizer tokens: one random token per session, required on every state-changing form.

use actix_session::Session;
use subtle::ConstantTimeEq;

const CSRF: &str = "csrf";
/// The form field (and `X-CSRF-Token` header) that carries the token.
pub const FIELD: &str = "csrf_token";

fn fresh() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS provides randomness");
    hex::encode(bytes)
}

/// Replaces the session's token (on sign-in).
pub fn rotate(session: &Session) -> Result<String, actix_session::SessionInsertError> {
    let token = fresh();
    session.insert(CSRF, &token)?;
    Ok(token)
}

/// The session's token, created on first use.
pub fn token(session: &Session) -> String {
    match session.get::<String>(CSRF).ok().flatten() {
        Some(t) => t,
        None => rotate(session).unwrap_or_default(),
    }
}

/// True when `submitted` is this session's token.
pub fn verify(session: &Session, submitted: &str) -> bool {
    match session.get::<String>(CSRF).ok().flatten() {
        Some(expected) if !expected.is_empty() => expected.as_bytes().ct_eq(submitted.as_bytes()).into(),
        _ => false,
    }
}

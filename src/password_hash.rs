//! Argon2id password hashes in PHC string form, for whatever keeps a password: accounts (in
//! `auth`) and password-protected share links (in `media`). Neutral, so neither layer reaches
//! into the other for it.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Longer passwords are refused before hashing: argon2's cost does not grow with the length,
/// but nobody needs a kilobyte, and the form's limit is this.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// A fresh salted hash; `Err` only if the system has no randomness.
pub fn hash(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// False for a wrong password and for a malformed stored hash alike.
pub fn verify(password: &str, stored: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    PasswordHash::new(stored)
        .is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A valid hash of nothing anyone knows, verified for unknown accounts so that a missing
/// account takes as long to refuse as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("not-a-real-password-at-all").unwrap_or_default())
}

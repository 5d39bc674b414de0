//! Account passwords: how strong they must be; hashing is [`crate::password_hash`]'s.

use super::AuthError;
pub use crate::password_hash::{MAX_PASSWORD_BYTES, dummy_hash, verify};

pub const MIN_PASSWORD_CHARS: usize = 8;

pub fn check_strength(password: &str) -> Result<(), AuthError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AuthError::Invalid(format!(
            "the password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::Invalid("the password is too long".into()));
    }
    Ok(())
}

pub fn hash(password: &str) -> Result<String, AuthError> {
    crate::password_hash::hash(password).map_err(AuthError::Internal)
}

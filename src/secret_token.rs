//! Random tokens handed out once, for whatever lets a holder in without signing in: share links
//! (in `media`) and access tokens (in `auth`). The database keeps only a token's SHA-256, so a
//! copy of it opens nothing; a plain hash suffices (unlike a password's), as the tokens are
//! random and long. Neutral, so neither layer reaches into the other for it.

use base64::Engine;
use sha2::{Digest, Sha256};

/// `bytes` random bytes, base64url without padding; `Err` only if the system has no randomness.
pub fn fresh(bytes: usize) -> Result<String, String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| e.to_string())?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

/// The hash the database keeps of a token.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

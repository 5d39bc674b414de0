//! HMAC-signed, expiring URLs for objects served by the app itself (the local-folder store).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use thiserror::Error;

use super::StorageKey;
use crate::http_text::percent_encode;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("link has expired")]
    Expired,
    #[error("link signature is invalid")]
    Invalid,
}

/// Signs and verifies `(key, expiry, disposition name)` triples with a secret the app keeps.
#[derive(Clone)]
pub struct UrlSigner {
    /// Keyed once: cloning it skips hashing the key pads for every URL.
    keyed: HmacSha256,
    /// Path prefix of the route that serves signed objects, e.g. `/files`.
    route: String,
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UrlSigner").field("route", &self.route).finish_non_exhaustive()
    }
}

impl UrlSigner {
    pub fn new(secret: &[u8], route: &str) -> UrlSigner {
        let keyed = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
        UrlSigner { keyed, route: route.trim_end_matches('/').to_owned() }
    }

    fn mac(&self, key: &str, expires: i64, name: Option<&str>) -> HmacSha256 {
        let mut mac = self.keyed.clone();
        // Length-prefixed fields: no two different triples can produce the same message.
        for part in [key, &expires.to_string(), name.unwrap_or("")] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac
    }

    /// Hex signature for an object key valid until `expires` (unix seconds).
    pub fn sign(&self, key: &StorageKey, expires: i64, name: Option<&str>) -> String {
        hex::encode(self.mac(key.as_str(), expires, name).finalize().into_bytes())
    }

    /// The relative URL a browser can GET: `{route}/{key}?exp=..&sig=..[&name=..]`.
    pub fn url(&self, key: &StorageKey, expires: i64, name: Option<&str>) -> String {
        let sig = self.sign(key, expires, name);
        let mut url = format!("{}/{}?exp={expires}&sig={sig}", self.route, key.as_str());
        if let Some(name) = name {
            url.push_str("&name=");
            url.push_str(&percent_encode(name));
        }
        url
    }

    /// The URL for `options`: valid from their issue time (now by default) for their TTL.
    pub fn url_for(&self, key: &StorageKey, options: &super::SignedUrlOptions) -> String {
        let issued = options.issued_at.unwrap_or_else(|| chrono::Utc::now().timestamp());
        let expires = issued + options.ttl.as_secs() as i64;
        self.url(key, expires, options.download_name.as_deref())
    }

    /// Checks signature first (in constant time), then expiry against `now` (unix seconds).
    pub fn verify(
        &self,
        key: &str,
        expires: i64,
        name: Option<&str>,
        signature_hex: &str,
        now: i64,
    ) -> Result<(), SignatureError> {
        let sig = hex::decode(signature_hex).map_err(|_| SignatureError::Invalid)?;
        self.mac(key, expires, name).verify_slice(&sig).map_err(|_| SignatureError::Invalid)?;
        if now > expires {
            return Err(SignatureError::Expired);
        }
        Ok(())
    }
}

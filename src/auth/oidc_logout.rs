//! OpenID Connect Back-Channel Logout 1.0: the provider tells Mediadesk, server to server, that
//! a person signed out there or was removed, in a logout token signed with the keys its ID
//! tokens are. Every session of the account linked to that person then ends at its next
//! request (see `AccountService::end_sessions_of`), so a person taken off at the provider
//! loses their open tabs at once rather than at the session's idle end.
//!
//! Sessions here are cookies, not rows, so a token is acted on by its `sub` alone: one that
//! names only a provider session (`sid`) is refused, and the provider is told so (it should
//! then be registered with `backchannel_logout_session_required` off).
//!
//! A token acted on is remembered by its id (`jti`) for as long as it could pass the age
//! check, and refused if it comes again, as the standard suggests: one copied off the wire
//! cannot sign the person out of the sessions they start afterwards. The memory is this
//! process's; a token is remembered only once its sessions ended, so a provider retrying
//! after a failure is not refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::JsonWebKey;
use openidconnect::core::{CoreJsonWebKeyUse, CoreJwsSigningAlgorithm};
use serde_json::Value;

use super::AuthError;
use super::oidc::SignOn;

/// The event a logout token carries.
const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// How old a logout token may be, and how far ahead of this clock its issuer's may run.
const MAX_AGE_SECS: i64 = 600;
const SKEW_SECS: i64 = 60;
/// Longer is not a logout token (the form's whole body is limited anyway).
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The person a logout token says signed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedOut {
    pub issuer: String,
    pub subject: String,
    /// The token's id and issue time, for [`SignOn::acted_on`].
    pub token_id: String,
    pub issued_at: i64,
}

fn bad(why: impl Into<String>) -> AuthError {
    AuthError::Invalid(format!("not a valid logout token: {}", why.into()))
}

impl SignOn {
    /// Checks a logout token as the standard asks: signed by one of the provider's published
    /// keys with an asymmetric algorithm, issued by it to this client, recent, carrying the
    /// back-channel logout event and no nonce, naming a subject.
    pub async fn logout_token(&self, token: &str, now: i64) -> Result<SignedOut, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(bad("too long"));
        }
        let mut parts = token.split('.');
        let (Some(head), Some(body), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("not a signed JWT (three parts)"));
        };
        let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| bad("not base64url"));
        let header: Value =
            serde_json::from_slice(&decode(head)?).map_err(|_| bad("its header is not JSON"))?;
        let claims: Value =
            serde_json::from_slice(&decode(body)?).map_err(|_| bad("its claims are not JSON"))?;
        let signature = decode(sig)?;
        let alg: CoreJwsSigningAlgorithm =
            serde_json::from_value(header["alg"].clone()).map_err(|_| bad("unknown algorithm"))?;
        // Symmetric keys would be the client secret, which this side also holds: anyone who
        // learnt it could end sessions. `none` is no signature at all.
        if matches!(
            alg,
            CoreJwsSigningAlgorithm::None
                | CoreJwsSigningAlgorithm::HmacSha256
                | CoreJwsSigningAlgorithm::HmacSha384
                | CoreJwsSigningAlgorithm::HmacSha512
        ) {
            return Err(bad("not signed with the provider's public keys"));
        }
        let kid = header["kid"].as_str();
        let message = &token.as_bytes()[..head.len() + 1 + body.len()];
        self.verify_signature(&alg, kid, message, &signature).await?;
        let signed_out = self.check_claims(&claims, now)?;
        let seen = self.logouts_seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.contains_key(&signed_out.token_id) {
            return Err(bad(format!("already received (jti {})", signed_out.token_id)));
        }
        Ok(signed_out)
    }

    /// Remembers a logout token whose sessions ended, and forgets those past the age check.
    pub fn acted_on(&self, signed_out: &SignedOut, now: i64) {
        let mut seen = self.logouts_seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.retain(|_, issued| *issued >= now - MAX_AGE_SECS - SKEW_SECS);
        seen.insert(signed_out.token_id.clone(), signed_out.issued_at);
    }

    /// Tries the provider's keys that may sign with `alg` (the one named `kid`, when named);
    /// reads them again once when none fits, as the provider may have rotated its keys since.
    async fn verify_signature(
        &self,
        alg: &CoreJwsSigningAlgorithm,
        kid: Option<&str>,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), AuthError> {
        for reread in [false, true] {
            let keys = self.published_keys(reread).await?;
            let fits = keys.iter().filter(|k| {
                kid.is_none_or(|kid| k.key_id().is_some_and(|id| id.as_str() == kid))
                    && k.key_use().is_none_or(|u| *u == CoreJsonWebKeyUse::Signature)
            });
            for key in fits {
                if key.verify_signature(alg, message, signature).is_ok() {
                    return Ok(());
                }
            }
        }
        Err(bad("no key of the provider's verifies its signature"))
    }

    fn check_claims(&self, claims: &Value, now: i64) -> Result<SignedOut, AuthError> {
        let issuer = claims["iss"].as_str().ok_or_else(|| bad("no issuer"))?;
        if issuer != self.config.issuer {
            return Err(bad(format!("issued by {issuer}, not this deployment's provider")));
        }
        let client = self.config.client_id.as_str();
        let for_us = match &claims["aud"] {
            Value::String(one) => one == client,
            Value::Array(all) => all.iter().any(|a| a.as_str() == Some(client)),
            _ => false,
        };
        if !for_us {
            return Err(bad("issued to another client"));
        }
        let iat = claims["iat"].as_i64().ok_or_else(|| bad("no issue time"))?;
        if iat > now + SKEW_SECS || iat < now - MAX_AGE_SECS {
            return Err(bad("issued too long ago, or in the future"));
        }
        if claims["exp"].as_i64().is_some_and(|exp| exp + SKEW_SECS < now) {
            return Err(bad("expired"));
        }
        if !claims["events"].as_object().is_some_and(|e| e.get(EVENT).is_some_and(Value::is_object)) {
            return Err(bad("no back-channel logout event"));
        }
        // An ID token has a nonce and a logout token must not: one cannot pass for the other.
        if claims.get("nonce").is_some() {
            return Err(bad("it carries a nonce"));
        }
        let subject = claims["sub"].as_str().filter(|s| !s.is_empty()).ok_or_else(|| {
            bad("it names no subject (sub): Mediadesk ends a person's sessions, not one provider session")
        })?;
        let token_id =
            claims["jti"].as_str().filter(|s| !s.is_empty()).ok_or_else(|| bad("no token id (jti)"))?;
        Ok(SignedOut {
            issuer: issuer.to_owned(),
            subject: subject.to_owned(),
            token_id: token_id.to_owned(),
            issued_at: iat,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::oidc::SignOnConfig;

    fn sign_on() -> SignOn {
        SignOn::new(SignOnConfig {
            issuer: "https://id.example.org".into(),
            client_id: "mediadesk".into(),
            client_secret: "secret".into(),
            label: "Example".into(),
            create_accounts: false,
            scopes: Vec::new(),
            roles: None,
            quota_claim: None,
            auto_sign_in: false,
        })
        .unwrap()
    }

    fn token(id: &str, issued_at: i64) -> SignedOut {
        SignedOut {
            issuer: "https://id.example.org".into(),
            subject: "olga".into(),
            token_id: id.into(),
            issued_at,
        }
    }

    #[test]
    fn tokens_acted_on_are_remembered_while_they_could_pass_the_age_check() {
        let s = sign_on();
        s.acted_on(&token("a", 1_000), 1_000);
        s.acted_on(&token("b", 1_500), 1_500);
        let held = |s: &SignOn| {
            let mut ids: Vec<String> = s.logouts_seen.lock().unwrap().keys().cloned().collect();
            ids.sort();
            ids
        };
        assert_eq!(held(&s), ["a", "b"]);
        // At 1 000 + 660 s, "a" could no longer pass (600 s old, 60 s of skew): forgotten.
        s.acted_on(&token("c", 1_661), 1_661);
        assert_eq!(held(&s), ["b", "c"]);
    }
}

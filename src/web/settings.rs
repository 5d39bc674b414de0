//! Settings of the HTTP layer, read from the [`Config`] once at start.

use anyhow::Context;
use sha2::{Digest, Sha512};

use actix_web::cookie::Key;

use std::sync::Arc;
use std::time::Duration;

use super::anonymous::AnonymousRequests;
use super::stash::WorkStash;
use crate::app::load_or_create_secret;
use crate::auth::oidc::SignOn;
use crate::auth::{Clock, SessionLimits};
use crate::config::{Config, StorageConfig};

/// Settings of the HTTP layer.
#[derive(Clone)]
pub struct WebSettings {
    /// Signs and encrypts the session cookie.
    pub session_key: Key,
    /// `Secure` cookies; on when the public URL is `https://`.
    pub secure_cookies: bool,
    /// Use `X-Forwarded-For` for the client address (only behind a proxy that sets it).
    pub trust_forwarded: bool,
    /// Origins besides our own that serve media (the S3 endpoint), for the CSP.
    pub media_origins: Vec<String>,
    /// Base for absolute share links, e.g. `https://media.example.com`.
    pub public_url: String,
    /// Serve Prometheus metrics at `/metrics` on the public port.
    pub metrics: bool,
    /// When set, `/metrics` answers only requests bearing this token.
    pub metrics_token: Option<String>,
    /// How long a session lives after sign-in and after its last request.
    pub session_limits: SessionLimits,
    /// The time sessions are judged by (tests move it).
    pub clock: Clock,
    /// A request whose body sends nothing for this long is ended.
    pub body_idle: Duration,
    /// The upload page sends files larger than this in pieces of `piece_bytes` (tus).
    pub resumable_above: u64,
    pub piece_bytes: u64,
    /// Requests one address may have in flight at once before signing in.
    pub max_anonymous_per_address: usize,
    /// Those requests, counted (shared by every worker).
    pub anonymous: Arc<AnonymousRequests>,
    /// Access-token lookups in flight per address (see `guard.rs`).
    pub token_lookups: Arc<AnonymousRequests>,
    /// Work posted after its session ended, waiting for the sign-in.
    pub work: Arc<WorkStash>,
    /// Where webhooks go, if anywhere (the audit page says how delivery stands).
    pub webhook_url: Option<String>,
    /// The OpenID Connect provider people may sign in through, if any.
    pub sign_on: Option<Arc<SignOn>>,
    /// Whether accounts may sign in with a password (off: single sign-on only).
    pub password_sign_in: bool,
    /// Sites whose pages may read the JSON API (`*`: any).
    pub api_origins: Vec<String>,
}

impl WebSettings {
    /// The settings `config` asks for; the session key is kept in the data folder unless given.
    pub fn from_config(config: &Config) -> anyhow::Result<WebSettings> {
        let session_secret = match &config.session_key {
            Some(k) => Sha512::digest(k.as_bytes()).to_vec(),
            None => load_or_create_secret(&config.data_dir.join("session.key"))
                .context("MEDIADESK_DATA_DIR: cannot keep the session key")?,
        };
        Ok(WebSettings {
            session_key: Key::try_from(session_secret.as_slice())
                .context("MEDIADESK_SESSION_KEY: too short")?,
            secure_cookies: config.public_url.starts_with("https://"),
            trust_forwarded: config.trust_forwarded,
            media_origins: if config.s3_via_app { Vec::new() } else { media_origins(&config.storage) },
            public_url: config.public_url.clone(),
            // With an address of their own, metrics are not on the public port at all.
            metrics: config.metrics && config.metrics_bind.is_none(),
            metrics_token: config.metrics_token.clone(),
            session_limits: SessionLimits {
                lifetime: config.session_lifetime.as_secs() as i64,
                idle: config.session_idle.as_secs() as i64,
            },
            clock: Clock::default(),
            body_idle: config.body_idle,
            resumable_above: config.resumable_above,
            piece_bytes: config.piece_bytes,
            max_anonymous_per_address: config.max_anonymous_per_address,
            anonymous: Arc::default(),
            token_lookups: Arc::default(),
            work: Arc::default(),
            webhook_url: config.webhook.as_ref().map(|w| w.url.clone()),
            sign_on: match &config.sign_on {
                Some(c) => Some(Arc::new(SignOn::new(c.clone()).context("MEDIADESK_OIDC_ISSUER")?)),
                None => None,
            },
            password_sign_in: config.password_sign_in,
            api_origins: config.api_origins.clone(),
        })
    }

    /// App-relative URLs (local-store links) become absolute; S3 URLs already are.
    pub fn absolute_url(&self, url: &str) -> String {
        if url.starts_with("http://") || url.starts_with("https://") {
            url.to_owned()
        } else {
            format!("{}{url}", self.public_url.trim_end_matches('/'))
        }
    }

    pub(super) fn csp(&self) -> String {
        let extra = self.media_origins.join(" ");
        // `form-action` stays 'self': what sends a browser on to the sign-on provider is a link,
        // or a page of our own, never a form's redirect (see `pages/sign_on.rs`).
        format!(
            "default-src 'self'; img-src 'self' {extra}; media-src 'self' {extra}; script-src 'self'; \
             style-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        )
    }
}

/// Where browsers fetch signed S3 URLs from, for the Content-Security-Policy.
fn media_origins(storage: &StorageConfig) -> Vec<String> {
    match storage {
        StorageConfig::Local { .. } => Vec::new(),
        StorageConfig::S3(s) => match s.public_endpoint.as_ref().or(s.endpoint.as_ref()) {
            Some(endpoint) => vec![endpoint.trim_end_matches('/').to_owned()],
            None if s.path_style => vec![format!("https://s3.{}.amazonaws.com", s.region)],
            None => vec![format!("https://{}.s3.{}.amazonaws.com", s.bucket, s.region)],
        },
    }
}

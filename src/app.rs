//! Builds the parts every command needs (database, object store, media service) from a [`Config`].

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use crate::auth::AccountService;
use crate::config::{Config, StorageConfig};
use crate::db::Db;
use crate::media::{MediaService, MediaSettings};
use crate::storage::{LocalStore, ObjectStore, S3Store, UrlSigner};
use crate::web::WebSettings;
use actix_web::cookie::Key;
use sha2::{Digest, Sha512};

/// Route that serves app-signed object URLs for the local store.
pub const SIGNED_FILES_ROUTE: &str = "/files";

/// The assembled application: cheap to clone, shared by all workers.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub store: Arc<dyn ObjectStore>,
    pub media: MediaService,
    pub accounts: AccountService,
    pub web: WebSettings,
}

impl App {
    /// Connects to the database (applying migrations) and the object store.
    pub async fn build(config: &Config) -> anyhow::Result<App> {
        tokio::fs::create_dir_all(&config.data_dir)
            .await
            .with_context(|| format!("MEDIADESK_DATA_DIR: cannot create {}", config.data_dir.display()))?;
        let db = Db::connect(&config.database_url, config.db_pool_size)
            .await
            .with_context(|| format!("DATABASE_URL: cannot open {}", config.database_display()))?;
        let secret = match &config.url_signing_key {
            Some(k) => k.as_bytes().to_vec(),
            None => load_or_create_secret(&config.data_dir.join("url-signing.key"))
                .context("MEDIADESK_DATA_DIR: cannot keep the URL signing key")?,
        };
        let signer = UrlSigner::new(&secret, SIGNED_FILES_ROUTE);
        let store: Arc<dyn ObjectStore> = match &config.storage {
            StorageConfig::Local { root } => Arc::new(
                LocalStore::open(root, signer.clone())
                    .await
                    .with_context(|| format!("MEDIADESK_DATA_DIR: cannot create {}", root.display()))?,
            ),
            StorageConfig::S3(settings) => {
                let mut s3 = S3Store::new(settings);
                if config.s3_via_app {
                    s3 = s3.served_by_app(signer.clone());
                }
                s3.ping().await.with_context(|| {
                    format!("MEDIADESK_S3_BUCKET: cannot reach bucket {:?}", settings.bucket)
                })?;
                Arc::new(s3)
            }
        };
        let mut settings = MediaSettings::new(config.data_dir.join("spool"));
        settings.max_upload_bytes = config.max_upload_bytes;
        settings.default_url_ttl = config.url_ttl;
        let media = MediaService::new(db.clone(), store.clone(), settings);
        let session_secret = match &config.session_key {
            Some(k) => Sha512::digest(k.as_bytes()).to_vec(),
            None => load_or_create_secret(&config.data_dir.join("session.key"))
                .context("MEDIADESK_DATA_DIR: cannot keep the session key")?,
        };
        let web = WebSettings {
            session_key: Key::try_from(session_secret.as_slice())
                .context("MEDIADESK_SESSION_KEY: too short")?,
            secure_cookies: config.public_url.starts_with("https://"),
            trust_forwarded: config.trust_forwarded,
            media_origins: if config.s3_via_app { Vec::new() } else { media_origins(&config.storage) },
            public_url: config.public_url.clone(),
            metrics: config.metrics,
        };
        Ok(App { accounts: AccountService::new(db.clone()), db, store, media, web })
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

/// Reads a secret kept in the data folder, creating a random one the first time.
pub fn load_or_create_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let bytes = hex::decode(existing.trim()).with_context(|| format!("{} is not hex", path.display()))?;
        anyhow::ensure!(bytes.len() >= 32, "{} is too short", path.display());
        return Ok(bytes);
    }
    let mut bytes = vec![0u8; 64];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    write_private(path, &hex::encode(&bytes))?;
    Ok(bytes)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(contents.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents)?;
    Ok(())
}

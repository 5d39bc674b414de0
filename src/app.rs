//! Builds the parts every command needs (database, object store, media service) from a [`Config`].

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use crate::auth::AccountService;
use crate::config::{Config, StorageConfig};
use crate::db::Db;
use crate::media::{MediaService, MediaSettings};
use crate::storage::{LocalStore, ObjectStore, S3Store, UrlSigner};

/// Route that serves app-signed object URLs for the local store.
pub const SIGNED_FILES_ROUTE: &str = "/files";

/// The core every command needs, whatever talks to it (the web server, the CLI): cheap to
/// clone, shared by all workers.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub store: Arc<dyn ObjectStore>,
    pub media: MediaService,
    pub accounts: AccountService,
    /// Connections of each HTTP worker's own pool (see [`App::for_worker`]).
    pub worker_pool_size: usize,
}

impl App {
    /// Connects to the database (applying migrations) and the object store.
    pub async fn build(config: &Config) -> anyhow::Result<App> {
        // The HTTP workers share `MEDIADESK_DB_POOL_SIZE`, each a pool of its own (at least
        // two); what runs outside them (housekeeping, the start) keeps a small one.
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        let worker_pool_size = (config.db_pool_size / workers).max(2);
        let db = Self::database(config, config.db_pool_size.min(4)).await?;
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
        settings.resumable_expiry = config.resumable_expiry;
        settings.trash_days = config.trash_days;
        settings.default_quota = config.default_quota;
        settings.share_max_lifetime =
            config.share_max_days.map(|d| std::time::Duration::from_secs(d * 86_400));
        settings.share_url_ttl = config.share_url_ttl;
        settings.strip_metadata = config.strip_metadata;
        settings.link_import = config.link_import.clone();
        let media = MediaService::new(db.clone(), store.clone(), settings);
        Ok(App { accounts: AccountService::new(db.clone()), db, store, media, worker_pool_size })
    }
}

impl App {
    /// The app for one HTTP worker thread, with a database pool of its own (see
    /// [`Db::for_thread`]); called on that thread.
    pub fn for_worker(&self) -> anyhow::Result<App> {
        let db = self.db.for_thread(self.worker_pool_size)?;
        Ok(App {
            media: self.media.with_db(db.clone()),
            accounts: self.accounts.with_db(db.clone()),
            db,
            ..self.clone()
        })
    }

    /// Opens the database (creating the data folder and applying migrations), nothing else:
    /// for the commands that only need accounts.
    async fn database(config: &Config, pool_size: usize) -> anyhow::Result<Db> {
        tokio::fs::create_dir_all(&config.data_dir)
            .await
            .with_context(|| format!("MEDIADESK_DATA_DIR: cannot create {}", config.data_dir.display()))?;
        keep_private(&config.data_dir, 0o700);
        Db::connect(&config.database_url, pool_size)
            .await
            .with_context(|| format!("DATABASE_URL: cannot open {}", config.database_display()))
    }

    /// Applies the migrations.
    pub async fn migrate(config: &Config) -> anyhow::Result<()> {
        Self::database(config, 1).await.map(drop)
    }

    /// The account service alone, without the object store.
    pub async fn accounts(config: &Config) -> anyhow::Result<AccountService> {
        Ok(AccountService::new(Self::database(config, 2).await?))
    }
}

/// Takes group and other access away from `path` (a data folder made before Mode 0700 was the
/// rule); a folder that is not ours to change is left as it is, with a warning.
#[cfg(unix)]
fn keep_private(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else { return };
    if meta.permissions().mode() & 0o077 == 0 {
        return;
    }
    if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
        tracing::warn!(path = %path.display(), error = %e, "could not make the data folder private");
    }
}

#[cfg(not(unix))]
fn keep_private(_: &Path, _: u32) {}

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

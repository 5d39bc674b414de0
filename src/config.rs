//! Configuration from the environment. With nothing set, Mediadesk runs on the embedded
//! defaults: SQLite and a local folder under `./data`, serving on 127.0.0.1:8080.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

use crate::auth::oidc::{GroupRoles, SignOnConfig};
use crate::db::Backend;
use crate::storage::S3Settings;

/// A bad setting, named by its variable. Never contains the value of a secret.
#[derive(Debug, Error)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

fn err(var: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError { var, reason: reason.into() }
}

#[derive(Clone, Debug)]
pub enum StorageConfig {
    /// Objects as files under this folder.
    Local {
        root: PathBuf,
    },
    S3(S3Settings),
}

#[derive(Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    /// A `postgres://` URL or a SQLite file path. May hold a password: see [`Config::database_display`].
    pub database_url: String,
    pub db_pool_size: usize,
    pub storage: StorageConfig,
    pub max_upload_bytes: u64,
    pub url_ttl: Duration,
    /// Secret for app-signed URLs; `None` means generate once and keep it in the data folder.
    pub url_signing_key: Option<String>,
    /// Secret for the session cookie; `None` means generate once and keep it in the data folder.
    pub session_key: Option<String>,
    /// Where browsers reach the app; decides `Secure` cookies and absolute share links.
    pub public_url: String,
    /// Whether `MEDIADESK_PUBLIC_URL` was set; if not, the URL follows the address listened on.
    pub public_url_given: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded: bool,
    /// Serve Prometheus metrics at `/metrics`: only behind `metrics_token`, or on `metrics_bind`.
    pub metrics: bool,
    /// Scrapers send `Authorization: Bearer {token}`.
    pub metrics_token: Option<String>,
    /// Serve `/metrics` on this address instead of the public one.
    pub metrics_bind: Option<SocketAddr>,
    /// A session ends this long after sign-in, whatever happens.
    pub session_lifetime: Duration,
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// A request body that sends nothing for this long ends its request.
    pub body_idle: Duration,
    /// Requests one address may have in flight at once before signing in.
    pub max_anonymous_per_address: usize,
    /// The upload page sends files larger than this in pieces (tus).
    pub resumable_above: u64,
    /// The size of those pieces.
    pub piece_bytes: u64,
    /// A resumable upload that gets no piece for this long is removed.
    pub resumable_expiry: Duration,
    /// Days a deleted item stays in the trash; 0 deletes at once.
    pub trash_days: u32,
    /// Bytes an account may store unless an admin sets its own quota; unset: unlimited.
    pub default_quota: Option<u64>,
    /// Days the audit log keeps a row.
    pub audit_days: u32,
    /// Admins' cap on share links' lifetime, in days; `None`: links may live until revoked.
    pub share_max_days: Option<u64>,
    /// How long a share page's byte URLs live (1–60 s).
    pub share_url_ttl: Duration,
    /// Where location and device data is removed from images.
    pub strip_metadata: crate::domain::StripPolicy,
    /// Whether users may add files from links (`MEDIADESK_LINK_IMPORT`), and the networks
    /// inside (private, loopback…) that links may reach all the same
    /// (`MEDIADESK_LINK_IMPORT_ALLOW`).
    pub link_import: crate::media::LinkImport,
    /// How long in-flight requests (uploads above all) get to finish after SIGTERM.
    pub shutdown_timeout: Duration,
    /// With S3: browsers get app-signed links and the app streams the bytes, instead of
    /// presigned URLs to the bucket.
    pub s3_via_app: bool,
    /// Where events are POSTed, if anywhere.
    pub webhook: Option<WebhookConfig>,
    /// The OpenID Connect provider people may sign in through, if any.
    pub sign_on: Option<SignOnConfig>,
    /// Whether accounts may sign in with a password (off only with single sign-on).
    pub password_sign_in: bool,
    /// Sites whose pages may read the JSON API from the browser (`*`: any); none by default.
    pub api_origins: Vec<String>,
}

/// The receiver of webhooks, the key they are signed with, and which audit actions are sent.
#[derive(Clone)]
pub struct WebhookConfig {
    pub url: String,
    pub key: Vec<u8>,
    pub actions: Vec<crate::domain::AuditAction>,
}

/// What happens to media: sent unless `MEDIADESK_WEBHOOK_EVENTS` says otherwise.
pub const DEFAULT_WEBHOOK_EVENTS: &str = concat!(
    "upload,edit,trash,restore,delete,purge,replace,roll_back,turn,crop,share,unshare,",
    "create_collection,change_collection,delete_collection,add_to_collection,remove_from_collection"
);

/// Shortest key a webhook secret may decode to.
const MIN_WEBHOOK_KEY_BYTES: usize = 24;

/// `MEDIADESK_API_ORIGINS`: `*`, or origins (`https://site.example[:port]`) separated by commas.
fn api_origins(var: &impl Fn(&str) -> Option<String>) -> Result<Vec<String>, ConfigError> {
    let Some(raw) = var("MEDIADESK_API_ORIGINS") else { return Ok(Vec::new()) };
    let listed: Vec<String> =
        raw.split(',').map(|o| o.trim().trim_end_matches('/').to_owned()).filter(|o| !o.is_empty()).collect();
    if listed.len() == 1 && listed[0] == "*" {
        return Ok(listed);
    }
    for origin in &listed {
        let rest = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
        if !rest.is_some_and(|r| !r.is_empty() && !r.contains(['/', '*', '?', '#', ' '])) {
            return Err(err(
                "MEDIADESK_API_ORIGINS",
                format!("{origin:?} is not an origin: * alone, or scheme://host[:port] separated by commas"),
            ));
        }
    }
    Ok(listed)
}

/// Single sign-on: all of issuer, client id and secret, or none of them.
fn sign_on_config(var: &impl Fn(&str) -> Option<String>) -> Result<Option<SignOnConfig>, ConfigError> {
    const ISSUER: &str = "MEDIADESK_OIDC_ISSUER";
    let Some(issuer) = var(ISSUER) else {
        for other in
            ["MEDIADESK_OIDC_CLIENT_ID", "MEDIADESK_OIDC_CLIENT_SECRET", "MEDIADESK_OIDC_AUTO_SIGN_IN"]
        {
            if var(other).is_some() {
                return Err(err(ISSUER, format!("{other} is set but no provider to use it with")));
            }
        }
        return Ok(None);
    };
    if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
        return Err(err(ISSUER, "must start with https:// (the provider's issuer URL)"));
    }
    let client_id = var("MEDIADESK_OIDC_CLIENT_ID")
        .ok_or_else(|| err("MEDIADESK_OIDC_CLIENT_ID", "required with MEDIADESK_OIDC_ISSUER"))?;
    let client_secret = var("MEDIADESK_OIDC_CLIENT_SECRET")
        .ok_or_else(|| err("MEDIADESK_OIDC_CLIENT_SECRET", "required with MEDIADESK_OIDC_ISSUER"))?;
    let label = var("MEDIADESK_OIDC_LABEL").unwrap_or_else(|| "single sign-on".into());
    if label.chars().count() > 60 {
        return Err(err("MEDIADESK_OIDC_LABEL", "at most 60 characters"));
    }
    let create_accounts = match var("MEDIADESK_OIDC_CREATE_ACCOUNTS") {
        None => false,
        Some(v) => {
            parse_bool(&v).ok_or_else(|| err("MEDIADESK_OIDC_CREATE_ACCOUNTS", "must be true or false"))?
        }
    };
    let list = |name: &str| -> Vec<String> {
        var(name)
            .map(|v| v.split([',', ' ']).filter(|g| !g.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let scopes = list("MEDIADESK_OIDC_SCOPES");
    if scopes.iter().any(|s| !s.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')) {
        return Err(err(
            "MEDIADESK_OIDC_SCOPES",
            "scope names are printable ASCII, separated by commas or spaces",
        ));
    }
    let (admin, staff) = (list("MEDIADESK_OIDC_ADMIN_GROUPS"), list("MEDIADESK_OIDC_STAFF_GROUPS"));
    let claim = var("MEDIADESK_OIDC_GROUPS_CLAIM");
    let roles = if admin.is_empty() && staff.is_empty() {
        if claim.is_some() {
            return Err(err(
                "MEDIADESK_OIDC_GROUPS_CLAIM",
                "set MEDIADESK_OIDC_ADMIN_GROUPS or MEDIADESK_OIDC_STAFF_GROUPS to give roles from groups",
            ));
        }
        None
    } else {
        Some(GroupRoles { claim: claim.unwrap_or_else(|| "groups".into()), admin, staff })
    };
    let quota_claim = var("MEDIADESK_OIDC_QUOTA_CLAIM");
    let auto_sign_in = match var("MEDIADESK_OIDC_AUTO_SIGN_IN") {
        None => false,
        Some(v) => {
            parse_bool(&v).ok_or_else(|| err("MEDIADESK_OIDC_AUTO_SIGN_IN", "must be true or false"))?
        }
    };
    Ok(Some(SignOnConfig {
        auto_sign_in,
        scopes,
        roles,
        quota_claim,
        // Exactly as given: the provider's `iss` must match it, trailing slash and all.
        issuer,
        client_id,
        client_secret,
        label,
        create_accounts,
    }))
}

fn webhook_config(var: &impl Fn(&str) -> Option<String>) -> Result<Option<WebhookConfig>, ConfigError> {
    use base64::Engine;
    let Some(url) = var("MEDIADESK_WEBHOOK_URL") else {
        if var("MEDIADESK_WEBHOOK_SECRET").is_some() {
            return Err(err("MEDIADESK_WEBHOOK_URL", "a webhook secret is set but no URL to send to"));
        }
        return Ok(None);
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(err("MEDIADESK_WEBHOOK_URL", "must start with http:// or https://"));
    }
    let bad_secret = || {
        err(
            "MEDIADESK_WEBHOOK_SECRET",
            format!(
                "required with a webhook URL: whsec_ and at least {MIN_WEBHOOK_KEY_BYTES} random bytes in \
                 base64 (echo whsec_$(openssl rand -base64 32))"
            ),
        )
    };
    let secret = var("MEDIADESK_WEBHOOK_SECRET").ok_or_else(bad_secret)?;
    let key = secret
        .strip_prefix("whsec_")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .filter(|k| k.len() >= MIN_WEBHOOK_KEY_BYTES)
        .ok_or_else(bad_secret)?;
    let events = var("MEDIADESK_WEBHOOK_EVENTS").unwrap_or_else(|| DEFAULT_WEBHOOK_EVENTS.to_owned());
    let actions = if events == "all" {
        crate::domain::AuditAction::ALL.to_vec()
    } else {
        events
            .split(',')
            .map(|a| {
                a.trim().parse().map_err(|_| {
                    err("MEDIADESK_WEBHOOK_EVENTS", format!("not an audit action: {:?} (or all)", a.trim()))
                })
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    Ok(Some(WebhookConfig { url, key, actions }))
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database", &self.database_display())
            .field("db_pool_size", &self.db_pool_size)
            .field("storage", &self.storage)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("url_ttl", &self.url_ttl)
            .field("webhook", &self.webhook.as_ref().map(|w| &w.url))
            .field("sign_on", &self.sign_on.as_ref().map(|s| &s.issuer))
            .finish_non_exhaustive()
    }
}

pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 100 * 1024 * 1024;

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `get`, so tests can pass a map instead of the environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let var = |name: &str| get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let bind = match var("MEDIADESK_BIND") {
            Some(v) => v.parse().map_err(|_| {
                err("MEDIADESK_BIND", format!("not a socket address like 127.0.0.1:8080: {v:?}"))
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let data_dir = PathBuf::from(var("MEDIADESK_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = match var("DATABASE_URL") {
            Some(url) => {
                if url.contains("://") && !url.starts_with("postgres") && !url.starts_with("sqlite://") {
                    return Err(err(
                        "DATABASE_URL",
                        "must be postgres://…, postgresql://…, sqlite://… or a file path",
                    ));
                }
                url
            }
            None => data_dir.join("mediadesk.db").to_string_lossy().into_owned(),
        };
        let default_pool = match Backend::from_url(&database_url) {
            Backend::Postgres => 8,
            Backend::Sqlite => 4,
        };
        let db_pool_size = parse_num(&var, "MEDIADESK_DB_POOL_SIZE", default_pool, 1, 1024)? as usize;

        let storage = match var("MEDIADESK_S3_BUCKET") {
            None => StorageConfig::Local { root: data_dir.join("objects") },
            Some(bucket) => {
                let endpoint = var("MEDIADESK_S3_ENDPOINT");
                if let Some(e) = &endpoint
                    && !(e.starts_with("http://") || e.starts_with("https://"))
                {
                    return Err(err("MEDIADESK_S3_ENDPOINT", "must start with http:// or https://"));
                }
                let access_key = var("AWS_ACCESS_KEY_ID")
                    .ok_or_else(|| err("AWS_ACCESS_KEY_ID", "required when MEDIADESK_S3_BUCKET is set"))?;
                let secret_key = var("AWS_SECRET_ACCESS_KEY").ok_or_else(|| {
                    err("AWS_SECRET_ACCESS_KEY", "required when MEDIADESK_S3_BUCKET is set")
                })?;
                let path_style = match var("MEDIADESK_S3_PATH_STYLE") {
                    Some(v) => parse_bool(&v)
                        .ok_or_else(|| err("MEDIADESK_S3_PATH_STYLE", "must be true or false"))?,
                    None => endpoint.is_some(),
                };
                let public_endpoint = var("MEDIADESK_S3_PUBLIC_ENDPOINT");
                if public_endpoint
                    .as_ref()
                    .is_some_and(|e| !(e.starts_with("http://") || e.starts_with("https://")))
                {
                    return Err(err("MEDIADESK_S3_PUBLIC_ENDPOINT", "must start with http:// or https://"));
                }
                StorageConfig::S3(S3Settings {
                    bucket,
                    endpoint,
                    public_endpoint,
                    region: var("AWS_REGION")
                        .or_else(|| var("AWS_DEFAULT_REGION"))
                        .unwrap_or_else(|| "us-east-1".into()),
                    access_key,
                    secret_key,
                    path_style,
                    attempt_timeout: Duration::from_secs(parse_num(
                        &var,
                        "MEDIADESK_S3_TIMEOUT_SECS",
                        60,
                        1,
                        3600,
                    )?),
                    max_attempts: 3,
                })
            }
        };
        let max_upload_bytes = parse_num(
            &var,
            "MEDIADESK_MAX_UPLOAD_BYTES",
            DEFAULT_MAX_UPLOAD_BYTES,
            1,
            5 * 1024 * 1024 * 1024,
        )?;
        let url_ttl = Duration::from_secs(parse_num(&var, "MEDIADESK_URL_TTL_SECS", 3600, 1, 7 * 24 * 3600)?);
        let url_signing_key = var("MEDIADESK_URL_SIGNING_KEY");
        if url_signing_key.as_ref().is_some_and(|k| k.len() < 32) {
            return Err(err("MEDIADESK_URL_SIGNING_KEY", "must be at least 32 characters"));
        }
        let session_key = var("MEDIADESK_SESSION_KEY");
        if session_key.as_ref().is_some_and(|k| k.len() < 64) {
            return Err(err("MEDIADESK_SESSION_KEY", "must be at least 64 characters"));
        }
        let given = var("MEDIADESK_PUBLIC_URL");
        let public_url_given = given.is_some();
        let public_url = given.unwrap_or_else(|| default_public_url(bind));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(err("MEDIADESK_PUBLIC_URL", "must start with http:// or https://"));
        }
        let trust_forwarded = match var("MEDIADESK_TRUST_FORWARDED") {
            Some(v) => {
                parse_bool(&v).ok_or_else(|| err("MEDIADESK_TRUST_FORWARDED", "must be true or false"))?
            }
            None => false,
        };
        let metrics_token = var("MEDIADESK_METRICS_TOKEN");
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(err("MEDIADESK_METRICS_TOKEN", "must be at least 16 characters"));
        }
        let metrics_bind = match var("MEDIADESK_METRICS_BIND") {
            Some(v) => Some(v.parse().map_err(|_| {
                err("MEDIADESK_METRICS_BIND", format!("not a socket address like 127.0.0.1:9090: {v:?}"))
            })?),
            None => None,
        };
        let metrics = match var("MEDIADESK_METRICS") {
            Some(v) => parse_bool(&v).ok_or_else(|| err("MEDIADESK_METRICS", "must be true or false"))?,
            None => metrics_token.is_some() || metrics_bind.is_some(),
        };
        if metrics && metrics_token.is_none() && metrics_bind.is_none() {
            return Err(err(
                "MEDIADESK_METRICS",
                "metrics are never public: set MEDIADESK_METRICS_TOKEN (a bearer token) or \
                 MEDIADESK_METRICS_BIND (an address of their own) as well",
            ));
        }
        let s3_via_app = match var("MEDIADESK_S3_DELIVERY").as_deref() {
            None | Some("presigned") => false,
            Some("app") => true,
            Some(other) => {
                return Err(err("MEDIADESK_S3_DELIVERY", format!("must be presigned or app, got {other:?}")));
            }
        };
        let session_lifetime =
            Duration::from_secs(3600 * parse_num(&var, "MEDIADESK_SESSION_HOURS", 12, 1, 24 * 90)?);
        let session_idle = Duration::from_secs(
            60 * parse_num(&var, "MEDIADESK_SESSION_IDLE_MINUTES", 120, 1, 24 * 60 * 90)?,
        );
        let body_idle = Duration::from_secs(parse_num(&var, "MEDIADESK_BODY_IDLE_SECS", 60, 1, 3600)?);
        let max_anonymous_per_address =
            parse_num(&var, "MEDIADESK_ANONYMOUS_REQUESTS_PER_ADDRESS", 32, 1, 100_000)? as usize;
        let shutdown_timeout =
            Duration::from_secs(parse_num(&var, "MEDIADESK_SHUTDOWN_TIMEOUT_SECS", 30, 0, 3600)?);
        const MIB: u64 = 1024 * 1024;
        let resumable_above = MIB * parse_num(&var, "MEDIADESK_RESUMABLE_ABOVE_MB", 16, 1, 1024 * 1024)?;
        // Proxies in front commonly cap a body at 100 MB; 50 MiB pieces stay well under.
        let piece_bytes = MIB * parse_num(&var, "MEDIADESK_PIECE_MB", 16, 1, 50)?;
        let resumable_expiry =
            Duration::from_secs(3600 * parse_num(&var, "MEDIADESK_RESUMABLE_EXPIRY_HOURS", 24, 1, 24 * 30)?);
        let trash_days = parse_num(&var, "MEDIADESK_TRASH_DAYS", 30, 0, 3650)? as u32;
        let default_quota = match var("MEDIADESK_DEFAULT_QUOTA") {
            None => None,
            Some(v) => match crate::domain::Quota::parse(&v) {
                Ok(q) => q.limit(None),
                Err(why) => return Err(err("MEDIADESK_DEFAULT_QUOTA", why)),
            },
        };
        let audit_days = parse_num(&var, "MEDIADESK_AUDIT_DAYS", 365, 1, 36500)? as u32;
        let share_max_days = match var("MEDIADESK_SHARE_MAX_DAYS") {
            None => None,
            Some(_) => Some(parse_num(&var, "MEDIADESK_SHARE_MAX_DAYS", 30, 1, 30)?),
        };
        let strip_metadata = match var("MEDIADESK_STRIP_METADATA") {
            None => crate::domain::StripPolicy::default(),
            Some(v) => v.parse().map_err(|why| err("MEDIADESK_STRIP_METADATA", why))?,
        };
        let share_url_ttl = Duration::from_secs(parse_num(&var, "MEDIADESK_SHARE_URL_SECS", 60, 1, 60)?);
        let link_import = crate::media::LinkImport {
            enabled: match var("MEDIADESK_LINK_IMPORT") {
                None => true,
                Some(v) => {
                    parse_bool(&v).ok_or_else(|| err("MEDIADESK_LINK_IMPORT", "must be true or false"))?
                }
            },
            reachable: crate::media::Reachable::parse(
                var("MEDIADESK_LINK_IMPORT_ALLOW").as_deref().unwrap_or(""),
            )
            .map_err(|why| err("MEDIADESK_LINK_IMPORT_ALLOW", why))?,
            concurrency: parse_num(&var, "MEDIADESK_LINK_IMPORT_CONCURRENCY", 4, 1, 64)? as usize,
            ..Default::default()
        };
        let webhook = webhook_config(&var)?;
        let sign_on = sign_on_config(&var)?;
        let password_sign_in = match var("MEDIADESK_PASSWORD_SIGN_IN") {
            None => true,
            Some(v) => {
                parse_bool(&v).ok_or_else(|| err("MEDIADESK_PASSWORD_SIGN_IN", "must be true or false"))?
            }
        };
        if !password_sign_in && sign_on.is_none() {
            return Err(err(
                "MEDIADESK_PASSWORD_SIGN_IN",
                "false leaves no way to sign in: set up single sign-on (MEDIADESK_OIDC_ISSUER) too",
            ));
        }
        let api_origins = api_origins(&var)?;
        Ok(Config {
            sign_on,
            password_sign_in,
            webhook,
            api_origins,
            audit_days,
            share_max_days,
            share_url_ttl,
            strip_metadata,
            link_import,
            trash_days,
            default_quota,
            resumable_above,
            piece_bytes,
            resumable_expiry,
            metrics,
            metrics_token,
            metrics_bind,
            session_lifetime,
            session_idle,
            body_idle,
            max_anonymous_per_address,
            shutdown_timeout,
            s3_via_app,
            bind,
            data_dir,
            database_url,
            db_pool_size,
            storage,
            max_upload_bytes,
            url_ttl,
            url_signing_key,
            session_key,
            public_url,
            public_url_given,
            trust_forwarded,
        })
    }

    /// The server listens on `addr`: a public URL left to its default names that address,
    /// so that port 0 (the system picks one) gives links to the port it picked.
    pub fn listening_on(&mut self, addr: SocketAddr) {
        if !self.public_url_given {
            self.public_url = default_public_url(addr);
        }
        self.bind = addr;
    }

    /// The database location with any password replaced, fit for logs.
    pub fn database_display(&self) -> String {
        redact_url(&self.database_url)
    }
}

/// Where links point when no public URL is set: the address listened on, or `localhost` for
/// "every address" (`0.0.0.0`, as in the container), which no browser should be sent to.
fn default_public_url(bind: SocketAddr) -> String {
    if bind.ip().is_unspecified() {
        format!("http://localhost:{}", bind.port())
    } else {
        format!("http://{bind}")
    }
}

fn parse_num(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(err(name, format!("must be a whole number from {min} to {max}, got {v:?}"))),
        },
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`. The query is left out (it
/// may hold a `password=`) except a `host=` naming a Unix socket's folder, which says where the
/// database really is.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (masked, host) = match rest.rsplit_once('@') {
        Some((auth, host)) => match auth.split_once(':') {
            Some((user, _)) => (format!("{user}:***@"), host),
            None => (format!("{auth}@"), host),
        },
        None => (String::new(), rest),
    };
    let socket = query.split('&').find_map(|p| p.strip_prefix("host=")).filter(|h| h.starts_with('/'));
    match socket {
        Some(folder) => format!("{scheme}://{masked}{host} (Unix socket in {folder})"),
        None => format!("{scheme}://{masked}{host}"),
    }
}

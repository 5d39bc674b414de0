//! Mediadesk: a self-hosted, server-rendered admin for images and audio.
//!
//! Layers, each calling only down: [`web`] → [`media`] → [`db`] / [`storage`].

pub mod app;
pub mod auth;
pub mod cli;
pub mod client;
pub mod config;
pub mod db;
pub mod domain;
pub mod http_text;
pub mod media;
pub mod memo;
pub mod metrics;
pub mod ops;
pub mod password_hash;
pub mod secret_token;
pub mod storage;
pub mod telemetry;
pub mod web;
pub mod webhooks;

use std::time::Duration;

pub use app::App;
pub use config::Config;

/// How often object deletions that failed are retried (and expired resumable uploads removed).
const DELETION_RETRY_INTERVAL: Duration = Duration::from_secs(60);
const STALE_SPOOL_AGE: Duration = Duration::from_secs(3600);

/// Runs the web server until SIGINT/SIGTERM.
pub async fn serve(mut config: Config) -> anyhow::Result<()> {
    let app = App::build(&config).await?;
    // Spool files of a process that was killed outright; an upload in progress keeps writing
    // to its file, so an hour without a write means nobody will.
    match media::spool::sweep_stale(&app.media.settings().spool_dir, STALE_SPOOL_AGE).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "removed spool files of interrupted uploads"),
        Err(e) => tracing::warn!(error = %e, "could not sweep the spool folder"),
    }
    // Everything that can fail comes before the screen says "running": a port in use stops the
    // start with one line instead of after a screen that told the person where to open it.
    let listener = listen("MEDIADESK_BIND", config.bind)?;
    let metrics_listener =
        config.metrics_bind.map(|addr| listen("MEDIADESK_METRICS_BIND", addr)).transpose()?;
    // The addresses as bound, so that port 0 shows the port the system chose.
    let bound = Bound {
        web: listener.local_addr()?,
        metrics: metrics_listener.as_ref().map(|l| l.local_addr()).transpose()?,
    };
    config.listening_on(bound.web);
    let retry = tokio::spawn(housekeeping(app.clone(), config.audit_days, config.webhook.is_some()));
    let webhooks = match &config.webhook {
        Some(w) => {
            let settings = webhooks::WebhookSettings::new(w, &config.public_url);
            tracing::info!(url = %settings.url, "sending webhooks");
            let deliverer = webhooks::Deliverer::new(app.db.clone(), settings)?.with_links(app.media.clone());
            Some(tokio::spawn(deliverer.run()))
        }
        None => None,
    };
    let options = web::ServerOptions { workers: None, shutdown_timeout: config.shutdown_timeout };
    let settings = web::WebSettings::from_config(&config)?;
    let metrics = match metrics_listener {
        Some(listener) => Some(tokio::spawn(web::metrics_server(settings.clone(), listener)?)),
        None => None,
    };
    let media = app.media.clone();
    let accounts = app.accounts.count().await.unwrap_or(1);
    let storage = app.store.kind();
    let server = web::server(app, settings, listener, options)?;
    tracing::info!(
        bind = %bound.web,
        database = %config.database_display(),
        storage,
        "Mediadesk starting"
    );
    println!("{}", first_screen(&config, &bound, accounts == 0));
    let result = server.await;
    // Display renditions of the last uploads: stored if they finish within the grace.
    media.settle(config.shutdown_timeout).await;
    retry.abort();
    if let Some(w) = webhooks {
        w.abort();
    }
    if let Some(m) = metrics {
        m.abort();
    }
    result.map_err(Into::into)
}

/// A listener on `addr`, or one line naming the variable, and what to do when the port is taken.
fn listen(var: &str, addr: std::net::SocketAddr) -> anyhow::Result<std::net::TcpListener> {
    std::net::TcpListener::bind(addr).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
            format!(" (another program listens there: set {var} to another port, e.g. {})", next_port(addr))
        } else {
            String::new()
        };
        anyhow::anyhow!("{var}: cannot listen on {addr}: {e}{hint}")
    })
}

fn next_port(mut addr: std::net::SocketAddr) -> std::net::SocketAddr {
    addr.set_port(addr.port().checked_add(1).unwrap_or(8080));
    addr
}

/// The addresses the server listens on.
pub struct Bound {
    pub web: std::net::SocketAddr,
    /// `/metrics` on an address of its own (`MEDIADESK_METRICS_BIND`).
    pub metrics: Option<std::net::SocketAddr>,
}

/// What a person starting the server needs to read first (on standard output; logs go to
/// standard error): where to open it, where the data is, and how to make the first account.
pub fn first_screen(config: &Config, bound: &Bound, no_accounts: bool) -> String {
    let url = |addr: std::net::SocketAddr| {
        if addr.ip().is_unspecified() {
            format!("http://localhost:{}/", addr.port())
        } else {
            format!("http://{addr}/")
        }
    };
    let open = url(bound.web);
    let absolute = |p: &std::path::Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let data = absolute(&config.data_dir);
    let database = match db::Backend::from_url(&config.database_url) {
        db::Backend::Sqlite => {
            let file = config.database_url.trim_start_matches("sqlite://");
            format!("SQLite, {}", absolute(std::path::Path::new(file)).display())
        }
        db::Backend::Postgres => format!("PostgreSQL, {}", config.database_display()),
    };
    let storage = match &config.storage {
        config::StorageConfig::Local { root } => format!("local folder, {}", absolute(root).display()),
        config::StorageConfig::S3(s) => {
            format!("S3 bucket {:?} at {}", s.bucket, s.endpoint.as_deref().unwrap_or("AWS"))
        }
    };
    let mut out = format!(
        "\nMediadesk is running. Open {open}\n  data folder: {}\n  database:    {database}\n  storage:     \
            {storage}\n",
        data.display()
    );
    if let Some(addr) = bound.metrics {
        out.push_str(&format!("  metrics:     {}metrics\n", url(addr)));
    }
    // Listening on every address means others reach it by a name only they know: links made
    // for them (share links, webhooks' item links) need it.
    if bound.web.ip().is_unspecified() && !config.public_url_given {
        out.push_str(&format!(
            "  links:       {} (set MEDIADESK_PUBLIC_URL to the address people use, for share links)\n",
            config.public_url
        ));
    }
    if no_accounts {
        let exe = std::env::current_exe().ok();
        let cwd = std::env::current_dir().ok();
        let program = match (&exe, &cwd) {
            (Some(exe), Some(cwd)) => exe.strip_prefix(cwd).map_or(exe.clone(), |p| p.to_path_buf()),
            _ => "mediadesk".into(),
        };
        out.push_str(&format!(
            "\nNo account exists yet. Create the first admin in another terminal, from this folder\n\
             (type the password, then Enter):\n  {} user add admin --role admin --password-stdin\n",
            program.display()
        ));
    }
    out
}

async fn housekeeping(app: App, audit_days: u32, webhooks: bool) {
    let mut tick = tokio::time::interval(DELETION_RETRY_INTERVAL);
    loop {
        tick.tick().await;
        match app.media.retry_pending_deletions(false).await {
            Ok(r) if r.deleted + r.failed > 0 => {
                tracing::info!(deleted = r.deleted, failed = r.failed, "retried pending object deletions")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pending deletion retry failed"),
        }
        match app.media.purge_expired_trash(db::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(items = n, "purged items whose time in the trash was over"),
            Err(e) => tracing::warn!(error = %e, "could not purge the trash"),
        }
        match app.media.purge_expired_versions(db::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(versions = n, "purged earlier files whose time was over"),
            Err(e) => tracing::warn!(error = %e, "could not purge earlier files"),
        }
        match app.accounts.prune_audit(audit_days, webhooks).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "removed audit log rows past MEDIADESK_AUDIT_DAYS"),
            Err(e) => tracing::warn!(error = %e, "could not prune the audit log"),
        }
        match app.media.expire_resumable(db::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(uploads = n, "removed resumable uploads that expired"),
            Err(e) => tracing::warn!(error = %e, "could not remove expired resumable uploads"),
        }
    }
}

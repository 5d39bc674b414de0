//! Mediadesk: a self-hosted, server-rendered admin for images and audio.
//!
//! Layers, each calling only down: [`web`] → [`media`] → [`db`] / [`storage`].

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod media;
pub mod metrics;
pub mod ops;
pub mod storage;
pub mod telemetry;
pub mod web;

use std::time::Duration;

pub use app::App;
pub use config::Config;

/// How often object deletions that failed are retried.
const DELETION_RETRY_INTERVAL: Duration = Duration::from_secs(60);
const STALE_SPOOL_AGE: Duration = Duration::from_secs(3600);

/// Runs the web server until SIGINT/SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let app = App::build(&config).await?;
    // Spool files of a process that was killed outright; an upload in progress keeps writing
    // to its file, so an hour without a write means nobody will.
    match media::spool::sweep_stale(&app.media.settings().spool_dir, STALE_SPOOL_AGE).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "removed spool files of interrupted uploads"),
        Err(e) => tracing::warn!(error = %e, "could not sweep the spool folder"),
    }
    tracing::info!(
        bind = %config.bind,
        database = %config.database_display(),
        storage = app.store.kind(),
        "Mediadesk starting"
    );
    let retry = tokio::spawn(retry_deletions(app.clone()));
    let listener = std::net::TcpListener::bind(config.bind)
        .map_err(|e| anyhow::anyhow!("MEDIADESK_BIND: cannot listen on {}: {e}", config.bind))?;
    let options = web::ServerOptions { workers: None, shutdown_timeout: config.shutdown_timeout };
    let server = web::server(app, listener, options)?;
    let result = server.await;
    retry.abort();
    result.map_err(Into::into)
}

async fn retry_deletions(app: App) {
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
    }
}

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

/// Runs the web server until SIGINT/SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let app = App::build(&config).await?;
    tracing::info!(
        bind = %config.bind,
        database = %config.database_display(),
        storage = app.store.kind(),
        "Mediadesk starting"
    );
    let retry = tokio::spawn(retry_deletions(app.clone()));
    let listener = std::net::TcpListener::bind(config.bind)
        .map_err(|e| anyhow::anyhow!("MEDIADESK_BIND: cannot listen on {}: {e}", config.bind))?;
    let server = web::server(app, listener, None)?;
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

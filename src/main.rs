use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mediadesk::Config;

/// Mediadesk: a self-hosted admin for images and audio.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web admin (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MEDIADESK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let result = async {
        let config = Config::from_env()?;
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => mediadesk::serve(config).await,
            Command::Migrate => {
                mediadesk::db::Db::connect(&config.database_url, 1).await?;
                println!("migrations applied to {}", config.database_display());
                Ok(())
            }
        }
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the outermost context and its causes.
            eprintln!("mediadesk: {e:#}");
            ExitCode::FAILURE
        }
    }
}

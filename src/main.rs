use std::process::ExitCode;

use clap::Parser;
use mediadesk::Config;
use mediadesk::cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    mediadesk::telemetry::init(cli.log_json);
    let result = async { mediadesk::cli::run(cli, Config::from_env()?).await }.await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the outermost context and its causes.
            eprintln!("mediadesk: {e:#}");
            ExitCode::FAILURE
        }
    }
}

use std::process::ExitCode;

use clap::Parser;
use mediadesk::cli::Cli;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The one-file commands print their result and nothing else: no log thread to start.
    let _logging = (!cli.is_one_file_command()).then(|| mediadesk::telemetry::init(cli.log_json));
    let result = mediadesk::cli::run(cli);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the outermost context and its causes.
            eprintln!("mediadesk: {e:#}");
            ExitCode::FAILURE
        }
    }
}

//! Logging: human-readable by default, JSON lines with `--log-json`; filter with `MEDIADESK_LOG`.

use std::io::IsTerminal;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

/// Sets up logging. Lines are formatted where they happen and written by a thread of their
/// own, so a request never waits on stderr; keep the guard until exit, it flushes the rest.
pub fn init(json: bool) -> WorkerGuard {
    let mut filter = EnvFilter::try_from_env("MEDIADESK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // The decoders narrate every skipped ID3 tag and padding frame: nothing an operator can act on.
    for quiet in ["symphonia_core=error", "symphonia_bundle_mp3=error", "symphonia_format_isomp4=error"] {
        if let Ok(d) = quiet.parse() {
            filter = filter.add_directive(d);
        }
    }
    // The queue is allocated whole up front: a few thousand lines absorb any burst.
    let (writer, guard) =
        NonBlockingBuilder::default().lossy(false).buffered_lines_limit(4096).finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        // Colours for a person at a terminal, not escape codes in a log file.
        .with_ansi(std::io::stderr().is_terminal());
    // A second init (tests) keeps the first subscriber.
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
    guard
}

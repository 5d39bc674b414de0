//! Logging: human-readable by default, JSON lines with `--log-json`; filter with `MEDIADESK_LOG`.

use std::io::IsTerminal;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

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
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        // Colours for a person at a terminal, not escape codes in a log file.
        .with_ansi(std::io::stderr().is_terminal());
    let registry = tracing_subscriber::registry().with(filter).with(UnparsedRequests);
    // A second init (tests) keeps the first subscriber.
    let _ = if json { registry.with(lines.json()).try_init() } else { registry.with(lines).try_init() };
    guard
}

/// actix-http logs every request it cannot parse at ERROR ("stream error: request parse
/// error: …"): a scanner's or a broken client's bytes, already answered 400, nothing an
/// operator can act on, yet the level alerts watch. Those lines are dropped; the dispatcher's
/// other errors (a response body that failed half-way) stay.
struct UnparsedRequests;

impl<S: Subscriber> Layer<S> for UnparsedRequests {
    fn event_enabled(&self, event: &Event<'_>, _: Context<'_, S>) -> bool {
        if event.metadata().target() != "actix_http::h1::dispatcher" {
            return true;
        }
        let mut message = Unparsed(false);
        event.record(&mut message);
        !message.0
    }
}

struct Unparsed(bool);

impl Visit for Unparsed {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}").starts_with("stream error: request parse error");
        }
    }
}

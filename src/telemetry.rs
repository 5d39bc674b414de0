//! Logging: human-readable by default, JSON lines with `--log-json`; filter with `MEDIADESK_LOG`.

use tracing_subscriber::EnvFilter;

pub fn init(json: bool) {
    let mut filter = EnvFilter::try_from_env("MEDIADESK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // The decoders narrate every skipped ID3 tag and padding frame: nothing an operator can act on.
    for quiet in ["symphonia_core=error", "symphonia_bundle_mp3=error", "symphonia_format_isomp4=error"] {
        if let Ok(d) = quiet.parse() {
            filter = filter.add_directive(d);
        }
    }
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second init (tests) keeps the first subscriber.
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

//! Process-wide counters in the Prometheus text format, kept with atomics: no registry crate,
//! no locks on the request path. Served at `/metrics` when `MEDIADESK_METRICS=true`.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

const BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    const fn new() -> Histogram {
        Histogram {
            counts: [const { AtomicU64::new(0) }; BUCKETS.len()],
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                self.counts[i].fetch_add(1, Relaxed);
            }
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_micros.fetch_add(d.as_micros() as u64, Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (i, le) in BUCKETS.iter().enumerate() {
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {}", self.counts[i].load(Relaxed));
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {}", self.sum_micros.load(Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "{name}_count {count}");
    }
}

pub struct Metrics {
    /// Responses by status class: 1xx..5xx.
    responses: [AtomicU64; 5],
    pub request_seconds: Histogram,
    pub uploads_accepted: AtomicU64,
    pub uploads_refused: AtomicU64,
    pub upload_bytes: AtomicU64,
    /// Links fetched for an upload: answered (whatever the upload then said), refused before
    /// any request (`link`), failed at the other server (`fetch`).
    pub links_fetched: AtomicU64,
    pub links_refused: AtomicU64,
    pub links_failed: AtomicU64,
    pub thumbnail_seconds: Histogram,
    pub waveform_seconds: Histogram,
}

pub static METRICS: Metrics = Metrics {
    responses: [const { AtomicU64::new(0) }; 5],
    request_seconds: Histogram::new(),
    uploads_accepted: AtomicU64::new(0),
    uploads_refused: AtomicU64::new(0),
    upload_bytes: AtomicU64::new(0),
    links_fetched: AtomicU64::new(0),
    links_refused: AtomicU64::new(0),
    links_failed: AtomicU64::new(0),
    thumbnail_seconds: Histogram::new(),
    waveform_seconds: Histogram::new(),
};

impl Metrics {
    pub fn response(&self, status: u16, took: Duration) {
        if let Some(slot) = self.responses.get(usize::from(status / 100).wrapping_sub(1)) {
            slot.fetch_add(1, Relaxed);
        }
        self.request_seconds.observe(took);
    }

    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str(
            "# HELP mediadesk_http_responses_total HTTP responses by status class.\n# TYPE \
            mediadesk_http_responses_total counter\n",
        );
        for (i, n) in self.responses.iter().enumerate() {
            let _ =
                writeln!(out, "mediadesk_http_responses_total{{class=\"{}xx\"}} {}", i + 1, n.load(Relaxed));
        }
        self.request_seconds.render(
            &mut out,
            "mediadesk_http_request_duration_seconds",
            "Time to answer a request.",
        );
        let _ = writeln!(
            out,
            "# HELP mediadesk_uploads_total Uploaded files by outcome.\n# TYPE mediadesk_uploads_total \
                counter\n\
             mediadesk_uploads_total{{result=\"accepted\"}} \
                 {}\nmediadesk_uploads_total{{result=\"refused\"}} {}",
            self.uploads_accepted.load(Relaxed),
            self.uploads_refused.load(Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP mediadesk_upload_bytes_total Bytes of accepted uploads.\n# TYPE \
                mediadesk_upload_bytes_total counter\nmediadesk_upload_bytes_total {}",
            self.upload_bytes.load(Relaxed)
        );
        let _ = writeln!(out, "# HELP mediadesk_link_fetches_total Links fetched for uploads, by outcome.");
        let _ = writeln!(out, "# TYPE mediadesk_link_fetches_total counter");
        for (result, n) in [
            ("fetched", &self.links_fetched),
            ("refused", &self.links_refused),
            ("failed", &self.links_failed),
        ] {
            let _ = writeln!(out, "mediadesk_link_fetches_total{{result=\"{result}\"}} {}", n.load(Relaxed));
        }
        self.thumbnail_seconds.render(
            &mut out,
            "mediadesk_thumbnail_seconds",
            "Decode, check and thumbnail of one image.",
        );
        self.waveform_seconds.render(
            &mut out,
            "mediadesk_audio_analysis_seconds",
            "Probe, full decode and waveform of one audio file.",
        );
        out
    }
}

//! How pages word an audio item's sound: loudness figures, health badges and the gain a
//! matched-loudness player applies.

use crate::domain::loudness;
use crate::domain::region::{format_time, fragment_seconds};
use crate::media::RegionRead;
use crate::media::dto::{AudioRead, Health};

/// The badges an item earns (gallery rows, item and share pages).
pub fn badges(h: &Health) -> Vec<&'static str> {
    let mut out = Vec::new();
    if h.quiet {
        out.push("Quiet");
    }
    if h.clipped {
        out.push("Clipped");
    }
    if h.mostly_silent {
        out.push("Mostly silence");
    }
    out
}

/// `data-gain-db` for a player: empty when nothing was measured (the player leaves it alone).
pub fn gain_attr(h: &Health) -> String {
    h.gain_db().map(|g| format!("{g:.2}")).unwrap_or_default()
}

fn seconds(ms: i64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// The item page's lines about how it sounds and what players get.
pub fn facts(a: &AudioRead) -> Vec<(&'static str, String)> {
    let h = &a.health;
    let mut out = Vec::new();
    match (h.loudness_lufs, h.loudness_range) {
        (Some(l), Some(r)) => out.push(("Loudness", format!("{l:.1} LUFS integrated · range {r:.1} LU"))),
        (Some(l), None) => out.push(("Loudness", format!("{l:.1} LUFS integrated"))),
        (None, _) if !loudness::measured(h.true_peak_db, h.silence_start_ms) => {
            out.push(("Loudness", "not measured (uploaded before Mediadesk measured loudness)".into()))
        }
        (None, _) => out.push(("Loudness", "silence".into())),
    }
    if let Some(p) = h.true_peak_db {
        out.push(("True peak", format!("{p:.1} dBTP")));
    }
    out.push(("Clipped samples", crate::web::view::count(h.clipped_samples)));
    out.push((
        "Silence",
        format!("{} at the start · {} at the end", seconds(h.silence_start_ms), seconds(h.silence_end_ms)),
    ));
    if let Some(g) = h.gain_db() {
        out.push(("Matched playback", format!("{g:+.1} dB to reach −16 LUFS")));
    }
    if a.has_rendition {
        out.push((
            "Plays as",
            format!("a lossless FLAC copy ({} plays only in Safari)", a.codec.to_uppercase()),
        ));
    }
    out
}

/// A region as the item and share pages list it and draw it on the waveform.
pub struct RegionView {
    pub id: i64,
    pub label: String,
    /// "0:12.5–0:19.0"
    pub span: String,
    /// "t=12.5,19": the media fragment a link to it carries.
    pub fragment: String,
    /// Where it sits on the waveform's 0–10 000 wide box.
    pub x: String,
    pub width: String,
    pub marker: bool,
    /// The edit form's fields.
    pub start: String,
    pub end: String,
    /// The fingerprint its forms carry (a change made meanwhile refuses them).
    pub seen: String,
}

pub fn region_views(regions: &[RegionRead], duration_ms: i64) -> Vec<RegionView> {
    let span = (crate::media::file::waveform::BINS * 10) as f64;
    let at = |ms: i64| ms as f64 / duration_ms.max(1) as f64 * span;
    regions
        .iter()
        .map(|r| RegionView {
            id: r.id,
            label: r.label.clone(),
            span: r.span(),
            fragment: match r.end_ms {
                Some(end) => format!("t={},{}", fragment_seconds(r.start_ms), fragment_seconds(end)),
                None => format!("t={}", fragment_seconds(r.start_ms)),
            },
            x: format!("{:.1}", at(r.start_ms)),
            width: format!(
                "{:.1}",
                r.end_ms.map_or(span / 400.0, |end| (at(end) - at(r.start_ms)).max(span / 400.0))
            ),
            marker: r.end_ms.is_none(),
            start: format_time(r.start_ms),
            end: r.end_ms.map(format_time).unwrap_or_default(),
            seen: r.seen(),
        })
        .collect()
}

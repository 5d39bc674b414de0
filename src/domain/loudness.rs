//! How loud and how healthy audio is judged, shared by the upload that measures it, the filters
//! that find it and the pages and players that show and use it.

/// Below this integrated loudness a clip is "quiet" (speech at a normal level sits near −23,
/// music near −14).
pub const QUIET_LUFS: f64 = -30.0;
/// What matched playback aims at (the common streaming level for spoken word and music).
pub const MATCH_TARGET_LUFS: f64 = -16.0;
/// Full-scale samples past this share of all samples (and at least [`CLIPPED_MIN_SAMPLES`])
/// mark a clip "clipped": a few isolated full-scale samples are normal in loud masters.
pub const CLIPPED_SHARE: f64 = 1e-4;
pub const CLIPPED_MIN_SAMPLES: i64 = 10;
/// More than this share of silence makes a clip "mostly silence".
pub const SILENT_SHARE: f64 = 0.5;

/// The three health flags from the measured figures.
pub fn judge(
    integrated: Option<f64>,
    clipped_samples: i64,
    total_samples: i64,
    silence_ms: i64,
    duration_ms: i64,
) -> (bool, bool, bool) {
    let quiet = integrated.is_some_and(|l| l < QUIET_LUFS);
    let clipped = clipped_samples >= CLIPPED_MIN_SAMPLES
        && clipped_samples as f64 >= CLIPPED_SHARE * total_samples.max(1) as f64;
    let mostly_silent = duration_ms > 0 && silence_ms as f64 > SILENT_SHARE * duration_ms as f64;
    (quiet, clipped, mostly_silent)
}

/// The gain (dB) that brings a clip to the matched level without its true peak passing 0 dBTP;
/// `None` when nothing was measured (silence, or uploaded before measuring).
pub fn match_gain_db(integrated: Option<f64>, true_peak: Option<f64>) -> Option<f64> {
    let gain = MATCH_TARGET_LUFS - integrated?;
    Some(match true_peak {
        Some(peak) => gain.min(-peak),
        None => gain,
    })
}

/// Whether a meter has measured an item, from what it stored: only a silent track has no true
/// peak, and it starts with silence. Items uploaded before measuring have neither
/// (`AudioRepo::unfinished` asks the same in SQL).
pub fn measured(true_peak: Option<f64>, silence_start_ms: i64) -> bool {
    true_peak.is_some() || silence_start_ms > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gain_never_lifts_a_peak_past_full_scale() {
        assert_eq!(match_gain_db(Some(-26.0), Some(-12.0)), Some(10.0));
        assert_eq!(match_gain_db(Some(-26.0), Some(-3.0)), Some(3.0));
        assert_eq!(match_gain_db(Some(-9.0), Some(-0.5)), Some(-7.0));
        assert_eq!(match_gain_db(None, Some(-3.0)), None);
    }

    #[test]
    fn flags() {
        assert_eq!(judge(Some(-35.0), 0, 1000, 0, 1000), (true, false, false));
        assert_eq!(judge(Some(-10.0), 9, 10, 0, 1000), (false, false, false));
        assert_eq!(judge(Some(-10.0), 200, 1_000_000, 600, 1000), (false, true, true));
        assert_eq!(judge(Some(-10.0), 20, 1_000_000, 500, 1000), (false, false, false));
    }
}

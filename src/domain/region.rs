//! Times as regions are typed and shown: seconds ("12.5"), minutes and seconds ("1:02.5") or
//! hours too ("1:02:03"); shown as "1:02.5".

/// Longest region label, in characters.
pub const MAX_LABEL_CHARS: usize = 200;

/// Milliseconds from a typed time; `None` when it is not one.
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() || text.len() > 20 {
        return None;
    }
    let mut parts = text.rsplit(':');
    let seconds: f64 = parts.next()?.parse().ok().filter(|s: &f64| s.is_finite() && *s >= 0.0)?;
    let mut total = seconds;
    for (i, part) in parts.enumerate() {
        let whole: u32 = part.parse().ok()?;
        // Only seconds may pass 59 when nothing is in front of them.
        if i > 1 || seconds >= 60.0 {
            return None;
        }
        total += f64::from(whole) * if i == 0 { 60.0 } else { 3600.0 };
    }
    Some((total * 1000.0).round() as i64)
}

/// "m:ss.s" (or "h:mm:ss.s").
pub fn format_time(ms: i64) -> String {
    let tenths = (ms.max(0) + 50) / 100;
    let (s, t) = (tenths / 10, tenths % 10);
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 { format!("{h}:{m:02}:{s:02}.{t}") } else { format!("{m}:{s:02}.{t}") }
}

/// A media fragment's seconds ("12.5", "19").
pub fn fragment_seconds(ms: i64) -> String {
    let s = format!("{:.3}", ms as f64 / 1000.0);
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("12.5"), Some(12_500));
        assert_eq!(parse_time(" 1:02.5 "), Some(62_500));
        assert_eq!(parse_time("1:02:03"), Some(3_723_000));
        assert_eq!(parse_time("75"), Some(75_000));
        for bad in ["", "-1", "1:75", "a", "1:2:3:4", "NaN", "inf"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert_eq!(format_time(62_500), "1:02.5");
        assert_eq!(format_time(3_723_000), "1:02:03.0");
        assert_eq!(fragment_seconds(12_500), "12.5");
        assert_eq!(fragment_seconds(19_000), "19");
    }
}

//! Original file names are kept for display and downloads only, so they are tidied, not trusted.

/// Longest name kept, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Drops any path, control and bidi-override characters, and trims to a sane length.
pub fn clean(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .to_owned();
    let name = if cleaned.chars().count() > MAX_NAME_CHARS { shorten(&cleaned) } else { cleaned };
    if name.is_empty() { "unnamed".to_owned() } else { name }
}

/// Keeps the extension when cutting a long name.
fn shorten(name: &str) -> String {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if ext.chars().count() <= 10 => (stem, Some(ext)),
        _ => (name, None),
    };
    let room = MAX_NAME_CHARS - ext.map_or(0, |e| e.chars().count() + 1);
    let mut out: String = stem.chars().take(room).collect();
    if let Some(ext) = ext {
        out.push('.');
        out.push_str(ext);
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_paths_controls_and_bidi() {
        assert_eq!(clean("../../etc/passwd"), "passwd");
        assert_eq!(clean("C:\\temp\\a.jpg"), "a.jpg");
        assert_eq!(clean("evil\u{202E}gpj.exe"), "evilgpj.exe");
        assert_eq!(clean("a\nb\r\u{0}.png"), "ab.png");
        assert_eq!(clean("..."), "unnamed");
        assert_eq!(clean(""), "unnamed");
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.jpg", "x".repeat(300));
        let short = clean(&long);
        assert_eq!(short.chars().count(), MAX_NAME_CHARS);
        assert!(short.ends_with(".jpg"));
    }
}

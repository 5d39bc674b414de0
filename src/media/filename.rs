//! Original file names are kept for display and downloads only, so they are tidied, not trusted.

/// Longest name kept, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Removes control and bidi-override characters and nothing else, so `rock\\roll.mp3` and
/// `"><b>.png` keep their names (they are escaped wherever they are shown). A full path, as old
/// browsers send (`C:\\Users\\…\\a.jpg`, `/home/…/a.jpg`), is cut to its last part. Long
/// names are shortened, keeping the extension.
pub fn clean(raw: &str) -> String {
    let cleaned: String =
        base_name(raw).chars().filter(|c| !c.is_control() && !is_bidi_control(*c)).collect();
    let name = if cleaned.chars().count() > MAX_NAME_CHARS { shorten(&cleaned) } else { cleaned };
    if name.trim().is_empty() { "unnamed".to_owned() } else { name }
}

/// The last part of a full path (a drive letter or `\\\\` share on Windows, `/` elsewhere);
/// anything else as it is.
fn base_name(raw: &str) -> &str {
    let bytes = raw.as_bytes();
    let windows = (bytes.len() > 2
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && matches!(bytes[2], b'\\' | b'/'))
        || raw.starts_with("\\\\");
    if windows {
        raw.rsplit(['\\', '/']).next().unwrap_or(raw)
    } else if raw.starts_with('/') {
        raw.rsplit('/').next().unwrap_or(raw)
    } else {
        raw
    }
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
    fn only_controls_and_bidi_go_and_only_full_paths_are_cut() {
        assert_eq!(clean("C:\\Users\\ann\\Pictures\\a.jpg"), "a.jpg");
        assert_eq!(clean("c:/Users/ann/a.jpg"), "a.jpg");
        assert_eq!(clean("\\\\server\\share\\b.png"), "b.png");
        assert_eq!(clean("/home/ann/song.mp3"), "song.mp3");
        assert_eq!(clean("rock\\roll.mp3"), "rock\\roll.mp3");
        assert_eq!(clean("\"><b>.png"), "\"><b>.png");
        assert_eq!(clean("AC/DC live.mp3"), "AC/DC live.mp3");
        assert_eq!(clean("evil\u{202E}gpj.exe"), "evilgpj.exe");
        assert_eq!(clean("a\nb\r\u{0}.png"), "ab.png");
        assert_eq!(clean(".hidden.png"), ".hidden.png");
        assert_eq!(clean(" \t"), "unnamed");
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

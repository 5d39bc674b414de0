//! Original file names are kept for display and downloads only, so they are tidied, not trusted.

use super::file::MediaType;

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

/// The file name a `Content-Disposition` header gives: `filename*` (RFC 5987: a charset, a
/// language and percent-encoded bytes; UTF-8 and Latin-1 read) over `filename`; `None` when it
/// gives none, or only folders. The name is then [`clean`]ed like any other.
pub fn from_disposition(value: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for param in value.split(';').skip(1) {
        let Some((key, raw)) = param.split_once('=') else { continue };
        let raw = raw.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "filename*" => {
                let mut parts = raw.splitn(3, '\'');
                let (Some(charset), Some(_language), Some(encoded)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    continue;
                };
                let bytes: Vec<u8> = percent_encoding::percent_decode_str(encoded).collect();
                extended = match charset.to_ascii_lowercase().as_str() {
                    "utf-8" => String::from_utf8(bytes).ok(),
                    "iso-8859-1" => Some(bytes.iter().map(|&b| b as char).collect()),
                    _ => None,
                };
            }
            "filename" => {
                let unquoted = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"'));
                plain = Some(unquoted.map_or_else(|| raw.to_owned(), unescape_quoted));
            }
            _ => {}
        }
    }
    // Only the name: any folders before it are the sender's (RFC 6266, 4.3).
    let name = extended.or(plain)?;
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    Some(last.to_owned()).filter(|name| !name.trim().is_empty())
}

/// A quoted string's text: `\x` is `x` (RFC 9110, 5.6.4).
fn unescape_quoted(quoted: &str) -> String {
    let mut out = String::with_capacity(quoted.len());
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' { chars.next().unwrap_or(c) } else { c });
    }
    out
}

/// Browsers (WHATWG multipart) send `"`, CR and LF in a part's file name as `%22`, `%0D` and
/// `%0A`; those three, and only those, are decoded. (Then [`clean`] removes CR and LF.)
pub fn from_multipart(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let escape = rest.get(i..i + 3).map(str::to_ascii_uppercase);
        let decoded = match escape.as_deref() {
            Some("%22") => Some('"'),
            Some("%0D") => Some('\r'),
            Some("%0A") => Some('\n'),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[i + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The name a download gets: the stored name, ending in an extension of the type its bytes are.
/// A last extension that says otherwise goes (`holiday.js` holding a PNG is `holiday.png`,
/// `photo.jpg.php` holding a JPEG is `photo.jpg`); a name without one gets one.
pub fn download_name(name: &str, t: MediaType) -> String {
    let fits = |n: &str| {
        n.rsplit_once('.').is_some_and(|(stem, ext)| {
            !stem.is_empty() && t.extensions().iter().any(|e| e.eq_ignore_ascii_case(ext))
        })
    };
    if fits(name) {
        return name.to_owned();
    }
    let stem = match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => name,
    };
    if fits(stem) { stem.to_owned() } else { format!("{stem}.{}", t.extension()) }
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
    fn browser_escapes_are_decoded_and_nothing_else() {
        assert_eq!(from_multipart("a%22b%22.png"), "a\"b\".png");
        assert_eq!(clean(&from_multipart("line%0D%0Abreak.mp3")), "linebreak.mp3");
        assert_eq!(from_multipart("100%25 sure %41.jpg"), "100%25 sure %41.jpg", "only the three");
        assert_eq!(from_multipart("%0a%"), "\n%");
    }

    #[test]
    fn a_servers_name_for_a_file_is_read_from_its_disposition() {
        let read = from_disposition;
        assert_eq!(read("attachment; filename=\"harbour.jpg\"").as_deref(), Some("harbour.jpg"));
        assert_eq!(read("inline; filename=gulls.flac").as_deref(), Some("gulls.flac"));
        let both = "attachment; filename=\"Hafen.jpg\"; filename*=UTF-8''H%C3%A4fen%20am%20Meer.jpg";
        assert_eq!(read(both).as_deref(), Some("Häfen am Meer.jpg"), "the extended name wins");
        assert_eq!(read("attachment; FILENAME*=iso-8859-1'de'caf%E9.png").as_deref(), Some("café.png"));
        assert_eq!(read("attachment; filename=\"say \\\"hi\\\".png\"").as_deref(), Some("say \"hi\".png"));
        assert_eq!(read("attachment; filename*=UTF-8''%FF.png; filename=ok.png").as_deref(), Some("ok.png"));
        assert_eq!(read("attachment"), None);
        assert_eq!(read("attachment; filename=\"\""), None);
        assert_eq!(read("attachment; filename=\"../../etc/x.jpg\"").as_deref(), Some("x.jpg"));
        assert_eq!(read("attachment; filename=\"C:\\\\temp\\\\y.png\"").as_deref(), Some("y.png"));
        assert_eq!(
            read("attachment; filename=\"a\\\\b.png\"").as_deref(),
            Some("b.png"),
            "an escaped backslash"
        );
        assert_eq!(read("attachment; filename=\"folder/\""), None);
    }

    #[test]
    fn downloads_end_in_the_real_extension() {
        assert_eq!(download_name("photo.png", MediaType::Jpeg), "photo.jpg");
        assert_eq!(download_name("holiday.js", MediaType::Png), "holiday.png");
        assert_eq!(download_name("photo.jpg.php", MediaType::Jpeg), "photo.jpg");
        assert_eq!(download_name("Photo.JPEG", MediaType::Jpeg), "Photo.JPEG");
        assert_eq!(download_name("song", MediaType::Mp3), "song.mp3");
        assert_eq!(download_name(".png", MediaType::Gif), ".png.gif");
        assert_eq!(download_name("take.mp4", MediaType::M4a), "take.mp4");
    }

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

//! What an image says about itself: the XMP packet (JPEG APP1, PNG `iTXt`, WebP `XMP `) and
//! IPTC-IIM (JPEG APP13), found by [`super::containers`], which walks only the containers'
//! headers and caps what is read, so a hostile file costs no more than the few segments or
//! chunks it names. Audio tags come from the decoder's own metadata reading (`probe_audio`),
//! ID3's text frames from here.

use std::io::Read;
use std::path::Path;

use super::containers::{self, Part};
use super::sniff::MediaType;

/// Longest text kept from a file, per field (longer is cut at a character boundary).
pub const TITLE_CHARS: usize = 200;
pub const ALT_CHARS: usize = 1000;
pub const CAPTION_CHARS: usize = 5000;
pub const CREDIT_CHARS: usize = 300;

/// Bytes of an ID3 tag read at most.
const MAX_READ: u64 = 4 * 1024 * 1024;

/// Text a file carries about itself, fit to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Embedded {
    pub title: Option<String>,
    pub alt_text: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
    /// Lyrics (an ID3 `USLT` frame), which an audio item keeps as its transcript.
    pub lyrics: Option<String>,
}

impl Embedded {
    /// Fills what is still empty from `other`.
    pub fn or(self, other: Embedded) -> Embedded {
        Embedded {
            title: self.title.or(other.title),
            alt_text: self.alt_text.or(other.alt_text),
            caption: self.caption.or(other.caption),
            credit: self.credit.or(other.credit),
            lyrics: self.lyrics.or(other.lyrics),
        }
    }

    /// Each field trimmed, without control characters (but line breaks), cut to its length.
    pub fn tidy(self, lyrics_chars: usize) -> Embedded {
        Embedded {
            title: tidy(self.title, TITLE_CHARS),
            alt_text: tidy(self.alt_text, ALT_CHARS),
            caption: tidy(self.caption, CAPTION_CHARS),
            credit: tidy(self.credit, CREDIT_CHARS),
            lyrics: tidy(self.lyrics, lyrics_chars),
        }
    }
}

fn tidy(text: Option<String>, max: usize) -> Option<String> {
    let text = text?;
    let clean: String = text.chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).collect();
    let clean: String = clean.trim().chars().take(max).collect();
    let clean = clean.trim_end();
    (!clean.is_empty()).then(|| clean.to_owned())
}

/// What an image says about itself, read in one walk of its container: the first XMP packet,
/// the IPTC-IIM data of the first Photoshop segment, and the first EXIF block (TIFF bytes,
/// which `shot` reads how the photo was taken from).
#[derive(Default)]
pub(super) struct ImageBlocks {
    pub(super) xmp: Option<String>,
    iptc: Option<Vec<u8>>,
    pub(super) exif: Option<Vec<u8>>,
}

impl ImageBlocks {
    /// The blocks of the image at `path`; none (not an error) when it cannot be read.
    pub(super) fn read(path: &Path, media_type: MediaType) -> ImageBlocks {
        blocks(path, media_type).unwrap_or_default()
    }

    /// The text the blocks carry.
    pub(super) fn text(&self) -> Embedded {
        let from_xmp = self.xmp.as_deref().map(from_xmp).unwrap_or_default();
        let from_iptc = self.iptc.as_deref().map(from_iptc).unwrap_or_default();
        from_xmp.or(from_iptc).tidy(0)
    }
}

fn blocks(path: &Path, media_type: MediaType) -> std::io::Result<ImageBlocks> {
    let mut f = std::fs::File::open(path)?;
    let Some(layout) = containers::layout(&mut f, media_type)? else { return Ok(ImageBlocks::default()) };
    let (mut found, mut exif_seen) = (ImageBlocks::default(), false);
    for b in &layout.blocks {
        match b.part {
            Part::Xmp if found.xmp.is_none() => {
                found.xmp = containers::body(&mut f, b)?.map(|x| String::from_utf8_lossy(&x).into_owned());
            }
            Part::Iptc if found.iptc.is_none() => {
                found.iptc = containers::body(&mut f, b)?.and_then(|data| photoshop_iptc(&data));
            }
            Part::Exif if !exif_seen => {
                exif_seen = true;
                found.exif = containers::body(&mut f, b)?;
            }
            _ => {}
        }
    }
    Ok(found)
}

/// Title, credit, caption and lyrics from an ID3v2 tag at the start of the file (`TIT2`,
/// `TCOP` or `TPE1`, `COMM`, `USLT`); only its first few megabytes are read.
pub fn id3_text(path: &Path) -> Embedded {
    id3(path).unwrap_or_default()
}

fn id3(path: &Path) -> std::io::Result<Embedded> {
    let mut f = std::fs::File::open(path)?;
    let head = containers::read_at(&mut f, 0, 10)?;
    let (major, flags) = (head[3], head[5]);
    // Unsynchronised tags (rare) would need undoing first; they are left alone.
    if &head[..3] != b"ID3" || !(3..=4).contains(&major) || flags & 0x80 != 0 {
        return Ok(Embedded::default());
    }
    let syncsafe = |b: &[u8]| b.iter().fold(0u64, |n, x| (n << 7) | u64::from(x & 0x7F));
    let size = syncsafe(&head[6..10]).min(MAX_READ);
    // A tag cut short is read as far as it goes.
    let mut tag = Vec::with_capacity(size as usize);
    (&mut f).take(size).read_to_end(&mut tag)?;
    let mut out = Embedded::default();
    let (mut copyright, mut artist) = (None, None);
    let mut rest = tag.as_slice();
    while rest.len() >= 10 && rest[0] != 0 {
        let id = &rest[..4];
        let len = if major == 4 {
            syncsafe(&rest[4..8])
        } else {
            u64::from(u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]))
        } as usize;
        let Some(body) = rest.get(10..10 + len) else { break };
        let slot = match id {
            b"TIT2" => Some((&mut out.title, false)),
            b"TCOP" => Some((&mut copyright, false)),
            b"TPE1" => Some((&mut artist, false)),
            b"COMM" => Some((&mut out.caption, true)),
            b"USLT" => Some((&mut out.lyrics, true)),
            _ => None,
        };
        if let Some((slot, described)) = slot
            && slot.is_none()
        {
            *slot = id3_text_frame(body, described);
        }
        rest = &rest[10 + len..];
    }
    out.credit = copyright.or(artist);
    Ok(out)
}

/// A text frame's first value; `described` frames (comments, lyrics) carry a language and a
/// short description before it.
fn id3_text_frame(body: &[u8], described: bool) -> Option<String> {
    let (&encoding, mut data) = body.split_first()?;
    let wide = matches!(encoding, 1 | 2);
    let nul = |d: &[u8]| -> usize {
        if wide {
            d.chunks(2).position(|c| c == [0, 0]).map_or(d.len(), |i| i * 2)
        } else {
            d.iter().position(|b| *b == 0).unwrap_or(d.len())
        }
    };
    if described {
        data = data.get(3..)?;
        let end = nul(data);
        data = data.get(end + if wide { 2 } else { 1 }..).unwrap_or_default();
    }
    let data = &data[..nul(data)];
    let text = match encoding {
        0 => data.iter().map(|&b| char::from(b)).collect(),
        3 => String::from_utf8_lossy(data).into_owned(),
        _ => {
            let (big, data) = match data {
                [0xFE, 0xFF, rest @ ..] => (true, rest),
                [0xFF, 0xFE, rest @ ..] => (false, rest),
                other => (encoding == 2, other),
            };
            let units: Vec<u16> = data
                .chunks_exact(2)
                .map(
                    |c| if big { u16::from_be_bytes([c[0], c[1]]) } else { u16::from_le_bytes([c[0], c[1]]) },
                )
                .collect();
            String::from_utf16_lossy(&units)
        }
    };
    Some(text)
}

/// The IPTC-NAA block (resource 0x0404) among Photoshop's image resources.
pub(super) fn photoshop_iptc(mut data: &[u8]) -> Option<Vec<u8>> {
    while data.len() >= 12 && data.starts_with(b"8BIM") {
        let id = u16::from_be_bytes([data[4], data[5]]);
        let name_len = usize::from(data[6]);
        // The Pascal name (length byte included) is padded to an even size.
        let name_total = (1 + name_len + 1) & !1;
        let size_at = 6 + name_total;
        let size = u32::from_be_bytes(data.get(size_at..size_at + 4)?.try_into().ok()?) as usize;
        let body = data.get(size_at + 4..size_at + 4 + size)?;
        if id == 0x0404 {
            return Some(body.to_vec());
        }
        data = data.get(size_at + 4 + size + (size & 1)..)?;
    }
    None
}

/// Title, caption and credit from IPTC-IIM record 2 (object name, caption, credit, copyright).
fn from_iptc(data: &[u8]) -> Embedded {
    let mut out = Embedded::default();
    let mut rest = data;
    let mut copyright = None;
    while rest.len() >= 5 && rest[0] == 0x1C {
        let (record, dataset) = (rest[1], rest[2]);
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        let Some(value) = rest.get(5..5 + len) else { break };
        let text = || Some(decode_text(value));
        if record == 2 {
            match dataset {
                5 => out.title = out.title.take().or_else(text),
                120 => out.caption = out.caption.take().or_else(text),
                110 => out.credit = out.credit.take().or_else(text),
                116 => copyright = copyright.take().or_else(text),
                _ => {}
            }
        }
        rest = &rest[5 + len..];
    }
    out.credit = out.credit.or(copyright);
    out
}

/// UTF-8 when it is, else Latin-1 (what IIM meant before it named a character set).
pub(super) fn decode_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Title, alt text, caption and credit from an XMP packet.
fn from_xmp(xmp: &str) -> Embedded {
    let credit = xmp_value(xmp, "photoshop:Credit").or_else(|| xmp_value(xmp, "dc:rights"));
    Embedded {
        title: xmp_value(xmp, "dc:title"),
        alt_text: xmp_value(xmp, "Iptc4xmpCore:AltTextAccessibility"),
        caption: xmp_value(xmp, "dc:description"),
        credit,
        lyrics: None,
    }
}

/// The value of property `name`: an element's text, the first `rdf:li` of a language
/// alternative (the `x-default` one when marked), or an attribute.
pub(super) fn xmp_value(xmp: &str, name: &str) -> Option<String> {
    let open = format!("<{name}");
    let mut from = 0;
    while let Some(found) = xmp[from..].find(&open) {
        let start = from + found + open.len();
        from = start;
        let next = xmp[start..].chars().next()?;
        if !(next == '>' || next.is_whitespace() || next == '/') {
            continue;
        }
        let body_start = start + xmp[start..].find('>')? + 1;
        if xmp[..body_start].ends_with("/>") {
            continue;
        }
        let body_end = body_start + xmp[body_start..].find(&format!("</{name}>"))?;
        let body = &xmp[body_start..body_end];
        let value = if body.contains("<rdf:li") { first_li(body)? } else { body.to_owned() };
        return Some(xml_unescape(value.trim()));
    }
    // Attribute form: name="value" or name='value'.
    let attr = format!("{name}=");
    let at = xmp.find(&attr)? + attr.len();
    let quote = xmp[at..].chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let end = at + 1 + xmp[at + 1..].find(quote)?;
    Some(xml_unescape(&xmp[at + 1..end]))
}

/// The text of the `x-default` `rdf:li`, else of the first.
fn first_li(body: &str) -> Option<String> {
    let items: Vec<&str> = body.split("<rdf:li").skip(1).collect();
    let pick = items
        .iter()
        .find(|i| i.starts_with(" xml:lang='x-default'") || i.starts_with(" xml:lang=\"x-default\""))
        .or(items.first())?;
    let text_start = pick.find('>')? + 1;
    let text_end = pick.find("</rdf:li>")?;
    pick.get(text_start..text_end).map(str::to_owned)
}

fn xml_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';').filter(|i| *i <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xmp_values_in_every_form_exiftool_and_others_write() {
        let xmp = concat!(
            r#"<x:xmpmeta><rdf:RDF><rdf:Description rdf:about='' photoshop:Credit="Ann &amp; Co">"#,
            "<dc:title><rdf:Alt><rdf:li xml:lang='de'>Hafen</rdf:li>",
            "<rdf:li xml:lang='x-default'>Harbour &lt;dawn&gt;</rdf:li></rdf:Alt></dc:title>",
            "<dc:titlebar>no</dc:titlebar>",
            "<dc:description><rdf:Alt><rdf:li xml:lang='x-default'>Boats &#233;</rdf:li></rdf:Alt>",
            "</dc:description><Iptc4xmpCore:AltTextAccessibility><rdf:Alt>",
            "<rdf:li xml:lang='x-default'>Two boats</rdf:li></rdf:Alt></Iptc4xmpCore:AltTextAccessibility>",
            "</rdf:Description></rdf:RDF></x:xmpmeta>"
        );
        let got = from_xmp(xmp);
        assert_eq!(got.title.as_deref(), Some("Harbour <dawn>"));
        assert_eq!(got.caption.as_deref(), Some("Boats é"));
        assert_eq!(got.alt_text.as_deref(), Some("Two boats"));
        assert_eq!(got.credit.as_deref(), Some("Ann & Co"));
        assert_eq!(xmp_value("<dc:title/>", "dc:title"), None);
    }

    #[test]
    fn iptc_records_and_tidying() {
        let mut iim = Vec::new();
        for (dataset, text) in [(5u8, "Title"), (120, "A caption"), (116, "© 2026")] {
            iim.extend([0x1C, 2, dataset]);
            iim.extend((text.len() as u16).to_be_bytes());
            iim.extend(text.as_bytes());
        }
        let got = from_iptc(&iim);
        assert_eq!(
            (got.title.as_deref(), got.caption.as_deref(), got.credit.as_deref()),
            (Some("Title"), Some("A caption"), Some("© 2026"))
        );
        let long =
            Embedded { title: Some(format!(" \u{7}{}", "t".repeat(300))), ..Embedded::default() }.tidy(0);
        assert_eq!(long.title.unwrap().chars().count(), TITLE_CHARS);
    }
}

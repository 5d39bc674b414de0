//! Location and device privacy in image files. [`scan`] tells whether a JPEG, PNG or WebP
//! carries where it was taken (an EXIF GPS IFD, XMP or IPTC location fields) or what took it
//! (body and lens serials, the owner's name, maker notes). [`strip`] writes a copy without them
//! by dropping and rewriting metadata blocks only — the compressed image data is copied byte
//! for byte, so the decoded pixels are the original's — and keeps the ICC profile, the
//! orientation, copyright, credit and creator, the camera model and exposure.
//!
//! Only the containers' own headers are walked, and each metadata block read is capped, like
//! the harvest in [`super::embedded`]: a hostile file costs no more than its few headers.

pub(super) mod tiff;

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::containers::{Layout, Part, body, layout, read_at};
use super::embedded::{decode_text, photoshop_iptc, xmp_value};
use super::sniff::MediaType;

/// XMP properties that say where.
const XMP_LOCATION: &[&str] = &[
    "exif:GPSLatitude",
    "exif:GPSLongitude",
    "exif:GPSAltitude",
    "photoshop:City",
    "photoshop:State",
    "photoshop:Country",
    "Iptc4xmpCore:Location",
    "Iptc4xmpCore:CountryCode",
    "Iptc4xmpExt:LocationCreated",
    "Iptc4xmpExt:LocationShown",
    "Iptc4xmpExt:Sublocation",
    "Iptc4xmpExt:City",
];
/// XMP properties that name the device or its owner.
const XMP_DEVICE: &[&str] = &[
    "exifEX:BodySerialNumber",
    "exifEX:LensSerialNumber",
    "exifEX:CameraOwnerName",
    "aux:SerialNumber",
    "aux:LensSerialNumber",
    "aux:OwnerName",
];
/// IPTC-IIM record 2 datasets that say where: city, sub-location, province, country code and name.
const IIM_LOCATION: &[u8] = &[90, 92, 95, 100, 101];

/// What a file gives away.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Private {
    pub location: bool,
    pub device: bool,
}

impl Private {
    pub fn any(self) -> bool {
        self.location || self.device
    }

    /// As the database keeps it.
    pub fn to_column(self) -> Option<&'static str> {
        match (self.location, self.device) {
            (true, true) => Some("location,device"),
            (true, false) => Some("location"),
            (false, true) => Some("device"),
            (false, false) => None,
        }
    }

    pub fn from_column(value: Option<&str>) -> Private {
        let has = |w: &str| value.is_some_and(|v| v.split(',').any(|p| p == w));
        Private { location: has("location"), device: has("device") }
    }
}

/// Whether the IIM block of a Photoshop segment names a place.
fn iim_location(data: &[u8]) -> bool {
    let Some(iim) = photoshop_iptc(data) else { return false };
    iim_datasets(&iim).any(|(record, dataset, _)| record == 2 && IIM_LOCATION.contains(&dataset))
}

fn iim_datasets(mut rest: &[u8]) -> impl Iterator<Item = (u8, u8, &[u8])> {
    std::iter::from_fn(move || {
        if rest.len() < 5 || rest[0] != 0x1C {
            return None;
        }
        let (record, dataset) = (rest[1], rest[2]);
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        let value = rest.get(5..5 + len)?;
        rest = &rest[5 + len..];
        Some((record, dataset, value))
    })
}

/// What `path` (of type `t`) gives away; nothing for other types or unreadable files.
pub fn scan(path: &Path, t: MediaType) -> Private {
    scan_file(path, t).unwrap_or_default()
}

fn scan_file(path: &Path, t: MediaType) -> io::Result<Private> {
    let mut f = File::open(path)?;
    let Some(layout) = layout(&mut f, t)? else { return Ok(Private::default()) };
    let mut found = Private::default();
    for b in &layout.blocks {
        match b.part {
            Part::Exif => match body(&mut f, b)? {
                Some(data) => {
                    let (location, device) = tiff::scan(&data);
                    found.location |= location;
                    found.device |= device;
                }
                // Too large to read: assume the worst, as stripping drops it.
                None => found.device = true,
            },
            Part::Xmp => {
                if let Some(data) = body(&mut f, b)? {
                    let xmp = String::from_utf8_lossy(&data);
                    found.location |= XMP_LOCATION.iter().any(|k| xmp.contains(k));
                    found.device |= XMP_DEVICE.iter().any(|k| xmp.contains(k));
                }
            }
            Part::Iptc => {
                if let Some(data) = body(&mut f, b)? {
                    found.location |= iim_location(&data);
                }
            }
            Part::RawProfile => {
                let data = body(&mut f, b)?;
                let chunk_type = read_at(&mut f, b.start + 4, 4)?;
                match data.as_deref().and_then(|d| raw_profile(&chunk_type, d)) {
                    Some((kind, bytes)) if kind == "exif" || kind == "app1" => {
                        let tiff = bytes.strip_prefix(b"Exif\0\0".as_slice()).unwrap_or(&bytes);
                        let (location, device) = tiff::scan(tiff);
                        found.location |= location;
                        found.device |= device;
                    }
                    Some((kind, bytes)) if kind == "xmp" => {
                        let xmp = String::from_utf8_lossy(&bytes);
                        found.location |= XMP_LOCATION.iter().any(|k| xmp.contains(k));
                        found.device |= XMP_DEVICE.iter().any(|k| xmp.contains(k));
                    }
                    Some((kind, bytes)) if kind == "iptc" || kind == "8bim" => {
                        found.location |= iim_location(&bytes)
                            || iim_datasets(&bytes).any(|d| d.0 == 2 && IIM_LOCATION.contains(&d.1));
                    }
                    Some(_) => {}
                    // Compressed or unreadable: assume the worst, as stripping drops it.
                    None => found.device = true,
                }
            }
            // Extended XMP (the rest of a packet too large for one JPEG segment): its text.
            Part::Drop => {
                if let Some(data) = body(&mut f, b)? {
                    let xmp = String::from_utf8_lossy(&data);
                    found.location |= XMP_LOCATION.iter().any(|k| xmp.contains(k));
                    found.device |= XMP_DEVICE.iter().any(|k| xmp.contains(k));
                }
            }
            Part::Keep => {}
        }
    }
    Ok(found)
}

/// What an uncompressed `tEXt` raw profile holds: its kind (`exif`, `xmp`, `iptc`…) and its
/// bytes, from `Raw profile type KIND\0\nKIND\n   LENGTH\nHEX…`. `None` for anything else
/// (a compressed chunk, bad hex), which the caller treats as unknown.
fn raw_profile(chunk_type: &[u8], data: &[u8]) -> Option<(String, Vec<u8>)> {
    if chunk_type != b"tEXt" {
        return None;
    }
    let (keyword, text) = data.split_at(data.iter().position(|b| *b == 0)?);
    let kind =
        std::str::from_utf8(keyword.strip_prefix(b"Raw profile type ")?).ok()?.trim().to_ascii_lowercase();
    let text = std::str::from_utf8(&text[1..]).ok()?;
    let mut lines = text.trim_start().splitn(3, '\n');
    let (_name, length, hex) = (lines.next()?, lines.next()?, lines.next()?);
    let length: usize = length.trim().parse().ok()?;
    let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() < length * 2 {
        return None;
    }
    let bytes = hex::decode(&digits[..length * 2]).ok()?;
    Some((kind, bytes))
}

/// Rights and credit, kept through stripping as a small XMP packet of their own.
#[derive(Debug, Default)]
struct Credits {
    rights: Option<String>,
    credit: Option<String>,
    creator: Option<String>,
}

impl Credits {
    fn or(self, other: Credits) -> Credits {
        Credits {
            rights: self.rights.or(other.rights),
            credit: self.credit.or(other.credit),
            creator: self.creator.or(other.creator),
        }
    }

    fn of_xmp(xmp: &str) -> Credits {
        Credits {
            rights: xmp_value(xmp, "dc:rights"),
            credit: xmp_value(xmp, "photoshop:Credit"),
            creator: xmp_value(xmp, "dc:creator"),
        }
    }

    fn of_iptc(data: &[u8]) -> Credits {
        let mut out = Credits::default();
        if let Some(iim) = photoshop_iptc(data) {
            for (record, dataset, value) in iim_datasets(&iim).filter(|d| d.0 == 2) {
                let text = Some(decode_text(value));
                match (record, dataset) {
                    (_, 116) => out.rights = out.rights.or(text),
                    (_, 110) => out.credit = out.credit.or(text),
                    (_, 80) => out.creator = out.creator.or(text),
                    _ => {}
                }
            }
        }
        out
    }

    /// An XMP packet with just these; `None` when there is nothing to keep.
    fn packet(&self) -> Option<Vec<u8>> {
        if self.rights.is_none() && self.credit.is_none() && self.creator.is_none() {
            return None;
        }
        let mut props = String::new();
        if let Some(r) = &self.rights {
            props += &format!(
                "<dc:rights><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:rights>",
                escape(r)
            );
        }
        if let Some(c) = &self.creator {
            props += &format!("<dc:creator><rdf:Seq><rdf:li>{}</rdf:li></rdf:Seq></dc:creator>", escape(c));
        }
        if let Some(c) = &self.credit {
            props += &format!("<photoshop:Credit>{}</photoshop:Credit>", escape(c));
        }
        Some(
            format!(
                "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\
                 <x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF \
                 xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"\" \
                 xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
                 xmlns:photoshop=\"http://ns.adobe.com/photoshop/1.0/\">{props}</rdf:Description>\
                 </rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>"
            )
            .into_bytes(),
        )
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Writes to `to` a copy of `from` without location and device metadata; its size.
pub fn strip(from: &Path, t: MediaType, to: &Path) -> io::Result<u64> {
    let mut f = File::open(from)?;
    let size = f.metadata()?.len();
    let Some(layout) = layout(&mut f, t)? else {
        return std::fs::copy(from, to);
    };
    // Rights and credit from wherever they were, to be written once as XMP.
    let mut credits = Credits::default();
    for b in layout.blocks.iter().filter(|b| matches!(b.part, Part::Xmp | Part::Iptc)) {
        if let Some(data) = body(&mut f, b)? {
            credits = credits.or(match b.part {
                Part::Xmp => Credits::of_xmp(&String::from_utf8_lossy(&data)),
                _ => Credits::of_iptc(&data),
            });
        }
    }
    let mut xmp = credits.packet();
    // Each block's new bytes: `None` copies it as it is.
    let mut outputs: Vec<Option<Vec<u8>>> = Vec::with_capacity(layout.blocks.len());
    for b in &layout.blocks {
        outputs.push(match b.part {
            Part::Keep => None,
            Part::Drop | Part::RawProfile => Some(Vec::new()),
            Part::Exif => {
                let kept = body(&mut f, b)?.and_then(|data| tiff::strip(&data));
                Some(kept.map_or_else(Vec::new, |tiff| frame_exif(t, &tiff)))
            }
            Part::Xmp | Part::Iptc => Some(xmp.take().map_or_else(Vec::new, |x| frame_xmp(t, &x))),
        });
    }
    let mut out = BufWriter::new(File::create(to)?);
    let mut written = 0u64;
    if t == MediaType::Webp {
        let body_len: u64 = 4
            + layout
                .blocks
                .iter()
                .zip(&outputs)
                .map(|(b, o)| o.as_ref().map_or(b.len, |o| o.len() as u64))
                .sum::<u64>()
            + (size - layout.rest);
        out.write_all(b"RIFF")?;
        out.write_all(&(body_len as u32).to_le_bytes())?;
        out.write_all(b"WEBP")?;
        written += 12;
    } else {
        // The signature (and, in JPEG, SOI) before the first block.
        let head = read_at(&mut f, 0, layout.blocks.first().map_or(layout.rest, |b| b.start))?;
        out.write_all(&head)?;
        written += head.len() as u64;
    }
    let flags = webp_flags(&layout, &outputs);
    for (b, o) in layout.blocks.iter().zip(&outputs) {
        match o {
            Some(bytes) => {
                out.write_all(bytes)?;
                written += bytes.len() as u64;
            }
            None if t == MediaType::Webp && read_at(&mut f, b.start, 4)? == b"VP8X" => {
                let mut chunk = read_at(&mut f, b.start, b.len)?;
                chunk[8] = (chunk[8] & !0x0C) | flags;
                out.write_all(&chunk)?;
                written += chunk.len() as u64;
            }
            None => {
                f.seek(SeekFrom::Start(b.start))?;
                written += io::copy(&mut (&mut f).take(b.len), &mut out)?;
            }
        }
    }
    f.seek(SeekFrom::Start(layout.rest))?;
    written += io::copy(&mut f, &mut out)?;
    out.flush()?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(written)
}

/// The VP8X flags for EXIF (0x08) and XMP (0x04) as the stripped file has them.
fn webp_flags(layout: &Layout, outputs: &[Option<Vec<u8>>]) -> u8 {
    let mut flags = 0u8;
    for (b, o) in layout.blocks.iter().zip(outputs) {
        let present = o.as_ref().is_none_or(|o| !o.is_empty());
        match b.part {
            Part::Exif if present => flags |= 0x08,
            Part::Xmp if present => flags |= 0x04,
            _ => {}
        }
    }
    flags
}

fn frame_exif(t: MediaType, tiff: &[u8]) -> Vec<u8> {
    match t {
        MediaType::Jpeg => segment(0xE1, &[b"Exif\0\0".as_slice(), tiff]),
        MediaType::Png => chunk_png(b"eXIf", tiff),
        _ => chunk_webp(b"EXIF", tiff),
    }
}

fn frame_xmp(t: MediaType, xmp: &[u8]) -> Vec<u8> {
    match t {
        MediaType::Jpeg => segment(0xE1, &[b"http://ns.adobe.com/xap/1.0/\0".as_slice(), xmp]),
        MediaType::Png => chunk_png(b"iTXt", &[b"XML:com.adobe.xmp\0\0\0\0\0".as_slice(), xmp].concat()),
        _ => chunk_webp(b"XMP ", xmp),
    }
}

fn segment(marker: u8, parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = parts.iter().map(|p| p.len()).sum::<usize>() + 2;
    if len > 0xFFFF {
        return Vec::new();
    }
    let mut out = vec![0xFF, marker];
    out.extend_from_slice(&(len as u16).to_be_bytes());
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

fn chunk_png(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 12);
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    out
}

fn chunk_webp(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 9);
    out.extend_from_slice(kind);
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
    out
}

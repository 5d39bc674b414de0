//! Location and device privacy in image files. [`scan`] tells whether a JPEG, PNG or WebP
//! carries where it was taken (an EXIF GPS IFD, XMP or IPTC location fields) or what took it
//! (body and lens serials, the owner's name, maker notes). [`strip`] writes a copy without them
//! by dropping and rewriting metadata blocks only — the compressed image data is copied byte
//! for byte, so the decoded pixels are the original's — and keeps the ICC profile, the
//! orientation, copyright, credit and creator, the camera model and exposure.
//!
//! Only the containers' own headers are walked, and each metadata block read is capped, like
//! the harvest in [`super::embedded`]: a hostile file costs no more than its few headers.

mod tiff;

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::embedded::{decode_text, photoshop_iptc, xmp_value};
use super::sniff::MediaType;

/// The largest metadata block read (EXIF, XMP, IPTC); a larger one is dropped unread.
const MAX_BLOCK: u64 = 4 * 1024 * 1024;
/// Container headers walked at most.
const MAX_BLOCKS: usize = 4096;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Keep,
    Exif,
    Xmp,
    Iptc,
    /// ImageMagick's hex copy of EXIF, XMP or IPTC in a PNG text chunk: read, then dropped.
    RawProfile,
    Drop,
}

/// A metadata block: where it is whole, where its payload is, and what it is.
#[derive(Debug, Clone, Copy)]
struct Block {
    start: u64,
    len: u64,
    body: (u64, u64),
    part: Part,
}

/// A container walked: its blocks, and where the image data starts (copied to the end as is).
struct Layout {
    blocks: Vec<Block>,
    rest: u64,
}

fn read_at(f: &mut File, at: u64, len: u64) -> io::Result<Vec<u8>> {
    f.seek(SeekFrom::Start(at))?;
    let mut buf = vec![0; len as usize];
    f.read_exact(&mut buf)?;
    Ok(buf)
}

fn jpeg(f: &mut File) -> io::Result<Layout> {
    const EXIF: &[u8] = b"Exif\0\0";
    const XMP: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
    const XMP_EXTENDED: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";
    const PHOTOSHOP: &[u8] = b"Photoshop 3.0\0";
    let mut blocks = Vec::new();
    let mut at = 2u64;
    for _ in 0..MAX_BLOCKS {
        let head = read_at(f, at, 4)?;
        // Anything but a segment with a length (the scan, its end, a stray byte) starts the rest.
        if head[0] != 0xFF || matches!(head[1], 0xDA | 0xD9 | 0x01 | 0xD0..=0xD7) {
            break;
        }
        let len = u64::from(u16::from_be_bytes([head[2], head[3]]));
        if len < 2 {
            break;
        }
        let marker = head[1];
        let peek = read_at(f, at + 4, (len - 2).min(40))?;
        let (part, skip) = match marker {
            0xE1 if peek.starts_with(EXIF) => (Part::Exif, EXIF.len() as u64),
            0xE1 if peek.starts_with(XMP) => (Part::Xmp, XMP.len() as u64),
            0xE1 if peek.starts_with(XMP_EXTENDED) => (Part::Drop, 0),
            0xED if peek.starts_with(PHOTOSHOP) => (Part::Iptc, PHOTOSHOP.len() as u64),
            _ => (Part::Keep, 0),
        };
        let body = (at + 4 + skip, (len - 2).saturating_sub(skip));
        blocks.push(Block { start: at, len: 2 + len, body, part });
        at += 2 + len;
    }
    Ok(Layout { blocks, rest: at })
}

fn png(f: &mut File) -> io::Result<Layout> {
    const XMP_KEY: &[u8] = b"XML:com.adobe.xmp\0";
    let size = f.metadata()?.len();
    let mut blocks = Vec::new();
    let mut at = 8u64;
    for _ in 0..MAX_BLOCKS {
        if at + 8 > size {
            break;
        }
        let head = read_at(f, at, 8)?;
        let len = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
        let kind = &head[4..8];
        if kind == b"IEND" {
            break;
        }
        let peek = read_at(f, at + 8, len.min(40))?;
        let part = match kind {
            b"eXIf" => Part::Exif,
            b"iTXt" if peek.starts_with(XMP_KEY) => Part::Xmp,
            // ImageMagick keeps EXIF, XMP and IPTC as hex in text chunks of these names.
            b"tEXt" | b"zTXt" | b"iTXt" if peek.starts_with(b"Raw profile type") => Part::RawProfile,
            _ => Part::Keep,
        };
        let body = if part == Part::Xmp { xmp_in_itxt(f, at + 8, len)? } else { (at + 8, len) };
        blocks.push(Block { start: at, len: 12 + len, body, part });
        at += 12 + len;
    }
    Ok(Layout { blocks, rest: at })
}

/// Where an uncompressed `iTXt`'s text starts (after keyword, flags, language, translated
/// keyword); a compressed one is dropped as a whole, so its body is empty.
fn xmp_in_itxt(f: &mut File, at: u64, len: u64) -> io::Result<(u64, u64)> {
    let head = read_at(f, at, len.min(1024))?;
    let key = head.iter().position(|b| *b == 0).unwrap_or(head.len());
    if head.get(key + 1) != Some(&0) {
        return Ok((at, 0));
    }
    let mut i = key + 3;
    for _ in 0..2 {
        i += head.get(i..).and_then(|r| r.iter().position(|b| *b == 0)).map_or(head.len(), |p| p + 1);
    }
    let i = (i as u64).min(len);
    Ok((at + i, len - i))
}

fn webp(f: &mut File) -> io::Result<Layout> {
    let size = f.metadata()?.len();
    let mut blocks = Vec::new();
    let mut at = 12u64;
    for _ in 0..MAX_BLOCKS {
        if at + 8 > size {
            break;
        }
        let head = read_at(f, at, 8)?;
        let len = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
        let part = match &head[..4] {
            b"EXIF" => Part::Exif,
            b"XMP " => Part::Xmp,
            _ => Part::Keep,
        };
        let mut body = (at + 8, len);
        if part == Part::Exif && read_at(f, at + 8, 6.min(len))? == b"Exif\0\0" {
            body = (at + 14, len - 6);
        }
        blocks.push(Block { start: at, len: 8 + len + (len & 1), body, part });
        at += 8 + len + (len & 1);
    }
    Ok(Layout { blocks, rest: at.min(size) })
}

fn layout(f: &mut File, t: MediaType) -> io::Result<Option<Layout>> {
    Ok(Some(match t {
        MediaType::Jpeg => jpeg(f)?,
        MediaType::Png => png(f)?,
        MediaType::Webp => webp(f)?,
        _ => return Ok(None),
    }))
}

fn body(f: &mut File, b: &Block) -> io::Result<Option<Vec<u8>>> {
    if b.body.1 > MAX_BLOCK { Ok(None) } else { read_at(f, b.body.0, b.body.1).map(Some) }
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

//! The metadata blocks of JPEG, PNG and WebP files: where each segment or chunk is, where its
//! payload starts, and what it is (EXIF, XMP, IPTC, an ImageMagick raw profile, or something to
//! keep). Only the containers' own headers are walked, at most [`MAX_BLOCKS`] of them, and a
//! payload larger than [`MAX_BLOCK`] is never read: a hostile file costs no more than its few
//! headers. The text harvest ([`super::embedded`]) reads its XMP and IPTC from here, and the
//! privacy scan and strip ([`super::privacy`]) every block.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use super::sniff::MediaType;

/// The largest metadata block read (EXIF, XMP, IPTC); a larger one is dropped unread.
pub(super) const MAX_BLOCK: u64 = 4 * 1024 * 1024;
/// Container headers walked at most.
const MAX_BLOCKS: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
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
pub(super) struct Block {
    pub(super) start: u64,
    pub(super) len: u64,
    pub(super) body: (u64, u64),
    pub(super) part: Part,
}

/// A container walked: its blocks, and where the image data starts (copied to the end as is).
pub(super) struct Layout {
    pub(super) blocks: Vec<Block>,
    pub(super) rest: u64,
}

pub(super) fn read_at(f: &mut File, at: u64, len: u64) -> io::Result<Vec<u8>> {
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

/// The metadata blocks of a JPEG, PNG or WebP (`None` for other types).
pub(super) fn layout(f: &mut File, t: MediaType) -> io::Result<Option<Layout>> {
    Ok(Some(match t {
        MediaType::Jpeg => jpeg(f)?,
        MediaType::Png => png(f)?,
        MediaType::Webp => webp(f)?,
        _ => return Ok(None),
    }))
}

/// A block's payload, unless it is larger than [`MAX_BLOCK`] (then `None`: dropped unread).
pub(super) fn body(f: &mut File, b: &Block) -> io::Result<Option<Vec<u8>>> {
    if b.body.1 > MAX_BLOCK { Ok(None) } else { read_at(f, b.body.0, b.body.1).map(Some) }
}

//! How a photo was taken ([`Shot`]), read at upload from the first EXIF block of a JPEG, PNG
//! or WebP (found in the same walk of the container's headers as the text it carries), with
//! the moment from its XMP when the EXIF has none. Nothing, not an error, for a file that says
//! nothing or cannot be read: the upload's decode has judged the file already.

use std::path::Path;

use super::embedded::{Embedded, ImageBlocks, xmp_value};
use super::privacy::tiff::{Tagged, entries};
use super::sniff::MediaType;
use crate::domain::Shot;

const MAKE: u16 = 0x010F;
const MODEL: u16 = 0x0110;
const EXPOSURE_TIME: u16 = 0x829A;
const F_NUMBER: u16 = 0x829D;
const ISO: u16 = 0x8827;
const TAKEN: u16 = 0x9003;
const DIGITIZED: u16 = 0x9004;
const TAKEN_OFFSET: u16 = 0x9011;
const DIGITIZED_OFFSET: u16 = 0x9012;
const FOCAL_LENGTH: u16 = 0x920A;
const FOCAL_35MM: u16 = 0xA405;
const LENS_MODEL: u16 = 0xA434;

/// What the image at `path` (of type `t`) says about how it was taken.
pub fn read(path: &Path, t: MediaType) -> Shot {
    of(&ImageBlocks::read(path, t))
}

/// The text the image at `path` carries and how it was taken, from one walk of its container.
pub fn read_with_text(path: &Path, t: MediaType) -> (Embedded, Shot) {
    let blocks = ImageBlocks::read(path, t);
    (blocks.text(), of(&blocks))
}

fn of(blocks: &ImageBlocks) -> Shot {
    let mut shot = match &blocks.exif {
        Some(data) => from_exif(data.strip_prefix(b"Exif\0\0".as_slice()).unwrap_or(data)),
        None => Shot::default(),
    };
    if shot.taken.is_none() {
        let xmp = blocks.xmp.as_deref().unwrap_or("");
        let keys = ["exif:DateTimeOriginal", "photoshop:DateCreated", "xmp:CreateDate"];
        let when = keys.iter().find_map(|k| xmp_value(xmp, k));
        shot.set_taken(when.as_deref().unwrap_or(""), None);
    }
    shot
}

/// A shot from an EXIF block (TIFF bytes).
fn from_exif(data: &[u8]) -> Shot {
    let Some((le, tags)) = entries(data) else { return Shot::default() };
    let find = |tag: u16| tags.iter().find(|e| e.tag == tag);
    let text = |tag: u16| find(tag).and_then(ascii);
    let number = |tag: u16| find(tag).and_then(|e| unsigned(e, le));
    let ratio = |tag: u16| find(tag).and_then(|e| rational(e, le));
    let mut shot = Shot {
        make: text(MAKE),
        model: text(MODEL),
        lens: text(LENS_MODEL),
        f_number: ratio(F_NUMBER),
        exposure_seconds: ratio(EXPOSURE_TIME),
        iso: number(ISO),
        focal_mm: ratio(FOCAL_LENGTH),
        focal_35mm: number(FOCAL_35MM),
        ..Shot::default()
    };
    shot.set_taken(&text(TAKEN).unwrap_or_default(), text(TAKEN_OFFSET).as_deref());
    if shot.taken.is_none() {
        shot.set_taken(&text(DIGITIZED).unwrap_or_default(), text(DIGITIZED_OFFSET).as_deref());
    }
    shot.checked()
}

/// An ASCII entry up to its first NUL (or any entry of bytes, read as Latin-1 would lose
/// nothing a page needs: non-ASCII bytes become replacement characters).
fn ascii(e: &Tagged) -> Option<String> {
    if !matches!(e.typ, 2 | 7) {
        return None;
    }
    let end = e.value.iter().position(|b| *b == 0).unwrap_or(e.value.len());
    Some(String::from_utf8_lossy(&e.value[..end]).into_owned())
}

/// The first value of a BYTE, SHORT or LONG entry.
fn unsigned(e: &Tagged, le: bool) -> Option<u32> {
    let v = &e.value;
    match e.typ {
        1 => v.first().map(|b| u32::from(*b)),
        3 => {
            let b: [u8; 2] = v.get(..2)?.try_into().ok()?;
            Some(u32::from(if le { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) }))
        }
        4 => {
            let b: [u8; 4] = v.get(..4)?.try_into().ok()?;
            Some(if le { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
        }
        _ => None,
    }
}

/// The first value of a RATIONAL or SRATIONAL entry; `None` for a zero denominator.
fn rational(e: &Tagged, le: bool) -> Option<f64> {
    let word = |at: usize| -> Option<[u8; 4]> { e.value.get(at..at + 4)?.try_into().ok() };
    let (n, d) = (word(0)?, word(4)?);
    let (n, d) = match (e.typ, le) {
        (5, true) => (f64::from(u32::from_le_bytes(n)), f64::from(u32::from_le_bytes(d))),
        (5, false) => (f64::from(u32::from_be_bytes(n)), f64::from(u32::from_be_bytes(d))),
        (10, true) => (f64::from(i32::from_le_bytes(n)), f64::from(i32::from_le_bytes(d))),
        (10, false) => (f64::from(i32::from_be_bytes(n)), f64::from(i32::from_be_bytes(d))),
        _ => return None,
    };
    (d != 0.0).then(|| n / d).filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian TIFF block: IFD0 with `ifd0`, and an EXIF sub-IFD with `exif`; each
    /// entry (tag, type, count, value bytes), values over four bytes stored after the IFDs.
    fn block(ifd0: &[(u16, u16, u32, Vec<u8>)], exif: &[(u16, u16, u32, Vec<u8>)]) -> Vec<u8> {
        let ifd_len = |n: usize| 2 + 12 * n + 4;
        let first = 8usize;
        let second = first + ifd_len(ifd0.len() + 1);
        let mut extra_at = second + ifd_len(exif.len());
        let mut out = b"II*\0".to_vec();
        out.extend_from_slice(&(first as u32).to_le_bytes());
        let mut extra = Vec::new();
        let mut write = |out: &mut Vec<u8>, entries: &[(u16, u16, u32, Vec<u8>)], link: Option<usize>| {
            let count = entries.len() + usize::from(link.is_some());
            out.extend_from_slice(&(count as u16).to_le_bytes());
            for (tag, typ, n, value) in entries {
                out.extend_from_slice(&tag.to_le_bytes());
                out.extend_from_slice(&typ.to_le_bytes());
                out.extend_from_slice(&n.to_le_bytes());
                if value.len() <= 4 {
                    let mut raw = value.clone();
                    raw.resize(4, 0);
                    out.extend_from_slice(&raw);
                } else {
                    out.extend_from_slice(&(extra_at as u32).to_le_bytes());
                    extra_at += value.len();
                    extra.extend_from_slice(value);
                }
            }
            if let Some(at) = link {
                out.extend_from_slice(&0x8769u16.to_le_bytes());
                out.extend_from_slice(&4u16.to_le_bytes());
                out.extend_from_slice(&1u32.to_le_bytes());
                out.extend_from_slice(&(at as u32).to_le_bytes());
            }
            out.extend_from_slice(&0u32.to_le_bytes());
        };
        write(&mut out, ifd0, Some(second));
        write(&mut out, exif, None);
        out.extend_from_slice(&extra);
        out
    }

    fn text(tag: u16, s: &str) -> (u16, u16, u32, Vec<u8>) {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        (tag, 2, v.len() as u32, v)
    }

    fn ratio(tag: u16, n: u32, d: u32) -> (u16, u16, u32, Vec<u8>) {
        (tag, 5, 1, [n.to_le_bytes(), d.to_le_bytes()].concat())
    }

    #[test]
    fn a_camera_s_exif_reads_as_its_shot() {
        let data = block(
            &[text(MAKE, "Canon"), text(MODEL, "Canon EOS R5")],
            &[
                ratio(EXPOSURE_TIME, 1, 200),
                ratio(F_NUMBER, 28, 10),
                (ISO, 3, 1, 400u16.to_le_bytes().to_vec()),
                text(TAKEN, "2024:03:12 14:03:07"),
                text(TAKEN_OFFSET, "+01:00"),
                ratio(FOCAL_LENGTH, 50, 1),
                (FOCAL_35MM, 3, 1, 75u16.to_le_bytes().to_vec()),
                text(LENS_MODEL, "RF24-70mm F2.8 L IS USM"),
            ],
        );
        let shot = from_exif(&data);
        assert_eq!(shot.camera().as_deref(), Some("Canon EOS R5"));
        assert_eq!(shot.lens.as_deref(), Some("RF24-70mm F2.8 L IS USM"));
        assert_eq!(shot.exposure().as_deref(), Some("f/2.8 · 1/200 s · ISO 400 · 50 mm (75 mm on 35 mm)"));
        assert_eq!(shot.taken.as_deref(), Some("2024-03-12T14:03:07+01:00"));
    }

    /// Every byte of a camera's block changed, and every cut of it: no panic, and what is read
    /// still reads back the same through the column's checks.
    #[test]
    fn damaged_blocks_read_as_something_checked_or_nothing() {
        let good = block(
            &[text(MAKE, "Canon"), text(MODEL, "Canon EOS R5")],
            &[ratio(EXPOSURE_TIME, 1, 200), ratio(F_NUMBER, 28, 10), text(TAKEN, "2024:03:12 14:03:07")],
        );
        for at in 0..good.len() {
            for value in [0x00, 0x01, 0x7F, 0x80, 0xFF] {
                let mut bad = good.clone();
                bad[at] = value;
                let shot = from_exif(&bad);
                assert_eq!(Shot::from_column(Some(&shot.to_column())).as_ref(), Some(&shot), "byte {at}");
            }
            let cut = from_exif(&good[..at]);
            assert_eq!(Shot::from_column(Some(&cut.to_column())).as_ref(), Some(&cut), "cut at {at}");
        }
    }

    #[test]
    fn hostile_values_are_left_out() {
        let long = "x".repeat(5000);
        let data = block(
            &[text(MAKE, &long), text(MODEL, "\u{7}\u{1b}[31m")],
            &[
                ratio(EXPOSURE_TIME, 1, 0),
                ratio(F_NUMBER, 0, 10),
                (ISO, 3, 1, 0u16.to_le_bytes().to_vec()),
                text(TAKEN, "0000:00:00 00:00:00"),
                text(DIGITIZED, "2020:01:02 03:04:05"),
                (FOCAL_LENGTH, 5, 1000, vec![1, 2, 3, 4]),
                (LENS_MODEL, 3, 1, vec![1, 0]),
            ],
        );
        let shot = from_exif(&data);
        assert_eq!(shot.make.as_deref().map(str::len), Some(100), "cut to its length");
        assert_eq!(shot.model.as_deref(), Some("[31m"), "no control characters");
        assert_eq!((shot.exposure_seconds, shot.f_number, shot.iso, shot.focal_mm), (None, None, None, None));
        assert_eq!(shot.lens, None);
        assert_eq!(shot.taken.as_deref(), Some("2020-01-02T03:04:05"), "the digitized time stands in");
        for junk in [&b""[..], b"II*\0", b"MM\0*\0\0\0\x08\xff\xff", b"II*\0\xff\xff\xff\xff"] {
            assert!(from_exif(junk).is_empty());
        }
    }
}

//! Turning a JPEG without touching its pixels. Every browser, viewer and Mediadesk's own
//! previews show a JPEG as its EXIF orientation says; the turn is composed with that
//! orientation and written back, so the compressed image data is copied byte for byte and
//! nothing is lost however often a photo turns (re-encoding would lose a little each time).
//! The tag is changed where it is. An EXIF block without it gets its first directory copied to
//! the block's end with the tag added: every other offset in the block counts from the block's
//! start and stays valid, so nothing else in it moves. A file without EXIF gets a block
//! holding only the tag.

use crate::domain::Turn;

use crate::media::file::FileError;
use crate::media::file::decode::{is_exif, segments};
use crate::media::file::privacy::tiff::Tiff;

use super::{ORIENTATION, orientation_entry, orientation_tag, turned};

/// A JPEG segment's length field counts itself and the payload.
const MAX_SEGMENT: usize = 0xFFFF;

/// `data` (a whole JPEG) with its orientation turned by `turn`.
pub fn turn_jpeg(data: &[u8], turn: Turn) -> Result<Vec<u8>, FileError> {
    let bad = || FileError::Corrupt("the JPEG's headers are malformed, so it cannot be turned".into());
    if !data.starts_with(&[0xFF, 0xD8]) {
        return Err(bad());
    }
    let mut insert_at = 2;
    for s in segments(data) {
        let body = s.body.ok_or_else(bad)?;
        if is_exif(s.marker, body) {
            return with_exif(data, s.at, s.len, turn).ok_or_else(bad)?;
        }
        // EXIF goes after a JFIF header, which must come first.
        if s.marker == 0xE0 && s.at == 2 {
            insert_at = s.at + 2 + s.len;
        }
    }
    let mut out = Vec::with_capacity(data.len() + 40);
    out.extend_from_slice(&data[..insert_at]);
    let mut tiff = b"MM\0*\0\0\0\x08\0\x01".to_vec();
    tiff.extend_from_slice(&orientation_tag(turned(1, turn), false));
    tiff.extend_from_slice(&[0; 4]);
    segment(&mut out, &tiff);
    out.extend_from_slice(&data[insert_at..]);
    Ok(out)
}

/// The file with the EXIF segment at `at` (of length field `len`) turned; `None` when its
/// TIFF structure cannot be read, `Some(Err)` when the tag cannot be added within a segment.
fn with_exif(data: &[u8], at: usize, len: usize, turn: Turn) -> Option<Result<Vec<u8>, FileError>> {
    let tiff_at = at + 4 + 6;
    let tiff = data.get(tiff_at..at + 2 + len)?;
    let (t, ifd0) = Tiff::parse(tiff)?;
    let (ifd0, le) = (ifd0 as usize, t.le);
    let count = usize::from(t.u16(ifd0)?);
    let entries = tiff.get(ifd0 + 2..ifd0 + 2 + 12 * count)?;
    let next = t.u32(ifd0 + 2 + 12 * count)?;
    if let Some((o, was)) = orientation_entry(&t, ifd0, count) {
        let e = orientation_tag(turned(was, turn), le);
        let mut out = data.to_vec();
        out[tiff_at + o..tiff_at + o + 12].copy_from_slice(&e);
        return Some(Ok(out));
    }
    // A copy of the directory at the block's end, with the tag in its place among the others
    // (directories are sorted by tag), and the header pointed at it.
    let mut moved = tiff.to_vec();
    if moved.len() % 2 == 1 {
        moved.push(0);
    }
    let new_at = moved.len();
    let count_bytes =
        if le { ((count + 1) as u16).to_le_bytes() } else { ((count + 1) as u16).to_be_bytes() };
    moved.extend_from_slice(&count_bytes);
    let mut added = false;
    for n in 0..count {
        let e = &entries[12 * n..12 * n + 12];
        let tag = t.u16(ifd0 + 2 + 12 * n)?;
        if !added && tag > ORIENTATION {
            moved.extend_from_slice(&orientation_tag(turned(1, turn), le));
            added = true;
        }
        moved.extend_from_slice(e);
    }
    if !added {
        moved.extend_from_slice(&orientation_tag(turned(1, turn), le));
    }
    moved.extend_from_slice(&if le { next.to_le_bytes() } else { next.to_be_bytes() });
    let header = if le { (new_at as u32).to_le_bytes() } else { (new_at as u32).to_be_bytes() };
    moved[4..8].copy_from_slice(&header);
    if 2 + 6 + moved.len() > MAX_SEGMENT {
        return Some(Err(FileError::Limits(
            "the photo's EXIF block is full, so no orientation can be added to it".into(),
        )));
    }
    let mut out = Vec::with_capacity(data.len() + 12 * (count + 2));
    out.extend_from_slice(&data[..at]);
    segment(&mut out, &moved);
    out.extend_from_slice(&data[at + 2 + len..]);
    Some(Ok(out))
}

/// An APP1 segment holding `tiff` as EXIF.
fn segment(out: &mut Vec<u8>, tiff: &[u8]) {
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(tiff);
}

#[cfg(test)]
mod tests {
    use image::metadata::Orientation;

    use super::*;
    use crate::media::file::turn::test_support::{TURNS, damaged, fixture};

    /// The first EXIF block's orientation, as the decoders read it.
    fn orientation(jpeg: &[u8]) -> Orientation {
        crate::media::file::decode::jpeg_orientation(jpeg)
    }

    /// Everything from the start of the scan on: the compressed pixels.
    fn scan(jpeg: &[u8]) -> &[u8] {
        let at = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
        &jpeg[at..]
    }

    #[test]
    fn turns_compose_like_the_image_they_turn() {
        for was in 1..=8 {
            let four = (0..4).fold(was, |o, _| turned(o, Turn::Right));
            assert_eq!(four, was);
            assert_eq!(turned(turned(was, Turn::Right), Turn::Left), was);
            assert_eq!(turned(turned(was, Turn::Mirror), Turn::Mirror), was);
            assert_eq!(turned(turned(was, Turn::Right), Turn::Right), turned(was, Turn::Half));
        }
        assert_eq!(TURNS.map(|t| turned(1, t)), [8, 6, 3, 2]);
        // A photo shown turned right, then mirrored: mirrored first, then turned left.
        assert_eq!(turned(6, Turn::Mirror), 5);
        assert_eq!(turned(0, Turn::Right), 6, "a nonsense orientation counts as upright");
        // The decoders agree on what each value means.
        assert_eq!(Orientation::from_exif(turned(1, Turn::Right) as u8), Some(Orientation::Rotate90));
        assert_eq!(Orientation::from_exif(turned(1, Turn::Left) as u8), Some(Orientation::Rotate270));
    }

    #[test]
    fn a_jpeg_without_exif_gets_only_the_tag_and_the_same_pixels() {
        let plain = fixture("image.jpg");
        assert_eq!(orientation(&plain), Orientation::NoTransforms);
        let right = turn_jpeg(&plain, Turn::Right).unwrap();
        assert_eq!(orientation(&right), Orientation::Rotate90);
        assert_eq!(scan(&right), scan(&plain));
        assert_eq!(right.len(), plain.len() + 36);
        let back = turn_jpeg(&right, Turn::Left).unwrap();
        assert_eq!((orientation(&back), back.len()), (Orientation::NoTransforms, right.len()));
    }

    #[test]
    fn an_orientation_is_changed_where_it_is() {
        let six = fixture("image-exif-rot6.jpg");
        assert_eq!(orientation(&six), Orientation::Rotate90);
        let half = turn_jpeg(&six, Turn::Right).unwrap();
        assert_eq!(orientation(&half), Orientation::Rotate180);
        assert_eq!(half.len(), six.len());
        let differ = six.iter().zip(&half).filter(|(a, b)| a != b).count();
        assert_eq!(differ, 1, "one byte of the tag's value");
    }

    #[test]
    fn exif_without_an_orientation_keeps_its_entries_and_gains_one() {
        // image.jpg with an EXIF block naming only its camera's make, little-endian.
        let plain = fixture("image.jpg");
        let mut tiff = b"II*\0\x08\0\0\0\x02\0".to_vec();
        tiff.extend_from_slice(&[0x0F, 0x01, 2, 0, 4, 0, 0, 0, b'A', b'c', b'm', 0]); // Make
        tiff.extend_from_slice(&[0x31, 0x01, 2, 0, 6, 0, 0, 0, 38, 0, 0, 0]); // Software, at 38
        tiff.extend_from_slice(&[0; 4]);
        tiff.extend_from_slice(b"mdesk\0");
        let mut with = plain[..2].to_vec();
        segment(&mut with, &tiff);
        with.extend_from_slice(&plain[2..]);
        assert_eq!(orientation(&with), Orientation::NoTransforms);
        let mirrored = turn_jpeg(&with, Turn::Mirror).unwrap();
        assert_eq!(orientation(&mirrored), Orientation::FlipHorizontal);
        assert_eq!(scan(&mirrored), scan(&plain));
        let exif = crate::media::file::decode::app1_exif(&mirrored).unwrap();
        let text = String::from_utf8_lossy(exif);
        assert!(text.contains("Acm") && text.contains("mdesk"), "{text:?}");
        // Turned again, the tag now there is changed in place.
        let upright = turn_jpeg(&mirrored, Turn::Mirror).unwrap();
        assert_eq!((orientation(&upright), upright.len()), (Orientation::NoTransforms, mirrored.len()));
    }

    /// Cut anywhere in its headers or with bytes changed there, a file is refused or turned,
    /// never a panic (the stored file passed the upload's checks, but a store can rot).
    #[test]
    fn damaged_headers_never_panic() {
        for name in ["image-exif-rot6.jpg", "image.jpg"] {
            let data = fixture(name);
            let head = data.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap() + 2;
            for cut in 0..head {
                for turn in TURNS {
                    let _ = turn_jpeg(&data[..cut], turn);
                }
            }
            for (bad, turn) in damaged(&data[..head + 16], 0..head, (20_000, 4)) {
                let _ = turn_jpeg(&bad, turn);
            }
        }
    }

    #[test]
    fn what_is_not_a_jpeg_or_is_cut_short_is_refused() {
        assert!(turn_jpeg(b"GIF89a", Turn::Left).is_err());
        let six = fixture("image-exif-rot6.jpg");
        let exif_at = six.windows(4).position(|w| w == b"Exif").unwrap();
        assert!(turn_jpeg(&six[..exif_at + 12], Turn::Left).is_err());
    }
}

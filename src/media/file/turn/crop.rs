//! Cropping an image without losing anything. A JPEG keeps the compressed blocks inside the
//! crop as they are, never decoded and compressed again; its stored image starts on a grid of
//! 8 or 16 pixels, so the crop's edge on that side moves out to the grid (up to 15 pixels more
//! than asked, said back to the person). A PNG's pixels are cut at their own bit depth and
//! compressed again, which loses nothing. The EXIF thumbnail, a small copy of the whole picture
//! that viewers rarely show, is blanked: it would still show what the crop cut away.

use crate::domain::Crop;
use crate::media::file::FileError;
use crate::media::file::decode::libjpeg;
use crate::media::file::decode::{is_exif, jpeg_orientation, segments};
use crate::media::file::privacy::tiff::Tiff;

use super::grid::Placement;
use super::png;

/// Where a thumbnail's bytes are (JPEGInterchangeFormat, …Length) and a one-strip thumbnail's
/// (StripOffsets, StripByteCounts).
const THUMBNAIL_TAGS: [(u16, u16); 2] = [(0x0201, 0x0202), (0x0111, 0x0117)];

/// Whether an image of this type and number of frames crops without loss.
pub fn crops_losslessly(content_type: &str, frames: u32) -> bool {
    match content_type {
        "image/jpeg" => true,
        "image/png" => frames <= 1,
        _ => false,
    }
}

/// `data` (a whole file of `content_type`) cut to `crop` of the image as shown;
/// the file and the rectangle it holds, which for a JPEG may reach further than asked.
pub fn crop_image(content_type: &str, data: &[u8], crop: Crop) -> Result<(Vec<u8>, Crop), FileError> {
    match content_type {
        "image/jpeg" => crop_jpeg(data, crop),
        "image/png" => png::crop_png(data, crop).map(|png| (png, crop)),
        // The service asks only for what `crops_losslessly` allows.
        other => Err(FileError::Internal(format!("a file of type {other} is not cropped"))),
    }
}

fn crop_jpeg(data: &[u8], crop: Crop) -> Result<(Vec<u8>, Crop), FileError> {
    let bad =
        |e: String| FileError::Corrupt(format!("the JPEG could not be read, so it cannot be cropped: {e}"));
    let (w, h, bw, bh) = libjpeg::blocks(data).map_err(bad)?;
    let orientation = u16::from(jpeg_orientation(data).to_exif());
    let shown = Placement::new(w, h, orientation);
    if let Some(why) = crop.refused((shown.w, shown.h)) {
        return Err(FileError::Internal(format!("the JPEG is not as recorded: {why}")));
    }
    // The stored rectangle is the shown one placed back: the inverse orientation (only the
    // two quarter turns are not their own inverse).
    let back = Placement::new(
        shown.w,
        shown.h,
        match orientation {
            6 => 8,
            8 => 6,
            o => o,
        },
    );
    let (x, y, cw, ch) = back.rect((crop.left, crop.top, crop.width, crop.height));
    let (gx, gy) = (x / bw * bw, y / bh * bh);
    let stored = (gx, gy, cw + (x - gx), ch + (y - gy));
    let mut out = libjpeg::crop_blocks(data, stored).map_err(bad)?;
    blank_jpeg_thumbnail(&mut out);
    let (left, top, width, height) = Placement::new(w, h, orientation).rect(stored);
    Ok((out, Crop { left, top, width, height }))
}

/// Blanks the thumbnail of the first EXIF block in a JPEG, where it lies.
fn blank_jpeg_thumbnail(jpeg: &mut [u8]) {
    let found = segments(jpeg).find_map(|s| {
        let body = s.body?;
        is_exif(s.marker, body).then_some((s.at + 4 + 6, s.at + 2 + s.len))
    });
    if let Some((from, to)) = found
        && let Some(tiff) = jpeg.get_mut(from..to)
    {
        clear_thumbnail(tiff);
    }
}

/// Blanks an EXIF block's thumbnail (the image its second directory describes) in place, so no
/// other offset moves, and unlinks that directory.
pub(super) fn clear_thumbnail(tiff: &mut [u8]) {
    let Some((next_at, spans)) = thumbnail(tiff) else { return };
    for (at, len) in spans {
        if let Some(bytes) = tiff.get_mut(at..at.saturating_add(len)) {
            bytes.fill(0);
        }
    }
    if let Some(next) = tiff.get_mut(next_at..next_at + 4) {
        next.fill(0);
    }
}

/// Where IFD0's link to the next directory is, and the thumbnail's byte spans.
fn thumbnail(tiff: &[u8]) -> Option<(usize, Vec<(usize, usize)>)> {
    let (t, ifd0) = Tiff::parse(tiff)?;
    let count = usize::from(t.u16(ifd0 as usize)?);
    let next_at = ifd0 as usize + 2 + 12 * count;
    let ifd1 = t.u32(next_at)? as usize;
    if ifd1 == 0 {
        return None;
    }
    let entries = usize::from(t.u16(ifd1).unwrap_or(0)).min(1024);
    let value = |tag: u16| {
        (0..entries).map(|n| ifd1 + 2 + 12 * n).find(|&e| t.u16(e) == Some(tag)).and_then(|e| {
            // SHORT or LONG, one value.
            match t.u16(e + 2)? {
                3 => t.u16(e + 8).map(usize::from),
                4 => t.u32(e + 8).map(|v| v as usize),
                _ => None,
            }
        })
    };
    let spans = THUMBNAIL_TAGS.iter().filter_map(|&(at, len)| Some((value(at)?, value(len)?))).collect();
    Some((next_at, spans))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Turn;
    use crate::media::file::turn::turn_jpeg;

    #[test]
    fn a_jpeg_crop_is_placed_back_through_its_orientation() {
        let pixels: Vec<u8> = (0..64 * 48 * 3).map(|i| (i % 241) as u8).collect();
        let upright = libjpeg::encode_rgb(&pixels, 64, 48, 90).unwrap();
        // Stored 64×48, shown 48×64 a quarter turn right (orientation 6).
        let turned = turn_jpeg(&upright, Turn::Right).unwrap();
        let asked = Crop { left: 5, top: 20, width: 30, height: 40 };
        let (out, got) = crop_image("image/jpeg", &turned, asked).unwrap();
        // Shown (x, y) is stored (y, 47 - x): asked is stored x 20..60, y 13..43, which moves
        // out to the 16-pixel grid at its stored left and top: x 16.., y 0...
        assert_eq!(libjpeg::blocks(&out).unwrap(), (44, 43, 16, 16));
        assert_eq!(got, Crop { left: 5, top: 16, width: 43, height: 44 });
        assert!(got.left <= asked.left && got.top <= asked.top);
        assert!(
            got.left + got.width >= asked.left + asked.width
                && got.top + got.height >= asked.top + asked.height
        );
        assert_eq!(jpeg_orientation(&out).to_exif(), 6, "still shown turned");
        // On the grid already: exactly what was asked.
        let on_grid = Crop { left: 0, top: 16, width: 32, height: 16 };
        let (out, got) = crop_image("image/jpeg", &upright, on_grid).unwrap();
        assert_eq!((got, libjpeg::blocks(&out).unwrap().0), (on_grid, 32));
        assert!(crop_image("image/jpeg", &upright, Crop { left: 0, top: 0, width: 65, height: 1 }).is_err());
    }

    #[test]
    fn the_exif_thumbnail_is_blanked_and_unlinked() {
        // II, IFD0 at 8: one entry (orientation 1), then IFD1 at 26: its JPEG at 56, 6 bytes.
        let mut tiff = b"II*\0\x08\0\0\0".to_vec();
        tiff.extend_from_slice(&[1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0]);
        tiff.extend_from_slice(&[2, 0]);
        tiff.extend_from_slice(&[0x01, 0x02, 4, 0, 1, 0, 0, 0, 56, 0, 0, 0]);
        tiff.extend_from_slice(&[0x02, 0x02, 4, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
        tiff.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(tiff.len(), 56);
        tiff.extend_from_slice(b"THUMB!tail");
        let (t, ifd0) = Tiff::parse(&tiff).unwrap();
        assert_eq!((ifd0, t.u32(22)), (8, Some(26)));
        clear_thumbnail(&mut tiff);
        assert_eq!(&tiff[56..], b"\0\0\0\0\0\0tail");
        assert_eq!(&tiff[22..26], &[0, 0, 0, 0], "no second directory");
        assert_eq!(&tiff[18..20], &[1, 0], "the orientation as it was");
        let mut plain = b"II*\0\x08\0\0\0\0\0\0\0\0\0".to_vec();
        clear_thumbnail(&mut plain);
        assert_eq!(plain, b"II*\0\x08\0\0\0\0\0\0\0\0\0", "nothing to blank");
    }
}

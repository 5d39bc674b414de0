//! Turning and cropping an image. A JPEG's orientation tag changes and its compressed pixels
//! are copied as they are ([`jpeg`]); a PNG's or GIF's pixels are moved and compressed again,
//! which loses nothing as both formats are lossless, with what the file says about itself kept
//! ([`png`], [`gif`]); so are a lossless WebP's, while a lossy WebP, which no turn leaves as it
//! was, is compressed anew at a high quality ([`webp`]). Crops are [`crop`]'s.

mod crop;
mod exif_edit;
mod gif;
mod grid;
mod jpeg;
mod png;
mod webp;

use crate::domain::Turn;
use crate::media::file::FileError;
use crate::media::file::privacy::tiff::Tiff;

pub use crop::{can_crop, crop_image};
pub use jpeg::turn_jpeg;

const ORIENTATION: u16 = 0x0112;
const SHORT: u16 = 3;

/// Whether an image of this type and number of frames is turned here (an animated PNG's or
/// WebP's frames would each need placing anew, so it is not).
pub fn can_turn(content_type: &str, frames: u32) -> bool {
    match content_type {
        "image/jpeg" | "image/gif" => true,
        "image/png" | "image/webp" => frames <= 1,
        _ => false,
    }
}

/// Pixels a turn moves in the time a 24 MP JPEG's turn takes (its tag changes, its previews
/// are made again): measured with `bench/run.sh turn`, a 12 MP PNG costs about three.
const PIXELS_PER_WORK: u64 = 4_000_000;

/// What turning an image costs, in turns of a 24 MP JPEG (at least one): a JPEG's pixels do not
/// move, a PNG's or GIF's all do, in every frame; a WebP's too, and libwebp compressing them
/// again takes three times as long as a PNG's (1.06 s against 0.34 s a file for 12 MP,
/// `bench/run.sh turn`).
pub fn turn_work(content_type: &str, (width, height): (u32, u32), frames: u32) -> u64 {
    if content_type == "image/jpeg" {
        return 1;
    }
    let weight = if content_type == "image/webp" { 3 } else { 1 };
    let pixels = u64::from(width) * u64::from(height) * u64::from(frames.max(1)) * weight;
    pixels.div_ceil(PIXELS_PER_WORK).max(1)
}

/// `data` (a whole file of `content_type`) turned by `turn`.
pub fn turn_image(content_type: &str, data: &[u8], turn: Turn) -> Result<Vec<u8>, FileError> {
    match content_type {
        "image/jpeg" => turn_jpeg(data, turn),
        "image/png" => png::turn_png(data, turn),
        "image/gif" => gif::turn_gif(data, turn),
        "image/webp" => webp::turn_webp(data, turn),
        // The service asks only for what `can_turn` allows.
        other => Err(FileError::Internal(format!("a file of type {other} is not turned"))),
    }
}

/// (quarter turns clockwise, mirrored first) for EXIF orientations 1 to 8: how a viewer turns
/// the stored pixels to show them.
const PARTS: [(u8, bool); 8] =
    [(0, false), (0, true), (2, false), (2, true), (3, true), (1, false), (1, true), (3, false)];

/// EXIF orientation `was` followed by `turn`. Mirroring after quarter turns equals mirroring
/// first and turning back as far.
fn turned(was: u16, turn: Turn) -> u16 {
    let was = if (1..=8).contains(&was) { was } else { 1 };
    let (k, mirrored) = PARTS[usize::from(was) - 1];
    let (k, mirrored) = match turn {
        Turn::Right => ((k + 1) % 4, mirrored),
        Turn::Half => ((k + 2) % 4, mirrored),
        Turn::Left => ((k + 3) % 4, mirrored),
        Turn::Mirror => ((4 - k) % 4, !mirrored),
    };
    let n = PARTS.iter().position(|&p| p == (k, mirrored)).expect("every turn is an orientation");
    n as u16 + 1
}

/// Where the entry for `tag` is in the directory at `ifd`, if it has one.
fn find_entry(t: &Tiff, ifd: usize, tag: u16) -> Option<usize> {
    let count = usize::from(t.u16(ifd)?).min(1024);
    (0..count).map(|n| ifd + 2 + 12 * n).find(|&e| t.u16(e) == Some(tag))
}

/// The orientation entry: tag, SHORT, one value, the value padded to four bytes.
fn orientation_tag(value: u16, le: bool) -> [u8; 12] {
    let two = |v: u16| if le { v.to_le_bytes() } else { v.to_be_bytes() };
    let mut e = [0; 12];
    e[..2].copy_from_slice(&two(ORIENTATION));
    e[2..4].copy_from_slice(&two(SHORT));
    e[4..8].copy_from_slice(&if le { 1u32.to_le_bytes() } else { 1u32.to_be_bytes() });
    e[8..10].copy_from_slice(&two(value));
    e
}

/// Where the orientation entry of the directory at `ifd` (of `count` entries) is, and its
/// value (upright when it is not a SHORT, as the decoders read it).
fn orientation_entry(t: &Tiff, ifd: usize, count: usize) -> Option<(usize, u16)> {
    let n = (0..count).find(|n| t.u16(ifd + 2 + 12 * n) == Some(ORIENTATION))?;
    let at = ifd + 2 + 12 * n;
    let (typ, value) = (t.u16(at + 2)?, t.u16(at + 8)?);
    Some((at, if typ == SHORT { value } else { 1 }))
}

/// Where the EXIF orientation entry is in a bare EXIF block (a PNG's `eXIf`, a WebP's `EXIF`),
/// its value, and the byte order.
fn exif_orientation(body: &[u8]) -> Option<(usize, u16, bool)> {
    let (t, ifd0) = Tiff::parse(body)?;
    let count = usize::from(t.u16(ifd0 as usize)?);
    let (at, value) = orientation_entry(&t, ifd0 as usize, count)?;
    Some((at, value, t.le))
}

/// What the formats' tests share: the fixtures, the four turns, damaged copies of a file.
#[cfg(test)]
mod test_support {
    use std::ops::Range;

    use crate::domain::Turn;

    pub(super) const TURNS: [Turn; 4] = [Turn::Left, Turn::Right, Turn::Half, Turn::Mirror];

    pub(super) fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    /// `copies` copies of `data`, each with `changes` bytes within `span` set to noise (a fixed
    /// xorshift, so a failure repeats), and a turn for each.
    pub(super) fn damaged(
        data: &[u8],
        span: Range<usize>,
        (copies, changes): (usize, usize),
    ) -> impl Iterator<Item = (Vec<u8>, Turn)> {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let data = data.to_vec();
        (0..copies).map(move |_| {
            let mut bad = data.clone();
            for _ in 0..changes {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                bad[span.start + (seed % span.len() as u64) as usize] = (seed >> 32) as u8;
            }
            (bad, TURNS[(seed >> 40) as usize % 4])
        })
    }
}

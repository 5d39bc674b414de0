//! Cropping an image. A JPEG keeps the compressed blocks inside the crop as they are, never
//! decoded and compressed again; its stored image starts on a grid of 8 or 16 pixels, so the
//! crop's edge on that side moves out to the grid (up to 15 pixels more than asked, said back
//! to the person). A PNG's pixels are cut at their own bit depth and a GIF's frames each to
//! their part inside, and compressed again, which loses nothing; a WebP's as [`super::webp`]
//! says. The EXIF thumbnail is blanked and its stated size made the new one
//! ([`super::exif_edit`]).

use crate::domain::Crop;
use crate::media::file::FileError;
use crate::media::file::decode::libjpeg;
use crate::media::file::decode::{is_exif, jpeg_orientation, segments};

use super::exif_edit::{clear_thumbnail, set_pixel_dimensions};
use super::grid::{Placement, inverse};
use super::{gif, png, webp};

/// Whether an image of this type and number of frames is cropped here.
pub fn can_crop(content_type: &str, frames: u32) -> bool {
    super::can_turn(content_type, frames)
}

/// `data` (a whole file of `content_type`) cut to `crop` of the image as shown;
/// the file and the rectangle it holds, which for a JPEG may reach further than asked.
pub fn crop_image(content_type: &str, data: &[u8], crop: Crop) -> Result<(Vec<u8>, Crop), FileError> {
    match content_type {
        "image/jpeg" => crop_jpeg(data, crop),
        "image/png" => png::crop_png(data, crop).map(|png| (png, crop)),
        "image/gif" => gif::crop_gif(data, crop).map(|gif| (gif, crop)),
        "image/webp" => webp::crop_webp(data, crop).map(|webp| (webp, crop)),
        // The service asks only for what `can_crop` allows.
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
    // The stored rectangle is the shown one placed back.
    let back = Placement::new(shown.w, shown.h, inverse(orientation));
    let (x, y, cw, ch) = back.rect((crop.left, crop.top, crop.width, crop.height));
    let (gx, gy) = (x / bw * bw, y / bh * bh);
    let stored = (gx, gy, cw + (x - gx), ch + (y - gy));
    let mut out = libjpeg::crop_blocks(data, stored).map_err(bad)?;
    edit_jpeg_exif(&mut out, (stored.2, stored.3));
    let (left, top, width, height) = Placement::new(w, h, orientation).rect(stored);
    Ok((out, Crop { left, top, width, height }))
}

/// Blanks the thumbnail of the first EXIF block in a JPEG and sets the size it states, where
/// they lie.
fn edit_jpeg_exif(jpeg: &mut [u8], size: (u32, u32)) {
    let found = segments(jpeg).find_map(|s| {
        let body = s.body?;
        is_exif(s.marker, body).then_some((s.at + 4 + 6, s.at + 2 + s.len))
    });
    if let Some((from, to)) = found
        && let Some(tiff) = jpeg.get_mut(from..to)
    {
        clear_thumbnail(tiff);
        set_pixel_dimensions(tiff, size);
    }
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
}

//! Gallery thumbnails: bounded JPEGs made from the upload's one decode, stored as their own
//! objects so the gallery never loads an original. The resize is fast_image_resize's SIMD
//! Lanczos3; orientation is applied to the small result, where it costs nothing.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{DynamicImage, RgbImage};

use super::FileError;
use super::decode::libjpeg;
use super::decode::{Channels, Decoded};

/// Longest side of a gallery thumbnail, in pixels.
pub const THUMB_MAX: u32 = 320;
const JPEG_QUALITY: u8 = 80;
/// Transparent areas are shown on the gallery card's background colour.
const MATTE: [u8; 3] = [0xEC, 0xEE, 0xF2];

pub struct Thumbnail {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// Its ThumbHash, base64: see [`placeholder`].
    pub placeholder: String,
    /// What copies of it share: see [`super::look`].
    pub look: i64,
}

/// Longest side of what the placeholder is made from. ThumbHash takes up to 100 px, but keeps
/// at most 7 cosines a side and is decoded to 32 px: from 32 px its likeness is the same, and
/// its transform (a cosine per pixel and coefficient) costs a tenth (4 ms → 0.4 per upload).
const PLACEHOLDER_MAX: u32 = 32;

/// The ThumbHash of a picture (as shown): some 25 bytes, sent with it as base64, from which a
/// page paints a blurred likeness (colours, light and alpha where it was) while it loads.
pub fn placeholder(rgb: &RgbImage) -> String {
    use base64::Engine;
    let (w, h) = fit(rgb.width(), rgb.height(), PLACEHOLDER_MAX);
    let small = image::imageops::thumbnail(rgb, w, h);
    let rgba: Vec<u8> = small.pixels().flat_map(|p| [p[0], p[1], p[2], 255]).collect();
    base64::engine::general_purpose::STANDARD
        .encode(thumbhash::rgba_to_thumb_hash(w as usize, h as usize, &rgba))
}

/// `w`×`h` fitted into `size`×`size`, keeping the aspect ratio; never enlarged, never 0.
pub fn fit(w: u32, h: u32, size: u32) -> (u32, u32) {
    if w <= size && h <= size {
        return (w.max(1), h.max(1));
    }
    let scale = f64::from(size) / f64::from(w.max(h));
    let side = |v: u32| ((f64::from(v) * scale).round() as u32).clamp(1, size);
    (side(w), side(h))
}

/// Whether an orientation turns the image on its side (width and height swap).
pub fn swaps_sides(o: Orientation) -> bool {
    matches!(
        o,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

fn internal(what: &str, e: impl std::fmt::Display) -> FileError {
    FileError::Internal(format!("thumbnail {what}: {e}"))
}

/// The pixels of `decoded` resized to fit `size`×`size` (measured on the image as stored), and
/// their size; the pixels as they are if they already fit.
fn resized(decoded: &Decoded, size: u32) -> Result<(Vec<u8>, u32, u32), FileError> {
    let (tw, th) = fit(decoded.full_width, decoded.full_height, size);
    if (decoded.width, decoded.height) == (tw, th) {
        return Ok((decoded.pixels.clone(), tw, th));
    }
    let pixel_type = match decoded.channels {
        Channels::Rgb => PixelType::U8x3,
        Channels::Rgba => PixelType::U8x4,
    };
    let src = ImageRef::new(decoded.width, decoded.height, &decoded.pixels, pixel_type)
        .map_err(|e| internal("source", e))?;
    let mut dst = Image::new(tw, th, pixel_type);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new().resize(&src, &mut dst, &options).map_err(|e| internal("resize", e))?;
    Ok((dst.into_vec(), tw, th))
}

/// `decoded` resized to fit `size`×`size`.
pub fn reduce(decoded: &Decoded, size: u32) -> Result<Decoded, FileError> {
    let (pixels, width, height) = resized(decoded, size)?;
    Ok(Decoded { pixels, width, height, ..*decoded })
}

/// Resizes to fit `size`×`size`, flattens transparency, orients and encodes as JPEG.
pub fn render(decoded: &Decoded, size: u32) -> Result<Thumbnail, FileError> {
    let (pixels, tw, th) = resized(decoded, size)?;
    let rgb = match decoded.channels {
        Channels::Rgb => pixels,
        Channels::Rgba => flatten(&pixels),
    };
    let mut image =
        DynamicImage::ImageRgb8(RgbImage::from_raw(tw, th, rgb).ok_or_else(|| internal("buffer", tw))?);
    image.apply_orientation(decoded.orientation);
    let rgb = image.into_rgb8();
    let (width, height) = rgb.dimensions();
    let jpeg =
        libjpeg::encode_rgb(rgb.as_raw(), width, height, JPEG_QUALITY).map_err(|e| internal("encode", e))?;
    Ok(Thumbnail { jpeg, width, height, placeholder: placeholder(&rgb), look: super::look::look(&rgb) })
}

/// JPEG has no alpha: blend RGBA onto the matte colour.
fn flatten(rgba: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rgba.len() / 4 * 3);
    for p in rgba.chunks_exact(4) {
        let a = u16::from(p[3]);
        for c in 0..3 {
            out.push(((u16::from(p[c]) * a + u16::from(MATTE[c]) * (255 - a)) / 255) as u8);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_keeps_the_aspect_and_never_enlarges() {
        assert_eq!(fit(6000, 4000, 320), (320, 213));
        assert_eq!(fit(4000, 6000, 320), (213, 320));
        assert_eq!(fit(100, 50, 320), (100, 50));
        assert_eq!(fit(20_000, 1, 320), (320, 1));
    }

    #[test]
    fn the_placeholder_paints_a_likeness() {
        use base64::Engine;
        // Left half red, right half blue, 320×160.
        let rgb =
            RgbImage::from_fn(
                320,
                160,
                |x, _| if x < 160 { [220, 20, 20].into() } else { [20, 20, 220].into() },
            );
        let hash = base64::engine::general_purpose::STANDARD.decode(placeholder(&rgb)).unwrap();
        assert!(hash.len() <= 30, "{} bytes", hash.len());
        let (w, h, rgba) = thumbhash::thumb_hash_to_rgba(&hash).unwrap();
        assert!((w as f64 / h as f64 - 2.0).abs() < 0.3, "the shape is kept: {w}×{h}");
        let at = |x: usize, y: usize| &rgba[(y * w + x) * 4..(y * w + x) * 4 + 3];
        let (left, right) = (at(2, h / 2), at(w - 3, h / 2));
        assert!(left[0] > 150 && left[2] < 100, "red on the left: {left:?}");
        assert!(right[2] > 150 && right[0] < 100, "blue on the right: {right:?}");
    }

    #[test]
    fn transparency_becomes_the_matte() {
        assert_eq!(flatten(&[255, 0, 0, 255, 9, 9, 9, 0]), [255, 0, 0, MATTE[0], MATTE[1], MATTE[2]]);
    }
}

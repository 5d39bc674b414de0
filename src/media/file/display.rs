//! The detail page's picture of a large image: at most 2048 px on its longer side, made at
//! upload from the same decode as the thumbnail (a 24 MP JPEG decodes once, at 3/8 scale, for
//! both), so a phone on a slow link loads a few hundred kilobytes instead of the original.
//! Opaque images become JPEG; images with transparency lossy WebP, which keeps it. GIFs get
//! none: their animation would be lost, and they are small anyway.
//!
//! The decode hands over a [`DisplaySource`]: the upload answers once the thumbnail is made,
//! and the rendition (resize and encode, half the work) follows on another core.

use image::{DynamicImage, RgbImage, RgbaImage};

use super::FileError;
use super::contained::contained;
use super::decode::{Channels, Decoded, libjpeg, webp};
use super::sniff::MediaType;
use super::thumbnail;

/// Longest side of a display rendition, in pixels.
pub const DISPLAY_MAX: u32 = 2048;
const JPEG_QUALITY: u8 = 82;
const WEBP_QUALITY: f32 = 80.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayFormat {
    Jpeg,
    Webp,
}

impl DisplayFormat {
    /// The rendition's key suffix, next to its original: `u1/abc.png` → `u1/abc.display.webp`.
    pub fn suffix(self) -> &'static str {
        match self {
            DisplayFormat::Jpeg => "display.jpg",
            DisplayFormat::Webp => "display.webp",
        }
    }

    /// The file extension a download of the rendition ends in.
    pub fn extension(self) -> &'static str {
        match self {
            DisplayFormat::Jpeg => "jpg",
            DisplayFormat::Webp => "webp",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            DisplayFormat::Jpeg => "image/jpeg",
            DisplayFormat::Webp => "image/webp",
        }
    }

    /// The format a stored rendition's key names.
    pub fn of_key(key: &str) -> DisplayFormat {
        if key.ends_with(".webp") { DisplayFormat::Webp } else { DisplayFormat::Jpeg }
    }
}

pub struct Display {
    pub bytes: Vec<u8>,
    pub format: DisplayFormat,
    pub width: u32,
    pub height: u32,
}

/// The decoded pixels a display rendition is made from, at least [`DISPLAY_MAX`] on the longer
/// side (or the whole image).
pub struct DisplaySource {
    decoded: Decoded,
    media_type: MediaType,
}

impl DisplaySource {
    pub fn new(decoded: Decoded, media_type: MediaType) -> DisplaySource {
        DisplaySource { decoded, media_type }
    }

    /// Resizes, orients and encodes the rendition.
    pub fn render(self) -> Result<Display, FileError> {
        contained(self.media_type, || render(&thumbnail::reduce(&self.decoded, DISPLAY_MAX)?))
    }
}

/// Whether an image of type `t`, `width`×`height` as stored, gets a display rendition.
pub fn wanted(t: MediaType, width: u64, height: u64) -> bool {
    t != MediaType::Gif && width.max(height) > u64::from(DISPLAY_MAX)
}

/// Orients and encodes `reduced`, already resized to fit [`DISPLAY_MAX`].
pub fn render(reduced: &Decoded) -> Result<Display, FileError> {
    let internal = |what: &str| FileError::Internal(format!("display rendition: {what}"));
    let (w, h) = (reduced.width, reduced.height);
    let opaque = reduced.channels == Channels::Rgb || reduced.pixels.chunks_exact(4).all(|p| p[3] == 255);
    let image = if opaque {
        let rgb = match reduced.channels {
            Channels::Rgb => reduced.pixels.clone(),
            Channels::Rgba => reduced.pixels.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect(),
        };
        DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, rgb).ok_or_else(|| internal("buffer"))?)
    } else {
        let rgba = reduced.pixels.clone();
        DynamicImage::ImageRgba8(RgbaImage::from_raw(w, h, rgba).ok_or_else(|| internal("buffer"))?)
    };
    let mut image = image;
    image.apply_orientation(reduced.orientation);
    let (width, height) = (image.width(), image.height());
    let (bytes, format) = match image {
        DynamicImage::ImageRgb8(rgb) => (
            libjpeg::encode_rgb(rgb.as_raw(), width, height, JPEG_QUALITY).map_err(|e| internal(&e))?,
            DisplayFormat::Jpeg,
        ),
        other => (
            webp::encode_rgba(other.to_rgba8().as_raw(), width, height, WEBP_QUALITY)
                .ok_or_else(|| internal("WebP encode"))?,
            DisplayFormat::Webp,
        ),
    };
    Ok(Display { bytes, format, width, height })
}

#[cfg(test)]
mod tests {
    use image::metadata::Orientation;

    use super::*;

    fn decoded(channels: Channels, alpha: u8, orientation: Orientation) -> Decoded {
        let (w, h) = (40, 20);
        let px: Vec<u8> = match channels {
            Channels::Rgb => vec![90; w * h * 3],
            Channels::Rgba => (0..w * h).flat_map(|_| [90, 90, 90, alpha]).collect(),
        };
        Decoded {
            pixels: px,
            channels,
            width: w as u32,
            height: h as u32,
            full_width: 4000,
            full_height: 2000,
            orientation,
        }
    }

    #[test]
    fn opaque_is_jpeg_transparent_is_webp_and_orientation_is_applied() {
        let jpeg = render(&decoded(Channels::Rgb, 255, Orientation::Rotate90)).unwrap();
        assert_eq!((jpeg.format, jpeg.width, jpeg.height), (DisplayFormat::Jpeg, 20, 40));
        assert!(jpeg.bytes.starts_with(&[0xFF, 0xD8]));
        let opaque = render(&decoded(Channels::Rgba, 255, Orientation::NoTransforms)).unwrap();
        assert_eq!(opaque.format, DisplayFormat::Jpeg, "an alpha channel with nothing in it");
        let clear = render(&decoded(Channels::Rgba, 128, Orientation::NoTransforms)).unwrap();
        assert_eq!((clear.format, &clear.bytes[8..12]), (DisplayFormat::Webp, &b"WEBP"[..]));
    }

    #[test]
    fn only_large_still_images_get_one() {
        assert!(wanted(MediaType::Jpeg, 6000, 4000));
        assert!(wanted(MediaType::Png, 100, 2049));
        assert!(!wanted(MediaType::Webp, 2048, 1536));
        assert!(!wanted(MediaType::Gif, 6000, 4000));
    }
}

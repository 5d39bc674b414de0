//! Decoding for thumbnails: every accepted image format to 8-bit RGB(A), as small as the
//! thumbnail allows. JPEG and WebP shrink while they decode (libjpeg-turbo's scaled IDCT,
//! libwebp's scaled output), which is most of the work saved; PNG and GIF decode in full.
//! Each decode reads the whole stream, so it also proves the file is whole.

mod jpeg;
pub(crate) mod libjpeg;
pub(crate) mod webp;

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Seek};
use std::path::Path;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::FileError;
use super::sniff::MediaType;

/// Caps that keep a hostile header from allocating gigabytes.
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    pub max_side: u32,
    pub max_pixels: u64,
    /// Upper bound for one decode's allocations.
    pub max_alloc: u64,
}

impl Default for ImageLimits {
    fn default() -> Self {
        // 100 MP covers medium-format cameras; RGBA at that size is 400 MB, so 512 MiB of headroom.
        ImageLimits { max_side: 20_000, max_pixels: 100_000_000, max_alloc: 512 * 1024 * 1024 }
    }
}

/// Pixels in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channels {
    Rgb,
    Rgba,
}

impl Channels {
    pub fn count(self) -> usize {
        match self {
            Channels::Rgb => 3,
            Channels::Rgba => 4,
        }
    }
}

/// A decoded image, possibly already reduced.
pub struct Decoded {
    pub pixels: Vec<u8>,
    pub channels: Channels,
    /// Size of `pixels`.
    pub width: u32,
    pub height: u32,
    /// Size of the image as stored, before any reduction or orientation.
    pub full_width: u32,
    pub full_height: u32,
    pub orientation: Orientation,
}

fn corrupt(t: MediaType, why: impl std::fmt::Display) -> FileError {
    FileError::Corrupt(format!("the {} could not be read: {why}", t.label()))
}

/// Decodes the file at `path` (of type `t`) to at least `min_w`×`min_h` pixels where the format
/// can shrink on load. A fast decoder that gives up hands over to the `image` crate, so what is
/// accepted never depends on which decoder ran.
pub fn decode(
    path: &Path,
    t: MediaType,
    limits: &ImageLimits,
    min_w: u32,
    min_h: u32,
) -> Result<Decoded, FileError> {
    match t {
        // Both libraries decode from memory; the file is at most the upload limit.
        MediaType::Jpeg | MediaType::Webp => {
            let data = std::fs::read(path)?;
            let fast = match t {
                MediaType::Jpeg => jpeg::decode_scaled(&data, min_w, min_h),
                _ => webp::decode_scaled(&data, min_w, min_h),
            };
            match fast {
                Some(decoded) => Ok(decoded),
                None => decode_full(Cursor::new(&data[..]), t, limits),
            }
        }
        _ => decode_full(BufReader::new(File::open(path)?), t, limits),
    }
}

/// The `image` crate's decoder, under `limits`: every format, full size, first frame.
pub fn decode_full(
    reader: impl BufRead + Seek,
    t: MediaType,
    limits: &ImageLimits,
) -> Result<Decoded, FileError> {
    let format = match t {
        MediaType::Jpeg => ImageFormat::Jpeg,
        MediaType::Png => ImageFormat::Png,
        MediaType::Gif => ImageFormat::Gif,
        MediaType::Webp => ImageFormat::WebP,
        _ => return Err(FileError::UnsupportedType(format!("a {} is not an image", t.label()))),
    };
    let mut decoder = ImageReader::with_format(reader, format).into_decoder().map_err(|e| corrupt(t, e))?;
    let mut l = Limits::default();
    l.max_image_width = Some(limits.max_side);
    l.max_image_height = Some(limits.max_side);
    l.max_alloc = Some(limits.max_alloc);
    decoder.set_limits(l).map_err(|e| corrupt(t, e))?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    // For animations this is the first frame, which is what the thumbnail shows.
    let image = DynamicImage::from_decoder(decoder).map_err(|e| corrupt(t, e))?;
    let (width, height) = (image.width(), image.height());
    let (pixels, channels) = if image.color().has_alpha() {
        (image.into_rgba8().into_raw(), Channels::Rgba)
    } else {
        (image.into_rgb8().into_raw(), Channels::Rgb)
    };
    Ok(Decoded { pixels, channels, width, height, full_width: width, full_height: height, orientation })
}

/// The EXIF block's orientation; `chunk` may start with the `Exif\0\0` marker or the TIFF header.
fn exif_orientation(chunk: &[u8]) -> Orientation {
    let tiff = chunk.strip_prefix(b"Exif\0\0").unwrap_or(chunk);
    Orientation::from_exif_chunk(tiff).unwrap_or(Orientation::NoTransforms)
}

pub(crate) use jpeg::{app1_exif, is_exif, segments};

/// A JPEG's orientation, from its first EXIF block, as the decoders read it.
pub fn jpeg_orientation(data: &[u8]) -> Orientation {
    app1_exif(data).map_or(Orientation::NoTransforms, exif_orientation)
}

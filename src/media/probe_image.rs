//! Image metadata and validation: dimensions from the header, then a bounded decode that proves
//! the file is whole.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::MediaError;
use super::sniff::MediaType;
use super::thumbnail::{self, Thumbnail};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    pub width: u32,
    pub height: u32,
}

fn corrupt(t: MediaType, why: impl std::fmt::Display) -> MediaError {
    MediaError::Corrupt(format!("the {} could not be read: {why}", t.label()))
}

/// Reads the dimensions, decodes the image once under `limits`, applies its EXIF orientation
/// and renders the thumbnail from that one decode.
pub fn probe_image(
    path: &Path,
    t: MediaType,
    limits: &ImageLimits,
) -> Result<(ImageInfo, Thumbnail), MediaError> {
    let size = imagesize::size(path).map_err(|e| corrupt(t, e))?;
    let (width, height) = (size.width as u64, size.height as u64);
    if width == 0 || height == 0 {
        return Err(corrupt(t, "it has no pixels"));
    }
    if width > u64::from(limits.max_side)
        || height > u64::from(limits.max_side)
        || width * height > limits.max_pixels
    {
        return Err(MediaError::TooLarge(format!(
            "the image is {width}×{height} pixels; the limit is {} pixels per side and {} megapixels",
            limits.max_side,
            limits.max_pixels / 1_000_000
        )));
    }
    if t == MediaType::Jpeg && !jpeg_has_end_marker(path)? {
        return Err(corrupt(t, "the file is truncated"));
    }
    let format = match t {
        MediaType::Jpeg => ImageFormat::Jpeg,
        MediaType::Png => ImageFormat::Png,
        MediaType::Gif => ImageFormat::Gif,
        MediaType::Webp => ImageFormat::WebP,
        _ => {
            return Err(MediaError::UnsupportedType(format!("a {} is not an image", t.label())));
        }
    };
    let reader = ImageReader::with_format(BufReader::new(std::fs::File::open(path)?), format);
    let mut decoder = reader.into_decoder().map_err(|e| corrupt(t, e))?;
    let mut l = Limits::default();
    l.max_image_width = Some(limits.max_side);
    l.max_image_height = Some(limits.max_side);
    l.max_alloc = Some(limits.max_alloc);
    decoder.set_limits(l).map_err(|e| corrupt(t, e))?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    // For animations this is the first frame, which is what the thumbnail shows.
    let mut decoded = DynamicImage::from_decoder(decoder).map_err(|e| corrupt(t, e))?;
    if u64::from(decoded.width()) != width || u64::from(decoded.height()) != height {
        return Err(corrupt(t, "its header and its pixel data disagree"));
    }
    decoded.apply_orientation(orientation);
    let info = ImageInfo { width: decoded.width(), height: decoded.height() };
    let thumb = thumbnail::render(&decoded).map_err(|e| MediaError::Internal(format!("thumbnail: {e}")))?;
    Ok((info, thumb))
}

/// The JPEG decoder fills a cut-off scan with grey instead of failing, so look for the EOI
/// marker near the end. Some cameras append data after EOI, hence the window.
fn jpeg_has_end_marker(path: &Path) -> Result<bool, MediaError> {
    const WINDOW: u64 = 64 * 1024;
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(WINDOW)))?;
    let mut tail = Vec::with_capacity(WINDOW as usize);
    f.read_to_end(&mut tail)?;
    Ok(tail.windows(2).any(|w| w == [0xFF, 0xD9]))
}

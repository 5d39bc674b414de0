//! Image metadata and validation: dimensions from the header, checked against the limits before
//! any decode, then one decode (shrunk on load where the format allows) that proves the file is
//! whole and feeds the thumbnail.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::FileError;
use super::contained::contained;
use super::decode::{self, ImageLimits};
use super::display::{self, DISPLAY_MAX, DisplaySource};
use super::frames;
use super::sniff::MediaType;
use super::thumbnail::{self, Thumbnail};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    /// As displayed, after EXIF orientation.
    pub width: u32,
    pub height: u32,
    /// 1 for a still image; an animation's frame count.
    pub frames: u32,
}

fn corrupt(t: MediaType, why: impl std::fmt::Display) -> FileError {
    FileError::Corrupt(format!("the {} could not be read: {why}", t.label()))
}

/// What an image upload stores besides the original.
pub struct Renditions {
    pub thumbnail: Thumbnail,
    /// For a large image, when asked for: what its display rendition is made from.
    pub display: Option<DisplaySource>,
}

/// Reads and checks the dimensions, decodes the image once and renders from that decode a
/// thumbnail that fits `size`×`size` and, with `with_display`, a display rendition for an
/// image larger than [`DISPLAY_MAX`].
pub fn probe_image(
    path: &Path,
    t: MediaType,
    limits: &ImageLimits,
    size: u32,
    with_display: bool,
) -> Result<(ImageInfo, Renditions), FileError> {
    contained(t, || decode_and_render(path, t, limits, size, with_display))
}

fn decode_and_render(
    path: &Path,
    t: MediaType,
    limits: &ImageLimits,
    size: u32,
    with_display: bool,
) -> Result<(ImageInfo, Renditions), FileError> {
    let (width, height) = header_size(path, t, limits)?;
    if t == MediaType::Jpeg && !jpeg_has_end_marker(path)? {
        return Err(corrupt(t, "the file is truncated"));
    }
    let with_display = with_display && display::wanted(t, width, height);
    let (tw, th) = thumbnail::fit(width as u32, height as u32, if with_display { DISPLAY_MAX } else { size });
    let decoded = decode::decode(path, t, limits, tw, th)?;
    if u64::from(decoded.full_width) != width || u64::from(decoded.full_height) != height {
        return Err(corrupt(t, "its header and its pixel data disagree"));
    }
    let info = if thumbnail::swaps_sides(decoded.orientation) {
        ImageInfo { width: height as u32, height: width as u32, frames: 1 }
    } else {
        ImageInfo { width: width as u32, height: height as u32, frames: 1 }
    };
    let info = ImageInfo { frames: frames::count(path, t), ..info };
    let thumbnail = thumbnail::render(&decoded, size)?;
    let display = with_display.then(|| DisplaySource::new(decoded, t));
    Ok((info, Renditions { thumbnail, display }))
}

/// Width and height as the header states them (before orientation), refused when past `limits`.
pub fn header_size(path: &Path, t: MediaType, limits: &ImageLimits) -> Result<(u64, u64), FileError> {
    let header = imagesize::size(path).map_err(|e| corrupt(t, e))?;
    let (width, height) = (header.width as u64, header.height as u64);
    if width == 0 || height == 0 {
        return Err(corrupt(t, "it has no pixels"));
    }
    if width > u64::from(limits.max_side)
        || height > u64::from(limits.max_side)
        || width * height > limits.max_pixels
    {
        return Err(FileError::Limits(format!(
            "the image is {width}×{height} pixels; the limit is {} pixels per side and {} megapixels",
            limits.max_side,
            limits.max_pixels / 1_000_000
        )));
    }
    Ok((width, height))
}

/// The JPEG decoder fills a cut-off scan with grey instead of failing, so look for the EOI
/// marker near the end. Some cameras append data after EOI, hence the window.
fn jpeg_has_end_marker(path: &Path) -> Result<bool, FileError> {
    const WINDOW: u64 = 64 * 1024;
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(WINDOW)))?;
    let mut tail = Vec::with_capacity(WINDOW as usize);
    f.read_to_end(&mut tail)?;
    Ok(tail.windows(2).any(|w| w == [0xFF, 0xD9]))
}

//! JPEG through libjpeg-turbo, shrinking in the IDCT: a 24 MP photo decodes at 1/8 scale for a
//! 320 px thumbnail, skipping most of the work and memory of a full decode.

use image::metadata::Orientation;

use super::libjpeg::{self, ColorSpace};
use super::{Channels, Decoded, exif_orientation};

/// `None` when libjpeg-turbo cannot or will not decode it (CMYK, lossless, damaged data, even
/// warnings, over 500 progressive scans): the caller then tries the `image` crate, which decides.
pub fn decode_scaled(data: &[u8], min_w: u32, min_h: u32) -> Option<Decoded> {
    let (header, width, height, pixels) = libjpeg::decode_scaled(data, min_w, min_h).ok()?;
    debug_assert!(header.colorspace != ColorSpace::Other);
    Some(Decoded {
        pixels,
        channels: Channels::Rgb,
        width,
        height,
        full_width: header.width,
        full_height: header.height,
        orientation: app1_exif(data).map_or(Orientation::NoTransforms, exif_orientation),
    })
}

/// A marker segment before the scan: its marker, where it starts (at its `0xFF`), its length
/// field (which counts itself), and its payload, `None` when the file ends inside it.
pub(crate) struct Segment<'a> {
    pub marker: u8,
    pub at: usize,
    pub len: usize,
    pub body: Option<&'a [u8]>,
}

/// The segments after SOI up to the start of scan or end of image; a segment cut short is the
/// last one yielded.
pub(crate) fn segments(data: &[u8]) -> impl Iterator<Item = Segment<'_>> {
    let mut i = 2; // after SOI
    std::iter::from_fn(move || {
        if i + 4 > data.len() || data[i] != 0xFF || matches!(data[i + 1], 0xDA | 0xD9) {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]]));
        let body = data.get(i + 4..i + 2 + len);
        let segment = Segment { marker: data[i + 1], at: i, len, body };
        i = if body.is_some() { i + 2 + len } else { data.len() };
        Some(segment)
    })
}

/// Whether a segment is the EXIF block (APP1 starting `Exif\0\0`).
pub(crate) fn is_exif(marker: u8, body: &[u8]) -> bool {
    marker == 0xE1 && body.starts_with(b"Exif\0\0")
}

/// The payload of the first APP1 `Exif` segment, found by walking the markers before the scan.
pub(crate) fn app1_exif(data: &[u8]) -> Option<&[u8]> {
    for s in segments(data) {
        let body = s.body?;
        if is_exif(s.marker, body) {
            return Some(body);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_is_found_among_the_segments_and_not_past_the_scan() {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB]); // APP0
        jpeg.extend_from_slice(&[0xFF, 0xE1, 0x00, 0x0C]); // the length counts its own two bytes
        jpeg.extend_from_slice(b"Exif\0\0MM\0*");
        assert_eq!(app1_exif(&jpeg), Some(&b"Exif\0\0MM\0*"[..]));
        let mut late = vec![0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02];
        late.extend_from_slice(&[0xFF, 0xE1, 0x00, 0x08]);
        late.extend_from_slice(b"Exif\0\0");
        assert_eq!(app1_exif(&late), None);
        assert_eq!(app1_exif(&[0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF]), None, "a length past the end");
    }
}

//! Still WebP through libwebp, which rescales while it decodes: only thumbnail-sized rows are
//! ever written out, and libwebp decodes lossy WebP about twice as fast as the pure-Rust decoder.
//! Display renditions with transparency are encoded here too (lossy WebP keeps the alpha
//! channel; the `image` crate writes lossless WebP only, ten times larger).
//!
//! One of the modules with `unsafe`: libwebp has no safe binding that exposes scaling. The
//! calls are confined to `decode_scaled` and `encode_rgba`, which own every buffer they hand to
//! C and check every size first.
#![allow(unsafe_code)]

use image::metadata::Orientation;
use libwebp_sys::{
    VP8StatusCode, WEBP_CSP_MODE, WebPBitstreamFeatures, WebPDecode, WebPDecoderConfig, WebPEncodeRGBA,
    WebPFree, WebPFreeDecBuffer, WebPGetFeatures, WebPInitDecoderConfig,
};

use super::{Channels, Decoded, exif_orientation};

/// `None` when libwebp cannot or will not decode it (animations, damaged data): the caller then
/// tries the `image` crate, which decides.
pub fn decode_scaled(data: &[u8], min_w: u32, min_h: u32) -> Option<Decoded> {
    let mut features = std::mem::MaybeUninit::<WebPBitstreamFeatures>::zeroed();
    // SAFETY: `data` is a live slice of `data.len()` bytes; `features` is writable memory of the
    // struct's size, which WebPGetFeatures fills.
    let status = unsafe { WebPGetFeatures(data.as_ptr(), data.len(), features.as_mut_ptr()) };
    if status != VP8StatusCode::VP8_STATUS_OK {
        return None;
    }
    // SAFETY: initialised by the successful call above (and zeroed before it).
    let features = unsafe { features.assume_init() };
    let (full_w, full_h) = (u32::try_from(features.width).ok()?, u32::try_from(features.height).ok()?);
    if features.has_animation != 0 || full_w == 0 || full_h == 0 {
        return None;
    }
    let scale = full_w > min_w && full_h > min_h;
    let (w, h) = if scale { (min_w.max(1), min_h.max(1)) } else { (full_w, full_h) };
    let channels = if features.has_alpha != 0 { Channels::Rgba } else { Channels::Rgb };
    let stride = w as usize * channels.count();
    let mut pixels = vec![0u8; stride.checked_mul(h as usize)?];

    let mut config = std::mem::MaybeUninit::<WebPDecoderConfig>::zeroed();
    // SAFETY: `config` is writable memory of the struct's size; the init function fills it.
    if !unsafe { WebPInitDecoderConfig(config.as_mut_ptr()) } {
        return None;
    }
    // SAFETY: initialised above.
    let mut config = unsafe { config.assume_init() };
    config.options.use_threads = 1;
    if scale {
        config.options.use_scaling = 1;
        config.options.scaled_width = i32::try_from(w).ok()?;
        config.options.scaled_height = i32::try_from(h).ok()?;
    }
    config.output.colorspace =
        if channels == Channels::Rgba { WEBP_CSP_MODE::MODE_RGBA } else { WEBP_CSP_MODE::MODE_RGB };
    config.output.is_external_memory = 1;
    config.output.u.RGBA.rgba = pixels.as_mut_ptr();
    config.output.u.RGBA.stride = i32::try_from(stride).ok()?;
    config.output.u.RGBA.size = pixels.len();
    // SAFETY: the output buffer is `pixels`, alive and exactly stride × height bytes, as the
    // config says; libwebp writes no further than that. `data` is a live slice.
    let status = unsafe { WebPDecode(data.as_ptr(), data.len(), &mut config) };
    // SAFETY: `config.output` was initialised by WebPInitDecoderConfig; with external memory
    // this releases only what libwebp allocated itself (nothing, normally).
    unsafe { WebPFreeDecBuffer(&mut config.output) };
    if status != VP8StatusCode::VP8_STATUS_OK {
        return None;
    }
    Some(Decoded {
        pixels,
        channels,
        width: w,
        height: h,
        full_width: full_w,
        full_height: full_h,
        orientation: riff_chunk(data, b"EXIF").map_or(Orientation::NoTransforms, exif_orientation),
    })
}

/// Packed RGBA as a lossy WebP of `quality` (0–100); `None` if libwebp refuses.
pub fn encode_rgba(rgba: &[u8], width: u32, height: u32, quality: f32) -> Option<Vec<u8>> {
    let stride = (width as usize).checked_mul(4)?;
    if width == 0 || height == 0 || stride.checked_mul(height as usize)? != rgba.len() {
        return None;
    }
    let (w, h, s) = (i32::try_from(width).ok()?, i32::try_from(height).ok()?, i32::try_from(stride).ok()?);
    let mut out: *mut u8 = std::ptr::null_mut();
    // SAFETY: `rgba` holds exactly `stride * height` bytes (checked above); libwebp writes the
    // address of a buffer it allocates into `out` and returns its length (0 on failure).
    let len = unsafe { WebPEncodeRGBA(rgba.as_ptr(), w, h, s, quality, &mut out) };
    if out.is_null() {
        return None;
    }
    // SAFETY: on success `out` points at `len` bytes libwebp allocated; they are copied out
    // before the buffer is freed with libwebp's own allocator, once.
    let bytes = (len > 0).then(|| unsafe { std::slice::from_raw_parts(out, len) }.to_vec());
    unsafe { WebPFree(out.cast()) };
    bytes
}

/// The first chunk named `fourcc` in a RIFF WebP container.
fn riff_chunk<'a>(data: &'a [u8], fourcc: &[u8; 4]) -> Option<&'a [u8]> {
    let mut i = 12; // "RIFF" size "WEBP"
    while i + 8 <= data.len() {
        let len = u32::from_le_bytes(data[i + 4..i + 8].try_into().ok()?) as usize;
        let body = data.get(i + 8..(i + 8).checked_add(len)?)?;
        if &data[i..i + 4] == fourcc {
            return Some(body);
        }
        i += 8 + len + (len & 1); // chunks are padded to even sizes
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transparency_survives_a_lossy_encode() {
        let (w, h) = (16u32, 8u32);
        let rgba: Vec<u8> =
            (0..w * h).flat_map(|i| [200, 30, 30, if i % 2 == 0 { 255 } else { 0 }]).collect();
        let webp = encode_rgba(&rgba, w, h, 80.0).unwrap();
        let back = decode_scaled(&webp, w, h).unwrap();
        assert_eq!((back.width, back.height, back.channels), (w, h, Channels::Rgba));
        assert!(encode_rgba(&rgba[4..], w, h, 80.0).is_none(), "a short buffer is refused");
    }

    #[test]
    fn riff_chunks_are_walked_with_their_padding() {
        let mut webp = b"RIFF\0\0\0\0WEBP".to_vec();
        webp.extend_from_slice(b"VP8X\x03\0\0\0abc\0"); // odd length: one pad byte
        webp.extend_from_slice(b"EXIF\x04\0\0\0MM\0*");
        assert_eq!(riff_chunk(&webp, b"EXIF"), Some(&b"MM\0*"[..]));
        assert_eq!(riff_chunk(&webp, b"ICCP"), None);
        webp.extend_from_slice(b"ICCP\xff\0\0\0");
        assert_eq!(riff_chunk(&webp, b"ICCP"), None, "a length past the end");
    }
}

//! Still WebP through libwebp, which rescales while it decodes: only thumbnail-sized rows are
//! ever written out, and libwebp decodes lossy WebP about twice as fast as the pure-Rust decoder.
//!
//! This is the one module with `unsafe`: libwebp has no safe binding that exposes scaling. The
//! calls are confined to `decode_scaled`, which owns every buffer it hands to C and checks every
//! size first.
#![allow(unsafe_code)]

use image::metadata::Orientation;
use libwebp_sys::{
    VP8StatusCode, WEBP_CSP_MODE, WebPBitstreamFeatures, WebPDecode, WebPDecoderConfig, WebPFreeDecBuffer,
    WebPGetFeatures, WebPInitDecoderConfig,
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

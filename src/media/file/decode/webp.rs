//! Still WebP through libwebp, which rescales while it decodes: only thumbnail-sized rows are
//! ever written out, and libwebp decodes lossy WebP about twice as fast as the pure-Rust decoder.
//! Display renditions with transparency are encoded here too (lossy WebP keeps the alpha
//! channel; the `image` crate writes lossless WebP only, ten times larger), and turned or
//! cropped WebPs, either way.
//!
//! One of the modules with `unsafe`: libwebp has no safe binding that exposes scaling. The
//! calls are confined to `features`, `decode`, `encode_rgba` and `encode`, which own every
//! buffer they hand to C and check every size first.
#![allow(unsafe_code)]

use image::metadata::Orientation;
use libwebp_sys::{
    VP8StatusCode, WEBP_CSP_MODE, WebPBitstreamFeatures, WebPConfig, WebPDecode, WebPDecoderConfig,
    WebPEncode, WebPEncodeRGBA, WebPFree, WebPFreeDecBuffer, WebPGetFeatures, WebPInitDecoderConfig,
    WebPMemoryWrite, WebPMemoryWriter, WebPMemoryWriterClear, WebPMemoryWriterInit, WebPPicture,
    WebPPictureFree, WebPPictureImportRGB, WebPPictureImportRGBA,
};

use super::{Channels, Decoded, exif_orientation};

/// What a WebP's header says of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    pub width: u32,
    pub height: u32,
    pub alpha: bool,
    pub animated: bool,
    /// Compressed without loss (`VP8L`); a still image is one or the other.
    pub lossless: bool,
}

/// The header's word on the image; `None` when it is not a WebP libwebp reads.
pub fn features(data: &[u8]) -> Option<Features> {
    let mut f = std::mem::MaybeUninit::<WebPBitstreamFeatures>::zeroed();
    // SAFETY: `data` is a live slice of `data.len()` bytes; `f` is writable memory of the
    // struct's size, which WebPGetFeatures fills.
    let status = unsafe { WebPGetFeatures(data.as_ptr(), data.len(), f.as_mut_ptr()) };
    if status != VP8StatusCode::VP8_STATUS_OK {
        return None;
    }
    // SAFETY: initialised by the successful call above (and zeroed before it).
    let f = unsafe { f.assume_init() };
    Some(Features {
        width: u32::try_from(f.width).ok()?,
        height: u32::try_from(f.height).ok()?,
        alpha: f.has_alpha != 0,
        animated: f.has_animation != 0,
        lossless: f.format == 2,
    })
}

/// `None` when libwebp cannot or will not decode it (animations, damaged data): the caller then
/// tries the `image` crate, which decides.
pub fn decode_scaled(data: &[u8], min_w: u32, min_h: u32) -> Option<Decoded> {
    let features = features(data)?;
    let (full_w, full_h) = (features.width, features.height);
    let scale = full_w > min_w && full_h > min_h;
    decode(data, &features, scale.then_some((min_w.max(1), min_h.max(1))), None)
}

/// The stored pixels of the rectangle (left, top, width, height) alone, at full size: a crop
/// neither decodes nor holds the rest. `None` as [`decode_scaled`] says, or when the rectangle
/// is not inside.
pub fn decode_region(data: &[u8], (x, y, w, h): (u32, u32, u32, u32)) -> Option<Decoded> {
    let features = features(data)?;
    if x.checked_add(w)? > features.width || y.checked_add(h)? > features.height {
        return None;
    }
    // libwebp starts a crop on an even pixel (its colour is stored for pairs of pixels): from
    // one before an odd edge, the extra column or row then cut off here.
    let (ex, ey) = (x & 1, y & 1);
    let mut d = decode(data, &features, None, Some((x - ex, y - ey, w + ex, h + ey)))?;
    if ex + ey > 0 {
        let (n, skip) = (d.channels.count(), ey as usize);
        let row = d.width as usize * n;
        let rows = d.pixels.chunks_exact(row).skip(skip);
        d.pixels = rows.flat_map(|r| &r[ex as usize * n..]).copied().collect();
        (d.width, d.height) = (w, h);
    }
    Some(d)
}

/// Decodes the whole image, scaled to `scaled`, or only the stored rectangle `region`.
fn decode(
    data: &[u8],
    features: &Features,
    scaled: Option<(u32, u32)>,
    region: Option<(u32, u32, u32, u32)>,
) -> Option<Decoded> {
    let (full_w, full_h) = (features.width, features.height);
    if features.animated || full_w == 0 || full_h == 0 {
        return None;
    }
    let (w, h) = match (scaled, region) {
        (Some(size), _) => size,
        (None, Some((_, _, w, h))) => (w, h),
        (None, None) => (full_w, full_h),
    };
    let channels = if features.alpha { Channels::Rgba } else { Channels::Rgb };
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
    if scaled.is_some() {
        config.options.use_scaling = 1;
        config.options.scaled_width = i32::try_from(w).ok()?;
        config.options.scaled_height = i32::try_from(h).ok()?;
    }
    if let Some((x, y, _, _)) = region {
        config.options.use_cropping = 1;
        config.options.crop_left = i32::try_from(x).ok()?;
        config.options.crop_top = i32::try_from(y).ok()?;
        config.options.crop_width = i32::try_from(w).ok()?;
        config.options.crop_height = i32::try_from(h).ok()?;
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

/// Packed pixels as a WebP: without loss, every pixel as it is (the colour under full
/// transparency too, which libwebp's simple lossless call may change), or lossy at `quality`
/// (0–100); `None` if libwebp refuses.
pub fn encode(
    pixels: &[u8],
    channels: Channels,
    (width, height): (u32, u32),
    lossless: bool,
    quality: f32,
) -> Option<Vec<u8>> {
    let stride = (width as usize).checked_mul(channels.count())?;
    if width == 0 || height == 0 || stride.checked_mul(height as usize)? != pixels.len() {
        return None;
    }
    let mut config = WebPConfig::new().ok()?;
    config.lossless = i32::from(lossless);
    config.exact = i32::from(lossless);
    // Without loss, quality is the effort spent making the file small (75: libwebp's default).
    config.quality = if lossless { 75.0 } else { quality };
    // Analysis and transparency on a second thread: a person waits for a turn at the page.
    config.thread_level = 1;
    let mut picture = WebPPicture::new().ok()?;
    picture.use_argb = i32::from(lossless);
    picture.width = i32::try_from(width).ok()?;
    picture.height = i32::try_from(height).ok()?;
    let mut writer = std::mem::MaybeUninit::<WebPMemoryWriter>::zeroed();
    // SAFETY: `writer` is writable memory of the struct's size, which the init function fills.
    unsafe { WebPMemoryWriterInit(writer.as_mut_ptr()) };
    // SAFETY: initialised above.
    let mut writer = unsafe { writer.assume_init() };
    picture.writer = Some(WebPMemoryWrite);
    picture.custom_ptr = (&raw mut writer).cast();
    let stride = i32::try_from(stride).ok()?;
    // SAFETY: `pixels` holds exactly `stride × height` bytes of the stated layout (checked
    // above) and outlives both calls; the picture copies them into memory of its own, and the
    // encoder writes through `writer`, which lives until it is cleared below.
    let encoded = unsafe {
        let imported = match channels {
            Channels::Rgba => WebPPictureImportRGBA(&mut picture, pixels.as_ptr(), stride),
            Channels::Rgb => WebPPictureImportRGB(&mut picture, pixels.as_ptr(), stride),
        };
        imported != 0 && WebPEncode(&config, &mut picture) != 0
    };
    // SAFETY: on success `writer.mem` holds `writer.size` bytes the encoder wrote; they are
    // copied out before the writer's and the picture's memory is released, each once.
    let bytes = (encoded && !writer.mem.is_null())
        .then(|| unsafe { std::slice::from_raw_parts(writer.mem, writer.size) }.to_vec());
    unsafe {
        WebPMemoryWriterClear(&mut writer);
        WebPPictureFree(&mut picture);
    }
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

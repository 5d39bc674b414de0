//! libjpeg-turbo, as vendored and built by `mozjpeg-sys` with the `cc` crate alone (no cmake,
//! no nasm): a scaled decode and a crop of whole blocks through its TurboJPEG API, and a plain
//! encode.
//!
//! The C SIMD kernels are left out because building them needs nasm. They barely matter here:
//! at the 1/8 scale a thumbnail asks for, the IDCT is one DC term per block and colour
//! conversion touches 1/64 of the pixels, so Huffman decoding (plain C in every build) is the
//! cost; `bench/jpeg-decoders` measures this against the SIMD build and pure-Rust decoders.
//!
//! One of the modules with `unsafe` (with `webp.rs` and `db/fts_rank.rs`), for the decode: each call owns the
//! buffers it hands to C and checks every size first. TurboJPEG reports errors by return code
//! (it catches libjpeg's `error_exit` with its own `setjmp`), so nothing unwinds across it.
#![allow(unsafe_code)]

use std::os::raw::{c_char, c_int, c_uchar, c_ulong, c_void};

// The TurboJPEG declarations below are ours (the crate binds only libjpeg's own API, which
// sets a crop's compress profile); the crate is the C library they link to.
use mozjpeg_sys::{J_INT_PARAM, JINT_COMPRESS_PROFILE_VALUE, jpeg_c_set_int_param, jpeg_compress_struct};

type Handle = *mut c_void;

// Values from the vendored turbojpeg.h.
const TJPF_RGB: c_int = 0;
const TJFLAG_STOPONWARNING: c_int = 8192;
/// Refuses progressive JPEGs with more than 500 scans: each scan is a pass over the image.
const TJFLAG_LIMITSCANS: c_int = 32768;

const TJXOP_NONE: c_int = 0;
const TJXOPT_CROP: c_int = 4;
/// Width and height of a block row's unit (an iMCU) for each `TJSAMP_*` (444, 422, 420, GRAY,
/// 440, 411), as `tjMCUWidth` and `tjMCUHeight` say.
const MCU: [(u32, u32); 6] = [(8, 8), (16, 8), (16, 16), (8, 8), (8, 16), (32, 8)];

#[repr(C)]
struct TjRegion {
    x: c_int,
    y: c_int,
    w: c_int,
    h: c_int,
}

/// `tjtransform`, without a custom filter.
#[repr(C)]
struct TjTransform {
    r: TjRegion,
    op: c_int,
    options: c_int,
    data: *mut c_void,
    custom_filter: *mut c_void,
}

/// JPEG colour spaces (`TJCS_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorSpace {
    Rgb,
    YCbCr,
    Gray,
    Other,
}

unsafe extern "C" {
    fn tjInitDecompress() -> Handle;
    fn tjDestroy(handle: Handle) -> c_int;
    fn tjDecompressHeader3(
        handle: Handle,
        jpeg: *const c_uchar,
        size: c_ulong,
        width: *mut c_int,
        height: *mut c_int,
        subsamp: *mut c_int,
        colorspace: *mut c_int,
    ) -> c_int;
    fn tjDecompress2(
        handle: Handle,
        jpeg: *const c_uchar,
        size: c_ulong,
        dst: *mut c_uchar,
        width: c_int,
        pitch: c_int,
        height: c_int,
        pixel_format: c_int,
        flags: c_int,
    ) -> c_int;
    fn tjGetErrorStr2(handle: Handle) -> *const c_char;
    fn tjInitTransform() -> Handle;
    fn tjTransform(
        handle: Handle,
        jpeg: *const c_uchar,
        size: c_ulong,
        n: c_int,
        dst: *mut *mut c_uchar,
        dst_size: *mut c_ulong,
        transforms: *mut TjTransform,
        flags: c_int,
    ) -> c_int;
    fn tjFree(buffer: *mut c_uchar);
}

/// A TurboJPEG instance, destroyed on drop.
struct Tj(Handle);

impl Tj {
    fn decompressor() -> Result<Tj, String> {
        // SAFETY: takes nothing and returns a new handle or null.
        let handle = unsafe { tjInitDecompress() };
        if handle.is_null() { Err("libjpeg could not start".into()) } else { Ok(Tj(handle)) }
    }

    fn transformer() -> Result<Tj, String> {
        // SAFETY: as above.
        let handle = unsafe { tjInitTransform() };
        if handle.is_null() { Err("libjpeg could not start".into()) } else { Ok(Tj(handle)) }
    }

    /// (width, height, `TJSAMP_*`, `TJCS_*`) from the header.
    fn header(&self, data: &[u8]) -> Result<(u32, u32, c_int, c_int), String> {
        let size = c_ulong::try_from(data.len()).map_err(|_| "too large".to_string())?;
        let (mut w, mut h, mut subsamp, mut cs) = (0, 0, 0, 0);
        // SAFETY: `data` is live for `size` bytes; the out-pointers are to local integers.
        let rc = unsafe {
            tjDecompressHeader3(self.0, data.as_ptr(), size, &mut w, &mut h, &mut subsamp, &mut cs)
        };
        if rc != 0 {
            return Err(self.error());
        }
        Ok((
            u32::try_from(w).map_err(|e| e.to_string())?,
            u32::try_from(h).map_err(|e| e.to_string())?,
            subsamp,
            cs,
        ))
    }

    fn error(&self) -> String {
        // SAFETY: the handle is live; the message is a NUL-terminated string owned by it, copied
        // out before the handle can go.
        let message = unsafe { tjGetErrorStr2(self.0) };
        if message.is_null() {
            return "libjpeg failed".into();
        }
        // SAFETY: non-null and NUL-terminated, as above.
        unsafe { std::ffi::CStr::from_ptr(message) }.to_string_lossy().into_owned()
    }
}

impl Drop for Tj {
    fn drop(&mut self) {
        // SAFETY: the handle came from an init function and is destroyed once.
        unsafe { tjDestroy(self.0) };
    }
}

/// What the JPEG's header says.
pub struct Header {
    pub width: u32,
    pub height: u32,
    pub colorspace: ColorSpace,
}

/// Reads the header, then decodes at the smallest scale of 1/8, 2/8 … 8/8 whose result is
/// still at least `min_w`×`min_h` (or in full). Returns the header and RGB pixels of the
/// scaled size. Any warning (a truncated or damaged stream) is an error.
pub fn decode_scaled(data: &[u8], min_w: u32, min_h: u32) -> Result<(Header, u32, u32, Vec<u8>), String> {
    let tj = Tj::decompressor()?;
    let size = c_ulong::try_from(data.len()).map_err(|_| "too large".to_string())?;
    let (width, height, _, cs) = tj.header(data)?;
    let colorspace = match cs {
        0 => ColorSpace::Rgb,
        1 => ColorSpace::YCbCr,
        2 => ColorSpace::Gray,
        _ => ColorSpace::Other,
    };
    let header = Header { width, height, colorspace };
    if colorspace == ColorSpace::Other || width == 0 || height == 0 {
        return Err("not an RGB, YCbCr or greyscale JPEG".into());
    }
    // Eighths, as the scaled IDCT works in: a 6000 px photo for a 2048 px rendition decodes
    // at 3/8 (2250 px), for a 320 px thumbnail at 1/8.
    let scaled = |v: u32, n: u32| (v * n).div_ceil(8);
    let n = (1..8).find(|&n| scaled(width, n) >= min_w && scaled(height, n) >= min_h).unwrap_or(8);
    let (sw, sh) = (scaled(width, n), scaled(height, n));
    let pitch = sw as usize * 3;
    let len = pitch.checked_mul(sh as usize).ok_or("too large")?;
    let mut pixels = vec![0u8; len];
    let (cw, cp, ch) = (
        c_int::try_from(sw).map_err(|e| e.to_string())?,
        c_int::try_from(pitch).map_err(|e| e.to_string())?,
        c_int::try_from(sh).map_err(|e| e.to_string())?,
    );
    // SAFETY: `pixels` holds `pitch * sh` bytes, exactly the rows TurboJPEG writes for the
    // scaled size it picks from `sw`×`sh`, which is one of its own scaling factors (n/8,
    // rounded up, as TJSCALED does).
    let rc = unsafe {
        tjDecompress2(
            tj.0,
            data.as_ptr(),
            size,
            pixels.as_mut_ptr(),
            cw,
            cp,
            ch,
            TJPF_RGB,
            TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS,
        )
    };
    if rc != 0 {
        return Err(tj.error());
    }
    Ok((header, sw, sh, pixels))
}

/// The stored size of a JPEG and the blocks its crops start on: (width, height, block width,
/// block height).
pub fn blocks(data: &[u8]) -> Result<(u32, u32, u32, u32), String> {
    let (w, h, subsamp, _) = Tj::transformer()?.header(data)?;
    let (bw, bh) = block(subsamp)?;
    Ok((w, h, bw, bh))
}

fn block(subsamp: c_int) -> Result<(u32, u32), String> {
    usize::try_from(subsamp)
        .ok()
        .and_then(|s| MCU.get(s).copied())
        .ok_or_else(|| "an unknown subsampling".into())
}

/// `data` cropped to the stored rectangle (left, top, width, height), whose left and top are on
/// the block grid [`blocks`] gives: the blocks inside are copied as they are, never decoded and
/// compressed again (`jpegtran -crop`), with every marker (EXIF, ICC) kept.
pub fn crop_blocks(data: &[u8], (x, y, w, h): (u32, u32, u32, u32)) -> Result<Vec<u8>, String> {
    let tj = Tj::transformer()?;
    // mozjpeg's default profile would write the copied blocks progressively with its scan
    // search: 1.5–2 s for a 24 MP photo, against 0.2 s for libjpeg-turbo's plain baseline,
    // whose file is some 13 % larger (bench/run.sh crop). The same blocks either way.
    // SAFETY: a TurboJPEG instance begins with its libjpeg compress object (`tjinstance` in
    // the vendored turbojpeg.c), created with it; the profile is a plain setting on it.
    unsafe {
        jpeg_c_set_int_param(
            &mut *(tj.0 as *mut jpeg_compress_struct),
            J_INT_PARAM::JINT_COMPRESS_PROFILE,
            JINT_COMPRESS_PROFILE_VALUE::JCP_FASTEST as c_int,
        )
    };
    let (iw, ih, subsamp, _) = tj.header(data)?;
    let (bw, bh) = block(subsamp)?;
    let inside = w > 0
        && h > 0
        && u64::from(x) + u64::from(w) <= u64::from(iw)
        && u64::from(y) + u64::from(h) <= u64::from(ih);
    if !inside || x % bw != 0 || y % bh != 0 {
        return Err(format!(
            "{w}×{h} at ({x}, {y}) is not a crop of this {iw}×{ih} JPEG on its {bw}×{bh} grid"
        ));
    }
    let size = c_ulong::try_from(data.len()).map_err(|_| "too large".to_string())?;
    let int = |v: u32| c_int::try_from(v).map_err(|e| e.to_string());
    let mut t = TjTransform {
        r: TjRegion { x: int(x)?, y: int(y)?, w: int(w)?, h: int(h)? },
        op: TJXOP_NONE,
        options: TJXOPT_CROP,
        data: std::ptr::null_mut(),
        custom_filter: std::ptr::null_mut(),
    };
    let (mut out, mut out_size): (*mut c_uchar, c_ulong) = (std::ptr::null_mut(), 0);
    // SAFETY: `data` is live for `size` bytes; one transform, with no filter; a null output
    // buffer asks TurboJPEG to allocate it, which `tjFree` releases below whatever happened.
    let rc = unsafe {
        tjTransform(
            tj.0,
            data.as_ptr(),
            size,
            1,
            &mut out,
            &mut out_size,
            &mut t,
            TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS,
        )
    };
    let cropped = if rc == 0 && !out.is_null() {
        // SAFETY: TurboJPEG wrote `out_size` bytes at `out`.
        Ok(unsafe { std::slice::from_raw_parts(out, out_size as usize) }.to_vec())
    } else {
        Err(tj.error())
    };
    if !out.is_null() {
        // SAFETY: allocated by TurboJPEG for this call, freed once.
        unsafe { tjFree(out) };
    }
    cropped
}

/// Encodes packed RGB as a baseline 4:2:0 JPEG with libjpeg-turbo's own settings (mozjpeg's
/// "fastest" profile: no trellis quantisation, no progressive scans), through the `mozjpeg`
/// crate's safe libjpeg API. A libjpeg error unwinds as a panic, which the caller's decode
/// guard (`contained`) turns into an error.
pub fn encode_rgb(pixels: &[u8], width: u32, height: u32, quality: u8) -> Result<Vec<u8>, String> {
    let pitch = width as usize * 3;
    if pitch.checked_mul(height as usize) != Some(pixels.len()) || width == 0 || height == 0 {
        return Err(format!("{} bytes are not {width}×{height} RGB", pixels.len()));
    }
    let mut c = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
    c.set_fastest_defaults();
    c.set_size(width as usize, height as usize);
    c.set_quality(f32::from(quality));
    c.set_chroma_sampling_pixel_sizes((2, 2), (2, 2));
    let mut started = c.start_compress(Vec::new()).map_err(|e| e.to_string())?;
    started.write_scanlines(pixels).map_err(|e| e.to_string())?;
    started.finish().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_trip_decodes_at_each_scale() {
        let (w, h) = (64u32, 40u32);
        let pixels: Vec<u8> = (0..w * h * 3).map(|i| (i % 251) as u8).collect();
        let jpeg = encode_rgb(&pixels, w, h, 90).unwrap();
        let (header, sw, sh, out) = decode_scaled(&jpeg, 8, 5).unwrap();
        assert_eq!((header.width, header.height, header.colorspace), (64, 40, ColorSpace::YCbCr));
        assert_eq!((sw, sh, out.len()), (8, 5, 8 * 5 * 3));
        let (_, sw, sh, _) = decode_scaled(&jpeg, 9, 5).unwrap();
        assert_eq!((sw, sh), (16, 10), "1/8 would be too small, so 2/8");
        let (_, sw, sh, _) = decode_scaled(&jpeg, 20, 5).unwrap();
        assert_eq!((sw, sh), (24, 15), "3/8");
        let (_, sw, sh, _) = decode_scaled(&jpeg, 64, 40).unwrap();
        assert_eq!((sw, sh), (64, 40));
    }

    #[test]
    fn a_crop_copies_the_blocks_inside() {
        let (w, h) = (64u32, 48u32);
        let pixels: Vec<u8> = (0..w * h * 3).map(|i| ((i * 7) % 253) as u8).collect();
        let jpeg = encode_rgb(&pixels, w, h, 90).unwrap();
        assert_eq!(blocks(&jpeg).unwrap(), (64, 48, 16, 16), "4:2:0");
        let cropped = crop_blocks(&jpeg, (16, 32, 30, 13)).unwrap();
        let sof = |j: &[u8], m: u8| j.windows(2).any(|p| p == [0xFF, m]);
        assert!(sof(&cropped, 0xC0) && !sof(&cropped, 0xC2), "baseline, as libjpeg-turbo writes it");
        let (_, cw, ch, got) = decode_scaled(&cropped, 30, 13).unwrap();
        assert_eq!((cw, ch), (30, 13));
        let (_, _, _, all) = decode_scaled(&jpeg, w, h).unwrap();
        // Away from the new edges (where upsampled colour no longer sees the blocks beyond),
        // every pixel decodes as it did.
        for y in 2..11 {
            for x in 2..28 {
                let (a, b) = (((y + 32) * w as usize + x + 16) * 3, (y * 30 + x) * 3);
                assert_eq!(all[a..a + 3], got[b..b + 3], "({x}, {y})");
            }
        }
        assert!(crop_blocks(&jpeg, (8, 0, 8, 8)).is_err(), "off the grid");
        assert!(crop_blocks(&jpeg, (0, 0, 65, 8)).is_err(), "past the edge");
        assert!(crop_blocks(&jpeg[..jpeg.len() / 2], (0, 0, 16, 16)).is_err());
    }

    #[test]
    fn a_truncated_stream_is_an_error_not_a_grey_image() {
        let pixels = vec![128u8; 64 * 64 * 3];
        let jpeg = encode_rgb(&pixels, 64, 64, 90).unwrap();
        assert!(decode_scaled(&jpeg[..jpeg.len() / 2], 8, 8).is_err());
        assert!(decode_scaled(b"not a jpeg", 8, 8).is_err());
        assert!(encode_rgb(&pixels, 65, 64, 90).is_err());
    }
}

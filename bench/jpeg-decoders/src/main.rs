//! Median decode time of one JPEG, per decoder and scale. Prints a Markdown table.
#![allow(unsafe_code)]

use std::hint::black_box;
use std::os::raw::{c_int, c_uchar, c_ulong, c_void};
use std::time::{Duration, Instant};

const RUNS: usize = 15;

fn median(mut f: impl FnMut() -> (usize, usize)) -> (Duration, (usize, usize)) {
    let dims = f(); // warm-up
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .collect();
    times.sort();
    (times[RUNS / 2], dims)
}

#[cfg(not(feature = "simd"))]
mod cc_turbo {
    use super::*;
    use mozjpeg_sys as _;
    unsafe extern "C" {
        fn tjInitDecompress() -> *mut c_void;
        fn tjDestroy(h: *mut c_void) -> c_int;
        fn tjDecompressHeader3(
            h: *mut c_void, b: *const c_uchar, n: c_ulong, w: *mut c_int, hh: *mut c_int, s: *mut c_int, cs: *mut c_int,
        ) -> c_int;
        fn tjDecompress2(
            h: *mut c_void, b: *const c_uchar, n: c_ulong, d: *mut c_uchar, w: c_int, p: c_int, hh: c_int, pf: c_int, f: c_int,
        ) -> c_int;
    }
    /// libjpeg-turbo 2.1 (as vendored by mozjpeg-sys) built by `cc` without SIMD.
    pub fn decode(data: &[u8], denom: usize) -> (usize, usize) {
        decode_flags(data, denom, 8192)
    }
    pub fn decode_fast(data: &[u8], denom: usize) -> (usize, usize) {
        decode_flags(data, denom, 8192 | 256 | 2048)
    }
    fn decode_flags(data: &[u8], denom: usize, flags: c_int) -> (usize, usize) {
        unsafe {
            let h = tjInitDecompress();
            let (mut w, mut hh, mut s, mut cs) = (0, 0, 0, 0);
            assert_eq!(tjDecompressHeader3(h, data.as_ptr(), data.len() as c_ulong, &mut w, &mut hh, &mut s, &mut cs), 0);
            let (sw, sh) = ((w as usize).div_ceil(denom), (hh as usize).div_ceil(denom));
            let mut out = vec![0u8; sw * sh * 3];
            let rc = tjDecompress2(
                h, data.as_ptr(), data.len() as c_ulong, out.as_mut_ptr(), sw as c_int, (sw * 3) as c_int, sh as c_int, 0, flags,
            );
            assert_eq!(rc, 0);
            tjDestroy(h);
            (sw, sh)
        }
    }
}

#[cfg(feature = "simd")]
fn simd_turbo(data: &[u8], denom: usize) -> (usize, usize) {
    use turbojpeg::{Decompressor, Image, PixelFormat, ScalingFactor};
    let mut d = Decompressor::new().unwrap();
    let header = d.read_header(data).unwrap();
    let factor = ScalingFactor::new(1, denom);
    d.set_scaling_factor(factor).unwrap();
    let s = header.scaled(factor);
    let mut image =
        Image { pixels: vec![0u8; s.width * s.height * 3], width: s.width, pitch: s.width * 3, height: s.height, format: PixelFormat::RGB };
    d.decompress(data, image.as_deref_mut()).unwrap();
    (s.width, s.height)
}

fn jpeg_decoder(data: &[u8], denom: usize) -> (usize, usize) {
    let mut d = jpeg_decoder::Decoder::new(data);
    d.read_info().unwrap();
    let info = d.info().unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    d.scale((w.div_ceil(denom)) as u16, (h.div_ceil(denom)) as u16).unwrap();
    let pixels = d.decode().unwrap();
    let info = d.info().unwrap();
    black_box(pixels);
    (info.width as usize, info.height as usize)
}

fn zune(data: &[u8], _denom: usize) -> (usize, usize) {
    let options = zune_core::options::DecoderOptions::default().jpeg_set_out_colorspace(zune_core::colorspace::ColorSpace::RGB);
    let mut d = zune_jpeg::JpegDecoder::new_with_options(data, options);
    let pixels = d.decode().unwrap();
    let (w, h) = d.dimensions().unwrap();
    black_box(pixels);
    (w, h)
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: jpeg-decoders FILE.jpg");
    let data = std::fs::read(&path).unwrap();
    type Decoder = fn(&[u8], usize) -> (usize, usize);
    let mut decoders: Vec<(&str, Decoder)> = Vec::new();
    #[cfg(not(feature = "simd"))]
    decoders.push(("libjpeg-turbo 2.1, cc, no SIMD (Mediadesk)", cc_turbo::decode));
    #[cfg(not(feature = "simd"))]
    decoders.push(("the same, fast upsampling and DCT", cc_turbo::decode_fast));
    #[cfg(feature = "simd")]
    decoders.push(("libjpeg-turbo 3, cmake + nasm, SIMD", simd_turbo));
    decoders.push(("jpeg-decoder 0.3 (pure Rust, scaled IDCT)", jpeg_decoder));
    decoders.push(("zune-jpeg 0.4 (pure Rust, full size only)", zune));
    println!("| decoder | scale | output | median ms |");
    println!("|---|---|---|---|");
    for (name, f) in decoders {
        for denom in [8, 2] {
            let (t, (w, h)) = median(|| f(&data, denom));
            println!("| {name} | 1/{denom} | {w}×{h} | {:.1} |", t.as_secs_f64() * 1000.0);
        }
    }
}

//! Gallery thumbnails: bounded JPEGs rendered from the upload's one decode, stored as their
//! own objects so the gallery never loads an original.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageResult, Rgb, RgbImage};

/// Longest side of a thumbnail, in pixels.
pub const THUMB_MAX: u32 = 320;
const JPEG_QUALITY: u8 = 80;
/// Transparent areas are shown on the gallery card's background colour.
const MATTE: [u8; 3] = [0xEC, 0xEE, 0xF2];

pub struct Thumbnail {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

pub fn render(image: &DynamicImage) -> ImageResult<Thumbnail> {
    let small = if image.width() > THUMB_MAX || image.height() > THUMB_MAX {
        image.thumbnail(THUMB_MAX, THUMB_MAX)
    } else {
        image.clone()
    };
    let rgb = flatten(&small);
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut jpeg), JPEG_QUALITY).encode_image(&rgb)?;
    Ok(Thumbnail { jpeg, width: rgb.width(), height: rgb.height() })
}

/// JPEG has no alpha: blend onto the matte colour.
fn flatten(image: &DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u16::from(p[3]);
        let mix = |c: u8, m: u8| ((u16::from(c) * a + u16::from(m) * (255 - a)) / 255) as u8;
        Rgb([mix(p[0], MATTE[0]), mix(p[1], MATTE[1]), mix(p[2], MATTE[2])])
    })
}

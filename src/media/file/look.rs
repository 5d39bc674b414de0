//! An image's look: a 64-bit difference hash of its picture as shown, which a copy keeps
//! (nearly) through resizing, recompression, another format or a light edit, where its bytes
//! and so its SHA-256 change. Made from the thumbnail, already small and turned as shown, so a
//! look costs a few microseconds at upload and a backfill needs no original.

use image::RgbImage;

/// Bits two looks may differ in and still be called alike. A copy saved again, resized or
/// lightly retouched differs in up to about 6; unrelated pictures in about 32, and pictures of
/// one scene taken moments apart in 10 to 20.
pub const ALIKE: u32 = 8;

/// The picture in grey, squeezed to 9×8 by averaging, and for each of its 8 rows the 8 steps
/// between neighbours: a bit set where the right-hand pixel is brighter. Gradients, not
/// levels, so a brighter or darker copy keeps its look.
pub fn look(rgb: &RgbImage) -> i64 {
    let small = image::imageops::thumbnail(&image::imageops::grayscale(rgb), 9, 8);
    let mut bits = 0u64;
    for y in 0..8 {
        for x in 0..8 {
            let brighter = small.get_pixel(x + 1, y)[0] > small.get_pixel(x, y)[0];
            bits = (bits << 1) | u64::from(brighter);
        }
    }
    bits as i64
}

/// Bits two looks differ in.
pub fn distance(a: i64, b: i64) -> u32 {
    (a ^ b).count_ones()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, imageops};

    /// A scene of soft shapes, a light from the left and a few sharp edges.
    fn scene(w: u32, h: u32, seed: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
            let s = seed as f32;
            let wave = ((fx * (3.0 + s) + fy * 2.0).sin() * 60.0) as i32;
            let disc = if (fx - 0.3 - s * 0.1).powi(2) + (fy - 0.6).powi(2) < 0.04 { 80 } else { 0 };
            let v = (90 + wave + disc + (fx * 70.0) as i32).clamp(0, 255) as u8;
            Rgb([v, v.saturating_sub(20), 255 - v / 2])
        })
    }

    fn jpeg_again(rgb: &RgbImage, quality: u8) -> RgbImage {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(rgb).unwrap();
        image::load_from_memory(&out).unwrap().into_rgb8()
    }

    #[test]
    fn a_copy_looks_alike_and_another_picture_does_not() {
        let photo = scene(320, 240, 1);
        let own = look(&photo);
        let smaller = imageops::resize(&photo, 160, 120, imageops::FilterType::Triangle);
        assert!(distance(own, look(&smaller)) <= 2, "{}", distance(own, look(&smaller)));
        let saved = jpeg_again(&photo, 40);
        assert!(distance(own, look(&saved)) <= 2, "{}", distance(own, look(&saved)));
        let mut brighter = photo.clone();
        brighter.pixels_mut().for_each(|p| p.0 = p.0.map(|c| c.saturating_add(25)));
        assert!(distance(own, look(&brighter)) <= ALIKE, "{}", distance(own, look(&brighter)));
        let other = look(&scene(320, 240, 3));
        assert!(distance(own, other) > ALIKE, "{}", distance(own, other));
        let mirrored = look(&imageops::flip_horizontal(&photo));
        assert!(distance(own, mirrored) > ALIKE, "a mirror image is another picture");
    }

    #[test]
    fn a_flat_picture_has_no_steps() {
        assert_eq!(look(&RgbImage::from_pixel(40, 30, Rgb([200, 10, 10]))), 0);
        assert_eq!(distance(0, -1), 64);
    }
}

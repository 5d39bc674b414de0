//! Turning or cropping a still WebP: its pixels decoded, moved or cut, and compressed again in
//! the file's own kind. A lossless WebP (`VP8L`) is compressed without loss again, every pixel
//! kept exactly, even the colour under full transparency. A lossy one (`VP8 `) cannot be turned
//! without compressing it anew, which is done at quality 90: it may lose a little, which the
//! page says before, and the earlier file stays as a version. The colour profile, EXIF (its
//! orientation applied to the pixels and set upright, its small copy of the picture blanked,
//! its stated size made the new one) and XMP are kept; other chunks are not. An animation is
//! not changed.

use crate::domain::{Crop, Turn};
use crate::media::file::FileError;
use crate::media::file::decode::{Channels, ImageLimits, webp};

use super::exif_edit::{clear_thumbnail, set_pixel_dimensions};
use super::grid::{Placement, inverse, place};
use super::{exif_orientation, orientation_tag, turned};

/// What a lossy WebP is compressed anew at: above what most sites publish at (75–85), so a
/// turn adds little loss to what the file already had.
const LOSSY_QUALITY: f32 = 90.0;

/// What an animated WebP is refused with.
const ANIMATED: &str =
    "an animated WebP cannot be changed here; edit it in an image editor and replace the file";

/// Extended-format flags (`VP8X`): colour profile, transparency, EXIF, XMP.
const ICC: u8 = 0x20;
const ALPHA: u8 = 0x10;
const EXIF: u8 = 0x08;
const XMP: u8 = 0x04;

/// The metadata a changed file keeps: colour profile, EXIF, XMP.
struct Kept<'a> {
    icc: Option<&'a [u8]>,
    exif: Option<&'a [u8]>,
    xmp: Option<&'a [u8]>,
}

struct Chunk<'a> {
    kind: [u8; 4],
    body: &'a [u8],
}

fn bad() -> FileError {
    FileError::Corrupt("the WebP could not be read, so it cannot be changed".into())
}

/// `data` (a whole WebP) turned by `turn`.
pub(super) fn turn_webp(data: &[u8], turn: Turn) -> Result<Vec<u8>, FileError> {
    edit_webp(data, Some(turn), None)
}

/// `data` (a whole WebP) cut to `crop` of the image as shown.
pub(super) fn crop_webp(data: &[u8], crop: Crop) -> Result<Vec<u8>, FileError> {
    edit_webp(data, None, Some(crop))
}

fn edit_webp(data: &[u8], turn: Option<Turn>, crop: Option<Crop>) -> Result<Vec<u8>, FileError> {
    let old = chunks(data).ok_or_else(bad)?;
    let f = webp::features(data).ok_or_else(bad)?;
    if f.animated || old.iter().any(|c| matches!(&c.kind, b"ANIM" | b"ANMF")) {
        return Err(FileError::UnsupportedType(ANIMATED.into()));
    }
    let limits = ImageLimits::default();
    let pixels = u64::from(f.width) * u64::from(f.height);
    if pixels > limits.max_pixels {
        return Err(FileError::Limits("the WebP is larger than images may be".into()));
    }
    // Its pixels are held twice, as stored and as shown, as a PNG's are.
    if pixels * if f.alpha { 4 } else { 3 } > limits.max_alloc / 2 {
        return Err(FileError::Limits("the WebP's pixels take more memory than a turn may use".into()));
    }
    let exif = old.iter().find(|c| &c.kind == b"EXIF").map(|c| bare_exif(c.body));
    let entry = exif.and_then(exif_orientation);
    let was = entry.map_or(1, |(_, was, _)| was);
    let orientation = turn.map_or(was, |turn| turned(was, turn));
    let whole = Placement::new(f.width, f.height, orientation);
    if let Some(why) = crop.and_then(|c| c.refused((whole.w, whole.h))) {
        return Err(FileError::Internal(format!("the WebP is not as recorded: {why}")));
    }
    // A crop decodes only the stored rectangle it keeps, found through the orientation.
    let decoded = match crop {
        Some(c) => {
            let back = Placement::new(whole.w, whole.h, inverse(orientation));
            webp::decode_region(data, back.rect((c.left, c.top, c.width, c.height)))
        }
        None => webp::decode_scaled(data, f.width, f.height),
    };
    let decoded = decoded.ok_or_else(bad)?;
    let p = Placement::new(decoded.width, decoded.height, orientation);
    let size = (p.w, p.h);
    let shown = place(&decoded.pixels, decoded.channels.count(), (decoded.width, decoded.height), &p);
    drop(decoded.pixels);
    let encoded = webp::encode(&shown, decoded.channels, size, f.lossless, LOSSY_QUALITY)
        .ok_or_else(|| FileError::Internal("libwebp could not encode the changed WebP".into()))?;
    drop(shown);

    let exif = exif.map(|tiff| {
        let mut tiff = tiff.to_vec();
        if let Some((at, _, le)) = entry {
            tiff[at..at + 12].copy_from_slice(&orientation_tag(1, le));
        }
        // The small copy of the picture it may hold would still show what a crop cut away.
        clear_thumbnail(&mut tiff);
        set_pixel_dimensions(&mut tiff, size);
        tiff
    });
    let icc = old.iter().find(|c| &c.kind == b"ICCP").map(|c| c.body);
    let xmp = old.iter().find(|c| &c.kind == b"XMP ").map(|c| c.body);
    if icc.is_none() && exif.is_none() && xmp.is_none() {
        return Ok(encoded);
    }
    let fresh = chunks(&encoded).ok_or_else(|| FileError::Internal("libwebp wrote no WebP".into()))?;
    let image: Vec<&Chunk> =
        fresh.iter().filter(|c| matches!(&c.kind, b"ALPH" | b"VP8 " | b"VP8L")).collect();
    let alpha = decoded.channels == Channels::Rgba;
    Ok(extended(size, alpha, Kept { icc, exif: exif.as_deref(), xmp }, &image))
}

/// A WebP's EXIF chunk holds a bare TIFF block; some writers put JPEG's `Exif\0\0` before it.
fn bare_exif(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"Exif\0\0").unwrap_or(body)
}

/// An extended WebP: its header, then the chunks in the order the format asks for.
fn extended((w, h): (u32, u32), alpha: bool, Kept { icc, exif, xmp }: Kept, image: &[&Chunk]) -> Vec<u8> {
    let mut flags = if alpha { ALPHA } else { 0 };
    for (present, flag) in [(icc.is_some(), ICC), (exif.is_some(), EXIF), (xmp.is_some(), XMP)] {
        if present {
            flags |= flag;
        }
    }
    let mut header = vec![flags, 0, 0, 0];
    header.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
    header.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
    let mut out = b"RIFF\0\0\0\0WEBP".to_vec();
    write(&mut out, b"VP8X", &header);
    if let Some(icc) = icc {
        write(&mut out, b"ICCP", icc);
    }
    image.iter().for_each(|c| write(&mut out, &c.kind, c.body));
    if let Some(exif) = exif {
        write(&mut out, b"EXIF", exif);
    }
    if let Some(xmp) = xmp {
        write(&mut out, b"XMP ", xmp);
    }
    let riff = (out.len() - 8) as u32;
    out[4..8].copy_from_slice(&riff.to_le_bytes());
    out
}

fn write(out: &mut Vec<u8>, kind: &[u8; 4], body: &[u8]) {
    out.extend_from_slice(kind);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    if body.len() % 2 == 1 {
        out.push(0);
    }
}

/// Every chunk of a WebP; `None` when the file is not one or is cut.
fn chunks(data: &[u8]) -> Option<Vec<Chunk<'_>>> {
    let (head, mut rest) = (data.get(..12)?, data.get(12..)?);
    if &head[..4] != b"RIFF" || &head[8..] != b"WEBP" {
        return None;
    }
    let mut all = Vec::new();
    while !rest.is_empty() {
        let kind: [u8; 4] = rest.get(..4)?.try_into().ok()?;
        let len = u32::from_le_bytes(rest.get(4..8)?.try_into().ok()?) as usize;
        let body = rest.get(8..8 + len)?;
        all.push(Chunk { kind, body });
        // Chunks are padded to an even size; a file may end without its last pad byte.
        rest = rest.get((8 + len + (len & 1)).min(rest.len())..)?;
    }
    Some(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::file::turn::grid::cut;
    use crate::media::file::turn::test_support::{TURNS, damaged, fixture};
    use crate::media::file::turn::turn_work;

    fn rgba(webp: &[u8]) -> (u32, u32, Vec<u8>) {
        let d = webp::decode_scaled(webp, u32::MAX, u32::MAX).unwrap();
        let pixels = match d.channels {
            Channels::Rgba => d.pixels,
            Channels::Rgb => d.pixels.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        };
        (d.width, d.height, pixels)
    }

    /// A transparent gradient whose fully transparent pixels still carry colour.
    fn lossless_fixture() -> Vec<u8> {
        let (w, h) = (7u32, 5u32);
        let pixels: Vec<u8> = (0..w * h)
            .flat_map(|i| [(i * 37) as u8, (i * 11) as u8, 200, if i % 3 == 0 { 0 } else { (i * 9) as u8 }])
            .collect();
        webp::encode(&pixels, Channels::Rgba, (w, h), true, 0.0).unwrap()
    }

    /// A bare little-endian EXIF block of one entry, the orientation.
    fn exif_of(orientation: u16) -> Vec<u8> {
        let mut tiff = b"II*\0\x08\0\0\0\x01\0".to_vec();
        tiff.extend_from_slice(&orientation_tag(orientation, true));
        tiff.extend_from_slice(&[0; 4]);
        tiff
    }

    /// The lossless fixture (7×5) in an extended file with `kept`.
    fn lossless_with(kept: Kept) -> Vec<u8> {
        let image = lossless_fixture();
        let image_chunks = chunks(&image).unwrap();
        let refs: Vec<&Chunk> = image_chunks.iter().collect();
        extended((7, 5), true, kept, &refs)
    }

    #[test]
    fn a_lossless_webp_turns_and_crops_pixel_for_pixel() {
        let file = lossless_fixture();
        let (w, h, pixels) = rgba(&file);
        for turn in TURNS {
            let out = turn_webp(&file, turn).unwrap();
            assert!(webp::features(&out).unwrap().lossless);
            let p = Placement::new(w, h, turned(1, turn));
            assert_eq!(rgba(&out), (p.w, p.h, place(&pixels, 4, (w, h), &p)), "{turn:?}");
        }
        let crop = Crop { left: 2, top: 1, width: 3, height: 4 };
        let out = crop_webp(&file, crop).unwrap();
        let p = Placement::new(w, h, 1);
        assert_eq!(rgba(&out), (3, 4, cut(place(&pixels, 4, (w, h), &p), 4, w, Some(crop))));
    }

    #[test]
    fn a_lossy_webp_turns_close_to_what_it_was() {
        let file = fixture("image.webp");
        let (w, h, pixels) = rgba(&file);
        let out = turn_webp(&file, Turn::Right).unwrap();
        assert!(!webp::features(&out).unwrap().lossless);
        let (tw, th, turned_pixels) = rgba(&out);
        assert_eq!((tw, th), (h, w));
        let p = Placement::new(w, h, 6);
        let expected = place(&pixels, 4, (w, h), &p);
        let off = expected.iter().zip(&turned_pixels).map(|(a, b)| u64::from(a.abs_diff(*b))).sum::<u64>();
        assert!(off / expected.len() as u64 <= 3, "on average {} off", off / expected.len() as u64);
    }

    #[test]
    fn the_profile_exif_and_xmp_stay_and_the_orientation_is_applied() {
        // As some writers put it: after JPEG's marker.
        let with_exif = [b"Exif\0\0".as_slice(), &exif_of(6)].concat();
        let parts = Kept { icc: Some(b"profile"), exif: Some(&with_exif), xmp: Some(b"<x:xmpmeta/>") };
        let file = lossless_with(parts);
        let (w, h, pixels) = rgba(&file);
        assert_eq!((w, h), (7, 5));

        let out = turn_webp(&file, Turn::Right).unwrap();
        let kinds: Vec<[u8; 4]> = chunks(&out).unwrap().iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [*b"VP8X", *b"ICCP", *b"VP8L", *b"EXIF", *b"XMP "]);
        let found =
            |k: &[u8; 4]| chunks(&out).unwrap().into_iter().find(|c| &c.kind == k).unwrap().body.to_vec();
        // Shown 5×7 (a quarter turn right), then turned right again: shown and stored 7×5,
        // upside down, the tag upright.
        assert_eq!(found(b"VP8X"), [ICC | ALPHA | EXIF | XMP, 0, 0, 0, 6, 0, 0, 4, 0, 0]);
        assert_eq!((found(b"ICCP"), found(b"XMP ")), (b"profile".to_vec(), b"<x:xmpmeta/>".to_vec()));
        assert_eq!(exif_orientation(&found(b"EXIF")).map(|(_, o, _)| o), Some(1));
        let p = Placement::new(w, h, turned(6, Turn::Right));
        assert_eq!(rgba(&out), (p.w, p.h, place(&pixels, 4, (w, h), &p)));
        assert_eq!(out.len() % 2, 0);
        assert_eq!(u32::from_le_bytes(out[4..8].try_into().unwrap()) as usize, out.len() - 8);
    }

    #[test]
    fn a_crop_of_a_turned_webp_decodes_only_what_it_keeps_from_any_edge() {
        // Stored 7×5 and shown a quarter turn right (EXIF 6): 5×7 as shown.
        let file = lossless_with(Kept { icc: None, exif: Some(&exif_of(6)), xmp: None });
        let (w, h, pixels) = rgba(&file);
        let shown = place(&pixels, 4, (w, h), &Placement::new(w, h, 6));
        for (left, top, width, height) in [(1, 3, 3, 2), (0, 0, 5, 6), (3, 1, 2, 5), (4, 6, 1, 1)] {
            let crop = Crop { left, top, width, height };
            let out = crop_webp(&file, crop).unwrap();
            assert_eq!(rgba(&out), (width, height, cut(shown.clone(), 4, 5, Some(crop))), "{crop:?}");
        }
        assert!(crop_webp(&file, Crop { left: 1, top: 0, width: 5, height: 1 }).is_err(), "past the edge");
    }

    #[test]
    fn a_whole_views_turn_counts_a_webp_thrice_a_png_of_its_size() {
        assert_eq!(turn_work("image/png", (4000, 3000), 1), 3);
        assert_eq!(turn_work("image/webp", (4000, 3000), 1), 9);
        assert_eq!(turn_work("image/webp", (64, 48), 1), 1);
    }

    #[test]
    fn animations_and_damaged_files_are_refused_without_a_panic() {
        let animated = fixture("image-anim.webp");
        assert!(matches!(turn_webp(&animated, Turn::Left), Err(FileError::UnsupportedType(_))));
        let file = fixture("image.webp");
        for (bad, turn) in damaged(&file, 12..file.len(), (200, 4)) {
            let _ = turn_webp(&bad, turn);
        }
        assert!(turn_webp(&file[..file.len() / 2], Turn::Left).is_err());
        assert!(turn_webp(&fixture("pixel-flood.webp"), Turn::Left).is_err(), "16384² refused unread");
        assert!(turn_webp(b"RIFF\x04\0\0\0WEBP", Turn::Left).is_err());
    }
}

//! Turning or cropping a GIF, animated or not: every frame's palette indices moved or cut and
//! compressed again, which loses nothing, with each frame's own rectangle, palette, timing,
//! transparency and disposal, the loop count and the colour profile kept. Comments and XMP are
//! not carried over.

use std::borrow::Cow;

use crate::domain::{Crop, Turn};
use crate::media::file::FileError;
use crate::media::file::decode::ImageLimits;

use super::grid::{Placement, place};
use super::turned;

fn gif_error(e: impl std::fmt::Display) -> FileError {
    FileError::Corrupt(format!("the GIF could not be read, so it cannot be changed: {e}"))
}

/// `data` (a whole GIF) turned by `turn`.
pub(super) fn turn_gif(data: &[u8], turn: Turn) -> Result<Vec<u8>, FileError> {
    edit_gif(data, Some(turn), None)
}

/// `data` (a whole GIF) cut to `crop`: each frame to its part inside, moved as the crop moves
/// the screen.
pub(super) fn crop_gif(data: &[u8], crop: Crop) -> Result<Vec<u8>, FileError> {
    edit_gif(data, None, Some(crop))
}

fn edit_gif(data: &[u8], turn: Option<Turn>, crop: Option<Crop>) -> Result<Vec<u8>, FileError> {
    let limits = ImageLimits::default();
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    options.set_memory_limit(gif::MemoryLimit::Bytes(limits.max_alloc.try_into().map_err(gif_error)?));
    let mut decoder = options.read_info(data).map_err(gif_error)?;
    let (w, h) = (u32::from(decoder.width()), u32::from(decoder.height()));
    if let Some(why) = crop.and_then(|c| c.refused((w, h))) {
        return Err(FileError::Internal(format!("the GIF is not as recorded: {why}")));
    }
    let screen = crop.unwrap_or(Crop { left: 0, top: 0, width: w, height: h });
    let orientation = turn.map_or(1, |turn| turned(1, turn));
    let p = Placement::new(screen.width, screen.height, orientation);
    let global = decoder.global_palette().unwrap_or(&[]).to_vec();
    let mut out = Vec::with_capacity(data.len() + data.len() / 8);
    let mut encoder = gif::Encoder::new(&mut out, p.w as u16, p.h as u16, &global).map_err(gif_error)?;
    encoder.set_repeat(decoder.repeat()).map_err(gif_error)?;
    // The profile goes first, where it was read from (the block before the first frame), or
    // at the end if the file holds it later.
    let icc = |encoder: &mut gif::Encoder<&mut Vec<u8>>, icc: &[u8]| {
        let app = gif::AnyExtension(gif::Extension::Application as u8);
        encoder.write_raw_extension(app, &[b"ICCRGBG1012", icc]).map_err(gif_error)
    };
    let icc_first = decoder.icc_profile().map(<[u8]>::to_vec);
    if let Some(profile) = &icc_first {
        icc(&mut encoder, profile)?;
    }
    let mut frames = 0usize;
    while let Some(frame) = decoder.read_next_frame().map_err(gif_error)? {
        // Viewers show only what falls on the screen, so a frame is cut to it before it turns.
        let (x0, y0, cut) = on_screen(frame, screen);
        let width = cut.first().map_or(0, |r| r.len()) as u32;
        let height = cut.len() as u32;
        let turned_frame = if height == 0 {
            // Nothing of it is seen, but its time is: one transparent pixel that stays.
            gif::Frame {
                delay: frame.delay,
                width: 1,
                height: 1,
                transparent: Some(0),
                palette: frame.palette.clone().or_else(|| global.is_empty().then(|| vec![0; 6])),
                buffer: Cow::Owned(vec![0]),
                ..gif::Frame::default()
            }
        } else {
            let cells: Vec<u8> = cut.concat();
            let shown = place(&cells, 1, (width, height), &Placement::new(width, height, orientation));
            let at = p.rect((x0, y0, width, height));
            gif::Frame {
                delay: frame.delay,
                dispose: frame.dispose,
                transparent: frame.transparent,
                needs_user_input: frame.needs_user_input,
                left: at.0 as u16,
                top: at.1 as u16,
                width: at.2 as u16,
                height: at.3 as u16,
                interlaced: false,
                palette: frame.palette.clone(),
                buffer: Cow::Owned(shown),
            }
        };
        encoder.write_frame(&turned_frame).map_err(gif_error)?;
        frames += 1;
    }
    if frames == 0 {
        return Err(gif_error("it has no frames"));
    }
    if let (None, Some(profile)) = (&icc_first, decoder.icc_profile()) {
        icc(&mut encoder, profile)?;
    }
    encoder.into_inner().map_err(gif_error)?;
    Ok(out)
}

/// Where the part of `frame` on `screen` (a rectangle of the GIF's own screen) starts on it,
/// and its rows.
fn on_screen<'a>(frame: &'a gif::Frame, screen: Crop) -> (u32, u32, Vec<&'a [u8]>) {
    let (fl, ft) = (u32::from(frame.left), u32::from(frame.top));
    let (fw, fh) = (usize::from(frame.width), usize::from(frame.height));
    let left = fl.max(screen.left);
    let top = ft.max(screen.top);
    let right = (fl + fw as u32).min(screen.left + screen.width);
    let bottom = (ft + fh as u32).min(screen.top + screen.height);
    if left >= right || top >= bottom || fw == 0 {
        return (0, 0, Vec::new());
    }
    let cols = (left - fl) as usize..(right - fl) as usize;
    let rows = frame.buffer.chunks_exact(fw).skip((top - ft) as usize).take((bottom - top) as usize);
    (left - screen.left, top - screen.top, rows.map(|r| &r[cols.clone()]).collect())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use image::codecs::gif::GifDecoder;
    use image::{AnimationDecoder, DynamicImage, Frame};

    use super::*;
    use crate::media::file::turn::test_support::{TURNS, damaged, fixture};

    /// Every frame as a viewer shows it (composed on the screen), with its delay.
    fn shown(gif: &[u8]) -> Vec<Frame> {
        GifDecoder::new(Cursor::new(gif)).unwrap().into_frames().collect_frames().unwrap()
    }

    #[test]
    fn every_frame_turns_and_keeps_its_time() {
        let gif = fixture("image-anim.gif");
        let before = shown(&gif);
        assert!(before.len() > 1);
        for turn in TURNS {
            let after = shown(&turn_gif(&gif, turn).unwrap());
            assert_eq!(after.len(), before.len());
            for (a, b) in after.iter().zip(&before) {
                let b = DynamicImage::ImageRgba8(b.buffer().clone());
                let want = match turn {
                    Turn::Right => b.rotate90(),
                    Turn::Left => b.rotate270(),
                    Turn::Half => b.rotate180(),
                    Turn::Mirror => b.fliph(),
                };
                assert_eq!(a.buffer().as_raw(), want.as_bytes(), "{turn:?}");
                assert_eq!(a.delay(), before[0].delay());
            }
        }
    }

    #[test]
    fn a_frame_off_the_screen_is_cut_to_it_and_the_loop_and_profile_kept() {
        let mut gif = Vec::new();
        {
            let palette = [0, 0, 0, 255, 255, 255];
            let mut e = gif::Encoder::new(&mut gif, 4, 3, &palette).unwrap();
            e.set_repeat(gif::Repeat::Finite(3)).unwrap();
            let app = gif::AnyExtension(gif::Extension::Application as u8);
            e.write_raw_extension(app, &[b"ICCRGBG1012", &[7; 300]]).unwrap();
            let frame = |left, top, width, height| gif::Frame {
                left,
                top,
                width,
                height,
                buffer: Cow::Owned(vec![1; usize::from(width * height)]),
                ..gif::Frame::default()
            };
            e.write_frame(&frame(0, 0, 4, 3)).unwrap();
            e.write_frame(&frame(2, 1, 5, 5)).unwrap();
            e.write_frame(&frame(9, 9, 2, 2)).unwrap();
        }
        let turned = turn_gif(&gif, Turn::Right).unwrap();
        let mut d = gif::DecodeOptions::new().read_info(&turned[..]).unwrap();
        assert_eq!((d.width(), d.height(), d.repeat()), (3, 4, gif::Repeat::Finite(3)));
        assert_eq!(d.icc_profile(), Some(&[7; 300][..]), "the colour profile, whole");
        let mut rects = Vec::new();
        while let Some(f) = d.read_next_frame().unwrap() {
            rects.push((f.left, f.top, f.width, f.height));
        }
        assert_eq!(rects, [(0, 0, 3, 4), (0, 2, 2, 2), (0, 0, 1, 1)]);
    }

    #[test]
    fn a_crop_keeps_every_frame_inside_and_its_time() {
        let gif = fixture("image-anim.gif");
        let before = shown(&gif);
        let (w, h) = before[0].buffer().dimensions();
        let c = Crop { left: 3, top: 2, width: w - 7, height: h - 5 };
        let after = shown(&crop_gif(&gif, c).unwrap());
        assert_eq!(after.len(), before.len());
        for (a, b) in after.iter().zip(&before) {
            let want =
                DynamicImage::ImageRgba8(b.buffer().clone()).crop_imm(c.left, c.top, c.width, c.height);
            assert_eq!(a.buffer().as_raw(), want.as_bytes());
            assert_eq!(a.delay(), b.delay());
        }
    }

    #[test]
    fn a_crop_moves_each_frame_and_keeps_one_outside_as_a_pause() {
        let mut gif = Vec::new();
        {
            let mut e = gif::Encoder::new(&mut gif, 8, 6, &[0, 0, 0, 255, 255, 255]).unwrap();
            let frame = |left, top, width, height| gif::Frame {
                left,
                top,
                width,
                height,
                buffer: Cow::Owned((0..width * height).map(|i| (i % 2) as u8).collect()),
                ..gif::Frame::default()
            };
            e.write_frame(&frame(0, 0, 8, 6)).unwrap();
            e.write_frame(&frame(5, 3, 3, 3)).unwrap();
            e.write_frame(&frame(0, 0, 2, 2)).unwrap();
        }
        let cropped = crop_gif(&gif, Crop { left: 2, top: 1, width: 4, height: 4 }).unwrap();
        let mut d = gif::DecodeOptions::new().read_info(&cropped[..]).unwrap();
        assert_eq!((d.width(), d.height()), (4, 4));
        let mut rects = Vec::new();
        while let Some(f) = d.read_next_frame().unwrap() {
            rects.push((f.left, f.top, f.width, f.height));
        }
        assert_eq!(rects, [(0, 0, 4, 4), (3, 2, 1, 2), (0, 0, 1, 1)]);
    }

    #[test]
    fn damage_is_refused_never_a_panic() {
        let gif = fixture("image-anim.gif");
        for cut in 0..gif.len() {
            let _ = turn_gif(&gif[..cut], Turn::Left);
        }
        assert!(turn_gif(b"GIF89a", Turn::Left).is_err());
        for (bad, turn) in damaged(&gif, 0..gif.len(), (2_000, 3)) {
            let _ = turn_gif(&bad, turn);
        }
    }
}

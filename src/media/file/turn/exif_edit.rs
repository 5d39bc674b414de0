//! What a crop changes in an EXIF block, in place so that no offset moves: the thumbnail it
//! may carry (a small JPEG of the whole picture, described by the block's second directory) is
//! blanked, as it would still show what was cut away and few viewers show it to tell; the size
//! it states (PixelXDimension, PixelYDimension) becomes the new one.

use crate::media::file::privacy::tiff::Tiff;

use super::find_entry;

/// Where a thumbnail's bytes are (JPEGInterchangeFormat, …Length) and a one-strip thumbnail's
/// (StripOffsets, StripByteCounts).
const THUMBNAIL_TAGS: [(u16, u16); 2] = [(0x0201, 0x0202), (0x0111, 0x0117)];
const EXIF_IFD: u16 = 0x8769;
const PIXEL_DIMENSIONS: [u16; 2] = [0xA002, 0xA003];

/// Sets the stated width and height (of the picture as stored) where the block has them, as a
/// SHORT or LONG of one value each.
pub(super) fn set_pixel_dimensions(tiff: &mut [u8], (w, h): (u32, u32)) {
    let Some((t, ifd0)) = Tiff::parse(tiff) else { return };
    let le = t.le;
    let Some(exif) = find_entry(&t, ifd0 as usize, EXIF_IFD).and_then(|e| t.u32(e + 8)) else { return };
    let places: Vec<(usize, u16, u32)> = PIXEL_DIMENSIONS
        .iter()
        .zip([w, h])
        .filter_map(|(&tag, value)| Some((find_entry(&t, exif as usize, tag)?, value)))
        .filter(|&(e, _)| t.u32(e + 4) == Some(1))
        .filter_map(|(e, value)| Some((e, t.u16(e + 2)?, value)))
        .collect();
    for (at, typ, value) in places {
        let bytes = match typ {
            3 => match u16::try_from(value) {
                Ok(v) if le => v.to_le_bytes().to_vec(),
                Ok(v) => v.to_be_bytes().to_vec(),
                Err(_) => continue,
            },
            4 if le => value.to_le_bytes().to_vec(),
            4 => value.to_be_bytes().to_vec(),
            _ => continue,
        };
        tiff[at + 8..at + 8 + bytes.len()].copy_from_slice(&bytes);
    }
}

/// Blanks an EXIF block's thumbnail (the image its second directory describes) in place, so no
/// other offset moves, and unlinks that directory.
pub(super) fn clear_thumbnail(tiff: &mut [u8]) {
    let Some((next_at, spans)) = thumbnail(tiff) else { return };
    for (at, len) in spans {
        if let Some(bytes) = tiff.get_mut(at..at.saturating_add(len)) {
            bytes.fill(0);
        }
    }
    if let Some(next) = tiff.get_mut(next_at..next_at + 4) {
        next.fill(0);
    }
}

/// Where IFD0's link to the next directory is, and the thumbnail's byte spans.
fn thumbnail(tiff: &[u8]) -> Option<(usize, Vec<(usize, usize)>)> {
    let (t, ifd0) = Tiff::parse(tiff)?;
    let count = usize::from(t.u16(ifd0 as usize)?);
    let next_at = ifd0 as usize + 2 + 12 * count;
    let ifd1 = t.u32(next_at)? as usize;
    if ifd1 == 0 {
        return None;
    }
    let value = |tag: u16| {
        let e = find_entry(&t, ifd1, tag)?;
        // SHORT or LONG, one value.
        match t.u16(e + 2)? {
            3 => t.u16(e + 8).map(usize::from),
            4 => t.u32(e + 8).map(|v| v as usize),
            _ => None,
        }
    };
    let spans = THUMBNAIL_TAGS.iter().filter_map(|&(at, len)| Some((value(at)?, value(len)?))).collect();
    Some((next_at, spans))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stated_size_becomes_the_new_one() {
        // MM, IFD0 at 8: one entry, the EXIF IFD at 26; it: PixelXDimension (SHORT 6000) and
        // PixelYDimension (LONG 4000).
        let mut tiff = b"MM\0*\0\0\0\x08".to_vec();
        tiff.extend_from_slice(&[0, 1, 0x87, 0x69, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
        tiff.extend_from_slice(&[0, 2]);
        tiff.extend_from_slice(&[0xA0, 0x02, 0, 3, 0, 0, 0, 1, 0x17, 0x70, 0, 0]);
        tiff.extend_from_slice(&[0xA0, 0x03, 0, 4, 0, 0, 0, 1, 0, 0, 0x0F, 0xA0]);
        tiff.extend_from_slice(&[0, 0, 0, 0]);
        set_pixel_dimensions(&mut tiff, (3008, 1992));
        assert_eq!(&tiff[36..38], &3008u16.to_be_bytes());
        assert_eq!(&tiff[48..52], &1992u32.to_be_bytes());
        let before = tiff.clone();
        set_pixel_dimensions(&mut tiff[..30], (1, 1));
        assert_eq!(tiff, before, "a block cut short is left alone");
    }

    #[test]
    fn the_exif_thumbnail_is_blanked_and_unlinked() {
        // II, IFD0 at 8: one entry (orientation 1), then IFD1 at 26: its JPEG at 56, 6 bytes.
        let mut tiff = b"II*\0\x08\0\0\0".to_vec();
        tiff.extend_from_slice(&[1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0]);
        tiff.extend_from_slice(&[2, 0]);
        tiff.extend_from_slice(&[0x01, 0x02, 4, 0, 1, 0, 0, 0, 56, 0, 0, 0]);
        tiff.extend_from_slice(&[0x02, 0x02, 4, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
        tiff.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(tiff.len(), 56);
        tiff.extend_from_slice(b"THUMB!tail");
        let (t, ifd0) = Tiff::parse(&tiff).unwrap();
        assert_eq!((ifd0, t.u32(22)), (8, Some(26)));
        clear_thumbnail(&mut tiff);
        assert_eq!(&tiff[56..], b"\0\0\0\0\0\0tail");
        assert_eq!(&tiff[22..26], &[0, 0, 0, 0], "no second directory");
        assert_eq!(&tiff[18..20], &[1, 0], "the orientation as it was");
        let mut plain = b"II*\0\x08\0\0\0\0\0\0\0\0\0".to_vec();
        clear_thumbnail(&mut plain);
        assert_eq!(plain, b"II*\0\x08\0\0\0\0\0\0\0\0\0", "nothing to blank");
    }
}

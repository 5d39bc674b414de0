//! The thumbnail an EXIF block may carry (a small JPEG of the whole picture, described by the
//! block's second directory), blanked where it lies: after a crop it would still show what was
//! cut away, and few viewers show it to tell.

use crate::media::file::privacy::tiff::Tiff;

/// Where a thumbnail's bytes are (JPEGInterchangeFormat, …Length) and a one-strip thumbnail's
/// (StripOffsets, StripByteCounts).
const THUMBNAIL_TAGS: [(u16, u16); 2] = [(0x0201, 0x0202), (0x0111, 0x0117)];

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
    let entries = usize::from(t.u16(ifd1).unwrap_or(0)).min(1024);
    let value = |tag: u16| {
        (0..entries).map(|n| ifd1 + 2 + 12 * n).find(|&e| t.u16(e) == Some(tag)).and_then(|e| {
            // SHORT or LONG, one value.
            match t.u16(e + 2)? {
                3 => t.u16(e + 8).map(usize::from),
                4 => t.u32(e + 8).map(|v| v as usize),
                _ => None,
            }
        })
    };
    let spans = THUMBNAIL_TAGS.iter().filter_map(|&(at, len)| Some((value(at)?, value(len)?))).collect();
    Some((next_at, spans))
}

#[cfg(test)]
mod tests {
    use super::*;

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

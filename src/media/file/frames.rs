//! How many frames an animated GIF, WebP or PNG has, counted by walking its blocks (GIF) or
//! chunks (WebP; PNG, whose animation control chunk comes before its image data and says how
//! many) without decoding a pixel: the file is read a few bytes at a time, with seeks past
//! the image data, so a 100 MB animation costs what its block headers cost.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::sniff::MediaType;

/// Counting stops here; a file claiming more frames is counted as this many.
pub const MAX_FRAMES: u32 = 100_000;

/// Frames of an image of type `t`: 1 for a still image (and for any file whose structure
/// cannot be walked: the decode that follows judges it).
pub fn count(path: &Path, t: MediaType) -> u32 {
    let Ok(file) = File::open(path) else { return 1 };
    let mut r = BufReader::with_capacity(256 * 1024, file);
    let n = match t {
        MediaType::Gif => gif(&mut r),
        MediaType::Webp => webp(&mut r),
        MediaType::Png => png(&mut r),
        _ => None,
    };
    n.unwrap_or(1).clamp(1, MAX_FRAMES)
}

fn byte(r: &mut impl Read) -> Option<u8> {
    let mut b = [0u8; 1];
    r.read_exact(&mut b).ok()?;
    Some(b[0])
}

/// Skips `n` bytes. Short runs (a GIF's 255-byte sub-blocks) are read through the buffer: a seek
/// would empty it and cost a system call each, which doubled a GIF thumbnail's time.
fn skip(r: &mut (impl Read + Seek), n: i64) -> Option<()> {
    let n = u64::try_from(n).ok()?;
    if n <= 64 * 1024 {
        let skipped = std::io::copy(&mut r.by_ref().take(n), &mut std::io::sink()).ok()?;
        (skipped == n).then_some(())
    } else {
        r.seek(SeekFrom::Current(n as i64)).ok().map(|_| ())
    }
}

/// Skips a run of GIF data sub-blocks (each a length byte and that many bytes; 0 ends).
fn skip_sub_blocks(r: &mut (impl Read + Seek)) -> Option<()> {
    loop {
        match byte(r)? {
            0 => return Some(()),
            n => skip(r, i64::from(n))?,
        }
    }
}

/// Counts image descriptors up to the trailer (or the end of what is there).
fn gif(r: &mut (impl Read + Seek)) -> Option<u32> {
    let mut header = [0u8; 13]; // signature, version, logical screen descriptor
    r.read_exact(&mut header).ok()?;
    let packed = header[10];
    if packed & 0x80 != 0 {
        skip(r, 3 << ((packed & 0x07) + 1))?; // global colour table
    }
    let mut frames = 0u32;
    // Up to the trailer, or to where the file is cut short: what was counted whole stands.
    while frames < MAX_FRAMES {
        let block = match byte(r) {
            Some(0x2C) => (|| {
                let mut desc = [0u8; 9];
                r.read_exact(&mut desc).ok()?;
                if desc[8] & 0x80 != 0 {
                    skip(r, 3 << ((desc[8] & 0x07) + 1))?; // local colour table
                }
                byte(r)?; // LZW minimum code size
                skip_sub_blocks(r)?;
                frames += 1;
                Some(())
            })(),
            Some(0x21) => byte(r).and_then(|_| skip_sub_blocks(r)), // an extension: label, data
            _ => None,
        };
        if block.is_none() {
            break;
        }
    }
    Some(frames)
}

/// Counts `ANMF` chunks; a WebP without any is still.
fn webp(r: &mut (impl Read + Seek)) -> Option<u32> {
    let mut header = [0u8; 12];
    r.read_exact(&mut header).ok()?;
    let mut frames = 0u32;
    let mut chunk = [0u8; 8];
    while frames < MAX_FRAMES && r.read_exact(&mut chunk).is_ok() {
        let len = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
        if &chunk[..4] == b"ANMF" {
            frames += 1;
        }
        skip(r, i64::from(len) + i64::from(len & 1))?;
    }
    Some(frames.max(1))
}

/// An animated PNG's `acTL` says how many frames it has; it must come before the first `IDAT`.
fn png(r: &mut (impl Read + Seek)) -> Option<u32> {
    let mut head = [0u8; 8];
    r.read_exact(&mut head).ok()?;
    let mut chunk = [0u8; 8];
    for _ in 0..4096 {
        r.read_exact(&mut chunk).ok()?;
        let len = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        match &chunk[4..] {
            b"acTL" => {
                let mut frames = [0u8; 4];
                r.read_exact(&mut frames).ok()?;
                return Some(u32::from_be_bytes(frames));
            }
            b"IDAT" => return Some(1),
            _ => skip(r, i64::from(len) + 4)?,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn gif_with(frames: usize) -> Vec<u8> {
        let mut g = b"GIF89a\x02\x00\x02\x00\x80\x00\x00".to_vec(); // 2-colour global table
        g.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
        g.extend_from_slice(b"\x21\xFF\x0BNETSCAPE2.0\x03\x01\x00\x00\x00"); // loop extension
        for _ in 0..frames {
            g.extend_from_slice(b"\x21\xF9\x04\x00\x0A\x00\x00\x00"); // graphic control
            g.extend_from_slice(b"\x2C\x00\x00\x00\x00\x02\x00\x02\x00\x00"); // descriptor
            g.extend_from_slice(b"\x02\x02\x44\x01\x00"); // LZW data
        }
        g.push(0x3B);
        g
    }

    #[test]
    fn gif_frames_are_counted_from_their_descriptors() {
        assert_eq!(gif(&mut Cursor::new(gif_with(1))), Some(1));
        assert_eq!(gif(&mut Cursor::new(gif_with(24))), Some(24));
        let mut cut = gif_with(5);
        cut.truncate(cut.len() - 12);
        assert_eq!(gif(&mut Cursor::new(cut)), Some(4), "a file cut short counts what it has");
    }

    #[test]
    fn webp_frames_are_anmf_chunks() {
        let mut w = b"RIFF\0\0\0\0WEBPVP8X\x0A\0\0\0\x02\0\0\0\0\0\0\0\0\0".to_vec();
        for _ in 0..3 {
            w.extend_from_slice(b"ANMF\x03\0\0\0abc\0"); // odd length: one pad byte
        }
        assert_eq!(webp(&mut Cursor::new(w)), Some(3));
        assert_eq!(webp(&mut Cursor::new(b"RIFF\0\0\0\0WEBPVP8 \x02\0\0\0ab".to_vec())), Some(1));
    }

    #[test]
    fn png_frames_are_what_its_animation_control_says() {
        let still =
            std::fs::read(format!("{}/tests/fixtures/image.png", env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert_eq!(png(&mut Cursor::new(&still)), Some(1));
        let mut animated = still[..33].to_vec(); // the signature and the header
        animated.extend_from_slice(b"\0\0\0\x08acTL\0\0\0\x05\0\0\0\0crc!");
        animated.extend_from_slice(&still[33..]);
        assert_eq!(png(&mut Cursor::new(animated)), Some(5));
        assert_eq!(png(&mut Cursor::new(&still[..20])), None, "cut in its header");
    }
}

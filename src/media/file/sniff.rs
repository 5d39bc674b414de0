//! Decides what a file is from its first bytes. The name and the declared type never decide.

use crate::domain::MediaKind;

/// Every type Mediadesk accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    Jpeg,
    Png,
    Gif,
    Webp,
    Mp3,
    Wav,
    Flac,
    /// MPEG-4 audio (AAC or ALAC); the codec is checked by the audio probe.
    M4a,
}

impl MediaType {
    pub fn kind(self) -> MediaKind {
        match self {
            MediaType::Jpeg | MediaType::Png | MediaType::Gif | MediaType::Webp => MediaKind::Image,
            _ => MediaKind::Audio,
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Gif => "image/gif",
            MediaType::Webp => "image/webp",
            MediaType::Mp3 => "audio/mpeg",
            MediaType::Wav => "audio/wav",
            MediaType::Flac => "audio/flac",
            MediaType::M4a => "audio/mp4",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpg",
            MediaType::Png => "png",
            MediaType::Gif => "gif",
            MediaType::Webp => "webp",
            MediaType::Mp3 => "mp3",
            MediaType::Wav => "wav",
            MediaType::Flac => "flac",
            MediaType::M4a => "m4a",
        }
    }

    /// Every extension a file of this type may carry in its name (the first is the usual one).
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            MediaType::Jpeg => &["jpg", "jpeg", "jpe", "jfif"],
            MediaType::Png => &["png"],
            MediaType::Gif => &["gif"],
            MediaType::Webp => &["webp"],
            MediaType::Mp3 => &["mp3"],
            MediaType::Wav => &["wav", "wave"],
            MediaType::Flac => &["flac"],
            MediaType::M4a => &["m4a", "mp4", "m4b", "aac"],
        }
    }

    /// A human name for messages.
    pub fn label(self) -> &'static str {
        match self {
            MediaType::Jpeg => "JPEG image",
            MediaType::Png => "PNG image",
            MediaType::Gif => "GIF image",
            MediaType::Webp => "WebP image",
            MediaType::Mp3 => "MP3 audio",
            MediaType::Wav => "WAV audio",
            MediaType::Flac => "FLAC audio",
            MediaType::M4a => "M4A audio",
        }
    }

    /// The type of an object key's extension (keys carry the sniffed type's extension).
    pub fn from_extension(ext: &str) -> Option<MediaType> {
        ALL.iter().copied().find(|t| t.extension() == ext)
    }

    /// The accepted type a declared `Content-Type` names, if any. Common aliases count.
    pub fn from_mime(declared: &str) -> Option<MediaType> {
        let essence = declared.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        Some(match essence.as_str() {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => MediaType::Jpeg,
            "image/png" | "image/x-png" => MediaType::Png,
            "image/gif" => MediaType::Gif,
            "image/webp" => MediaType::Webp,
            "audio/mpeg" | "audio/mp3" | "audio/mpeg3" | "audio/x-mpeg-3" | "audio/x-mp3" => MediaType::Mp3,
            "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => MediaType::Wav,
            "audio/flac" | "audio/x-flac" => MediaType::Flac,
            "audio/mp4" | "audio/m4a" | "audio/x-m4a" | "audio/aac" | "audio/x-aac" | "audio/mp4a-latm" => {
                MediaType::M4a
            }
            _ => return None,
        })
    }
}

pub const ALL: [MediaType; 8] = [
    MediaType::Jpeg,
    MediaType::Png,
    MediaType::Gif,
    MediaType::Webp,
    MediaType::Mp3,
    MediaType::Wav,
    MediaType::Flac,
    MediaType::M4a,
];

/// How many leading bytes [`sniff`] wants; an ID3 tag in front of MP3/FLAC may need more, which
/// [`sniff`] reports through [`Sniffed::NeedOffset`].
pub const SNIFF_LEN: usize = 64;

/// Reads the head of a file (looking past ID3 tags) and decides its type. Also returns where
/// the media starts: after any ID3 tags, which decoders give up on when they are large.
pub fn sniff_path(path: &std::path::Path) -> Result<(MediaType, u64), super::FileError> {
    let len = std::fs::metadata(path)?.len();
    sniff_received(path, len, true)?.ok_or_else(not_accepted)
}

/// [`sniff_path`] on a file of which `received` bytes have arrived so far. Until the upload is
/// `complete`, `Ok(None)` means "cannot tell yet" (say, inside a large ID3 tag); an error is
/// final either way, so an upload that is not media can be refused before it is all sent.
pub fn sniff_received(
    path: &std::path::Path,
    received: u64,
    complete: bool,
) -> Result<Option<(MediaType, u64)>, super::FileError> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    let mut offset = 0u64;
    let mut tagged = false;
    // A file may carry several stacked ID3 tags; a handful is plenty for real files.
    for _ in 0..4 {
        file.seek(SeekFrom::Start(offset))?;
        let mut head = Vec::with_capacity(SNIFF_LEN);
        (&mut file).take((SNIFF_LEN as u64).min(received.saturating_sub(offset))).read_to_end(&mut head)?;
        if head.len() < SNIFF_LEN && !complete {
            return Ok(None);
        }
        match sniff(&head) {
            Sniffed::Type(t) if offset == 0 || matches!(t, MediaType::Mp3 | MediaType::Flac) => {
                return Ok(Some((t, offset)));
            }
            Sniffed::NeedOffset(next) => {
                tagged = true;
                if offset + next < received {
                    offset += next;
                } else if !complete {
                    return Ok(None);
                } else {
                    break;
                }
            }
            _ => break,
        }
    }
    // An ID3 tag says "MP3" (or FLAC); with no audio frame after it, the file is a damaged one.
    if tagged {
        return Err(super::FileError::Corrupt(
            "the MP3 could not be read: its ID3 tag is followed by no audio frames".into(),
        ));
    }
    Err(not_accepted())
}

fn not_accepted() -> super::FileError {
    super::FileError::UnsupportedType(
        "this file is not an accepted type (images: JPEG, PNG, WebP, GIF; audio: MP3, WAV, FLAC, M4A)".into(),
    )
}

/// Outcome of looking at a file's head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Type(MediaType),
    /// An ID3v2 tag: look again at this offset.
    NeedOffset(u64),
    Unknown,
}

/// Looks at the first bytes of a file.
pub fn sniff(head: &[u8]) -> Sniffed {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(b"\xFF\xD8\xFF") {
        return Sniffed::Type(MediaType::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Sniffed::Type(MediaType::Png);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Sniffed::Type(MediaType::Gif);
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" {
        match &head[8..12] {
            b"WEBP" => return Sniffed::Type(MediaType::Webp),
            b"WAVE" => return Sniffed::Type(MediaType::Wav),
            _ => return Sniffed::Unknown,
        }
    }
    if starts(b"fLaC") {
        return Sniffed::Type(MediaType::Flac);
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" && is_audio_mp4_brand(&head[8..12]) {
        return Sniffed::Type(MediaType::M4a);
    }
    if head.len() >= 10 && starts(b"ID3") {
        // Synchsafe size of the tag body, plus the 10-byte header and an optional footer.
        let size = head[6..10].iter().fold(0u64, |acc, b| (acc << 7) | u64::from(b & 0x7f));
        let footer = if head[5] & 0x10 != 0 { 10 } else { 0 };
        return Sniffed::NeedOffset(10 + size + footer);
    }
    if is_mp3_frame_header(head) {
        return Sniffed::Type(MediaType::Mp3);
    }
    Sniffed::Unknown
}

/// Brands an MPEG-4 audio file may carry; video-only brands are refused here.
fn is_audio_mp4_brand(brand: &[u8]) -> bool {
    matches!(
        brand,
        b"M4A " | b"M4B " | b"M4P " | b"mp42" | b"isom" | b"mp41" | b"iso2" | b"dash" | b"3gp5" | b"3gp4"
    )
}

/// An MPEG audio frame header: sync, a valid version, layer III, a usable bitrate and rate.
pub fn is_mp3_frame_header(h: &[u8]) -> bool {
    if h.len() < 4 || h[0] != 0xFF || h[1] & 0xE0 != 0xE0 {
        return false;
    }
    let version = (h[1] >> 3) & 0b11; // 01 is reserved
    let layer = (h[1] >> 1) & 0b11; // 01 is layer III
    let bitrate = h[2] >> 4;
    let rate = (h[2] >> 2) & 0b11;
    version != 0b01 && layer == 0b01 && bitrate != 0 && bitrate != 0xF && rate != 0b11
}

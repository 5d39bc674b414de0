//! An upload's checks on a file at a path, without a database or a store. `mediadesk probe`,
//! `thumbnail` and `waveform` run exactly these functions, so the server's code path can be
//! timed against other tools.

use std::path::Path;

use serde::Serialize;

use super::FileError;
use super::decode::ImageLimits;
use super::probe_audio::{AudioAnalysis, AudioInfo, Wanted, analyse_audio, probe_audio};
use super::probe_image::{ImageInfo, Renditions, header_size, probe_image};
use super::sniff::{MediaType, sniff_path};
use crate::domain::{MediaKind, Shot};

/// What the headers say about a file.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Probe {
    Image {
        content_type: &'static str,
        width: u64,
        height: u64,
        /// How the photo was taken, as the upload records it (`{}`: the file says nothing).
        shot: Shot,
    },
    Audio {
        content_type: &'static str,
        codec: String,
        duration_ms: i64,
        bitrate: i32,
        sample_rate: i32,
        channels: i32,
    },
}

fn expect(path: &Path, kind: MediaKind) -> Result<(MediaType, u64), FileError> {
    let (t, start) = sniff_path(path)?;
    if t.kind() != kind {
        return Err(FileError::UnsupportedType(format!(
            "expected an {} file, but this is a {}",
            kind.as_str(),
            t.label()
        )));
    }
    Ok((t, start))
}

/// Type and metadata from the headers: the first check of every upload.
pub fn probe_file(path: &Path) -> Result<Probe, FileError> {
    let (t, start) = sniff_path(path)?;
    Ok(match t.kind() {
        MediaKind::Image => {
            let (width, height) = header_size(path, t, &ImageLimits::default())?;
            Probe::Image { content_type: t.mime(), width, height, shot: super::shot::read(path, t) }
        }
        MediaKind::Audio => {
            let AudioInfo { duration_ms, bitrate, sample_rate, channels, codec, text: _ } =
                probe_audio(path, t, start)?;
            Probe::Audio { content_type: t.mime(), codec, duration_ms, bitrate, sample_rate, channels }
        }
    })
}

/// An image's validation and thumbnail as an upload makes them; with `with_display`, its display
/// rendition too (the thumbnail of a large image then comes from the display-size pixels, as
/// at upload).
pub fn thumbnail_file(
    path: &Path,
    size: u32,
    with_display: bool,
) -> Result<(ImageInfo, Renditions), FileError> {
    let (t, _) = expect(path, MediaKind::Image)?;
    probe_image(path, t, &ImageLimits::default(), size, with_display)
}

/// An audio file's full decode with its waveform peaks, loudness and rendition, exactly as an
/// upload runs it (`wanted` can leave parts out, to time them).
pub fn waveform_file(path: &Path, wanted: Wanted<'_>) -> Result<AudioAnalysis, FileError> {
    let (t, start) = expect(path, MediaKind::Audio)?;
    analyse_audio(path, t, start, wanted)
}

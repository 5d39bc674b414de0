//! Audio metadata with symphonia: codec, rate, channels from the headers; duration from the
//! packets themselves, which also catches truncated files.

use std::path::Path;

use std::io::Seek;
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::codecs::audio::well_known::{CODEC_ID_AAC, CODEC_ID_ALAC, CODEC_ID_FLAC, CODEC_ID_MP3};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};

use symphonia::core::io::{MediaSource, MediaSourceStream, ReadOnlySource};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::units::Duration as Ticks;

use super::MediaError;
use super::sniff::MediaType;
use super::waveform::PeakCollector;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioInfo {
    pub duration_ms: i64,
    /// Average bits per second over the whole file.
    pub bitrate: i32,
    pub sample_rate: i32,
    pub channels: i32,
    pub codec: String,
}

/// Packets that must decode before damaged frames are tolerated.
const DECODE_CHECK_PACKETS: usize = 4;
/// A container that promises more than this share of frames beyond what its packets hold is cut off.
const TRUNCATION_TOLERANCE: f64 = 0.02;

fn corrupt(t: MediaType, why: impl std::fmt::Display) -> MediaError {
    MediaError::Corrupt(format!("the {} could not be read: {why}", t.label()))
}

fn symphonia_error(t: MediaType, e: SymphoniaError) -> MediaError {
    match e {
        SymphoniaError::Unsupported(what) => {
            MediaError::UnsupportedType(format!("this {} uses an unsupported feature: {what}", t.label()))
        }
        SymphoniaError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            corrupt(t, "the file is truncated")
        }
        other => corrupt(t, other),
    }
}

/// Reads the metadata and decodes the whole stream once: that proves it plays, gives the exact
/// duration and yields the waveform peaks.
pub fn probe_audio(path: &Path, t: MediaType, start: u64) -> Result<(AudioInfo, Vec<u8>), MediaError> {
    let mut file = std::fs::File::open(path)?;
    let file_len = file.metadata()?.len();
    let source: Box<dyn MediaSource> = if start == 0 {
        Box::new(file)
    } else {
        // Past a leading ID3 tag the stream is plain MP3 or FLAC, which read front to back.
        file.seek(std::io::SeekFrom::Start(start))?;
        Box::new(ReadOnlySource::new(file))
    };
    let mss = MediaSourceStream::new(source, Default::default());
    let mut hint = Hint::new();
    hint.with_extension(t.extension());
    let mut format = symphonia::default::get_probe()
        .probe(&hint, mss, FormatOptions::default(), MetadataOptions::default())
        .map_err(|e| match e {
            // The bytes already proved the container type, so a reader that gives up on it
            // (e.g. an MP4 whose index never arrived) is looking at a damaged file.
            SymphoniaError::Unsupported(what) => corrupt(t, format!("{what}; the file may be truncated")),
            other => symphonia_error(t, other),
        })?;
    let track =
        format.default_track(TrackType::Audio).ok_or_else(|| corrupt(t, "it has no audio track"))?.clone();
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| corrupt(t, "its codec is not described"))?
        .clone();
    let codec = codec_name(t, &params.codec)?;
    let sample_rate = params.sample_rate.filter(|r| *r > 0).ok_or_else(|| corrupt(t, "no sample rate"))?;
    let channels = params
        .channels
        .as_ref()
        .map(|c| c.count())
        .filter(|c| *c > 0)
        .ok_or_else(|| corrupt(t, "no channels"))?;
    let time_base = track.time_base.ok_or_else(|| corrupt(t, "no time base"))?;

    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(|e| symphonia_error(t, e))?;

    // Without a Xing/Info/VBRI tag the MP3 reader only estimates the length (and trims packets
    // to that estimate), so count the packets' own durations instead.
    let estimated = params.codec == CODEC_ID_MP3 && track.delay.is_none();
    let estimated_frames = track.num_frames.or(track.duration.map(Ticks::get));
    let mut peaks = PeakCollector::new(estimated_frames);
    let mut samples: Vec<f32> = Vec::new();
    let mut ticks: u64 = 0;
    let mut decoded = 0usize;
    let mut failed = 0usize;
    loop {
        let mut packet = match format.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(e) => return Err(symphonia_error(t, e)),
        };
        if packet.track_id != track.id {
            continue;
        }
        if estimated {
            // The reader trims packets to its own length estimate; keep the real end.
            packet.trim_end = Ticks::ZERO;
        }
        ticks += packet.dur.get().saturating_sub(packet.trim_start.get() + packet.trim_end.get());
        match decoder.decode(&packet) {
            Ok(buf) => {
                buf.copy_to_vec_interleaved::<f32>(&mut samples);
                peaks.push_interleaved(&samples, channels);
                decoded += 1;
            }
            // A damaged frame here and there is skipped, as players do; a stream that will not
            // decode from the start is not audio we accept.
            Err(SymphoniaError::DecodeError(_)) if decoded >= DECODE_CHECK_PACKETS => failed += 1,
            Err(e) => return Err(symphonia_error(t, e)),
        }
    }
    if decoded == 0 || ticks == 0 {
        return Err(corrupt(t, "it holds no audio"));
    }
    if failed * 10 > decoded {
        return Err(corrupt(t, format!("{failed} of its {} frames are damaged", decoded + failed)));
    }
    if !estimated
        && let Some(promised) = track.duration.map(Ticks::get).filter(|d| *d > 0)
        && (ticks as f64) < promised as f64 * (1.0 - TRUNCATION_TOLERANCE)
    {
        return Err(corrupt(t, "the file is truncated"));
    }
    let seconds = time_base.calc_duration_saturating(Ticks::new(ticks)).as_secs_f64();
    let duration_ms = (seconds * 1000.0).round() as i64;
    let bitrate = ((file_len as f64 * 8.0) / seconds).round().min(i32::MAX as f64) as i32;
    let info =
        AudioInfo { duration_ms, bitrate, sample_rate: sample_rate as i32, channels: channels as i32, codec };
    Ok((info, peaks.finish()))
}

/// The codec must be one the container is allowed to carry here.
fn codec_name(t: MediaType, id: &symphonia::core::codecs::audio::AudioCodecId) -> Result<String, MediaError> {
    let ok = match t {
        MediaType::Mp3 => *id == CODEC_ID_MP3,
        MediaType::Flac => *id == CODEC_ID_FLAC,
        MediaType::M4a => *id == CODEC_ID_AAC || *id == CODEC_ID_ALAC,
        // WAV carries PCM or ADPCM; whatever symphonia can decode is fine.
        MediaType::Wav => true,
        _ => false,
    };
    let registered = symphonia::default::get_codecs().get_audio_decoder(*id);
    match (ok, registered) {
        (true, Some(dec)) => Ok(dec.codec.info.short_name.to_owned()),
        _ => Err(MediaError::UnsupportedType(format!(
            "this {} uses a codec Mediadesk does not accept (allowed: MP3, WAV/PCM, FLAC, AAC or ALAC in M4A)",
            t.label()
        ))),
    }
}

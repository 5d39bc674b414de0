//! Audio metadata and validation with symphonia, in two steps that uploads run one after the
//! other: [`probe_audio`] reads the headers (codec, rate, channels, duration; an MP3 without a
//! Xing/Info tag has its packets counted, without decoding, because its header only estimates),
//! then [`analyse_audio`] decodes the whole stream once, which proves it plays, gives the exact
//! duration, catches truncation, and feeds the waveform peaks, the loudness meter and (for a
//! codec not every browser plays) the FLAC rendition.

use std::io::Seek;
use std::path::Path;

use symphonia::core::audio::conv::IntoSample;
use symphonia::core::audio::sample::Sample;
use symphonia::core::audio::{Audio, GenericAudioBufferRef};
use symphonia::core::codecs::audio::well_known::{CODEC_ID_AAC, CODEC_ID_ALAC, CODEC_ID_FLAC, CODEC_ID_MP3};
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, Track, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream, ReadOnlySource};
use symphonia::core::meta::{MetadataOptions, StandardTag};
use symphonia::core::units::{Duration as Ticks, TimeBase};

use super::FileError;
use super::contained::contained;
use super::embedded::Embedded;
use super::loudness::Loudness;
use super::meter_threads::MeterThreads;
use super::pcm16::Pcm16;
use super::rendition::{FlacWriter, plays_everywhere};
use super::sniff::MediaType;
use super::sound::PrintThread;
use super::waveform::{Extremes, PeakCollector};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioInfo {
    pub duration_ms: i64,
    /// Average bits per second over the whole file.
    pub bitrate: i32,
    pub sample_rate: i32,
    pub channels: i32,
    pub codec: String,
    /// Title, credit, caption and lyrics from the file's own tags.
    pub text: Embedded,
}

/// Packets that must decode before damaged frames are tolerated.
const DECODE_CHECK_PACKETS: usize = 4;
/// A container that promises more than this share of frames beyond what its packets hold is cut off.
const TRUNCATION_TOLERANCE: f64 = 0.02;

fn corrupt(t: MediaType, why: impl std::fmt::Display) -> FileError {
    FileError::Corrupt(format!("the {} could not be read: {why}", t.label()))
}

fn symphonia_error(t: MediaType, e: SymphoniaError) -> FileError {
    match e {
        SymphoniaError::Unsupported(what) => {
            FileError::UnsupportedType(format!("this {} uses an unsupported feature: {what}", t.label()))
        }
        SymphoniaError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            corrupt(t, "the file is truncated")
        }
        other => corrupt(t, other),
    }
}

/// An opened container with its audio track described.
struct Opened {
    format: Box<dyn FormatReader>,
    track: Track,
    params: AudioCodecParameters,
    time_base: TimeBase,
    channels: usize,
    info: AudioInfo,
    file_len: u64,
    /// The header's length is only an estimate (MP3 without a Xing/Info/VBRI tag), and the
    /// reader trims packets to that estimate.
    estimated: bool,
}

fn open(path: &Path, t: MediaType, start: u64) -> Result<Opened, FileError> {
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
    let estimated = params.codec == CODEC_ID_MP3 && track.delay.is_none();
    // A leading ID3 tag was skipped for the reader; it is read on its own, within a cap.
    let id3 = if start > 0 { super::embedded::id3_text(path) } else { Embedded::default() };
    let info = AudioInfo {
        duration_ms: 0,
        bitrate: 0,
        sample_rate: sample_rate as i32,
        channels: channels as i32,
        codec,
        text: id3.or(tagged(format.as_mut())),
    };
    Ok(Opened { format, track, params, time_base, channels, info, file_len, estimated })
}

/// Title, credit, caption and lyrics from the tags the reader found (Vorbis comments, MP4
/// `ilst`, ID3 it read itself), first value of each.
fn tagged(format: &mut dyn FormatReader) -> Embedded {
    let (mut out, mut copyright, mut artist, mut comment) = (Embedded::default(), None, None, None);
    let set = |slot: &mut Option<String>, v: &str| {
        if slot.is_none() {
            *slot = Some(v.to_owned());
        }
    };
    let mut metadata = format.metadata();
    loop {
        for tag in metadata.current().map(|r| r.media.tags.as_slice()).unwrap_or_default() {
            match &tag.std {
                Some(StandardTag::TrackTitle(v)) => set(&mut out.title, v),
                Some(StandardTag::Copyright(v)) => set(&mut copyright, v),
                Some(StandardTag::Artist(v)) => set(&mut artist, v),
                Some(StandardTag::Description(v)) => set(&mut out.caption, v),
                Some(StandardTag::Comment(v)) => set(&mut comment, v),
                Some(StandardTag::Lyrics(v)) => set(&mut out.lyrics, v),
                _ => {}
            }
        }
        if metadata.pop().is_none() {
            break;
        }
    }
    out.credit = copyright.or(artist);
    out.caption = out.caption.or(comment);
    out
}

impl Opened {
    /// Fills in duration and average bitrate from a length in ticks.
    fn with_length(mut self, ticks: u64, t: MediaType) -> Result<AudioInfo, FileError> {
        if ticks == 0 {
            return Err(corrupt(t, "it holds no audio"));
        }
        let seconds = self.time_base.calc_duration_saturating(Ticks::new(ticks)).as_secs_f64();
        self.info.duration_ms = (seconds * 1000.0).round() as i64;
        self.info.bitrate = ((self.file_len as f64 * 8.0) / seconds).round().min(i32::MAX as f64) as i32;
        Ok(self.info)
    }

    fn next_packet(&mut self, t: MediaType) -> Result<Option<symphonia::core::packet::Packet>, FileError> {
        loop {
            let mut packet = match self.format.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(None),
                Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return Ok(None);
                }
                Err(e) => return Err(symphonia_error(t, e)),
            };
            if packet.track_id != self.track.id {
                continue;
            }
            if self.estimated {
                // The reader trims packets to its own length estimate; keep the real end.
                packet.trim_end = Ticks::ZERO;
            }
            return Ok(Some(packet));
        }
    }
}

fn packet_ticks(p: &symphonia::core::packet::Packet) -> u64 {
    p.dur.get().saturating_sub(p.trim_start.get() + p.trim_end.get())
}

/// Codec, rate, channels, duration and average bitrate from the headers, without decoding.
/// This is what `mediadesk probe` prints and what an upload checks before it decodes.
pub fn probe_audio(path: &Path, t: MediaType, start: u64) -> Result<AudioInfo, FileError> {
    contained(t, || probe_headers(path, t, start))
}

fn probe_headers(path: &Path, t: MediaType, start: u64) -> Result<AudioInfo, FileError> {
    let mut opened = open(path, t, start)?;
    let header = opened.track.num_frames.or(opened.track.duration.map(Ticks::get)).filter(|d| *d > 0);
    let ticks = match header {
        Some(ticks) if !opened.estimated => ticks,
        // No length, or only an estimate: count the packets' own durations (no decoding; about
        // a millisecond for five minutes of MP3).
        _ => {
            let mut ticks = 0u64;
            while let Some(packet) = opened.next_packet(t)? {
                ticks += packet_ticks(&packet);
            }
            ticks
        }
    };
    opened.with_length(ticks, t)
}

/// What the upload's one full decode yields besides the proof that the file plays.
#[derive(Debug)]
pub struct AudioAnalysis {
    pub info: AudioInfo,
    /// Waveform peaks, see [`super::waveform`].
    pub peaks: Vec<u8>,
    /// `None` when it was not asked for (timing the decode alone).
    pub loudness: Option<Loudness>,
    /// The size of the FLAC rendition written, when the codec is not one every browser plays.
    pub rendition: Option<u64>,
    /// The sound's print (see [`super::sound`]); `None` when not asked for or too short.
    pub print: Option<Vec<u32>>,
}

/// What a decode should make besides peaks.
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    pub loudness: bool,
    /// The sound's print, for finding copies.
    pub print: bool,
    /// Where to write a FLAC rendition, if the codec needs one.
    pub rendition: Option<&'a Path>,
}

impl Wanted<'_> {
    pub const ALL: Wanted<'static> = Wanted { loudness: true, print: true, rendition: None };
}

/// Decodes the whole stream once: proves it plays, measures its exact length (and refuses a
/// file shorter than its header promises), collects the waveform peaks and measures loudness,
/// and writes a playable rendition when the codec needs one.
pub fn analyse_audio(
    path: &Path,
    t: MediaType,
    start: u64,
    wanted: Wanted<'_>,
) -> Result<AudioAnalysis, FileError> {
    contained(t, || decode_all(path, t, start, wanted))
}

/// Everything one decoded buffer feeds.
struct Sinks {
    peaks: PeakCollector,
    meter: Option<MeterThreads>,
    print: Option<PrintThread>,
    flac: Option<FlacWriter>,
    /// Reused for the rendition's integer planes.
    scratch: Vec<Vec<i32>>,
}

fn decode_all(path: &Path, t: MediaType, start: u64, wanted: Wanted<'_>) -> Result<AudioAnalysis, FileError> {
    let header = probe_headers(path, t, start)?;
    let mut opened = open(path, t, start)?;
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&opened.params, &AudioDecoderOptions::default())
        .map_err(|e| symphonia_error(t, e))?;
    let expected_frames = header.duration_ms as u64 * header.sample_rate as u64 / 1000;
    let rate = header.sample_rate as u32;
    let flac = match wanted.rendition {
        Some(out) if !plays_everywhere(opened.params.codec) => {
            let bits = opened.params.bits_per_sample.unwrap_or(16);
            Some(FlacWriter::create(out, opened.channels, bits, rate)?)
        }
        _ => None,
    };
    let mut sinks = Sinks {
        peaks: PeakCollector::new(Some(expected_frames)),
        meter: wanted.loudness.then(|| MeterThreads::spawn(opened.channels, rate)).transpose()?,
        print: if wanted.print { PrintThread::spawn(opened.channels, rate)? } else { None },
        flac,
        scratch: vec![Vec::new(); opened.channels],
    };
    let mut pcm16 = Pcm16::for_stream(&opened.params, opened.channels);
    let mut ticks: u64 = 0;
    let mut decoded = 0usize;
    let mut failed = 0usize;
    while let Some(packet) = opened.next_packet(t)? {
        ticks += packet_ticks(&packet);
        if let Some(pcm16) = pcm16.as_mut() {
            sinks.feed_planes(&pcm16.split(&packet.data))?;
            decoded += 1;
            continue;
        }
        match decoder.decode(&packet) {
            Ok(buf) => {
                sinks.feed(&buf, opened.channels)?;
                decoded += 1;
            }
            // A damaged frame here and there is skipped, as players do; a stream that will not
            // decode from the start is not audio we accept.
            Err(SymphoniaError::DecodeError(_)) if decoded >= DECODE_CHECK_PACKETS => failed += 1,
            Err(e) => return Err(symphonia_error(t, e)),
        }
    }
    if decoded == 0 {
        return Err(corrupt(t, "it holds no audio"));
    }
    if failed * 10 > decoded {
        return Err(corrupt(t, format!("{failed} of its {} frames are damaged", decoded + failed)));
    }
    if !opened.estimated
        && let Some(promised) = opened.track.duration.map(Ticks::get).filter(|d| *d > 0)
        && (ticks as f64) < promised as f64 * (1.0 - TRUNCATION_TOLERANCE)
    {
        return Err(corrupt(t, "the file is truncated"));
    }
    let info = opened.with_length(ticks, t)?;
    let rendition = sinks.flac.map(FlacWriter::finish).transpose()?;
    Ok(AudioAnalysis {
        info,
        peaks: sinks.peaks.finish(),
        loudness: sinks.meter.and_then(MeterThreads::finish),
        print: sinks.print.and_then(PrintThread::finish),
        rendition,
    })
}

impl Sinks {
    /// Feeds a decoded buffer in its own sample type: integer PCM is compared as integers for
    /// the peaks, and no interleaved copy is made.
    fn feed(&mut self, buf: &GenericAudioBufferRef<'_>, channels: usize) -> Result<(), FileError> {
        macro_rules! planes {
            ($b:expr) => {{
                let planes: Vec<_> = (0..$b.num_planes().min(channels)).filter_map(|i| $b.plane(i)).collect();
                self.feed_planes(&planes)?;
            }};
        }
        match buf {
            GenericAudioBufferRef::U8(b) => planes!(b),
            GenericAudioBufferRef::U16(b) => planes!(b),
            GenericAudioBufferRef::U24(b) => planes!(b),
            GenericAudioBufferRef::U32(b) => planes!(b),
            GenericAudioBufferRef::S8(b) => planes!(b),
            GenericAudioBufferRef::S16(b) => planes!(b),
            GenericAudioBufferRef::S24(b) => planes!(b),
            GenericAudioBufferRef::S32(b) => planes!(b),
            GenericAudioBufferRef::F32(b) => planes!(b),
            GenericAudioBufferRef::F64(b) => planes!(b),
        }
        Ok(())
    }

    /// One plane per channel, from a decoder or split straight from 16-bit PCM.
    fn feed_planes<S>(&mut self, planes: &[&[S]]) -> Result<(), FileError>
    where
        S: Extremes + Sample + IntoSample<f32> + IntoSample<i32>,
    {
        self.peaks.push_planes(planes);
        if let Some(meter) = self.meter.as_mut() {
            meter.push_planes(planes);
        }
        if let Some(print) = self.print.as_mut() {
            print.push_planes(planes);
        }
        if let Some(flac) = self.flac.as_mut() {
            for (out, plane) in self.scratch.iter_mut().zip(planes) {
                out.clear();
                out.extend(plane.iter().map(|s| -> i32 { (*s).into_sample() }));
            }
            let ints: Vec<&[i32]> = self.scratch.iter().take(planes.len()).map(Vec::as_slice).collect();
            flac.push_planes(&ints)?;
        }
        Ok(())
    }
}

/// The codec must be one the container is allowed to carry here.
fn codec_name(t: MediaType, id: &symphonia::core::codecs::audio::AudioCodecId) -> Result<String, FileError> {
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
        _ => Err(FileError::UnsupportedType(format!(
            "this {} uses a codec Mediadesk does not accept (allowed: MP3, WAV/PCM, FLAC, AAC or ALAC in \
                M4A)",
            t.label()
        ))),
    }
}

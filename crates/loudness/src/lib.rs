//! Mediadesk's loudness meter, measured from f32 planes: integrated loudness and loudness range
//! (ITU-R BS.1770-4, EBU R128 / Tech 3342), true peak, full-scale (clipped) samples and silence.
//!
//! It is a crate of its own so that it is built optimised even in debug builds, like the
//! decoders: unoptimised it took some 50× its release time, and every audio upload in the
//! tests runs it.
//!
//! The `ebur128` crate measures the same and is the reference in Mediadesk's tests, but it
//! costs 1.2–2.4× a whole decode (f64 filters one channel at a time, a 4× oversampler on every
//! sample). Here the K-weighting runs eight lanes at a time (`kweight.rs`) and the oversampler
//! eight points at a time, its three phases folded into 18 multiply-adds a point, only where
//! the peak could still rise (`true_peak.rs`). The meter
//! comes in two halves, [`EnergyMeter`] and [`SampleMeter`], that can run on threads of their
//! own over the same planes; [`loudness`] joins what they found.

use serde::Serialize;

mod kweight;
mod true_peak;

use kweight::KWeighting;
use true_peak::{TruePeak, scan};

/// Below this a stretch counts as silence (−60 dBFS on every channel).
const SILENCE: f32 = 0.001;
/// At or above this a sample counts as clipped (within 0.01 dB of full scale).
const FULL_SCALE: f32 = 0.9988;
/// Silence is judged over windows of this many milliseconds.
const WINDOW_MS: u64 = 10;
/// Frames the sample half reads in one go (128 KiB a channel).
const PIECE: usize = 32768;
/// Absolute gate of integrated loudness and loudness range, LUFS.
const ABSOLUTE_GATE: f64 = -70.0;

/// What the meter found; `None` where the measure is undefined (a track of pure silence has no
/// loudness and no peak).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Loudness {
    /// Integrated loudness, LUFS.
    pub integrated: Option<f64>,
    /// Loudness range, LU.
    pub range: Option<f64>,
    /// Highest true peak over all channels, dBTP.
    pub true_peak: Option<f64>,
    /// Samples at full scale, all channels counted.
    pub clipped: i64,
    /// Silence before the first sound and after the last, and in all.
    pub silence_start_ms: i64,
    pub silence_end_ms: i64,
    pub silence_ms: i64,
}

/// BS.1770 channel weights: left, right and centre 1, surrounds 1.41, the LFE (4th of six) 0.
fn weight(channel: usize, channels: usize) -> f32 {
    match (channels, channel) {
        (6.., 3) => 0.0,
        (5.., 4 | 5) => 1.41,
        _ => 1.0,
    }
}

/// The K-weighted half of the meter: energy per 100 ms block.
pub struct EnergyMeter {
    kweight: KWeighting,
    /// Frames in 100 ms, and the mean energy of each whole block so far.
    frames: usize,
    blocks: Vec<f64>,
}

impl EnergyMeter {
    pub fn new(channels: usize, rate: u32) -> EnergyMeter {
        let weights = (0..channels).map(|c| weight(c, channels)).collect();
        let frames = ((rate as usize + 5) / 10).max(1);
        EnergyMeter { kweight: KWeighting::new(channels, rate, weights, frames), frames, blocks: Vec::new() }
    }

    /// Frames in the batches this half filters where they lie, without copying them: push
    /// planes this long.
    pub fn buffer_frames(&self) -> usize {
        self.kweight.buffer_frames()
    }

    pub fn push(&mut self, planes: &[&[f32]]) {
        let (blocks, frames) = (&mut self.blocks, self.frames as f64);
        self.kweight.push(planes, &mut |sums| blocks.extend(sums.iter().map(|e| e / frames)));
    }

    /// The mean energy of each whole 100 ms block.
    pub fn finish(mut self) -> Vec<f64> {
        let (blocks, frames) = (&mut self.blocks, self.frames as f64);
        self.kweight.finish(&mut |sums| blocks.extend(sums.iter().map(|e| e / frames)));
        self.blocks
    }
}

/// What the sample half of the meter found.
#[derive(Debug, Clone, Copy)]
pub struct SampleFacts {
    true_peak: Option<f64>,
    clipped: i64,
    silence_start_ms: i64,
    silence_end_ms: i64,
    silence_ms: i64,
}

/// The other half: true peak, full-scale samples and silence.
pub struct SampleMeter {
    rate: u64,
    true_peak: TruePeak,
    window: u64,
    in_window: u64,
    window_loud: bool,
    frames: u64,
    silent_frames: u64,
    first_loud: Option<u64>,
    last_loud: Option<u64>,
    clipped: i64,
}

impl SampleMeter {
    pub fn new(channels: usize, rate: u32) -> SampleMeter {
        SampleMeter {
            rate: u64::from(rate).max(1),
            true_peak: TruePeak::new(channels),
            window: (u64::from(rate) * WINDOW_MS / 1000).max(1),
            in_window: 0,
            window_loud: false,
            frames: 0,
            silent_frames: 0,
            first_loud: None,
            last_loud: None,
            clipped: 0,
        }
    }

    /// One slice per channel, all of the same length.
    pub fn push(&mut self, planes: &[&[f32]]) {
        let frames = planes.first().map_or(0, |p| p.len());
        // A piece at a time, so that its three passes (scan, true peak, silence) find it in
        // cache: the batches the meter threads take are megabytes.
        for from in (0..frames).step_by(PIECE) {
            let to = frames.min(from + PIECE);
            let piece: Vec<&[f32]> = planes.iter().map(|p| &p[from..to]).collect();
            self.push_piece(&piece);
        }
    }

    fn push_piece(&mut self, planes: &[&[f32]]) {
        let frames = planes.first().map_or(0, |p| p.len());
        let scanned: Vec<(&[f32], f32)> = planes
            .iter()
            .map(|plane| {
                let (peak, clipped) = scan(plane, FULL_SCALE);
                self.clipped += clipped as i64;
                (*plane, peak)
            })
            .collect();
        self.true_peak.push(&scanned);
        self.silence(planes, frames);
        self.frames += frames as u64;
    }

    fn silence(&mut self, planes: &[&[f32]], frames: usize) {
        let mut pos = 0;
        while pos < frames {
            let n = ((self.window - self.in_window) as usize).min(frames - pos);
            if planes.iter().any(|p| p[pos..pos + n].iter().any(|s| s.abs() >= SILENCE)) {
                let at = self.frames + pos as u64;
                self.first_loud.get_or_insert(at);
                self.last_loud = Some(at + n as u64);
                self.window_loud = true;
            }
            self.in_window += n as u64;
            pos += n;
            if self.in_window == self.window {
                self.close_window();
            }
        }
    }

    fn close_window(&mut self) {
        if !self.window_loud {
            self.silent_frames += self.in_window;
        }
        self.in_window = 0;
        self.window_loud = false;
    }

    pub fn finish(mut self) -> SampleFacts {
        if self.in_window > 0 {
            self.close_window();
        }
        let peak = self.true_peak.peak();
        let ms = |frames: u64| (frames * 1000 / self.rate) as i64;
        let (start, end) = match (self.first_loud, self.last_loud) {
            (Some(first), Some(last)) => (first, self.frames.saturating_sub(last)),
            _ => (self.frames, 0),
        };
        SampleFacts {
            true_peak: (peak > 0.0).then(|| 20.0 * f64::from(peak).log10()),
            clipped: self.clipped,
            silence_start_ms: ms(start),
            silence_end_ms: ms(end),
            silence_ms: ms(self.silent_frames),
        }
    }
}

/// The two halves' findings as one.
pub fn loudness(blocks: &[f64], facts: SampleFacts) -> Loudness {
    Loudness {
        integrated: integrated(blocks),
        range: range(blocks),
        true_peak: facts.true_peak,
        clipped: facts.clipped,
        silence_start_ms: facts.silence_start_ms,
        silence_end_ms: facts.silence_end_ms,
        silence_ms: facts.silence_ms,
    }
}

fn lufs(energy: f64) -> f64 {
    -0.691 + 10.0 * energy.log10()
}

/// Mean energies of `len` consecutive 100 ms blocks, one per 100 ms.
fn windows(blocks: &[f64], len: usize) -> Vec<f64> {
    blocks.windows(len).map(|w| w.iter().sum::<f64>() / len as f64).collect()
}

/// BS.1770-4: 400 ms blocks every 100 ms, gated at −70 LUFS and then 10 LU below their mean.
fn integrated(blocks: &[f64]) -> Option<f64> {
    let gated: Vec<f64> = windows(blocks, 4).into_iter().filter(|e| lufs(*e) > ABSOLUTE_GATE).collect();
    if gated.is_empty() {
        return None;
    }
    let relative = lufs(gated.iter().sum::<f64>() / gated.len() as f64) - 10.0;
    let kept: Vec<f64> = gated.into_iter().filter(|e| lufs(*e) > relative).collect();
    (!kept.is_empty()).then(|| lufs(kept.iter().sum::<f64>() / kept.len() as f64))
}

/// EBU Tech 3342: 3 s windows every 100 ms, gated at −70 LUFS and then 20 LU below their mean;
/// the spread between the 10th and 95th percentile.
fn range(blocks: &[f64]) -> Option<f64> {
    let gated: Vec<f64> = windows(blocks, 30).into_iter().filter(|e| lufs(*e) > ABSOLUTE_GATE).collect();
    if gated.is_empty() {
        return None;
    }
    let relative = lufs(gated.iter().sum::<f64>() / gated.len() as f64) - 20.0;
    let mut kept: Vec<f64> = gated.into_iter().map(lufs).filter(|l| *l > relative).collect();
    kept.sort_by(f64::total_cmp);
    let at = |p: f64| kept[((p * (kept.len() - 1) as f64).round() as usize).min(kept.len() - 1)];
    Some(at(0.95) - at(0.10))
}

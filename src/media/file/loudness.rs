//! Loudness and health of an audio track, measured from decoded planes (an upload measures its
//! file right after it answered, see `media::later`): integrated loudness and loudness range
//! (ITU-R BS.1770-4, EBU R128 / Tech 3342), true peak, full-scale (clipped) samples and silence.
//!
//! The `ebur128` crate measures the same and is this module's reference in its tests, but it
//! costs 1.2–2.4× the whole decode (f64 filters one channel at a time, a 4× oversampler on every
//! sample). Here the K-weighting runs both stereo channels in one loop, so their filter chains
//! overlap, and the true-peak oversampler only runs on stretches whose sample peak could still
//! raise the highest true peak found so far.

use serde::Serialize;
use symphonia::core::audio::conv::IntoSample;
use symphonia::core::audio::sample::Sample;

/// Below this a stretch counts as silence (−60 dBFS on every channel).
const SILENCE: f32 = 0.001;
/// At or above this a sample counts as clipped (within 0.01 dB of full scale).
const FULL_SCALE: f32 = 0.9988;
/// Silence is judged over windows of this many milliseconds.
const WINDOW_MS: u64 = 10;
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

/// One biquad, transposed direct form II.
#[derive(Clone, Copy, Default)]
struct Biquad {
    b: [f64; 3],
    a: [f64; 2],
}

/// The K-weighting filter's two stages for `rate` (BS.1770-4's pre-filter and RLB high-pass,
/// with coefficients derived for any rate as libebur128 does).
fn k_weighting(rate: f64) -> (Biquad, Biquad) {
    let (f0, gain_db, q) = (1681.974450955533, 3.999843853973347, 0.7071752369554196);
    let k = (std::f64::consts::PI * f0 / rate).tan();
    let vh = 10f64.powf(gain_db / 20.0);
    let vb = vh.powf(0.4996667741545416);
    let a0 = 1.0 + k / q + k * k;
    let shelf = Biquad {
        b: [(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0],
        a: [2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0],
    };
    let (f0, q) = (38.13547087602444, 0.5003270373238773);
    let k = (std::f64::consts::PI * f0 / rate).tan();
    let a0 = 1.0 + k / q + k * k;
    let high_pass = Biquad { b: [1.0, -2.0, 1.0], a: [2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0] };
    (shelf, high_pass)
}

/// A channel's filter state: two values per stage.
#[derive(Clone, Copy, Default)]
struct State([f64; 4]);

impl State {
    #[inline(always)]
    fn step(&mut self, (s, h): (&Biquad, &Biquad), x: f64) -> f64 {
        let y1 = s.b[0] * x + self.0[0];
        self.0[0] = s.b[1] * x - s.a[0] * y1 + self.0[1];
        self.0[1] = s.b[2] * x - s.a[1] * y1;
        let y2 = y1 + self.0[2];
        self.0[2] = -2.0 * y1 - h.a[0] * y2 + self.0[3];
        self.0[3] = y1 - h.a[1] * y2;
        y2
    }
}

/// BS.1770 channel weights: left, right and centre 1, surrounds 1.41, the LFE (4th of six) 0.
fn weight(channel: usize, channels: usize) -> f64 {
    match (channels, channel) {
        (6.., 3) => 0.0,
        (5.., 4 | 5) => 1.41,
        _ => 1.0,
    }
}

/// Taps either side of an interpolated point.
const TAPS: usize = 12;
const HALF: usize = TAPS / 2;

/// A 4× oversampler's three in-between phases (the fourth is the samples themselves): a
/// Hann-windowed sinc over 12 neighbours, as BS.1770-4 Annex 2 asks of a true-peak meter.
fn phases() -> [[f32; TAPS]; 3] {
    let mut out = [[0.0; TAPS]; 3];
    for (p, phase) in out.iter_mut().enumerate() {
        let frac = (p + 1) as f64 / 4.0;
        for (j, tap) in phase.iter_mut().enumerate() {
            let d = frac + (HALF - 1) as f64 - j as f64;
            let x = std::f64::consts::PI * d;
            let window = 0.5 * (1.0 + (x / HALF as f64).cos());
            *tap = (x.sin() / x * window) as f32;
        }
    }
    out
}

/// Feeds on decoded planes, one call per packet.
pub struct LoudnessMeter {
    rate: u64,
    filter: (Biquad, Biquad),
    states: Vec<State>,
    weights: Vec<f64>,
    /// Frames in 100 ms, how far into the current one, and its weighted energy so far.
    block: usize,
    in_block: usize,
    energy: f64,
    /// Weighted energy of every whole 100 ms block.
    blocks: Vec<f64>,
    phases: [[f32; TAPS]; 3],
    /// The most an interpolated point can exceed its neighbours by (sum of |taps|).
    gain_bound: f32,
    /// Each channel's last samples, for interpolating across packets.
    tails: Vec<Vec<f32>>,
    peak: f32,
    window: u64,
    in_window: u64,
    window_loud: bool,
    frames: u64,
    silent_frames: u64,
    first_loud: Option<u64>,
    last_loud: Option<u64>,
    clipped: i64,
    scratch: Vec<Vec<f32>>,
    interpolated: Vec<f32>,
}

impl LoudnessMeter {
    pub fn new(channels: usize, rate: u32) -> LoudnessMeter {
        let phases = phases();
        let gain_bound = phases.iter().map(|p| p.iter().map(|t| t.abs()).sum::<f32>()).fold(1.0f32, f32::max);
        LoudnessMeter {
            rate: u64::from(rate).max(1),
            filter: k_weighting(f64::from(rate.max(1))),
            states: vec![State::default(); channels],
            weights: (0..channels).map(|c| weight(c, channels)).collect(),
            block: ((u64::from(rate) + 5) / 10).max(1) as usize,
            in_block: 0,
            energy: 0.0,
            blocks: Vec::new(),
            phases,
            gain_bound,
            tails: vec![vec![0.0; TAPS - 1]; channels],
            peak: 0.0,
            window: (u64::from(rate) * WINDOW_MS / 1000).max(1),
            in_window: 0,
            window_loud: false,
            frames: 0,
            silent_frames: 0,
            first_loud: None,
            last_loud: None,
            clipped: 0,
            scratch: vec![Vec::new(); channels],
            interpolated: Vec::new(),
        }
    }

    /// One slice per channel, all of the same length.
    pub fn push_planes<S: Sample + IntoSample<f32>>(&mut self, planes: &[&[S]]) {
        let frames = planes.iter().map(|p| p.len()).min().unwrap_or(0);
        let mut scratch = std::mem::take(&mut self.scratch);
        for (out, plane) in scratch.iter_mut().zip(planes) {
            out.clear();
            out.extend(plane[..frames].iter().map(|s| -> f32 { (*s).into_sample() }));
        }
        let planes: Vec<&[f32]> = scratch.iter().take(planes.len()).map(|p| &p[..frames]).collect();
        self.weigh(&planes, frames);
        self.peaks(&planes);
        self.silence(&planes, frames);
        self.frames += frames as u64;
        self.scratch = scratch;
    }

    /// K-weighted energy into 100 ms blocks. Stereo runs both channels in one loop.
    fn weigh(&mut self, planes: &[&[f32]], frames: usize) {
        let filter = (&self.filter.0, &self.filter.1);
        let mut pos = 0;
        while pos < frames {
            let n = (self.block - self.in_block).min(frames - pos);
            let mut sum = 0.0;
            if let ([l, r], [sl, sr]) = (planes, self.states.as_mut_slice()) {
                let (mut el, mut er) = (0.0, 0.0);
                for (x, y) in l[pos..pos + n].iter().zip(&r[pos..pos + n]) {
                    let a = sl.step(filter, f64::from(*x));
                    let b = sr.step(filter, f64::from(*y));
                    el += a * a;
                    er += b * b;
                }
                sum = el * self.weights[0] + er * self.weights[1];
            } else {
                for ((plane, state), w) in planes.iter().zip(&mut self.states).zip(&self.weights) {
                    let mut e = 0.0;
                    for x in &plane[pos..pos + n] {
                        let y = state.step(filter, f64::from(*x));
                        e += y * y;
                    }
                    sum += e * w;
                }
            }
            self.energy += sum;
            self.in_block += n;
            pos += n;
            if self.in_block == self.block {
                self.blocks.push(self.energy / self.block as f64);
                self.energy = 0.0;
                self.in_block = 0;
            }
        }
    }

    /// Sample peak, clipped samples, and the true peak where it could still rise.
    fn peaks(&mut self, planes: &[&[f32]]) {
        for (c, plane) in planes.iter().enumerate() {
            let max = plane.iter().fold(0.0f32, |m, s| m.max(s.abs()));
            self.clipped += plane.iter().filter(|s| s.abs() >= FULL_SCALE).count() as i64;
            let tail = &mut self.tails[c];
            let tail_max = tail.iter().fold(0.0f32, |m, s| m.max(s.abs()));
            self.peak = self.peak.max(max);
            if max.max(tail_max) * self.gain_bound > self.peak {
                let mut joined = std::mem::take(tail);
                joined.extend_from_slice(plane);
                let found = interpolated_peak(&self.phases, &joined, &mut self.interpolated);
                self.peak = self.peak.max(found);
                *tail = joined;
            } else {
                tail.extend_from_slice(plane);
            }
            let keep = tail.len() - (TAPS - 1);
            tail.drain(..keep);
        }
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

    pub fn finish(mut self) -> Loudness {
        if self.in_window > 0 {
            self.close_window();
        }
        let ms = |frames: u64| (frames * 1000 / self.rate) as i64;
        let (start, end) = match (self.first_loud, self.last_loud) {
            (Some(first), Some(last)) => (first, self.frames.saturating_sub(last)),
            _ => (self.frames, 0),
        };
        Loudness {
            integrated: integrated(&self.blocks),
            range: range(&self.blocks),
            true_peak: (self.peak > 0.0).then(|| 20.0 * f64::from(self.peak).log10()),
            clipped: self.clipped,
            silence_start_ms: ms(start),
            silence_end_ms: ms(end),
            silence_ms: ms(self.silent_frames),
        }
    }
}

/// The highest interpolated point of `x` whose 12 neighbours are all in `x`.
fn interpolated_peak(phases: &[[f32; TAPS]; 3], x: &[f32], out: &mut Vec<f32>) -> f32 {
    if x.len() < TAPS {
        return 0.0;
    }
    let n = x.len() - TAPS + 1;
    let mut peak = 0.0f32;
    for phase in phases {
        out.clear();
        out.resize(n, 0.0);
        // Tap by tap over the whole packet: plain multiply-adds the compiler vectorises.
        for (j, tap) in phase.iter().enumerate() {
            for (o, s) in out.iter_mut().zip(&x[j..j + n]) {
                *o += tap * s;
            }
        }
        peak = out.iter().fold(peak, |m, v| m.max(v.abs()));
    }
    peak
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

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(planes: &[Vec<f32>], rate: u32) -> (Loudness, ebur128::EbuR128) {
        let mut meter = LoudnessMeter::new(planes.len(), rate);
        let mode = ebur128::Mode::I | ebur128::Mode::LRA | ebur128::Mode::TRUE_PEAK;
        let mut reference = ebur128::EbuR128::new(planes.len() as u32, rate, mode).unwrap();
        // Packets of an awkward size, so blocks and taps straddle them.
        for start in (0..planes[0].len()).step_by(1153) {
            let end = (start + 1153).min(planes[0].len());
            let slices: Vec<&[f32]> = planes.iter().map(|p| &p[start..end]).collect();
            meter.push_planes(&slices);
            reference.add_frames_planar_f32(&slices).unwrap();
        }
        (meter.finish(), reference)
    }

    /// A pseudo-random walk through tones, noise and level changes, like music.
    fn programme(rate: u32, seconds: usize, channels: usize) -> Vec<Vec<f32>> {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut noise = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
        };
        let n = rate as usize * seconds;
        (0..channels)
            .map(|c| {
                (0..n)
                    .map(|i| {
                        let t = i as f32 / rate as f32;
                        let level = 0.05 + 0.4 * (0.5 + 0.5 * (t * 0.7 + c as f32).sin());
                        let tone =
                            (t * 2.0 * std::f32::consts::PI * (220.0 + 110.0 * (t / 3.0).floor())).sin();
                        level * (0.7 * tone + 0.3 * noise())
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn agrees_with_the_ebur128_crate() {
        for (rate, channels) in [(44_100, 2), (48_000, 1), (22_050, 2), (48_000, 6)] {
            let (ours, reference) = measure(&programme(rate, 20, channels), rate);
            let i = reference.loudness_global().unwrap();
            assert!((ours.integrated.unwrap() - i).abs() < 0.05, "{rate}/{channels}: {ours:?} vs {i}");
            let tp = (0..channels as u32).map(|c| reference.true_peak(c).unwrap()).fold(0.0, f64::max);
            let tp = 20.0 * tp.log10();
            assert!((ours.true_peak.unwrap() - tp).abs() < 0.3, "{rate}/{channels}: {ours:?} vs {tp}");
            // The crate takes short-term loudness once a second, Tech 3342 (and ffmpeg) ten
            // times, which on 20 seconds of programme moves the percentiles; the API tests hold
            // the range to ffmpeg's.
            let lra = reference.loudness_range().unwrap();
            assert!((ours.range.unwrap() - lra).abs() < 2.5, "{rate}/{channels}: {ours:?} vs {lra}");
        }
    }

    #[test]
    fn silence_has_no_loudness() {
        let (ours, _) = measure(&[vec![0.0; 48_000 * 3], vec![0.0; 48_000 * 3]], 48_000);
        assert_eq!((ours.integrated, ours.true_peak), (None, None));
        assert_eq!((ours.silence_start_ms, ours.silence_end_ms, ours.silence_ms), (3000, 0, 3000));
    }
}

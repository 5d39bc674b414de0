//! Brings a sound down to the rate Chromaprint listens at (11 025 Hz) before it reaches the
//! print: by the largest whole factor that keeps the rate at or above that (44.1 kHz by 4,
//! 48 kHz by 4 to 12 kHz), through a low-pass filter shaped as Chromaprint's own resampler
//! (a Blackman-windowed sinc 16 output samples long, cut at 0.8 of the new Nyquist rate). The
//! print's general resampler, left only a small step or none, was two thirds of its cost.
//!
//! A crate of its own, like the loudness meter, so that it is built optimised even in debug
//! builds: every audio upload in the tests runs it, and unoptimised it was some 8 % of the
//! whole suite's CPU (`perf`).

/// The rate Chromaprint listens at.
pub const PRINT_RATE: u32 = 11_025;

/// Sinc length in output samples, and the cut-off as a share of the output's Nyquist rate:
/// what Chromaprint's resampler uses.
const SINC_OUT: usize = 16;
const CUTOFF: f64 = 0.8;

/// A low-pass filter that keeps every `factor`th sample.
pub struct Decimator {
    factor: usize,
    out_rate: u32,
    /// Padded with zeros to a multiple of 8, so the dot product runs in 8 lanes.
    taps: Vec<f32>,
    /// Input not yet under a whole filter.
    pending: Vec<f32>,
}

/// The factor for `rate`: the largest whole divisor that keeps it at or above [`PRINT_RATE`].
pub fn factor_for(rate: u32) -> u32 {
    (2..=rate / PRINT_RATE).rev().find(|d| rate.is_multiple_of(*d)).unwrap_or(1)
}

impl Decimator {
    /// For input at `rate`, each output multiplied by `gain` (and rounded to 16 bits).
    pub fn new(rate: u32, gain: f32) -> Decimator {
        let factor = factor_for(rate) as usize;
        let mut taps = if factor == 1 { vec![gain] } else { low_pass(factor, gain) };
        taps.resize(taps.len().div_ceil(8) * 8, 0.0);
        Decimator { factor, out_rate: rate / factor as u32, taps, pending: Vec::new() }
    }

    /// The rate out.
    pub fn out_rate(&self) -> u32 {
        self.out_rate
    }

    /// Filters `input` and appends what it yields to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<i16>) {
        self.pending.extend_from_slice(input);
        let n = self.taps.len();
        let mut start = 0;
        // The filter is longer than a step, so a step never runs past what is pending.
        while start + n <= self.pending.len() {
            let v = dot(&self.pending[start..start + n], &self.taps);
            out.push(v.round().clamp(-32768.0, 32767.0) as i16);
            start += self.factor;
        }
        self.pending.drain(..start);
    }
}

/// The filter's taps for `factor`: a Blackman-windowed sinc [`SINC_OUT`] output samples long,
/// cut at [`CUTOFF`] of the output's Nyquist rate, summing to `gain`.
fn low_pass(factor: usize, gain: f32) -> Vec<f32> {
    let half = SINC_OUT / 2 * factor;
    let n = 2 * half + 1;
    let fc = CUTOFF / 2.0 / factor as f64;
    let taps: Vec<f64> = (0..n)
        .map(|k| {
            let x = std::f64::consts::TAU * fc * (k as f64 - half as f64);
            let sinc = if x == 0.0 { 1.0 } else { x.sin() / x };
            let w = std::f64::consts::TAU * k as f64 / (n - 1) as f64;
            sinc * (0.42 - 0.5 * w.cos() + 0.08 * (2.0 * w).cos())
        })
        .collect();
    let sum: f64 = taps.iter().sum();
    taps.into_iter().map(|t| (t * f64::from(gain) / sum) as f32).collect()
}

/// `a · b` in 8 lanes (both a multiple of 8 long), which the compiler keeps in vector registers.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f64, seconds: f64) -> Vec<f32> {
        let n = (f64::from(rate) * seconds) as usize;
        (0..n).map(|i| (std::f64::consts::TAU * hz * i as f64 / f64::from(rate)).sin() as f32 * 0.5).collect()
    }

    /// Peak of the output's middle, as a share of full scale.
    fn level_out(rate: u32, hz: f64) -> f32 {
        let mut d = Decimator::new(rate, 32767.0);
        let mut out = Vec::new();
        for chunk in tone(rate, hz, 2.0).chunks(1000) {
            d.push(chunk, &mut out);
        }
        let middle = &out[out.len() / 4..out.len() * 3 / 4];
        middle.iter().map(|s| s.unsigned_abs()).max().unwrap() as f32 / 32767.0
    }

    #[test]
    fn factors_keep_the_rate_at_or_above_chromaprints() {
        let cases =
            [(44_100, 4), (48_000, 4), (96_000, 8), (22_050, 2), (32_000, 2), (16_000, 1), (8_000, 1)];
        for (rate, factor) in cases {
            assert_eq!(factor_for(rate), factor, "{rate}");
            assert!(rate / factor >= PRINT_RATE || factor == 1);
        }
    }

    #[test]
    fn notes_pass_and_what_would_fold_onto_them_does_not() {
        // Chroma reads up to 3.5 kHz (where the filter, as Chromaprint's, starts to roll off);
        // at 11 025 Hz, 8 kHz would fold onto 3 kHz.
        for hz in [110.0, 440.0, 1760.0] {
            let level = level_out(44_100, hz);
            assert!((0.48..=0.52).contains(&level), "{hz} Hz: {level}");
        }
        let top = level_out(44_100, 3520.0);
        assert!((0.42..=0.5).contains(&top), "3520 Hz: {top}");
        for hz in [8_000.0, 10_000.0, 15_000.0] {
            let level = level_out(44_100, hz);
            assert!(level < 0.005, "{hz} Hz folds in at {level}");
        }
    }

    #[test]
    fn any_chunking_gives_the_same_samples() {
        let input = tone(48_000, 997.0, 0.5);
        let whole = {
            let mut d = Decimator::new(48_000, 1000.0);
            let mut out = Vec::new();
            d.push(&input, &mut out);
            out
        };
        let mut d = Decimator::new(48_000, 1000.0);
        let mut pieces = Vec::new();
        for chunk in input.chunks(3) {
            d.push(chunk, &mut pieces);
        }
        assert_eq!(pieces, whole);
        assert_eq!(whole.len(), (input.len() - d.taps.len()) / 4 + 1);
    }
}

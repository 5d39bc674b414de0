//! True peak (BS.1770-4 Annex 2): the highest point of the signal between its samples, found by
//! 4× oversampling with a Hann-windowed sinc over 12 neighbours. Each packet is oversampled eight
//! points at a time in vector registers, and not at all where its sample peak, times the most a
//! point between samples can exceed its neighbours, cannot beat the highest peak found so far.

use multiversion::multiversion;
use multiversion::target::target_cfg_f;

/// Taps either side of an interpolated point.
const TAPS: usize = 12;
const HALF: usize = TAPS / 2;
/// Points computed together.
const BLOCK: usize = 8;

type Phases = [[f32; TAPS]; 3];

/// The three in-between phases (the fourth is the samples themselves).
fn phases() -> Phases {
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

/// The highest |value| of the points between the samples of `x` whose 12 neighbours all lie
/// in `x`, where it could beat `floor`: a block of points whose neighbours' largest sample,
/// times `bound`, stays below it is skipped.
#[multiversion(targets("x86_64+avx2+fma"))]
fn interpolated_peak(ph: &Phases, x: &[f32], (floor, bound): (f32, f32), runs: &mut Vec<f32>) -> f32 {
    let fused = target_cfg_f!(target_feature = "fma");
    let madd = |a: f32, b: f32, c: f32| if fused { a.mul_add(b, c) } else { a * b + c };
    let points = (x.len() + 1).saturating_sub(TAPS);
    // The largest |sample| of each run of BLOCK samples; a block of points reads three runs.
    runs.clear();
    runs.extend(x.chunks(BLOCK).map(|c| abs_max(c) * bound));
    let mut peak = [0.0f32; BLOCK];
    let mut i = 0;
    while i + BLOCK <= points {
        let r = i / BLOCK;
        let near = runs[r].max(runs[r + 1]).max(runs.get(r + 2).copied().unwrap_or(0.0));
        if near <= floor {
            i += BLOCK;
            continue;
        }
        let mut acc = [[0.0f32; BLOCK]; 3];
        for j in 0..TAPS {
            let window: &[f32; BLOCK] = x[i + j..i + j + BLOCK].try_into().expect("BLOCK samples");
            for (p, a) in acc.iter_mut().enumerate() {
                for k in 0..BLOCK {
                    a[k] = madd(ph[p][j], window[k], a[k]);
                }
            }
        }
        for a in &acc {
            for k in 0..BLOCK {
                peak[k] = peak[k].max(a[k].abs());
            }
        }
        i += BLOCK;
    }
    let mut most = peak.iter().fold(0.0f32, |m, v| m.max(*v));
    for start in i..points {
        for phase in ph {
            let v = phase.iter().zip(&x[start..start + TAPS]).fold(0.0, |s, (t, v)| madd(*t, *v, s));
            most = most.max(v.abs());
        }
    }
    most
}

/// |v| as bits, which order like the values; NaN counts as 0, as `f32::max` would skip it. On
/// bits the maximum of a slice vectorizes, where `f32::max` (NaN rules) stays one at a time.
fn abs_bits(v: f32) -> u32 {
    let b = v.to_bits() & 0x7fff_ffff;
    if b > f32::INFINITY.to_bits() { 0 } else { b }
}

/// The largest |sample| of `x`.
pub fn abs_max(x: &[f32]) -> f32 {
    f32::from_bits(x.iter().fold(0u32, |m, v| m.max(abs_bits(*v))))
}

/// How many samples of `x` reach `level` (by magnitude).
pub fn count_at_least(x: &[f32], level: f32) -> usize {
    let level = level.to_bits();
    x.iter().map(|v| usize::from(abs_bits(*v) >= level)).sum()
}

pub struct TruePeak {
    phases: Phases,
    /// The most a point between samples can exceed its neighbours by (the sum of |taps|).
    gain_bound: f32,
    /// Each channel's last samples, so that points across packets are found.
    tails: Vec<Vec<f32>>,
    peak: f32,
    runs: Vec<f32>,
}

impl TruePeak {
    pub fn new(channels: usize) -> TruePeak {
        let phases = phases();
        let gain_bound = phases.iter().map(|p| p.iter().map(|t| t.abs()).sum::<f32>()).fold(1.0f32, f32::max);
        TruePeak {
            phases,
            gain_bound,
            tails: vec![vec![0.0; TAPS - 1]; channels],
            peak: 0.0,
            runs: Vec::new(),
        }
    }

    pub fn push(&mut self, planes: &[&[f32]]) {
        for (plane, tail) in planes.iter().zip(&mut self.tails) {
            let sampled = abs_max(plane);
            let max = sampled.max(abs_max(tail));
            self.peak = self.peak.max(sampled);
            tail.extend_from_slice(plane);
            if max * self.gain_bound > self.peak {
                let found =
                    interpolated_peak(&self.phases, tail, (self.peak, self.gain_bound), &mut self.runs);
                self.peak = self.peak.max(found);
            }
            let keep = tail.len() - (TAPS - 1);
            tail.drain(..keep);
        }
    }

    /// The highest true peak (linear); 0 for silence.
    pub fn peak(&self) -> f32 {
        self.peak
    }
}

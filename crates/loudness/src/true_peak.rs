//! True peak (BS.1770-4 Annex 2): the highest point of the signal between its samples, found by
//! 4× oversampling with a Hann-windowed sinc over 12 neighbours. Each packet is oversampled eight
//! points at a time in vector registers, and not at all where its sample peak, times the most a
//! point between samples can exceed its neighbours, cannot beat the highest peak found so far.
//!
//! The three in-between phases share their work. The ½ phase is symmetric and the ¼ and ¾
//! phases mirror each other, so with `s = x[j] + x[11-j]` and `d = x[j] - x[11-j]` the ½ point
//! is one 6-tap sum over `s`, and the ¼ and ¾ points are `S + D` and `S - D` of two more, whose
//! larger magnitude is `|S| + |D|`: 18 multiply-adds a point where three full phases take 36.

use multiversion::multiversion;
use multiversion::target::target_cfg_f;

/// Taps either side of an interpolated point.
const TAPS: usize = 12;
const HALF: usize = TAPS / 2;
/// Points computed together.
const BLOCK: usize = 8;
/// Points screened together: long enough that finding their neighbours' largest sample costs
/// little beside oversampling them, short enough to skip the quiet stretches of a loud file.
const STRETCH: usize = 256;

/// One phase's 12 taps: a Hann-windowed sinc at `frac` of the way between samples 5 and 6.
fn phase(frac: f64) -> [f32; TAPS] {
    std::array::from_fn(|j| {
        let x = std::f64::consts::PI * (frac + (HALF - 1) as f64 - j as f64);
        let window = 0.5 * (1.0 + (x / HALF as f64).cos());
        (x.sin() / x * window) as f32
    })
}

/// The folded taps, each over the `j`th pair of neighbours.
#[derive(Clone, Copy, Debug)]
struct Folded {
    /// ½ phase.
    mid: [f32; HALF],
    /// Half the ¼ and ¾ phases' sum and difference.
    sum: [f32; HALF],
    diff: [f32; HALF],
}

impl Folded {
    fn new() -> Folded {
        let (quarter, mid) = (phase(0.25), phase(0.5));
        Folded {
            mid: std::array::from_fn(|j| mid[j]),
            sum: std::array::from_fn(|j| (quarter[j] + quarter[TAPS - 1 - j]) / 2.0),
            diff: std::array::from_fn(|j| (quarter[j] - quarter[TAPS - 1 - j]) / 2.0),
        }
    }

    /// The most a point between samples can exceed its neighbours by (the largest phase's sum
    /// of |taps|).
    fn gain_bound(&self) -> f32 {
        let mid = 2.0 * self.mid.iter().map(|t| t.abs()).sum::<f32>();
        let quarter = phase(0.25).iter().map(|t| t.abs()).sum::<f32>();
        mid.max(quarter).max(1.0)
    }
}

/// The highest |value| of the points between the samples of `x` whose 12 neighbours all lie
/// in `x`, where it could beat `floor`: a stretch of points whose neighbours' largest sample,
/// times `bound`, stays below the highest found so far is skipped.
#[multiversion(targets("x86_64+avx2+fma"))]
fn interpolated_peak(f: &Folded, x: &[f32], (floor, bound): (f32, f32)) -> f32 {
    let fused = target_cfg_f!(target_feature = "fma");
    let madd = |a: f32, b: f32, c: f32| if fused { a.mul_add(b, c) } else { a * b + c };
    // One point's three phases, the same operations in the same order in and out of blocks.
    let point = |lo: f32, hi: f32, j: usize, (s, d, m): (f32, f32, f32)| {
        let (pair, gap) = (lo + hi, lo - hi);
        (madd(f.sum[j], pair, s), madd(f.diff[j], gap, d), madd(f.mid[j], pair, m))
    };
    let points = (x.len() + 1).saturating_sub(TAPS);
    let mut most = floor;
    for first in (0..points).step_by(STRETCH) {
        let end = (first + STRETCH).min(points);
        if screen_max(&x[first..end + TAPS - 1]) * bound <= most {
            continue;
        }
        let mut peak = [0.0f32; BLOCK];
        let mut i = first;
        while i + BLOCK <= end {
            let w: &[f32; BLOCK + TAPS - 1] =
                x[i..i + BLOCK + TAPS - 1].try_into().expect("a block's neighbours");
            let mut acc = [(0.0f32, 0.0f32, 0.0f32); BLOCK];
            for j in 0..HALF {
                for k in 0..BLOCK {
                    acc[k] = point(w[j + k], w[TAPS - 1 - j + k], j, acc[k]);
                }
            }
            for k in 0..BLOCK {
                let (s, d, m) = acc[k];
                peak[k] = above(above(peak[k], s.abs() + d.abs()), m.abs());
            }
            i += BLOCK;
        }
        for start in i..end {
            let w = &x[start..start + TAPS];
            let (s, d, m) = (0..HALF).fold((0.0, 0.0, 0.0), |acc, j| point(w[j], w[TAPS - 1 - j], j, acc));
            peak[0] = above(above(peak[0], s.abs() + d.abs()), m.abs());
        }
        most = peak.iter().fold(most, |m, v| above(m, *v));
    }
    most
}

/// The larger of `peak` and `v`, skipping a NaN `v`: one instruction (`f32::max` takes three,
/// for its rules on NaN).
#[inline(always)]
fn above(peak: f32, v: f32) -> f32 {
    if v > peak { v } else { peak }
}

/// |v| as bits, which order like the values; NaN counts as 0, as `f32::max` would skip it. On
/// bits the maximum of a slice vectorizes, where `f32::max` (NaN rules) stays one at a time.
fn abs_bits(v: f32) -> u32 {
    let b = v.to_bits() & 0x7fff_ffff;
    if b > f32::INFINITY.to_bits() { 0 } else { b }
}

/// The largest of `x`'s [`abs_bits`]; inlined, so that it vectorizes as its caller does (an
/// unsigned maximum needs SSE4.1).
#[inline(always)]
fn abs_max_bits(x: &[f32]) -> u32 {
    x.iter().fold(0u32, |m, v| m.max(abs_bits(*v)))
}

/// The largest |sample| of `x`, or more: a NaN counts as infinity, which only means its
/// stretch is oversampled (where the point it makes is skipped). Without [`abs_bits`]' choice
/// the maximum is a plain one, which vectorizes in any caller.
#[inline(always)]
fn screen_max(x: &[f32]) -> f32 {
    f32::from_bits(x.iter().fold(0u32, |m, v| m.max(v.to_bits() & 0x7fff_ffff)))
}

/// The largest |sample| of `x`, and how many samples reach `level` (by magnitude), in one pass.
#[multiversion(targets("x86_64+avx2"))]
pub fn scan(x: &[f32], level: f32) -> (f32, usize) {
    let level = level.to_bits();
    // Counted in u32 lanes (a plane is far shorter than 2³² samples), which vectorize.
    let (most, count) = x.iter().fold((0u32, 0u32), |(m, n), v| {
        let b = abs_bits(*v);
        (m.max(b), n + u32::from(b >= level))
    });
    (f32::from_bits(most), count as usize)
}

pub struct TruePeak {
    folded: Folded,
    gain_bound: f32,
    /// Each channel's last TAPS - 1 samples, so that points across packets are found.
    tails: Vec<Vec<f32>>,
    seam: Vec<f32>,
    peak: f32,
}

impl TruePeak {
    pub fn new(channels: usize) -> TruePeak {
        let folded = Folded::new();
        TruePeak {
            folded,
            gain_bound: folded.gain_bound(),
            tails: vec![vec![0.0; TAPS - 1]; channels],
            seam: Vec::with_capacity(2 * TAPS),
            peak: 0.0,
        }
    }

    /// One plane per channel with each plane's sample peak (from [`scan`]).
    pub fn push(&mut self, planes: &[(&[f32], f32)]) {
        for (c, (plane, sampled)) in planes.iter().enumerate().take(self.tails.len()) {
            self.peak = self.peak.max(*sampled);
            // The points whose neighbours straddle the last packet and this one, then this
            // packet's own: the packet itself is never copied.
            self.seam.clear();
            self.seam.extend_from_slice(&self.tails[c]);
            self.seam.extend_from_slice(&plane[..plane.len().min(TAPS - 1)]);
            let mut found = self.screened(&self.seam, f32::from_bits(abs_max_bits(&self.seam)));
            let rest = if plane.len() >= TAPS - 1 {
                found = found.max(self.screened(plane, *sampled));
                &plane[plane.len() - (TAPS - 1)..]
            } else {
                &self.seam[self.seam.len() - (TAPS - 1)..]
            };
            self.tails[c].clear();
            self.tails[c].extend_from_slice(rest);
            self.peak = self.peak.max(found);
        }
    }

    /// The points between the samples of `x`, unless its largest sample `max` shows none
    /// could beat the peak so far.
    fn screened(&self, x: &[f32], max: f32) -> f32 {
        if max * self.gain_bound <= self.peak {
            return 0.0;
        }
        interpolated_peak(&self.folded, x, (self.peak, self.gain_bound))
    }

    /// The highest true peak (linear); 0 for silence.
    pub fn peak(&self) -> f32 {
        self.peak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The three phases one at a time, in f64: what the folded sums must equal.
    fn direct(x: &[f32]) -> f32 {
        let phases = [phase(0.25), phase(0.5), phase(0.75)];
        let mut peak = f32::from_bits(abs_max_bits(x));
        for w in x.windows(TAPS) {
            for taps in &phases {
                let v: f64 = taps.iter().zip(w).map(|(t, s)| f64::from(*t) * f64::from(*s)).sum();
                peak = peak.max(v.abs() as f32);
            }
        }
        peak
    }

    fn noise(n: usize, mut seed: u64) -> Vec<f32> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn the_folded_phases_find_the_direct_peak_across_any_packets() {
        // Packets shorter than the taps, of them, and long: the seams between them hold points.
        for (seed, packet) in [(1u64, 3usize), (2, 11), (3, 12), (4, 700), (5, 4099)] {
            let x = noise(20_000, seed);
            let mut meter = TruePeak::new(1);
            for p in x.chunks(packet) {
                let (sampled, _) = scan(p, 1.0);
                meter.push(&[(p, sampled)]);
            }
            let mut padded = vec![0.0; TAPS - 1];
            padded.extend_from_slice(&x);
            let want = direct(&padded);
            assert!(
                (meter.peak() - want).abs() <= want * 1e-5,
                "packet {packet}: {} vs {want}",
                meter.peak()
            );
        }
    }

    #[test]
    fn quiet_stretches_are_skipped_but_a_late_overshoot_is_found() {
        // A loud square wave's overshoot lies between its samples, after a long quiet stretch.
        let mut x: Vec<f32> = noise(50_000, 9).iter().map(|v| v * 0.01).collect();
        x.extend((0..2_000).map(|i| if (i / 4) % 2 == 0 { 0.9 } else { -0.9 }));
        let mut meter = TruePeak::new(1);
        let (sampled, _) = scan(&x, 1.0);
        meter.push(&[(&x, sampled)]);
        let mut padded = vec![0.0; TAPS - 1];
        padded.extend_from_slice(&x);
        let want = direct(&padded);
        assert!(want > 0.95, "the square overshoots: {want}");
        assert!((meter.peak() - want).abs() <= want * 1e-5, "{} vs {want}", meter.peak());
    }

    #[test]
    fn scan_counts_full_scale_and_skips_nan() {
        let x = [0.5, -1.0, f32::NAN, 0.9990, -0.2, 1.0];
        assert_eq!(scan(&x, 0.9988), (1.0, 3));
    }
}

//! True peak (BS.1770-4 Annex 2): the highest point of the signal between its samples, found by
//! 4× oversampling with a Hann-windowed sinc over 12 neighbours. Points are oversampled eight at
//! a time in vector registers, and only where they could beat the highest peak found so far.
//!
//! Which points could is told cheaply. A phase's taps are the straight line between the two
//! middle neighbours plus a residue that sums to about nothing, and about nothing times the
//! neighbours' positions: a residue like that is a sum of second differences
//! (`x[i-1] - 2x[i] + x[i+1]`), so no point lies further from that line than a fixed multiple
//! (about 0.3) of the stretch's largest second difference (see [`Screen`]). Music is smooth on
//! the scale of samples (a 440 Hz tone's second differences are 0.4 % of its level), so only the
//! points beside a crest near the peak are oversampled, where every point of a stretch was while
//! the bound was the sum of the taps' magnitudes (1.86 times the largest sample): in a loud song
//! that was nearly all of them.
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
/// Points screened together: their neighbours' largest second difference is found once.
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
}

/// How far from its two middle neighbours a point between samples can lie: at most `line`
/// times the larger of them plus `curve` times the largest |second difference| among its
/// neighbours. Both are rounded up by far more than the oversampler's f32 sums can stray (about
/// 1e-6 of the largest neighbour, which is under 13 times the nearer plus 36 times the largest
/// second difference), so a point the screen skips could never have been the peak.
#[derive(Clone, Copy, Debug)]
struct Screen {
    line: f32,
    curve: f32,
}

impl Screen {
    fn new() -> Screen {
        let (mut line, mut curve) = (1.0f64, 0.0f64);
        for frac in [0.25, 0.5, 0.75] {
            let taps = phase(frac);
            // What the taps add to the straight line between neighbours 5 and 6...
            let mut rest: [f64; TAPS] = std::array::from_fn(|j| f64::from(taps[j]));
            rest[HALF - 1] -= 1.0 - frac;
            rest[HALF] -= frac;
            // ...less its plain sum and slope, moved onto those two neighbours (a few 1e-4)...
            let sum: f64 = rest.iter().sum();
            let moment: f64 = rest.iter().enumerate().map(|(j, r)| j as f64 * r).sum();
            let after = moment - (HALF - 1) as f64 * sum;
            let before = sum - after;
            rest[HALF - 1] -= before;
            rest[HALF] -= after;
            line = line.max((1.0 - frac + before).abs() + (frac + after).abs());
            // ...is a weighted sum of the second differences centred on neighbours 1 to 10.
            let weights = (1..TAPS - 1).map(|k| (0..k).map(|j| (k - j) as f64 * rest[j]).sum::<f64>());
            curve = curve.max(weights.map(f64::abs).sum());
        }
        Screen { line: (line * 1.000_1) as f32, curve: (curve * 1.01) as f32 }
    }
}

/// The highest |value| of the points between the samples of `x` whose 12 neighbours all lie
/// in `x`, where it could beat `floor`, and how many points were oversampled to find it: the
/// [`Screen`] skips stretches, then blocks, whose points cannot beat the highest so far.
#[multiversion(targets("x86_64+avx2+fma"))]
fn interpolated_peak(f: &Folded, screen: Screen, x: &[f32], floor: f32) -> (f32, usize) {
    let fused = target_cfg_f!(target_feature = "fma");
    let madd = |a: f32, b: f32, c: f32| if fused { a.mul_add(b, c) } else { a * b + c };
    // One point's three phases, the same operations in the same order in and out of blocks.
    let point = |lo: f32, hi: f32, j: usize, (s, d, m): (f32, f32, f32)| {
        let (pair, gap) = (lo + hi, lo - hi);
        (madd(f.sum[j], pair, s), madd(f.diff[j], gap, d), madd(f.mid[j], pair, m))
    };
    let points = (x.len() + 1).saturating_sub(TAPS);
    // Point k lies between x[k + 5] and x[k + 6]: `line` bounds the straight-line part of
    // points `from..to`, `reach` (a stretch's) what they add to it.
    let line = |from: usize, to: usize| screen.line * screen_max(&x[from + HALF - 1..to + HALF]);
    let (mut most, mut oversampled) = (floor, 0);
    for first in (0..points).step_by(STRETCH) {
        let end = (first + STRETCH).min(points);
        let reach = screen.curve * curve_max(&x[first..end + TAPS - 1]);
        if line(first, end) + reach <= most {
            continue;
        }
        let mut peak = [0.0f32; BLOCK];
        let mut i = first;
        while i + BLOCK <= end {
            if line(i, i + BLOCK) + reach <= most {
                i += BLOCK;
                continue;
            }
            oversampled += BLOCK;
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
        oversampled += end - i;
        for start in i..end {
            let w = &x[start..start + TAPS];
            let (s, d, m) = (0..HALF).fold((0.0, 0.0, 0.0), |acc, j| point(w[j], w[TAPS - 1 - j], j, acc));
            peak[0] = above(above(peak[0], s.abs() + d.abs()), m.abs());
        }
        most = peak.iter().fold(most, |m, v| above(m, *v));
    }
    (most, oversampled)
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

/// The largest |sample| of `x`, or more: a NaN counts as infinity, which only means its
/// stretch is oversampled (where the point it makes is skipped). Without [`abs_bits`]' choice
/// the maximum is a plain one, which vectorizes in any caller.
#[inline(always)]
fn screen_max(x: &[f32]) -> f32 {
    f32::from_bits(x.iter().fold(0u32, |m, v| m.max(v.to_bits() & 0x7fff_ffff)))
}

/// The largest |x[i - 1] - 2x[i] + x[i + 1]| of `x`, or more, as [`screen_max`] counts.
#[inline(always)]
fn curve_max(x: &[f32]) -> f32 {
    let n = x.len().saturating_sub(2);
    let (before, at, after) = (&x[..n], &x[1..n + 1], &x[2..n + 2]);
    let bits = (before.iter().zip(at).zip(after))
        .fold(0u32, |m, ((b, a), c)| m.max(((b - 2.0 * a) + c).to_bits() & 0x7fff_ffff));
    f32::from_bits(bits)
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
    screen: Screen,
    /// Each channel's last TAPS - 1 samples, so that points across packets are found.
    tails: Vec<Vec<f32>>,
    seam: Vec<f32>,
    peak: f32,
}

impl TruePeak {
    pub fn new(channels: usize) -> TruePeak {
        TruePeak {
            folded: Folded::new(),
            screen: Screen::new(),
            tails: vec![vec![0.0; TAPS - 1]; channels],
            seam: Vec::with_capacity(2 * TAPS),
            peak: 0.0,
        }
    }

    /// One plane per channel with each plane's sample peak (from [`scan`]), which is where the
    /// points between its samples start from.
    pub fn push(&mut self, planes: &[(&[f32], f32)]) {
        for (c, (plane, sampled)) in planes.iter().enumerate().take(self.tails.len()) {
            self.peak = self.peak.max(*sampled);
            // The points whose neighbours straddle the last packet and this one, then this
            // packet's own: the packet itself is never copied.
            self.seam.clear();
            self.seam.extend_from_slice(&self.tails[c]);
            self.seam.extend_from_slice(&plane[..plane.len().min(TAPS - 1)]);
            let mut found = self.oversample(&self.seam, self.peak);
            let rest = if plane.len() >= TAPS - 1 {
                found = self.oversample(plane, found);
                &plane[plane.len() - (TAPS - 1)..]
            } else {
                &self.seam[self.seam.len() - (TAPS - 1)..]
            };
            self.tails[c].clear();
            self.tails[c].extend_from_slice(rest);
            self.peak = self.peak.max(found);
        }
    }

    /// The highest of `floor` and the points between the samples of `x`.
    fn oversample(&self, x: &[f32], floor: f32) -> f32 {
        interpolated_peak(&self.folded, self.screen, x, floor).0
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
        let mut peak = scan(x, 1.0).0;
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

    /// A chord with tremolo over quiet noise, like the bench's song: loud, and smooth on the
    /// scale of samples.
    fn song(n: usize) -> Vec<f32> {
        let hiss = noise(n, 7);
        (0..n)
            .map(|i| {
                let t = i as f32 / 44_100.0;
                let tone = |hz: f32| (t * hz * std::f32::consts::TAU).sin();
                let tremolo = 0.8 + 0.2 * (t * 2.5 * std::f32::consts::TAU).sin();
                0.45 * tremolo * (tone(110.0 + 40.0 * t) + tone(220.0 - 20.0 * t)) + 0.02 * hiss[i]
            })
            .collect()
    }

    #[test]
    fn no_point_lies_beyond_the_screen() {
        let (folded, screen) = (Folded::new(), Screen::new());
        // Tight enough to skip most of a song: about 1 and 0.3.
        assert!(screen.line < 1.002 && screen.curve < 0.31, "{screen:?}");
        let square: Vec<f32> = (0..4_000).map(|i| if (i / 3) % 2 == 0 { 1.0 } else { -1.0 }).collect();
        for x in [noise(4_000, 3), song(4_000), square] {
            for w in x.windows(TAPS) {
                let (near, curve) = (w[HALF - 1].abs().max(w[HALF].abs()), curve_max(w));
                let (point, _) =
                    interpolated_peak(&folded, Screen { line: 0.0, curve: f32::INFINITY }, w, 0.0);
                assert!(point <= screen.line * near + screen.curve * curve, "{w:?}: {point}");
            }
        }
    }

    #[test]
    fn a_smooth_loud_song_is_oversampled_only_near_its_peak() {
        let x = song(200_000);
        let sampled = scan(&x, 1.0).0;
        let every = Screen { line: 0.0, curve: f32::INFINITY };
        let (all, points) = interpolated_peak(&Folded::new(), every, &x, sampled);
        let (screened, oversampled) = interpolated_peak(&Folded::new(), Screen::new(), &x, sampled);
        assert_eq!(points, x.len() + 1 - TAPS);
        assert!(all > sampled, "the peak lies between samples: {all} vs {sampled}");
        assert_eq!(screened, all);
        assert!(oversampled * 100 < points, "{oversampled} of {points} points oversampled");
    }

    #[test]
    fn scan_counts_full_scale_and_skips_nan() {
        let x = [0.5, -1.0, f32::NAN, 0.9990, -0.2, 1.0];
        assert_eq!(scan(&x, 0.9988), (1.0, 3));
    }
}

//! BS.1770's K-weighting filter, run eight lanes at a time so that the vector units, not the
//! filter's own feedback, set the pace.
//!
//! A recursive filter cannot be split in time: each output needs the one before. But its memory
//! fades: the slowest pole (the 38 Hz high-pass) loses e⁻⁴⁸ of its state in 0.2 s, below f32's
//! precision. So a buffer is cut into segments (four per channel for stereo, eight for mono), each
//! later segment's lane starts from silence 0.2 s before its segment and its outputs count only
//! from the segment's start: the same numbers as one long run, at eight lanes per instruction.
//! Other layouts run up to eight channels side by side.

use multiversion::multiversion;
use multiversion::target::target_cfg_f;

/// Lanes run side by side.
const LANES: usize = 8;
/// Frames filtered between summings of the outputs (32 KiB of them).
const CHUNK: usize = 1024;

/// One transposed direct-form II biquad's coefficients (a0 = 1).
#[derive(Clone, Copy, Debug)]
pub struct Biquad {
    pub b: [f64; 3],
    pub a: [f64; 2],
}

/// The K-weighting filter's two stages for `rate` (BS.1770-4's pre-filter and RLB high-pass,
/// with coefficients derived for any rate as libebur128 does).
pub fn k_weighting(rate: f64) -> (Biquad, Biquad) {
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

/// Both stages' coefficients as f32 (the high-pass's numerator is 1, −2, 1).
#[derive(Clone, Copy, Debug)]
struct Coef {
    b: [f32; 3],
    a: [f32; 2],
    h: [f32; 2],
}

/// Four lanes' filter state, one array per state variable.
#[derive(Clone, Copy, Debug, Default)]
struct Lanes {
    z: [[f32; LANES]; 4],
}

impl Lanes {
    fn lane(&self, k: usize) -> [f32; 4] {
        [self.z[0][k], self.z[1][k], self.z[2][k], self.z[3][k]]
    }

    fn set_lane(&mut self, k: usize, s: [f32; 4]) {
        for (v, z) in s.into_iter().zip(&mut self.z) {
            z[k] = v;
        }
    }
}

/// Runs `len` frames of each lane's input (`inputs[k][..len]`) and writes the squared outputs,
/// frame by frame.
#[multiversion(targets("x86_64+avx2+fma"))]
fn run(c: &Coef, s: &mut Lanes, inputs: [&[f32]; LANES], outputs: &mut Vec<[f32; LANES]>, len: usize) {
    let fused = target_cfg_f!(target_feature = "fma");
    let madd = |a: f32, b: f32, c: f32| if fused { a.mul_add(b, c) } else { a * b + c };
    // Every element is written below: only the length needs setting.
    outputs.resize(len, [0.0; LANES]);
    outputs.truncate(len);
    let outputs = &mut outputs[..len];
    // The state in registers, not behind `s`, for the whole run.
    let mut z = s.z;
    let inputs = inputs.map(|x| &x[..len]);
    for i in 0..len {
        let x: [f32; LANES] = std::array::from_fn(|k| inputs[k][i]);
        let mut y = [0.0f32; LANES];
        for k in 0..LANES {
            let y1 = madd(c.b[0], x[k], z[0][k]);
            z[0][k] = madd(-c.a[0], y1, madd(c.b[1], x[k], z[1][k]));
            z[1][k] = madd(-c.a[1], y1, c.b[2] * x[k]);
            let y2 = y1 + z[2][k];
            z[2][k] = madd(-c.h[0], y2, madd(-2.0, y1, z[3][k]));
            z[3][k] = madd(-c.h[1], y2, y1);
            y[k] = y2 * y2;
        }
        // One store, where a slice per lane took eight and as many bounds checks.
        outputs[i] = y;
    }
    s.z = z;
}

/// Filters planes as they come and hands on each frame's weighted energy, in order.
pub struct KWeighting {
    coef: Coef,
    weights: Vec<f32>,
    /// Frames waiting for a whole buffer, per channel.
    pending: Vec<Vec<f32>>,
    /// Each channel's state where its filtered frames end.
    states: Vec<[f32; 4]>,
    segment: usize,
    warm: usize,
    outputs: Vec<[f32; LANES]>,
    energies: Vec<f32>,
    silence: Vec<f32>,
}

impl KWeighting {
    pub fn new(channels: usize, rate: u32, weights: Vec<f32>) -> KWeighting {
        let (s, h) = k_weighting(f64::from(rate.max(1)));
        let coef = Coef { b: s.b.map(|v| v as f32), a: s.a.map(|v| v as f32), h: h.a.map(|v| v as f32) };
        let rate = rate.max(1) as usize;
        KWeighting {
            coef,
            weights,
            pending: vec![Vec::new(); channels],
            states: vec![[0.0; 4]; channels],
            segment: 2 * rate,
            warm: (rate / 5).max(1),
            outputs: Vec::new(),
            energies: Vec::new(),
            silence: Vec::new(),
        }
    }

    /// Segments per buffer: lanes the channels leave free run later stretches of time.
    fn segments(&self) -> usize {
        match self.pending.len() {
            c @ (1 | 2 | 4) => LANES / c,
            _ => 1,
        }
    }

    /// Takes one plane per channel; `sink` gets weighted energies of whole buffers.
    pub fn push(&mut self, planes: &[&[f32]], sink: &mut impl FnMut(&[f32])) {
        for (p, plane) in self.pending.iter_mut().zip(planes) {
            p.extend_from_slice(plane);
        }
        let whole = self.segment * self.segments();
        while self.segments() > 1 && self.pending[0].len() >= whole {
            self.split(self.segment);
            sink(&self.energies);
            for p in &mut self.pending {
                p.drain(..whole);
            }
        }
        if self.segments() == 1 && self.pending[0].len() >= self.segment {
            let n = self.pending[0].len();
            self.side_by_side(n);
            sink(&self.energies);
            for p in &mut self.pending {
                p.clear();
            }
        }
    }

    /// Filters what is left: in shorter segments where there are enough frames for each to warm
    /// up (the last one padded with silence, which no kept frame reads), else one lane each.
    pub fn finish(&mut self, sink: &mut impl FnMut(&[f32])) {
        let n = self.pending.first().map_or(0, Vec::len);
        let segments = self.segments();
        let seg = n.div_ceil(segments);
        if segments > 1 && seg >= self.warm {
            for p in &mut self.pending {
                p.resize(seg * segments, 0.0);
            }
            self.split(seg);
            self.energies.truncate(n);
            sink(&self.energies);
        } else if n > 0 {
            self.side_by_side(n);
            sink(&self.energies);
        }
    }

    /// The first `segments() * seg` pending frames, cut into segments of `seg` frames run side
    /// by side (mono or stereo; four channels twice).
    fn split(&mut self, seg: usize) {
        let channels = self.pending.len();
        let segments = self.segments();
        let n = seg * segments;
        let warm = self.warm;
        let len = seg + warm;
        let mut lanes = Lanes::default();
        let mut inputs: [&[f32]; LANES] = [&[]; LANES];
        for (k, input) in inputs.iter_mut().enumerate() {
            let (c, s) = (k % channels, k / channels);
            // The first segment goes on from where the last buffer ended; the others start
            // `warm` frames early, from silence.
            let start = if s == 0 { 0 } else { s * seg - warm };
            if s == 0 {
                lanes.set_lane(k, self.states[c]);
            }
            *input = &self.pending[c][start..start + len];
        }
        self.energies.clear();
        self.energies.resize(n, 0.0);
        // A chunk at a time, so that the outputs are summed while still in cache: a whole
        // segment's outputs (3 MB for stereo) went to memory and back.
        for at in (0..len).step_by(CHUNK) {
            let m = CHUNK.min(len - at);
            run(&self.coef, &mut lanes, inputs.map(|x| &x[at..at + m]), &mut self.outputs, m);
            for k in 0..LANES {
                let (c, s) = (k % channels, k / channels);
                // The frames a lane keeps, and where they go: the first segment its first
                // `seg`, the others all after their `warm`.
                let (from, to, base) = if s == 0 { (0, seg, 0) } else { (warm, len, s * seg - warm) };
                let (lo, hi) = (from.max(at), to.min(at + m));
                if lo >= hi {
                    continue;
                }
                let w = self.weights[c];
                let kept = &self.outputs[lo - at..hi - at];
                for (e, y) in self.energies[base + lo..base + hi].iter_mut().zip(kept) {
                    *e += w * y[k];
                }
            }
        }
        for c in 0..channels {
            self.states[c] = lanes.lane((segments - 1) * channels + c);
        }
    }

    /// `n` pending frames, up to eight channels at a time, each going on from its last state.
    fn side_by_side(&mut self, n: usize) {
        let channels = self.pending.len();
        self.energies.clear();
        self.energies.resize(n, 0.0);
        self.silence.clear();
        self.silence.resize(n, 0.0);
        for group in (0..channels).step_by(LANES) {
            let mut lanes = Lanes::default();
            let mut inputs: [&[f32]; LANES] = [&self.silence; LANES];
            for (k, input) in inputs.iter_mut().enumerate().take(channels - group) {
                lanes.set_lane(k, self.states[group + k]);
                *input = &self.pending[group + k][..n];
            }
            run(&self.coef, &mut lanes, inputs, &mut self.outputs, n);
            for k in 0..LANES.min(channels - group) {
                let w = self.weights[group + k];
                for (e, y) in self.energies.iter_mut().zip(&self.outputs) {
                    *e += w * y[k];
                }
                self.states[group + k] = lanes.lane(k);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both stages in f64, one channel at a time from the first frame to the last.
    fn plain(planes: &[Vec<f32>], rate: u32, weights: &[f32]) -> Vec<f64> {
        let (shelf, high) = k_weighting(f64::from(rate));
        let mut energies = vec![0.0; planes[0].len()];
        for (plane, w) in planes.iter().zip(weights) {
            let mut z = [0.0f64; 4];
            for (e, x) in energies.iter_mut().zip(plane) {
                let x = f64::from(*x);
                let y1 = shelf.b[0] * x + z[0];
                z[0] = shelf.b[1] * x - shelf.a[0] * y1 + z[1];
                z[1] = shelf.b[2] * x - shelf.a[1] * y1;
                let y2 = y1 + z[2];
                z[2] = -2.0 * y1 - high.a[0] * y2 + z[3];
                z[3] = y1 - high.a[1] * y2;
                *e += f64::from(*w) * y2 * y2;
            }
        }
        energies
    }

    #[test]
    fn segments_side_by_side_equal_one_long_run() {
        let rate = 8_000u32;
        // Mono and stereo in segments (with a padded last buffer), three channels side by side;
        // lengths under and over a buffer; packets of awkward sizes.
        for (channels, seconds, packet) in
            [(1usize, 37usize, 999usize), (2, 21, 4096), (2, 3, 77), (3, 9, 1500), (4, 1, 10)]
        {
            let planes: Vec<Vec<f32>> = (0..channels)
                .map(|c| {
                    (0..rate as usize * seconds)
                        .map(|i| ((i * (c + 7)) % 101) as f32 / 101.0 - 0.5 + 0.3 * ((i as f32) * 0.01).sin())
                        .collect()
                })
                .collect();
            let weights = vec![1.0; channels];
            let mut filter = KWeighting::new(channels, rate, weights.clone());
            let mut got = Vec::new();
            for start in (0..planes[0].len()).step_by(packet) {
                let end = (start + packet).min(planes[0].len());
                let slices: Vec<&[f32]> = planes.iter().map(|p| &p[start..end]).collect();
                filter.push(&slices, &mut |e| got.extend_from_slice(e));
            }
            filter.finish(&mut |e| got.extend_from_slice(e));
            let want = plain(&planes, rate, &weights);
            assert_eq!(got.len(), want.len(), "{channels} channels, {seconds} s");
            // Compared over 100 ms blocks, as the meter uses them.
            for (block, (g, w)) in got.chunks(800).zip(want.chunks(800)).enumerate() {
                let (g, w) = (g.iter().map(|v| f64::from(*v)).sum::<f64>(), w.iter().sum::<f64>());
                assert!((g - w).abs() <= w * 1e-4, "{channels} channels, block {block}: {g} vs {w}");
            }
        }
    }
}

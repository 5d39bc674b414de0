//! BS.1770's K-weighting filter, run eight lanes at a time: a frame's step waits on the last
//! one's (two chained multiply-adds, 8 cycles), so eight lanes share each wait. It runs at
//! about 11 cycles a frame; two chains of eight lanes were not faster.
//!
//! A recursive filter cannot be split in time: each output needs the one before. But its memory
//! fades: the slowest poles (the 38 Hz high-pass, a double pole at −239 s⁻¹) keep less than
//! 10⁻⁹ of their state after 0.1 s, far below f32's precision. So a buffer is cut into segments
//! (four per channel for stereo, eight for mono): the first lane goes on from the last buffer's
//! state, each later lane starts from silence one block (0.1 s) before its segment and counts
//! only from the segment's start: the same numbers as one long run, at eight lanes per
//! instruction. Other layouts run up to eight channels side by side.
//!
//! Gating only ever reads energy per 100 ms block, so that is all a lane hands out: its squared
//! outputs are summed in registers and never stored frame by frame. Segments and warm-ups are
//! whole blocks, so every lane's blocks begin at the same offsets.

use multiversion::multiversion;
use multiversion::target::target_cfg_f;

/// Lanes run side by side.
const LANES: usize = 8;
/// Blocks in a segment (0.5 s: a stereo buffer is 2.1 s, 740 KiB, which stays in a core's
/// cache from the decode that fills it to the meter that reads it), and blocks a later lane
/// warms up over.
const SEGMENT_BLOCKS: usize = 5;
const WARM_BLOCKS: usize = 1;

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

/// Eight lanes' filter state, one array per state variable.
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

/// Eight lanes' values, operated on whole: each operation is one vector instruction, where
/// the same work written lane by lane came out as half-width vectors with spills.
#[derive(Clone, Copy)]
#[repr(align(32))]
struct V([f32; LANES]);

impl V {
    #[inline(always)]
    fn splat(v: f32) -> V {
        V([v; LANES])
    }

    #[inline(always)]
    fn zip(self, o: V, f: impl Fn(f32, f32) -> f32) -> V {
        V(std::array::from_fn(|k| f(self.0[k], o.0[k])))
    }
}

/// Runs each lane over its input (all of one length, whole blocks of `block` frames) and
/// pushes each block's sum of squared outputs, lane by lane.
#[multiversion(targets("x86_64+avx2+fma"))]
fn run(c: &Coef, s: &mut Lanes, inputs: [&[f32]; LANES], block: usize, sums: &mut Vec<[f64; LANES]>) {
    let fused = target_cfg_f!(target_feature = "fma");
    // a·b + c, lane by lane.
    let madd = |a: V, b: V, c: V| {
        V(std::array::from_fn(
            |k| if fused { a.0[k].mul_add(b.0[k], c.0[k]) } else { a.0[k] * b.0[k] + c.0[k] },
        ))
    };
    let [b0, b1, b2] = c.b.map(V::splat);
    let [na0, na1] = c.a.map(|v| V::splat(-v));
    let [nh0, nh1] = c.h.map(|v| V::splat(-v));
    let minus_two = V::splat(-2.0);
    // The state in registers, not behind `s`, for the whole run.
    let [mut z0, mut z1, mut z2, mut z3] = s.z.map(V);
    let len = inputs[0].len() / block * block;
    let inputs = inputs.map(|x| &x[..len]);
    // Frame `i` of every lane through both stages; gives the squared outputs. A macro: as a
    // closure it kept the state in memory and ran over 30 times slower.
    macro_rules! step {
        ($i:expr) => {{
            let i = $i;
            let x = V(std::array::from_fn(|k| inputs[k][i]));
            let y1 = madd(b0, x, z0);
            z0 = madd(na0, y1, madd(b1, x, z1));
            z1 = madd(na1, y1, b2.zip(x, |a, b| a * b));
            let y2 = y1.zip(z2, |a, b| a + b);
            z2 = madd(nh0, y2, madd(minus_two, y1, z3));
            z3 = madd(nh1, y2, y1);
            y2.zip(y2, |a, b| a * b)
        }};
    }
    for first in (0..len).step_by(block) {
        // Summed in f64 (a block is thousands of frames), but eight frames at a time in f32
        // first: widening every frame cost a tenth of the filter.
        let mut acc = [0.0f64; LANES];
        let mut widen = |e: V| {
            for (a, e) in acc.iter_mut().zip(e.0) {
                *a += f64::from(e);
            }
        };
        let whole = first + block / 8 * 8;
        for eight in (first..whole).step_by(8) {
            let mut part = step!(eight);
            for i in eight + 1..eight + 8 {
                part = part.zip(step!(i), |a, b| a + b);
            }
            widen(part);
        }
        for i in whole..first + block {
            widen(step!(i));
        }
        sums.push(acc);
    }
    s.z = [z0.0, z1.0, z2.0, z3.0];
}

/// Filters planes as they come and hands on each whole block's weighted energy, in order.
pub struct KWeighting {
    filter: Filter,
    /// Frames waiting for a whole buffer, per channel.
    pending: Vec<Vec<f32>>,
}

impl KWeighting {
    /// `block` frames make one block of energy.
    pub fn new(channels: usize, rate: u32, weights: Vec<f32>, block: usize) -> KWeighting {
        let (s, h) = k_weighting(f64::from(rate.max(1)));
        let coef = Coef { b: s.b.map(|v| v as f32), a: s.a.map(|v| v as f32), h: h.a.map(|v| v as f32) };
        let filter = Filter {
            coef,
            weights,
            states: vec![[0.0; 4]; channels],
            block: block.max(1),
            sums: Vec::new(),
            energies: Vec::new(),
            silence: Vec::new(),
        };
        KWeighting { filter, pending: vec![Vec::new(); channels] }
    }

    /// Frames one whole buffer takes: planes pushed in multiples of this are filtered where
    /// they are, never copied.
    pub fn buffer_frames(&self) -> usize {
        match self.filter.segments() {
            1 => SEGMENT_BLOCKS * self.filter.block,
            _ => self.filter.span(SEGMENT_BLOCKS),
        }
    }

    /// Takes one plane per channel; `sink` gets the energies of whole blocks.
    pub fn push(&mut self, planes: &[&[f32]], sink: &mut impl FnMut(&[f64])) {
        let mut used = 0;
        if self.pending.iter().all(Vec::is_empty) {
            used = self.filter.whole(planes, sink);
        }
        for (p, plane) in self.pending.iter_mut().zip(planes) {
            p.extend_from_slice(&plane[used..]);
        }
        let pending: Vec<&[f32]> = self.pending.iter().map(Vec::as_slice).collect();
        let done = self.filter.whole(&pending, sink);
        for p in &mut self.pending {
            p.drain(..done);
        }
    }

    /// Filters the whole blocks left (a last partial block is no block): in shorter segments
    /// where there are enough (the last one padded with silence, which no kept block reads),
    /// else one lane per channel.
    pub fn finish(&mut self, sink: &mut impl FnMut(&[f64])) {
        let filter = &mut self.filter;
        let blocks = self.pending.first().map_or(0, Vec::len) / filter.block;
        let segments = filter.segments();
        let seg = (segments > 1 && blocks > WARM_BLOCKS + segments)
            .then(|| (blocks - WARM_BLOCKS).div_ceil(segments));
        if let Some(seg) = seg {
            for p in &mut self.pending {
                p.resize(filter.span(seg), 0.0);
            }
        }
        let pending: Vec<&[f32]> = self.pending.iter().map(Vec::as_slice).collect();
        match seg {
            Some(seg) => {
                filter.split(&pending, seg);
                filter.energies.truncate(blocks);
            }
            None => filter.side_by_side(&pending, blocks),
        }
        sink(&filter.energies);
    }
}

/// The filter itself: coefficients, each channel's state, and room for its sums.
struct Filter {
    coef: Coef,
    weights: Vec<f32>,
    /// Each channel's state where its filtered frames end.
    states: Vec<[f32; 4]>,
    block: usize,
    sums: Vec<[f64; LANES]>,
    energies: Vec<f64>,
    silence: Vec<f32>,
}

impl Filter {
    /// Segments per buffer: lanes the channels leave free run later stretches of time.
    fn segments(&self) -> usize {
        match self.states.len() {
            c @ (1 | 2 | 4) => LANES / c,
            _ => 1,
        }
    }

    /// Frames a buffer of segments of `seg` blocks covers: the first lane also keeps the
    /// frames the others warm up over.
    fn span(&self, seg: usize) -> usize {
        (self.segments() * seg + WARM_BLOCKS) * self.block
    }

    /// Filters the whole buffers at the start of `planes` (for side-by-side layouts, all whole
    /// blocks once there are a segment's worth) and says how many frames that took.
    fn whole(&mut self, planes: &[&[f32]], sink: &mut impl FnMut(&[f64])) -> usize {
        let frames = planes.first().map_or(0, |p| p.len());
        if self.segments() == 1 {
            let blocks = frames / self.block;
            if blocks < SEGMENT_BLOCKS {
                return 0;
            }
            self.side_by_side(planes, blocks);
            sink(&self.energies);
            return blocks * self.block;
        }
        let span = self.span(SEGMENT_BLOCKS);
        let mut done = 0;
        while frames - done >= span {
            let buffer: Vec<&[f32]> = planes.iter().map(|p| &p[done..done + span]).collect();
            self.split(&buffer, SEGMENT_BLOCKS);
            sink(&self.energies);
            done += span;
        }
        done
    }

    /// The first `span(seg)` frames of `planes`, cut into segments of `seg` blocks run side by
    /// side (mono or stereo; four channels twice): lane `s` reads from block `s·seg` and keeps
    /// all but its first `WARM_BLOCKS` blocks, except the first lane, which goes on from the
    /// last buffer and keeps all.
    fn split(&mut self, planes: &[&[f32]], seg: usize) {
        let channels = self.states.len();
        let segments = self.segments();
        let len = (seg + WARM_BLOCKS) * self.block;
        let mut lanes = Lanes::default();
        let mut inputs: [&[f32]; LANES] = [&[]; LANES];
        for (k, input) in inputs.iter_mut().enumerate() {
            let (c, s) = (k % channels, k / channels);
            if s == 0 {
                lanes.set_lane(k, self.states[c]);
            }
            let start = s * seg * self.block;
            *input = &planes[c][start..start + len];
        }
        self.sums.clear();
        run(&self.coef, &mut lanes, inputs, self.block, &mut self.sums);
        self.energies.clear();
        self.energies.resize(segments * seg + WARM_BLOCKS, 0.0);
        for k in 0..LANES {
            let (c, s) = (k % channels, k / channels);
            let w = f64::from(self.weights[c]);
            // Lane `s` block `b` is block `s·seg + b` of the buffer.
            let kept = if s == 0 { 0 } else { WARM_BLOCKS };
            for (b, sums) in self.sums.iter().enumerate().skip(kept) {
                self.energies[s * seg + b] += w * sums[k];
            }
        }
        for c in 0..channels {
            self.states[c] = lanes.lane((segments - 1) * channels + c);
        }
    }

    /// The first `blocks` blocks of `planes`, up to eight channels at a time, each going on
    /// from its last state.
    fn side_by_side(&mut self, planes: &[&[f32]], blocks: usize) {
        let channels = self.states.len();
        let n = blocks * self.block;
        self.energies.clear();
        self.energies.resize(blocks, 0.0);
        self.silence.clear();
        self.silence.resize(n, 0.0);
        for group in (0..channels).step_by(LANES) {
            let mut lanes = Lanes::default();
            let mut inputs: [&[f32]; LANES] = [&self.silence; LANES];
            for (k, input) in inputs.iter_mut().enumerate().take(channels - group) {
                lanes.set_lane(k, self.states[group + k]);
                *input = &planes[group + k][..n];
            }
            self.sums.clear();
            run(&self.coef, &mut lanes, inputs, self.block, &mut self.sums);
            for k in 0..LANES.min(channels - group) {
                let w = f64::from(self.weights[group + k]);
                for (e, sums) in self.energies.iter_mut().zip(&self.sums) {
                    *e += w * sums[k];
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
        // 8 000 Hz: blocks of 800 frames, summed eight at a time; 8 030 Hz: 803, three left over.
        for rate in [8_000u32, 8_030] {
            segments_at(rate);
        }
    }

    fn segments_at(rate: u32) {
        // Mono and stereo in segments (with a padded last buffer), three channels side by side;
        // lengths under and over a buffer, ending in a partial block; packets of awkward sizes,
        // and of a whole buffer (filtered where they are: 0) or a little more (1).
        for (channels, seconds, packet) in [
            (1usize, 37usize, 999usize),
            (1, 1, 50),
            (2, 21, 4096),
            (2, 3, 77),
            (3, 9, 1500),
            (4, 1, 10),
            (2, 30, 0),
            (1, 45, 1),
            (6, 7, 0),
        ] {
            let planes: Vec<Vec<f32>> = (0..channels)
                .map(|c| {
                    (0..rate as usize * seconds + 333)
                        .map(|i| ((i * (c + 7)) % 101) as f32 / 101.0 - 0.5 + 0.3 * ((i as f32) * 0.01).sin())
                        .collect()
                })
                .collect();
            let weights = vec![1.0; channels];
            let block = rate as usize / 10;
            let mut filter = KWeighting::new(channels, rate, weights.clone(), block);
            let packet = match packet {
                0 => filter.buffer_frames(),
                1 => filter.buffer_frames() + 1000,
                n => n,
            };
            let mut got = Vec::new();
            for start in (0..planes[0].len()).step_by(packet) {
                let end = (start + packet).min(planes[0].len());
                let slices: Vec<&[f32]> = planes.iter().map(|p| &p[start..end]).collect();
                filter.push(&slices, &mut |e| got.extend_from_slice(e));
            }
            filter.finish(&mut |e| got.extend_from_slice(e));
            // Whole 100 ms blocks only, as the meter uses them.
            let want: Vec<f64> =
                plain(&planes, rate, &weights).chunks_exact(block).map(|b| b.iter().sum()).collect();
            assert_eq!(got.len(), want.len(), "{channels} channels, {seconds} s at {rate} Hz");
            for (b, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!((g - w).abs() <= w * 1e-4, "{channels} channels at {rate} Hz, block {b}: {g} vs {w}");
            }
        }
    }
}

//! BS.1770's K-weighting filter, run four lanes at a time so that the vector units, not the
//! filter's own feedback, set the pace.
//!
//! A recursive filter cannot be split in time: each output needs the one before. But its memory
//! fades: the slowest pole (the 38 Hz high-pass) loses e⁻⁴⁸ of its state in 0.2 s, below f32's
//! precision. So a buffer is cut into segments (two per channel for stereo, four for mono), each
//! later segment's lane starts from silence 0.2 s before its segment and its outputs count only
//! from the segment's start: the same numbers as one long run, at four lanes per instruction.
//! Other layouts run up to four channels side by side.

use multiversion::multiversion;

/// Lanes run side by side.
const LANES: usize = 4;

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

/// Runs `len` frames of each lane's input (`inputs[k][..len]`) and writes the squared output.
#[multiversion(targets("x86_64+avx2+fma"))]
fn run(c: &Coef, s: &mut Lanes, inputs: [&[f32]; LANES], outputs: &mut [Vec<f32>; LANES], len: usize) {
    // Every element is written below: only the length needs setting.
    for out in outputs.iter_mut() {
        out.resize(len, 0.0);
        out.truncate(len);
    }
    let [o0, o1, o2, o3] = outputs;
    for i in 0..len {
        let x = [inputs[0][i], inputs[1][i], inputs[2][i], inputs[3][i]];
        let mut y = [0.0f32; LANES];
        for k in 0..LANES {
            let y1 = c.b[0] * x[k] + s.z[0][k];
            s.z[0][k] = c.b[1] * x[k] - c.a[0] * y1 + s.z[1][k];
            s.z[1][k] = c.b[2] * x[k] - c.a[1] * y1;
            let y2 = y1 + s.z[2][k];
            s.z[2][k] = -2.0 * y1 - c.h[0] * y2 + s.z[3][k];
            s.z[3][k] = y1 - c.h[1] * y2;
            y[k] = y2 * y2;
        }
        o0[i] = y[0];
        o1[i] = y[1];
        o2[i] = y[2];
        o3[i] = y[3];
    }
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
    outputs: [Vec<f32>; LANES],
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
            outputs: Default::default(),
            energies: Vec::new(),
            silence: Vec::new(),
        }
    }

    /// Segments per buffer: lanes the channels leave free run later stretches of time.
    fn segments(&self) -> usize {
        match self.pending.len() {
            1 => 4,
            2 => 2,
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
            self.split(whole);
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

    /// Filters what is left.
    pub fn finish(&mut self, sink: &mut impl FnMut(&[f32])) {
        let n = self.pending.first().map_or(0, Vec::len);
        if n > 0 {
            self.side_by_side(n);
            sink(&self.energies);
        }
    }

    /// The first `n` pending frames of mono or stereo, cut into segments run side by side.
    fn split(&mut self, n: usize) {
        let channels = self.pending.len();
        let segments = self.segments();
        let (seg, warm) = (self.segment, self.warm);
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
        run(&self.coef, &mut lanes, inputs, &mut self.outputs, len);
        self.energies.clear();
        self.energies.resize(n, 0.0);
        for k in 0..LANES {
            let (c, s) = (k % channels, k / channels);
            let kept = if s == 0 { &self.outputs[k][..seg] } else { &self.outputs[k][warm..] };
            let w = self.weights[c];
            for (e, y) in self.energies[s * seg..(s + 1) * seg].iter_mut().zip(kept) {
                *e += w * y;
            }
        }
        for c in 0..channels {
            self.states[c] = lanes.lane((segments - 1) * channels + c);
        }
    }

    /// `n` pending frames, up to four channels at a time, each going on from its last state.
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
                for (e, y) in self.energies.iter_mut().zip(&self.outputs[k]) {
                    *e += w * y;
                }
                self.states[group + k] = lanes.lane(k);
            }
        }
    }
}

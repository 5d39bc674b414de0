//! Waveform peaks: the min and max sample of every 1/1000 of a track, collected while the
//! upload's one full decode runs, stored as 2 000 signed bytes.

use symphonia::core::audio::conv::IntoSample;
use symphonia::core::audio::sample::{Sample, i24, u24};

/// Pairs in a stored waveform.
pub const BINS: usize = 1000;

/// Strokes in a gallery row's waveform. PostgreSQL keeps the pairs that draw them in a column
/// (`migrations/postgres/…_gallery_peaks` spells this number and [`svg_path`]'s stretches).
pub const GALLERY_BINS: usize = 120;

/// Collects (min, max) per block of frames without knowing the exact length in advance, then
/// folds the blocks into exactly [`BINS`] pairs.
pub struct PeakCollector {
    block: u64,
    in_block: u64,
    min: f32,
    max: f32,
    blocks: Vec<(f32, f32)>,
}

impl PeakCollector {
    /// `estimated_frames` sizes the blocks (about two per bin); a wrong estimate only changes
    /// the resolution before folding, never the result's length.
    pub fn new(estimated_frames: Option<u64>) -> PeakCollector {
        let block = estimated_frames.map_or(1024, |f| (f / (2 * BINS as u64)).max(1));
        PeakCollector { block, in_block: 0, min: 0.0, max: 0.0, blocks: Vec::with_capacity(2 * BINS + 16) }
    }

    /// Takes one slice per channel, all of the same length (frames); all channels of a frame
    /// count towards its peak. Extremes are found in the samples' own type and only they are
    /// converted, so integer PCM costs a compare per sample.
    pub fn push_planes<S: Extremes>(&mut self, planes: &[&[S]]) {
        let frames = planes.iter().map(|p| p.len()).min().unwrap_or(0);
        let mut pos = 0;
        while pos < frames {
            let n = ((self.block - self.in_block) as usize).min(frames - pos);
            for plane in planes {
                let (lo, hi) = extremes(&plane[pos..pos + n]);
                self.min = self.min.min(lo.into_sample());
                self.max = self.max.max(hi.into_sample());
            }
            self.in_block += n as u64;
            pos += n;
            if self.in_block == self.block {
                self.close_block();
            }
        }
    }

    fn close_block(&mut self) {
        self.blocks.push((self.min, self.max));
        self.in_block = 0;
        self.min = 0.0;
        self.max = 0.0;
        // A badly low estimate would grow this without bound: halve the resolution instead.
        if self.blocks.len() >= 8 * BINS {
            self.blocks = self
                .blocks
                .chunks(2)
                .map(|c| c.iter().fold((0.0f32, 0.0f32), |a, b| (a.0.min(b.0), a.1.max(b.1))))
                .collect();
            self.block *= 2;
        }
    }

    /// `BINS` (min, max) pairs as signed bytes, min first.
    pub fn finish(mut self) -> Vec<u8> {
        if self.in_block > 0 {
            self.close_block();
        }
        let n = self.blocks.len();
        let mut out = Vec::with_capacity(2 * BINS);
        for i in 0..BINS {
            let (lo, hi) = if n == 0 {
                (0.0, 0.0)
            } else {
                let start = i * n / BINS;
                let end = ((i + 1) * n / BINS).max(start + 1).min(n);
                self.blocks[start..end].iter().fold((0.0f32, 0.0f32), |a, b| (a.0.min(b.0), a.1.max(b.1)))
            };
            out.push(quantize(lo) as u8);
            out.push(quantize(hi) as u8);
        }
        out
    }
}

/// Sample types whose smallest and largest values a waveform needs.
pub trait Extremes: Sample + IntoSample<f32> {
    fn lesser(self, other: Self) -> Self;
    fn greater(self, other: Self) -> Self;
}

macro_rules! ordered_extremes {
    ($($t:ty),*) => {$(
        impl Extremes for $t {
            #[inline(always)]
            fn lesser(self, other: Self) -> Self { Ord::min(self, other) }
            #[inline(always)]
            fn greater(self, other: Self) -> Self { Ord::max(self, other) }
        }
    )*};
}
ordered_extremes!(u8, u16, u24, u32, i8, i16, i24, i32);

macro_rules! float_extremes {
    ($($t:ty),*) => {$(
        impl Extremes for $t {
            #[inline(always)]
            fn lesser(self, other: Self) -> Self { self.min(other) }
            #[inline(always)]
            fn greater(self, other: Self) -> Self { self.max(other) }
        }
    )*};
}
float_extremes!(f32, f64);

/// Smallest and largest sample of a non-empty slice, eight lanes at a time so the compiler
/// keeps them in vector registers.
fn extremes<S: Extremes>(xs: &[S]) -> (S, S) {
    const LANES: usize = 8;
    let mut lo = [xs[0]; LANES];
    let mut hi = [xs[0]; LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for j in 0..LANES {
            lo[j] = lo[j].lesser(chunk[j]);
            hi[j] = hi[j].greater(chunk[j]);
        }
    }
    let mut l = lo.into_iter().fold(xs[0], S::lesser);
    let mut h = hi.into_iter().fold(xs[0], S::greater);
    for &x in rest {
        l = l.lesser(x);
        h = h.greater(x);
    }
    (l, h)
}

fn quantize(v: f32) -> i8 {
    (v.clamp(-1.0, 1.0) * 127.0).round() as i8
}

/// Reads stored peaks back as (min, max) pairs in -1.0..=1.0, folded to `bins` pairs.
pub fn pairs(peaks: &[u8], bins: usize) -> Vec<(f32, f32)> {
    let all: Vec<(f32, f32)> = peaks
        .chunks_exact(2)
        .map(|p| (f32::from(p[0] as i8) / 127.0, f32::from(p[1] as i8) / 127.0))
        .collect();
    if all.is_empty() || bins == 0 {
        return Vec::new();
    }
    (0..bins)
        .map(|i| {
            let start = i * all.len() / bins;
            let end = ((i + 1) * all.len() / bins).max(start + 1).min(all.len());
            all[start..end].iter().fold((0.0f32, 0.0f32), |a, b| (a.0.min(b.0), a.1.max(b.1)))
        })
        .collect()
}

/// Bytes a stroke can take: "M", x (up to 10 digits), " ", top (3), "V", bottom (4).
const STROKE: usize = 24;

/// An SVG path of vertical strokes, one per pair, in a `bins`·10 × 1000 view box (integer
/// coordinates keep it short). Built with integer arithmetic straight from the stored bytes,
/// without the formatting machinery and without dividing: a gallery page draws a few dozen of
/// these, and they were a tenth of its CPU.
pub fn svg_path(peaks: &[u8], bins: usize) -> String {
    let n = peaks.len() / 2;
    let mut d: Vec<u8> = Vec::with_capacity((bins + 1) * STROKE);
    if n > 0 && bins > 0 {
        // 50 − v·50 for v = q/127, in tenths and rounded: (63 500 − 500·q) / 127.
        let tenths = |q: i8| ((2 * (63_500 - 500 * i32::from(q)) + 127) / 254) as u32;
        // Bin x covers pairs x·n/bins up to (x+1)·n/bins: the next bound is this one plus
        // n/bins, and one more whenever the remainders add up past `bins`.
        let (step, extra) = (n / bins, n % bins);
        let (mut start, mut carried) = (0, 0);
        for x in 0..bins {
            carried += extra;
            let mut next = start + step;
            if carried >= bins {
                carried -= bins;
                next += 1;
            }
            let end = next.max(start + 1).min(n);
            let (lo, hi) = peaks[2 * start..2 * end]
                .chunks_exact(2)
                .fold((0i8, 0i8), |(lo, hi), p| (lo.min(p[0] as i8), hi.max(p[1] as i8)));
            // Silence still shows as a hairline so the track's extent is visible.
            let mut stroke = [0u8; STROKE];
            stroke[0] = b'M';
            let at = put_int(&mut stroke, 1, x as u32 * 10 + 5);
            stroke[at] = b' ';
            let at = put_int(&mut stroke, at + 1, tenths(hi).min(495));
            stroke[at] = b'V';
            let at = put_int(&mut stroke, at + 1, tenths(lo).max(505));
            // A copy of fixed length, then the unused end cut off: a copy of each stroke's own
            // length called the C library's memmove, three times a stroke.
            d.extend_from_slice(&stroke);
            d.truncate(d.len() - STROKE + at);
            start = next;
        }
    }
    String::from_utf8(d).unwrap_or_default()
}

/// Writes `v`'s digits into `out` from `at`; returns where they end.
fn put_int(out: &mut [u8; STROKE], mut at: usize, mut v: u32) -> usize {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for &b in &digits[i..] {
        out[at] = b;
        at += 1;
    }
    at
}

/// The view box [`svg_path`] draws in.
pub fn svg_view_box(bins: usize) -> String {
    format!("0 0 {} 1000", bins * 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_length_folds_to_exactly_bins_pairs() {
        for (estimate, frames) in
            [(Some(44_100), 44_100usize), (Some(1_000), 500_000), (None, 37), (Some(10_000_000), 3_000)]
        {
            let mut c = PeakCollector::new(estimate);
            let (left, right) = (vec![0.5f32; frames], vec![-0.25f32; frames]);
            c.push_planes(&[&left[..], &right[..]]);
            let peaks = c.finish();
            assert_eq!(peaks.len(), 2 * BINS);
            assert_eq!((peaks[0] as i8, peaks[1] as i8), (-32, 64), "estimate {estimate:?}, frames {frames}");
        }
    }

    #[test]
    fn a_loud_second_half_shows_in_the_second_half() {
        let mut c = PeakCollector::new(Some(10_000));
        let quiet = vec![0.01f32; 5_000];
        let loud = vec![0.9f32; 5_000];
        c.push_planes(&[&quiet[..]]);
        c.push_planes(&[&loud[..]]);
        let p = pairs(&c.finish(), 10);
        assert!(p[..5].iter().all(|(_, hi)| *hi < 0.05) && p[5..].iter().all(|(_, hi)| *hi > 0.85), "{p:?}");
    }

    #[test]
    fn integer_extremes_match_a_plain_scan() {
        let xs: Vec<i16> = (0..1001).map(|i: i32| ((i * 7919) % 65536 - 32768) as i16).collect();
        for len in [1, 7, 8, 9, 1001] {
            let s = &xs[..len];
            assert_eq!(extremes(s), (*s.iter().min().unwrap(), *s.iter().max().unwrap()), "{len}");
        }
        let mut c = PeakCollector::new(Some(4));
        c.push_planes(&[&[i16::MIN, 0, 0, i16::MAX][..]]);
        let p = c.finish();
        assert_eq!((p[0] as i8, p[1] as i8), (-127, 0));
        assert_eq!((p[2 * BINS - 2] as i8, p[2 * BINS - 1] as i8), (0, 127));
    }

    #[test]
    fn svg_paths_match_the_float_drawing() {
        let peaks: Vec<u8> = (0..2 * BINS).map(|i| ((i * 97 % 255) as i32 - 127) as i8 as u8).collect();
        for bins in [1, 7, 120, 999, BINS, 3 * BINS] {
            let mut want = String::new();
            for (x, (lo, hi)) in pairs(&peaks, bins).into_iter().enumerate() {
                let top = ((500.0 - hi * 500.0).round() as i32).min(495);
                let bottom = ((500.0 - lo * 500.0).round() as i32).max(505);
                want.push_str(&format!("M{} {top}V{bottom}", x * 10 + 5));
            }
            assert_eq!(svg_path(&peaks, bins), want, "{bins} bins");
        }
    }

    #[test]
    fn numbers_are_written_as_format_writes_them() {
        for v in [0, 5, 9, 10, 11, 99, 100, 495, 505, 1000, 12_345, 99_999, 100_000, u32::MAX] {
            let mut out = [0u8; STROKE];
            let end = put_int(&mut out, 3, v);
            assert_eq!(std::str::from_utf8(&out[3..end]).unwrap(), v.to_string());
        }
    }

    #[test]
    fn svg_paths_have_one_stroke_per_bin() {
        let peaks = vec![0u8; 2 * BINS];
        assert_eq!(svg_path(&peaks, 100).matches('M').count(), 100);
    }
}

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

/// A number's digits as the bytes of a little-endian word, and how many there are (numbers
/// below 10 000).
type Digits = (u32, u32);

const fn digits(mut v: u32) -> Digits {
    let n = if v >= 1000 {
        4
    } else if v >= 100 {
        3
    } else if v >= 10 {
        2
    } else {
        1
    };
    let (mut word, mut i) = (0u32, n);
    while i > 0 {
        i -= 1;
        word |= (b'0' as u32 + v % 10) << (8 * i);
        v /= 10;
    }
    (word, n)
}

/// 50 − v·50 for v = q/127, in tenths and rounded: (63 500 − 500·q) / 127.
const fn tenths(q: i8) -> u32 {
    ((2 * (63_500 - 500 * q as i32) + 127) / 254) as u32
}

/// Where a stroke ends for each stored byte, as text, kept off the middle line (top ≤ 495,
/// bottom ≥ 505) so that silence still shows as a hairline and the track's extent is visible.
const fn ends(top: bool) -> [Digits; 256] {
    let mut table = [(0, 0); 256];
    let mut i = 0;
    while i < 256 {
        let t = tenths(i as u8 as i8);
        table[i] = digits(if top && t > 495 {
            495
        } else if !top && t < 505 {
            505
        } else {
            t
        });
        i += 1;
    }
    table
}

/// x·10 + 5 is x's digits and a 5: x's digits for the strokes of a stored waveform (none for
/// the first).
const fn lefts() -> [Digits; BINS] {
    let mut table = [(0, 0); BINS];
    let mut x = 1;
    while x < BINS {
        table[x] = digits(x as u32);
        x += 1;
    }
    table
}

static TOPS: [Digits; 256] = ends(true);
static BOTTOMS: [Digits; 256] = ends(false);
static LEFTS: [Digits; BINS] = lefts();

/// An SVG path of vertical strokes, one per pair, in a `bins`·10 × 1000 view box (integer
/// coordinates keep it short). Built straight from the stored bytes, without the formatting
/// machinery: a gallery page draws a few dozen of these, and they were a tenth of its CPU.
/// Each stroke's text comes from tables (a byte has 256 values) and is put together in a
/// register, then stored whole: written byte by byte into a buffer and copied from there, a
/// stroke waited on the store buffer, and the strokes were still an eighth of an audio-heavy
/// page's CPU.
pub fn svg_path(peaks: &[u8], bins: usize) -> String {
    let n = peaks.len() / 2;
    let mut d: Vec<u8> = Vec::with_capacity((bins + 1) * 16);
    if n > 0 && bins > 0 {
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
            let (lo, hi) = pair_extremes(&peaks[2 * start..2 * end]);
            let (top, bottom) = (TOPS[hi as u8 as usize], BOTTOMS[lo as u8 as usize]);
            let left = match x {
                x if x < BINS => LEFTS[x],
                x if x < 10_000 => digits(x as u32),
                // Never drawn so wide; correct all the same.
                x => {
                    let (top, bottom) = (tenths(hi).min(495), tenths(lo).max(505));
                    d.extend_from_slice(format!("M{x}5 {top}V{bottom}").as_bytes());
                    start = next;
                    continue;
                }
            };
            // "M", x's digits, "5 ", top, "V", bottom: at most 15 bytes.
            let mut stroke = u128::from(b'M') | u128::from(left.0) << 8;
            let mut at = 1 + left.1;
            stroke |= u128::from(u16::from_le_bytes(*b"5 ")) << (8 * at);
            at += 2;
            stroke |= u128::from(top.0) << (8 * at);
            at += top.1;
            stroke |= u128::from(b'V') << (8 * at);
            at += 1;
            stroke |= u128::from(bottom.0) << (8 * at);
            at += bottom.1;
            // A copy of fixed length, then the unused end cut off: a copy of each stroke's own
            // length called the C library's memmove.
            d.extend_from_slice(&stroke.to_le_bytes());
            d.truncate(d.len() - 16 + at as usize);
            start = next;
        }
    }
    String::from_utf8(d).unwrap_or_default()
}

/// The lowest min and highest max of stored (min, max) byte pairs, 0 when all lie above or
/// below it. A gallery row on SQLite folds its 1 000 stored pairs into 120 strokes: sixteen
/// bytes at a time, one unsigned maximum for both ends (a min's bits flipped so that its
/// smallest is the largest), which the baseline x86-64 instruction set does in one
/// instruction; one pair at a time, the fold was most of the strokes' time.
fn pair_extremes(pairs: &[u8]) -> (i8, i8) {
    const FLIP: [u8; 2] = [0x7f, 0x80];
    let mut top: [u8; 16] = std::array::from_fn(|i| FLIP[i % 2]); // 0 for both ends
    let mut chunks = pairs.chunks_exact(16);
    for chunk in &mut chunks {
        for i in 0..16 {
            top[i] = top[i].max(chunk[i] ^ FLIP[i % 2]);
        }
    }
    for pair in chunks.remainder().chunks_exact(2) {
        top[0] = top[0].max(pair[0] ^ FLIP[0]);
        top[1] = top[1].max(pair[1] ^ FLIP[1]);
    }
    let (mut lo, mut hi) = (top[0], top[1]);
    for i in 1..8 {
        lo = lo.max(top[2 * i]);
        hi = hi.max(top[2 * i + 1]);
    }
    ((lo ^ FLIP[0]) as i8, (hi ^ FLIP[1]) as i8)
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
    fn pair_extremes_match_a_plain_fold() {
        let bytes: Vec<u8> = (0..600).map(|i: u32| (i * 97 % 256) as u8).collect();
        for len in [0, 2, 14, 16, 18, 32, 34, 600] {
            let want = bytes[..len]
                .chunks_exact(2)
                .fold((0i8, 0i8), |(lo, hi), p| (lo.min(p[0] as i8), hi.max(p[1] as i8)));
            assert_eq!(pair_extremes(&bytes[..len]), want, "{len}");
        }
        assert_eq!(pair_extremes(&[0x80, 0x7f]), (-128, 127));
        assert_eq!(pair_extremes(&[5, 3, 7, 9]), (0, 9));
        assert_eq!(pair_extremes(&[0xfb, 0xfd]), (-5, 0));
    }

    #[test]
    fn svg_paths_match_the_float_drawing() {
        // Every byte value, −128 included, on both ends of a stroke.
        let peaks: Vec<u8> = (0..2 * BINS).map(|i| (i * 97 % 256) as u8).collect();
        for bins in [1, 7, 120, 999, BINS, 3 * BINS, 12_000] {
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
        for v in [0, 5, 9, 10, 11, 99, 100, 495, 505, 1000, 9_999] {
            let (word, n) = digits(v);
            assert_eq!(std::str::from_utf8(&word.to_le_bytes()[..n as usize]).unwrap(), v.to_string());
        }
    }

    #[test]
    fn svg_paths_have_one_stroke_per_bin() {
        let peaks = vec![0u8; 2 * BINS];
        assert_eq!(svg_path(&peaks, 100).matches('M').count(), 100);
    }
}

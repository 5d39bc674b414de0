//! A sound's print: Chromaprint's acoustic fingerprint (the one AcoustID uses, in its pure Rust
//! port) of the first two minutes, one 32-bit value per 0.124 s of chroma, which a copy keeps
//! through another format, bitrate, rate or volume, where its bytes and so its SHA-256 change.
//! Made in the upload's one decode; a few keys of each print (`domain::print_keys`) are
//! indexed so that the prints worth comparing are found without reading every other one.

use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use rusty_chromaprint::{Configuration, Fingerprinter, match_fingerprints};

use mediadesk_decimate::Decimator;
use symphonia::core::audio::conv::IntoSample;
use symphonia::core::audio::sample::Sample;

/// Seconds of sound a print covers: AcoustID's `fpcalc` reads as much, and it bounds what a
/// long recording costs.
pub const PRINT_SECONDS: u64 = 120;

/// Bits of 32 a matched stretch may differ in on average: a copy in another format differs in
/// well under 1, unrelated sounds that happen to line up in about 10.
const MATCH_SCORE: f64 = 5.0;

/// Seconds two sounds must share to be called alike (or half the shorter, for short clips).
const SHARED_SECONDS: f32 = 10.0;

/// Values fewer than this (about 2 s) make no print: too little to tell sounds apart.
const MIN_VALUES: usize = 16;

fn config() -> Configuration {
    Configuration::preset_test2()
}

/// The lowest rate Chromaprint resamples from.
const MIN_RATE: u32 = 1_000;

/// Frames handed to the print's thread at a time (about 0.4 s at 44.1 kHz).
const BATCH: usize = 16_384;

/// Makes the print of a stream's first [`PRINT_SECONDS`] on a thread of its own, fed the
/// decoded planes: the decoding thread only adds the channels up (one pass a plane), and the
/// filter down to Chromaprint's rate (the `mediadesk-decimate` crate) and the chroma run beside
/// it on a core the decode leaves free, some 25 ms of CPU per minute of sound. A print that
/// fails (a bug, never the file: the decode proves the file) leaves the item without one rather
/// than refusing it.
pub struct PrintThread {
    frames_left: u64,
    /// The channels' sum, frame by frame.
    batch: Vec<f32>,
    to_printer: Option<SyncSender<Vec<f32>>>,
    printer: JoinHandle<Option<Vec<u32>>>,
}

impl PrintThread {
    /// For `channels` at `rate`; `Ok(None)` for a rate Chromaprint cannot resample from (below
    /// 1 kHz).
    pub fn spawn(channels: usize, rate: u32) -> std::io::Result<Option<PrintThread>> {
        if rate < MIN_RATE || channels == 0 {
            return Ok(None);
        }
        let (to_printer, batches) = sync_channel::<Vec<f32>>(2);
        // Made on its thread: the printer's stages are not `Send`. The sum's mean, in 16 bits.
        let printer = std::thread::Builder::new().name("sound-print".into()).spawn(move || {
            let mut decimator = Decimator::new(rate, 32767.0 / channels as f32);
            let mut printer = Fingerprinter::new(&config());
            printer.start(decimator.out_rate(), 1).ok()?;
            let mut mono = Vec::new();
            for batch in batches {
                decimator.push(&batch, &mut mono);
                printer.consume(&mono);
                mono.clear();
            }
            printer.finish();
            let print = printer.fingerprint();
            (print.len() >= MIN_VALUES).then(|| print.to_vec())
        })?;
        Ok(Some(PrintThread {
            frames_left: PRINT_SECONDS * u64::from(rate),
            batch: Vec::with_capacity(BATCH),
            to_printer: Some(to_printer),
            printer,
        }))
    }

    /// Feeds one buffer, one slice per channel.
    pub fn push_planes<S: Sample + IntoSample<f32>>(&mut self, planes: &[&[S]]) {
        let Some(first) = planes.first() else { return };
        let n = (first.len() as u64).min(self.frames_left) as usize;
        if n == 0 {
            return;
        }
        self.frames_left -= n as u64;
        let start = self.batch.len();
        self.batch.resize(start + n, 0.0);
        for plane in planes {
            for (sum, s) in self.batch[start..].iter_mut().zip(&plane[..n]) {
                *sum += IntoSample::<f32>::into_sample(*s);
            }
        }
        if self.batch.len() >= BATCH || self.frames_left == 0 {
            self.send();
        }
    }

    fn send(&mut self) {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        if let Some(to) = &self.to_printer
            && to.send(batch).is_err()
        {
            // The printer stopped (it panicked): `finish` says so.
            self.to_printer = None;
        }
    }

    /// Waits for the print; `None` for a sound too short to have one, or a printer that failed.
    pub fn finish(mut self) -> Option<Vec<u32>> {
        if !self.batch.is_empty() {
            self.send();
        }
        self.to_printer = None;
        self.printer.join().unwrap_or_else(|_| {
            tracing::error!("the sound print failed; the item is kept without one");
            None
        })
    }
}

/// What two sounds share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shared {
    /// Milliseconds of sound found in both (within their first two minutes).
    pub ms: i64,
    /// Whether that is (nearly) all of each: the same recording, rather than a part of it.
    pub whole: bool,
}

/// What prints `a` and `b` share, if enough to call the sounds alike: at least 10 s, or half
/// the shorter print, matched stretch by stretch with Chromaprint's own matcher.
pub fn shared(a: &[u32], b: &[u32]) -> Option<Shared> {
    let config = config();
    let segments = match_fingerprints(a, b, &config).ok()?;
    let values: usize = segments.iter().filter(|s| s.score <= MATCH_SCORE).map(|s| s.items_count).sum();
    let seconds = values as f32 * config.item_duration_in_seconds();
    let shorter = a.len().min(b.len()) as f32 * config.item_duration_in_seconds();
    if values == 0 || seconds < SHARED_SECONDS.min(shorter / 2.0) {
        return None;
    }
    // A print ends a few values short of its sound (the matcher's filters need context).
    let whole = values * 10 >= a.len().max(b.len()) * 9;
    Some(Shared { ms: (seconds * 1000.0).round() as i64, whole })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PRINT_KEYS, SILENT_VALUE, print_keys};

    /// A tune: a note every third of a second from a sequence `step` picks, over a bass line.
    fn tune(rate: u32, seconds: f32, step: u32, gain: f32) -> Vec<f32> {
        let n = (rate as f32 * seconds) as usize;
        (0..n)
            .map(|i| {
                let t = i as f32 / rate as f32;
                let note = ((t * 3.0) as u32 * step + (t / 2.0) as u32 * 5) % 24;
                let bass = ((t * 1.5) as u32 * step * 3) % 12;
                let f1 = 220.0 * 2f32.powf(note as f32 / 12.0);
                let f2 = 110.0 * 2f32.powf(bass as f32 / 12.0);
                let tau = std::f32::consts::TAU;
                gain * (0.25 * (tau * f1 * t).sin() + 0.15 * (tau * f2 * t).sin())
            })
            .collect()
    }

    fn print_of(samples: &[f32], rate: u32) -> Option<Vec<u32>> {
        let mut c = PrintThread::spawn(2, rate).unwrap().expect("a rate it resamples");
        for chunk in samples.chunks(4096) {
            c.push_planes(&[chunk, chunk]);
        }
        c.finish()
    }

    #[test]
    fn a_copy_at_another_rate_and_volume_is_the_same_recording() {
        let a = print_of(&tune(44_100, 40.0, 7, 1.0), 44_100).unwrap();
        let b = print_of(&tune(22_050, 40.0, 7, 0.4), 22_050).unwrap();
        let s = shared(&a, &b).expect("alike");
        assert!(s.whole && s.ms > 30_000, "{s:?}");
        let shared_keys = print_keys(&a).iter().filter(|k| print_keys(&b).contains(k)).count();
        assert!(shared_keys >= PRINT_KEYS / 2, "{shared_keys}");
    }

    #[test]
    fn another_tune_shares_nothing() {
        let a = print_of(&tune(44_100, 40.0, 7, 1.0), 44_100).unwrap();
        let b = print_of(&tune(44_100, 40.0, 5, 1.0), 44_100).unwrap();
        assert_eq!(shared(&a, &b), None);
        assert!(!print_keys(&a).iter().any(|k| print_keys(&b).contains(k)));
    }

    #[test]
    fn a_part_is_shared_but_not_whole() {
        let whole = tune(44_100, 60.0, 7, 1.0);
        let a = print_of(&whole, 44_100).unwrap();
        let b = print_of(&whole[44_100 * 20..44_100 * 45], 44_100).unwrap();
        let s = shared(&a, &b).expect("the part is found");
        assert!(!s.whole && (15_000..=26_000).contains(&s.ms), "{s:?}");
    }

    #[test]
    fn only_the_first_two_minutes_are_read_and_short_sounds_have_no_print() {
        let long = print_of(&tune(8_000, 150.0, 7, 1.0), 8_000).unwrap();
        let capped = print_of(&tune(8_000, PRINT_SECONDS as f32, 7, 1.0), 8_000).unwrap();
        assert_eq!(long, capped);
        assert_eq!(print_of(&tune(44_100, 1.0, 7, 1.0), 44_100), None);
        let silence = print_of(&vec![0.0; 44_100 * 5], 44_100).unwrap();
        assert!(silence.iter().all(|v| *v == SILENT_VALUE) && print_keys(&silence).is_empty());
    }
}

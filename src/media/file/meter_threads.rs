//! The loudness meter beside the upload's decode. On one core the meter costs about a seventh of
//! an MP3, FLAC or AAC decode and more than a 16-bit WAV's (the K-weighting touches every
//! sample), so its two halves run on threads of their own: the decoding thread only converts
//! each packet to f32 once and hands the same batch to both. The upload then waits about as
//! long as the decode alone, on any machine with a core to spare; the CPU time is what the meter
//! costs, no second decode.
//!
//! A batch is one buffer of the K-weighting's (about 2 s of stereo), which it filters where it
//! lies instead of copying. The channels are bounded, so a decode never runs more than a batch
//! ahead of the meter, and the batches both halves have let go of are filled again: memory
//! stays flat and the decode does not fault in fresh pages for every batch. A meter that fails
//! (a bug, never the file: the decode already proved the file) leaves the upload without
//! loudness rather than refusing it.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use symphonia::core::audio::conv::IntoSample;
use symphonia::core::audio::sample::Sample;

use mediadesk_loudness::{EnergyMeter, Loudness, SampleFacts, SampleMeter, loudness};

/// Batches a meter thread may fall behind before the decode waits for it.
const QUEUE: usize = 1;

type Batch = Arc<Vec<Vec<f32>>>;

pub struct MeterThreads {
    channels: usize,
    batch_frames: usize,
    batch: Vec<Vec<f32>>,
    /// Batches handed out, oldest first; one both halves have dropped is filled again.
    sent: VecDeque<Batch>,
    senders: Vec<SyncSender<Batch>>,
    energy: JoinHandle<Vec<f64>>,
    samples: JoinHandle<SampleFacts>,
}

impl MeterThreads {
    pub fn spawn(channels: usize, rate: u32) -> std::io::Result<MeterThreads> {
        let meter = EnergyMeter::new(channels, rate);
        let batch_frames = meter.buffer_frames();
        let (to_energy, energy) = half("loudness-energy", meter, EnergyMeter::push, EnergyMeter::finish)?;
        let meter = SampleMeter::new(channels, rate);
        let (to_samples, samples) = half("loudness-samples", meter, SampleMeter::push, SampleMeter::finish)?;
        Ok(MeterThreads {
            channels,
            batch_frames,
            batch: vec![Vec::with_capacity(batch_frames); channels],
            sent: VecDeque::new(),
            senders: vec![to_energy, to_samples],
            energy,
            samples,
        })
    }

    /// One slice per channel, all of the same length (a decoder's planes; a missing one is
    /// silence).
    pub fn push_planes<S: Sample + IntoSample<f32>>(&mut self, planes: &[&[S]]) {
        let frames = planes.iter().map(|p| p.len()).min().unwrap_or(0);
        let mut from = 0;
        // Batches of exactly `batch_frames`: a longer one would leave the K-weighting a
        // remainder to copy, and every batch after it too.
        while from < frames {
            let filled = self.batch.first().map_or(0, Vec::len);
            let to = frames.min(from + self.batch_frames - filled);
            for (c, out) in self.batch.iter_mut().enumerate() {
                match planes.get(c) {
                    Some(plane) => out.extend(plane[from..to].iter().map(|s| -> f32 { (*s).into_sample() })),
                    None => out.resize(out.len() + to - from, 0.0),
                }
            }
            from = to;
            if self.batch.first().is_some_and(|b| b.len() >= self.batch_frames) {
                self.send();
            }
        }
    }

    fn send(&mut self) {
        let fresh =
            self.reuse().unwrap_or_else(|| vec![Vec::with_capacity(self.batch_frames); self.channels]);
        let batch = Arc::new(std::mem::replace(&mut self.batch, fresh));
        for to in &self.senders {
            // A meter thread that is gone panicked; `finish` reports it.
            let _ = to.send(batch.clone());
        }
        self.sent.push_back(batch);
    }

    /// The oldest batch, emptied, once both halves are done with it (they take batches in
    /// order, so it is the first to be let go).
    fn reuse(&mut self) -> Option<Vec<Vec<f32>>> {
        let oldest = self.sent.pop_front()?;
        match Arc::try_unwrap(oldest) {
            Ok(mut planes) => {
                planes.iter_mut().for_each(Vec::clear);
                Some(planes)
            }
            Err(oldest) => {
                self.sent.push_front(oldest);
                None
            }
        }
    }

    /// Waits for both halves; `None` if either failed.
    pub fn finish(mut self) -> Option<Loudness> {
        if self.batch.first().is_some_and(|b| !b.is_empty()) {
            self.send();
        }
        self.senders.clear();
        match (self.energy.join(), self.samples.join()) {
            (Ok(blocks), Ok(facts)) => Some(loudness(&blocks, facts)),
            _ => {
                tracing::error!("the loudness meter failed; the item is kept without loudness");
                None
            }
        }
    }
}

/// One half of the meter on a thread of its own, fed batches over a bounded queue.
fn half<M: Send + 'static, R: Send + 'static>(
    name: &str,
    mut meter: M,
    push: fn(&mut M, &[&[f32]]),
    finish: fn(M) -> R,
) -> std::io::Result<(SyncSender<Batch>, JoinHandle<R>)> {
    let (to, batches) = sync_channel::<Batch>(QUEUE);
    let thread = std::thread::Builder::new().name(name.into()).spawn(move || {
        for batch in batches {
            push(&mut meter, &slices(&batch));
        }
        finish(meter)
    })?;
    Ok((to, thread))
}

fn slices(batch: &[Vec<f32>]) -> Vec<&[f32]> {
    batch.iter().map(Vec::as_slice).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::file::loudness::LoudnessMeter;

    #[test]
    fn the_threads_measure_exactly_what_one_thread_does() {
        // Long enough for several whole batches (refilled once both halves let go of them)
        // and a last short one, in every layout.
        let seconds = 40;
        for channels in [1usize, 2, 6] {
            let rate = 48_000;
            let planes: Vec<Vec<i16>> = (0..channels)
                .map(|c| (0..rate * seconds).map(|i| (((i * (c + 3)) % 977) as i16 - 488) * 40).collect())
                .collect();
            let (mut one, mut threads) = (
                LoudnessMeter::new(channels, rate as u32),
                MeterThreads::spawn(channels, rate as u32).unwrap(),
            );
            for start in (0..rate * seconds).step_by(1152) {
                let end = (start + 1152).min(rate * seconds);
                let slices: Vec<&[i16]> = planes.iter().map(|p| &p[start..end]).collect();
                one.push_planes(&slices);
                threads.push_planes(&slices);
            }
            assert_eq!(threads.finish(), Some(one.finish()), "{channels} channels");
        }
    }
}

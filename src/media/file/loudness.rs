//! Loudness and health of an audio track: the meter of the `mediadesk-loudness` crate, which an
//! upload runs beside its decode ([`super::meter_threads`]).

pub use mediadesk_loudness::Loudness;
#[cfg(test)]
pub use one_thread::LoudnessMeter;

/// Both halves on the calling thread: what the threaded meter and the `ebur128` crate are held
/// to in the tests (uploads use [`super::meter_threads`]).
#[cfg(test)]
mod one_thread {
    use mediadesk_loudness::{EnergyMeter, Loudness, SampleMeter, loudness};
    use symphonia::core::audio::conv::IntoSample;
    use symphonia::core::audio::sample::Sample;

    pub struct LoudnessMeter {
        energy: EnergyMeter,
        samples: SampleMeter,
        scratch: Vec<Vec<f32>>,
    }

    impl LoudnessMeter {
        pub fn new(channels: usize, rate: u32) -> LoudnessMeter {
            LoudnessMeter {
                energy: EnergyMeter::new(channels, rate),
                samples: SampleMeter::new(channels, rate),
                scratch: vec![Vec::new(); channels],
            }
        }

        /// One slice per channel, all of the same length.
        pub fn push_planes<S: Sample + IntoSample<f32>>(&mut self, planes: &[&[S]]) {
            to_f32(planes, &mut self.scratch);
            let planes: Vec<&[f32]> = self.scratch.iter().take(planes.len()).map(Vec::as_slice).collect();
            self.energy.push(&planes);
            self.samples.push(&planes);
        }

        pub fn finish(self) -> Loudness {
            loudness(&self.energy.finish(), self.samples.finish())
        }
    }

    /// `planes` as f32 in `out` (one vector per plane, cut to the shortest plane).
    fn to_f32<S: Sample + IntoSample<f32>>(planes: &[&[S]], out: &mut [Vec<f32>]) {
        let frames = planes.iter().map(|p| p.len()).min().unwrap_or(0);
        for (out, plane) in out.iter_mut().zip(planes) {
            out.clear();
            out.extend(plane[..frames].iter().map(|s| -> f32 { (*s).into_sample() }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(planes: &[Vec<f32>], rate: u32) -> (Loudness, ebur128::EbuR128) {
        let mut meter = LoudnessMeter::new(planes.len(), rate);
        let mode = ebur128::Mode::I | ebur128::Mode::LRA | ebur128::Mode::TRUE_PEAK;
        let mut reference = ebur128::EbuR128::new(planes.len() as u32, rate, mode).unwrap();
        // Packets of an awkward size, so blocks and taps straddle them.
        for start in (0..planes[0].len()).step_by(1153) {
            let end = (start + 1153).min(planes[0].len());
            let slices: Vec<&[f32]> = planes.iter().map(|p| &p[start..end]).collect();
            meter.push_planes(&slices);
            reference.add_frames_planar_f32(&slices).unwrap();
        }
        (meter.finish(), reference)
    }

    /// A pseudo-random walk through tones, noise and level changes, like music.
    fn programme(rate: u32, seconds: usize, channels: usize) -> Vec<Vec<f32>> {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut noise = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
        };
        let n = rate as usize * seconds;
        (0..channels)
            .map(|c| {
                (0..n)
                    .map(|i| {
                        let t = i as f32 / rate as f32;
                        let level = 0.05 + 0.4 * (0.5 + 0.5 * (t * 0.7 + c as f32).sin());
                        let tone =
                            (t * 2.0 * std::f32::consts::PI * (220.0 + 110.0 * (t / 3.0).floor())).sin();
                        level * (0.7 * tone + 0.3 * noise())
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn agrees_with_the_ebur128_crate() {
        for (rate, channels) in [(44_100, 2), (48_000, 1), (22_050, 2), (48_000, 6)] {
            let (ours, reference) = measure(&programme(rate, 20, channels), rate);
            let i = reference.loudness_global().unwrap();
            assert!((ours.integrated.unwrap() - i).abs() < 0.05, "{rate}/{channels}: {ours:?} vs {i}");
            let tp = (0..channels as u32).map(|c| reference.true_peak(c).unwrap()).fold(0.0, f64::max);
            let tp = 20.0 * tp.log10();
            assert!((ours.true_peak.unwrap() - tp).abs() < 0.3, "{rate}/{channels}: {ours:?} vs {tp}");
            // The crate takes short-term loudness once a second, Tech 3342 (and ffmpeg) ten
            // times, which on 20 seconds of programme moves the percentiles; the API tests hold
            // the range to ffmpeg's.
            let lra = reference.loudness_range().unwrap();
            assert!((ours.range.unwrap() - lra).abs() < 2.5, "{rate}/{channels}: {ours:?} vs {lra}");
        }
    }

    #[test]
    fn silence_has_no_loudness() {
        let (ours, _) = measure(&[vec![0.0; 48_000 * 3], vec![0.0; 48_000 * 3]], 48_000);
        assert_eq!((ours.integrated, ours.true_peak), (None, None));
        assert_eq!((ours.silence_start_ms, ours.silence_end_ms, ours.silence_ms), (3000, 0, 3000));
    }
}

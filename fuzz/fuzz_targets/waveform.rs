#![no_main]
//! The peak collector and its SVG rendering on arbitrary sample streams and stored peaks.

use libfuzzer_sys::fuzz_target;
use mediadesk::media::file::waveform::{BINS, PeakCollector, pairs, svg_path};

fuzz_target!(|data: &[u8]| {
    let Some((&head, rest)) = data.split_first() else { return };
    let channels = usize::from(head % 8) + 1;
    let estimate = (head & 0x80 != 0).then(|| rest.len() as u64 / 2);
    let samples: Vec<f32> = rest.iter().map(|b| f32::from(*b as i8) / 64.0).collect();
    let planes: Vec<Vec<f32>> =
        (0..channels).map(|ch| samples.iter().skip(ch).step_by(channels).copied().collect()).collect();
    let planes: Vec<&[f32]> = planes.iter().map(Vec::as_slice).collect();
    let mut c = PeakCollector::new(estimate);
    c.push_planes(&planes);
    let peaks = c.finish();
    assert_eq!(peaks.len(), 2 * BINS);
    let _ = pairs(rest, usize::from(head));
    let _ = svg_path(rest, usize::from(head));
});

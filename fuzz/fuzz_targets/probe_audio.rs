#![no_main]
//! Audio probing (metadata, full decode, waveform) on arbitrary bytes of each accepted type.

mod upstream;

use libfuzzer_sys::fuzz_target;
use mediadesk::domain::MediaKind;
use mediadesk::media::file::probe_audio::analyse_audio;
use mediadesk::media::file::sniff::{Sniffed, sniff};

fuzz_target!(|data: &[u8]| {
    upstream::abort_only_on_own_panics();
    let Sniffed::Type(t) = sniff(data) else { return };
    if t.kind() != MediaKind::Audio {
        return;
    }
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    std::io::Write::write_all(&mut file, data).expect("write");
    if let Ok((info, peaks)) = analyse_audio(file.path(), t, 0) {
        assert!(info.duration_ms >= 0 && info.sample_rate > 0 && info.channels > 0);
        assert_eq!(peaks.len(), 2 * mediadesk::media::file::waveform::BINS);
    }
});

#![no_main]
//! The type sniffer sees the first bytes of every upload: it must never panic or loop.

use libfuzzer_sys::fuzz_target;
use mediadesk::media::file::sniff::{Sniffed, is_mp3_frame_header, sniff};

fuzz_target!(|data: &[u8]| {
    if let Sniffed::NeedOffset(n) = sniff(data) {
        assert!(n >= 10, "an ID3 skip always moves forward");
    }
    let _ = is_mp3_frame_header(data);
});

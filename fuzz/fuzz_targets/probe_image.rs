#![no_main]
//! Image probing on arbitrary bytes (as the upload path does, through a file): an error is fine,
//! a panic, a hang or an allocation past the decode limits is not.

mod upstream;

use libfuzzer_sys::fuzz_target;
use mediadesk::media::file::decode::ImageLimits;
use mediadesk::media::file::probe_image::probe_image;
use mediadesk::media::file::sniff::{Sniffed, sniff};

fuzz_target!(|data: &[u8]| {
    upstream::abort_only_on_own_panics();
    let Sniffed::Type(t) = sniff(data) else { return };
    if t.kind() != mediadesk::domain::MediaKind::Image {
        return;
    }
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    std::io::Write::write_all(&mut file, data).expect("write");
    // Small limits keep each run fast; the logic under test is the same.
    let limits = ImageLimits { max_side: 4096, max_pixels: 4_000_000, max_alloc: 64 * 1024 * 1024 };
    let _ = probe_image(file.path(), t, &limits, 320, true);
});

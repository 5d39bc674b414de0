#![no_main]
//! Turning arbitrary bytes as a JPEG (what a rotted stored file would be): an error is fine, a
//! panic or a file that shrank is not.

mod upstream;

use libfuzzer_sys::fuzz_target;
use mediadesk::domain::Turn;
use mediadesk::media::file::turn::turn_jpeg;

fuzz_target!(|data: &[u8]| {
    upstream::abort_only_on_own_panics();
    let turn = [Turn::Left, Turn::Right, Turn::Half, Turn::Mirror][data.len() % 4];
    if let Ok(turned) = turn_jpeg(data, turn) {
        assert!(turned.len() >= data.len(), "a turn only changes or adds bytes");
    }
});

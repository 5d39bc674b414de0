#![no_main]
//! Turning arbitrary bytes as a JPEG, PNG, GIF or WebP (what a rotted stored file would be): an
//! error is fine, a panic is not, nor a JPEG that shrank (its turn only changes or adds bytes).

mod upstream;

use libfuzzer_sys::fuzz_target;
use mediadesk::domain::Turn;
use mediadesk::media::file::turn::turn_image;

fuzz_target!(|data: &[u8]| {
    upstream::abort_only_on_own_panics();
    let turn = [Turn::Left, Turn::Right, Turn::Half, Turn::Mirror][data.len() % 4];
    let kind = if data.starts_with(b"\x89PNG") {
        "image/png"
    } else if data.starts_with(b"GIF8") {
        "image/gif"
    } else if data.starts_with(b"RIFF") {
        "image/webp"
    } else {
        "image/jpeg"
    };
    if let Ok(turned) = turn_image(kind, data, turn)
        && kind == "image/jpeg"
    {
        assert!(turned.len() >= data.len(), "a turn only changes or adds bytes");
    }
});

//! Which panics are findings. Mediadesk refuses a file whose third-party decoder panics on it
//! (`media::contained`) — the behaviour users get and the tests check — and such panics are
//! reported upstream. A panic in Mediadesk's own code is what the fuzzer is here to find.

use std::sync::Once;

/// Keeps libFuzzer's aborting panic hook for panics raised in Mediadesk's code and lets panics
/// raised inside dependencies unwind into the guard, as they do in the server.
pub fn abort_only_on_own_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let upstream = info.location().is_some_and(|l| l.file().contains("/.cargo/registry/"));
            if !upstream {
                fuzzer_hook(info);
            }
        }));
    });
}

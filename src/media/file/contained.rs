//! The decoders we depend on (symphonia, image) are Rust, but not free of panics on hostile
//! bytes: `fuzz/probe_audio` found an integer overflow in symphonia's MP4 timing table. A panic
//! inside a decoder says the file cannot be read, not that Mediadesk failed, so every probe runs
//! inside this guard and such a file is refused like any other damaged one.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::FileError;
use super::sniff::MediaType;

/// Runs `probe`; a panic inside it becomes a `Corrupt` refusal of a `t` file.
pub fn contained<T>(t: MediaType, probe: impl FnOnce() -> Result<T, FileError>) -> Result<T, FileError> {
    // Nothing `probe` touched outlives it but its own locals, so no broken state is observed.
    catch_unwind(AssertUnwindSafe(probe)).unwrap_or_else(|_| {
        tracing::warn!(kind = t.label(), "a decoder panicked on an uploaded file; refused as unreadable");
        Err(FileError::Corrupt(format!("the {} could not be read: its decoder failed on it", t.label())))
    })
}

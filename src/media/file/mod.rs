//! File analysis, bytes in and facts out: what a file is (sniff), what it holds (probe), its
//! pixels and thumbnail (decode, thumbnail) and its waveform. Nothing here knows the database or
//! the object store; the service in `media` decides what to do with the facts.

pub mod contained;
mod containers;
pub mod cpu_pool;
pub mod decode;
pub mod display;
pub mod embedded;
mod error;
pub mod frames;
pub mod inspect;
pub mod look;
pub mod loudness;
pub mod meter_threads;
mod pcm16;
pub mod privacy;
pub mod probe_audio;
pub mod probe_image;
pub mod rendition;
pub mod shot;
pub mod sniff;
pub mod sound;
pub mod thumbnail;
pub mod turn;
pub mod waveform;

pub use error::FileError;
pub use sniff::MediaType;

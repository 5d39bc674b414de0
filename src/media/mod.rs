//! The media service: validation, probing, signed URLs and ownership checks over the database
//! and the object store. Other code uses [`MediaService`] and the DTOs, never rows.

pub mod access;
mod contained;
mod cpu_pool;
mod decode;
pub mod dto;
mod error;
pub mod filename;
mod gallery;
pub mod inspect;
pub mod probe_audio;
pub mod probe_image;
mod reconcile;
mod service;
mod signed;
pub mod sniff;
pub mod spool;
mod synthetic;
pub mod thumbnail;
mod upload;
pub mod waveform;

pub use access::Actor;
pub use dto::*;
pub use error::MediaError;
pub use gallery::{GalleryItem, GalleryPage, GalleryRequest};
pub use reconcile::{DEFAULT_GRACE, ReconcileReport};
pub use service::{MAX_TRANSCRIPT_CHARS, MediaService, MediaSettings, RetryReport};
pub use signed::SignedObject;
pub use sniff::{MediaKind, MediaType};

//! The media service: validation, probing, signed URLs and ownership checks over the database
//! and the object store. Other code uses [`MediaService`] and the DTOs, never rows. What a file
//! is and holds is found by [`file`], which knows neither the database nor the store.

pub mod access;
mod alike;
mod alike_groups;
mod aside;
mod backfill;
mod bulk_edit;
mod collections;
mod delete;
mod describe;
pub mod dto;
mod duplicates;
mod error;
pub mod file;
pub mod filename;
mod focal;
mod gallery;
mod later;
mod link_import;
mod neighbours;
mod patch;
mod pieces;
mod privacy;
mod public_net;
mod quota;
mod reconcile;
mod regions;
mod resumable;
mod seen;
mod service;
mod shares;
mod signed;
pub mod spool;
mod tags;
mod trash;
mod turn;
mod upload;
mod versions;
mod zip;

/// What callers hand in and get back for bodies and ranges; the store defines them.
pub use crate::storage::{ByteRange, ByteStream};
pub use access::Actor;
pub use alike::{Alike, Likeness, LookAlike, MAX_ALIKE};
pub use alike_groups::{AlikeGroup, AlikeMember, KeptAlike, MAX_ALIKE_GROUPS, MAX_GROUP_ITEMS};
pub use backfill::Backfilled;
pub use bulk_edit::{BulkEdit, BulkOutcome, MAX_VIEW_EDIT, MAX_VIEW_TURN, ViewMembers};
pub use collections::MAX_NAME_CHARS;
pub use delete::{Deleted, RetryReport};
pub use describe::{MAX_ALT_TEXT, MAX_CAPTION, MAX_CREDIT, MAX_TITLE, clean_description};
pub use dto::*;
pub use duplicates::{DuplicateGroup, DuplicateItem};
pub use error::{MediaError, Refusal};
pub use file::sound::Shared;
pub use gallery::{GalleryItem, GalleryPage, StreamPlan};
pub use link_import::LinkImport;
pub use neighbours::Neighbours;
pub use patch::ItemPatch;
pub use pieces::{Piece, PieceChecksum};
pub use public_net::Reachable;
pub use quota::Usage;
pub use reconcile::{DEFAULT_GRACE, ReconcileReport};
pub use regions::{RegionInput, RegionRead};
pub use seen::{Clash, Seen, fingerprint, merge_description};
pub use service::{MAX_TRANSCRIPT_CHARS, MediaService, MediaSettings, Readiness};
pub use shares::{
    CreatedShare, MAX_SHARE_NOTE, Opened, SHARE_MAX_LIFETIME, SHARE_MIN_LIFETIME, SHARES_PAGE, ShareFile,
    ShareGate, SharePage, ShareRead, ShareRequest, ShareState, SharedItem, Unlock, lifetime_words,
};
pub use signed::SignedObject;
pub use tags::{MAX_TAG_CHARS, clean_tag, split_tags};
pub use trash::{TRASH_PAGE, TrashPage, TrashedItem};
pub use turn::{ANIMATION_NOT_CROPPED, ANIMATION_NOT_TURNED, NOT_TURNABLE};
pub use versions::{Replaced, VersionRead};
pub use zip::{MAX_ZIP_ITEMS, ZipPlan};

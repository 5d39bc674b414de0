//! Repos return rows and never commit on their own: the caller owns the transaction.
//!
//! A lookup by a unique key ends in `get_result`, not `first`: `first` binds `LIMIT 1` as a
//! parameter, and SQLite re-prepares a statement whose LIMIT is bound every time it runs (the
//! planner may have used the value). Measured on the gallery pages, which do a dozen such lookups
//! each, that re-prepare was most of their cost; hot lists with a fixed size say it in the SQL.

mod alike;
mod alike_groups;
mod audio;
mod audit;
mod collection;
mod duplicate;
mod gallery;
mod image;
mod lifecycle;
mod load;
mod pending;
mod region;
mod resumable;
mod search;
mod share;
mod sign_on;
mod sound;
mod sql;
mod streams;
mod tag;
mod token;
mod trash;
mod usage;
mod user;
mod version;
mod webhook;

pub use alike::AlikeRepo;
pub use alike_groups::{AlikeGroupRepo, KEY_PAIRS};
pub use audio::AudioRepo;
pub use audit::{AuditCursor, AuditRepo};
pub use collection::CollectionRepo;
pub use duplicate::{DuplicateRepo, Member};
pub use gallery::{GalleryRepo, SEARCH_COUNT_CAP, Total, cursor_after};
pub use image::{ImageKeys, ImageRepo};
pub use lifecycle::LifecycleRepo;
pub use load::{LOAD_COLLECTIONS, LoadRepo};
pub use pending::PendingDeletionRepo;
pub use region::RegionRepo;
pub use resumable::{Advance, ResumableRepo};
pub use share::{ShareCursor, ShareRepo, ShareScope};
pub use sign_on::SignOnRepo;
pub use sound::SoundRepo;
pub use streams::{Cursor, SortValue};
pub use tag::TagRepo;
pub use token::TokenRepo;
pub use trash::{Snapshot, TrashCursor, TrashRepo, TrashedRow};
pub use usage::UsageRepo;
pub use user::UserRepo;
pub use version::VersionRepo;
pub use webhook::WebhookRepo;

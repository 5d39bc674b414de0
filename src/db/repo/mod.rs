//! Repos return rows and never commit on their own: the caller owns the transaction.

mod audio;
mod gallery;
mod image;
mod media_table;
mod pending;
mod user;

pub use audio::AudioRepo;
pub use gallery::{
    Cursor, GalleryQuery, GalleryRepo, GallerySort, KindFilter, SEARCH_COUNT_CAP, SortValue, Total, sort_key,
};
pub use image::ImageRepo;
pub use pending::PendingDeletionRepo;
pub use user::UserRepo;

/// Whose media a listing covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerFilter {
    /// Everything (staff views).
    Any,
    /// System media only (`owner_id IS NULL`).
    System,
    /// One user's media.
    User(i64),
    /// What a user sees: their own media and system media.
    Visible(i64),
}

/// Offset pagination; `limit` is clamped by the service.
#[derive(Debug, Clone, Copy)]
pub struct PageParams {
    pub limit: i64,
    pub offset: i64,
}

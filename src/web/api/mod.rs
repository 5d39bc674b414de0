//! The JSON API, `/api/v1/…`: what a script or another site reads of the library (listings with
//! the galleries' filters and paging, one item with its links, the collections), and the
//! changes it makes: an item's description, transcript and tags (`PATCH`), its file (a replace
//! or a turn), its share links and its delete, and the collections themselves. A session uses
//! it as the pages do (a change with its CSRF token as `X-CSRF-Token`); a script sends an
//! access token of the scopes the address needs. New files arrive by the upload form's post
//! and tus, which a token of the upload scope reaches. Every answer, refusals included, is
//! JSON; what it holds is the contract `/api/v1/openapi.json` and the README document, written
//! here field by field rather than derived from the service's DTOs, so that a change inside
//! never changes it.

mod body;
mod changes;
mod collections;
pub mod cors;
mod files;
mod groups;
mod json;
mod media;
mod shares;
mod spec;

pub use changes::{delete, patch, restore};
pub use collections::{
    change as change_collection, create as create_collection, delete as delete_collection,
};
pub use files::{alike, crop, replace, roll_back, turn, versions};
pub use groups::{alike_again, alike_groups, keep_alike, keep_apart};
pub use media::{collection, collections, item, list, tags};
pub use shares::{all as all_shares, create as create_share, list as shares, revoke as revoke_share};
pub use spec::openapi;

//! The address of one item, `/media/{kind}/{id}`, as the item's pages take it.

use serde::Deserialize;

use crate::domain::MediaKind;

/// `/media/{kind}/{id}`: a kind that is not one answers 404.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct MediaPath {
    pub(super) kind: MediaKind,
    pub(super) id: i64,
}

impl MediaPath {
    pub(super) fn url(self) -> String {
        format!("/media/{}/{}", self.kind, self.id)
    }
}

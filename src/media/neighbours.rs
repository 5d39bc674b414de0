//! Walking a gallery's set from one item to the next: the item before and after it in the set's
//! own order, each one index walk from the item's place, across page boundaries.

use super::MediaError;
use super::access::Actor;
use super::service::MediaService;
use crate::db::repo::{Cursor, GalleryRepo, SortValue};
use crate::domain::{GalleryQuery, GallerySort, MediaKind};

/// The items just before and just after one in a set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Neighbours {
    pub previous: Option<(MediaKind, i64)>,
    pub next: Option<(MediaKind, i64)>,
}

impl MediaService {
    /// The neighbours of an item the actor may see, in the set `query` describes (its filters
    /// and order; its position and page size are ignored).
    pub async fn neighbours(
        &self,
        actor: &Actor,
        query: &GalleryQuery,
        (kind, id): (MediaKind, i64),
    ) -> Result<Neighbours, MediaError> {
        Self::check_list(actor, query.owner)?;
        let item = self.item(kind, id).await?;
        actor.check_view(item.media.owner_id())?;
        if let Some(collection) = query.collection {
            self.check_collection_visible(actor, collection).await?;
        }
        let (created_at, size) = item.media.created_and_size();
        let mut pooled = self.db.get().await?;
        let value = match query.order() {
            GallerySort::Newest => SortValue::Time(created_at),
            GallerySort::Name => SortValue::Name(item.media.filename().to_owned()),
            GallerySort::Size => SortValue::Size(size),
            GallerySort::Relevance => {
                SortValue::Rank(GalleryRepo::rank_of(&mut pooled.conn(), query, (kind, id)).await?)
            }
        };
        let here = Cursor { value, kind, id };
        let one = |backwards| GalleryQuery { cursor: None, backwards, per_page: 1, ..query.clone() };
        let (before, _) = GalleryRepo::page(&mut pooled.conn(), &one(true), Some(&here)).await?;
        let (after, _) = GalleryRepo::page(&mut pooled.conn(), &one(false), Some(&here)).await?;
        Ok(Neighbours {
            previous: before.first().map(|r| (r.kind, r.id)),
            next: after.first().map(|r| (r.kind, r.id)),
        })
    }
}

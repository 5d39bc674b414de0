//! The gallery read model: one listing over images and audio, filtered, sorted and paged by
//! keyset, each entry with the signed URL of its preview.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use super::dto::{CollectionDetail, Health};
use super::service::MediaService;
use super::{Actor, MediaError};
use crate::db::repo::{Cursor, GalleryRepo, SortValue, Total, cursor_after};
use crate::db::rows::MediaItemRow;
use crate::domain::{
    Focal, GalleryQuery, GallerySort, KindFilter, MAX_PER_PAGE, MediaKind, Only, Owner, OwnerFilter,
};
use crate::storage::{SignedUrlOptions, StorageKey};

/// Gallery URLs are issued on the hour and live two: the same object keeps the same URL for an
/// hour, so browsers cache thumbnails across page views, and a URL always has ≥ 1 h left.
const URL_BUCKET_SECS: i64 = 3600;
const URL_TTL: Duration = Duration::from_secs(2 * 3600);

#[derive(Debug, Clone, Serialize)]
pub struct GalleryItem {
    pub kind: MediaKind,
    pub id: i64,
    pub owner: Owner,
    pub filename: String,
    pub title: Option<String>,
    /// Of an image: what a screen reader says instead of it.
    pub alt_text: Option<String>,
    pub content_type: String,
    pub byte_size: i64,
    pub created_at: NaiveDateTime,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// 1, or an animation's frames.
    pub frames: i32,
    pub duration_ms: Option<i64>,
    /// Waveform (min, max) pairs: all of them, or the [`GALLERY_BINS`] that draw the same
    /// gallery strokes where the database keeps those.
    ///
    /// [`GALLERY_BINS`]: crate::media::file::waveform::GALLERY_BINS
    #[serde(skip)]
    pub peaks: Option<Vec<u8>>,
    /// Signed URL of the thumbnail (images).
    pub thumb_url: Option<String>,
    /// The thumbnail's ThumbHash, base64 (images; `None` until backfilled).
    pub placeholder: Option<String>,
    /// The spot a crop to another shape keeps (images; `None`: none chosen).
    pub focal: Option<Focal>,
    /// Signed URL of what the row player plays (audio: the file, or its playable rendition).
    pub media_url: Option<String>,
    pub can_manage: bool,
    /// Audio: loudness, peak and flags.
    pub health: Health,
}

#[derive(Debug, Clone, Serialize)]
pub struct GalleryPage {
    pub items: Vec<GalleryItem>,
    /// Items matching the filters on all pages (for a search: counted up to a cap).
    pub total: i64,
    /// `total` is a lower bound: a search matched more than it counts.
    pub total_is_lower_bound: bool,
    pub next_cursor: Option<String>,
    pub prev_cursor: Option<String>,
}

fn sort_code(sort: GallerySort) -> char {
    match sort {
        GallerySort::Newest => 't',
        GallerySort::Name => 'n',
        GallerySort::Size => 's',
        GallerySort::Relevance => 'r',
    }
}

/// `{sort}~{kind}~{id}~{value}`, all URL-safe; names are hex so any character survives.
fn encode_cursor(sort: GallerySort, row: &MediaItemRow) -> String {
    let value = match sort {
        // Nanoseconds: SQLite keeps whatever precision was written, so micros could miss a row.
        GallerySort::Newest => row.created_at.and_utc().timestamp_nanos_opt().unwrap_or(i64::MAX).to_string(),
        GallerySort::Name => hex::encode(row.original_filename.as_bytes()),
        GallerySort::Size => row.byte_size.to_string(),
        GallerySort::Relevance => row.rank.to_string(),
    };
    format!("{}~{}~{}~{value}", sort_code(sort), row.kind, row.id)
}

/// One stream query of a gallery page and the plan the database chose for it.
#[derive(Debug, Clone, Serialize)]
pub struct StreamPlan {
    /// Which order and page, e.g. `Newest, last page`.
    pub page: String,
    /// One plan per (table, owner) stream.
    pub plans: Vec<String>,
}

fn decode_cursor(sort: GallerySort, raw: &str) -> Result<Cursor, MediaError> {
    let bad = || MediaError::Invalid("this page link is no longer valid; start from the first page".into());
    let mut parts = raw.splitn(4, '~');
    let (Some(code), Some(kind), Some(id), Some(value)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if !code.starts_with(sort_code(sort)) {
        return Err(bad());
    }
    let kind: MediaKind = kind.parse().map_err(|_| bad())?;
    let id = id.parse().map_err(|_| bad())?;
    let value = match sort {
        GallerySort::Newest => {
            let nanos: i64 = value.parse().map_err(|_| bad())?;
            SortValue::Time(DateTime::<Utc>::from_timestamp_nanos(nanos).naive_utc())
        }
        GallerySort::Name => {
            SortValue::Name(String::from_utf8(hex::decode(value).map_err(|_| bad())?).map_err(|_| bad())?)
        }
        GallerySort::Size => SortValue::Size(value.parse().map_err(|_| bad())?),
        GallerySort::Relevance => SortValue::Rank(value.parse().map_err(|_| bad())?),
    };
    Ok(Cursor { value, kind, id })
}

impl MediaService {
    /// A page of the gallery the actor may see.
    pub async fn gallery(&self, actor: &Actor, query: &GalleryQuery) -> Result<GalleryPage, MediaError> {
        Self::check_list(actor, query.owner)?;
        // A collection's items are listed only to someone who may see the collection.
        if let Some(collection) = query.collection {
            self.check_collection_visible(actor, collection).await?;
        }
        self.listed(actor, query, None).await
    }

    /// The page of a collection's gallery, whose `seen` is what [`MediaService::collection`]
    /// answered this actor: it has checked that they may see it, which `gallery` would check
    /// again.
    pub async fn collection_gallery(
        &self,
        actor: &Actor,
        seen: &CollectionDetail,
        query: &GalleryQuery,
    ) -> Result<GalleryPage, MediaError> {
        Self::check_list(actor, query.owner)?;
        let query = GalleryQuery { collection: Some(seen.collection.id), ..query.clone() };
        // The header counted the whole collection from the counts the gallery would read
        // again: that is the total when the view is the whole collection (staff, no filter).
        let whole = query.owner == OwnerFilter::Any
            && query.kind == KindFilter::Any
            && query.tags.is_empty()
            && query.search_text().is_none()
            && query.only.is_none();
        self.listed(actor, &query, whole.then_some(seen.collection.items)).await
    }

    /// Every row of the view `query` describes (its filters and order, not its position), in
    /// order, a page of [`MAX_PER_PAGE`] at a time, after the checks a page of it makes; `each`
    /// may stop the walk with an error (a cap reached).
    pub(super) async fn walk_view(
        &self,
        actor: &Actor,
        query: &GalleryQuery,
        mut each: impl FnMut(&MediaItemRow) -> Result<(), MediaError>,
    ) -> Result<(), MediaError> {
        Self::check_list(actor, query.owner)?;
        if let Some(collection) = query.collection {
            self.check_collection_visible(actor, collection).await?;
        }
        let query = GalleryQuery { cursor: None, backwards: false, per_page: MAX_PER_PAGE, ..query.clone() };
        let mut cursor = None;
        let mut pooled = self.db.get().await?;
        loop {
            let (rows, more) = GalleryRepo::page(&mut pooled.conn(), &query, cursor.as_ref()).await?;
            for row in &rows {
                each(row)?;
            }
            match rows.last() {
                Some(last) if more => cursor = Some(cursor_after(query.order(), last)),
                _ => return Ok(()),
            }
        }
    }

    /// A page of `query`, with `total` when the caller knows it.
    async fn listed(
        &self,
        actor: &Actor,
        query: &GalleryQuery,
        total: Option<i64>,
    ) -> Result<GalleryPage, MediaError> {
        let cursor = query.cursor.as_deref().map(|c| decode_cursor(query.order(), c)).transpose()?;
        let mut pooled = self.db.get().await?;
        let (rows, more, total) = match total {
            Some(n) => GalleryRepo::page_of_total(&mut pooled.conn(), query, cursor.as_ref(), n).await?,
            None => GalleryRepo::page_and_total(&mut pooled.conn(), query, cursor.as_ref()).await?,
        };
        drop(pooled);

        let had_cursor = cursor.is_some();
        let (has_prev, has_next) = if query.backwards { (more, had_cursor) } else { (had_cursor, more) };
        let prev_cursor = rows.first().filter(|_| has_prev).map(|r| encode_cursor(query.order(), r));
        let next_cursor = rows.last().filter(|_| has_next).map(|r| encode_cursor(query.order(), r));

        let issued = Utc::now().timestamp() / URL_BUCKET_SECS * URL_BUCKET_SECS;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            items.push(self.gallery_item(actor, row, issued).await?);
        }
        let (total, total_is_lower_bound) = match total {
            Total::Exact(n) => (n, false),
            Total::AtLeast(n) => (n, true),
        };
        Ok(GalleryPage { items, total, total_is_lower_bound, next_cursor, prev_cursor })
    }

    async fn gallery_item(
        &self,
        actor: &Actor,
        row: MediaItemRow,
        issued: i64,
    ) -> Result<GalleryItem, MediaError> {
        let kind = row.kind;
        let sign = |key: String, mime: String| async move {
            let key = StorageKey::parse(&key)?;
            let options = SignedUrlOptions {
                ttl: URL_TTL,
                content_type: Some(mime),
                download_name: None,
                issued_at: Some(issued),
            };
            Ok::<_, MediaError>(self.store.signed_url(&key, &options).await?)
        };
        let (thumb_url, media_url) = match kind {
            MediaKind::Image => match row.preview_key.clone() {
                Some(k) => (Some(sign(k, "image/jpeg".into()).await?), None),
                None => (None, None),
            },
            MediaKind::Audio => {
                let (key, mime) = match row.preview_key.clone() {
                    Some(play) => (play, "audio/flac".to_owned()),
                    None => (row.storage_key.clone(), row.content_type.clone()),
                };
                (None, Some(sign(key, mime).await?))
            }
        };
        let s = row.sound;
        let health = Health {
            loudness_lufs: s.loudness_lufs,
            true_peak_db: s.true_peak_db,
            quiet: s.quiet,
            clipped: s.clipped,
            mostly_silent: s.mostly_silent,
            ..Health::default()
        };
        Ok(GalleryItem {
            kind,
            id: row.id,
            owner: Owner::from_id(row.owner_id),
            can_manage: actor.can_manage(row.owner_id),
            filename: row.original_filename,
            title: row.title,
            alt_text: row.alt_text,
            content_type: row.content_type,
            byte_size: row.byte_size,
            created_at: row.created_at,
            width: row.width,
            height: row.height,
            frames: row.frames,
            duration_ms: row.duration_ms,
            peaks: row.peaks,
            thumb_url,
            placeholder: row.placeholder,
            focal: row.focal.and_then(|(x, y)| Focal::from_stored(Some(x), Some(y))),
            media_url,
            health,
        })
    }

    /// How the database fetches the first, a middle and the last page of `scope` (within a
    /// collection, for a search and with an "only" filter, when given) in each order
    /// (relevance only for a search).
    /// For `mediadesk explain` and the test that every plan walks an index.
    pub async fn gallery_plans(
        &self,
        scope: OwnerFilter,
        collection: Option<i64>,
        search: Option<String>,
        only: Option<Only>,
    ) -> Result<Vec<StreamPlan>, MediaError> {
        let mut out = Vec::new();
        let mut pooled = self.db.get().await?;
        let sorts = GallerySort::ALL.into_iter().filter(|s| *s != GallerySort::Relevance || search.is_some());
        for sort in sorts {
            let first = GalleryQuery {
                sort,
                search: search.clone(),
                per_page: 50,
                kind: KindFilter::Any,
                collection,
                only,
                ..GalleryQuery::new(scope)
            };
            let (rows, _) = GalleryRepo::page(&mut pooled.conn(), &first, None).await?;
            let middle = rows.last().map(|r| cursor_after(sort, r));
            let last = GalleryQuery { backwards: true, ..first.clone() };
            let pages = [
                ("first page", &first, None),
                ("next page", &first, middle.as_ref()),
                ("last page", &last, None),
            ];
            for (page, query, cursor) in pages {
                if page == "next page" && cursor.is_none() {
                    continue;
                }
                let plans = GalleryRepo::plans(&mut pooled.conn(), query, cursor).await?;
                out.push(StreamPlan { page: format!("{sort:?}, {page}"), plans });
            }
        }
        Ok(out)
    }
}

//! The gallery listing over both kinds (`media_items` view) with keyset pagination, so the last
//! page costs what the first does.

use chrono::NaiveDateTime;
use diesel::expression::functions::declare_sql_function;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use diesel_async::RunQueryDsl;

use super::OwnerFilter;
use super::media_table::owner_filtered;
use crate::db::rows::MediaItemRow;
use crate::db::schema::media_items::dsl as m;
use crate::db::{DbConn, DbError, run};

#[declare_sql_function]
extern "SQL" {
    fn lower(x: Text) -> Text;
    #[sql_name = "lower"]
    fn lower_opt(x: Nullable<Text>) -> Nullable<Text>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindFilter {
    Any,
    Image,
    Audio,
}

/// Gallery orders; each has a fixed direction and ties break on (kind, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GallerySort {
    /// Newest first.
    Newest,
    /// File name A→Z.
    Name,
    /// Largest first.
    Size,
}

impl GallerySort {
    fn descending(self) -> bool {
        !matches!(self, GallerySort::Name)
    }
}

/// The sort value of the item a page starts after (or ends before).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortValue {
    Time(NaiveDateTime),
    Name(String),
    Size(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub value: SortValue,
    pub kind: String,
    pub id: i64,
}

#[derive(Debug, Clone)]
pub struct GalleryQuery {
    pub owner: OwnerFilter,
    pub kind: KindFilter,
    /// Matched case-insensitively against file names and transcripts.
    pub search: Option<String>,
    pub sort: GallerySort,
    pub cursor: Option<Cursor>,
    /// Walk against the sort order (the "previous" and "last" links).
    pub backwards: bool,
    pub limit: i64,
}

pub struct GalleryRepo;

/// `%` and `_` in a search are literal characters, not wildcards.
fn like_pattern(search: &str) -> String {
    let mut p = String::with_capacity(search.len() + 2);
    p.push('%');
    for c in search.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

macro_rules! filtered {
    ($q:expr) => {{
        let query: &GalleryQuery = $q;
        let mut q = owner_filtered!(m, media_items, query.owner);
        match query.kind {
            KindFilter::Any => {}
            KindFilter::Image => q = q.filter(m::kind.eq("image")),
            KindFilter::Audio => q = q.filter(m::kind.eq("audio")),
        }
        if let Some(s) = query.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let pattern = like_pattern(s);
            q = q.filter(
                lower(m::original_filename)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower_opt(m::transcript).like(pattern).escape('\\').assume_not_null()),
            );
        }
        q
    }};
}

/// Applies the keyset condition and order for one sort column.
macro_rules! keyset {
    ($q:expr, $col:expr, $value:expr, $cursor:expr, $less:expr) => {{
        let mut q = $q;
        if let Some(c) = $cursor {
            let (v, k, id) = ($value, c.kind.clone(), c.id);
            q = if $less {
                q.filter(
                    $col.lt(v.clone())
                        .or($col.eq(v).and(m::kind.lt(k.clone()).or(m::kind.eq(k).and(m::id.lt(id))))),
                )
            } else {
                q.filter(
                    $col.gt(v.clone())
                        .or($col.eq(v).and(m::kind.gt(k.clone()).or(m::kind.eq(k).and(m::id.gt(id))))),
                )
            };
        }
        if $less {
            q.order(($col.desc(), m::kind.desc(), m::id.desc()))
        } else {
            q.order(($col.asc(), m::kind.asc(), m::id.asc()))
        }
    }};
}

impl GalleryRepo {
    /// One page in display order, plus whether more items lie in the direction of travel.
    pub async fn page(
        conn: &mut DbConn<'_>,
        query: &GalleryQuery,
    ) -> Result<(Vec<MediaItemRow>, bool), DbError> {
        let less = query.sort.descending() != query.backwards;
        let cursor = query.cursor.as_ref();
        let time = |c: &Cursor| match &c.value {
            SortValue::Time(t) => Ok(*t),
            _ => Err(DbError::Config("cursor does not match the sort".into())),
        };
        let name = |c: &Cursor| match &c.value {
            SortValue::Name(n) => Ok(n.clone()),
            _ => Err(DbError::Config("cursor does not match the sort".into())),
        };
        let size = |c: &Cursor| match &c.value {
            SortValue::Size(s) => Ok(*s),
            _ => Err(DbError::Config("cursor does not match the sort".into())),
        };
        let fetch = query.limit + 1;
        let mut rows: Vec<MediaItemRow> = match query.sort {
            GallerySort::Newest => {
                let v = cursor.map(time).transpose()?;
                run!(conn, |c| keyset!(filtered!(query), m::created_at, v.unwrap_or_default(), cursor, less)
                    .limit(fetch)
                    .select(MediaItemRow::as_select())
                    .load(c)
                    .await)?
            }
            GallerySort::Name => {
                let v = cursor.map(name).transpose()?;
                run!(conn, |c| keyset!(
                    filtered!(query),
                    m::original_filename,
                    v.clone().unwrap_or_default(),
                    cursor,
                    less
                )
                .limit(fetch)
                .select(MediaItemRow::as_select())
                .load(c)
                .await)?
            }
            GallerySort::Size => {
                let v = cursor.map(size).transpose()?;
                run!(conn, |c| keyset!(filtered!(query), m::byte_size, v.unwrap_or_default(), cursor, less)
                    .limit(fetch)
                    .select(MediaItemRow::as_select())
                    .load(c)
                    .await)?
            }
        };
        let more = rows.len() as i64 > query.limit;
        rows.truncate(query.limit as usize);
        if query.backwards {
            rows.reverse();
        }
        Ok((rows, more))
    }

    /// Items matching the filters, whatever the page.
    pub async fn count(conn: &mut DbConn<'_>, query: &GalleryQuery) -> Result<i64, DbError> {
        Ok(run!(conn, |c| filtered!(query).count().get_result::<i64>(c).await)?)
    }
}

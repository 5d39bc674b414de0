//! The gallery listing over both kinds with keyset pagination, written so that every query walks
//! an index: a page is merged from one stream per (table, owner) pair, each an index range scan
//! in sort order that stops after a page's worth of rows. The last page costs what the first
//! does, and so does page 2 000. Totals come from `media_counts`, which triggers keep.

use chrono::NaiveDateTime;
use diesel::expression::functions::declare_sql_function;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use diesel_async::RunQueryDsl;

use super::OwnerFilter;
use crate::db::explain::ExplainOn;
use crate::db::rows::{AudioItemRow, ImageItemRow, MediaItemRow};
use crate::db::schema::{audios, images, media_counts};
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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
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

/// How many matches a search counts before it says "more than".
pub const SEARCH_COUNT_CAP: i64 = 1000;

/// A total: exact, or (for searches) at least this many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    Exact(i64),
    AtLeast(i64),
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

/// One owner condition of a stream; `Visible` needs two streams, so that each stays one index
/// range (an `OR` of owners cannot be walked in sort order).
#[derive(Debug, Clone, Copy)]
enum Owner {
    All,
    System,
    User(i64),
}

fn owners(filter: OwnerFilter) -> Vec<Owner> {
    match filter {
        OwnerFilter::Any => vec![Owner::All],
        OwnerFilter::System => vec![Owner::System],
        OwnerFilter::User(id) => vec![Owner::User(id)],
        OwnerFilter::Visible(id) => vec![Owner::User(id), Owner::System],
    }
}

/// Where a stream of kind `kind` starts relative to the cursor `(value, kind, id)`, given that
/// its rows all share `kind`: past the value, at it (with ids past the cursor's), or at it
/// with every id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum From {
    Past,
    AtWithIdPast,
    AtOrPast,
}

fn from(stream_kind: &str, cursor: &Cursor, forward_kind_order: bool) -> From {
    use std::cmp::Ordering::*;
    // In the direction of travel, does this stream's kind come after the cursor's kind?
    match (stream_kind.cmp(cursor.kind.as_str()), forward_kind_order) {
        (Equal, _) => From::AtWithIdPast,
        (Greater, true) | (Less, false) => From::AtOrPast,
        _ => From::Past,
    }
}

/// `$t` narrowed to one owner and a search pattern, as a boxed query (built inside `run!`, where
/// the backend is known).
macro_rules! narrowed {
    ($t:ident, $owner:expr, $pattern:expr, $search:ident) => {{
        let mut q = match $owner {
            Owner::All => $t::table.into_boxed(),
            Owner::System => $t::table.filter($t::owner_id.is_null()).into_boxed(),
            Owner::User(id) => $t::table.filter($t::owner_id.eq(id)).into_boxed(),
        };
        if let Some(p) = $pattern.clone() {
            q = q.filter($search!(p));
        }
        q
    }};
}

/// One stream: `$t`'s rows of one owner, searched, after the cursor, in order, at most `fetch`.
macro_rules! stream {
    ($conn:expr, $t:ident, $row:ty, $kind:literal, $owner:expr, $query:expr, $search:ident, $fetch:expr, $finish:ident) => {{
        let query: &GalleryQuery = $query;
        let less = query.sort.descending() != query.backwards;
        let pattern = search_pattern(query);
        macro_rules! keyset {
            ($col:expr, $value:expr) => {{
                let start = match query.cursor.as_ref() {
                    Some(c) => Some(($value(c)?, c.id, from($kind, c, !less))),
                    None => None,
                };
                let rows = run!($conn, |c| {
                    let mut q = narrowed!($t, $owner, pattern, $search);
                    if let Some((v, id, from)) = start.clone() {
                        q = match (from, less) {
                            (From::Past, true) => q.filter($col.lt(v)),
                            (From::Past, false) => q.filter($col.gt(v)),
                            (From::AtOrPast, true) => q.filter($col.le(v)),
                            (From::AtOrPast, false) => q.filter($col.ge(v)),
                            // The bound on the column alone keeps it a range scan; the
                            // `OR` only sorts out the rows that share the cursor's value.
                            (From::AtWithIdPast, true) => {
                                q.filter($col.le(v.clone()).and($col.lt(v).or($t::id.lt(id))))
                            }
                            (From::AtWithIdPast, false) => {
                                q.filter($col.ge(v.clone()).and($col.gt(v).or($t::id.gt(id))))
                            }
                        };
                    }
                    let q = if less {
                        q.order(($col.desc(), $t::id.desc()))
                    } else {
                        q.order(($col.asc(), $t::id.asc()))
                    };
                    $finish!(q.limit($fetch).select(<$row>::as_select()), c, $row)
                })?;
                rows
            }};
        }
        match query.sort {
            GallerySort::Newest => keyset!($t::created_at, time),
            GallerySort::Name => keyset!($t::original_filename, name),
            GallerySort::Size => keyset!($t::byte_size, size),
        }
    }};
}

/// Ends a stream's query: its rows, or how the database would get them.
macro_rules! load_rows {
    ($q:expr, $c:expr, $row:ty) => {
        $q.load::<$row>($c).await
    };
}

macro_rules! plan_rows {
    ($q:expr, $c:expr, $row:ty) => {
        ExplainOn::explain($c, $q).await
    };
}

/// How many rows of `$t` (one owner, searched) there are, counting no further than `$cap`.
macro_rules! count_capped {
    ($conn:expr, $t:ident, $owner:expr, $pattern:expr, $search:ident, $cap:expr) => {{
        let ids: Vec<i64> = run!($conn, |c| narrowed!($t, $owner, $pattern, $search)
            .select($t::id)
            .limit($cap)
            .load(c)
            .await)?;
        ids.len() as i64
    }};
}

macro_rules! image_search {
    ($p:expr) => {
        lower(images::original_filename).like($p).escape('\\')
    };
}

macro_rules! audio_search {
    ($p:expr) => {
        lower(audios::original_filename)
            .like($p.clone())
            .escape('\\')
            .or(lower_opt(audios::transcript).like($p).escape('\\').assume_not_null())
    };
}

fn search_pattern(query: &GalleryQuery) -> Option<String> {
    query.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(like_pattern)
}

fn time(c: &Cursor) -> Result<NaiveDateTime, DbError> {
    match &c.value {
        SortValue::Time(t) => Ok(*t),
        _ => Err(DbError::Config("cursor does not match the sort".into())),
    }
}

fn name(c: &Cursor) -> Result<String, DbError> {
    match &c.value {
        SortValue::Name(n) => Ok(n.clone()),
        _ => Err(DbError::Config("cursor does not match the sort".into())),
    }
}

fn size(c: &Cursor) -> Result<i64, DbError> {
    match &c.value {
        SortValue::Size(s) => Ok(*s),
        _ => Err(DbError::Config("cursor does not match the sort".into())),
    }
}

/// The sort key of a row, in the gallery's total order.
pub fn sort_key(sort: GallerySort, row: &MediaItemRow) -> (SortValue, &str, i64) {
    let value = match sort {
        GallerySort::Newest => SortValue::Time(row.created_at),
        GallerySort::Name => SortValue::Name(row.original_filename.clone()),
        GallerySort::Size => SortValue::Size(row.byte_size),
    };
    (value, row.kind, row.id)
}

impl GalleryRepo {
    /// One page in display order, plus whether more items lie in the direction of travel.
    pub async fn page(
        conn: &mut DbConn<'_>,
        query: &GalleryQuery,
    ) -> Result<(Vec<MediaItemRow>, bool), DbError> {
        let fetch = query.limit + 1;
        let mut rows: Vec<MediaItemRow> = Vec::new();
        for owner in owners(query.owner) {
            if query.kind != KindFilter::Audio {
                let found = stream!(
                    conn,
                    images,
                    ImageItemRow,
                    "image",
                    owner,
                    query,
                    image_search,
                    fetch,
                    load_rows
                );
                rows.extend(found.into_iter().map(MediaItemRow::from));
            }
            if query.kind != KindFilter::Image {
                let found = stream!(
                    conn,
                    audios,
                    AudioItemRow,
                    "audio",
                    owner,
                    query,
                    audio_search,
                    fetch,
                    load_rows
                );
                rows.extend(found.into_iter().map(MediaItemRow::from));
            }
        }
        let less = query.sort.descending() != query.backwards;
        rows.sort_by(|a, b| {
            let order = sort_key(query.sort, a).cmp(&sort_key(query.sort, b));
            if less { order.reverse() } else { order }
        });
        let more = rows.len() as i64 > query.limit;
        rows.truncate(query.limit as usize);
        if query.backwards {
            rows.reverse();
        }
        Ok((rows, more))
    }

    /// How the database would fetch one page: the plan of each stream's query.
    pub async fn plans(conn: &mut DbConn<'_>, query: &GalleryQuery) -> Result<Vec<String>, DbError> {
        let fetch = query.limit + 1;
        let mut plans = Vec::new();
        for owner in owners(query.owner) {
            if query.kind != KindFilter::Audio {
                let plan = stream!(
                    conn,
                    images,
                    ImageItemRow,
                    "image",
                    owner,
                    query,
                    image_search,
                    fetch,
                    plan_rows
                );
                plans.push(plan.join("\n"));
            }
            if query.kind != KindFilter::Image {
                let plan = stream!(
                    conn,
                    audios,
                    AudioItemRow,
                    "audio",
                    owner,
                    query,
                    audio_search,
                    fetch,
                    plan_rows
                );
                plans.push(plan.join("\n"));
            }
        }
        Ok(plans)
    }

    /// Items matching the filters on all pages: exact from the counters, or for a search, counted
    /// up to [`SEARCH_COUNT_CAP`].
    pub async fn total(conn: &mut DbConn<'_>, query: &GalleryQuery) -> Result<Total, DbError> {
        let searching = query.search.as_deref().is_some_and(|s| !s.trim().is_empty());
        if !searching {
            return Ok(Total::Exact(Self::counted(conn, query.owner, query.kind).await?));
        }
        let pattern = search_pattern(query);
        let cap = SEARCH_COUNT_CAP + 1;
        let mut n = 0;
        for owner in owners(query.owner) {
            if query.kind != KindFilter::Audio {
                n += count_capped!(conn, images, owner, pattern, image_search, cap);
            }
            if query.kind != KindFilter::Image {
                n += count_capped!(conn, audios, owner, pattern, audio_search, cap);
            }
        }
        Ok(if n > SEARCH_COUNT_CAP { Total::AtLeast(SEARCH_COUNT_CAP) } else { Total::Exact(n) })
    }

    async fn counted(conn: &mut DbConn<'_>, owner: OwnerFilter, kind: KindFilter) -> Result<i64, DbError> {
        use media_counts::dsl as mc;
        let kinds: &[&str] = match kind {
            KindFilter::Any => &["image", "audio"],
            KindFilter::Image => &["image"],
            KindFilter::Audio => &["audio"],
        };
        let owners: Vec<i64> = match owner {
            OwnerFilter::Any => Vec::new(),
            OwnerFilter::System => vec![0],
            OwnerFilter::User(id) => vec![id],
            OwnerFilter::Visible(id) => vec![id, 0],
        };
        let counts: Vec<i64> = run!(conn, |c| {
            let mut q = mc::media_counts.filter(mc::kind.eq_any(kinds)).into_boxed();
            if !owners.is_empty() {
                q = q.filter(mc::owner_key.eq_any(&owners));
            }
            q.select(mc::n).load(c).await
        })?;
        Ok(counts.into_iter().sum())
    }
}

//! The gallery listing over both kinds with keyset pagination, written so that every query walks
//! an index: a page is merged from one stream per (table, owner) pair, each an index range scan
//! in sort order that stops after a page's worth of rows. The last page costs what the first
//! does, and so does page 2 000. Totals come from `media_counts`, which triggers keep.

use chrono::NaiveDateTime;
use diesel::expression::functions::declare_sql_function;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use diesel_async::RunQueryDsl;

use crate::db::explain::ExplainOn;
use crate::db::rows::{AudioItemRow, ImageItemRow, MediaItemRow};
use crate::db::schema::{audios, images, media_counts};
use crate::db::{DbConn, DbError, run};
use crate::domain::{GalleryQuery, GallerySort, KindFilter, MediaKind, OwnerFilter};

#[declare_sql_function]
extern "SQL" {
    fn lower(x: Text) -> Text;
    #[sql_name = "lower"]
    fn lower_opt(x: Nullable<Text>) -> Nullable<Text>;
}

/// The sort value of the item a page starts after (or ends before).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortValue {
    Time(NaiveDateTime),
    Name(String),
    Size(i64),
}

/// The item a page starts after (or, walking backwards, ends before).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub value: SortValue,
    pub kind: MediaKind,
    pub id: i64,
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
enum StreamOwner {
    All,
    System,
    User(i64),
}

/// Every (kind, owner) stream a query reads: the one walk that `page`, `plans` and `total`
/// share, each doing its own thing with each stream.
fn streams(query: &GalleryQuery) -> Vec<(MediaKind, StreamOwner)> {
    let owners = match query.owner {
        OwnerFilter::Any => vec![StreamOwner::All],
        OwnerFilter::System => vec![StreamOwner::System],
        OwnerFilter::User(id) => vec![StreamOwner::User(id)],
        OwnerFilter::Visible(id) => vec![StreamOwner::User(id), StreamOwner::System],
    };
    let kinds = [MediaKind::Image, MediaKind::Audio].into_iter().filter(|k| query.kind.covers(*k));
    kinds.flat_map(|kind| owners.iter().map(move |owner| (kind, *owner))).collect()
}

/// Where a stream of kind `kind` starts relative to the cursor `(value, kind, id)`, given that
/// its rows all share `kind`: past the value, at it (with ids past the cursor's), or at it
/// with every id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    Past,
    AtWithIdPast,
    AtOrPast,
}

fn start(stream_kind: MediaKind, cursor: &Cursor, forward_kind_order: bool) -> Start {
    use std::cmp::Ordering::*;
    // In the direction of travel, does this stream's kind come after the cursor's kind? Kinds
    // order by name, as the cursor encodes them.
    match (stream_kind.as_str().cmp(cursor.kind.as_str()), forward_kind_order) {
        (Equal, _) => Start::AtWithIdPast,
        (Greater, true) | (Less, false) => Start::AtOrPast,
        _ => Start::Past,
    }
}

/// `$t` narrowed to one owner and a search pattern, as a boxed query (built inside `run!`, where
/// the backend is known).
macro_rules! narrowed {
    ($t:ident, $owner:expr, $pattern:expr, $search:ident) => {{
        let mut q = match $owner {
            StreamOwner::All => $t::table.into_boxed(),
            StreamOwner::System => $t::table.filter($t::owner_id.is_null()).into_boxed(),
            StreamOwner::User(id) => $t::table.filter($t::owner_id.eq(id)).into_boxed(),
        };
        if let Some(p) = $pattern.clone() {
            q = q.filter($search!(p));
        }
        q
    }};
}

/// One stream: `$t`'s rows of one owner, searched, after `$cursor`, in order, at most `fetch`,
/// ended by `$finish` (its rows, or its plan).
macro_rules! stream {
    (
        $conn:expr, $t:ident, $row:ty, $kind:expr, $owner:expr, $query:expr, $cursor:expr, $search:ident,
        $fetch:expr, $finish:ident
    ) => {{
        let query: &GalleryQuery = $query;
        let cursor: Option<&Cursor> = $cursor;
        let less = query.sort.descending() != query.backwards;
        let pattern = search_pattern(query);
        macro_rules! keyset {
            ($col:expr, $value:expr) => {{
                let start = match cursor {
                    Some(c) => Some(($value(c)?, c.id, start($kind, c, !less))),
                    None => None,
                };
                let rows = run!($conn, |c| {
                    let mut q = narrowed!($t, $owner, pattern, $search);
                    if let Some((v, id, start)) = start.clone() {
                        q = match (start, less) {
                            (Start::Past, true) => q.filter($col.lt(v)),
                            (Start::Past, false) => q.filter($col.gt(v)),
                            (Start::AtOrPast, true) => q.filter($col.le(v)),
                            (Start::AtOrPast, false) => q.filter($col.ge(v)),
                            // The bound on the column alone keeps it a range scan; the
                            // `OR` only sorts out the rows that share the cursor's value.
                            (Start::AtWithIdPast, true) => {
                                q.filter($col.le(v.clone()).and($col.lt(v).or($t::id.lt(id))))
                            }
                            (Start::AtWithIdPast, false) => {
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
    query.search_text().map(like_pattern)
}

fn time(c: &Cursor) -> Result<NaiveDateTime, DbError> {
    match &c.value {
        SortValue::Time(t) => Ok(*t),
        _ => Err(DbError::InvalidCursor),
    }
}

fn name(c: &Cursor) -> Result<String, DbError> {
    match &c.value {
        SortValue::Name(n) => Ok(n.clone()),
        _ => Err(DbError::InvalidCursor),
    }
}

fn size(c: &Cursor) -> Result<i64, DbError> {
    match &c.value {
        SortValue::Size(s) => Ok(*s),
        _ => Err(DbError::InvalidCursor),
    }
}

/// A row's place in the gallery's total order: its sort value, then kind (by name), then id.
pub fn sort_key(sort: GallerySort, row: &MediaItemRow) -> (SortValue, &'static str, i64) {
    let value = match sort {
        GallerySort::Newest => SortValue::Time(row.created_at),
        GallerySort::Name => SortValue::Name(row.original_filename.clone()),
        GallerySort::Size => SortValue::Size(row.byte_size),
    };
    (value, row.kind.as_str(), row.id)
}

/// The cursor that continues after `row`.
pub fn cursor_after(sort: GallerySort, row: &MediaItemRow) -> Cursor {
    let (value, _, id) = sort_key(sort, row);
    Cursor { value, kind: row.kind, id }
}

impl GalleryRepo {
    /// One page in display order, plus whether more items lie in the direction of travel.
    pub async fn page(
        conn: &mut DbConn<'_>,
        query: &GalleryQuery,
        cursor: Option<&Cursor>,
    ) -> Result<(Vec<MediaItemRow>, bool), DbError> {
        let limit = i64::from(query.limit());
        let fetch = limit + 1;
        let mut rows: Vec<MediaItemRow> = Vec::new();
        for (kind, owner) in streams(query) {
            match kind {
                MediaKind::Image => {
                    let found = stream!(
                        conn,
                        images,
                        ImageItemRow,
                        kind,
                        owner,
                        query,
                        cursor,
                        image_search,
                        fetch,
                        load_rows
                    );
                    rows.extend(found.into_iter().map(MediaItemRow::from));
                }
                MediaKind::Audio => {
                    let found = stream!(
                        conn,
                        audios,
                        AudioItemRow,
                        kind,
                        owner,
                        query,
                        cursor,
                        audio_search,
                        fetch,
                        load_rows
                    );
                    rows.extend(found.into_iter().map(MediaItemRow::from));
                }
            }
        }
        let less = query.sort.descending() != query.backwards;
        rows.sort_by(|a, b| {
            let order = sort_key(query.sort, a).cmp(&sort_key(query.sort, b));
            if less { order.reverse() } else { order }
        });
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        if query.backwards {
            rows.reverse();
        }
        Ok((rows, more))
    }

    /// How the database would fetch one page: the plan of each stream's query.
    pub async fn plans(
        conn: &mut DbConn<'_>,
        query: &GalleryQuery,
        cursor: Option<&Cursor>,
    ) -> Result<Vec<String>, DbError> {
        let fetch = i64::from(query.limit()) + 1;
        let mut plans = Vec::new();
        for (kind, owner) in streams(query) {
            let plan = match kind {
                MediaKind::Image => stream!(
                    conn,
                    images,
                    ImageItemRow,
                    kind,
                    owner,
                    query,
                    cursor,
                    image_search,
                    fetch,
                    plan_rows
                ),
                MediaKind::Audio => stream!(
                    conn,
                    audios,
                    AudioItemRow,
                    kind,
                    owner,
                    query,
                    cursor,
                    audio_search,
                    fetch,
                    plan_rows
                ),
            };
            plans.push(plan.join("\n"));
        }
        Ok(plans)
    }

    /// Items matching the filters on all pages: exact from the counters, or for a search, counted
    /// up to [`SEARCH_COUNT_CAP`].
    pub async fn total(conn: &mut DbConn<'_>, query: &GalleryQuery) -> Result<Total, DbError> {
        if query.search_text().is_none() {
            return Ok(Total::Exact(Self::counted(conn, query.owner, query.kind).await?));
        }
        let pattern = search_pattern(query);
        let cap = SEARCH_COUNT_CAP + 1;
        let mut n = 0;
        for (kind, owner) in streams(query) {
            n += match kind {
                MediaKind::Image => count_capped!(conn, images, owner, pattern, image_search, cap),
                MediaKind::Audio => count_capped!(conn, audios, owner, pattern, audio_search, cap),
            };
        }
        Ok(if n > SEARCH_COUNT_CAP { Total::AtLeast(SEARCH_COUNT_CAP) } else { Total::Exact(n) })
    }

    async fn counted(conn: &mut DbConn<'_>, owner: OwnerFilter, kind: KindFilter) -> Result<i64, DbError> {
        use media_counts::dsl as mc;
        let kinds: Vec<&str> = [MediaKind::Image, MediaKind::Audio]
            .into_iter()
            .filter(|k| kind.covers(*k))
            .map(MediaKind::as_str)
            .collect();
        let owners: Vec<i64> = match owner {
            OwnerFilter::Any => Vec::new(),
            OwnerFilter::System => vec![0],
            OwnerFilter::User(id) => vec![id],
            OwnerFilter::Visible(id) => vec![id, 0],
        };
        let counts: Vec<i64> = run!(conn, |c| {
            let mut q = mc::media_counts.filter(mc::kind.eq_any(&kinds)).into_boxed();
            if !owners.is_empty() {
                q = q.filter(mc::owner_key.eq_any(&owners));
            }
            q.select(mc::n).load(c).await
        })?;
        Ok(counts.into_iter().sum())
    }
}

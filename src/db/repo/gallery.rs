//! The gallery listing over both kinds with keyset pagination, written so that every query walks
//! an index: a page is merged from one stream per (table, owner) pair, each an index range scan
//! in sort order that stops after a page's worth of rows. The last page costs what the first
//! does, and so does page 2 000. Totals come from `media_counts`, which triggers keep.
//!
//! A stream's query is written out as SQL text (`sql.rs`) rather than in diesel's typed DSL: its
//! table and sort column vary at run time, and the DSL gives each (table, column) pair its own
//! type, which took five nested macros to spell. A search adds what `search.rs` writes.

use chrono::NaiveDateTime;
use diesel::sql_types::BigInt;
use diesel::{QueryDsl, QueryableByName};
use diesel_async::RunQueryDsl;

use super::search::{Dialect, Search};
use super::sql::{Param, Sql};
use crate::db::explain::ExplainOn;
use crate::db::rows::{AudioItemRow, ImageItemRow, MediaItemRow, MixedItemRow};
use crate::db::schema::{collection_counts, media_counts, tag_counts};
use crate::db::{DbConn, DbError, run};
use crate::domain::{GalleryQuery, GallerySort, KindFilter, MediaKind, Only, OwnerFilter};

/// The sort value of the item a page starts after (or ends before).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortValue {
    Time(NaiveDateTime),
    Name(String),
    Size(i64),
    /// How well an item matches a search, scaled to an integer (higher is better): the
    /// database's own score for it, computed again for every page.
    Rank(i64),
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

/// Which kept count a total reads.
#[derive(Debug, Clone, Copy)]
enum Counter {
    Library,
    Collection(i64),
    Tag(i64),
}

/// A counter's rows for a view: items per (kind, owner key: 0 for the system).
struct Counts(Vec<(String, i64, i64)>);

impl Counts {
    fn total(&self) -> i64 {
        self.0.iter().map(|(_, _, n)| n).sum()
    }

    /// Whether a stream of the view has any item to read.
    fn hold(&self, (kind, owner): (MediaKind, StreamOwner)) -> bool {
        self.0.iter().any(|(k, o, n)| {
            *n > 0
                && k == kind.as_str()
                && match owner {
                    StreamOwner::All => true,
                    StreamOwner::System => *o == 0,
                    StreamOwner::User(id) => *o == id,
                    StreamOwner::VisibleTo(id) => *o == id || *o == 0,
                }
        })
    }
}

/// One owner condition of a stream; `Visible` needs two streams, so that each stays one index
/// range (an `OR` of owners cannot be walked in sort order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamOwner {
    All,
    System,
    User(i64),
    /// A user's own and the system's, as one stream with a filter: a collection's index is
    /// walked in order whoever owns each item, and what the viewer may not see is skipped.
    VisibleTo(i64),
}

/// Every (kind, owner) stream a query reads: the one walk that `page`, `plans` and `total`
/// share, each doing its own thing with each stream.
fn streams(query: &GalleryQuery) -> Vec<(MediaKind, StreamOwner)> {
    let owners = match query.owner {
        OwnerFilter::Any => vec![StreamOwner::All],
        OwnerFilter::System => vec![StreamOwner::System],
        OwnerFilter::User(id) => vec![StreamOwner::User(id)],
        OwnerFilter::Visible(id) if query.collection.is_some() || !query.tags.is_empty() => {
            vec![StreamOwner::VisibleTo(id)]
        }
        OwnerFilter::Visible(id) => vec![StreamOwner::User(id), StreamOwner::System],
    };
    let kinds = [MediaKind::Image, MediaKind::Audio]
        .into_iter()
        .filter(|k| query.kind.covers(*k))
        .filter(|k| query.only.is_none_or(|o| o.kind() == *k));
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

impl From<&SortValue> for Param {
    fn from(v: &SortValue) -> Param {
        match v {
            SortValue::Time(t) => Param::Time(*t),
            SortValue::Name(n) => Param::Text(n.clone()),
            SortValue::Size(s) | SortValue::Rank(s) => Param::Int(*s),
        }
    }
}

/// The table of a kind.
pub(super) fn table(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Image => "images",
        MediaKind::Audio => "audios",
    }
}

/// The columns a kind's gallery rows read. An audio row's peaks are only drawn as the gallery's
/// 120 strokes: PostgreSQL keeps those 120 pairs in a column of their own (`gallery_peaks`,
/// `migrations/postgres/…_gallery_peaks`), which draws the same strokes as all 1 000 and was
/// half of an audio stream's time to read; SQLite reads its rows in place, and the peaks.
fn columns(kind: MediaKind, dialect: Dialect) -> String {
    match kind {
        MediaKind::Image => "t.id, t.owner_id, t.original_filename, t.content_type, t.byte_size, \
                             t.thumbnail_key, t.storage_key, t.width, t.height, t.created_at, \
                             t.frame_count, t.title, t.alt_text"
            .to_owned(),
        MediaKind::Audio => {
            let peaks = match dialect {
                Dialect::Pg => "t.gallery_peaks AS peaks",
                Dialect::Sqlite => "t.peaks",
            };
            format!(
                "t.id, t.owner_id, t.original_filename, t.content_type, t.byte_size, t.storage_key, \
                 t.duration_ms, {peaks}, t.created_at, t.title, t.rendition_key, t.loudness_lufs, \
                 t.true_peak_db, t.quiet, t.clipped, t.mostly_silent"
            )
        }
    }
}

/// What a stream's rows hold: its kind's own columns, or the columns of both kinds (the other
/// kind's NULL or fixed) under one name each, for a page merged from both in one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Own,
    Mixed,
}

/// [`Shape::Mixed`]'s columns for a stream of `kind`, the order's own column read from `walked`
/// (the table whose index the stream walks): the merged page is ordered by it, and the database
/// merges the streams in that order, without sorting them, only if it knows they come in it.
fn mixed_columns(kind: MediaKind, dialect: Dialect, walked: &str, sort: GallerySort) -> String {
    let image = kind == MediaKind::Image;
    let pick = |of_image: &'static str, of_audio: &'static str| if image { of_image } else { of_audio };
    let peaks = match dialect {
        Dialect::Pg => "t.gallery_peaks",
        Dialect::Sqlite => "t.peaks",
    };
    let columns = [
        ("kind", pick("'image'", "'audio'")),
        ("id", "t.id"),
        ("owner_id", "t.owner_id"),
        ("original_filename", "t.original_filename"),
        ("content_type", "t.content_type"),
        ("byte_size", "t.byte_size"),
        ("storage_key", "t.storage_key"),
        ("created_at", "t.created_at"),
        ("title", "t.title"),
        ("preview_key", pick("t.thumbnail_key", "t.rendition_key")),
        ("width", pick("t.width", "CAST(NULL AS integer)")),
        ("height", pick("t.height", "CAST(NULL AS integer)")),
        ("frame_count", pick("t.frame_count", "1")),
        ("alt_text", pick("t.alt_text", "CAST(NULL AS text)")),
        ("duration_ms", pick("CAST(NULL AS bigint)", "t.duration_ms")),
        ("peaks", if image { "CAST(NULL AS bytea)" } else { peaks }),
        ("loudness_lufs", pick("CAST(NULL AS double precision)", "t.loudness_lufs")),
        ("true_peak_db", pick("CAST(NULL AS double precision)", "t.true_peak_db")),
        ("quiet", pick("false", "t.quiet")),
        ("clipped", pick("false", "t.clipped")),
        ("mostly_silent", pick("false", "t.mostly_silent")),
    ];
    let ordered = sort_column(sort);
    let list: Vec<String> = columns
        .iter()
        .map(|(name, expr)| match *name == ordered {
            true => format!("{walked}.{name} AS {name}"),
            false => format!("{expr} AS {name}"),
        })
        .collect();
    list.join(", ")
}

/// The table a stream walks, as [`source`] names it.
fn walked(query: &GalleryQuery) -> &'static str {
    match (query.collection, query.tags.is_empty()) {
        (Some(_), _) => "ci",
        (None, false) => "it",
        (None, true) => "t",
    }
}

fn sort_column(sort: GallerySort) -> &'static str {
    match sort {
        GallerySort::Newest => "created_at",
        GallerySort::Name => "original_filename",
        GallerySort::Size => "byte_size",
        GallerySort::Relevance => "search_rank",
    }
}

/// The rows a stream reads, and the table whose columns the owner and the order are read from:
/// the kind's table as `t`; or for a collection, its memberships as `ci` (whose indexes hold the
/// sort values) joined to the items; or for tags, the first tag's items as `it` likewise. Any
/// further tag is a lookup on `item_tags`' key per row. Returns that table and its id column.
fn source(
    kind: MediaKind,
    query: &GalleryQuery,
    join: Option<&str>,
    sql: &mut Sql,
) -> (&'static str, &'static str) {
    source_of(kind, query, Some(join.unwrap_or("")), sql)
}

/// [`source`], where `join: None` leaves the items out of a collection's or tag's rows: what a
/// count needs when nothing is read from the items (their owners are on those rows too).
fn source_of(
    kind: MediaKind,
    query: &GalleryQuery,
    join: Option<&str>,
    sql: &mut Sql,
) -> (&'static str, &'static str) {
    let table = table(kind);
    let k = kind.as_str();
    let items = |on: &str| join.map_or(String::new(), |j| format!(" JOIN {table} t ON t.id = {on}{j}"));
    let join = join.unwrap_or("");
    let (walked, more_tags): ((&str, &str), &[i64]) = match (query.collection, query.tags.split_first()) {
        (None, None) => {
            sql.push(&format!(" FROM {table} t{join}"));
            (("t", "t.id"), &[])
        }
        (Some(id), _) => {
            sql.push(&format!(" FROM collection_items ci{}", items("ci.item_id")));
            sql.and().push("ci.collection_id = ").bind_unseen(Param::Int(id));
            sql.and().push(&format!("ci.kind = '{k}'"));
            (("ci", "ci.item_id"), &query.tags)
        }
        (None, Some((first, rest))) => {
            sql.push(&format!(" FROM item_tags it{}", items("it.item_id")));
            sql.and().push("it.tag_id = ").bind_unseen(Param::Int(*first));
            sql.and().push(&format!("it.kind = '{k}'"));
            (("it", "it.item_id"), rest)
        }
    };
    for tag in more_tags {
        sql.and().push("EXISTS (SELECT 1 FROM item_tags x WHERE x.tag_id = ").bind_unseen(Param::Int(*tag));
        sql.push(&format!(" AND x.kind = '{k}' AND x.item_id = {})", walked.1));
    }
    walked
}

/// Narrows `sql` to one owner (read from `from`, `t` or `ci`) and the "only" filter (worded as
/// the partial indexes' conditions, so the planner can use them).
fn narrow(sql: &mut Sql, (owner, from): (StreamOwner, &str), query: &GalleryQuery) {
    match query.only {
        Some(Only::MissingAltText) => {
            sql.and().push("t.alt_text IS NULL");
        }
        Some(Only::MissingTranscript) => {
            sql.and().push("t.transcript IS NULL");
        }
        Some(Only::Animated) => {
            sql.and().push("t.frame_count > 1");
        }
        Some(Only::Location) => {
            sql.and().push("t.has_location");
        }
        Some(Only::Quiet) => {
            sql.and().push("t.quiet");
        }
        Some(Only::Clipped) => {
            sql.and().push("t.clipped");
        }
        Some(Only::MostlySilent) => {
            sql.and().push("t.mostly_silent");
        }
        None => {}
    }
    match owner {
        StreamOwner::All => {}
        StreamOwner::System => {
            sql.and().push(&format!("{from}.owner_id IS NULL"));
        }
        StreamOwner::User(id) => {
            sql.and().push(&format!("{from}.owner_id = ")).bind(Param::Int(id));
        }
        StreamOwner::VisibleTo(id) => {
            sql.and().push(&format!("({from}.owner_id = ")).bind(Param::Int(id));
            sql.push(&format!(" OR {from}.owner_id IS NULL)"));
        }
    }
}

/// One stream's query: the kind's rows of one owner, searched, after the cursor, in order, at
/// most `fetch`.
fn stream_sql(
    (kind, owner): (MediaKind, StreamOwner),
    (dialect, shape): (Dialect, Shape),
    query: &GalleryQuery,
    search: Option<&Search>,
    cursor: Option<&Cursor>,
    fetch: i64,
) -> Result<Sql, DbError> {
    let sort = query.order();
    let columns = match shape {
        Shape::Own => columns(kind, dialect),
        Shape::Mixed => mixed_columns(kind, dialect, walked(query), sort),
    };
    let (mut sql, from, id_col) = match (sort, search) {
        // A ranked stream reads every match with its score, as a subquery the cursor and the
        // order then apply to (the score has no index to walk; the full-text index finds the
        // matches).
        (GallerySort::Relevance, Some(search)) => {
            let mut inner = Sql::new(&format!("SELECT {columns}, "));
            search.rank(&mut inner, kind);
            inner.push(" AS search_rank, ");
            search.match_count(&mut inner);
            inner.push(" AS matches");
            let (from, _) = source(kind, query, search.join_sqlite(kind).as_deref(), &mut inner);
            narrow(&mut inner, (owner, from), query);
            search.match_ranked(&mut inner, kind);
            let mut sql = Sql::new("SELECT * FROM (");
            sql.nest(inner).push(") s");
            (sql, "s", "s.id")
        }
        _ => {
            let mut sql = Sql::new(&format!("SELECT {columns}"));
            let (from, id_col) = source(kind, query, None, &mut sql);
            narrow(&mut sql, (owner, from), query);
            if let Some(search) = search {
                search.filter(&mut sql, kind);
            }
            (sql, from, id_col)
        }
    };
    let less = sort.descending() != query.backwards;
    let col = format!("{from}.{}", sort_column(sort));
    let col = col.as_str();
    if let Some(c) = cursor {
        if !matches!(
            (&c.value, sort),
            (SortValue::Time(_), GallerySort::Newest)
                | (SortValue::Name(_), GallerySort::Name)
                | (SortValue::Size(_), GallerySort::Size)
                | (SortValue::Rank(_), GallerySort::Relevance)
        ) {
            return Err(DbError::InvalidCursor);
        }
        let value = Param::from(&c.value);
        let (past, at_or_past, id_past) = if less { ("<", "<=", "<") } else { (">", ">=", ">") };
        sql.and().push(col);
        match start(kind, c, !less) {
            Start::Past => sql.push(" ").push(past).push(" ").bind(value),
            Start::AtOrPast => sql.push(" ").push(at_or_past).push(" ").bind(value),
            // The bound on the column alone keeps it a range scan; the `OR` only sorts out the
            // rows that share the cursor's value.
            Start::AtWithIdPast => {
                sql.push(" ").push(at_or_past).push(" ").bind(value.clone());
                sql.push(" AND (").push(col).push(" ").push(past).push(" ").bind(value);
                sql.push(" OR ")
                    .push(id_col)
                    .push(" ")
                    .push(id_past)
                    .push(" ")
                    .bind(Param::Int(c.id))
                    .push(")")
            }
        };
    }
    let direction = if less { "DESC" } else { "ASC" };
    // The limit is written into the text, not bound: SQLite reads a bound LIMIT when it plans,
    // and then compiles the statement again every time the value is bound (each page).
    sql.push(&format!(" ORDER BY {col} {direction}, {id_col} {direction} LIMIT {fetch}"));
    Ok(sql)
}

/// Whether a page's streams are merged by the database in one query: on PostgreSQL, where each
/// query is a round trip and a merge stops reading each stream at the rows the page shows (two
/// streams' separate queries read a page's worth each, half of them for nothing). A ranked
/// search reads every match of each stream anyway, and counts them as it does, which a merge
/// would lose for a stream it takes no row from. SQLite, in process, reads its streams apart.
fn merges(dialect: Dialect, query: &GalleryQuery) -> bool {
    dialect == Dialect::Pg && query.order() != GallerySort::Relevance
}

/// The `kept` streams as one query in the page's order, the first `fetch` rows: each stream's
/// query as it stands (an index walk that stops at `fetch`), merged by the sort value, then kind
/// and id as [`sort_key`] orders them. The database merges the walks as they come, taking a next
/// row only from the stream whose row it took.
fn merged_sql(
    kept: &[(MediaKind, StreamOwner)],
    dialect: Dialect,
    query: &GalleryQuery,
    search: Option<&Search>,
    cursor: Option<&Cursor>,
    fetch: i64,
) -> Result<Sql, DbError> {
    let stream = |s| stream_sql(s, (dialect, Shape::Mixed), query, search, cursor, fetch);
    if let [one] = kept {
        return stream(*one);
    }
    let mut sql = Sql::new("SELECT * FROM (");
    for (i, s) in kept.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { " UNION ALL (" }).nest(stream(*s)?).push(")");
    }
    let sort = query.order();
    let direction = if sort.descending() != query.backwards { "DESC" } else { "ASC" };
    let col = sort_column(sort);
    sql.push(&format!(
        ") m ORDER BY m.{col} {direction}, m.kind {direction}, m.id {direction} LIMIT {fetch}"
    ));
    Ok(sql)
}

/// Gallery rows of one kind with their match scores, and the stream's count of matches.
#[derive(QueryableByName)]
struct Ranked<R> {
    #[diesel(embed)]
    item: R,
    #[diesel(sql_type = BigInt)]
    search_rank: i64,
    #[diesel(sql_type = BigInt)]
    matches: i64,
}

/// A stream's rows, as gallery entries (with their scores, from a ranked stream), and how many
/// items match in all when its query counted them (see [`Search::match_count`]).
async fn load(
    conn: &mut DbConn<'_>,
    kind: MediaKind,
    sql: &Sql,
    ranked: bool,
) -> Result<(Vec<MediaItemRow>, Option<i64>), DbError> {
    match (kind, ranked) {
        (MediaKind::Image, false) => plain::<ImageItemRow>(conn, sql).await,
        (MediaKind::Audio, false) => plain::<AudioItemRow>(conn, sql).await,
        (MediaKind::Image, true) => scored::<ImageItemRow>(conn, sql).await,
        (MediaKind::Audio, true) => scored::<AudioItemRow>(conn, sql).await,
    }
}

async fn plain<R>(conn: &mut DbConn<'_>, sql: &Sql) -> Result<(Vec<MediaItemRow>, Option<i64>), DbError>
where
    R: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + Into<MediaItemRow>,
    R: Send + 'static,
{
    Ok((sql.rows::<R>(conn).await?.into_iter().map(Into::into).collect(), None))
}

async fn scored<R>(conn: &mut DbConn<'_>, sql: &Sql) -> Result<(Vec<MediaItemRow>, Option<i64>), DbError>
where
    Ranked<R>: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg>,
    R: Into<MediaItemRow> + Send + 'static,
{
    let rows = sql.rows::<Ranked<R>>(conn).await?;
    // Every row carries the same count; a stream with no rows (past the cursor) says nothing.
    let matches = rows.as_slice().first().map(|r| r.matches).filter(|n| *n >= 0);
    let rows = rows.into_iter().map(|r| MediaItemRow { rank: r.search_rank, ..r.item.into() }).collect();
    Ok((rows, matches))
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// A row's place in the gallery's total order: its sort value, then kind (by name), then id.
pub fn sort_key(sort: GallerySort, row: &MediaItemRow) -> (SortValue, &'static str, i64) {
    let value = match sort {
        GallerySort::Newest => SortValue::Time(row.created_at),
        GallerySort::Name => SortValue::Name(row.original_filename.clone()),
        GallerySort::Size => SortValue::Size(row.byte_size),
        GallerySort::Relevance => SortValue::Rank(row.rank),
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
        let (rows, more, _) = Self::page_counted(conn, query, cursor, |_| true).await?;
        Ok((rows, more))
    }

    /// [`page`](Self::page) and [`total`](Self::total) together: a ranked search's streams
    /// count their matches as they read them on PostgreSQL, where each count would walk the
    /// full-text index again.
    pub async fn page_and_total(
        conn: &mut DbConn<'_>,
        query: &GalleryQuery,
        cursor: Option<&Cursor>,
    ) -> Result<(Vec<MediaItemRow>, bool, Total), DbError> {
        // Where the kept counts answer the total, they are read first: a kind or owner they
        // hold nothing of (a tag only ever put on photos) needs no stream query at all.
        if let Some(counter) = Self::counter(query) {
            let counts = Self::counted(conn, counter, query.owner, query.kind).await?;
            let (rows, more, _) = Self::page_counted(conn, query, cursor, |s| counts.hold(s)).await?;
            return Ok((rows, more, Total::Exact(counts.total())));
        }
        let (rows, more, counted) = Self::page_counted(conn, query, cursor, |_| true).await?;
        let total = Self::total_knowing(conn, query, &counted).await?;
        Ok((rows, more, total))
    }

    /// [`page`](Self::page) from the streams `read` keeps (the others hold nothing), and per
    /// stream (in [`streams`] order) its count of matches when its query made one.
    async fn page_counted(
        conn: &mut DbConn<'_>,
        query: &GalleryQuery,
        cursor: Option<&Cursor>,
        read: impl Fn((MediaKind, StreamOwner)) -> bool,
    ) -> Result<(Vec<MediaItemRow>, bool, Vec<Option<i64>>), DbError> {
        let limit = i64::from(query.limit());
        let dialect = Dialect::of(conn);
        let search = Search::of(dialect, query);
        let (sort, ranked) = (query.order(), query.order() == GallerySort::Relevance);
        let mut rows: Vec<MediaItemRow> = Vec::new();
        let mut counted = Vec::new();
        if merges(dialect, query) {
            let all = streams(query);
            let kept: Vec<_> = all.iter().copied().filter(|s| read(*s)).collect();
            counted = all.iter().map(|s| (!kept.iter().any(|k| k == s)).then_some(0)).collect();
            if !kept.is_empty() {
                let sql = merged_sql(&kept, dialect, query, search.as_ref(), cursor, limit + 1)?;
                let mixed = sql.rows::<MixedItemRow>(conn).await?;
                rows = mixed.into_iter().map(MediaItemRow::try_from).collect::<Result<_, _>>()?;
            }
        } else {
            for stream in streams(query) {
                if !read(stream) {
                    counted.push(Some(0));
                    continue;
                }
                let sql =
                    stream_sql(stream, (dialect, Shape::Own), query, search.as_ref(), cursor, limit + 1)?;
                let (found, matches) = load(conn, stream.0, &sql, ranked).await?;
                rows.extend(found);
                counted.push(matches);
            }
        }
        let less = sort.descending() != query.backwards;
        rows.sort_by(|a, b| {
            let order = sort_key(sort, a).cmp(&sort_key(sort, b));
            if less { order.reverse() } else { order }
        });
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        if query.backwards {
            rows.reverse();
        }
        Ok((rows, more, counted))
    }

    /// How the database would fetch one page: the plan of each stream's query.
    pub async fn plans(
        conn: &mut DbConn<'_>,
        query: &GalleryQuery,
        cursor: Option<&Cursor>,
    ) -> Result<Vec<String>, DbError> {
        let fetch = i64::from(query.limit()) + 1;
        let dialect = Dialect::of(conn);
        let search = Search::of(dialect, query);
        let all = streams(query);
        let queries = if all.is_empty() {
            Vec::new()
        } else if merges(dialect, query) {
            vec![merged_sql(&all, dialect, query, search.as_ref(), cursor, fetch)?]
        } else {
            let own = |s| stream_sql(s, (dialect, Shape::Own), query, search.as_ref(), cursor, fetch);
            all.into_iter().map(own).collect::<Result<_, _>>()?
        };
        let mut plans = Vec::new();
        for sql in queries {
            let plan = run!(conn, |c| ExplainOn::explain(c, sql.clone()).await)?;
            plans.push(plan.join("\n"));
        }
        Ok(plans)
    }

    /// Items matching the filters on all pages: exact from the counters, or for a search, counted
    /// up to [`SEARCH_COUNT_CAP`].
    pub async fn total(conn: &mut DbConn<'_>, query: &GalleryQuery) -> Result<Total, DbError> {
        Self::total_knowing(conn, query, &[]).await
    }

    /// [`total`](Self::total), taking the counts in `counted` (per stream, as
    /// [`page_counted`](Self::page_counted) returns them) where they are known.
    async fn total_knowing(
        conn: &mut DbConn<'_>,
        query: &GalleryQuery,
        counted: &[Option<i64>],
    ) -> Result<Total, DbError> {
        if let Some(counter) = Self::counter(query) {
            return Ok(Total::Exact(Self::counted(conn, counter, query.owner, query.kind).await?.total()));
        }
        let search = Search::of(Dialect::of(conn), query);
        // A collection with tags is counted whole (one index range, a lookup per tag); a search
        // counts up to the cap.
        let cap = search.as_ref().map(|_| SEARCH_COUNT_CAP + 1);
        let mut n = 0;
        for (i, (kind, owner)) in streams(query).into_iter().enumerate() {
            if let Some(known) = counted.get(i).copied().flatten() {
                n += cap.map_or(known, |cap| known.min(cap));
                continue;
            }
            let mut sql = Sql::new("SELECT COUNT(*) AS n FROM (SELECT 1");
            // A collection's or tag's count reads only its own index unless a filter needs the items.
            let join = (search.is_some() || query.only.is_some()).then_some("");
            let (from, _) = source_of(kind, query, join, &mut sql);
            narrow(&mut sql, (owner, from), query);
            if let Some(search) = &search {
                search.filter(&mut sql, kind);
            }
            if let Some(cap) = cap {
                sql.push(&format!(" LIMIT {cap}"));
            }
            sql.push(") AS capped");
            let counted: Counted = run!(conn, |c| sql.clone().get_result(c).await)?;
            n += counted.n;
        }
        Ok(if cap.is_some() && n > SEARCH_COUNT_CAP {
            Total::AtLeast(SEARCH_COUNT_CAP)
        } else {
            Total::Exact(n)
        })
    }

    /// How well one item matches the query's search (0 without one, or if it does not match):
    /// where a ranked set places it.
    pub async fn rank_of(
        conn: &mut DbConn<'_>,
        query: &GalleryQuery,
        (kind, id): (MediaKind, i64),
    ) -> Result<i64, DbError> {
        let Some(search) = Search::of(Dialect::of(conn), query) else { return Ok(0) };
        let mut sql = Sql::new("SELECT ");
        search.rank(&mut sql, kind);
        sql.push(&format!(" AS n FROM {} t", table(kind)));
        sql.push(search.join_sqlite(kind).as_deref().unwrap_or(""));
        sql.and().push("t.id = ").bind(Param::Int(id));
        search.match_ranked(&mut sql, kind);
        let found: Vec<Counted> = run!(conn, |c| sql.clone().load(c).await)?;
        Ok(found.into_iter().next().map_or(0, |r| r.n))
    }

    /// The counter the triggers keep for the view's total: the whole library, a collection or
    /// one tag, with no search and no "only" filter (which the counters do not know).
    fn counter(query: &GalleryQuery) -> Option<Counter> {
        let counter = match (query.collection, query.tags.as_slice()) {
            (None, []) => Counter::Library,
            (Some(id), []) => Counter::Collection(id),
            (None, [tag]) => Counter::Tag(*tag),
            _ => return None,
        };
        (query.search_text().is_none() && query.only.is_none()).then_some(counter)
    }

    async fn counted(
        conn: &mut DbConn<'_>,
        counter: Counter,
        owner: OwnerFilter,
        kind: KindFilter,
    ) -> Result<Counts, DbError> {
        use diesel::ExpressionMethods;
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
        // The same lookup on each counter table: kinds, and owners unless all.
        macro_rules! sum {
            ($table:ident $(, $key:ident = $id:expr)?) => {{
                use $table::dsl as n;
                run!(conn, |c| {
                    let mut q = n::$table.filter(n::kind.eq_any(&kinds)).into_boxed();
                    $(q = q.filter(n::$key.eq($id));)?
                    if !owners.is_empty() {
                        q = q.filter(n::owner_key.eq_any(&owners));
                    }
                    q.select((n::kind, n::owner_key, n::n)).load::<(String, i64, i64)>(c).await
                })?
            }};
        }
        Ok(Counts(match counter {
            Counter::Library => sum!(media_counts),
            Counter::Collection(id) => sum!(collection_counts, collection_id = id),
            Counter::Tag(id) => sum!(tag_counts, tag_id = id),
        }))
    }
}

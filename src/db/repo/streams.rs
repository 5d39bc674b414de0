//! The SQL of a gallery page: one stream per (kind, owner), each an index range walked in sort
//! order from the cursor and stopped after a page's worth of rows, and on PostgreSQL those
//! streams merged in one query. Written as text (`sql.rs`) rather than in diesel's typed DSL:
//! a stream's table and sort column vary at run time, and the DSL gives each (table, column)
//! pair its own type, which took five nested macros to spell. A search adds what `search.rs`
//! writes; `gallery.rs` runs the queries and keeps the counts.

use chrono::NaiveDateTime;

use super::search::{Dialect, Search};
use super::sql::{Param, Sql};
use crate::db::DbError;
use crate::domain::{GalleryQuery, GallerySort, MediaKind, Only, OwnerFilter};

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

/// One owner condition of a stream; `Visible` needs two streams, so that each stays one index
/// range (an `OR` of owners cannot be walked in sort order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StreamOwner {
    All,
    System,
    User(i64),
    /// A user's own and the system's, as one stream with a filter: a collection's index is
    /// walked in order whoever owns each item, and what the viewer may not see is skipped.
    VisibleTo(i64),
}

/// Every (kind, owner) stream a query reads: the one walk that `page`, `plans` and `total`
/// share, each doing its own thing with each stream.
pub(super) fn streams(query: &GalleryQuery) -> Vec<(MediaKind, StreamOwner)> {
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
                             t.frame_count, t.title, t.alt_text, t.placeholder, t.focal_x, t.focal_y"
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
/// kind's NULL or fixed) under one name each, for a page merged from both in one query. SQLite,
/// which reads its streams apart, keeps each kind's own: read by name, the mixed shape's extra
/// columns cost its search page about a tenth of its requests a second (interleaved runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
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
        ("placeholder", pick("t.placeholder", "CAST(NULL AS text)")),
        ("focal_x", pick("t.focal_x", "CAST(NULL AS integer)")),
        ("focal_y", pick("t.focal_y", "CAST(NULL AS integer)")),
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
pub(super) fn source_of(
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
pub(super) fn narrow(sql: &mut Sql, (owner, from): (StreamOwner, &str), query: &GalleryQuery) {
    if let Some(only) = query.only {
        sql.and().push(match only {
            Only::MissingAltText => "t.alt_text IS NULL",
            Only::MissingTranscript => "t.transcript IS NULL",
            Only::Animated => "t.frame_count > 1",
            Only::Location => "t.has_location",
            Only::Quiet => "t.quiet",
            Only::Clipped => "t.clipped",
            Only::MostlySilent => "t.mostly_silent",
        });
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
pub(super) fn stream_sql(
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
            let inner = ranked_matches((kind, owner), &columns, query, search, true);
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

/// A ranked stream's matches with their scores (and, with `count`, how many there are), before
/// any cursor or order: what the kind's full-text index finds, narrowed to the owner and view.
fn ranked_matches(
    (kind, owner): (MediaKind, StreamOwner),
    columns: &str,
    query: &GalleryQuery,
    search: &Search,
    count: bool,
) -> Sql {
    let mut inner = Sql::new(&format!("SELECT {columns}, "));
    search.rank(&mut inner, kind);
    inner.push(" AS search_rank");
    if count {
        inner.push(", ");
        search.match_count(&mut inner);
        inner.push(" AS matches");
    }
    let (from, _) = source(kind, query, search.join_sqlite(kind).as_deref(), &mut inner);
    narrow(&mut inner, (owner, from), query);
    search.match_ranked(&mut inner, kind);
    inner
}

/// Whether a page's streams are merged by the database in one query: on PostgreSQL, where each
/// query is a round trip and a merge stops reading each stream at the rows the page shows (two
/// streams' separate queries read a page's worth each, half of them for nothing). SQLite, in
/// process, reads its streams apart.
pub(super) fn merges(dialect: Dialect) -> bool {
    dialect == Dialect::Pg
}

/// The `kept` streams as one query in the page's order, the first `fetch` rows: each stream's
/// query as it stands (an index walk that stops at `fetch`), merged by the sort value, then kind
/// and id as `gallery::sort_key` orders them. The database merges the walks as they come, taking
/// a next row only from the stream whose row it took. Ranked, see [`merged_ranked_sql`].
pub(super) fn merged_sql(
    kept: &[(MediaKind, StreamOwner)],
    dialect: Dialect,
    query: &GalleryQuery,
    search: Option<&Search>,
    cursor: Option<&Cursor>,
    fetch: i64,
) -> Result<Sql, DbError> {
    let sort = query.order();
    if let (GallerySort::Relevance, Some(search)) = (sort, search) {
        return merged_ranked_sql(kept, dialect, query, search, cursor, fetch);
    }
    let stream = |s| stream_sql(s, (dialect, Shape::Mixed), query, search, cursor, fetch);
    if let [one] = kept {
        return stream(*one);
    }
    let mut sql = Sql::new("SELECT * FROM (");
    for (i, s) in kept.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { " UNION ALL (" }).nest(stream(*s)?).push(")");
    }
    let direction = if sort.descending() != query.backwards { "DESC" } else { "ASC" };
    let col = sort_column(sort);
    sql.push(&format!(
        ") m ORDER BY m.{col} {direction}, m.kind {direction}, m.id {direction} LIMIT {fetch}"
    ));
    Ok(sql)
}

/// A ranked page of the `kept` streams as one query: every match of each (they have no order to
/// walk), counted once over all of them before the cursor applies (`matches`, what each stream
/// counted of its own before), then the cursor as one comparison of (score, kind, id) and the
/// best `fetch`. One round trip, and only the rows the page shows are sent.
fn merged_ranked_sql(
    kept: &[(MediaKind, StreamOwner)],
    dialect: Dialect,
    query: &GalleryQuery,
    search: &Search,
    cursor: Option<&Cursor>,
    fetch: i64,
) -> Result<Sql, DbError> {
    let mut sql = Sql::new("SELECT * FROM (SELECT u.*, COUNT(*) OVER () AS matches FROM (");
    for (i, s) in kept.iter().enumerate() {
        let columns = mixed_columns(s.0, dialect, "t", GallerySort::Relevance);
        let matches = ranked_matches(*s, &columns, query, search, false);
        sql.push(if i == 0 { "(" } else { " UNION ALL (" }).nest(matches).push(")");
    }
    sql.push(") u) s");
    let less = GallerySort::Relevance.descending() != query.backwards;
    if let Some(c) = cursor {
        let SortValue::Rank(score) = c.value else { return Err(DbError::InvalidCursor) };
        let past = if less { "<" } else { ">" };
        sql.and().push(&format!("(s.search_rank, s.kind, s.id) {past} (")).bind(Param::Int(score));
        sql.push(", ").bind(Param::Text(c.kind.as_str().to_owned()));
        sql.push(", ").bind(Param::Int(c.id)).push(")");
    }
    let direction = if less { "DESC" } else { "ASC" };
    sql.push(&format!(
        " ORDER BY s.search_rank {direction}, s.kind {direction}, s.id {direction} LIMIT {fetch}"
    ));
    Ok(sql)
}

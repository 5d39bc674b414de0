//! The gallery listing over both kinds with keyset pagination, written so that every query walks
//! an index: a page is read from one stream per (table, owner) pair (`streams.rs` writes their
//! SQL), each an index range scan in sort order that stops after a page's worth of rows. The
//! last page costs what the first does, and so does page 2 000. Totals come from
//! `media_counts`, which triggers keep.

use diesel::sql_types::BigInt;
use diesel::{QueryDsl, QueryableByName};
use diesel_async::RunQueryDsl;

use super::search::{Dialect, Search};
use super::sql::{Param, Sql};
use super::streams::{
    Cursor, Shape, SortValue, StreamOwner, merged_sql, merges, narrow, source_of, stream_sql, streams, table,
};
use crate::db::explain::ExplainOn;
use crate::db::rows::{AudioItemRow, ImageItemRow, MediaItemRow, MixedItemRow};
use crate::db::schema::{collection_counts, media_counts, tag_counts};
use crate::db::{DbConn, DbError, run};
use crate::domain::{GalleryQuery, GallerySort, KindFilter, MediaKind, OwnerFilter};

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

    /// [`page_and_total`](Self::page_and_total) where the caller has read the total from the
    /// same kept counts (a collection's header holds its whole count): every stream is read and
    /// nothing is counted again, a round trip fewer.
    pub async fn page_of_total(
        conn: &mut DbConn<'_>,
        query: &GalleryQuery,
        cursor: Option<&Cursor>,
        total: i64,
    ) -> Result<(Vec<MediaItemRow>, bool, Total), DbError> {
        let (rows, more, _) = Self::page_counted(conn, query, cursor, |_| true).await?;
        Ok((rows, more, Total::Exact(total)))
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
        if merges(dialect) {
            let all = streams(query);
            let kept: Vec<_> = all.iter().copied().filter(|s| read(*s)).collect();
            counted = all.iter().map(|s| (!kept.contains(s)).then_some(0)).collect();
            if !kept.is_empty() {
                let sql = merged_sql(&kept, dialect, query, search.as_ref(), cursor, limit + 1)?;
                if ranked {
                    let found = sql.rows::<Ranked<MixedItemRow>>(conn).await?;
                    // One count of all kept streams' matches: the first kept stream's entry
                    // holds it and the others none, so the capped total sums the same.
                    if let Some(n) = found.as_slice().first().map(|r| r.matches) {
                        for (i, s) in all.iter().enumerate().filter(|(_, s)| kept.contains(s)) {
                            counted[i] = Some(if *s == kept[0] { n } else { 0 });
                        }
                    }
                    for r in found {
                        rows.push(MediaItemRow { rank: r.search_rank, ..MediaItemRow::try_from(r.item)? });
                    }
                } else {
                    let mixed = sql.rows::<MixedItemRow>(conn).await?;
                    rows = mixed.into_iter().map(MediaItemRow::try_from).collect::<Result<_, _>>()?;
                }
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
        } else if merges(dialect) {
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

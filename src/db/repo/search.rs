//! The gallery's search, as each database's full-text index reads it: PostgreSQL's `tsvector`
//! (a generated column with a GIN index) and SQLite's FTS5 (an index per kind), both kept by
//! triggers (`migrations/*/…_search`). Only the SQL that differs lives here; the gallery's
//! streams put it in their queries.

use super::sql::{Param, Sql};
use crate::db::DbConn;
use crate::domain::{GalleryQuery, MediaKind};

/// Which SQL a query is written in where the two databases differ: full-text search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    Pg,
    Sqlite,
}

impl Dialect {
    pub(super) fn of(conn: &DbConn<'_>) -> Dialect {
        match conn {
            DbConn::Pg(_) => Dialect::Pg,
            DbConn::Sqlite(_) => Dialect::Sqlite,
        }
    }
}

/// A search as each database's full-text index reads it: every word, as the start of a word
/// in the item's text.
#[derive(Debug, Clone)]
pub(super) struct Search {
    dialect: Dialect,
    /// The words as a `tsquery` (`harb:* & boat:*`) or an FTS5 query (`"harb"* "boat"*`); the
    /// words hold letters and digits only, so neither syntax can be broken out of. `None` for
    /// a search without words, which matches nothing.
    text: Option<String>,
}

impl Search {
    /// `None` without a search.
    pub(super) fn of(dialect: Dialect, query: &GalleryQuery) -> Option<Search> {
        query.search_text()?;
        let words = query.search_words();
        let text = (!words.is_empty()).then(|| match dialect {
            Dialect::Pg => words.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & "),
            Dialect::Sqlite => words.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" "),
        });
        Some(Search { dialect, text })
    }

    /// The full-text index of a kind's table on SQLite.
    fn fts(kind: MediaKind) -> &'static str {
        match kind {
            MediaKind::Image => "images_search",
            MediaKind::Audio => "audios_search",
        }
    }

    /// Narrows `sql` to the matches, for an order walked on another index.
    pub(super) fn filter(&self, sql: &mut Sql, kind: MediaKind) {
        let Some(text) = &self.text else {
            sql.and().push("1 = 0");
            return;
        };
        match self.dialect {
            Dialect::Pg => {
                sql.and().push("t.search_doc @@ to_tsquery('simple', ").bind(Param::Text(text.clone()))
            }
            Dialect::Sqlite => {
                let fts = Self::fts(kind);
                sql.and().push(&format!("t.id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH "));
                sql.bind(Param::Text(text.clone()))
            }
        };
        sql.push(")");
    }

    /// The match score's expression, higher for a better match: a hit in the name, title or
    /// tags counts most, in alt text or caption next, in a transcript least.
    pub(super) fn rank(&self, sql: &mut Sql, kind: MediaKind) {
        let text = self.text.clone().unwrap_or_default();
        match self.dialect {
            Dialect::Pg => {
                sql.push("CAST(ts_rank(t.search_doc, to_tsquery('simple', ").bind(Param::Text(text));
                sql.push(")) * 1000000 AS BIGINT)")
            }
            Dialect::Sqlite => {
                // Small weights: the score saturates with a word's weighted count, and large
                // ones would make a title hit count no more than a caption hit.
                let weights = if kind == MediaKind::Image { "1.0, 0.5" } else { "1.0, 0.5, 0.25" };
                // `bm25` without its walk over every row holding a word (see `db/fts_rank.rs`).
                sql.push(&format!("CAST(mediadesk_rank({}, {weights}) * 1e9 AS INTEGER)", Self::fts(kind)))
            }
        };
    }

    /// How many rows match, as a ranked stream's column (before its cursor and limit apply): on
    /// PostgreSQL the count over the matches the stream reads anyway, which saves the total a
    /// second walk of the GIN index per kind; on SQLite −1, unknown, as its FTS5 count costs
    /// next to nothing and a window would stop the query being flattened.
    pub(super) fn match_count(&self, sql: &mut Sql) {
        sql.push(match self.dialect {
            Dialect::Pg => "COUNT(*) OVER ()",
            Dialect::Sqlite => "-1",
        });
    }

    /// On SQLite, what a ranked stream joins and the condition that makes it a match.
    pub(super) fn join_sqlite(&self, kind: MediaKind) -> Option<String> {
        let fts = Self::fts(kind);
        (self.dialect == Dialect::Sqlite).then(|| format!(" JOIN {fts} ON {fts}.rowid = t.id"))
    }

    pub(super) fn match_ranked(&self, sql: &mut Sql, kind: MediaKind) {
        match (&self.text, self.dialect) {
            (None, _) => {
                sql.and().push("1 = 0");
            }
            (Some(text), Dialect::Sqlite) => {
                sql.and().push(&format!("{} MATCH ", Self::fts(kind))).bind(Param::Text(text.clone()));
            }
            (Some(_), Dialect::Pg) => self.filter(sql, kind),
        }
    }
}

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

/// The lengths of the word beginnings PostgreSQL's search documents hold as words of their own
/// (`migrations/postgres/…_word_beginnings`): none of one character, none past twelve.
const WORD_BEGINNINGS: std::ops::RangeInclusive<usize> = 2..=12;

/// A search as each database's full-text index reads it: every word, as the start of a word
/// in the item's text.
#[derive(Debug, Clone)]
pub(super) struct Search {
    dialect: Dialect,
    /// The words as a `tsquery` (`harb & boat`, the beginnings the documents hold, or `a:*`
    /// for a word they cannot) or an FTS5 query (`"harb"* "boat"*`); the
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
            Dialect::Pg => words.iter().map(|w| Self::pg_word(w)).collect::<Vec<_>>().join(" & "),
            Dialect::Sqlite => words.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" "),
        });
        Some(Search { dialect, text })
    }

    /// One word as a `tsquery` term: a beginning the document holds is asked as a word, which
    /// the GIN index skips through; a prefix match reads everything under the prefix.
    fn pg_word(word: &str) -> String {
        if WORD_BEGINNINGS.contains(&word.chars().count()) { word.to_owned() } else { format!("{word}:*") }
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
                sql.push("CAST(ts_rank(t.search_doc, ");
                Self::tsquery_unseen(sql, text);
                sql.push(") * 1000000 AS BIGINT)")
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

    /// What makes a row of a ranked stream a match.
    pub(super) fn match_ranked(&self, sql: &mut Sql, kind: MediaKind) {
        match (&self.text, self.dialect) {
            (None, _) => {
                sql.and().push("1 = 0");
            }
            (Some(text), Dialect::Sqlite) => {
                sql.and().push(&format!("{} MATCH ", Self::fts(kind))).bind(Param::Text(text.clone()));
            }
            (Some(text), Dialect::Pg) => {
                sql.and().push("t.search_doc @@ ");
                Self::tsquery_unseen(sql, text.clone());
            }
        }
    }

    /// The words as a `tsquery` inside a one-row subquery, for the ranked streams: they read
    /// and rank every match whatever the words are, so no plan is better for some words than
    /// for others, and a statement PostgreSQL may not look into is planned once per connection
    /// (as `Sql::bind_unseen` explains) instead of on every page, which with the images
    /// table's indexes took longer than running it. The subquery returns the parsed `tsquery`,
    /// so it is parsed once, not once a row. Orders walked on another index keep the words in
    /// sight: whether walking that index beats reading every match depends on them.
    fn tsquery_unseen(sql: &mut Sql, text: String) {
        sql.push("(SELECT to_tsquery('simple', ").bind(Param::Text(text)).push("))");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::OwnerFilter;

    #[test]
    fn postgres_asks_held_beginnings_as_words_and_the_rest_as_prefixes() {
        let search = |s: &str, dialect| {
            let query = GalleryQuery { search: Some(s.into()), ..GalleryQuery::new(OwnerFilter::Any) };
            Search::of(dialect, &query).unwrap().text.unwrap()
        };
        assert_eq!(
            search("Harb quay-2024 a harbourmasters", Dialect::Pg),
            "harb & quay & 2024 & a:* & harbourmasters:*"
        );
        assert_eq!(search("ÉMILE île", Dialect::Pg), "émile & île");
        assert_eq!(search("Harb a", Dialect::Sqlite), "\"harb\"* \"a\"*");
    }
}

//! A query written as SQL text with bound values, for the gallery's streams: their table and
//! sort column vary at run time, which diesel's typed DSL would spell as a type per pair. The
//! text uses only fixed names and numbers the code computes (limits); every value is bound.
//! The collection pickers and tag suggestions use it too, for the limit written into the text.

use chrono::NaiveDateTime;
use diesel::backend::Backend as DieselBackend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType, Text, Timestamp, Untyped};
use diesel::{QueryResult, QueryableByName};

use crate::db::{DbConn, DbError};

/// A value a stream's query binds.
#[derive(Debug, Clone)]
pub(super) enum Param {
    Text(String),
    Int(i64),
    Time(NaiveDateTime),
}

/// A stream's query: SQL text and the values it binds, in order. Diesel writes each
/// placeholder in its backend's style, and caches the prepared statement by the text, which
/// comes from a small fixed set (a raw `sql_query` would be parsed and planned on every page).
#[derive(Debug, Clone, Default)]
pub(super) struct Sql {
    parts: Vec<Part>,
    conditions: usize,
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Bind(Param),
    Unseen(Param),
}

impl Sql {
    pub(super) fn new(text: &str) -> Sql {
        Sql { parts: vec![Part::Text(text.to_owned())], conditions: 0 }
    }

    pub(super) fn push(&mut self, text: &str) -> &mut Sql {
        match self.parts.last_mut() {
            Some(Part::Text(t)) => t.push_str(text),
            _ => self.parts.push(Part::Text(text.to_owned())),
        }
        self
    }

    pub(super) fn bind(&mut self, param: Param) -> &mut Sql {
        self.parts.push(Part::Bind(param));
        self
    }

    /// Binds a value PostgreSQL's planner cannot look at: a one-row subquery, run once. Given a
    /// prepared statement's values, PostgreSQL plans again on every execution for as long as a
    /// plan for those values looks cheaper than its generic one, which for a collection or tag
    /// id is always (its row estimate for one id is a guess, for a bound one a count). The
    /// plan never changes (the id leads the index walked), but planning it beside the images
    /// table's indexes took 0.2 ms a stream, more than running it; hidden, the value gives the
    /// same estimate either way, and after five executions the generic plan is kept. SQLite,
    /// which plans a statement once, is given the value itself.
    pub(super) fn bind_unseen(&mut self, param: Param) -> &mut Sql {
        self.parts.push(Part::Unseen(param));
        self
    }

    /// `other` as a subquery: its text and values, its conditions its own.
    pub(super) fn nest(&mut self, other: Sql) -> &mut Sql {
        for part in other.parts {
            match part {
                Part::Text(t) => self.push(&t),
                Part::Bind(p) => self.bind(p),
                Part::Unseen(p) => self.bind_unseen(p),
            };
        }
        self
    }

    /// The query's rows. On SQLite they are read straight off the statement by diesel's own
    /// connection: diesel-async's load first copies every value of every row (a
    /// `sqlite3_value_dup` each), which was a third of the time of the gallery's queries.
    pub(super) async fn rows<R>(&self, conn: &mut DbConn<'_>) -> Result<Vec<R>, DbError>
    where
        R: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + Send + 'static,
    {
        let sql = self.clone();
        Ok(match conn {
            DbConn::Sqlite(c) => c.spawn_blocking(move |c| diesel::RunQueryDsl::load(sql, c)).await?,
            DbConn::Pg(c) => diesel_async::RunQueryDsl::load(sql, &mut **c).await?,
        })
    }

    /// Starts the next condition of the `WHERE` clause.
    pub(super) fn and(&mut self) -> &mut Sql {
        self.conditions += 1;
        self.push(if self.conditions == 1 { " WHERE " } else { " AND " })
    }
}

impl QueryId for Sql {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Sql {
    type SqlType = Untyped;
}

/// Run by diesel's own (synchronous) SQLite connection too, where rows are read in place.
impl<Conn> diesel::RunQueryDsl<Conn> for Sql {}

/// Whether a database plans a prepared statement again for the values bound to it.
pub(super) trait ReplansForValues {
    const REPLANS: bool;
}

impl ReplansForValues for diesel::pg::Pg {
    const REPLANS: bool = true;
}

impl ReplansForValues for diesel::sqlite::Sqlite {
    const REPLANS: bool = false;
}

impl<DB> QueryFragment<DB> for Sql
where
    DB: DieselBackend + HasSqlType<Text> + HasSqlType<BigInt> + HasSqlType<Timestamp> + ReplansForValues,
    String: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_sql(t),
                Part::Bind(p) => bind(&mut out, p)?,
                Part::Unseen(p) if DB::REPLANS => {
                    out.push_sql("(SELECT ");
                    bind(&mut out, p)?;
                    out.push_sql(")");
                }
                Part::Unseen(p) => bind(&mut out, p)?,
            }
        }
        Ok(())
    }
}

fn bind<'b, DB>(out: &mut AstPass<'_, 'b, DB>, param: &'b Param) -> QueryResult<()>
where
    DB: DieselBackend + HasSqlType<Text> + HasSqlType<BigInt> + HasSqlType<Timestamp>,
    String: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
{
    match param {
        Param::Text(v) => out.push_bind_param::<Text, _>(v),
        Param::Int(v) => out.push_bind_param::<BigInt, _>(v),
        Param::Time(v) => out.push_bind_param::<Timestamp, _>(v),
    }
}

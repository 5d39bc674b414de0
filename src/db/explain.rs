//! Query plans of the app's own queries, asked of the database itself: `EXPLAIN` on
//! PostgreSQL, `EXPLAIN QUERY PLAN` on SQLite. `mediadesk explain` prints them and the tests
//! check that every gallery query walks an index.

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Integer, Text};
use diesel::sqlite::Sqlite;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::future::BoxFuture;

use super::pool::SqliteConn;

/// `EXPLAIN` in front of a query; `ST` is what the database answers with.
pub struct Explain<Q, ST>(Q, std::marker::PhantomData<ST>);

impl<Q, ST> QueryId for Explain<Q, ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, ST> Query for Explain<Q, ST>
where
    ST: diesel::sql_types::SqlType + diesel::expression::TypedExpressionType,
{
    type SqlType = ST;
}

impl<Q: QueryFragment<Pg>, ST> QueryFragment<Pg> for Explain<Q, ST> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("EXPLAIN ");
        self.0.walk_ast(out.reborrow())
    }
}

impl<Q: QueryFragment<Sqlite>, ST> QueryFragment<Sqlite> for Explain<Q, ST> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("EXPLAIN QUERY PLAN ");
        self.0.walk_ast(out.reborrow())
    }
}

/// A connection that can show how it would run a query, as lines of text.
pub trait ExplainOn {
    type Backend: diesel::backend::Backend;

    fn explain<'q, Q>(&'q mut self, query: Q) -> BoxFuture<'q, QueryResult<Vec<String>>>
    where
        Q: QueryFragment<Self::Backend> + Send + 'q;
}

impl ExplainOn for AsyncPgConnection {
    type Backend = Pg;

    fn explain<'q, Q>(&'q mut self, query: Q) -> BoxFuture<'q, QueryResult<Vec<String>>>
    where
        Q: QueryFragment<Pg> + Send + 'q,
    {
        Box::pin(async move { Explain::<Q, Text>(query, Default::default()).load::<String>(self).await })
    }
}

impl ExplainOn for SqliteConn {
    type Backend = Sqlite;

    fn explain<'q, Q>(&'q mut self, query: Q) -> BoxFuture<'q, QueryResult<Vec<String>>>
    where
        Q: QueryFragment<Sqlite> + Send + 'q,
    {
        Box::pin(async move {
            let rows = Explain::<Q, (Integer, Integer, Integer, Text)>(query, Default::default())
                .load::<(i32, i32, i32, String)>(self)
                .await?;
            Ok(rows.into_iter().map(|(_, _, _, detail)| detail).collect())
        })
    }
}

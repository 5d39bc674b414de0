use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::sql::{Param, Sql};
use crate::db::rows::{CollectionEntry, CollectionRow, CountedCollection, NewCollection, NewMembership};
use crate::db::schema::collection_items::dsl as ci;
use crate::db::schema::collections::dsl as t;
use crate::db::{DbConn, DbError, run};

/// Collections and what is in them. Who may see or change which is the service's to decide.
pub struct CollectionRepo;

impl CollectionRepo {
    pub async fn create(conn: &mut DbConn<'_>, new: &NewCollection<'_>) -> Result<CollectionRow, DbError> {
        Ok(run!(conn, |c| diesel::insert_into(t::collections)
            .values(new)
            .returning(CollectionRow::as_returning())
            .get_result(c)
            .await)?)
    }

    pub async fn by_id(conn: &mut DbConn<'_>, id: i64) -> Result<Option<CollectionRow>, DbError> {
        Ok(run!(conn, |c| t::collections
            .find(id)
            .select(CollectionRow::as_select())
            .get_result(c)
            .await
            .optional())?)
    }

    /// The collection, locked until the transaction ends (a no-op write: a row lock on
    /// PostgreSQL, the write lock on SQLite) so that what is read is what a change replaces.
    pub async fn locked(conn: &mut DbConn<'_>, id: i64) -> Result<Option<CollectionRow>, DbError> {
        Ok(run!(conn, |c| diesel::update(t::collections.find(id))
            .set(t::id.eq(t::id))
            .returning(CollectionRow::as_returning())
            .get_result(c)
            .await
            .optional())?)
    }

    /// Every collection (`None`), or those of one account plus the system's.
    pub async fn list(conn: &mut DbConn<'_>, of: Option<i64>) -> Result<Vec<CollectionEntry>, DbError> {
        Self::first(conn, of, i64::MAX).await
    }

    /// The first `limit` of [`list`](Self::list), by name, walking the name index. The limit is
    /// written into the SQL: SQLite reads a bound one when it plans, and would compile the query
    /// again on every page that lists the pickers.
    pub async fn first(
        conn: &mut DbConn<'_>,
        of: Option<i64>,
        limit: i64,
    ) -> Result<Vec<CollectionEntry>, DbError> {
        let mut sql = Sql::new("SELECT id, owner_id, parent_id, name FROM collections");
        if let Some(user) = of {
            sql.and().push("(owner_id = ").bind(Param::Int(user)).push(" OR owner_id IS NULL)");
        }
        sql.push(&format!(" ORDER BY name_key LIMIT {limit}"));
        sql.rows(conn).await
    }

    /// A collection and the collections directly inside it, by name, each with its items (the
    /// kept counts, summed over kinds and owners): what a collection's page shows above its
    /// gallery, in one query instead of three.
    ///
    /// Written as [`Sql`], not diesel's DSL: the count's subquery would be a SQL literal there,
    /// which diesel never keeps prepared, so PostgreSQL parsed and planned it on every page
    /// (0.4 ms, five times running it).
    pub async fn with_children(conn: &mut DbConn<'_>, id: i64) -> Result<Vec<(CollectionRow, i64)>, DbError> {
        let mut sql = Sql::new(
            "SELECT c.id, c.owner_id, c.parent_id, c.name, c.name_key, c.created_at, c.updated_at, \
                 (SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM collection_counts \
                  WHERE collection_counts.collection_id = c.id) AS items \
             FROM collections c",
        );
        sql.and().push("(c.id = ").bind(Param::Int(id)).push(" OR c.parent_id = ").bind(Param::Int(id));
        sql.push(") ORDER BY c.name_key");
        let rows: Vec<CountedCollection> = sql.rows(conn).await?;
        Ok(rows.into_iter().map(|r| (r.collection, r.items)).collect())
    }

    pub async fn rename(
        conn: &mut DbConn<'_>,
        id: i64,
        (name, key): (&str, &str),
        now: NaiveDateTime,
    ) -> Result<(), DbError> {
        run!(conn, |c| diesel::update(t::collections.find(id))
            .set((t::name.eq(name), t::name_key.eq(key), t::updated_at.eq(now)))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Makes this transaction's changes to the tree take turns with any other transaction's
    /// (two moves at once could each pass the circle check and together close a circle):
    /// PostgreSQL locks the table against other writers until the transaction ends, SQLite
    /// takes its one write lock with a write that changes nothing.
    pub async fn lock_tree(conn: &mut DbConn<'_>) -> Result<(), DbError> {
        match conn {
            DbConn::Pg(c) => {
                diesel::sql_query("LOCK TABLE collections IN SHARE ROW EXCLUSIVE MODE")
                    .execute(&mut **c)
                    .await?
            }
            DbConn::Sqlite(c) => {
                diesel::sql_query("UPDATE collections SET id = id WHERE 0").execute(&mut **c).await?
            }
        };
        Ok(())
    }

    pub async fn set_parent(
        conn: &mut DbConn<'_>,
        id: i64,
        parent: Option<i64>,
        now: NaiveDateTime,
    ) -> Result<(), DbError> {
        run!(conn, |c| diesel::update(t::collections.find(id))
            .set((t::parent_id.eq(parent), t::updated_at.eq(now)))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Removes the collection and, by the foreign keys, its sub-collections and memberships.
    pub async fn delete(conn: &mut DbConn<'_>, id: i64) -> Result<(), DbError> {
        run!(conn, |c| diesel::delete(t::collections.find(id)).execute(c).await)?;
        Ok(())
    }

    /// Items in each of `ids`, as `(id, count)` for those with any (the kept counts, summed
    /// over kinds and owners).
    pub async fn counts(conn: &mut DbConn<'_>, ids: &[i64]) -> Result<Vec<(i64, i64)>, DbError> {
        use crate::db::schema::collection_counts::dsl as cc;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, i64)> = run!(conn, |c| cc::collection_counts
            .filter(cc::collection_id.eq_any(ids))
            .select((cc::collection_id, cc::n))
            .load(c)
            .await)?;
        let mut summed = std::collections::BTreeMap::new();
        for (id, n) in rows {
            *summed.entry(id).or_insert(0) += n;
        }
        Ok(summed.into_iter().filter(|(_, n)| *n > 0).collect())
    }

    /// Puts an item in; false when it was in already.
    pub async fn add_item(conn: &mut DbConn<'_>, m: &NewMembership<'_>) -> Result<bool, DbError> {
        let n = run!(conn, |c| diesel::insert_into(ci::collection_items)
            .values(m)
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
        Ok(n == 1)
    }

    /// Takes an item out; false when it was not in.
    pub async fn remove_item(
        conn: &mut DbConn<'_>,
        collection: i64,
        (kind, item): (&str, i64),
    ) -> Result<bool, DbError> {
        let n = run!(conn, |c| diesel::delete(
            ci::collection_items
                .filter(ci::collection_id.eq(collection))
                .filter(ci::kind.eq(kind))
                .filter(ci::item_id.eq(item))
        )
        .execute(c)
        .await)?;
        Ok(n == 1)
    }

    /// The collections an item is in (an index walk on `collection_items_item`).
    pub async fn of_item(
        conn: &mut DbConn<'_>,
        (kind, item): (&str, i64),
    ) -> Result<Vec<CollectionRow>, DbError> {
        Ok(run!(conn, |c| ci::collection_items
            .inner_join(t::collections)
            .filter(ci::kind.eq(kind))
            .filter(ci::item_id.eq(item))
            .order(t::name_key.asc())
            .select(CollectionRow::as_select())
            .load(c)
            .await)?)
    }
}

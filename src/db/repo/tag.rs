use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::sql::{Param, Sql};
use crate::db::rows::{NewTagging, TagRow};
use crate::db::schema::item_tags::dsl as it;
use crate::db::schema::tags::dsl as t;
use crate::db::{DbConn, DbError, run};

/// Tags and which items carry them.
pub struct TagRepo;

impl TagRepo {
    /// The tag with this key, made (named `name`) if there is none yet.
    pub async fn get_or_create(conn: &mut DbConn<'_>, name: &str, key: &str) -> Result<TagRow, DbError> {
        run!(conn, |c| diesel::insert_into(t::tags)
            .values((t::name.eq(name), t::key.eq(key)))
            .on_conflict(t::key)
            .do_nothing()
            .execute(c)
            .await)?;
        Ok(run!(conn, |c| t::tags.filter(t::key.eq(key)).select(TagRow::as_select()).get_result(c).await)?)
    }

    /// The tags with these keys (those that exist).
    pub async fn by_keys(conn: &mut DbConn<'_>, keys: &[String]) -> Result<Vec<TagRow>, DbError> {
        Ok(run!(conn, |c| t::tags.filter(t::key.eq_any(keys)).select(TagRow::as_select()).load(c).await)?)
    }

    /// Puts a tag on an item; false when it was on already.
    pub async fn add(conn: &mut DbConn<'_>, tagging: &NewTagging<'_>) -> Result<bool, DbError> {
        let n = run!(conn, |c| diesel::insert_into(it::item_tags)
            .values(tagging)
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
        Ok(n == 1)
    }

    /// Takes a tag off an item; false when it was not on.
    pub async fn remove(conn: &mut DbConn<'_>, tag: i64, (kind, item): (&str, i64)) -> Result<bool, DbError> {
        let n = run!(conn, |c| diesel::delete(
            it::item_tags.filter(it::tag_id.eq(tag)).filter(it::kind.eq(kind)).filter(it::item_id.eq(item))
        )
        .execute(c)
        .await)?;
        Ok(n == 1)
    }

    /// An item's tags, by name (an index walk on `item_tags_item`).
    pub async fn of_item(conn: &mut DbConn<'_>, (kind, item): (&str, i64)) -> Result<Vec<TagRow>, DbError> {
        Ok(run!(conn, |c| it::item_tags
            .inner_join(t::tags)
            .filter(it::kind.eq(kind))
            .filter(it::item_id.eq(item))
            .order(t::key.asc())
            .select(TagRow::as_select())
            .load(c)
            .await)?)
    }

    /// Names of tags on media of this owner or the system's (`None`: on any media), at most
    /// `limit`, by name: what a tag field suggests. The limit is written into the SQL, as in
    /// [`CollectionRepo::first`](super::CollectionRepo::first).
    pub async fn names_in_use(
        conn: &mut DbConn<'_>,
        visible_to: Option<i64>,
        limit: i64,
    ) -> Result<Vec<String>, DbError> {
        // Walked in name order, each tag checked on its kept counts (a key lookup): the first
        // `limit` in use cost `limit` probes, however many taggings there are.
        let mut sql = Sql::new(
            "SELECT name FROM tags WHERE EXISTS (SELECT 1 FROM tag_counts \
             WHERE tag_counts.tag_id = tags.id AND tag_counts.n > 0",
        );
        if let Some(user) = visible_to {
            sql.push(" AND tag_counts.owner_key IN (").bind(Param::Int(user)).push(", 0)");
        }
        sql.push(&format!(") ORDER BY key LIMIT {limit}"));
        let rows: Vec<TagName> = sql.rows(conn).await?;
        Ok(rows.into_iter().map(|r| r.name).collect())
    }
}

#[derive(QueryableByName)]
struct TagName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

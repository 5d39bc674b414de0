use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::rows::{NewUser, UserRow};
use crate::db::schema::users::dsl as t;
use crate::db::{DbConn, DbError, run};

pub struct UserRepo;

impl UserRepo {
    pub async fn create(conn: &mut DbConn<'_>, new: &NewUser<'_>) -> Result<UserRow, DbError> {
        Ok(run!(conn, |c| diesel::insert_into(t::users)
            .values(new)
            .returning(UserRow::as_returning())
            .get_result(c)
            .await)?)
    }

    pub async fn by_id(conn: &mut DbConn<'_>, id: i64) -> Result<Option<UserRow>, DbError> {
        Ok(run!(conn, |c| t::users
            .find(id)
            .select(UserRow::as_select())
            .first(c)
            .await
            .optional())?)
    }

    pub async fn by_username(
        conn: &mut DbConn<'_>,
        username: &str,
    ) -> Result<Option<UserRow>, DbError> {
        Ok(run!(conn, |c| t::users
            .filter(t::username.eq(username))
            .select(UserRow::as_select())
            .first(c)
            .await
            .optional())?)
    }

    pub async fn list(conn: &mut DbConn<'_>) -> Result<Vec<UserRow>, DbError> {
        Ok(run!(conn, |c| t::users
            .order(t::username.asc())
            .select(UserRow::as_select())
            .load(c)
            .await)?)
    }

    pub async fn count(conn: &mut DbConn<'_>) -> Result<i64, DbError> {
        Ok(run!(conn, |c| t::users.count().get_result::<i64>(c).await)?)
    }

    pub async fn exists(conn: &mut DbConn<'_>, id: i64) -> Result<bool, DbError> {
        Ok(run!(conn, |c| diesel::select(diesel::dsl::exists(
            t::users.find(id)
        ))
        .get_result::<bool>(c)
        .await)?)
    }
}

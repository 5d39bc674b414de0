//! Access tokens. A request's token is found by its hash (the unique index) together with its
//! account in one join; an account's list walks `access_tokens_user` newest first. Revoking sets
//! `revoked_at` on tokens still live and leaves ended ones as they ended.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::rows::{AccessTokenRow, NewAccessToken, UserRow};
use crate::db::schema::access_tokens::dsl as t;
use crate::db::schema::users;
use crate::db::{DbConn, DbError, run};

pub struct TokenRepo;

impl TokenRepo {
    pub async fn create(conn: &mut DbConn<'_>, row: &NewAccessToken<'_>) -> Result<AccessTokenRow, DbError> {
        Ok(run!(conn, |c| diesel::insert_into(t::access_tokens)
            .values(row)
            .returning(AccessTokenRow::as_returning())
            .get_result(c)
            .await)?)
    }

    /// The token with this hash and its account, live or not.
    pub async fn by_hash(
        conn: &mut DbConn<'_>,
        hash: &str,
    ) -> Result<Option<(AccessTokenRow, UserRow)>, DbError> {
        Ok(run!(conn, |c| t::access_tokens
            .inner_join(users::table)
            .filter(t::token_hash.eq(hash))
            .select((AccessTokenRow::as_select(), UserRow::as_select()))
            .get_result(c)
            .await
            .optional())?)
    }

    /// Up to `limit` of an account's tokens, newest first.
    pub async fn of_user(
        conn: &mut DbConn<'_>,
        user: i64,
        limit: i64,
    ) -> Result<Vec<AccessTokenRow>, DbError> {
        Ok(run!(conn, |c| t::access_tokens
            .filter(t::user_id.eq(user))
            .select(AccessTokenRow::as_select())
            .order((t::created_at.desc(), t::id.desc()))
            .limit(limit)
            .load(c)
            .await)?)
    }

    /// The name of the account's token `id`.
    pub async fn name_of(conn: &mut DbConn<'_>, user: i64, id: i64) -> Result<Option<String>, DbError> {
        Ok(run!(conn, |c| t::access_tokens
            .find(id)
            .filter(t::user_id.eq(user))
            .select(t::name)
            .get_result(c)
            .await
            .optional())?)
    }

    /// How many of an account's tokens are live at `now`.
    pub async fn live_count(conn: &mut DbConn<'_>, user: i64, now: NaiveDateTime) -> Result<i64, DbError> {
        Ok(run!(conn, |c| t::access_tokens
            .filter(t::user_id.eq(user))
            .filter(t::revoked_at.is_null())
            .filter(t::expires_at.is_null().or(t::expires_at.gt(now)))
            .count()
            .get_result(c)
            .await)?)
    }

    /// Live tokens per account at `now` (accounts without any are left out).
    pub async fn live_counts(conn: &mut DbConn<'_>, now: NaiveDateTime) -> Result<Vec<(i64, i64)>, DbError> {
        Ok(run!(conn, |c| t::access_tokens
            .filter(t::revoked_at.is_null())
            .filter(t::expires_at.is_null().or(t::expires_at.gt(now)))
            .group_by(t::user_id)
            .select((t::user_id, diesel::dsl::count_star()))
            .load(c)
            .await)?)
    }

    /// Revokes the account's live token `id` (or all its live tokens); how many were.
    pub async fn revoke(
        conn: &mut DbConn<'_>,
        user: i64,
        id: Option<i64>,
        now: NaiveDateTime,
    ) -> Result<usize, DbError> {
        let live = t::revoked_at.is_null().and(t::expires_at.is_null().or(t::expires_at.gt(now)));
        Ok(match id {
            Some(id) => run!(conn, |c| diesel::update(
                t::access_tokens.filter(t::user_id.eq(user)).filter(t::id.eq(id)).filter(live)
            )
            .set(t::revoked_at.eq(now))
            .execute(c)
            .await)?,
            None => {
                run!(conn, |c| diesel::update(t::access_tokens.filter(t::user_id.eq(user)).filter(live))
                    .set(t::revoked_at.eq(now))
                    .execute(c)
                    .await)?
            }
        })
    }

    /// Marks a token used at `now`.
    pub async fn touch(conn: &mut DbConn<'_>, id: i64, now: NaiveDateTime) -> Result<(), DbError> {
        run!(conn, |c| diesel::update(t::access_tokens.find(id))
            .set(t::last_used_at.eq(now))
            .execute(c)
            .await)?;
        Ok(())
    }
}

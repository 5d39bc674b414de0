use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::rows::{NewSignOn, SignOnRow};
use crate::db::schema::sign_ons::dsl as t;
use crate::db::{DbConn, DbError, run};

pub struct SignOnRepo;

impl SignOnRepo {
    /// The link of a provider's person, if any (the unique `(issuer, subject)` index).
    pub async fn find(
        conn: &mut DbConn<'_>,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<SignOnRow>, DbError> {
        Ok(run!(conn, |c| t::sign_ons
            .filter(t::issuer.eq(issuer).and(t::subject.eq(subject)))
            .select(SignOnRow::as_select())
            .get_result(c)
            .await
            .optional())?)
    }

    /// Fails with a unique violation when the person is already linked (to any account).
    pub async fn add(conn: &mut DbConn<'_>, new: &NewSignOn<'_>) -> Result<SignOnRow, DbError> {
        Ok(run!(conn, |c| diesel::insert_into(t::sign_ons)
            .values(new)
            .returning(SignOnRow::as_returning())
            .get_result(c)
            .await)?)
    }

    pub async fn of_user(conn: &mut DbConn<'_>, user_id: i64) -> Result<Vec<SignOnRow>, DbError> {
        Ok(run!(conn, |c| t::sign_ons
            .filter(t::user_id.eq(user_id))
            .order(t::id.asc())
            .select(SignOnRow::as_select())
            .load(c)
            .await)?)
    }

    pub async fn used(conn: &mut DbConn<'_>, id: i64, at: NaiveDateTime) -> Result<(), DbError> {
        run!(conn, |c| diesel::update(t::sign_ons.find(id))
            .set(t::last_used_at.eq(Some(at)))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Removes one of the account's links; the removed row, if it was there.
    pub async fn remove(conn: &mut DbConn<'_>, user_id: i64, id: i64) -> Result<Option<SignOnRow>, DbError> {
        Ok(run!(conn, |c| diesel::delete(t::sign_ons.filter(t::id.eq(id).and(t::user_id.eq(user_id))))
            .returning(SignOnRow::as_returning())
            .get_result(c)
            .await
            .optional())?)
    }

    /// Every link's account and name, for the accounts page (a row per person linked: few).
    pub async fn names(conn: &mut DbConn<'_>) -> Result<Vec<(i64, String)>, DbError> {
        Ok(run!(conn, |c| t::sign_ons.order(t::id.asc()).select((t::user_id, t::known_as)).load(c).await)?)
    }

    /// Removes every link of an account; how many there were.
    pub async fn remove_all(conn: &mut DbConn<'_>, user_id: i64) -> Result<usize, DbError> {
        Ok(run!(conn, |c| diesel::delete(t::sign_ons.filter(t::user_id.eq(user_id))).execute(c).await)?)
    }
}

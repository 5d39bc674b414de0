use chrono::NaiveDateTime;
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
        Ok(run!(conn, |c| t::users.find(id).select(UserRow::as_select()).get_result(c).await.optional())?)
    }

    pub async fn by_username(conn: &mut DbConn<'_>, username: &str) -> Result<Option<UserRow>, DbError> {
        Ok(run!(conn, |c| t::users
            .filter(t::username.eq(username))
            .select(UserRow::as_select())
            .get_result(c)
            .await
            .optional())?)
    }

    pub async fn list(conn: &mut DbConn<'_>) -> Result<Vec<UserRow>, DbError> {
        Ok(run!(conn, |c| t::users.order(t::username.asc()).select(UserRow::as_select()).load(c).await)?)
    }

    pub async fn count(conn: &mut DbConn<'_>) -> Result<i64, DbError> {
        Ok(run!(conn, |c| t::users.count().get_result::<i64>(c).await)?)
    }

    pub async fn exists(conn: &mut DbConn<'_>, id: i64) -> Result<bool, DbError> {
        Ok(run!(conn, |c| diesel::select(diesel::dsl::exists(t::users.find(id)))
            .get_result::<bool>(c)
            .await)?)
    }
}

/// Account changes and sign-in bookkeeping.
impl UserRepo {
    pub async fn set_role(
        conn: &mut DbConn<'_>,
        id: i64,
        role: &str,
        now: NaiveDateTime,
    ) -> Result<bool, DbError> {
        Ok(run!(conn, |c| diesel::update(t::users.find(id))
            .set((t::role.eq(role), t::updated_at.eq(now)))
            .execute(c)
            .await)?
            == 1)
    }

    /// Also ends every session of the account.
    pub async fn set_password(
        conn: &mut DbConn<'_>,
        id: i64,
        hash: &str,
        now: NaiveDateTime,
    ) -> Result<bool, DbError> {
        Ok(run!(conn, |c| diesel::update(t::users.find(id))
            .set((
                t::password_hash.eq(hash),
                t::session_epoch.eq(t::session_epoch + 1),
                t::updated_at.eq(now)
            ))
            .execute(c)
            .await)?
            == 1)
    }

    /// `None`: the default quota (see [`crate::domain::Quota::to_column`]).
    pub async fn set_quota(
        conn: &mut DbConn<'_>,
        id: i64,
        quota: Option<i64>,
        now: NaiveDateTime,
    ) -> Result<bool, DbError> {
        Ok(run!(conn, |c| diesel::update(t::users.find(id))
            .set((t::quota_bytes.eq(quota), t::updated_at.eq(now)))
            .execute(c)
            .await)?
            == 1)
    }

    pub async fn quota(conn: &mut DbConn<'_>, id: i64) -> Result<Option<i64>, DbError> {
        let found: Option<Option<i64>> =
            run!(conn, |c| t::users.find(id).select(t::quota_bytes).get_result(c).await.optional())?;
        Ok(found.flatten())
    }

    /// Also ends every session of the account.
    pub async fn set_disabled(
        conn: &mut DbConn<'_>,
        id: i64,
        disabled: bool,
        now: NaiveDateTime,
    ) -> Result<bool, DbError> {
        Ok(run!(conn, |c| diesel::update(t::users.find(id))
            .set((t::disabled.eq(disabled), t::session_epoch.eq(t::session_epoch + 1), t::updated_at.eq(now)))
            .execute(c)
            .await)?
            == 1)
    }

    /// Ends every session of the account.
    pub async fn bump_session_epoch(conn: &mut DbConn<'_>, id: i64) -> Result<(), DbError> {
        run!(conn, |c| diesel::update(t::users.find(id))
            .set(t::session_epoch.eq(t::session_epoch + 1))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Active admins, to keep the last one from being demoted or disabled.
    pub async fn count_active_admins(conn: &mut DbConn<'_>) -> Result<i64, DbError> {
        Ok(run!(conn, |c| t::users
            .filter(t::role.eq("admin").and(t::disabled.eq(false)))
            .count()
            .get_result::<i64>(c)
            .await)?)
    }

    pub async fn record_sign_in_failure(
        conn: &mut DbConn<'_>,
        username: &str,
        ip: &str,
        now: NaiveDateTime,
    ) -> Result<(), DbError> {
        use crate::db::schema::sign_in_failures::dsl as f;
        run!(conn, |c| diesel::insert_into(f::sign_in_failures)
            .values((f::username.eq(username), f::ip.eq(ip), f::created_at.eq(now)))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Failures since `since`: for this account from this address, for this account from any
    /// address, and from this address for any account.
    pub async fn sign_in_failures(
        conn: &mut DbConn<'_>,
        username: &str,
        ip: &str,
        since: NaiveDateTime,
    ) -> Result<(i64, i64, i64), DbError> {
        use crate::db::schema::sign_in_failures::dsl as f;
        let account = run!(conn, |c| f::sign_in_failures
            .filter(f::username.eq(username).and(f::ip.eq(ip)).and(f::created_at.ge(since)))
            .count()
            .get_result::<i64>(c)
            .await)?;
        let anywhere = run!(conn, |c| f::sign_in_failures
            .filter(f::username.eq(username).and(f::created_at.ge(since)))
            .count()
            .get_result::<i64>(c)
            .await)?;
        let address = run!(conn, |c| f::sign_in_failures
            .filter(f::ip.eq(ip).and(f::created_at.ge(since)))
            .count()
            .get_result::<i64>(c)
            .await)?;
        Ok((account, anywhere, address))
    }

    /// Marks a successful sign-in.
    pub async fn signed_in(conn: &mut DbConn<'_>, id: i64, now: NaiveDateTime) -> Result<(), DbError> {
        run!(conn, |c| diesel::update(t::users.find(id)).set(t::last_sign_in_at.eq(now)).execute(c).await)?;
        Ok(())
    }

    /// How many media items each owner has (system media under 0), from the counters the
    /// triggers keep.
    pub async fn media_counts(conn: &mut DbConn<'_>) -> Result<Vec<(i64, i64)>, DbError> {
        use crate::db::schema::media_counts::dsl as mc;
        let rows: Vec<(i64, i64)> =
            run!(conn, |c| mc::media_counts.select((mc::owner_key, mc::n)).load(c).await)?;
        let mut sums: Vec<(i64, i64)> = Vec::new();
        for (owner, n) in rows {
            match sums.iter_mut().find(|(o, _)| *o == owner) {
                Some((_, total)) => *total += n,
                None => sums.push((owner, n)),
            }
        }
        Ok(sums)
    }

    pub async fn clear_sign_in_failures(
        conn: &mut DbConn<'_>,
        username: &str,
        ip: &str,
    ) -> Result<(), DbError> {
        use crate::db::schema::sign_in_failures::dsl as f;
        run!(conn, |c| diesel::delete(
            f::sign_in_failures.filter(f::username.eq(username).and(f::ip.eq(ip)))
        )
        .execute(c)
        .await)?;
        Ok(())
    }

    /// Drops bookkeeping older than `before`.
    pub async fn prune_sign_in_failures(conn: &mut DbConn<'_>, before: NaiveDateTime) -> Result<(), DbError> {
        use crate::db::schema::sign_in_failures::dsl as f;
        run!(conn, |c| diesel::delete(f::sign_in_failures.filter(f::created_at.lt(before)))
            .execute(c)
            .await)?;
        Ok(())
    }
}

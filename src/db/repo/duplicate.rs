//! Exact duplicates: items whose files have the same SHA-256 (indexes from migration 000016),
//! or whose earlier files had it (000027).

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::audios::dsl as a;
use crate::db::schema::images::dsl as i;
use crate::db::schema::versions::dsl as v;
use crate::db::{DbConn, DbError, run};

/// One item of a group of duplicates: id, owner, file name, when it came, its thumbnail.
pub type Member = (i64, Option<i64>, String, NaiveDateTime, Option<String>);

pub struct DuplicateRepo;

impl DuplicateRepo {
    /// An item of this kind holding this file that `visible_to` sees (their own or the
    /// system's; `None`: anyone's), the oldest first: its id and file name.
    pub async fn find(
        conn: &mut DbConn<'_>,
        kind: &str,
        sha: &str,
        visible_to: Option<i64>,
    ) -> Result<Option<(i64, String)>, DbError> {
        Ok(run!(conn, |c| match (kind, visible_to) {
            ("image", None) => {
                i::images
                    .filter(i::sha256.eq(sha))
                    .order(i::id.asc())
                    .select((i::id, i::original_filename))
                    .first(c)
                    .await
                    .optional()
            }
            ("image", Some(user)) => i::images
                .filter(i::sha256.eq(sha))
                .filter(i::owner_id.eq(user).or(i::owner_id.is_null()))
                .order(i::id.asc())
                .select((i::id, i::original_filename))
                .first(c)
                .await
                .optional(),
            (_, None) => {
                a::audios
                    .filter(a::sha256.eq(sha))
                    .order(a::id.asc())
                    .select((a::id, a::original_filename))
                    .first(c)
                    .await
                    .optional()
            }
            (_, Some(user)) => a::audios
                .filter(a::sha256.eq(sha))
                .filter(a::owner_id.eq(user).or(a::owner_id.is_null()))
                .order(a::id.asc())
                .select((a::id, a::original_filename))
                .first(c)
                .await
                .optional(),
        })?)
    }

    /// An item of this kind that `visible_to` sees (as in [`Self::find`]) which held this file
    /// before it was replaced or turned, the file kept as a version to roll back to (index
    /// `versions_sha256`): the item's id and file name now.
    pub async fn find_version(
        conn: &mut DbConn<'_>,
        kind: &str,
        sha: &str,
        visible_to: Option<i64>,
    ) -> Result<Option<(i64, String)>, DbError> {
        // The same query over either kind's table (diesel types each apart).
        macro_rules! held_before {
            ($c:expr, $t:ident, $items:ident, $kind:literal) => {{
                let q = v::versions
                    .inner_join($t::$items.on($t::id.eq(v::item_id)))
                    .filter(v::sha256.eq(sha))
                    .filter(v::kind.eq($kind))
                    .order(v::id.asc())
                    .select(($t::id, $t::original_filename));
                match visible_to {
                    Some(u) => q.filter($t::owner_id.eq(u).or($t::owner_id.is_null())).first($c).await,
                    None => q.first($c).await,
                }
            }};
        }
        Ok(run!(conn, |c| match kind {
            "image" => held_before!(c, i, images, "image"),
            _ => held_before!(c, a, audios, "audio"),
        }
        .optional())?)
    }

    /// Files held more than once, among one owner's items (`Some`) or everyone's: kind,
    /// SHA-256 and how many, at most `limit` of each kind.
    pub async fn groups(
        conn: &mut DbConn<'_>,
        owner: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(&'static str, String, i64)>, DbError> {
        let images: Vec<(String, i64)> = run!(conn, |c| {
            let q =
                i::images.group_by(i::sha256).having(count_star().gt(1)).select((i::sha256, count_star()));
            match owner {
                Some(o) => q.filter(i::owner_id.eq(o)).order(i::sha256.asc()).limit(limit).load(c).await,
                None => q.order(i::sha256.asc()).limit(limit).load(c).await,
            }
        })?;
        let audios: Vec<(String, i64)> = run!(conn, |c| {
            let q =
                a::audios.group_by(a::sha256).having(count_star().gt(1)).select((a::sha256, count_star()));
            match owner {
                Some(o) => q.filter(a::owner_id.eq(o)).order(a::sha256.asc()).limit(limit).load(c).await,
                None => q.order(a::sha256.asc()).limit(limit).load(c).await,
            }
        })?;
        Ok(images
            .into_iter()
            .map(|(s, n)| ("image", s, n))
            .chain(audios.into_iter().map(|(s, n)| ("audio", s, n)))
            .collect())
    }

    /// The items of one group (of one owner, or everyone's), the oldest first.
    pub async fn members(
        conn: &mut DbConn<'_>,
        kind: &str,
        sha: &str,
        owner: Option<i64>,
    ) -> Result<Vec<Member>, DbError> {
        Ok(run!(conn, |c| if kind == "image" {
            let q = i::images.filter(i::sha256.eq(sha)).order((i::created_at.asc(), i::id.asc())).select((
                i::id,
                i::owner_id,
                i::original_filename,
                i::created_at,
                i::thumbnail_key,
            ));
            match owner {
                Some(o) => q.filter(i::owner_id.eq(o)).load(c).await,
                None => q.load(c).await,
            }
        } else {
            let q = a::audios.filter(a::sha256.eq(sha)).order((a::created_at.asc(), a::id.asc())).select((
                a::id,
                a::owner_id,
                a::original_filename,
                a::created_at,
                a::waveform_key,
            ));
            match owner {
                Some(o) => q.filter(a::owner_id.eq(o)).load(c).await,
                None => q.load(c).await,
            }
        })?)
    }
}

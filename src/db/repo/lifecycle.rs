//! How the database runs the trash, version, duplicate, look-alike, sound-alike, quota, audit log, webhook,
//! share link and token queries (`mediadesk explain --lifecycle`): each should walk an index, never read a
//! whole table, but for the one that finds every group of look-alikes, which needs every look.

use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::explain::ExplainOn;
use crate::db::schema::access_tokens::dsl as k;
use crate::db::schema::audios::dsl as a;
use crate::db::schema::audit_log::dsl as l;
use crate::db::schema::images::dsl as i;
use crate::db::schema::shares::dsl as s;
use crate::db::schema::storage_usage::dsl as u;
use crate::db::schema::trash::dsl as t;
use crate::db::schema::users;
use crate::db::schema::versions::dsl as v;
use crate::db::{DbConn, DbError, now, run};

pub struct LifecycleRepo;

impl LifecycleRepo {
    /// (what, plan) for each query, as `owner` (a user) and as staff would run it.
    pub async fn plans(conn: &mut DbConn<'_>, owner: i64) -> Result<Vec<(&'static str, String)>, DbError> {
        let at = now();
        let sha = "0".repeat(64);
        let mut out = Vec::new();
        macro_rules! plan {
            ($what:expr, $query:expr) => {{
                let lines = run!(conn, |c| ExplainOn::explain(c, $query).await)?;
                out.push(($what, lines.join("\n")));
            }};
        }
        let newest = (t::trashed_at.desc(), t::id.desc());
        plan!(
            "trash page, one owner",
            t::trash.filter(t::owner_id.eq(owner)).order(newest).limit(51).select(t::id)
        );
        plan!("trash page, everyone's", t::trash.order(newest).limit(51).select(t::id));
        plan!(
            "trash past its time",
            t::trash.filter(t::purge_at.le(at)).order(t::purge_at.asc()).limit(200).select(t::id)
        );
        plan!(
            "trash entry of an item",
            t::trash.filter(t::kind.eq("image")).filter(t::item_id.eq(1)).select(t::id)
        );
        let recent = (v::replaced_at.desc(), v::id.desc());
        plan!(
            "versions of an item",
            v::versions.filter(v::kind.eq("image")).filter(v::item_id.eq(1)).order(recent).select(v::id)
        );
        plan!(
            "versions past their time",
            v::versions.filter(v::purge_at.le(at)).order(v::purge_at.asc()).limit(200).select(v::id)
        );
        plan!(
            "duplicate at upload, a user's view (images)",
            i::images
                .filter(i::sha256.eq(&sha))
                .filter(i::owner_id.eq(owner).or(i::owner_id.is_null()))
                .order(i::id.asc())
                .limit(1)
                .select(i::id)
        );
        plan!(
            "duplicate at upload, a user's view (audio)",
            a::audios
                .filter(a::sha256.eq(&sha))
                .filter(a::owner_id.eq(owner).or(a::owner_id.is_null()))
                .order(a::id.asc())
                .limit(1)
                .select(a::id)
        );
        plan!(
            "duplicate at upload, an earlier file (images)",
            v::versions
                .inner_join(i::images.on(i::id.eq(v::item_id)))
                .filter(v::sha256.eq(&sha))
                .filter(v::kind.eq("image"))
                .filter(i::owner_id.eq(owner).or(i::owner_id.is_null()))
                .order(v::id.asc())
                .limit(1)
                .select(i::id)
        );
        plan!(
            "duplicate at upload, staff (images)",
            i::images.filter(i::sha256.eq(&sha)).order(i::id.asc()).limit(1).select(i::id)
        );
        let held_twice = count_star().gt(1);
        plan!(
            "duplicate groups, one owner (images)",
            i::images
                .filter(i::owner_id.eq(owner))
                .group_by(i::sha256)
                .having(held_twice)
                .select(i::sha256)
                .order(i::sha256.asc())
                .limit(50)
        );
        plan!(
            "duplicate groups, everyone's (images)",
            i::images
                .group_by(i::sha256)
                .having(held_twice)
                .select(i::sha256)
                .order(i::sha256.asc())
                .limit(50)
        );
        plan!(
            "duplicate groups, everyone's (audio)",
            a::audios
                .group_by(a::sha256)
                .having(held_twice)
                .select(a::sha256)
                .order(a::sha256.asc())
                .limit(50)
        );
        // A look with no flat quarter, so all four indexes are asked.
        let look = 0x1234_5678_9ABC_DEF0;
        plan!("look-alikes, a user's view", super::alike::AlikeRepo::query(look, 1, Some(owner)));
        plan!("look-alikes, staff", super::alike::AlikeRepo::query(look, 1, None));
        let keys: Vec<i64> = (1..=crate::domain::PRINT_KEYS as i64).map(|k| k * 7919).collect();
        plan!("sound-alikes, a user's view", super::sound::SoundRepo::query(&keys, 1, Some(owner)));
        plan!("sound-alikes, staff", super::sound::SoundRepo::query(&keys, 1, None));
        use super::alike_groups::AlikeGroupRepo as Groups;
        plan!("look-alike groups, one owner's", Groups::looks_query(Some(owner)));
        // Every group of everyone's needs every look: the one query here that reads a table.
        plan!("look-alike groups, everyone's (reads every look once)", Groups::looks_query(None));
        plan!("sound-alike groups, keys held twice, one owner's", Groups::held_keys_query(Some(owner)));
        plan!("sound-alike groups, keys held twice, everyone's", Groups::held_keys_query(None));
        plan!("sound-alike groups, holders, one owner's", Groups::holders_query(&keys, Some(owner)));
        plan!("sound-alike groups, holders, everyone's", Groups::holders_query(&keys, None));
        use crate::db::schema::{kept_apart_audios::dsl as ka, kept_apart_images::dsl as ki};
        let firsts = vec![1_i64, 2, 3];
        plan!(
            "look-alike groups, pairs kept apart",
            ki::kept_apart_images.filter(ki::first_id.eq_any(&firsts)).select((ki::first_id, ki::second_id))
        );
        plan!(
            "sound-alike groups, pairs kept apart",
            ka::kept_apart_audios.filter(ka::first_id.eq_any(&firsts)).select((ka::first_id, ka::second_id))
        );
        plan!(
            "pictures an item is kept apart from, as the later of a pair",
            ki::kept_apart_images.filter(ki::second_id.eq(1)).select(ki::first_id)
        );
        plan!(
            "sounds an item is kept apart from, as the later of a pair",
            ka::kept_apart_audios.filter(ka::second_id.eq(1)).select(ka::first_id)
        );
        plan!(
            "copies of one file (images)",
            i::images.filter(i::sha256.eq(&sha)).order((i::created_at.asc(), i::id.asc())).select(i::id)
        );
        plan!("storage used by an owner", u::storage_usage.find(owner).select(u::bytes));
        let newest = (l::at.desc(), l::id.desc());
        plan!("audit log, newest first", l::audit_log.order(newest).limit(51).select(l::id));
        plan!(
            "audit log of one account",
            l::audit_log.filter(l::actor_id.eq(owner)).order(newest).limit(51).select(l::id)
        );
        plan!(
            "audit log of one action",
            l::audit_log.filter(l::action.eq("upload")).order(newest).limit(51).select(l::id)
        );
        plan!(
            "audit log of one item",
            l::audit_log
                .filter(l::item_kind.eq("image"))
                .filter(l::item_id.eq(1))
                .order(newest)
                .limit(51)
                .select(l::id)
        );
        plan!("audit log past its time", l::audit_log.filter(l::at.lt(at)).select(l::id));
        plan!(
            "audit log past its time, delivered",
            l::audit_log.filter(l::at.lt(at).and(l::id.le(1))).select(l::id)
        );
        plan!(
            "webhook events after the cursor",
            l::audit_log.filter(l::id.gt(1)).filter(l::at.lt(at)).order(l::id.asc()).limit(50).select(l::id)
        );
        plan!("share link by its token", s::shares.filter(s::token_hash.eq(&sha)).select(s::id));
        let newest = (s::created_at.desc(), s::id.desc());
        let live = s::revoked_at.is_null().and(s::expires_at.is_null().or(s::expires_at.gt(at)));
        plan!(
            "share links of an item",
            s::shares
                .filter(s::kind.eq("image"))
                .filter(s::item_id.eq(1))
                .order(newest)
                .limit(200)
                .select(s::id)
        );
        plan!(
            "live share links of one account",
            s::shares.filter(s::created_by.eq(owner)).filter(live).order(newest).limit(51).select(s::id)
        );
        plan!("share links, everyone's", s::shares.order(newest).limit(51).select(s::id));
        plan!(
            "live share links of items about to be deleted",
            s::shares
                .filter(s::kind.eq("image"))
                .filter(s::item_id.eq_any([1_i64, 2, 3]))
                .filter(live)
                .group_by(s::item_id)
                .select((s::item_id, diesel::dsl::count_star()))
        );
        plan!(
            "access token by its hash, with its account",
            k::access_tokens
                .inner_join(users::table)
                .filter(k::token_hash.eq(&sha))
                .select((k::id, users::disabled))
        );
        plan!(
            "access tokens of one account",
            k::access_tokens
                .filter(k::user_id.eq(owner))
                .order((k::created_at.desc(), k::id.desc()))
                .limit(100)
                .select(k::id)
        );
        Ok(out)
    }
}

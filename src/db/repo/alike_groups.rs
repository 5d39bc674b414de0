//! Every group of look- or sound-alikes among one owner's items or everyone's, for cleaning
//! up. Unlike one item's alikes (alike.rs, sound.rs), this reads each look, or each print's
//! keys, once: images are bucketed by quarter in memory, sounds paired by the key index. Pairs
//! someone said are not duplicates are kept apart (migration 000036).

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::sql::{Param, Sql};
use crate::db::rows::{AlikeMemberRow, HeldKey, IdLook, KeyHolder, KeyPair};
use crate::db::schema::audios::dsl as a;
use crate::db::schema::images::dsl as i;
use crate::db::schema::kept_apart_audios::dsl as ka;
use crate::db::schema::kept_apart_images::dsl as ki;
use crate::db::{DbConn, DbError, run};

/// Pairs of sounds kept at most, those sharing the most keys first: each is compared (under a
/// millisecond), and a library holds few copies of a sound.
pub const KEY_PAIRS: usize = 4000;

/// Keys held more than once read at most: a copy shares most of its 24.
const HELD_KEYS: usize = 24 * KEY_PAIRS;

/// Sounds a key may be held by and still pair them: a key a whole series holds (a podcast's
/// jingle) would pair every episode with every other, some k²/2 pairs; those sounds still pair
/// through their other keys.
const MAX_HOLDERS: usize = 64;

pub struct AlikeGroupRepo;

impl AlikeGroupRepo {
    /// The looks of one owner's images (`Some`) or everyone's.
    pub async fn looks(conn: &mut DbConn<'_>, owner: Option<i64>) -> Result<Vec<IdLook>, DbError> {
        Self::looks_query(owner).rows(conn).await
    }

    pub(super) fn looks_query(owner: Option<i64>) -> Sql {
        let mut sql = Sql::new("SELECT id, look FROM images WHERE look IS NOT NULL");
        if let Some(o) = owner {
            sql.push(" AND owner_id = ").bind(Param::Int(o));
        }
        sql
    }

    /// Sounds of one owner (`Some`) or everyone's whose prints share keys, those sharing the
    /// most first, at most [`KEY_PAIRS`]: the keys held more than once, then who holds each,
    /// paired here ([`paired`]). (One query joining the keys to themselves read every key twice: 748 ms on
    /// SQLite for 600 000 keys; PostgreSQL, which cannot tell how few keys are held twice, hashed
    /// the whole table even when asked for the held keys first.)
    pub async fn key_pairs(conn: &mut DbConn<'_>, owner: Option<i64>) -> Result<Vec<KeyPair>, DbError> {
        let held: Vec<HeldKey> = Self::held_keys_query(owner).rows(conn).await?;
        let keys: Vec<i64> = held.into_iter().map(|h| h.key).collect();
        let mut holders: Vec<KeyHolder> = Vec::new();
        // SQLite binds each key apart: a few hundred a statement stay well under its limit.
        for chunk in keys.chunks(500) {
            holders.extend(Self::holders_query(chunk, owner).rows::<KeyHolder>(conn).await?);
        }
        Ok(paired(holders))
    }

    /// Keys more than one sound holds: everyone's in the key index's order; one owner's from
    /// their sounds (owner index) and each one's keys (audio index).
    pub(super) fn held_keys_query(owner: Option<i64>) -> Sql {
        let mut sql = Sql::new("SELECT k.key FROM ");
        match owner {
            Some(o) => {
                sql.push("audios a JOIN sound_keys k ON k.audio_id = a.id WHERE a.owner_id = ")
                    .bind(Param::Int(o));
            }
            None => {
                sql.push("sound_keys k");
            }
        }
        sql.push(&format!(" GROUP BY k.key HAVING COUNT(*) > 1 ORDER BY k.key LIMIT {HELD_KEYS}"));
        sql
    }

    /// Who holds each of these keys (the key index), of one owner's sounds or everyone's.
    pub(super) fn holders_query(keys: &[i64], owner: Option<i64>) -> Sql {
        let mut sql = Sql::new("SELECT k.key, k.audio_id FROM sound_keys k");
        if owner.is_some() {
            sql.push(" JOIN audios a ON a.id = k.audio_id");
        }
        sql.push(" WHERE k.key IN (");
        for (n, key) in keys.iter().enumerate() {
            sql.push(if n == 0 { "" } else { ", " }).bind(Param::Int(*key));
        }
        sql.push(")");
        if let Some(o) = owner {
            sql.push(" AND a.owner_id = ").bind(Param::Int(o));
        }
        sql
    }

    /// Of these pairs of one kind's items (the lower id first), those said not to be
    /// duplicates.
    pub async fn kept_apart(
        conn: &mut DbConn<'_>,
        kind: &str,
        pairs: &[(i64, i64)],
    ) -> Result<HashSet<(i64, i64)>, DbError> {
        let mut firsts: Vec<i64> = pairs.iter().map(|p| p.0).collect();
        firsts.sort_unstable();
        firsts.dedup();
        let mut out = HashSet::new();
        for chunk in firsts.chunks(500) {
            let rows: Vec<(i64, i64)> = run!(conn, |c| if kind == "image" {
                ki::kept_apart_images
                    .filter(ki::first_id.eq_any(chunk))
                    .select((ki::first_id, ki::second_id))
                    .load(c)
                    .await
            } else {
                ka::kept_apart_audios
                    .filter(ka::first_id.eq_any(chunk))
                    .select((ka::first_id, ka::second_id))
                    .load(c)
                    .await
            })?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Says each of these pairs of one kind's items (the lower id first) is not duplicates;
    /// a pair said so before stays as it is. The pairs newly said so.
    pub async fn keep_apart(
        conn: &mut DbConn<'_>,
        kind: &str,
        pairs: &[(i64, i64)],
    ) -> Result<Vec<(i64, i64)>, DbError> {
        let mut stored = Vec::new();
        for &(first, second) in pairs {
            let n = run!(conn, |c| if kind == "image" {
                diesel::insert_into(ki::kept_apart_images)
                    .values((ki::first_id.eq(first), ki::second_id.eq(second)))
                    .on_conflict_do_nothing()
                    .execute(c)
                    .await
            } else {
                diesel::insert_into(ka::kept_apart_audios)
                    .values((ka::first_id.eq(first), ka::second_id.eq(second)))
                    .on_conflict_do_nothing()
                    .execute(c)
                    .await
            })?;
            if n > 0 {
                stored.push((first, second));
            }
        }
        Ok(stored)
    }

    /// Forgets that these pairs (the lower id first) are not duplicates; the pairs that were.
    pub async fn alike_again(
        conn: &mut DbConn<'_>,
        kind: &str,
        pairs: &[(i64, i64)],
    ) -> Result<Vec<(i64, i64)>, DbError> {
        let mut forgotten = Vec::new();
        for &(first, second) in pairs {
            let n = run!(conn, |c| if kind == "image" {
                diesel::delete(ki::kept_apart_images.find((first, second))).execute(c).await
            } else {
                diesel::delete(ka::kept_apart_audios.find((first, second))).execute(c).await
            })?;
            if n > 0 {
                forgotten.push((first, second));
            }
        }
        Ok(forgotten)
    }

    /// The items item `id` is kept apart from, by the primary key one way and the second
    /// id's index the other.
    pub async fn apart_from(conn: &mut DbConn<'_>, kind: &str, id: i64) -> Result<Vec<i64>, DbError> {
        let (mut later, earlier): (Vec<i64>, Vec<i64>) = if kind == "image" {
            let later = run!(conn, |c| ki::kept_apart_images
                .filter(ki::first_id.eq(id))
                .select(ki::second_id)
                .load(c)
                .await)?;
            let earlier = run!(conn, |c| ki::kept_apart_images
                .filter(ki::second_id.eq(id))
                .select(ki::first_id)
                .load(c)
                .await)?;
            (later, earlier)
        } else {
            let later = run!(conn, |c| ka::kept_apart_audios
                .filter(ka::first_id.eq(id))
                .select(ka::second_id)
                .load(c)
                .await)?;
            let earlier = run!(conn, |c| ka::kept_apart_audios
                .filter(ka::second_id.eq(id))
                .select(ka::first_id)
                .load(c)
                .await)?;
            (later, earlier)
        };
        later.extend(earlier);
        later.sort_unstable();
        Ok(later)
    }

    /// Says item `id` is again not duplicates of those of `others` that still exist (a restore
    /// from the trash: the others may have gone meanwhile, or be in the trash themselves, whose
    /// own restore then brings the pair back).
    pub async fn restore_apart(
        conn: &mut DbConn<'_>,
        kind: &str,
        id: i64,
        others: &[i64],
    ) -> Result<(), DbError> {
        for chunk in others.chunks(500) {
            let there = Self::owners(conn, kind, chunk).await?;
            let pairs: Vec<(i64, i64)> =
                there.into_iter().filter(|(o, _)| *o != id).map(|(o, _)| (id.min(o), id.max(o))).collect();
            Self::keep_apart(conn, kind, &pairs).await?;
        }
        Ok(())
    }

    /// The prints of these sounds (those that have one).
    pub async fn prints(conn: &mut DbConn<'_>, ids: &[i64]) -> Result<Vec<(i64, Vec<u8>)>, DbError> {
        let mut out = Vec::with_capacity(ids.len());
        // SQLite binds each id apart: a few hundred a statement stay well under its limit.
        for chunk in ids.chunks(500) {
            let rows: Vec<(i64, Option<Vec<u8>>)> = run!(conn, |c| a::audios
                .filter(a::id.eq_any(chunk))
                .filter(a::print.is_not_null())
                .select((a::id, a::print))
                .load(c)
                .await)?;
            out.extend(rows.into_iter().filter_map(|(id, p)| Some((id, p?))));
        }
        Ok(out)
    }

    /// The looks of these images (those that have one).
    pub async fn looks_of(conn: &mut DbConn<'_>, ids: &[i64]) -> Result<Vec<(i64, i64)>, DbError> {
        let rows: Vec<(i64, Option<i64>)> =
            run!(conn, |c| i::images.filter(i::id.eq_any(ids)).select((i::id, i::look)).load(c).await)?;
        Ok(rows.into_iter().filter_map(|(id, l)| Some((id, l?))).collect())
    }

    /// Who owns each of these items of one kind (those that exist): (id, owner).
    pub async fn owners(
        conn: &mut DbConn<'_>,
        kind: &str,
        ids: &[i64],
    ) -> Result<Vec<(i64, Option<i64>)>, DbError> {
        Ok(run!(conn, |c| if kind == "image" {
            i::images.filter(i::id.eq_any(ids)).select((i::id, i::owner_id)).load(c).await
        } else {
            a::audios.filter(a::id.eq_any(ids)).select((a::id, a::owner_id)).load(c).await
        })?)
    }

    /// These items of one kind, in no order.
    pub async fn members(
        conn: &mut DbConn<'_>,
        kind: &str,
        ids: &[i64],
    ) -> Result<Vec<AlikeMemberRow>, DbError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            out.extend(Self::members_of(conn, kind, chunk).await?);
        }
        Ok(out)
    }

    async fn members_of(
        conn: &mut DbConn<'_>,
        kind: &str,
        ids: &[i64],
    ) -> Result<Vec<AlikeMemberRow>, DbError> {
        Ok(run!(conn, |c| if kind == "image" {
            i::images
                .filter(i::id.eq_any(ids))
                .select((
                    i::id,
                    i::owner_id,
                    i::original_filename,
                    i::title,
                    i::created_at,
                    i::thumbnail_key,
                    i::byte_size,
                    diesel::dsl::sql::<diesel::sql_types::BigInt>("CAST(width AS BIGINT) * height"),
                    i::sha256,
                    i::width,
                    i::height,
                ))
                .load(c)
                .await
        } else {
            a::audios
                .filter(a::id.eq_any(ids))
                .select((
                    a::id,
                    a::owner_id,
                    a::original_filename,
                    a::title,
                    a::created_at,
                    a::waveform_key,
                    a::byte_size,
                    a::duration_ms,
                    a::sha256,
                    diesel::dsl::sql::<diesel::sql_types::Integer>("0"),
                    diesel::dsl::sql::<diesel::sql_types::Integer>("0"),
                ))
                .load(c)
                .await
        })?)
    }
}

/// The pairs of sounds the holders share keys through, the lower id first, those sharing the
/// most keys first, at most [`KEY_PAIRS`]; keys of more than [`MAX_HOLDERS`] sounds aside.
fn paired(mut holders: Vec<KeyHolder>) -> Vec<KeyPair> {
    holders.sort_unstable_by_key(|h| (h.key, h.audio_id));
    let mut shared: HashMap<(i64, i64), u32> = HashMap::new();
    for same_key in holders.chunk_by(|a, b| a.key == b.key).filter(|k| k.len() <= MAX_HOLDERS) {
        for (i, a) in same_key.iter().enumerate() {
            for b in &same_key[i + 1..] {
                *shared.entry((a.audio_id, b.audio_id)).or_default() += 1;
            }
        }
    }
    let mut pairs: Vec<((i64, i64), u32)> = shared.into_iter().collect();
    pairs.sort_unstable_by_key(|((a, b), n)| (std::cmp::Reverse(*n), *a, *b));
    pairs.truncate(KEY_PAIRS);
    pairs.into_iter().map(|((first, second), _)| KeyPair { first, second }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(key: i64, audio_id: i64) -> KeyHolder {
        KeyHolder { key, audio_id }
    }

    #[test]
    fn holders_pair_the_most_shared_first_and_a_key_of_everyone_pairs_no_one() {
        let mut holders = vec![h(1, 5), h(1, 3), h(2, 3), h(2, 5), h(2, 9), h(4, 9), h(4, 7)];
        // A key 65 sounds hold, 7 and 5 among them.
        holders.extend((100..165).map(|id| h(8, id)).chain([h(8, 7), h(8, 5)]));
        let pairs: Vec<(i64, i64)> = paired(holders).into_iter().map(|p| (p.first, p.second)).collect();
        assert_eq!(pairs, vec![(3, 5), (3, 9), (5, 9), (7, 9)]);
    }
}

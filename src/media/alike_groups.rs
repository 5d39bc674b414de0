//! Look-alike and sound-alike groups among what the viewer manages (their own items; staff:
//! everyone's), for cleaning up what Duplicates cannot see: the same picture or recording kept
//! in other sizes, formats or bitrates. Two items are alike as on their pages (alike.rs); a
//! group is the item most worth keeping and the items alike it.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDateTime;

use super::MediaError;
use super::access::Actor;
use super::file::look::{ALIKE, distance};
use super::file::sound::shared;
use super::service::MediaService;
use crate::db::DbConn;
use crate::db::repo::{AlikeGroupRepo, AuditRepo};
use crate::db::rows::{AlikeMemberRow, IdLook};
use crate::domain::{
    AuditAction, MediaKind, Owner, QUARTER_SHIFTS, flat_quarter, print_values, quarter, telling_quarters,
};
use crate::storage::StorageKey;

/// Groups shown at once, per kind, the largest first.
pub const MAX_ALIKE_GROUPS: usize = 50;
/// Items shown of one group, the most worth keeping first.
pub const MAX_GROUP_ITEMS: usize = 24;

/// One item of a group of alikes.
#[derive(Debug, Clone)]
pub struct AlikeMember {
    pub id: i64,
    pub filename: String,
    pub title: Option<String>,
    pub owner: Owner,
    pub created_at: NaiveDateTime,
    pub thumb_url: Option<String>,
    pub byte_size: i64,
    /// Milliseconds of a sound.
    pub duration_ms: i64,
    /// A picture's width and height.
    pub pixels: Option<(i32, i32)>,
    /// Whether it holds the very same file as the group's first.
    pub same_file: bool,
}

/// Items that look or sound alike, the one most worth keeping first: the most pixels (or the
/// longest sound), then the most bytes, then the oldest.
#[derive(Debug, Clone)]
pub struct AlikeGroup {
    pub kind: MediaKind,
    pub items: Vec<AlikeMember>,
    /// Items of the group left out past [`MAX_GROUP_ITEMS`].
    pub more: usize,
}

/// What keeping some of a group did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAlike {
    /// Items deleted (to the trash, when there is one), in the order named.
    pub gone: Vec<i64>,
    /// Items left because they are not (or no longer) alike any kept one.
    pub left: usize,
}

impl MediaService {
    /// The groups of look-alike images and sound-alike sounds among the items the actor
    /// manages.
    pub async fn alike_groups(&self, actor: &Actor) -> Result<Vec<AlikeGroup>, MediaError> {
        let owner = actor.managed_owner()?;
        let mut pooled = self.db.get().await?;
        let looks = AlikeGroupRepo::looks(&mut pooled.conn(), owner).await?;
        let pairs = AlikeGroupRepo::key_pairs(&mut pooled.conn(), owner).await?;
        let mut ids: Vec<i64> = pairs.iter().flat_map(|p| [p.first, p.second]).collect();
        ids.sort_unstable();
        ids.dedup();
        let prints = AlikeGroupRepo::prints(&mut pooled.conn(), &ids).await?;
        drop(pooled);
        // Side by side on two media workers: the looks' buckets, and the prints compared.
        let looked = self.cpu.run(move || look_pairs(&looks));
        let heard = self.cpu.run(move || {
            let prints: HashMap<i64, Mark> =
                prints.into_iter().map(|(id, p)| (id, Mark::print(&p))).collect();
            pairs
                .into_iter()
                .filter(|p| match (prints.get(&p.first), prints.get(&p.second)) {
                    (Some(a), Some(b)) => a.alike(b),
                    _ => false,
                })
                .map(|p| (p.first, p.second))
                .collect::<Vec<_>>()
        });
        let (image_pairs, sound_pairs) = tokio::try_join!(looked, heard)?;
        let mut out = Vec::new();
        for (kind, pairs) in [(MediaKind::Image, image_pairs), (MediaKind::Audio, sound_pairs)] {
            out.extend(self.groups_of(kind, pairs).await?);
        }
        Ok(out)
    }

    /// The groups the pairs of one kind make, but for pairs kept apart, with their items: one
    /// read of the members for all of them. Items joined by alikeness are split into stars: the
    /// one most worth keeping and every item alike it, then the best of the rest and those alike
    /// it, and so on, so that keeping a group's first deletes every other item shown with it (a
    /// chain A ~ B ~ C would otherwise show C beside A, which it does not look like).
    async fn groups_of(
        &self,
        kind: MediaKind,
        pairs: Vec<(i64, i64)>,
    ) -> Result<Vec<AlikeGroup>, MediaError> {
        let mut pooled = self.db.get().await?;
        let apart = AlikeGroupRepo::kept_apart(&mut pooled.conn(), kind.as_str(), &pairs).await?;
        let pairs: Vec<(i64, i64)> = pairs.into_iter().filter(|p| !apart.contains(p)).collect();
        let joined: Vec<Vec<i64>> = joined(&pairs).into_iter().take(MAX_ALIKE_GROUPS).collect();
        let ids: Vec<i64> = joined.iter().flatten().copied().collect();
        let rows = AlikeGroupRepo::members(&mut pooled.conn(), kind.as_str(), &ids).await?;
        drop(pooled);
        let mut rows: HashMap<i64, AlikeMemberRow> = rows.into_iter().map(|r| (r.id, r)).collect();
        let near = neighbours(&pairs);
        let mut groups = Vec::new();
        for mut ids in joined {
            // An item gone since the pairs were read is in no group.
            ids.retain(|id| rows.contains_key(id));
            ids.sort_by_key(|id| worth(&rows[id]));
            groups.extend(stars(&ids, &near));
        }
        groups.sort_by_key(|g| std::cmp::Reverse(g.len()));
        let mut out = Vec::with_capacity(groups.len().min(MAX_ALIKE_GROUPS));
        for ids in groups.into_iter().take(MAX_ALIKE_GROUPS) {
            let members = ids.iter().filter_map(|id| rows.remove(id)).collect();
            out.push(self.alike_group(kind, members).await?);
        }
        Ok(out)
    }

    async fn alike_group(
        &self,
        kind: MediaKind,
        mut rows: Vec<AlikeMemberRow>,
    ) -> Result<AlikeGroup, MediaError> {
        rows.sort_by_key(worth);
        let first_sha = rows.first().map(|r| r.sha256.clone()).unwrap_or_default();
        let more = rows.len().saturating_sub(MAX_GROUP_ITEMS);
        let mut items = Vec::with_capacity(rows.len().min(MAX_GROUP_ITEMS));
        for r in rows.into_iter().take(MAX_GROUP_ITEMS) {
            let thumb_url = match (kind, &r.preview_key) {
                (MediaKind::Image, Some(t)) => {
                    Some(self.sign(&StorageKey::parse(t)?, "image/jpeg", None, None).await?.url)
                }
                _ => None,
            };
            items.push(AlikeMember {
                same_file: r.sha256 == first_sha && !items.is_empty(),
                id: r.id,
                filename: r.original_filename,
                title: r.title,
                owner: Owner::from_id(r.owner_id),
                created_at: r.created_at,
                thumb_url,
                byte_size: r.byte_size,
                duration_ms: if kind == MediaKind::Audio { r.extent } else { 0 },
                pixels: (kind == MediaKind::Image).then_some((r.width, r.height)),
            });
        }
        Ok(AlikeGroup { kind, items, more })
    }

    /// Deletes (to the trash, when there is one) each item of `group` not in `keep` that looks
    /// or sounds like a kept one; the others are left alone, so a stale page deletes nothing
    /// it no longer shows alike. Every kept item must be one the actor sees.
    pub async fn keep_alike(
        &self,
        actor: &Actor,
        kind: MediaKind,
        keep: &[i64],
        group: &[i64],
    ) -> Result<KeptAlike, MediaError> {
        if keep.is_empty() {
            return Err(MediaError::Invalid("Tick at least one item to keep.".into()));
        }
        let others: Vec<i64> = group.iter().copied().filter(|id| !keep.contains(id)).collect();
        let mut pooled = self.db.get().await?;
        for (_, owner) in Self::owners_of(&mut pooled.conn(), kind, keep).await? {
            actor.check_view(owner)?;
        }
        let all: Vec<i64> = keep.iter().chain(&others).copied().collect();
        let marks: HashMap<i64, Mark> = match kind {
            MediaKind::Image => AlikeGroupRepo::looks_of(&mut pooled.conn(), &all)
                .await?
                .into_iter()
                .map(|(id, look)| (id, Mark::Look(look)))
                .collect(),
            MediaKind::Audio => AlikeGroupRepo::prints(&mut pooled.conn(), &all)
                .await?
                .into_iter()
                .map(|(id, print)| (id, Mark::print(&print)))
                .collect(),
        };
        drop(pooled);
        let kept: Vec<&Mark> = keep.iter().filter_map(|id| marks.get(id)).collect();
        let (mut gone, mut left) = (Vec::new(), 0);
        for id in others {
            let alike = marks.get(&id).is_some_and(|m| kept.iter().any(|k| k.alike(m)));
            if !alike {
                left += 1;
                continue;
            }
            match self.delete(actor, kind, id).await {
                Ok(_) => gone.push(id),
                // Not the actor's to delete (a forged form): left, as an unrelated item is.
                Err(MediaError::NotFound | MediaError::Forbidden) => left += 1,
                Err(e) => return Err(e),
            }
        }
        Ok(KeptAlike { gone, left })
    }

    /// Says the items of a group are not duplicates: the groups no longer join any two of
    /// them (each may still be grouped with another item alike it). Every one must be the
    /// actor's to manage; each item newly kept apart from another gets an audit row. How many
    /// were kept together.
    pub async fn keep_all_alike(
        &self,
        actor: &Actor,
        kind: MediaKind,
        group: &[i64],
    ) -> Result<usize, MediaError> {
        self.set_apart(actor, (kind, group), true).await
    }

    /// Undoes [`Self::keep_all_alike`] for every pair of these items: the groups join them
    /// again where they are alike. Every one must be the actor's to manage; each item no longer
    /// kept apart from another gets an audit row. How many were named.
    pub async fn alike_again(
        &self,
        actor: &Actor,
        kind: MediaKind,
        group: &[i64],
    ) -> Result<usize, MediaError> {
        self.set_apart(actor, (kind, group), false).await
    }

    /// Keeps every pair of a group apart (`apart`) or forgets that, with an audit row for each
    /// item a pair of which changed, all or nothing.
    async fn set_apart(
        &self,
        actor: &Actor,
        (kind, group): (MediaKind, &[i64]),
        apart: bool,
    ) -> Result<usize, MediaError> {
        let ids = self.managed_group(actor, kind, group).await?;
        let pairs = pairs_of(&ids);
        self.db
            .transaction(async |c: &mut DbConn<'_>| {
                let changed = if apart {
                    AlikeGroupRepo::keep_apart(c, kind.as_str(), &pairs).await?
                } else {
                    AlikeGroupRepo::alike_again(c, kind.as_str(), &pairs).await?
                };
                audit_pairs(c, actor, (kind, apart), &changed).await
            })
            .await?;
        Ok(ids.len())
    }

    /// A group's items, each once, when there are 2 to [`MAX_GROUP_ITEMS`] and the actor
    /// manages every one.
    async fn managed_group(
        &self,
        actor: &Actor,
        kind: MediaKind,
        group: &[i64],
    ) -> Result<Vec<i64>, MediaError> {
        let mut ids = group.to_vec();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() < 2 || ids.len() > MAX_GROUP_ITEMS {
            return Err(MediaError::Invalid(format!("A group kept whole has 2 to {MAX_GROUP_ITEMS} items.")));
        }
        let mut pooled = self.db.get().await?;
        for (_, owner) in Self::owners_of(&mut pooled.conn(), kind, &ids).await? {
            actor.check_manage(owner)?;
        }
        Ok(ids)
    }

    /// The owner of each of these items, in their order; `NotFound` when one does not exist.
    async fn owners_of(
        conn: &mut DbConn<'_>,
        kind: MediaKind,
        ids: &[i64],
    ) -> Result<Vec<(i64, Option<i64>)>, MediaError> {
        let found = AlikeGroupRepo::owners(conn, kind.as_str(), ids).await?;
        ids.iter()
            .map(|id| found.iter().find(|(f, _)| f == id).copied().ok_or(MediaError::NotFound))
            .collect()
    }
}

/// Every pair of these items (sorted), the lower id first.
fn pairs_of(ids: &[i64]) -> Vec<(i64, i64)> {
    ids.iter().enumerate().flat_map(|(n, a)| ids[n + 1..].iter().map(move |b| (*a, *b))).collect()
}

/// One audit row an item of these pairs, naming the others it was kept apart from (`apart`)
/// or shown alike again with.
async fn audit_pairs(
    c: &mut DbConn<'_>,
    actor: &Actor,
    (kind, apart): (MediaKind, bool),
    pairs: &[(i64, i64)],
) -> Result<(), MediaError> {
    let mut others: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for &(a, b) in pairs {
        others.entry(a).or_default().push(b);
        others.entry(b).or_default().push(a);
    }
    let (action, said) = if apart {
        (AuditAction::KeepApart, "not duplicates of")
    } else {
        (AuditAction::AlikeAgain, "shown alike again with")
    };
    for (id, with) in others {
        let named: Vec<String> = with.iter().map(|o| format!("#{o}")).collect();
        let entry = actor.did(action, (kind, id)).detail(format!("{said} {}", named.join(", ")));
        AuditRepo::add(c, &entry).await?;
    }
    Ok(())
}

/// What an item is compared by: its look, or its print's values.
enum Mark {
    Look(i64),
    Print(Vec<u32>),
}

impl Mark {
    fn print(bytes: &[u8]) -> Mark {
        Mark::Print(print_values(bytes))
    }

    /// Whether two items are alike, as on their pages.
    fn alike(&self, other: &Mark) -> bool {
        match (self, other) {
            (Mark::Look(a), Mark::Look(b)) => distance(*a, *b) <= ALIKE,
            (Mark::Print(a), Mark::Print(b)) => shared(a, b).is_some(),
            _ => false,
        }
    }
}

/// The pairs of looks within [`ALIKE`] bits that one look's lookup would find (alike.rs): they
/// share a quarter one of them is found by. Looks are bucketed by each quarter; a flat quarter
/// is asked for only by a look whose quarters are all flat, so its bucket's other members are
/// compared with those looks alone.
fn look_pairs(looks: &[IdLook]) -> Vec<(i64, i64)> {
    // (shift, quarter) → (index, whether the look is found by this quarter).
    let mut buckets: HashMap<(i64, i64), Vec<(usize, bool)>> = HashMap::new();
    for (n, l) in looks.iter().enumerate() {
        let asked = telling_quarters(l.look);
        for shift in QUARTER_SHIFTS {
            let found_by = asked.contains(&shift);
            if found_by || flat_quarter(l.look, shift) {
                buckets.entry((shift, quarter(l.look, shift))).or_default().push((n, found_by));
            }
        }
    }
    let mut pairs = Vec::new();
    for bucket in buckets.values() {
        let (asking, passive): (Vec<_>, Vec<_>) = bucket.iter().copied().partition(|(_, asks)| *asks);
        // Each pair of askers once, and each asker with every other member.
        for (i, &(x, _)) in asking.iter().enumerate() {
            for &(y, _) in asking[i + 1..].iter().chain(&passive) {
                if distance(looks[x].look, looks[y].look) <= ALIKE {
                    let (a, b) = (looks[x].id, looks[y].id);
                    pairs.push((a.min(b), a.max(b)));
                }
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// What orders a group, the item most worth keeping first: the most pixels or sound, then
/// bytes, then the oldest.
fn worth(r: &AlikeMemberRow) -> (std::cmp::Reverse<(i64, i64)>, NaiveDateTime, i64) {
    (std::cmp::Reverse((r.extent, r.byte_size)), r.created_at, r.id)
}

/// Each item's alikes.
fn neighbours(pairs: &[(i64, i64)]) -> HashMap<i64, HashSet<i64>> {
    let mut near: HashMap<i64, HashSet<i64>> = HashMap::new();
    for &(a, b) in pairs {
        near.entry(a).or_default().insert(b);
        near.entry(b).or_default().insert(a);
    }
    near
}

/// Items joined by alikeness (`ordered` the most worth keeping first) as groups whose first is
/// alike every other: each item not yet placed, in order, with those alike it not yet placed.
/// An item whose alikes are all placed already is in no group (it is not alike their first).
fn stars(ordered: &[i64], near: &HashMap<i64, HashSet<i64>>) -> Vec<Vec<i64>> {
    let mut placed: HashSet<i64> = HashSet::new();
    let mut out = Vec::new();
    for &first in ordered {
        if !placed.insert(first) {
            continue;
        }
        let Some(alike) = near.get(&first) else { continue };
        let group: Vec<i64> = std::iter::once(first)
            .chain(ordered.iter().copied().filter(|id| alike.contains(id) && !placed.contains(id)))
            .collect();
        if group.len() > 1 {
            placed.extend(&group);
            out.push(group);
        }
    }
    out
}

/// The groups the pairs join (connected components), the largest first, then by lowest id;
/// each group's ids ascending.
fn joined(pairs: &[(i64, i64)]) -> Vec<Vec<i64>> {
    let mut parent: HashMap<i64, i64> = HashMap::new();
    fn root(parent: &mut HashMap<i64, i64>, mut x: i64) -> i64 {
        while let Some(&p) = parent.get(&x) {
            if p == x {
                break;
            }
            let grand = parent[&p];
            parent.insert(x, grand);
            x = grand;
        }
        x
    }
    for &(a, b) in pairs {
        parent.entry(a).or_insert(a);
        parent.entry(b).or_insert(b);
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent.insert(ra.max(rb), ra.min(rb));
        }
    }
    let ids: Vec<i64> = parent.keys().copied().collect();
    let mut groups: HashMap<i64, Vec<i64>> = HashMap::new();
    for id in ids {
        let r = root(&mut parent, id);
        groups.entry(r).or_default().push(id);
    }
    let mut out: Vec<Vec<i64>> = groups.into_values().collect();
    out.iter_mut().for_each(|g| g.sort_unstable());
    out.sort_by_key(|g| (std::cmp::Reverse(g.len()), g[0]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(id: i64, look: i64) -> IdLook {
        IdLook { id, look }
    }

    #[test]
    fn pairs_are_joined_into_groups_the_largest_first() {
        assert_eq!(joined(&[(5, 9), (1, 2), (2, 3), (9, 7)]), vec![vec![1, 2, 3], vec![5, 7, 9]]);
        assert_eq!(joined(&[(4, 6), (1, 2)]), vec![vec![1, 2], vec![4, 6]]);
        assert!(joined(&[]).is_empty());
    }

    #[test]
    fn a_group_is_its_first_and_the_items_alike_it() {
        let near = |pairs: &[(i64, i64)]| neighbours(pairs);
        // A chain 1 ~ 2 ~ 3: 3 is not alike 1, so it is in no group of 1's.
        assert_eq!(stars(&[1, 2, 3], &near(&[(1, 2), (2, 3)])), vec![vec![1, 2]]);
        // The middle of the chain the best: everything is alike it.
        assert_eq!(stars(&[2, 1, 3], &near(&[(1, 2), (2, 3)])), vec![vec![2, 1, 3]]);
        // Two stars joined by one look: 4 goes with 1, the better; 5 and 6 stay together.
        let bridged = near(&[(1, 2), (1, 4), (5, 4), (5, 6)]);
        assert_eq!(stars(&[1, 5, 2, 4, 6], &bridged), vec![vec![1, 2, 4], vec![5, 6]]);
        // A triangle is one group, in order.
        assert_eq!(stars(&[3, 1, 2], &near(&[(1, 2), (2, 3), (1, 3)])), vec![vec![3, 1, 2]]);
        // An item whose only alike is placed in a better one's group is in none.
        assert_eq!(stars(&[1, 2, 3, 4], &near(&[(2, 3), (1, 2), (1, 4)])), vec![vec![1, 2, 4]]);
        assert_eq!(stars(&[1, 2], &near(&[])), Vec::<Vec<i64>>::new());
    }

    #[test]
    fn looks_pair_within_the_alike_bits_by_a_shared_telling_quarter() {
        let a = 0x1234_5678_9ABC_DEF0;
        let near = a ^ 0b1011; // 3 bits off, in the lowest quarter
        let far = a ^ 0x0F0F_0000_0000_0000 ^ 0xFF; // 8 + 8 bits off
        let spread = a ^ 0x0001_0001_0001_0001 ^ 0x0010_0010_0010_0010; // 8 bits, every quarter
        let pairs = look_pairs(&[l(1, a), l(2, near), l(3, far), l(4, spread), l(5, 0x0BAD_F00D_0000_0000)]);
        assert_eq!(pairs, vec![(1, 2)], "a look differing in every quarter is not found, as on its page");
    }

    #[test]
    fn a_flat_look_finds_others_by_its_flat_quarters_but_flat_quarters_join_no_one_else() {
        let flat = 0x0000_FFFF_0000_0000_u64 as i64;
        let near_flat = flat ^ 0x0000_0000_0100_0003; // flat in its top half only
        let sky = 0x0000_FFFF_1234_5678; // top half flat, the rest telling
        let sky2 = 0x0000_FFFF_1234_5679;
        let pairs =
            look_pairs(&[l(1, flat), l(2, near_flat), l(3, sky), l(4, sky2), l(5, 0x0000_FFFF_4321_8765)]);
        assert_eq!(pairs, vec![(1, 2), (3, 4)]);
    }
}

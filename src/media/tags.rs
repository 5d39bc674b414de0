//! Tags: free labels on items, one vocabulary for the whole library. Names are compared as
//! people read them (trimmed, inner spaces collapsed, Unicode NFC, case-insensitive) and shown
//! as first written. Whoever manages an item tags it; suggestions come only from tags on media
//! the asker can see, so a private tag never leaks to another account.

use std::collections::HashMap;
use std::sync::Arc;

use unicode_normalization::UnicodeNormalization;

use super::MediaError;
use super::access::Actor;
use super::service::MediaService;
use crate::db::DbConn;
use crate::db::repo::{AuditRepo, TagRepo};
use crate::db::rows::NewTagging;
use crate::domain::{AuditAction, MediaKind};

/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 50;
/// Tags one request may add.
const MAX_TAGS_AT_ONCE: usize = 50;
/// Suggestions offered at most.
const MAX_SUGGESTIONS: i64 = 200;

/// A tag as kept and as compared.
pub fn clean_tag(raw: &str) -> Result<(String, String), MediaError> {
    let spaced: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let name: String = spaced.nfc().collect();
    if name.is_empty() {
        return Err(MediaError::Invalid("a tag needs at least one letter".into()));
    }
    if name.chars().count() > MAX_TAG_CHARS {
        return Err(MediaError::Invalid(format!("a tag has at most {MAX_TAG_CHARS} characters")));
    }
    if name.chars().any(|c| c.is_control() || c == ',') {
        return Err(MediaError::Invalid("a tag cannot hold commas or control characters".into()));
    }
    let key = name.to_lowercase().nfc().collect();
    Ok((name, key))
}

/// `"harbour, night ,, boats"` → `["harbour", "night", "boats"]`.
pub fn split_tags(input: &str) -> Vec<&str> {
    input.split([',', '\n']).map(str::trim).filter(|t| !t.is_empty()).collect()
}

/// The tags typed in `input`, each cleaned: what a request naming tags refuses before it
/// touches anything (none, too many, one unfit).
pub fn typed_tags(input: &str) -> Result<Vec<(String, String)>, MediaError> {
    let names = split_tags(input);
    if names.is_empty() {
        return Err(MediaError::Invalid("type a tag (several: separate them with commas)".into()));
    }
    if names.len() > MAX_TAGS_AT_ONCE {
        return Err(MediaError::Invalid(format!("at most {MAX_TAGS_AT_ONCE} tags at once")));
    }
    names.iter().map(|n| clean_tag(n)).collect()
}

/// Tags deduplicated and in key order: new names are created in that order, so that two
/// requests naming the same new tags in other orders wait for each other instead of
/// deadlocking.
pub(super) fn key_order(cleaned: &[(String, String)]) -> Vec<(String, String)> {
    let mut in_order = cleaned.to_vec();
    in_order.sort_by(|a, b| a.1.cmp(&b.1));
    in_order.dedup_by(|a, b| a.1 == b.1);
    in_order
}

/// Puts `in_order`'s tags (see [`key_order`]) on an item, in the caller's transaction, with an
/// audit row for each it did not carry; those, by key. The rows carry the item's sort values
/// as they are now, and none is written for an item deleted meanwhile.
pub(super) async fn tag_in(
    t: &mut DbConn<'_>,
    actor: &Actor,
    (kind, id): (MediaKind, i64),
    in_order: &[(String, String)],
) -> Result<HashMap<String, String>, MediaError> {
    let item = MediaService::locked_item(t, (kind, id)).await?;
    actor.check_manage(item.media.owner_id())?;
    let (owner_id, original_filename) = (item.media.owner_id(), item.media.filename());
    let (created_at, size) = item.media.created_and_size();
    let mut new_keys = HashMap::new();
    for (name, key) in in_order {
        let tag = TagRepo::get_or_create(t, name, key).await?;
        let tagging = NewTagging {
            tag_id: tag.id,
            kind: kind.as_str(),
            item_id: id,
            owner_id,
            created_at,
            original_filename,
            byte_size: size,
        };
        if TagRepo::add(t, &tagging).await? {
            let entry = actor.did(AuditAction::Edit, (kind, id)).detail(format!("tag {}", tag.name));
            AuditRepo::add(t, &entry).await?;
            new_keys.insert(key.clone(), tag.name);
        }
    }
    Ok(new_keys)
}

/// Takes `tag` off an item, in the caller's transaction, with its audit row; false when it was
/// not on.
pub(super) async fn untag_in(
    c: &mut DbConn<'_>,
    actor: &Actor,
    (kind, id): (MediaKind, i64),
    tag: &crate::db::rows::TagRow,
) -> Result<bool, MediaError> {
    let removed = TagRepo::remove(c, tag.id, (kind.as_str(), id)).await?;
    if removed {
        let entry = actor.did(AuditAction::Edit, (kind, id)).detail(format!("untag {}", tag.name));
        AuditRepo::add(c, &entry).await?;
    }
    Ok(removed)
}

impl MediaService {
    /// Puts the comma-separated tags of `input` on an item the actor manages; the names added
    /// (a tag it carried already is not counted).
    pub async fn tag_item(
        &self,
        actor: &Actor,
        (kind, id): (MediaKind, i64),
        input: &str,
    ) -> Result<Vec<String>, MediaError> {
        // Who may not tag it hears that before anything about what they typed; the check is
        // made again under the item's lock below.
        let item = self.item(kind, id).await?;
        actor.check_manage(item.media.owner_id())?;
        let cleaned = typed_tags(input)?;
        // One transaction for the request: a failure keeps none of its tags, not even a new
        // name in the vocabulary. Names are created in key order, so that two requests naming
        // the same new tags in other orders wait for each other instead of deadlocking.
        let in_order = key_order(&cleaned);
        let mut new_keys = self
            .db
            .transaction(async |t: &mut DbConn<'_>| tag_in(t, actor, (kind, id), &in_order).await)
            .await?;
        if !new_keys.is_empty() {
            self.memos.tag_suggestions.forget();
        }
        // As typed, each tag where it was first named.
        Ok(cleaned.iter().filter_map(|(_, key)| new_keys.remove(key)).collect())
    }

    /// Takes a tag off an item the actor manages; false when it was not on.
    pub async fn untag_item(
        &self,
        actor: &Actor,
        (kind, id): (MediaKind, i64),
        name: &str,
    ) -> Result<bool, MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_manage(item.media.owner_id())?;
        let (_, key) = clean_tag(name)?;
        let mut pooled = self.db.get().await?;
        let mut c = pooled.conn();
        let Some(tag) = TagRepo::by_keys(&mut c, &[key]).await?.pop() else { return Ok(false) };
        drop(pooled);
        let removed = self
            .db
            .transaction(async |c: &mut DbConn<'_>| untag_in(c, actor, (kind, id), &tag).await)
            .await?;
        if removed {
            self.memos.tag_suggestions.forget();
        }
        Ok(removed)
    }

    /// An item's tags, by name.
    pub async fn tags_of(
        &self,
        actor: &Actor,
        (kind, id): (MediaKind, i64),
    ) -> Result<Vec<String>, MediaError> {
        let item = self.item(kind, id).await?;
        actor.check_view(item.media.owner_id())?;
        let mut pooled = self.db.get().await?;
        Ok(TagRepo::of_item(&mut pooled.conn(), (kind.as_str(), id))
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect())
    }

    /// The tags on media the actor can see, for a field's suggestions.
    /// Kept for a moment (see [`crate::memo`]); tagging or untagging here forgets them.
    pub async fn tag_suggestions(&self, actor: &Actor) -> Result<Arc<Vec<String>>, MediaError> {
        let scope = if actor.is_staff { None } else { Some(actor.user_id.ok_or(MediaError::Forbidden)?) };
        let load = async {
            let mut pooled = self.db.get().await?;
            Ok::<_, MediaError>(TagRepo::names_in_use(&mut pooled.conn(), scope, MAX_SUGGESTIONS).await?)
        };
        self.memos.tag_suggestions.get(scope, load).await
    }

    /// The ids of the tags a gallery filter names (comma-separated). A name no tag has (or no
    /// tag can have) becomes id 0, which no tag has either: nothing matches it, as nothing
    /// carries it.
    pub async fn tag_filter(&self, input: &str) -> Result<Vec<i64>, MediaError> {
        let keys: Vec<Option<String>> =
            split_tags(input).into_iter().map(|n| clean_tag(n).ok().map(|(_, k)| k)).collect();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let tag_ids = &self.memos.tag_ids;
        let unknown: Vec<String> =
            keys.iter().flatten().filter(|k| tag_ids.get(k.as_str()).is_none()).cloned().collect();
        if !unknown.is_empty() {
            let mut pooled = self.db.get().await?;
            for tag in TagRepo::by_keys(&mut pooled.conn(), &unknown).await? {
                tag_ids.keep(tag.key, tag.id);
            }
        }
        let mut ids: Vec<i64> =
            keys.iter().map(|k| k.as_deref().and_then(|k| tag_ids.get(k)).unwrap_or(0)).collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }
}

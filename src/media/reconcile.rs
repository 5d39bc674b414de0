//! Finds and repairs what a crash, an outage or a hand in the bucket can leave behind: objects no
//! row refers to, rows whose object is gone, and deletions still waiting for the store.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{TimeDelta, Utc};
use serde::Serialize;

use super::MediaError;
use super::service::MediaService;
use crate::db::repo::{AudioRepo, ImageKeys, ImageRepo, PendingDeletionRepo, TrashRepo, VersionRepo};
use crate::db::{DbConn, now};
use crate::domain::MediaKind;
use crate::storage::StorageKey;

/// Objects younger than this are left alone by default: an upload in flight stores its object
/// before its row.
pub const DEFAULT_GRACE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct ReconcileReport {
    /// Keys in the store that no row and no pending deletion refers to.
    pub orphan_objects: Vec<String>,
    /// `kind:id` of rows whose original is missing from the store.
    pub rows_without_object: Vec<String>,
    /// Derivatives (thumbnails, display renditions, waveforms) a row names but the store lacks;
    /// the row stays, the name goes (pages fall back to the original).
    pub missing_derivatives: Vec<String>,
    /// Keys whose deletion is still pending.
    pub pending_deletions: Vec<String>,
    /// `image:id` of items whose recorded thumbnail or display sizes differ from the store's
    /// (items from before quotas, or a hand in the bucket); fixing records the store's.
    pub sizes_corrected: Vec<String>,
    /// Items in the trash (their objects are kept, under trash keys).
    pub trashed: usize,
    /// `kind:id` of trashed items whose original is missing from the store: they can never be
    /// restored, so fixing purges them.
    pub trash_without_object: Vec<String>,
    /// Whether the repairs were carried out.
    pub fixed: bool,
}

impl ReconcileReport {
    pub fn is_clean(&self) -> bool {
        self.orphan_objects.is_empty()
            && self.rows_without_object.is_empty()
            && self.missing_derivatives.is_empty()
            && self.pending_deletions.is_empty()
            && self.trash_without_object.is_empty()
            && self.sizes_corrected.is_empty()
    }
}

/// Which derived object a row names.
#[derive(Debug, Clone, Copy)]
enum Derived {
    Thumbnail,
    Display,
    Private,
    Waveform,
    Rendition,
}

struct RowRef {
    kind: MediaKind,
    id: i64,
    original: String,
    derivatives: Vec<(Derived, String)>,
}

impl MediaService {
    /// Compares the database with the store. With `fix`, removes orphan objects, deletes rows
    /// whose original is gone (their other objects too), clears missing derivative names and
    /// retries pending deletions.
    pub async fn reconcile(
        &self,
        fix: bool,
        grace: std::time::Duration,
    ) -> Result<ReconcileReport, MediaError> {
        let mut pooled = self.db.get().await?;
        let mut rows = Vec::new();
        let images = ImageRepo::all_keys(&mut pooled.conn()).await?;
        let recorded = images.clone();
        for keys in images {
            let derivatives = [
                (Derived::Thumbnail, keys.thumbnail),
                (Derived::Display, keys.display),
                (Derived::Private, keys.private),
            ];
            let derivatives = derivatives.into_iter().filter_map(|(d, k)| Some((d, k?))).collect();
            rows.push(RowRef { kind: MediaKind::Image, id: keys.id, original: keys.original, derivatives });
        }
        for (id, key, wave, play) in AudioRepo::all_keys(&mut pooled.conn()).await? {
            let derivatives = [(Derived::Waveform, wave), (Derived::Rendition, play)];
            let derivatives = derivatives.into_iter().filter_map(|(d, k)| Some((d, k?))).collect();
            rows.push(RowRef { kind: MediaKind::Audio, id, original: key, derivatives });
        }
        let pending: BTreeSet<String> =
            PendingDeletionRepo::all(&mut pooled.conn()).await?.into_iter().map(|p| p.storage_key).collect();
        // Each trashed item: its kind and id, and its objects' trash keys, the original first.
        let mut trashed: Vec<(MediaKind, i64, Vec<String>)> = Vec::new();
        for (kind, id, json) in TrashRepo::all_keys(&mut pooled.conn()).await? {
            let moves: Vec<(String, String)> = serde_json::from_str(&json).unwrap_or_default();
            let kind = kind.parse().unwrap_or(MediaKind::Image);
            trashed.push((kind, id, moves.into_iter().map(|(_, in_trash)| in_trash).collect()));
        }
        let versions: Vec<String> = VersionRepo::all_keys(&mut pooled.conn())
            .await?
            .iter()
            .flat_map(|json| super::aside::kept_keys(json))
            .collect();
        drop(pooled);

        let listed = self.store.list("").await?;
        let sizes: BTreeMap<&str, i64> = listed.iter().map(|o| (o.key.as_str(), o.size as i64)).collect();
        let mut resized = Vec::new();
        for ImageKeys { id, thumbnail, display, sizes: was, .. } in &recorded {
            let size_of =
                |key: &Option<String>| key.as_deref().and_then(|k| sizes.get(k)).copied().unwrap_or(0);
            let now_sizes = (size_of(thumbnail), size_of(display));
            // A missing object is reported (and cleared) as a missing derivative instead.
            let all_there =
                [thumbnail, display].iter().all(|k| k.as_deref().is_none_or(|k| sizes.contains_key(k)));
            if all_there && now_sizes != *was {
                resized.push((*id, now_sizes));
            }
        }
        let objects: BTreeMap<String, Option<i64>> =
            listed.into_iter().map(|o| (o.key, o.modified)).collect();
        let referenced: BTreeSet<&str> = rows
            .iter()
            .flat_map(|r| {
                std::iter::once(r.original.as_str()).chain(r.derivatives.iter().map(|(_, k)| k.as_str()))
            })
            .chain(pending.iter().map(String::as_str))
            .chain(trashed.iter().flat_map(|(_, _, keys)| keys.iter().map(String::as_str)))
            .chain(versions.iter().map(String::as_str))
            .collect();

        let mut report = ReconcileReport {
            sizes_corrected: resized.iter().map(|(id, _)| format!("image:{id}")).collect(),
            pending_deletions: pending.iter().cloned().collect(),
            trashed: trashed.len(),
            fixed: fix,
            ..Default::default()
        };
        let cutoff = (Utc::now() - TimeDelta::from_std(grace).unwrap_or(TimeDelta::zero())).timestamp();
        for (key, modified) in objects.iter().filter(|(k, _)| !referenced.contains(k.as_str())) {
            // Unknown age counts as old: better reported than silently kept.
            if modified.is_none_or(|m| m <= cutoff) {
                report.orphan_objects.push(key.clone());
            }
        }
        let mut dead_rows = Vec::new();
        for r in &rows {
            if !objects.contains_key(&r.original) {
                report.rows_without_object.push(format!("{}:{}", r.kind, r.id));
                dead_rows.push(r);
            } else {
                let missing = r.derivatives.iter().filter(|(_, k)| !objects.contains_key(k));
                report.missing_derivatives.extend(missing.map(|(_, k)| k.clone()));
            }
        }
        let lost: Vec<(MediaKind, i64)> = trashed
            .iter()
            .filter(|(_, _, keys)| keys.first().is_none_or(|k| !objects.contains_key(k)))
            .map(|(kind, id, _)| (*kind, *id))
            .collect();
        report.trash_without_object = lost.iter().map(|(kind, id)| format!("{kind}:{id}")).collect();
        if !fix {
            return Ok(report);
        }
        for (kind, id) in lost {
            self.purge(&super::Actor::operator(), kind, id).await.or_else(|e| match e {
                MediaError::NotFound => Ok(()),
                e => Err(e),
            })?;
        }
        for key in &report.orphan_objects {
            self.store.delete(&StorageKey::parse(key)?).await?;
        }
        for (id, sizes) in resized {
            let mut pooled = self.db.get().await?;
            ImageRepo::set_derived_sizes(&mut pooled.conn(), id, sizes).await?;
        }
        for r in dead_rows {
            let keys: Vec<&str> = std::iter::once(r.original.as_str())
                .chain(r.derivatives.iter().map(|(_, k)| k.as_str()))
                .collect();
            let (kind, id) = (r.kind, r.id);
            self.db
                .transaction(async |c: &mut DbConn<'_>| {
                    match kind {
                        MediaKind::Image => ImageRepo::delete(c, id).await?,
                        MediaKind::Audio => AudioRepo::delete(c, id).await?,
                    };
                    PendingDeletionRepo::add(c, &keys, now()).await?;
                    Ok::<_, MediaError>(())
                })
                .await?;
        }
        for r in rows.iter().filter(|r| objects.contains_key(&r.original)) {
            for (derived, key) in &r.derivatives {
                if !report.missing_derivatives.contains(key) {
                    continue;
                }
                let mut pooled = self.db.get().await?;
                let conn = &mut pooled.conn();
                match derived {
                    Derived::Thumbnail => ImageRepo::clear_thumbnail(conn, r.id).await?,
                    Derived::Display => ImageRepo::clear_display(conn, r.id).await?,
                    Derived::Private => ImageRepo::clear_private(conn, r.id).await?,
                    Derived::Waveform => AudioRepo::set_waveform_key(conn, r.id, None).await?,
                    Derived::Rendition => AudioRepo::clear_rendition(conn, r.id).await?,
                }
            }
        }
        self.retry_pending_deletions(true).await?;
        Ok(report)
    }
}

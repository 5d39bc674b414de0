//! Synthetic gallery rows for load tests (`mediadesk seed --load N`). They are rows only: their
//! objects do not exist, so `mediadesk reconcile --fix` removes them again.

use chrono::{TimeDelta, Utc};

use super::dto::Owner;
use super::service::MediaService;
use super::{Actor, MediaError};
use crate::db::DbConn;
use crate::db::repo::{AudioRepo, ImageRepo};
use crate::db::rows::{NewAudio, NewImage};
use crate::storage::StorageKey;

/// Rows per transaction.
const BATCH: usize = 1000;

impl MediaService {
    /// Adds `count` rows numbered from `first`: three images to one audio item, one second
    /// apart, owned by `owner`. Staff only.
    pub async fn add_synthetic_rows(
        &self,
        actor: &Actor,
        owner: Owner,
        first: usize,
        count: usize,
    ) -> Result<usize, MediaError> {
        actor.check_upload_for(owner)?;
        if !actor.is_staff {
            return Err(MediaError::Forbidden);
        }
        let start = Utc::now().naive_utc() - TimeDelta::seconds((first + count) as i64);
        let peaks: Vec<u8> = (0..2000).map(|i| ((i * 37 % 101) as i8 - 50) as u8).collect();
        let mut added = 0;
        for batch in (first..first + count).collect::<Vec<_>>().chunks(BATCH) {
            let images: Vec<(String, StorageKey, i64)> = batch
                .iter()
                .filter(|i| *i % 4 != 3)
                .map(|&i| (format!("load-{i:06}.jpg"), StorageKey::generate(owner.id(), "jpg"), i as i64))
                .collect();
            let audios: Vec<(String, StorageKey, i64)> = batch
                .iter()
                .filter(|i| *i % 4 == 3)
                .map(|&i| (format!("load-{i:06}.mp3"), StorageKey::generate(owner.id(), "mp3"), i as i64))
                .collect();
            let thumbs: Vec<StorageKey> = images.iter().map(|(_, k, _)| k.derived("thumb.jpg")).collect();
            let new_images: Vec<NewImage> = images
                .iter()
                .zip(&thumbs)
                .map(|((name, key, i), thumb)| NewImage {
                    owner_id: owner.id(),
                    uploader_id: actor.user_id,
                    original_filename: name,
                    content_type: "image/jpeg",
                    byte_size: 200_000 + (i * 7919) % 5_000_000,
                    sha256: "synthetic",
                    storage_key: key.as_str(),
                    thumbnail_key: Some(thumb.as_str()),
                    width: 4000,
                    height: 3000,
                    created_at: start + TimeDelta::seconds(*i),
                })
                .collect();
            let new_audios: Vec<NewAudio> = audios
                .iter()
                .map(|(name, key, i)| NewAudio {
                    owner_id: owner.id(),
                    uploader_id: actor.user_id,
                    original_filename: name,
                    content_type: "audio/mpeg",
                    byte_size: 1_000_000 + (i * 7919) % 9_000_000,
                    sha256: "synthetic",
                    storage_key: key.as_str(),
                    waveform_key: None,
                    duration_ms: 30_000 + (i * 7919) % 600_000,
                    bitrate: 192_000,
                    sample_rate: 44_100,
                    channels: 2,
                    codec: "mp3",
                    transcript: None,
                    created_at: start + TimeDelta::seconds(*i),
                    updated_at: start + TimeDelta::seconds(*i),
                    peaks: Some(&peaks),
                })
                .collect();
            added += self
                .db
                .transaction(async |c: &mut DbConn<'_>| {
                    Ok::<_, MediaError>(
                        ImageRepo::create_many(c, &new_images).await?
                            + AudioRepo::create_many(c, &new_audios).await?,
                    )
                })
                .await?;
        }
        Ok(added)
    }
}

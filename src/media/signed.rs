//! Serving app-signed links (the local-folder store): the signature decides, not a session.

use chrono::Utc;

use super::MediaError;
use super::file::MediaType;
use super::service::MediaService;
use crate::db::repo::PendingDeletionRepo;
use crate::storage::{ByteRange, GetObject, SignatureError, StorageError, StorageKey};

/// An object opened through a signed link, with what the response must say about it.
pub struct SignedObject {
    pub object: GetObject,
    /// From the key's extension, which the app chose from the sniffed type.
    pub content_type: &'static str,
    pub download_name: Option<String>,
}

impl MediaService {
    pub async fn open_signed(
        &self,
        key: &str,
        expires: i64,
        name: Option<&str>,
        signature: &str,
        range: Option<ByteRange>,
    ) -> Result<SignedObject, MediaError> {
        self.store.verify_signed(key, expires, name, signature, Utc::now().timestamp()).map_err(
            |e| match e {
                SignatureError::Expired => {
                    MediaError::Link("This link has expired. Ask for a new one.".into())
                }
                SignatureError::Invalid => MediaError::Link("This link is not valid.".into()),
            },
        )?;
        let key = StorageKey::parse(key).map_err(|_| MediaError::NotFound)?;
        // A deleted item's links die with its row, even while its object waits for the store.
        let mut pooled = self.db.get().await?;
        if PendingDeletionRepo::contains(&mut pooled.conn(), key.as_str()).await? {
            return Err(MediaError::NotFound);
        }
        drop(pooled);
        let content_type = key
            .extension()
            .and_then(|ext| if ext == "jpg" { Some(MediaType::Jpeg) } else { MediaType::from_extension(ext) })
            .map_or("application/octet-stream", MediaType::mime);
        let object = match self.store.get(&key, range).await {
            Ok(o) => o,
            Err(StorageError::NotFound) => return Err(MediaError::NotFound),
            Err(StorageError::InvalidRange) => {
                let size = self.store.head(&key).await?.map_or(0, |m| m.size);
                return Err(MediaError::RangeNotSatisfiable(size));
            }
            Err(other) => return Err(other.into()),
        };
        Ok(SignedObject { object, content_type, download_name: name.map(str::to_owned) })
    }
}

//! Writing an object from a file that is still being received, so the store's half of an upload
//! overlaps the network's half instead of following it. Nothing becomes visible under the key
//! before [`PendingUpload::commit`]; an upload that is aborted or dropped leaves no object.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;

use super::{ObjectStore, StorageError, StorageKey};

/// An object on its way into a store.
#[async_trait]
pub trait PendingUpload: Send {
    /// The file now holds `len` bytes; it only ever grows. Cheap: work starts in the background.
    fn grown(&mut self, len: u64);

    /// The file is complete at `len` bytes: sends whatever is still unsent. The object stays
    /// invisible until `commit`.
    async fn seal(&mut self, len: u64) -> Result<(), StorageError>;

    /// Makes the object visible under its key.
    async fn commit(self: Box<Self>) -> Result<(), StorageError>;

    /// Gives the upload up; nothing is left in the store.
    async fn abort(self: Box<Self>);
}

/// For stores without a way to write ahead: the whole file goes up at commit.
pub struct WholeFileUpload {
    pub store: Arc<dyn ObjectStore>,
    pub key: StorageKey,
    pub file: PathBuf,
    pub content_type: String,
}

#[async_trait]
impl PendingUpload for WholeFileUpload {
    fn grown(&mut self, _len: u64) {}

    async fn seal(&mut self, _len: u64) -> Result<(), StorageError> {
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StorageError> {
        self.store.put_file(&self.key, &self.file, &self.content_type).await
    }

    async fn abort(self: Box<Self>) {}
}

impl WholeFileUpload {
    pub fn boxed(
        store: Arc<dyn ObjectStore>,
        key: &StorageKey,
        file: &Path,
        content_type: &str,
    ) -> Box<dyn PendingUpload> {
        Box::new(WholeFileUpload {
            store,
            key: key.clone(),
            file: file.to_path_buf(),
            content_type: content_type.to_owned(),
        })
    }
}

/// A part of an assembly on its way into a store while the file holding it is still being
/// written (see [`super::ObjectStore::begin_part`]). Dropped before `finish`, it stores nothing.
#[async_trait]
pub trait PendingPart: Send {
    /// The file now holds `file_len` bytes.
    fn grown(&mut self, file_len: u64);

    /// Waits until the part is stored; the file must hold all of it by then.
    async fn finish(self: Box<Self>) -> Result<(), StorageError>;
}

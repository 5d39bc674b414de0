//! S3 writes that keep pace with the upload: each 8 MiB of the spool file goes up as a multipart
//! part while the rest is still arriving, streamed from disk (never held in memory). The object
//! appears only when the multipart upload is completed; an abandoned one is aborted.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use aws_sdk_s3::types::CompletedPart;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::client::{PART_SIZE, S3Client};
use crate::storage::upload::PendingUpload;
use crate::storage::{StorageError, StorageKey};

enum Progress {
    /// The file holds this many bytes.
    Grown(u64),
    /// The file is complete at this many bytes.
    Sealed(u64),
}

/// What has been sent once the file is sealed.
struct Sent {
    /// `None` for files of one part or less, which go up in a single PUT at commit.
    multipart: Option<(String, Vec<CompletedPart>)>,
}

pub struct S3Upload {
    store: S3Client,
    key: StorageKey,
    file: PathBuf,
    content_type: String,
    progress: Option<mpsc::UnboundedSender<Progress>>,
    worker: Option<JoinHandle<Result<Sent, StorageError>>>,
    sent: Option<Sent>,
    finished: bool,
}

impl S3Upload {
    pub fn start(store: S3Client, key: &StorageKey, file: &Path, content_type: &str) -> S3Upload {
        let (tx, rx) = mpsc::unbounded_channel();
        let worker = tokio::spawn(send_parts(
            store.clone(),
            key.as_str().to_owned(),
            file.to_path_buf(),
            content_type.to_owned(),
            rx,
        ));
        S3Upload {
            store,
            key: key.clone(),
            file: file.to_path_buf(),
            content_type: content_type.to_owned(),
            progress: Some(tx),
            worker: Some(worker),
            sent: None,
            finished: false,
        }
    }
}

/// Sends every full part as soon as the file holds it, then the rest once it is sealed. On an
/// error, or when the upload is dropped before it is sealed, the multipart upload is aborted.
async fn send_parts(
    store: S3Client,
    key: String,
    file: PathBuf,
    content_type: String,
    mut progress: mpsc::UnboundedReceiver<Progress>,
) -> Result<Sent, StorageError> {
    let mut upload_id: Option<String> = None;
    let mut parts = Vec::new();
    let mut sent = 0u64;
    let outcome = async {
        while let Some(p) = progress.recv().await {
            let (available, sealed) = match p {
                Progress::Grown(n) => (n, false),
                Progress::Sealed(n) => (n, true),
            };
            // A sealed file of one part or less is one plain PUT at commit.
            if sealed && upload_id.is_none() && available <= PART_SIZE {
                return Ok(Sent { multipart: None });
            }
            while available - sent >= PART_SIZE || (sealed && available > sent) {
                let id = match &upload_id {
                    Some(id) => id.clone(),
                    None => upload_id.insert(store.start_multipart(&key, &content_type).await?).clone(),
                };
                let len = PART_SIZE.min(available - sent);
                let number = parts.len() as i32 + 1;
                parts.push(store.upload_file_part(&key, &id, number, &file, sent, len).await?);
                sent += len;
            }
            if sealed {
                return Ok(Sent { multipart: upload_id.take().map(|id| (id, std::mem::take(&mut parts))) });
            }
        }
        Err(StorageError::Backend("the upload was abandoned".into()))
    }
    .await;
    if outcome.is_err()
        && let Some(id) = upload_id
    {
        store.abort_multipart(&key, &id).await;
    }
    outcome
}

#[async_trait]
impl PendingUpload for S3Upload {
    fn grown(&mut self, len: u64) {
        if let Some(tx) = &self.progress {
            // A worker that stopped has an error for `seal` to report.
            let _ = tx.send(Progress::Grown(len));
        }
    }

    async fn seal(&mut self, len: u64) -> Result<(), StorageError> {
        if let Some(tx) = self.progress.take() {
            let _ = tx.send(Progress::Sealed(len));
        }
        let worker = self.worker.take().ok_or_else(|| StorageError::Backend("sealed twice".into()))?;
        let sent = worker.await.map_err(|e| StorageError::Backend(format!("upload task failed: {e}")))??;
        self.sent = Some(sent);
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<(), StorageError> {
        self.finished = true;
        match self.sent.take() {
            Some(Sent { multipart: Some((id, parts)) }) => {
                let done = self.store.complete_multipart(self.key.as_str(), &id, parts).await;
                if done.is_err() {
                    self.store.abort_multipart(self.key.as_str(), &id).await;
                }
                done
            }
            Some(Sent { multipart: None }) => {
                self.store.put_file(self.key.as_str(), &self.file, &self.content_type).await
            }
            None => Err(StorageError::Backend("committed before it was sealed".into())),
        }
    }

    async fn abort(mut self: Box<Self>) {
        self.finished = true;
        self.progress = None; // an unsealed worker aborts by itself
        if let Some(worker) = self.worker.take() {
            let _ = worker.await;
        }
        if let Some(Sent { multipart: Some((id, _)) }) = self.sent.take() {
            self.store.abort_multipart(self.key.as_str(), &id).await;
        }
    }
}

impl Drop for S3Upload {
    fn drop(&mut self) {
        // Dropped mid-way (a cancelled request): the unsealed worker aborts when its channel
        // closes; a sealed but uncommitted multipart upload is aborted here.
        if !self.finished
            && let Some(Sent { multipart: Some((id, _)) }) = self.sent.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let (store, key) = (self.store.clone(), self.key.as_str().to_owned());
            runtime.spawn(async move { store.abort_multipart(&key, &id).await });
        }
    }
}

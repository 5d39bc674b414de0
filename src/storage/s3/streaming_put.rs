//! One streaming PUT for an upload whose size was announced up front (the JavaScript uploader
//! sends it): the request body is read from the spool file as the file grows, so the object is
//! written at the pace it arrives, with no assembly step at the end. Its last bytes are held back
//! until the upload is committed, so the object cannot appear before the checks pass; giving up
//! fails the request, and S3 keeps nothing of a failed PUT.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream as SdkByteStream;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::client::S3Client;
use crate::storage::upload::PendingUpload;
use crate::storage::{StorageError, StorageKey};

/// Held back until commit: the request cannot complete without them.
const TAIL: u64 = 64 * 1024;
const READ_CHUNK: usize = 64 * 1024;
/// How slowly a client may send before the PUT that follows it gives up: the request lives as
/// long as the upload does, so its timeout grows with the size.
const SLOWEST_BYTES_PER_SEC: u64 = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Feed {
    Grown(u64),
    Sealed,
    Committed,
    Aborted,
}

pub struct S3StreamingPut {
    store: S3Client,
    key: StorageKey,
    size: u64,
    feed: watch::Sender<Feed>,
    request: Option<JoinHandle<Result<(), StorageError>>>,
    finished: bool,
}

impl S3StreamingPut {
    /// Starts the PUT of `size` bytes that `file` will hold. `size` must be at least 1.
    pub fn start(
        store: S3Client,
        key: &StorageKey,
        file: &Path,
        content_type: &str,
        size: u64,
    ) -> S3StreamingPut {
        let (feed, watching) = watch::channel(Feed::Grown(0));
        let (tx, rx) = mpsc::channel(2);
        tokio::spawn(pump(file.to_path_buf(), (0, size), size.min(TAIL), watching, tx));
        let body = SdkByteStream::from_body_1_x(ChannelBody { rx, size });
        let timeout = Duration::from_secs(60 + size / SLOWEST_BYTES_PER_SEC);
        let request = tokio::spawn(store.clone().put_streaming(
            key.as_str().to_owned(),
            content_type.to_owned(),
            size,
            body,
            timeout,
        ));
        S3StreamingPut { store, key: key.clone(), size, feed, request: Some(request), finished: false }
    }

    async fn outcome(&mut self) -> Result<(), StorageError> {
        match self.request.take() {
            Some(request) => {
                request.await.map_err(|e| StorageError::Backend(format!("upload task failed: {e}")))?
            }
            None => Err(StorageError::Backend("the upload has already ended".into())),
        }
    }
}

/// Feeds the request body from the file as it grows: `size` bytes from `start`, holding back
/// the last `tail` of them until commit. `Feed::Grown` counts the file's bytes.
pub(super) async fn pump(
    path: PathBuf,
    (start, size): (u64, u64),
    tail: u64,
    mut feed: watch::Receiver<Feed>,
    tx: mpsc::Sender<std::io::Result<Bytes>>,
) {
    let mut pos = 0u64;
    let mut file: Option<tokio::fs::File> = None;
    loop {
        let state = *feed.borrow_and_update();
        let limit = match state {
            Feed::Grown(n) => n.saturating_sub(start).min(size - tail),
            Feed::Sealed => size - tail,
            Feed::Committed => size,
            Feed::Aborted => break,
        };
        while pos < limit {
            let f = match file.as_mut() {
                Some(f) => f,
                None => match open_at(&path, start + pos).await {
                    Ok(f) => file.insert(f),
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                },
            };
            let mut buf = vec![0u8; READ_CHUNK.min((limit - pos) as usize)];
            if let Err(e) = f.read_exact(&mut buf).await {
                let _ = tx.send(Err(e)).await;
                return;
            }
            pos += buf.len() as u64;
            if tx.send(Ok(Bytes::from(buf))).await.is_err() {
                return; // the request is gone
            }
        }
        if pos == size || feed.changed().await.is_err() {
            if pos == size {
                return;
            }
            break;
        }
    }
    let _ = tx.send(Err(std::io::Error::other("the upload was given up"))).await;
}

async fn open_at(path: &Path, pos: u64) -> std::io::Result<tokio::fs::File> {
    let mut f = tokio::fs::File::open(path).await?;
    f.seek(SeekFrom::Start(pos)).await?;
    Ok(f)
}

/// The request body: chunks from the pump, `size` bytes in all.
pub(super) struct ChannelBody {
    pub(super) rx: mpsc::Receiver<std::io::Result<Bytes>>,
    pub(super) size: u64,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.rx.poll_recv(cx).map(|chunk| chunk.map(|c| c.map(Frame::data)))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.size)
    }
}

#[async_trait]
impl PendingUpload for S3StreamingPut {
    fn grown(&mut self, len: u64) {
        self.feed.send_replace(Feed::Grown(len));
    }

    async fn seal(&mut self, len: u64) -> Result<(), StorageError> {
        if len != self.size {
            self.feed.send_replace(Feed::Aborted);
            let _ = self.outcome().await;
            self.finished = true;
            return Err(StorageError::Backend(format!(
                "{len} bytes arrived where {} were announced",
                self.size
            )));
        }
        self.feed.send_replace(Feed::Sealed);
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<(), StorageError> {
        self.finished = true;
        self.feed.send_replace(Feed::Committed);
        self.outcome().await
    }

    async fn abort(mut self: Box<Self>) {
        self.finished = true;
        self.feed.send_replace(Feed::Aborted);
        if self.outcome().await.is_ok() {
            // Cannot happen while the tail is held back; if it ever did, the object must go.
            let _ = self.store.delete(self.key.as_str()).await;
        }
    }
}

impl Drop for S3StreamingPut {
    fn drop(&mut self) {
        if !self.finished {
            // The pump ends the body with an error, which fails the PUT: nothing is stored.
            self.feed.send_replace(Feed::Aborted);
        }
    }
}

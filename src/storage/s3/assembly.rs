//! Multipart uploads that outlive one request (resumable uploads): parts are numbered by their
//! offset, so a part sent again by any process replaces itself, and the list of parts is read
//! back from the bucket when the object is finished; nothing about it is kept in a process.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream as SdkByteStream;
use aws_sdk_s3::types::CompletedPart;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::client::{PART_SIZE, S3Client, classify};
use super::streaming_put::{ChannelBody, Feed, pump};
use crate::storage::upload::PendingPart;
use crate::storage::{StorageError, StorageKey};

/// How slowly a piece may arrive before the part that follows it gives up.
const SLOWEST_BYTES_PER_SEC: u64 = 64 * 1024;

/// A part sent while the piece that holds it is still arriving: its request body is read from
/// the file as the file grows, so the part is stored when its last byte arrives.
pub struct S3StreamingPart {
    feed: watch::Sender<Feed>,
    request: Option<JoinHandle<Result<(), StorageError>>>,
}

impl S3StreamingPart {
    /// The part at `at` of `len` bytes, which `file` holds from `from` on (once written).
    pub fn start(
        client: S3Client,
        (key, upload_id): (&StorageKey, &str),
        at: u64,
        len: u64,
        (file, from): (&Path, u64),
    ) -> Result<S3StreamingPart, StorageError> {
        let number = part_number(at)?;
        let (feed, watching) = watch::channel(Feed::Grown(0));
        let (tx, rx) = mpsc::channel(2);
        tokio::spawn(pump(file.to_path_buf(), (from, len), 0, watching, tx));
        let body = SdkByteStream::from_body_1_x(ChannelBody { rx, size: len });
        let timeout = Duration::from_secs(60 + len / SLOWEST_BYTES_PER_SEC);
        let request = tokio::spawn(client.upload_part_streaming(
            (key.as_str().to_owned(), upload_id.to_owned(), number),
            len,
            body,
            timeout,
        ));
        Ok(S3StreamingPart { feed, request: Some(request) })
    }
}

#[async_trait]
impl PendingPart for S3StreamingPart {
    fn grown(&mut self, file_len: u64) {
        self.feed.send_replace(Feed::Grown(file_len));
    }

    async fn finish(mut self: Box<Self>) -> Result<(), StorageError> {
        match self.request.take() {
            Some(r) => r.await.map_err(|e| StorageError::Backend(format!("part task failed: {e}")))?,
            None => Err(StorageError::Backend("the part has already ended".into())),
        }
    }
}

impl Drop for S3StreamingPart {
    fn drop(&mut self) {
        if self.request.is_some() {
            // The pump ends the body with an error, which fails the request: no part is stored.
            self.feed.send_replace(Feed::Aborted);
        }
    }
}

/// The part that starts at byte `at` (a multiple of [`PART_SIZE`]).
pub fn part_number(at: u64) -> Result<i32, StorageError> {
    if !at.is_multiple_of(PART_SIZE) {
        return Err(StorageError::Backend(format!("a part cannot start at {at}")));
    }
    i32::try_from(at / PART_SIZE + 1).map_err(|_| StorageError::Backend(format!("no part starts at {at}")))
}

impl S3Client {
    /// Completes the upload from the parts the bucket holds, after checking they are parts
    /// 1..n with no gap and `size` bytes in all.
    pub async fn finish_parts(&self, key: &str, upload_id: &str, size: u64) -> Result<(), StorageError> {
        let mut parts = Vec::new();
        let mut total = 0u64;
        let mut pages = self
            .client
            .list_parts()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(classify)?;
            for part in page.parts() {
                let number = part.part_number().unwrap_or(0);
                total += part.size().unwrap_or(0).max(0) as u64;
                parts.push(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(part.e_tag().map(str::to_owned))
                        .build(),
                );
            }
        }
        parts.sort_by_key(|p| p.part_number().unwrap_or(0));
        let contiguous = parts.iter().enumerate().all(|(i, p)| p.part_number() == Some(i as i32 + 1));
        if !contiguous || total != size {
            return Err(StorageError::Backend(format!(
                "the bucket holds {} parts of {total} bytes for an object of {size}",
                parts.len()
            )));
        }
        self.complete_multipart(key, upload_id, parts).await
    }

    /// Aborts a multipart upload, reporting a failure (the caller retries later).
    pub async fn try_abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), StorageError> {
        match self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.meta().code() == Some("NoSuchUpload")) => Ok(()),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }
}

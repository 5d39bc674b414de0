//! An S3 bucket as an [`ObjectStore`]: `client` reaches the bucket; `streaming_put` (one PUT
//! whose body is still arriving) and `multipart` (parts sent while the spool file grows) are
//! the two ways an upload goes up while it is received, each built on the client alone.

mod assembly;
mod client;
mod multipart;
mod streaming_put;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream as SdkByteStream;
use aws_sdk_s3::types::CompletedPart;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use self::client::{PART_SIZE, S3Client, classify};
use self::multipart::S3Upload;
use self::streaming_put::S3StreamingPut;
use super::presign::{PresignRequest, Presigner};
use super::upload::{PendingPart, PendingUpload};
use super::{
    ByteRange, ByteStream, GetObject, ObjectMeta, ObjectStore, SignatureError, SignedUrlOptions,
    StorageError, StorageKey, UrlSigner,
};

/// Announced sizes from here up go up as one streaming PUT.
const STREAMING_PUT_MIN: u64 = 1024 * 1024;

/// Where and how to reach an S3-compatible service.
#[derive(Clone)]
pub struct S3Settings {
    pub bucket: String,
    /// Custom endpoint for MinIO, Garage, Ceph, s3s…; `None` means AWS.
    pub endpoint: Option<String>,
    /// The endpoint browsers use, when it differs from the app's (e.g. `http://s3:9000` inside a
    /// compose network, `https://s3.example.com` outside): presigned URLs are signed for it.
    pub public_endpoint: Option<String>,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    /// Path-style addressing (`endpoint/bucket/key`), which most self-hosted servers need.
    pub path_style: bool,
    /// Per-attempt timeout of one request; a dead server fails fast instead of hanging uploads.
    pub attempt_timeout: Duration,
    pub max_attempts: u32,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .finish_non_exhaustive()
    }
}

/// An S3 bucket via aws-sdk-s3.
#[derive(Clone, Debug)]
pub struct S3Store {
    s3: S3Client,
    /// Signs browser URLs, for the public endpoint when one is set.
    presigner: Arc<Presigner>,
    /// Set when browsers get app-signed links and the app streams the bytes from the bucket,
    /// instead of presigned URLs to the bucket itself.
    app_signer: Option<UrlSigner>,
}

impl S3Store {
    pub fn new(settings: &S3Settings) -> S3Store {
        let s3 = S3Client::new(settings, settings.endpoint.as_deref());
        let presigner = Arc::new(Presigner::new(
            settings.public_endpoint.as_deref().or(settings.endpoint.as_deref()),
            &settings.bucket,
            settings.path_style,
            &settings.region,
            &settings.access_key,
            &settings.secret_key,
        ));
        S3Store { s3, presigner, app_signer: None }
    }

    /// Browsers get links to the app (signed by `signer`), which streams the bytes from the
    /// bucket with its own headers (`nosniff` among them), for buckets browsers cannot or must
    /// not reach.
    pub fn served_by_app(mut self, signer: UrlSigner) -> S3Store {
        self.app_signer = Some(signer);
        self
    }

    pub fn bucket(&self) -> &str {
        &self.s3.bucket
    }

    /// Creates the bucket if it does not exist (tests and first-run setups).
    pub async fn ensure_bucket(&self) -> Result<(), StorageError> {
        self.s3.ensure_bucket().await
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    fn kind(&self) -> &'static str {
        "s3"
    }

    async fn put_file(&self, key: &StorageKey, path: &Path, content_type: &str) -> Result<(), StorageError> {
        self.s3.put_file(key.as_str(), path, content_type).await
    }

    fn begin_upload(
        &self,
        key: &StorageKey,
        file: &Path,
        content_type: &str,
        size: Option<u64>,
    ) -> Option<Box<dyn PendingUpload>> {
        Some(match size {
            // A known size allows one PUT that streams as the file grows, which also spares the
            // store assembling parts at the end.
            Some(size) if size >= STREAMING_PUT_MIN => {
                Box::new(S3StreamingPut::start(self.s3.clone(), key, file, content_type, size))
            }
            _ => Box::new(S3Upload::start(self.s3.clone(), key, file, content_type)),
        })
    }

    async fn put_stream(
        &self,
        key: &StorageKey,
        mut body: ByteStream,
        content_type: &str,
    ) -> Result<u64, StorageError> {
        let mut buf = BytesMut::with_capacity(PART_SIZE as usize);
        let mut total = 0u64;
        let mut upload: Option<(String, Vec<CompletedPart>)> = None;
        let result = async {
            loop {
                let next = body.next().await.transpose()?;
                let done = next.is_none();
                if let Some(chunk) = next {
                    total += chunk.len() as u64;
                    buf.extend_from_slice(&chunk);
                }
                if buf.len() as u64 >= PART_SIZE || (done && upload.is_some()) {
                    if upload.is_none() {
                        upload =
                            Some((self.s3.start_multipart(key.as_str(), content_type).await?, Vec::new()));
                    }
                    if let Some((id, parts)) = upload.as_mut() {
                        let part = buf.split().freeze();
                        let number = parts.len() as i32 + 1;
                        parts.push(
                            self.s3.upload_part(key.as_str(), id, number, SdkByteStream::from(part)).await?,
                        );
                    }
                }
                if done {
                    break;
                }
            }
            match upload.take() {
                Some((id, parts)) => {
                    let completed = self.s3.complete_multipart(key.as_str(), &id, parts).await;
                    if completed.is_err() {
                        upload = Some((id, Vec::new()));
                    }
                    completed
                }
                None => {
                    let bytes: Bytes = buf.split().freeze();
                    self.s3.put_object(key.as_str(), SdkByteStream::from(bytes), content_type).await
                }
            }
        }
        .await;
        if result.is_err()
            && let Some((id, _)) = upload
        {
            self.s3.abort_multipart(key.as_str(), &id).await;
        }
        result.map(|()| total)
    }

    async fn get(&self, key: &StorageKey, range: Option<ByteRange>) -> Result<GetObject, StorageError> {
        let out = self
            .s3
            .client
            .get_object()
            .bucket(&self.s3.bucket)
            .key(key.as_str())
            .set_range(range.map(ByteRange::header_value))
            .send()
            .await
            .map_err(|e| {
                if e.raw_response().is_some_and(|r| r.status().as_u16() == 416) {
                    StorageError::InvalidRange
                } else {
                    classify(e)
                }
            })?;
        let content_length = out.content_length().unwrap_or(0).max(0) as u64;
        let (served, total_size) = match (range, out.content_range()) {
            (Some(_), Some(cr)) => parse_content_range(cr)
                .ok_or_else(|| StorageError::Backend(format!("bad Content-Range {cr}")))?,
            _ => (None, content_length),
        };
        let content_type = out.content_type().map(str::to_owned);
        let body: ByteStream = Box::pin(futures_util::stream::unfold(out.body, |mut body| async move {
            body.next().await.map(|chunk| (chunk.map_err(std::io::Error::other), body))
        }));
        Ok(GetObject { body, content_length, total_size, range: served, content_type })
    }

    async fn head(&self, key: &StorageKey) -> Result<Option<ObjectMeta>, StorageError> {
        match self.s3.client.head_object().bucket(&self.s3.bucket).key(key.as_str()).send().await {
            Ok(out) => Ok(Some(ObjectMeta {
                key: key.as_str().to_owned(),
                size: out.content_length().unwrap_or(0).max(0) as u64,
                modified: out.last_modified().map(|t| t.secs()),
            })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(classify(e)),
        }
    }

    async fn delete(&self, key: &StorageKey) -> Result<(), StorageError> {
        self.s3.delete(key.as_str()).await
    }

    async fn copy(&self, from: &StorageKey, to: &StorageKey) -> Result<(), StorageError> {
        self.s3.copy(from.as_str(), to.as_str()).await
    }

    async fn advise_caching(&self, key: &StorageKey) -> Result<bool, StorageError> {
        self.s3.advise_caching(key.as_str()).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StorageError> {
        let mut out = Vec::new();
        let mut pages =
            self.s3.client.list_objects_v2().bucket(&self.s3.bucket).prefix(prefix).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(classify)?;
            for obj in page.contents() {
                if let Some(key) = obj.key() {
                    out.push(ObjectMeta {
                        key: key.to_owned(),
                        size: obj.size().unwrap_or(0).max(0) as u64,
                        modified: obj.last_modified().map(|t| t.secs()),
                    });
                }
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn signed_url(&self, key: &StorageKey, options: &SignedUrlOptions) -> Result<String, StorageError> {
        if let Some(signer) = &self.app_signer {
            return Ok(signer.url_for(key, options));
        }
        let issued_at = match options.issued_at {
            Some(at) => chrono::DateTime::from_timestamp(at, 0)
                .ok_or_else(|| StorageError::Backend(format!("issue time {at} out of range")))?,
            None => chrono::Utc::now(),
        };
        let disposition = options.download_name.as_deref().map(crate::http_text::content_disposition);
        Ok(self.presigner.presign_get(&PresignRequest {
            key: key.as_str(),
            issued_at,
            expires_secs: options.ttl.as_secs().max(1),
            content_type: options.content_type.as_deref(),
            content_disposition: disposition.as_deref(),
        }))
    }

    fn verify_signed(
        &self,
        key: &str,
        expires: i64,
        name: Option<&str>,
        signature: &str,
        now: i64,
    ) -> Result<(), SignatureError> {
        match &self.app_signer {
            Some(signer) => signer.verify(key, expires, name, signature, now),
            None => Err(SignatureError::Invalid),
        }
    }

    fn part_alignment(&self) -> u64 {
        PART_SIZE
    }

    async fn start_assembly(&self, key: &StorageKey, content_type: &str) -> Result<String, StorageError> {
        self.s3.start_multipart(key.as_str(), content_type).await
    }

    async fn put_part(
        &self,
        key: &StorageKey,
        assembly: &str,
        at: u64,
        file: &Path,
        from: u64,
        len: u64,
    ) -> Result<(), StorageError> {
        let number = assembly::part_number(at)?;
        self.s3.upload_file_part(key.as_str(), assembly, number, file, from, len).await.map(drop)
    }

    fn begin_part(
        &self,
        key: &StorageKey,
        assembly: &str,
        at: u64,
        len: u64,
        file: (&Path, u64),
    ) -> Option<Result<Box<dyn PendingPart>, StorageError>> {
        Some(
            assembly::S3StreamingPart::start(self.s3.clone(), (key, assembly), at, len, file)
                .map(|p| Box::new(p) as Box<dyn PendingPart>),
        )
    }

    async fn finish_assembly(&self, key: &StorageKey, assembly: &str, size: u64) -> Result<(), StorageError> {
        self.s3.finish_parts(key.as_str(), assembly, size).await
    }

    async fn abort_assembly(&self, key: &StorageKey, assembly: &str) -> Result<(), StorageError> {
        self.s3.try_abort_multipart(key.as_str(), assembly).await
    }

    async fn ping(&self) -> Result<(), StorageError> {
        self.s3.client.head_bucket().bucket(&self.s3.bucket).send().await.map_err(classify)?;
        Ok(())
    }
}

/// `bytes 100-199/1000` → `(Some((100, 199)), 1000)`.
fn parse_content_range(value: &str) -> Option<(Option<(u64, u64)>, u64)> {
    let rest = value.strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    Some((Some((start.parse().ok()?, end.parse().ok()?)), total.parse().ok()?))
}

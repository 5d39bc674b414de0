use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::SharedHttpClient;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::{ByteStream as SdkByteStream, Length};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use super::presign::{PresignRequest, Presigner};
use super::s3_put::S3StreamingPut;
use super::s3_upload::S3Upload;
use super::upload::PendingUpload;
use super::{
    ByteRange, ByteStream, GetObject, ObjectMeta, ObjectStore, SignatureError, SignedUrlOptions,
    StorageError, StorageKey, UrlSigner,
};

/// Objects up to this size go up in one PUT; larger ones as a multipart upload of this part size.
/// 8 MiB keeps a 100 MB upload at 13 parts and memory per stream upload at one part.
pub(super) const PART_SIZE: u64 = 8 * 1024 * 1024;
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
    client: Client,
    /// Signs browser URLs, for the public endpoint when one is set.
    presigner: Arc<Presigner>,
    bucket: String,
    /// Set when browsers get app-signed links and the app streams the bytes from the bucket,
    /// instead of presigned URLs to the bucket itself.
    app_signer: Option<UrlSigner>,
}

/// HTTP/1 over rustls with ring: the SDK's default client would build aws-lc (see Cargo.toml).
fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https()
}

impl S3Store {
    pub fn new(settings: &S3Settings) -> S3Store {
        let client = Self::client(settings, settings.endpoint.as_deref());
        let presigner = Arc::new(Presigner::new(
            settings.public_endpoint.as_deref().or(settings.endpoint.as_deref()),
            &settings.bucket,
            settings.path_style,
            &settings.region,
            &settings.access_key,
            &settings.secret_key,
        ));
        S3Store { client, presigner, bucket: settings.bucket.clone(), app_signer: None }
    }

    fn client(settings: &S3Settings, endpoint: Option<&str>) -> Client {
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .credentials_provider(Credentials::new(
                settings.access_key.clone(),
                settings.secret_key.clone(),
                None,
                None,
                "mediadesk-config",
            ))
            .force_path_style(settings.path_style)
            // Checksum trailers are not understood by every S3-compatible server.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .operation_attempt_timeout(settings.attempt_timeout)
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(settings.max_attempts.max(1)));
        if let Some(endpoint) = endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        Client::from_conf(builder.http_client(https_client()).build())
    }

    /// Browsers get links to the app (signed by `signer`), which streams the bytes from the
    /// bucket with its own headers (`nosniff` among them), for buckets browsers cannot or must
    /// not reach.
    pub fn served_by_app(mut self, signer: UrlSigner) -> S3Store {
        self.app_signer = Some(signer);
        self
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Creates the bucket if it does not exist (tests and first-run setups).
    pub async fn ensure_bucket(&self) -> Result<(), StorageError> {
        if self.client.head_bucket().bucket(&self.bucket).send().await.is_ok() {
            return Ok(());
        }
        match self.client.create_bucket().bucket(&self.bucket).send().await {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.code(), Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")) => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }

    async fn put_multipart_file(
        &self,
        key: &str,
        path: &Path,
        size: u64,
        content_type: &str,
    ) -> Result<(), StorageError> {
        let upload_id = self.start_multipart(key, content_type).await?;
        let result = async {
            let mut parts = Vec::new();
            let mut offset = 0u64;
            let mut number = 1i32;
            while offset < size {
                let len = PART_SIZE.min(size - offset);
                parts.push(self.upload_file_part(key, &upload_id, number, path, offset, len).await?);
                offset += len;
                number += 1;
            }
            self.complete_multipart(key, &upload_id, parts).await
        }
        .await;
        if result.is_err() {
            self.abort_multipart(key, &upload_id).await;
        }
        result
    }

    /// One PUT of `size` bytes whose body is still being produced. Not retried (the body
    /// cannot be replayed) and allowed `timeout`, as it lasts as long as the upload feeding it.
    pub(super) async fn put_streaming(
        self,
        key: String,
        content_type: String,
        size: u64,
        body: SdkByteStream,
        timeout: Duration,
    ) -> Result<(), StorageError> {
        let overrides = aws_sdk_s3::config::Builder::default()
            .timeout_config(TimeoutConfig::builder().operation_attempt_timeout(timeout).build())
            .retry_config(RetryConfig::disabled());
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(size as i64)
            .body(body)
            .customize()
            .config_override(overrides)
            .disable_payload_signing()
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Uploads `len` bytes of `path` from `offset` as part `number`, streamed from disk: memory
    /// stays at the SDK's buffers, not the part size.
    pub(super) async fn upload_file_part(
        &self,
        key: &str,
        upload_id: &str,
        number: i32,
        path: &Path,
        offset: u64,
        len: u64,
    ) -> Result<CompletedPart, StorageError> {
        let body = SdkByteStream::read_from()
            .path(path)
            .offset(offset)
            .length(Length::Exact(len))
            .build()
            .await
            .map_err(|e| StorageError::Backend(e.to_string()))?;
        self.upload_part(key, upload_id, number, body).await
    }

    pub(super) async fn start_multipart(
        &self,
        key: &str,
        content_type: &str,
    ) -> Result<String, StorageError> {
        let out = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .send()
            .await
            .map_err(classify)?;
        out.upload_id()
            .map(str::to_owned)
            .ok_or_else(|| StorageError::Backend("no upload id returned".into()))
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: i32,
        body: SdkByteStream,
    ) -> Result<CompletedPart, StorageError> {
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .body(body)
            .send()
            .await
            .map_err(classify)?;
        Ok(CompletedPart::builder().part_number(number).set_e_tag(out.e_tag().map(str::to_owned)).build())
    }

    pub(super) async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: Vec<CompletedPart>,
    ) -> Result<(), StorageError> {
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    pub(super) async fn abort_multipart(&self, key: &str, upload_id: &str) {
        if let Err(e) = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
        {
            // The parts are invisible as objects; a bucket lifecycle rule reclaims them.
            tracing::warn!(key, error = %DisplayErrorContext(&e), "could not abort multipart upload");
        }
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    fn kind(&self) -> &'static str {
        "s3"
    }

    async fn put_file(&self, key: &StorageKey, path: &Path, content_type: &str) -> Result<(), StorageError> {
        let size = tokio::fs::metadata(path).await?.len();
        if size > PART_SIZE {
            return self.put_multipart_file(key.as_str(), path, size, content_type).await;
        }
        let body = SdkByteStream::from_path(path).await.map_err(|e| StorageError::Backend(e.to_string()))?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(content_type)
            .body(body)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
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
                Box::new(S3StreamingPut::start(self.clone(), key, file, content_type, size))
            }
            _ => Box::new(S3Upload::start(self.clone(), key, file, content_type)),
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
                        upload = Some((self.start_multipart(key.as_str(), content_type).await?, Vec::new()));
                    }
                    if let Some((id, parts)) = upload.as_mut() {
                        let part = buf.split().freeze();
                        let number = parts.len() as i32 + 1;
                        parts.push(
                            self.upload_part(key.as_str(), id, number, SdkByteStream::from(part)).await?,
                        );
                    }
                }
                if done {
                    break;
                }
            }
            match upload.take() {
                Some((id, parts)) => {
                    let completed = self.complete_multipart(key.as_str(), &id, parts).await;
                    if completed.is_err() {
                        upload = Some((id, Vec::new()));
                    }
                    completed
                }
                None => {
                    let bytes: Bytes = buf.split().freeze();
                    self.client
                        .put_object()
                        .bucket(&self.bucket)
                        .key(key.as_str())
                        .content_type(content_type)
                        .body(SdkByteStream::from(bytes))
                        .send()
                        .await
                        .map_err(classify)
                        .map(|_| ())
                }
            }
        }
        .await;
        if result.is_err()
            && let Some((id, _)) = upload
        {
            self.abort_multipart(key.as_str(), &id).await;
        }
        result.map(|()| total)
    }

    async fn get(&self, key: &StorageKey, range: Option<ByteRange>) -> Result<GetObject, StorageError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
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
        match self.client.head_object().bucket(&self.bucket).key(key.as_str()).send().await {
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
        self.client.delete_object().bucket(&self.bucket).key(key.as_str()).send().await.map_err(classify)?;
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StorageError> {
        let mut out = Vec::new();
        let mut pages =
            self.client.list_objects_v2().bucket(&self.bucket).prefix(prefix).into_paginator().send();
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
        let disposition = options.download_name.as_deref().map(super::signing::content_disposition);
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

    async fn ping(&self) -> Result<(), StorageError> {
        self.client.head_bucket().bucket(&self.bucket).send().await.map_err(classify)?;
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

/// Maps SDK errors to storage errors: transport problems and server-side failures (5xx) are
/// `Unavailable`, the rest `Backend`.
fn classify<E>(err: SdkError<E, HttpResponse>) -> StorageError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            StorageError::Unavailable(DisplayErrorContext(&err).to_string())
        }
        SdkError::ServiceError(service) => {
            let e = service.err();
            let status = service.raw().status().as_u16();
            if e.code() == Some("NoSuchKey") || e.code() == Some("NotFound") {
                StorageError::NotFound
            } else if status >= 500 {
                // 500, 503 SlowDown and the like: the service is struggling, not refusing.
                StorageError::Unavailable(format!(
                    "{} (HTTP {status}): {}",
                    e.code().unwrap_or("error"),
                    e.message().unwrap_or("no message")
                ))
            } else {
                StorageError::Backend(format!(
                    "{}: {}",
                    e.code().unwrap_or("error"),
                    e.message().unwrap_or("no message")
                ))
            }
        }
        _ => StorageError::Backend(DisplayErrorContext(&err).to_string()),
    }
}

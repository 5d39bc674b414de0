//! The bucket and the SDK client that reaches it, with the object operations the upload
//! strategies (`streaming_put`, `multipart`) and the store share. Knows nothing of either.

use std::path::Path;
use std::time::Duration;

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
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, MetadataDirective};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

use super::S3Settings;
use crate::storage::StorageError;

/// Objects up to this size go up in one PUT; larger ones as a multipart upload of this part size.
/// 8 MiB keeps a 100 MB upload at 13 parts and memory per stream upload at one part.
pub const PART_SIZE: u64 = 8 * 1024 * 1024;

/// Stored with every picture and sent back by the bucket with it. A key names one content for
/// as long as links to it are given out (a changed file gets a new key), and a page's links
/// keep one URL for half their life, so a browser may keep what it fetched rather than fetch
/// the same picture again on every visit; without it a bucket sends no caching advice at all.
/// Private: a shared cache must not keep what a signed link gave one person. Not for sound: a
/// trashed clip's link must stop playing in the browser that played it, and a clip streams in
/// ranges anyway.
pub const CACHE_CONTROL: &str = "private, max-age=3600";

/// The caching advice an object of this type is stored with.
fn cache_control(content_type: &str) -> Option<&'static str> {
    content_type.starts_with("image/").then_some(CACHE_CONTROL)
}

/// The SDK client and the bucket it works on.
#[derive(Clone, Debug)]
pub struct S3Client {
    pub client: Client,
    pub bucket: String,
}

/// HTTP/1 over rustls with ring: the SDK's default client would build aws-lc (see Cargo.toml).
fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https()
}

impl S3Client {
    pub fn new(settings: &S3Settings, endpoint: Option<&str>) -> S3Client {
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
        S3Client {
            client: Client::from_conf(builder.http_client(https_client()).build()),
            bucket: settings.bucket.clone(),
        }
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

    pub async fn put_multipart_file(
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
    pub async fn put_streaming(
        self,
        key: String,
        content_type: String,
        size: u64,
        body: SdkByteStream,
        timeout: Duration,
    ) -> Result<(), StorageError> {
        let overrides = streaming_overrides(timeout);
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .set_cache_control(cache_control(&content_type).map(str::to_owned))
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
    pub async fn upload_file_part(
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

    /// Uploads part `number` from a body still being produced, as [`S3Client::put_streaming`]
    /// does for a whole object.
    pub async fn upload_part_streaming(
        self,
        (key, upload_id, number): (String, String, i32),
        size: u64,
        body: SdkByteStream,
        timeout: Duration,
    ) -> Result<(), StorageError> {
        let overrides = streaming_overrides(timeout);
        self.client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
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

    pub async fn start_multipart(&self, key: &str, content_type: &str) -> Result<String, StorageError> {
        let out = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .set_cache_control(cache_control(content_type).map(str::to_owned))
            .content_type(content_type)
            .send()
            .await
            .map_err(classify)?;
        out.upload_id()
            .map(str::to_owned)
            .ok_or_else(|| StorageError::Backend("no upload id returned".into()))
    }

    pub async fn upload_part(
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

    pub async fn complete_multipart(
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

    pub async fn abort_multipart(&self, key: &str, upload_id: &str) {
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

    /// Uploads a whole file: one PUT, or parts above [`PART_SIZE`].
    pub async fn put_file(&self, key: &str, path: &Path, content_type: &str) -> Result<(), StorageError> {
        let size = tokio::fs::metadata(path).await?.len();
        if size > PART_SIZE {
            return self.put_multipart_file(key, path, size, content_type).await;
        }
        let body = SdkByteStream::from_path(path).await.map_err(|e| StorageError::Backend(e.to_string()))?;
        self.put_object(key, body, content_type).await
    }

    /// One PUT of a body whose bytes are all at hand (retried by the SDK).
    pub async fn put_object(
        &self,
        key: &str,
        body: SdkByteStream,
        content_type: &str,
    ) -> Result<(), StorageError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .set_cache_control(cache_control(content_type).map(str::to_owned))
            .content_type(content_type)
            .body(body)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// A server-side copy inside the bucket. Keys are plain ASCII (see `StorageKey`), so the
    /// copy source needs no escaping.
    pub async fn copy(&self, from: &str, to: &str) -> Result<(), StorageError> {
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .key(to)
            .copy_source(format!("{}/{from}", self.bucket))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Gives a picture stored without the caching advice of [`CACHE_CONTROL`] (written before
    /// it was given) that advice, copying the object onto itself with its type and metadata;
    /// whether it did. Only the object looked at is copied (its ETag): one written meanwhile
    /// was written with the advice, and the copy is then left undone.
    pub async fn advise_caching(&self, key: &str) -> Result<bool, StorageError> {
        let head = match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(head) => head,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => return Ok(false),
            Err(e) => return Err(classify(e)),
        };
        let content_type = head.content_type().unwrap_or_default();
        let Some(advice) = cache_control(content_type) else { return Ok(false) };
        if head.cache_control() == Some(advice) {
            return Ok(false);
        }
        let copied = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .key(key)
            .copy_source(format!("{}/{key}", self.bucket))
            .set_copy_source_if_match(head.e_tag().map(str::to_owned))
            .metadata_directive(MetadataDirective::Replace)
            .content_type(content_type)
            .cache_control(advice)
            .set_content_disposition(head.content_disposition().map(str::to_owned))
            .set_metadata(head.metadata().cloned())
            .send()
            .await;
        match copied {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 412 => Ok(false),
            Err(e) => Err(classify(e)),
        }
    }

    /// Deletes one object; deleting what is not there succeeds.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.client.delete_object().bucket(&self.bucket).key(key).send().await.map_err(classify)?;
        Ok(())
    }
}

/// Maps SDK errors to storage errors: transport problems and server-side failures (5xx) are
/// `Unavailable`, the rest `Backend`.
pub fn classify<E>(err: SdkError<E, HttpResponse>) -> StorageError
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

/// For a request whose body is still being produced: one attempt (the body cannot be replayed)
/// allowed `timeout`. The SDK's stalled-stream protection is off: the body holds its last bytes
/// back while the upload's checks run, which takes as long as the file's decode (a few seconds
/// for hours of audio), and it would take that pause for a dead connection; `timeout` bounds it.
fn streaming_overrides(timeout: Duration) -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::config::Builder::default()
        .timeout_config(TimeoutConfig::builder().operation_attempt_timeout(timeout).build())
        .retry_config(RetryConfig::disabled())
        .stalled_stream_protection(aws_sdk_s3::config::StalledStreamProtectionConfig::disabled())
}

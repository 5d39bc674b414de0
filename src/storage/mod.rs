//! Object storage: the bytes of every media item and its derivatives live behind [`ObjectStore`].
//! This module is the only place that knows a storage SDK.

mod assembly;
mod error;
pub mod keys;
mod local;
mod presign;
mod s3;
pub mod signing;
pub mod upload;

use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::Stream;

pub use error::StorageError;
pub use keys::StorageKey;
pub use local::LocalStore;
pub use s3::{S3Settings, S3Store};
pub use signing::{SignatureError, UrlSigner};
pub use upload::{PendingPart, PendingUpload, WholeFileUpload};

/// A stream of object bytes; errors are I/O errors so it plugs into readers and HTTP bodies.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// Bytes already in memory (a thumbnail, a rendition, a small object), as a body.
pub fn body_of(bytes: impl Into<bytes::Bytes>) -> ByteStream {
    Box::pin(futures_util::stream::iter([Ok(bytes.into())]))
}

/// Inclusive byte range as in HTTP `Range: bytes=start-end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `start..=end`; `end` is clamped to the object size.
    FromTo(u64, u64),
    /// `start..` to the end.
    From(u64),
    /// The last `n` bytes.
    Suffix(u64),
}

impl ByteRange {
    /// Resolves against an object of `size` bytes; `None` when unsatisfiable (HTTP 416).
    pub fn resolve(self, size: u64) -> Option<(u64, u64)> {
        let (start, end) = match self {
            ByteRange::FromTo(s, e) => (s, e.min(size.saturating_sub(1))),
            ByteRange::From(s) => (s, size.saturating_sub(1)),
            ByteRange::Suffix(n) => (size.saturating_sub(n), size.saturating_sub(1)),
        };
        (size > 0 && start <= end && start < size).then_some((start, end))
    }

    pub fn header_value(self) -> String {
        match self {
            ByteRange::FromTo(s, e) => format!("bytes={s}-{e}"),
            ByteRange::From(s) => format!("bytes={s}-"),
            ByteRange::Suffix(n) => format!("bytes=-{n}"),
        }
    }
}

/// What a store knows of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub key: String,
    pub size: u64,
    /// Last modification, unix seconds, when the store says.
    pub modified: Option<i64>,
}

/// A (possibly partial) object body.
pub struct GetObject {
    pub body: ByteStream,
    /// Bytes in `body`.
    pub content_length: u64,
    /// Size of the whole object.
    pub total_size: u64,
    /// The inclusive range served when a range was asked for.
    pub range: Option<(u64, u64)>,
    pub content_type: Option<String>,
}

/// Options for a signed GET URL.
#[derive(Debug, Clone)]
pub struct SignedUrlOptions {
    pub ttl: Duration,
    /// When validity starts (unix seconds); `None` means now. Pages pass a rounded time so the
    /// same object gets the same URL for a while and browsers can cache it.
    pub issued_at: Option<i64>,
    /// `Content-Type` the response must carry (the sniffed type, never the declared one).
    pub content_type: Option<String>,
    /// A download file name for `Content-Disposition: attachment`; inline when `None`.
    pub download_name: Option<String>,
}

/// Object storage behind one interface: a local folder or any S3-compatible service.
#[async_trait]
pub trait ObjectStore: Send + Sync + 'static {
    /// Short name for logs and health output (`local` or `s3`).
    fn kind(&self) -> &'static str;

    /// Stores the file at `path` under `key`, streaming it; replaces an existing object atomically.
    async fn put_file(&self, key: &StorageKey, path: &Path, content_type: &str) -> Result<(), StorageError>;

    /// Starts writing `key` from `file` while the file is still being filled, so storing
    /// overlaps receiving (see [`PendingUpload`]); `size` is the final size when the client
    /// announced it. `None`: the store has no such path, and the caller falls back to
    /// [`WholeFileUpload`].
    fn begin_upload(
        &self,
        _key: &StorageKey,
        _file: &Path,
        _content_type: &str,
        _size: Option<u64>,
    ) -> Option<Box<dyn PendingUpload>> {
        None
    }

    /// Stores a stream under `key` with bounded memory.
    async fn put_stream(
        &self,
        key: &StorageKey,
        body: ByteStream,
        content_type: &str,
    ) -> Result<u64, StorageError>;

    /// Reads an object or a byte range of it.
    async fn get(&self, key: &StorageKey, range: Option<ByteRange>) -> Result<GetObject, StorageError>;

    /// Size of an object, or `None` if it does not exist.
    async fn head(&self, key: &StorageKey) -> Result<Option<ObjectMeta>, StorageError>;

    /// Removes an object; removing a missing object succeeds.
    async fn delete(&self, key: &StorageKey) -> Result<(), StorageError>;

    /// Copies an object to another key inside the store (no bytes through the app on S3, a
    /// hard link on a local folder); `NotFound` when `from` is missing.
    async fn copy(&self, from: &StorageKey, to: &StorageKey) -> Result<(), StorageError>;

    /// Gives an object stored before the store advised browsers to keep what they fetched
    /// that advice; whether it changed anything. A local folder's answers carry it already.
    async fn advise_caching(&self, _key: &StorageKey) -> Result<bool, StorageError> {
        Ok(false)
    }

    /// Every object whose key starts with `prefix`, in key order.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StorageError>;

    /// An expiring URL a browser can GET (S3 presigned, or an app URL signed with HMAC).
    async fn signed_url(&self, key: &StorageKey, options: &SignedUrlOptions) -> Result<String, StorageError>;

    /// Cheap reachability check for readiness probes.
    async fn ping(&self) -> Result<(), StorageError>;

    /// Every part of an object assembled across requests ([`ObjectStore::put_part`]) but the
    /// last starts and ends at a multiple of this.
    fn part_alignment(&self) -> u64 {
        1
    }

    /// Starts an object that arrives in parts over many requests, perhaps to several processes
    /// (a resumable upload); nothing is visible under `key` until it is finished. Returns the
    /// assembly's id, which any process can continue with.
    async fn start_assembly(&self, key: &StorageKey, _content_type: &str) -> Result<String, StorageError> {
        Err(StorageError::Backend(format!("{} cannot assemble {key} from parts", self.kind())))
    }

    /// Writes bytes `from..from + len` of `file` as the part at offset `at` of the object
    /// (aligned, see [`ObjectStore::part_alignment`]); a part written again replaces itself.
    async fn put_part(
        &self,
        _key: &StorageKey,
        _assembly: &str,
        _at: u64,
        _file: &Path,
        _from: u64,
        _len: u64,
    ) -> Result<(), StorageError> {
        Err(StorageError::Backend("no assemblies here".into()))
    }

    /// Starts the part at `at` of `len` bytes while `file` is still being written (it will hold
    /// them from `from` on), so the part is stored as soon as its last byte arrives. `None`: the
    /// store has no such path, and the caller sends the part with `put_part` once it is whole.
    fn begin_part(
        &self,
        _key: &StorageKey,
        _assembly: &str,
        _at: u64,
        _len: u64,
        _file: (&Path, u64),
    ) -> Option<Result<Box<dyn PendingPart>, StorageError>> {
        None
    }

    /// Makes the assembled object, of exactly `size` bytes, visible under its key.
    async fn finish_assembly(
        &self,
        _key: &StorageKey,
        _assembly: &str,
        _size: u64,
    ) -> Result<(), StorageError> {
        Err(StorageError::Backend("no assemblies here".into()))
    }

    /// Gives an assembly up and frees its parts; one already gone is no error.
    async fn abort_assembly(&self, _key: &StorageKey, _assembly: &str) -> Result<(), StorageError> {
        Ok(())
    }

    /// Checks an app-signed URL (only stores whose URLs the app serves itself accept any).
    fn verify_signed(
        &self,
        _key: &str,
        _expires: i64,
        _name: Option<&str>,
        _signature: &str,
        _now: i64,
    ) -> Result<(), SignatureError> {
        Err(SignatureError::Invalid)
    }
}

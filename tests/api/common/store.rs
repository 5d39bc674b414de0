//! Fault injection for the object store. On S3 the faults are real (a proxy in front of the real
//! server goes down or slows); on the local folder a thin wrapper fails the calls it is told to
//! fail, or waits before reading.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use mediadesk::storage::{
    ByteRange, ByteStream, GetObject, ObjectMeta, ObjectStore, S3Store, SignatureError, SignedUrlOptions,
    StorageError, StorageKey,
};

use super::TestEnv;
use super::proxy::FaultProxy;

/// Switches a store between working and failing.
#[derive(Clone)]
pub enum FaultSwitch {
    Proxy(FaultProxy),
    Local(Arc<LocalFaults>),
}

/// What the local folder's wrapper is told: fail every call, or wait before each read.
#[derive(Default)]
pub struct LocalFaults {
    failing: AtomicBool,
    read_delay_ms: AtomicU64,
}

impl FaultSwitch {
    pub fn down(&self) {
        match self {
            FaultSwitch::Proxy(p) => p.down(),
            FaultSwitch::Local(f) => f.failing.store(true, Ordering::SeqCst),
        }
    }

    pub fn up(&self) {
        match self {
            FaultSwitch::Proxy(p) => p.up(),
            FaultSwitch::Local(f) => f.failing.store(false, Ordering::SeqCst),
        }
    }

    /// Lets some bytes of the next request through, then fails (the proxy cuts the connection
    /// mid-body; the local wrapper fails the write).
    pub fn cut_after(&self, bytes: i64) {
        match self {
            FaultSwitch::Proxy(p) => p.cut_after(bytes),
            FaultSwitch::Local(f) => f.failing.store(true, Ordering::SeqCst),
        }
    }

    /// Makes the store's bytes come slowly, `delay` at a time: the proxy holds each chunk (so
    /// a browser fetching from S3 waits too); the local wrapper waits before each read.
    pub fn slow(&self, delay: Duration) {
        match self {
            FaultSwitch::Proxy(p) => p.slow(delay),
            FaultSwitch::Local(f) => f.read_delay_ms.store(delay.as_millis() as u64, Ordering::SeqCst),
        }
    }

    /// Where a browser fetches the store's signed URLs from, for the page's Content-Security-Policy:
    /// the proxy (the local folder's come from the app).
    pub fn media_origin(&self) -> Option<String> {
        match self {
            FaultSwitch::Proxy(p) => Some(p.endpoint()),
            FaultSwitch::Local(_) => None,
        }
    }
}

impl TestEnv {
    /// The same storage reached through a fault switch.
    pub async fn faulty_store(&self) -> (Arc<dyn ObjectStore>, FaultSwitch) {
        match &self.s3 {
            Some((target, bucket)) => {
                let upstream =
                    target.endpoint.trim_start_matches("http://").parse().expect("endpoint is host:port");
                let proxy = FaultProxy::start(upstream).await;
                let store = S3Store::new(&target.settings(&proxy.endpoint(), bucket));
                (Arc::new(store), FaultSwitch::Proxy(proxy))
            }
            None => {
                let faults = Arc::new(LocalFaults::default());
                (
                    Arc::new(FailingStore { inner: self.store.clone(), faults: faults.clone() }),
                    FaultSwitch::Local(faults),
                )
            }
        }
    }
}

impl TestEnv {
    /// This test's store, except that writing a key that ends in `suffix` fails as an
    /// unreachable service would (one derived object of an upload, say).
    pub fn store_refusing(&self, suffix: &'static str) -> Arc<dyn ObjectStore> {
        Arc::new(RefusingStore { inner: self.store.clone(), suffix, deletes: false })
    }

    /// This test's store, except that every delete fails as an unreachable service would.
    pub fn store_refusing_deletes(&self) -> Arc<dyn ObjectStore> {
        Arc::new(RefusingStore { inner: self.store.clone(), suffix: "\0", deletes: true })
    }
}

struct RefusingStore {
    inner: Arc<dyn ObjectStore>,
    suffix: &'static str,
    deletes: bool,
}

impl RefusingStore {
    fn check(&self, key: &StorageKey) -> Result<(), StorageError> {
        if key.as_str().ends_with(self.suffix) {
            Err(StorageError::Unavailable(format!("injected fault writing {key}")))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl ObjectStore for RefusingStore {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    async fn put_file(&self, key: &StorageKey, path: &Path, ct: &str) -> Result<(), StorageError> {
        self.check(key)?;
        self.inner.put_file(key, path, ct).await
    }
    async fn put_stream(&self, key: &StorageKey, body: ByteStream, ct: &str) -> Result<u64, StorageError> {
        self.check(key)?;
        self.inner.put_stream(key, body, ct).await
    }
    async fn get(&self, key: &StorageKey, range: Option<ByteRange>) -> Result<GetObject, StorageError> {
        self.inner.get(key, range).await
    }
    async fn head(&self, key: &StorageKey) -> Result<Option<ObjectMeta>, StorageError> {
        self.inner.head(key).await
    }
    async fn delete(&self, key: &StorageKey) -> Result<(), StorageError> {
        if self.deletes {
            return Err(StorageError::Unavailable(format!("injected fault deleting {key}")));
        }
        self.inner.delete(key).await
    }
    async fn copy(&self, from: &StorageKey, to: &StorageKey) -> Result<(), StorageError> {
        self.check(to)?;
        self.inner.copy(from, to).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StorageError> {
        self.inner.list(prefix).await
    }
    async fn signed_url(&self, key: &StorageKey, o: &SignedUrlOptions) -> Result<String, StorageError> {
        self.inner.signed_url(key, o).await
    }
    fn verify_signed(
        &self,
        key: &str,
        expires: i64,
        name: Option<&str>,
        signature: &str,
        now: i64,
    ) -> Result<(), SignatureError> {
        self.inner.verify_signed(key, expires, name, signature, now)
    }
    fn part_alignment(&self) -> u64 {
        self.inner.part_alignment()
    }
    async fn start_assembly(&self, key: &StorageKey, ct: &str) -> Result<String, StorageError> {
        self.check(key)?;
        self.inner.start_assembly(key, ct).await
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
        self.check(key)?;
        self.inner.put_part(key, assembly, at, file, from, len).await
    }
    async fn finish_assembly(&self, key: &StorageKey, assembly: &str, size: u64) -> Result<(), StorageError> {
        self.check(key)?;
        self.inner.finish_assembly(key, assembly, size).await
    }
    async fn abort_assembly(&self, key: &StorageKey, assembly: &str) -> Result<(), StorageError> {
        self.inner.abort_assembly(key, assembly).await
    }
    async fn ping(&self) -> Result<(), StorageError> {
        self.inner.ping().await
    }
}

/// Wraps a store; while `failing` is set, every call fails as an unreachable service would, and
/// each read first waits the read delay set.
struct FailingStore {
    inner: Arc<dyn ObjectStore>,
    faults: Arc<LocalFaults>,
}

impl FailingStore {
    fn check(&self) -> Result<(), StorageError> {
        if self.faults.failing.load(Ordering::SeqCst) {
            Err(StorageError::Unavailable("injected fault".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl ObjectStore for FailingStore {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    async fn put_file(&self, key: &StorageKey, path: &Path, ct: &str) -> Result<(), StorageError> {
        self.check()?;
        self.inner.put_file(key, path, ct).await
    }
    async fn put_stream(&self, key: &StorageKey, body: ByteStream, ct: &str) -> Result<u64, StorageError> {
        self.check()?;
        self.inner.put_stream(key, body, ct).await
    }
    async fn get(&self, key: &StorageKey, range: Option<ByteRange>) -> Result<GetObject, StorageError> {
        self.check()?;
        tokio::time::sleep(Duration::from_millis(self.faults.read_delay_ms.load(Ordering::SeqCst))).await;
        self.inner.get(key, range).await
    }
    async fn head(&self, key: &StorageKey) -> Result<Option<ObjectMeta>, StorageError> {
        self.check()?;
        self.inner.head(key).await
    }
    async fn delete(&self, key: &StorageKey) -> Result<(), StorageError> {
        self.check()?;
        self.inner.delete(key).await
    }
    async fn copy(&self, from: &StorageKey, to: &StorageKey) -> Result<(), StorageError> {
        self.check()?;
        self.inner.copy(from, to).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StorageError> {
        self.check()?;
        self.inner.list(prefix).await
    }
    async fn signed_url(&self, key: &StorageKey, o: &SignedUrlOptions) -> Result<String, StorageError> {
        self.check()?;
        self.inner.signed_url(key, o).await
    }
    fn verify_signed(
        &self,
        key: &str,
        expires: i64,
        name: Option<&str>,
        signature: &str,
        now: i64,
    ) -> Result<(), SignatureError> {
        self.inner.verify_signed(key, expires, name, signature, now)
    }
    fn part_alignment(&self) -> u64 {
        self.inner.part_alignment()
    }
    async fn start_assembly(&self, key: &StorageKey, ct: &str) -> Result<String, StorageError> {
        self.check()?;
        self.inner.start_assembly(key, ct).await
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
        self.check()?;
        self.inner.put_part(key, assembly, at, file, from, len).await
    }
    async fn finish_assembly(&self, key: &StorageKey, assembly: &str, size: u64) -> Result<(), StorageError> {
        self.check()?;
        self.inner.finish_assembly(key, assembly, size).await
    }
    async fn abort_assembly(&self, key: &StorageKey, assembly: &str) -> Result<(), StorageError> {
        self.check()?;
        self.inner.abort_assembly(key, assembly).await
    }
    async fn ping(&self) -> Result<(), StorageError> {
        self.check()?;
        self.inner.ping().await
    }
}

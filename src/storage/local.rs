use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use futures_util::StreamExt;
use tokio::fs;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;

use super::{
    ByteRange, ByteStream, GetObject, ObjectMeta, ObjectStore, PendingUpload, SignedUrlOptions, StorageError,
    StorageKey, UrlSigner,
};

/// Temp files live inside the root so the final rename never crosses file systems.
const TMP_DIR: &str = ".tmp";
const READ_CHUNK: usize = 256 * 1024;

/// A file opened at the start of a range.
struct Opened {
    file: std::fs::File,
    /// The range's first and last byte.
    start: u64,
    end: u64,
    total_size: u64,
    /// The range's bytes, already read when they fit in one chunk.
    small: Option<Vec<u8>>,
}

fn open_range(path: &Path, range: Option<ByteRange>) -> Result<Opened, StorageError> {
    use std::io::{Read, Seek};
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(StorageError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let total_size = file.metadata()?.len();
    let (start, end) = match range {
        Some(r) => r.resolve(total_size).ok_or(StorageError::InvalidRange)?,
        None => (0, total_size.saturating_sub(1)),
    };
    let content_length = if total_size == 0 { 0 } else { end - start + 1 };
    if start > 0 {
        file.seek(SeekFrom::Start(start))?;
    }
    let small = if content_length <= READ_CHUNK as u64 {
        let mut bytes = Vec::with_capacity(content_length as usize);
        (&mut file).take(content_length).read_to_end(&mut bytes)?;
        Some(bytes)
    } else {
        None
    };
    Ok(Opened { file, start, end, total_size, small })
}

/// Objects as files under one folder. Writes go to a temp file that is renamed into place, so a
/// reader never sees half an object and a crash leaves at most a stray temp file.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
    signer: UrlSigner,
}

impl LocalStore {
    /// Creates the folder if needed.
    pub async fn open(root: impl Into<PathBuf>, signer: UrlSigner) -> Result<LocalStore, StorageError> {
        let root = root.into();
        fs::create_dir_all(root.join(TMP_DIR)).await?;
        Ok(LocalStore { root, signer })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, key: &StorageKey) -> PathBuf {
        // StorageKey guarantees plain segments: no `..`, no absolute paths, no hidden names.
        self.root.join(key.as_str())
    }

    async fn temp_file(&self) -> Result<(PathBuf, fs::File), StorageError> {
        let path = self.root.join(TMP_DIR).join(uuid::Uuid::new_v4().simple().to_string());
        let file = fs::File::create(&path).await?;
        Ok((path, file))
    }

    async fn commit(&self, tmp: &Path, key: &StorageKey) -> Result<(), StorageError> {
        let dest = self.path_of(key);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).await?;
        }
        if let Err(e) = fs::rename(tmp, &dest).await {
            let _ = fs::remove_file(tmp).await;
            return Err(e.into());
        }
        Ok(())
    }
}

#[async_trait]
impl ObjectStore for LocalStore {
    fn kind(&self) -> &'static str {
        "local"
    }

    async fn put_file(&self, key: &StorageKey, path: &Path, _content_type: &str) -> Result<(), StorageError> {
        let (tmp, file) = self.temp_file().await?;
        drop(file);
        let copied = async {
            fs::copy(path, &tmp).await?;
            fs::File::open(&tmp).await?.sync_all().await
        }
        .await;
        if let Err(e) = copied {
            let _ = fs::remove_file(&tmp).await;
            return Err(e.into());
        }
        self.commit(&tmp, key).await
    }

    fn begin_upload(
        &self,
        key: &StorageKey,
        file: &Path,
        _content_type: &str,
        _size: Option<u64>,
    ) -> Option<Box<dyn PendingUpload>> {
        Some(Box::new(LocalUpload {
            store: self.clone(),
            key: key.clone(),
            file: file.to_path_buf(),
            tmp: None,
        }))
    }

    async fn put_stream(
        &self,
        key: &StorageKey,
        mut body: ByteStream,
        _content_type: &str,
    ) -> Result<u64, StorageError> {
        let (tmp, mut file) = self.temp_file().await?;
        let written = async {
            let mut n = 0u64;
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                n += chunk.len() as u64;
                file.write_all(&chunk).await?;
            }
            file.sync_all().await?;
            Ok::<_, std::io::Error>(n)
        }
        .await;
        drop(file);
        match written {
            Ok(n) => {
                self.commit(&tmp, key).await?;
                Ok(n)
            }
            Err(e) => {
                let _ = fs::remove_file(&tmp).await;
                Err(e.into())
            }
        }
    }

    async fn get(&self, key: &StorageKey, range: Option<ByteRange>) -> Result<GetObject, StorageError> {
        // Open, size, seek and (for a small object: a thumbnail, a rendition's first bytes) read
        // in one trip to the blocking pool rather than one per step.
        let path = self.path_of(key);
        let opened = tokio::task::spawn_blocking(move || open_range(&path, range))
            .await
            .map_err(|e| StorageError::Io(std::io::Error::other(e)))??;
        let Opened { file, start, end, total_size, small } = opened;
        let content_length = if total_size == 0 { 0 } else { end - start + 1 };
        let body: ByteStream = match small {
            Some(bytes) => super::body_of(bytes),
            None => Box::pin(ReaderStream::with_capacity(
                fs::File::from_std(file).take(content_length),
                READ_CHUNK,
            )),
        };
        Ok(GetObject {
            body,
            content_length,
            total_size,
            range: range.map(|_| (start, end)),
            content_type: None,
        })
    }

    async fn head(&self, key: &StorageKey) -> Result<Option<ObjectMeta>, StorageError> {
        match fs::metadata(self.path_of(key)).await {
            Ok(m) if m.is_file() => {
                Ok(Some(ObjectMeta { key: key.as_str().to_owned(), size: m.len(), modified: mtime(&m) }))
            }
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(&self, key: &StorageKey) -> Result<(), StorageError> {
        match fs::remove_file(self.path_of(key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn copy(&self, from: &StorageKey, to: &StorageKey) -> Result<(), StorageError> {
        let (tmp, file) = self.temp_file().await?;
        drop(file);
        let _ = fs::remove_file(&tmp).await;
        // Objects are never written in place (see `commit`), so a second name for the same
        // bytes is a copy that costs nothing, whatever the size.
        match fs::hard_link(self.path_of(from), &tmp).await {
            Ok(()) => self.commit(&tmp, to).await,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StorageError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StorageError> {
        let mut out = Vec::new();
        let mut dirs = vec![self.root.clone()];
        while let Some(dir) = dirs.pop() {
            let mut entries = fs::read_dir(&dir).await?;
            while let Some(entry) = entries.next_entry().await? {
                let name = entry.file_name();
                if name.to_string_lossy().starts_with('.') {
                    continue; // temp files and anything hidden are not objects
                }
                let meta = entry.metadata().await?;
                if meta.is_dir() {
                    dirs.push(entry.path());
                    continue;
                }
                let Ok(rel) =
                    entry.path().strip_prefix(&self.root).map(|p| p.to_string_lossy().replace('\\', "/"))
                else {
                    continue;
                };
                if rel.starts_with(prefix) {
                    out.push(ObjectMeta { key: rel, size: meta.len(), modified: mtime(&meta) });
                }
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn signed_url(&self, key: &StorageKey, options: &SignedUrlOptions) -> Result<String, StorageError> {
        Ok(self.signer.url_for(key, options))
    }

    fn verify_signed(
        &self,
        key: &str,
        expires: i64,
        name: Option<&str>,
        signature: &str,
        now: i64,
    ) -> Result<(), super::SignatureError> {
        self.signer.verify(key, expires, name, signature, now)
    }

    async fn start_assembly(&self, _key: &StorageKey, _content_type: &str) -> Result<String, StorageError> {
        super::assembly::start(&self.root).await
    }

    async fn put_part(
        &self,
        _key: &StorageKey,
        assembly: &str,
        at: u64,
        file: &Path,
        from: u64,
        len: u64,
    ) -> Result<(), StorageError> {
        super::assembly::put(&self.root, assembly, at, file, from, len).await
    }

    async fn finish_assembly(&self, key: &StorageKey, assembly: &str, size: u64) -> Result<(), StorageError> {
        let path = super::assembly::seal(&self.root, assembly, size).await?;
        let dest = self.path_of(key);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).await?;
        }
        fs::rename(&path, &dest).await?;
        Ok(())
    }

    async fn abort_assembly(&self, _key: &StorageKey, assembly: &str) -> Result<(), StorageError> {
        super::assembly::abort(&self.root, assembly).await
    }

    async fn ping(&self) -> Result<(), StorageError> {
        let meta = fs::metadata(&self.root).await?;
        if !meta.is_dir() {
            return Err(StorageError::Unavailable(format!("{} is not a folder", self.root.display())));
        }
        Ok(())
    }
}

/// `seal` copies the finished file into the store's temp folder (and syncs it) while the upload
/// is being checked; `commit` renames it into place.
struct LocalUpload {
    store: LocalStore,
    key: StorageKey,
    file: PathBuf,
    /// The sealed copy, until it is committed or removed.
    tmp: Option<PathBuf>,
}

#[async_trait]
impl PendingUpload for LocalUpload {
    fn grown(&mut self, _len: u64) {}

    async fn seal(&mut self, _len: u64) -> Result<(), StorageError> {
        let (tmp, file) = self.store.temp_file().await?;
        drop(file);
        self.tmp = Some(tmp.clone());
        fs::copy(&self.file, &tmp).await?;
        fs::File::open(&tmp).await?.sync_all().await?;
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<(), StorageError> {
        let tmp =
            self.tmp.take().ok_or_else(|| StorageError::Backend("committed before it was sealed".into()))?;
        self.store.commit(&tmp, &self.key).await
    }

    async fn abort(mut self: Box<Self>) {
        if let Some(tmp) = self.tmp.take() {
            let _ = fs::remove_file(tmp).await;
        }
    }
}

impl Drop for LocalUpload {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

fn mtime(meta: &std::fs::Metadata) -> Option<i64> {
    let t = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(t.as_secs()).ok()
}

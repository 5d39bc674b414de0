//! Streams an upload to a temp file while hashing and counting it, so memory stays bounded
//! whatever the file size and the limit is enforced before the whole body has arrived.

use std::path::Path;

use bytes::BytesMut;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;

use super::MediaError;
use crate::domain::human_size;
use crate::storage::ByteStream;

/// A fully received upload on disk; the file is removed when this is dropped.
pub struct Spooled {
    pub path: TempPath,
    pub size: u64,
    pub sha256: String,
}

const PREFIX: &str = "upload-";

/// Bytes gathered before each write to the spool file (and each progress report): network
/// chunks are small, and every write is a trip to the blocking pool.
const WRITE_BATCH: usize = 256 * 1024;

/// Writes `body` to a new file in `dir`, at most `limit` bytes, hashing it on the way. After
/// every batch written (a quarter megabyte) it calls `progress` with the file and its length,
/// so work can start on the part already received; an error from `progress` stops the upload.
pub async fn spool_with(
    mut body: ByteStream,
    dir: &Path,
    limit: u64,
    mut progress: impl FnMut(&Path, u64) -> Result<(), MediaError>,
) -> Result<Spooled, MediaError> {
    tokio::fs::create_dir_all(dir).await?;
    let (file, path) = tempfile::Builder::new().prefix(PREFIX).tempfile_in(dir)?.into_parts();
    let mut file = tokio::fs::File::from_std(file);
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut batch = BytesMut::with_capacity(WRITE_BATCH);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| MediaError::Invalid(format!("the upload was interrupted: {e}")))?;
        size += chunk.len() as u64;
        if size > limit {
            // Stop reading at limit + 1: the rest of a huge body is never written anywhere.
            return Err(too_large(limit));
        }
        hasher.update(&chunk);
        batch.extend_from_slice(&chunk);
        if batch.len() >= WRITE_BATCH {
            file.write_all(&batch).await?;
            // Only flushed bytes are in the file for another reader to see.
            file.flush().await?;
            batch.clear();
            progress(&path, size)?;
        }
    }
    file.write_all(&batch).await?;
    file.flush().await?;
    drop(file);
    if size == 0 {
        return Err(MediaError::Empty("the file is empty".into()));
    }
    Ok(Spooled { path, size, sha256: hex::encode(hasher.finalize()) })
}

/// Removes upload spool files in `dir` not written to for `max_age`; returns how many.
pub async fn sweep_stale(dir: &Path, max_age: std::time::Duration) -> std::io::Result<usize> {
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    while let Some(entry) = entries.next_entry().await? {
        let name = entry.file_name();
        let is_spool = [PREFIX, super::pieces::PREFIX].iter().any(|p| name.to_string_lossy().starts_with(p));
        let meta = entry.metadata().await?;
        let idle = meta.modified()?.elapsed().unwrap_or_default();
        if is_spool && meta.is_file() && idle >= max_age {
            tokio::fs::remove_file(entry.path()).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

pub fn too_large(limit: u64) -> MediaError {
    MediaError::TooLarge(format!("the file is larger than the {} limit", human_size(limit)))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;

    #[tokio::test]
    async fn sweeping_removes_only_idle_spool_files() {
        let dir = tempfile::tempdir().unwrap();
        let touch = |name: &str, age: Duration| {
            let f = std::fs::File::create(dir.path().join(name)).unwrap();
            f.set_modified(SystemTime::now() - age).unwrap();
        };
        touch("upload-crashed", Duration::from_secs(7200));
        touch("tus-copy-of-a-crashed-process", Duration::from_secs(7200));
        touch("upload-in-progress", Duration::from_secs(5));
        touch("someone-elses-file", Duration::from_secs(7200));
        let removed = sweep_stale(dir.path(), Duration::from_secs(3600)).await.unwrap();
        assert_eq!(removed, 2);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["someone-elses-file", "upload-in-progress"]);
        assert_eq!(sweep_stale(&dir.path().join("missing"), Duration::ZERO).await.unwrap(), 0);
    }
}

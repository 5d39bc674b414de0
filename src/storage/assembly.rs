//! Objects put together from parts that arrive over many requests (resumable uploads), for the
//! local folder: an assembly is one hidden file that parts are written into at their offsets,
//! renamed into place when finished. (S3 has multipart uploads for the same: `s3/mod.rs`.)

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::StorageError;

/// Hidden, so listing the store never shows an assembly as an object.
const ASSEMBLY_DIR: &str = ".assembly";

/// An assembly's file; ids are ours (hex), anything else is refused rather than joined to a path.
pub(super) fn path_of(root: &Path, id: &str) -> Result<PathBuf, StorageError> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(StorageError::Backend(format!("{id:?} is not an assembly id")));
    }
    Ok(root.join(ASSEMBLY_DIR).join(id))
}

pub(super) async fn start(root: &Path) -> Result<String, StorageError> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let path = path_of(root, &id)?;
    tokio::fs::create_dir_all(root.join(ASSEMBLY_DIR)).await?;
    tokio::fs::File::create(&path).await?;
    Ok(id)
}

/// Copies `len` bytes of `file` from `from` into the assembly at `at`, on the blocking pool.
pub(super) async fn put(
    root: &Path,
    id: &str,
    at: u64,
    file: &Path,
    from: u64,
    len: u64,
) -> Result<(), StorageError> {
    let (target, source) = (path_of(root, id)?, file.to_path_buf());
    let copy = move || -> std::io::Result<u64> {
        let mut out = std::fs::OpenOptions::new().write(true).open(&target)?;
        let mut src = std::fs::File::open(&source)?;
        src.seek(SeekFrom::Start(from))?;
        out.seek(SeekFrom::Start(at))?;
        let copied = std::io::copy(&mut src.take(len), &mut out)?;
        out.flush()?;
        Ok(copied)
    };
    let copied = tokio::task::spawn_blocking(copy)
        .await
        .map_err(|e| StorageError::Backend(format!("part copy failed: {e}")))?
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StorageError::NotFound,
            _ => e.into(),
        })?;
    if copied != len {
        return Err(StorageError::Backend(format!("a part of {len} bytes had only {copied}")));
    }
    Ok(())
}

/// Syncs the assembly and checks its size; the caller renames it into place.
pub(super) async fn seal(root: &Path, id: &str, size: u64) -> Result<PathBuf, StorageError> {
    let path = path_of(root, id)?;
    let file = match tokio::fs::OpenOptions::new().write(true).open(&path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(StorageError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let held = file.metadata().await?.len();
    if held != size {
        return Err(StorageError::Backend(format!("the assembly holds {held} bytes, not {size}")));
    }
    file.sync_all().await?;
    Ok(path)
}

pub(super) async fn abort(root: &Path, id: &str) -> Result<(), StorageError> {
    match tokio::fs::remove_file(path_of(root, id)?).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

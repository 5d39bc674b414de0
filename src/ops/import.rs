//! `mediadesk import DIR`: uploads every file of a folder (recursively) through the service;
//! `mediadesk import --links FILE`: adds the file of every link listed (a library moving from
//! another system, whose media are at their old addresses).

use std::path::{Path, PathBuf};

use crate::domain::Owner;
use crate::media::{Actor, ByteStream, MediaService, Upload};

/// What an import did, file by file (or link by link).
#[derive(Debug)]
pub struct ImportSummary<T> {
    pub imported: Vec<T>,
    /// The file or link and the reason it was refused.
    pub refused: Vec<(T, String)>,
}

impl<T> Default for ImportSummary<T> {
    fn default() -> Self {
        ImportSummary { imported: Vec::new(), refused: Vec::new() }
    }
}

impl<T> ImportSummary<T> {
    fn record<V>(&mut self, item: T, result: Result<V, String>) {
        match result {
            Ok(_) => self.imported.push(item),
            Err(reason) => self.refused.push((item, reason)),
        }
    }
}

/// The links a list names: a link a line; blank lines and lines starting with `#` are skipped.
pub fn links_in(list: &str) -> Vec<String> {
    list.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect()
}

/// Adds the file of each of `links` for `owner`, as link imports do (the same rule on what a
/// link may reach), calling `progress` after each one.
pub async fn import_links(
    media: &MediaService,
    links: &[String],
    owner: Owner,
    mut progress: impl FnMut(&str, bool),
) -> ImportSummary<String> {
    let mut summary = ImportSummary::default();
    for link in links {
        let result = media.add_from_link(&Actor::operator(), Upload::new(owner, ""), link).await;
        progress(link, result.is_ok());
        summary.record(link.clone(), result.map_err(|e| e.to_string()));
    }
    media.settle(SETTLE).await;
    summary
}

/// Every regular, non-hidden file under `dir`, sorted, so runs are repeatable.
pub fn files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

async fn file_stream(path: &Path) -> std::io::Result<ByteStream> {
    let file = tokio::fs::File::open(path).await?;
    Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024)))
}

/// Imports `files` for `owner`, calling `progress` after each one.
pub async fn import_files(
    media: &MediaService,
    files: &[PathBuf],
    owner: Owner,
    mut progress: impl FnMut(&Path, bool),
) -> ImportSummary<PathBuf> {
    let mut summary = ImportSummary::default();
    for path in files {
        let filename = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let result = match file_stream(path).await {
            Ok(body) => media
                .upload(&Actor::operator(), Upload::new(owner, filename), body)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(format!("cannot read it: {e}")),
        };
        progress(path, result.is_ok());
        summary.record(path.clone(), result);
    }
    // Display renditions follow their uploads; the command ends when they are stored.
    media.settle(SETTLE).await;
    summary
}

/// How long a command waits for display renditions still being made.
pub const SETTLE: std::time::Duration = std::time::Duration::from_secs(120);

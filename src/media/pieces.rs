//! One piece of a resumable upload, received. Its bytes go to a file on disk (after the bytes the
//! store has not taken yet, so parts always start where the store needs them) and from there to
//! the store, part by part, while the rest arrives. What this process keeps between pieces is
//! only a cache: a copy of an upload it has received from the first byte, with its running
//! hash, so the last piece is checked without reading the object back from the store.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::MediaError;
use crate::storage::{ByteStream, ObjectStore, PendingPart, StorageError, StorageKey};

/// Bytes gathered before each write to disk, as in the spool.
const WRITE_BATCH: usize = 256 * 1024;
/// Parts sent to a store that takes any size (the local folder) while a piece arrives.
const LOOSE_PART: u64 = 8 * 1024 * 1024;
pub(super) const PREFIX: &str = "tus-";

/// What a process remembers of the uploads it takes pieces of.
#[derive(Default)]
pub struct Pieces {
    slots: Mutex<HashMap<String, Slot>>,
}

#[derive(Default)]
struct Slot {
    /// A request of this process is writing to the upload now.
    busy: bool,
    copy: Option<LocalCopy>,
}

/// The first `len` bytes of an upload, on disk, and their hash so far.
pub struct LocalCopy {
    pub path: TempPath,
    pub len: u64,
    pub hasher: Sha256,
    kept: Instant,
}

/// The right to write to one upload, held for one request.
pub struct Claim {
    pieces: Arc<Pieces>,
    id: String,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut slots = self.pieces.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = slots.get_mut(&self.id) {
            slot.busy = false;
            if slot.copy.is_none() {
                slots.remove(&self.id);
            }
        }
    }
}

impl Pieces {
    /// `None` when another request of this process is writing to the upload.
    pub fn claim(self: &Arc<Self>, id: &str) -> Option<Claim> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let slot = slots.entry(id.to_owned()).or_default();
        if slot.busy {
            return None;
        }
        slot.busy = true;
        Some(Claim { pieces: self.clone(), id: id.to_owned() })
    }

    /// The copy of the upload's first `offset` bytes, if this process has exactly that; a copy
    /// of another length is stale (another process took a piece) and is dropped.
    pub fn take_copy(&self, id: &str, offset: u64) -> Option<LocalCopy> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let copy = slots.get_mut(id)?.copy.take()?;
        (copy.len == offset).then_some(copy)
    }

    pub fn keep_copy(&self, id: &str, copy: LocalCopy) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.entry(id.to_owned()).or_default().copy = Some(copy);
    }

    /// Drops the copies of uploads that got no piece for `age` (another process may have
    /// finished or expired them).
    pub fn forget_idle(&self, age: Duration) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.retain(|_, slot| slot.busy || slot.copy.as_ref().is_some_and(|c| c.kept.elapsed() < age));
    }

    pub fn forget(&self, id: &str) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = slots.get_mut(id) {
            slot.copy = None;
        }
    }
}

/// The file a piece is written to: from `start` (where the store's parts left off) on.
pub struct Window {
    pub path: TempPath,
    pub start: u64,
    pub len: u64,
    /// Hash of the whole upload so far, when the window starts at its first byte.
    pub whole: Option<Sha256>,
}

impl Window {
    /// Continues the local copy, or starts a file with the bytes the store has not taken yet.
    pub async fn open(
        spool: &Path,
        copy: Option<LocalCopy>,
        offset: u64,
        held: &[u8],
    ) -> Result<Window, MediaError> {
        if let Some(c) = copy {
            return Ok(Window { path: c.path, start: 0, len: c.len, whole: Some(c.hasher) });
        }
        tokio::fs::create_dir_all(spool).await?;
        let (file, path) = tempfile::Builder::new().prefix(PREFIX).tempfile_in(spool)?.into_parts();
        let mut file = tokio::fs::File::from_std(file);
        file.write_all(held).await?;
        file.flush().await?;
        let start = offset - held.len() as u64;
        let whole = (start == 0).then(|| Sha256::new_with_prefix(held));
        Ok(Window { path, start, len: held.len() as u64, whole })
    }

    pub fn end(&self) -> u64 {
        self.start + self.len
    }

    /// Bytes `from..self.end()` (fewer than one part), read back to be held in the database.
    pub async fn bytes_from(&self, from: u64) -> Result<Vec<u8>, MediaError> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        let mut file = tokio::fs::File::open(&self.path).await?;
        file.seek(std::io::SeekFrom::Start(from - self.start)).await?;
        let mut out = Vec::with_capacity((self.end() - from) as usize);
        file.take(self.end() - from).read_to_end(&mut out).await?;
        Ok(out)
    }

    /// The copy this window is, when it holds the upload from its first byte.
    pub fn into_copy(self) -> Option<LocalCopy> {
        let Window { path, start, len, whole } = self;
        (start == 0).then_some(()).and(whole).map(|hasher| LocalCopy {
            path,
            len,
            hasher,
            kept: Instant::now(),
        })
    }
}

/// A piece of a resumable upload as its request announces it.
#[derive(Debug, Clone, Default)]
pub struct Piece {
    /// Where it starts (`Upload-Offset`).
    pub offset: u64,
    /// Its size, when the request said (`Content-Length`).
    pub len: Option<u64>,
    pub checksum: Option<PieceChecksum>,
}

/// A checksum the client sent for one piece (`Upload-Checksum`).
#[derive(Debug, Clone)]
pub enum PieceChecksum {
    Sha1(Vec<u8>),
    Sha256(Vec<u8>),
}

enum Running {
    Sha1(sha1::Sha1),
    Sha256(Sha256),
}

impl PieceChecksum {
    fn start(&self) -> Running {
        match self {
            PieceChecksum::Sha1(_) => Running::Sha1(sha1::Sha1::new()),
            PieceChecksum::Sha256(_) => Running::Sha256(Sha256::new()),
        }
    }

    fn matches(&self, running: Running) -> bool {
        match (self, running) {
            (PieceChecksum::Sha1(want), Running::Sha1(h)) => h.finalize().as_slice() == want.as_slice(),
            (PieceChecksum::Sha256(want), Running::Sha256(h)) => h.finalize().as_slice() == want.as_slice(),
            _ => false,
        }
    }
}

impl Running {
    fn update(&mut self, bytes: &[u8]) {
        match self {
            Running::Sha1(h) => h.update(bytes),
            Running::Sha256(h) => h.update(bytes),
        }
    }
}

/// How a piece's body ended.
pub enum Arrival {
    /// All of it, and its checksum (if any) matched.
    Complete,
    /// The connection broke after this window's end; what arrived is kept.
    Cut(String),
}

/// Appends the body to the window, at most `room` bytes, calling `progress` after each batch
/// written (an error from it stops the piece). A checksum mismatch is an error; so is a body
/// longer than `room`.
pub async fn receive(
    window: &mut Window,
    mut body: ByteStream,
    room: u64,
    checksum: Option<&PieceChecksum>,
    mut progress: impl AsyncFnMut(&Window) -> Result<(), MediaError>,
) -> Result<Arrival, MediaError> {
    let mut file = tokio::fs::OpenOptions::new().append(true).open(&window.path).await?;
    let mut running = checksum.map(PieceChecksum::start);
    let mut batch = BytesMut::with_capacity(WRITE_BATCH);
    let mut arrived = 0u64;
    let mut cut = None;
    loop {
        let next = body.next().await;
        let done = match &next {
            None => true,
            Some(Err(e)) => {
                cut = Some(e.to_string());
                true
            }
            Some(Ok(chunk)) => {
                arrived += chunk.len() as u64;
                if arrived > room {
                    return Err(MediaError::Invalid(format!(
                        "this piece runs past the length the upload announced ({room} bytes were left)"
                    )));
                }
                batch.extend_from_slice(chunk);
                false
            }
        };
        if batch.len() >= WRITE_BATCH || (done && !batch.is_empty()) {
            file.write_all(&batch).await?;
            file.flush().await?;
            if let Some(h) = &mut window.whole {
                h.update(&batch);
            }
            if let Some(r) = &mut running {
                r.update(&batch);
            }
            window.len += batch.len() as u64;
            batch.clear();
            progress(window).await?;
        }
        if done {
            break;
        }
    }
    if let Some(reason) = cut {
        return Ok(Arrival::Cut(reason));
    }
    if let (Some(want), Some(running)) = (checksum, running)
        && !want.matches(running)
    {
        return Err(MediaError::ChecksumMismatch);
    }
    Ok(Arrival::Complete)
}

/// The parts of one piece, sent in order; returns where the store's parts end.
async fn send_parts(
    store: Arc<dyn ObjectStore>,
    (key, assembly): (StorageKey, String),
    (file, start): (PathBuf, u64),
    mut sent: u64,
    bounds: Bounds,
    mut rx: mpsc::UnboundedReceiver<Feed>,
) -> Result<u64, StorageError> {
    let align = store.part_alignment();
    let step = if align > 1 { align } else { LOOSE_PART };
    // A part can stream when the piece is announced to fill it: a whole part, or the last one.
    let streamable = |at: u64| {
        let len = step.min(bounds.length - at);
        let whole = len == step || at + len == bounds.length;
        (len > 0 && whole && bounds.announced_end.is_some_and(|end| at + len <= end)).then_some(len)
    };
    let mut flying: VecDeque<(u64, Box<dyn PendingPart>)> = VecDeque::new();
    let mut next = sent;
    while let Some(feed) = rx.recv().await {
        let (end, seal) = match feed {
            Feed::Grown(end) => (end, None),
            Feed::Seal { end, last } => (end, Some(last)),
        };
        while seal.is_none() && next < end {
            let Some(len) = streamable(next) else { break };
            match store.begin_part(&key, &assembly, next, len, (&file, next - start)) {
                Some(part) => flying.push_back((next + len, part?)),
                None => break,
            }
            next += len;
        }
        for (_, part) in flying.iter_mut() {
            part.grown(end - start);
        }
        while flying.front().is_some_and(|(part_end, _)| end >= *part_end) {
            if let Some((part_end, part)) = flying.pop_front() {
                part.finish().await?;
                sent = part_end;
            }
        }
        if seal.is_some() {
            flying.clear(); // parts the piece did not fill store nothing
            next = sent;
        }
        if flying.is_empty() && next == sent {
            let limit = match seal {
                None => end - (end - sent) % step,
                Some(true) => end,
                Some(false) => end - end % align,
            };
            while sent < limit {
                let len = step.min(limit - sent);
                store.put_part(&key, &assembly, sent, &file, sent - start, len).await?;
                sent += len;
            }
            next = sent;
        }
        if seal.is_some() {
            return Ok(sent);
        }
    }
    Err(StorageError::Backend("the piece was abandoned".into()))
}

enum Feed {
    Grown(u64),
    /// Everything up to here that makes whole parts; all of it when it is the last piece.
    Seal {
        end: u64,
        last: bool,
    },
}

/// Sends a window's bytes to the store's assembly as parts while the window grows.
pub struct PartSender {
    feed: mpsc::UnboundedSender<Feed>,
    task: JoinHandle<Result<u64, StorageError>>,
}

/// Where a piece is going: the end its `Content-Length` announced (when it did) and the
/// upload's length.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub announced_end: Option<u64>,
    pub length: u64,
}

impl PartSender {
    /// Parts go from `sent` (where the store's parts end, aligned) on. A part the piece is
    /// announced to fill is streamed to the store as its bytes arrive (where the store can), so
    /// a piece is stored moments after its last byte; any other goes up once it is whole.
    pub fn start(
        store: Arc<dyn ObjectStore>,
        (key, assembly): (StorageKey, String),
        window: (PathBuf, u64),
        sent: u64,
        bounds: Bounds,
    ) -> PartSender {
        let (feed, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(send_parts(store, (key, assembly), window, sent, bounds, rx));
        PartSender { feed, task }
    }

    pub fn grown(&self, end: u64) {
        // A task that stopped has an error for `seal` to report.
        let _ = self.feed.send(Feed::Grown(end));
    }

    /// Sends what is left to send; returns where the store's parts now end.
    pub async fn seal(self, end: u64, last: bool) -> Result<u64, StorageError> {
        let _ = self.feed.send(Feed::Seal { end, last });
        self.task.await.map_err(|e| StorageError::Backend(format!("part task failed: {e}")))?
    }
}

//! ZIP downloads of a selection, streamed as they are built: each file goes from the store
//! into the response as it arrives, so no temporary file is written and memory stays at a few
//! buffers whatever the selection weighs. Entries are STORED (images and audio are compressed
//! already); sizes and CRC follow each file in a data descriptor, ZIP64 records are written for
//! a file of 4 GiB or more and for an archive that passes 4 GiB or 65 535 entries. Names are
//! the items' file names made safe (no folders, no control characters) and unique. What each
//! file is follows the privacy policy, as a download by the same person would.
//!
//! The archive is written by a task into a channel of a few chunks; a client that goes away
//! closes the channel, the task stops at its next chunk, and nothing is left anywhere.

use std::collections::HashSet;

use bytes::{BufMut, Bytes, BytesMut};
use chrono::{Datelike, NaiveDateTime, Timelike};
use futures_util::StreamExt;

use super::MediaError;
use super::access::Actor;
use super::file::MediaType;
use super::service::MediaService;
use crate::domain::{GalleryQuery, GallerySort, MediaKind, OwnerFilter};
use crate::storage::{ByteStream, StorageKey};

/// Items one archive may hold.
pub const MAX_ZIP_ITEMS: usize = 10_000;
/// Chunks buffered between the writer and the response.
const CHANNEL_CHUNKS: usize = 4;
const U32_MAX: u64 = 0xFFFF_FFFF;

/// One file of an archive.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    key: StorageKey,
    modified: NaiveDateTime,
}

/// An archive to stream: its entries, in order.
#[derive(Debug, Clone)]
pub struct ZipPlan {
    entries: Vec<Entry>,
}

impl ZipPlan {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A name fit for any unzip: no folders, no control characters, not empty.
fn safe_name(name: &str) -> String {
    let cleaned: String =
        name.chars().map(|c| if c.is_control() || matches!(c, '/' | '\\' | ':') { '_' } else { c }).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() { "file".to_owned() } else { cleaned }
}

/// `name`, or `name (2).ext`, … whichever is not taken yet (ignoring case).
fn unique(name: String, taken: &mut HashSet<String>) -> String {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_owned(), format!(".{e}")),
        _ => (name.clone(), String::new()),
    };
    let mut candidate = name;
    let mut n = 2;
    while !taken.insert(candidate.to_lowercase()) {
        candidate = format!("{stem} ({n}){ext}");
        n += 1;
    }
    candidate
}

impl MediaService {
    /// The archive of the items the actor picked; an item they cannot see is `NotFound`.
    pub async fn zip_plan(&self, actor: &Actor, items: &[(MediaKind, i64)]) -> Result<ZipPlan, MediaError> {
        if items.len() > MAX_ZIP_ITEMS {
            return Err(MediaError::Invalid(format!("a ZIP holds at most {MAX_ZIP_ITEMS} items")));
        }
        let mut taken = HashSet::new();
        let mut entries = Vec::with_capacity(items.len());
        let found = self.items(items).await?;
        for key in items {
            let item = found.get(key).ok_or(MediaError::NotFound)?;
            actor.check_view(item.media.owner_id())?;
            let key = StorageKey::parse(self.outgoing_key(Some(actor), item))?;
            let name = match MediaType::from_mime(item.media.content_type()) {
                Some(t) => super::filename::download_name(item.media.filename(), t),
                None => item.media.filename().to_owned(),
            };
            let modified = match &item.media {
                super::MediaRead::Image(i) => i.created_at,
                super::MediaRead::Audio(a) => a.updated_at,
            };
            entries.push(Entry { name: unique(safe_name(&name), &mut taken), key, modified });
        }
        Ok(ZipPlan { entries })
    }

    /// The archive of a whole collection the actor may see, its items by name.
    pub async fn zip_collection(&self, actor: &Actor, collection: i64) -> Result<ZipPlan, MediaError> {
        let owner = match actor.user_id {
            Some(id) if !actor.is_staff => OwnerFilter::Visible(id),
            _ => OwnerFilter::Any,
        };
        let mut query = GalleryQuery::new(owner);
        query.collection = Some(collection);
        query.sort = GallerySort::Name;
        self.zip_view(actor, &query, MAX_ZIP_ITEMS).await
    }

    /// The archive of every item of a gallery view (its filters and order, not its position),
    /// as the view lists them; more than `limit` is refused before anything is sent (the pages
    /// pass [`MAX_ZIP_ITEMS`]).
    pub async fn zip_view(
        &self,
        actor: &Actor,
        query: &GalleryQuery,
        limit: usize,
    ) -> Result<ZipPlan, MediaError> {
        let mut items = Vec::new();
        self.walk_view(actor, query, |row| {
            if items.len() == limit {
                return Err(MediaError::Invalid(format!(
                    "a ZIP holds at most {limit} items; narrow the view with a search or filter"
                )));
            }
            items.push((row.kind, row.id));
            Ok(())
        })
        .await?;
        self.zip_plan(actor, &items).await
    }

    /// The archive's bytes, produced as they are sent.
    pub fn zip_stream(&self, plan: ZipPlan) -> ByteStream {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(CHANNEL_CHUNKS);
        let store = self.store.clone();
        tokio::spawn(async move {
            if let Err(e) = write_zip(store.as_ref(), plan, &tx).await {
                // The client learns of it by the archive ending early (it cannot be re-sent).
                let _ = tx.send(Err(std::io::Error::other(e))).await;
            }
        });
        Box::pin(futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) }))
    }
}

type Sender = tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>;

/// A closed channel: the client went away.
struct Gone;

async fn send(tx: &Sender, bytes: Bytes) -> Result<(), Gone> {
    tx.send(Ok(bytes)).await.map_err(|_| Gone)
}

/// What the central directory needs of a written entry.
struct Written {
    name: String,
    crc: u32,
    size: u64,
    offset: u64,
    zip64: bool,
    time: u16,
    date: u16,
}

fn dos_time(t: NaiveDateTime) -> (u16, u16) {
    let year = t.year().clamp(1980, 2107) as u16;
    let date = ((year - 1980) << 9) | ((t.month() as u16) << 5) | t.day() as u16;
    let time = ((t.hour() as u16) << 11) | ((t.minute() as u16) << 5) | (t.second() as u16 / 2);
    (time, date)
}

async fn write_zip(
    store: &dyn crate::storage::ObjectStore,
    plan: ZipPlan,
    tx: &Sender,
) -> Result<(), String> {
    let mut offset = 0u64;
    let mut written = Vec::with_capacity(plan.entries.len());
    for entry in plan.entries {
        let object = store.get(&entry.key, None).await.map_err(|e| format!("{}: {e}", entry.name))?;
        let size = object.content_length;
        let zip64 = size >= U32_MAX;
        let (time, date) = dos_time(entry.modified);
        let name = entry.name.into_bytes();
        let mut head = BytesMut::with_capacity(30 + name.len() + 20);
        head.put_u32_le(0x0403_4b50);
        head.put_u16_le(if zip64 { 45 } else { 20 });
        head.put_u16_le(0x0808); // sizes in a data descriptor; UTF-8 names
        head.put_u16_le(0); // stored
        head.put_u16_le(time);
        head.put_u16_le(date);
        head.put_u32_le(0);
        head.put_u32_le(if zip64 { U32_MAX as u32 } else { 0 });
        head.put_u32_le(if zip64 { U32_MAX as u32 } else { 0 });
        head.put_u16_le(name.len() as u16);
        head.put_u16_le(if zip64 { 20 } else { 0 });
        head.put_slice(&name);
        if zip64 {
            head.put_u16_le(0x0001);
            head.put_u16_le(16);
            head.put_u64_le(0);
            head.put_u64_le(0);
        }
        let head_len = head.len() as u64;
        if send(tx, head.freeze()).await.is_err() {
            return Ok(());
        }
        let mut crc = crc32fast::Hasher::new();
        let mut sent = 0u64;
        let mut body = object.body;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| format!("{}: {e}", String::from_utf8_lossy(&name)))?;
            crc.update(&chunk);
            sent += chunk.len() as u64;
            if send(tx, chunk).await.is_err() {
                return Ok(());
            }
        }
        if sent != size {
            return Err(format!("{}: the store sent {sent} of {size} bytes", String::from_utf8_lossy(&name)));
        }
        let crc = crc.finalize();
        let mut tail = BytesMut::with_capacity(24);
        tail.put_u32_le(0x0807_4b50);
        tail.put_u32_le(crc);
        if zip64 {
            tail.put_u64_le(sent);
            tail.put_u64_le(sent);
        } else {
            tail.put_u32_le(sent as u32);
            tail.put_u32_le(sent as u32);
        }
        let tail_len = tail.len() as u64;
        if send(tx, tail.freeze()).await.is_err() {
            return Ok(());
        }
        let name = String::from_utf8(name).unwrap_or_default();
        written.push(Written { name, crc, size: sent, offset, zip64, time, date });
        offset += head_len + sent + tail_len;
    }
    let directory = central_directory(&written, offset);
    let _ = send(tx, directory).await;
    Ok(())
}

/// The central directory and its end records, for entries written before `at`.
fn central_directory(entries: &[Written], at: u64) -> Bytes {
    let mut out = BytesMut::new();
    for e in entries {
        let big_size = e.zip64 || e.size >= U32_MAX;
        let big_offset = e.offset >= U32_MAX;
        let mut extra = BytesMut::new();
        if big_size {
            extra.put_u64_le(e.size);
            extra.put_u64_le(e.size);
        }
        if big_offset {
            extra.put_u64_le(e.offset);
        }
        let extra_len = if extra.is_empty() { 0 } else { 4 + extra.len() };
        out.put_u32_le(0x0201_4b50);
        out.put_u16_le((3 << 8) | 45); // made on Unix, by ZIP 4.5
        out.put_u16_le(if big_size || big_offset { 45 } else { 20 });
        out.put_u16_le(0x0808);
        out.put_u16_le(0);
        out.put_u16_le(e.time);
        out.put_u16_le(e.date);
        out.put_u32_le(e.crc);
        let size32 = if big_size { U32_MAX as u32 } else { e.size as u32 };
        out.put_u32_le(size32);
        out.put_u32_le(size32);
        out.put_u16_le(e.name.len() as u16);
        out.put_u16_le(extra_len as u16);
        out.put_u16_le(0); // comment
        out.put_u16_le(0); // disk
        out.put_u16_le(0); // internal attributes
        out.put_u32_le(0o100644 << 16); // a regular file, rw-r--r--
        out.put_u32_le(if big_offset { U32_MAX as u32 } else { e.offset as u32 });
        out.put_slice(e.name.as_bytes());
        if !extra.is_empty() {
            out.put_u16_le(0x0001);
            out.put_u16_le(extra.len() as u16);
            out.put_slice(&extra);
        }
    }
    let size = out.len() as u64;
    let n = entries.len() as u64;
    if n >= 0xFFFF || at >= U32_MAX || size >= U32_MAX {
        let record_at = at + size;
        out.put_u32_le(0x0606_4b50);
        out.put_u64_le(44);
        out.put_u16_le((3 << 8) | 45);
        out.put_u16_le(45);
        out.put_u32_le(0);
        out.put_u32_le(0);
        out.put_u64_le(n);
        out.put_u64_le(n);
        out.put_u64_le(size);
        out.put_u64_le(at);
        out.put_u32_le(0x0706_4b50);
        out.put_u32_le(0);
        out.put_u64_le(record_at);
        out.put_u32_le(1);
    }
    out.put_u32_le(0x0605_4b50);
    out.put_u16_le(0);
    out.put_u16_le(0);
    out.put_u16_le(n.min(0xFFFF) as u16);
    out.put_u16_le(n.min(0xFFFF) as u16);
    out.put_u32_le(size.min(U32_MAX) as u32);
    out.put_u32_le(at.min(U32_MAX) as u32);
    out.put_u16_le(0);
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_and_unique() {
        let mut taken = HashSet::new();
        let names: Vec<String> = ["a.jpg", "A.JPG", "../../etc/passwd", "a\u{7}b.png", "..", "a.jpg"]
            .iter()
            .map(|n| unique(safe_name(n), &mut taken))
            .collect();
        assert_eq!(names, ["a.jpg", "A (2).JPG", "_.._etc_passwd", "a_b.png", "file", "a (3).jpg"]);
    }
}

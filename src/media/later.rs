//! What an upload finishes after it has answered: the display rendition of a large image (its
//! resize and encode are half the image work of an upload, and nobody waits for them: the
//! detail page shows the original until the rendition is named in the row).
//!
//! The object is stored before the row names it, as at upload. If the item was deleted
//! meanwhile, the update finds no row and the object is removed again; if the process stops
//! first, the item simply has no rendition (and `reconcile` finds any object left behind).

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::MediaError;

use super::file::display::DisplaySource;
use super::service::MediaService;
use crate::db::DbError;
use crate::db::repo::ImageRepo;
use crate::storage::{StorageKey, body_of};

impl MediaService {
    /// Makes and stores image `id`'s display rendition from `source`, after the upload answered.
    pub(super) fn make_display_later(&self, id: i64, original: &StorageKey, source: DisplaySource) {
        let service = self.clone();
        let original = original.clone();
        self.background.running.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            if let Err(e) = service.make_display(id, &original, source).await {
                tracing::warn!(id, error = %e, "no display rendition; the detail page shows the original");
            }
            if service.background.running.fetch_sub(1, Ordering::SeqCst) == 1 {
                service.background.idle.notify_waiters();
            }
        });
    }

    async fn make_display(
        &self,
        id: i64,
        original: &StorageKey,
        source: DisplaySource,
    ) -> Result<(), MediaError> {
        let display = self.cpu.run(move || source.render()).await??;
        let key = original.derived(display.format.suffix());
        let size = display.bytes.len() as i64;
        self.store.put_stream(&key, body_of(display.bytes), display.format.mime()).await?;
        let named = match self.db.get().await {
            Ok(mut pooled) => {
                ImageRepo::name_display(&mut pooled.conn(), id, original.as_str(), (key.as_str(), size)).await
            }
            Err(e) => Err(e),
        };
        self.keep_if_named(&key, named).await.map(|_| ())
    }

    /// A derived object just stored stays only if its item's row now names it: when the item
    /// went or changed meanwhile (`false`), or the naming failed, it is removed again.
    pub(super) async fn keep_if_named(
        &self,
        key: &StorageKey,
        named: Result<bool, DbError>,
    ) -> Result<bool, MediaError> {
        if !matches!(named, Ok(true)) {
            self.discard_objects(&[key], false).await;
        }
        Ok(named?)
    }

    /// Waits (at most `limit`) until no work an upload left running is still going; `false` if
    /// some still is.
    pub async fn settle(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                let idle = self.background.idle.notified();
                if self.background.running.load(Ordering::SeqCst) == 0 {
                    return;
                }
                idle.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }
}

//! What the service does about location and device data in images
//! (`MEDIADESK_STRIP_METADATA`): with `shares`, an image that has some gets a copy without it,
//! stored once next to the original, which share links and other users' downloads get; with
//! `upload`, the stored original itself is that copy; with `never`, files go out as they came.
//! Finding and stripping is [`super::file::privacy`]'s.

use sha2::{Digest, Sha256};

use super::MediaError;
use super::access::Actor;
use super::file::privacy;
use super::service::{Item, MediaService};
use super::upload::{Accepted, Probed};
use crate::domain::StripPolicy;
use crate::storage::StorageKey;

impl MediaService {
    /// Applies the policy to a checked image before its row is written: under `shares`, stores
    /// the private copy (noted in `accepted.private_copy`, to be discarded with the upload if
    /// the row fails); under `upload`, replaces the stored original with it.
    pub(super) async fn keep_private(
        &self,
        key: &StorageKey,
        accepted: &mut Accepted,
    ) -> Result<(), MediaError> {
        let Probed::Image(_, _, _, found, _) = &accepted.probed else { return Ok(()) };
        if !found.any() || self.settings.strip_metadata == StripPolicy::Never {
            return Ok(());
        }
        let t = accepted.media_type;
        let stripped = tempfile::Builder::new()
            .prefix("private-")
            .tempfile_in(&self.settings.spool_dir)?
            .into_temp_path();
        let (from, to) = (accepted.spooled.path.to_path_buf(), stripped.to_path_buf());
        let size = tokio::task::spawn_blocking(move || privacy::strip(&from, t, &to))
            .await
            .map_err(|e| MediaError::Internal(e.to_string()))??;
        match self.settings.strip_metadata {
            StripPolicy::Shares => {
                let private = key.derived(&format!("private.{}", t.extension()));
                self.store.put_file(&private, &stripped, t.mime()).await?;
                accepted.private_copy = Some((private, size));
            }
            StripPolicy::Upload => {
                self.store.put_file(key, &stripped, t.mime()).await?;
                let path = stripped.to_path_buf();
                let sha = tokio::task::spawn_blocking(move || sha256_of(&path))
                    .await
                    .map_err(|e| MediaError::Internal(e.to_string()))??;
                accepted.spooled.size = size;
                accepted.spooled.sha256 = sha;
                // What is stored has nothing left to tell.
                if let Probed::Image(_, _, _, found, _) = &mut accepted.probed {
                    *found = privacy::Private::default();
                }
            }
            StripPolicy::Never => {}
        }
        Ok(())
    }

    /// The key whose bytes `actor` gets for an item: its private copy when the policy wants
    /// one for them and there is one, else the original.
    pub(super) fn outgoing_key<'i>(&self, actor: Option<&Actor>, item: &'i Item) -> &'i str {
        let theirs = actor.is_some_and(|a| a.can_manage(item.media.owner_id()));
        match (&item.private, self.settings.strip_metadata, theirs) {
            (Some(private), StripPolicy::Shares, false) => private,
            _ => &item.key,
        }
    }
}

fn sha256_of(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

//! Regions of an audio item: named ranges and point markers on its timeline. Anyone who sees
//! the item sees them; those who manage it make, change and remove them. They belong to the
//! item: the trash keeps them with it, and a new file keeps those that still fit.

use serde::Serialize;

use super::MediaError;
use super::access::Actor;
use super::dto::MediaRead;
use super::seen::fingerprint;
use super::service::MediaService;
use crate::db::repo::{AuditRepo, RegionRepo};
use crate::db::rows::{NewRegion, RegionRow};
use crate::db::{DbConn, now};
use crate::domain::region::{MAX_LABEL_CHARS, format_time, parse_time};
use crate::domain::{AuditAction, MediaKind};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionRead {
    pub id: i64,
    pub start_ms: i64,
    /// `None`: a marker.
    pub end_ms: Option<i64>,
    pub label: String,
}

impl RegionRead {
    /// "0:12.5–0:19.0", or "0:12.5" for a marker.
    pub fn span(&self) -> String {
        match self.end_ms {
            Some(end) => format!("{}–{}", format_time(self.start_ms), format_time(end)),
            None => format_time(self.start_ms),
        }
    }

    /// The fingerprint a form showing this region carries: a change or delete from that form
    /// is refused if the region was changed meanwhile (see [`super::seen`]).
    pub fn seen(&self) -> String {
        let end = self.end_ms.map(|e| e.to_string()).unwrap_or_default();
        fingerprint(Some(&format!("{}\n{end}\n{}", self.start_ms, self.label)))
    }

    /// The region as someone else left it, for a refused change or delete.
    fn clash(self) -> MediaError {
        MediaError::EditConflict(vec![("region", Some(format!("“{}” {}", self.label, self.span())))])
    }
}

impl From<RegionRow> for RegionRead {
    fn from(r: RegionRow) -> Self {
        RegionRead { id: r.id, start_ms: r.start_ms, end_ms: r.end_ms, label: r.label }
    }
}

/// A region as typed into a form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegionInput {
    pub label: String,
    pub start: String,
    /// Empty: a marker.
    pub end: String,
}

/// The region `input` describes, checked against the item's length.
fn check(input: &RegionInput, duration_ms: i64) -> Result<(i64, Option<i64>, String), MediaError> {
    let label = input.label.trim();
    if label.is_empty() {
        return Err(MediaError::Invalid("a region needs a name".into()));
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(MediaError::Invalid(format!("a region's name has at most {MAX_LABEL_CHARS} characters")));
    }
    let time = |what: &str, text: &str| {
        parse_time(text).ok_or_else(|| {
            MediaError::Invalid(format!(
                "the {what} “{}” is not a time: write seconds (12.5) or minutes and seconds (1:02.5)",
                text.trim()
            ))
        })
    };
    let start = time("start", &input.start)?;
    let end = match input.end.trim() {
        "" => None,
        text => Some(time("end", text)?),
    };
    let length = format_time(duration_ms);
    if start >= duration_ms {
        return Err(MediaError::Invalid(format!("the start is past the end of the clip ({length})")));
    }
    match end {
        Some(end) if end <= start => Err(MediaError::Invalid("the end comes before the start".into())),
        Some(end) if end > duration_ms => {
            Err(MediaError::Invalid(format!("the end is past the end of the clip ({length})")))
        }
        _ => Ok((start, end, label.to_owned())),
    }
}

/// The length of audio item `id`, its row locked for the rest of the transaction (so a region
/// is never written for an item deleted meanwhile, nor checked against the length it had
/// before a replace), if the actor manages it.
async fn managed_length(c: &mut DbConn<'_>, actor: &Actor, id: i64) -> Result<i64, MediaError> {
    let item = MediaService::locked_item(c, (MediaKind::Audio, id)).await?;
    actor.check_manage(item.media.owner_id())?;
    match item.media {
        MediaRead::Audio(a) => Ok(a.duration_ms),
        MediaRead::Image(_) => Err(MediaError::NotFound),
    }
}

impl MediaService {
    /// An audio item's regions, in time order.
    pub async fn regions(&self, actor: &Actor, id: i64) -> Result<Vec<RegionRead>, MediaError> {
        let item = self.item(MediaKind::Audio, id).await?;
        actor.check_view(item.media.owner_id())?;
        let mut pooled = self.db.get().await?;
        Ok(RegionRepo::of_audio(&mut pooled.conn(), id).await?.into_iter().map(Into::into).collect())
    }

    /// The regions of an item shown through a share link (no account; the link was checked).
    pub(super) async fn shared_regions(&self, id: i64) -> Result<Vec<RegionRead>, MediaError> {
        let mut pooled = self.db.get().await?;
        Ok(RegionRepo::of_audio(&mut pooled.conn(), id).await?.into_iter().map(Into::into).collect())
    }

    pub async fn add_region(
        &self,
        actor: &Actor,
        id: i64,
        input: &RegionInput,
    ) -> Result<RegionRead, MediaError> {
        let row = self
            .db
            .transaction(async |c: &mut DbConn<'_>| {
                let (start_ms, end_ms, label) = check(input, managed_length(c, actor, id).await?)?;
                let t = now();
                let new = NewRegion {
                    audio_id: id,
                    start_ms,
                    end_ms,
                    label: &label,
                    created_by: actor.user_id,
                    created_at: t,
                    updated_at: t,
                };
                let row = RegionRepo::create(c, &new).await?;
                let read = RegionRead::from(row.clone());
                let entry = actor.did(AuditAction::Edit, (MediaKind::Audio, id));
                AuditRepo::add(c, &entry.detail(format!("region added: {} {}", read.label, read.span())))
                    .await?;
                Ok::<_, MediaError>(read)
            })
            .await?;
        Ok(row)
    }

    /// Changes a region. `seen` is the fingerprint of the region as the person's form showed it
    /// ([`RegionRead::seen`]): if someone else changed it meanwhile, differently, nothing is
    /// saved ([`MediaError::EditConflict`] with the region as it is now). Without it, the change
    /// replaces what is saved.
    pub async fn update_region(
        &self,
        actor: &Actor,
        (id, region): (i64, i64),
        input: &RegionInput,
        seen: Option<&str>,
    ) -> Result<(), MediaError> {
        self.db
            .transaction(async |c: &mut DbConn<'_>| {
                let (start_ms, end_ms, label) = check(input, managed_length(c, actor, id).await?)?;
                let read = RegionRead { id: region, start_ms, end_ms, label };
                let saved = RegionRepo::locked(c, (id, region)).await?.ok_or(MediaError::NotFound)?;
                let saved = RegionRead::from(saved);
                if seen.is_some_and(|seen| seen != saved.seen()) && saved != read {
                    return Err(saved.clash());
                }
                RegionRepo::update(c, (id, region), (start_ms, end_ms, &read.label), now()).await?;
                let entry = actor.did(AuditAction::Edit, (MediaKind::Audio, id));
                AuditRepo::add(c, &entry.detail(format!("region changed: {} {}", read.label, read.span())))
                    .await?;
                Ok(())
            })
            .await
    }

    /// Deletes a region; false when it was already gone. A region changed meanwhile from how
    /// the person's form showed it (`seen`) stays, as [`update_region`](Self::update_region).
    pub async fn delete_region(
        &self,
        actor: &Actor,
        (id, region): (i64, i64),
        seen: Option<&str>,
    ) -> Result<bool, MediaError> {
        self.db
            .transaction(async |c: &mut DbConn<'_>| {
                managed_length(c, actor, id).await?;
                let Some(saved) = RegionRepo::locked(c, (id, region)).await? else {
                    return Ok(false);
                };
                let saved = RegionRead::from(saved);
                if seen.is_some_and(|seen| seen != saved.seen()) {
                    return Err(saved.clash());
                }
                RegionRepo::delete(c, (id, region)).await?;
                let entry = actor.did(AuditAction::Edit, (MediaKind::Audio, id));
                AuditRepo::add(c, &entry.detail(format!("region removed: {} {}", saved.label, saved.span())))
                    .await?;
                Ok(true)
            })
            .await
    }

    /// After the item's file changed: the regions that reach past its new length go (and the
    /// audit log names them); the others stay.
    pub(super) async fn fit_regions(
        &self,
        actor: &Actor,
        id: i64,
        duration_ms: i64,
    ) -> Result<(), MediaError> {
        self.db
            .transaction(async |c: &mut DbConn<'_>| {
                for gone in RegionRepo::drop_beyond(c, id, duration_ms).await? {
                    let gone = RegionRead::from(gone);
                    let entry = actor.did(AuditAction::Edit, (MediaKind::Audio, id)).detail(format!(
                        "region removed, past the new file's end: {} {}",
                        gone.label,
                        gone.span()
                    ));
                    AuditRepo::add(c, &entry).await?;
                }
                Ok::<_, MediaError>(())
            })
            .await
    }
}

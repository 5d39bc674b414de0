//! The "Looks like" list of an image's page and the "Sounds like" list of a sound's: items the
//! reader sees that look or sound like it, each of which a manager of both may say is not a
//! duplicate (the groups then keep the two apart) or take that back.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::item_path::MediaPath;
use super::signin::see_other;
use crate::app::App;
use crate::auth::session;
use crate::domain::MediaKind;
use crate::media::{Alike, Likeness, LookAlike, MediaError};
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::duration;

/// One alike, as its line reads.
pub struct AlikeLine {
    pub url: String,
    pub thumb_url: Option<String>,
    /// The title, else the file name.
    pub name: String,
    /// How alike, in words.
    pub note: String,
    pub owner: String,
    pub id: i64,
    /// Said not to be a duplicate of the item.
    pub kept_apart: bool,
    /// The reader manages it (and may mark the pair, when they manage the item too).
    pub managed: bool,
}

/// How alike an alike is, in words.
pub fn how_alike(a: &LookAlike) -> String {
    let said = match (a.same_file, a.likeness) {
        (true, _) => "the very same file",
        (false, Likeness::Look(0)) => "the same picture in another file",
        (false, Likeness::Look(1..=4)) => "nearly the same picture",
        (false, Likeness::Look(_)) => "looks alike",
        (false, Likeness::Sound(s)) if s.whole => "the same recording in another file",
        (false, Likeness::Sound(s)) => return format!("{} of the same sound", duration(s.ms)),
    };
    said.to_owned()
}

/// What the section shows.
pub struct AlikeView {
    kind: MediaKind,
    pub lines: Vec<AlikeLine>,
    /// The item has no look or print yet (stored by an older version).
    pub not_looked: bool,
    /// A sound too short or too quiet to compare.
    pub unprintable: bool,
}

impl AlikeView {
    pub fn heading(&self) -> &'static str {
        match self.kind {
            MediaKind::Image => "Looks like",
            MediaKind::Audio => "Sounds like",
        }
    }

    /// What the list holds, or what was looked for when it is empty.
    pub fn intro(&self) -> &'static str {
        match (self.kind, self.lines.is_empty()) {
            (MediaKind::Image, false) => {
                "Pictures you can see that look like this one: a copy resized, saved again, in \
                 another format or lightly retouched."
            }
            (MediaKind::Image, true) => "Nothing you can see looks like it.",
            (MediaKind::Audio, false) => {
                "Sounds you can see that hold this one's sound: a copy in another format, bitrate or \
                 rate, louder or quieter, or a part of it (the first two minutes of each are compared)."
            }
            (MediaKind::Audio, true) => "Nothing you can see sounds like it.",
        }
    }
}

/// The section of item `id`'s page.
pub async fn view(app: &App, user: &CurrentUser, kind: MediaKind, id: i64) -> Result<AlikeView, WebError> {
    let mut view = AlikeView { kind, lines: Vec::new(), not_looked: false, unprintable: false };
    let found = match app.media.look_alikes(&user.actor(), kind, id).await {
        Ok(Alike::Found(found)) => found,
        Ok(Alike::NotLooked) => return Ok(AlikeView { not_looked: true, ..view }),
        Ok(Alike::Unprintable) => return Ok(AlikeView { unprintable: true, ..view }),
        Err(MediaError::NotFound) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let names = super::owner_names(app, user).await?;
    view.lines = found
        .into_iter()
        .map(|a| AlikeLine {
            url: format!("/media/{}/{}", kind.as_str(), a.id),
            note: how_alike(&a),
            id: a.id,
            kept_apart: a.kept_apart,
            managed: user.actor().can_manage(a.owner.id()),
            owner: super::owner_label(a.owner, user, &names),
            thumb_url: a.thumb_url,
            name: a.title.unwrap_or(a.filename),
        })
        .collect();
    Ok(view)
}

#[derive(Deserialize)]
pub struct MarkForm {
    csrf_token: String,
    other: i64,
    /// `apart` (not a duplicate) or `again` (alike again).
    action: String,
}

/// Says the item and `other` are not duplicates, or takes that back; both must be the
/// reader's to manage.
pub async fn mark(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<MediaPath>,
    form: web::Form<MarkForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let path = path.into_inner();
    let pair = [path.id, form.other];
    let said = match form.action.as_str() {
        "apart" => {
            app.media.keep_all_alike(&user.actor(), path.kind, &pair).await?;
            "Marked as not a duplicate: the look- and sound-alike groups keep the two apart."
        }
        "again" => {
            app.media.alike_again(&user.actor(), path.kind, &pair).await?;
            "The two are shown as alike again."
        }
        _ => return Err(WebError::BadRequest("Say apart or again.".into())),
    };
    session::flash(&user.session, "ok", said);
    Ok(see_other(&format!("{}#alike", path.url())))
}

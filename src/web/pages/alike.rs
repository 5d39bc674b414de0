//! The "Looks like" list of an image's page and the "Sounds like" list of a sound's: items the
//! reader sees that look or sound like it.

use crate::app::App;
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
            owner: super::owner_label(a.owner, user, &names),
            thumb_url: a.thumb_url,
            name: a.title.unwrap_or(a.filename),
        })
        .collect();
    Ok(view)
}

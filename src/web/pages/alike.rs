//! The "Looks like" list of an image's page: pictures the reader sees that look like it.

use crate::app::App;
use crate::domain::MediaKind;
use crate::media::{Alike, LookAlike, MediaError};
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;

/// One look-alike, as its line reads.
pub struct AlikeLine {
    pub url: String,
    pub thumb_url: Option<String>,
    /// The title, else the file name.
    pub name: String,
    /// How alike, in words.
    pub note: &'static str,
    pub owner: String,
}

/// How alike a look-alike is, in words.
pub fn how_alike(a: &LookAlike) -> &'static str {
    match (a.same_file, a.distance) {
        (true, _) => "the very same file",
        (false, 0) => "the same picture in another file",
        (false, 1..=4) => "nearly the same picture",
        (false, _) => "looks alike",
    }
}

/// What the section shows.
pub struct AlikeView {
    pub lines: Vec<AlikeLine>,
    /// The image has no look yet (stored by an older version).
    pub not_looked: bool,
}

/// The section of image `id`'s page (`None` for a sound, which has none).
pub async fn view(
    app: &App,
    user: &CurrentUser,
    kind: MediaKind,
    id: i64,
) -> Result<Option<AlikeView>, WebError> {
    if kind != MediaKind::Image {
        return Ok(None);
    }
    let found = match app.media.look_alikes(&user.actor(), kind, id).await {
        Ok(Alike::Found(found)) => found,
        Ok(Alike::NotLooked) => return Ok(Some(AlikeView { lines: Vec::new(), not_looked: true })),
        Err(MediaError::NotFound) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let names = super::owner_names(app, user).await?;
    let lines = found
        .into_iter()
        .map(|a| AlikeLine {
            url: format!("/media/image/{}", a.id),
            note: how_alike(&a),
            owner: super::owner_label(a.owner, user, &names),
            thumb_url: a.thumb_url,
            name: a.title.unwrap_or(a.filename),
        })
        .collect();
    Ok(Some(AlikeView { lines, not_looked: false }))
}

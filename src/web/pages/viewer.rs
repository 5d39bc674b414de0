//! The full-window viewer: one item filling the window, walked through the gallery view it was
//! opened from (across that view's pages). Links do all of it without JavaScript; with it, ←
//! and → walk, Esc closes, e opens the description.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::detail::{DetailQuery, MediaPath};
use crate::app::App;
use crate::domain::MediaKind;
use crate::media::MediaRead;
use crate::web::back;
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::{Layout, PreviewPlaceholder};

#[derive(Template)]
#[template(path = "viewer.html")]
struct ViewerPage {
    layout: Layout,
    kind: &'static str,
    filename: String,
    /// The title, else the file name.
    heading: String,
    /// Alt text, else the file name.
    alt: String,
    caption: Option<String>,
    /// How a photo was taken, in a line: when, the camera, the exposure.
    shot: Option<String>,
    /// A large image's screen-size rendition, else the original.
    preview_url: String,
    /// The next item's picture, fetched ahead by the script.
    next_picture: Option<String>,
    /// Its placeholder: the thumbnail's ThumbHash and the picture's size as shown.
    placeholder: Option<PreviewPlaceholder>,
    media_url: String,
    /// Where Close (and Esc) go: the gallery view it was opened from.
    back: String,
    /// The item's own page, where its fields are edited.
    edit_url: String,
    previous_url: Option<String>,
    next_url: Option<String>,
}

/// The viewer's address for an item, opened from the gallery view `back`.
pub fn url((kind, id): (MediaKind, i64), back: &str) -> String {
    back::with_back(&format!("/media/{kind}/{id}/view"), back)
}

pub async fn show(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<MediaPath>,
    q: web::Query<DetailQuery>,
) -> Result<HttpResponse, WebError> {
    let back = back::gallery_view(q.back.as_deref());
    let path = path.into_inner();
    let actor = user.actor();
    let detail = app.media.detail(&actor, path.kind, path.id).await?;
    let item = (path.kind, path.id);
    let walk = super::gallery::walk(&app, &user, &back, item).await?;
    let media = &detail.media;
    let d = media.description();
    let preview_url = match media {
        MediaRead::Image(_) => detail.shown_url().to_owned(),
        MediaRead::Audio(_) => detail.view_url.clone(),
    };
    let body = ViewerPage {
        layout: Layout::new(&user.session, Some(&user.account), "gallery"),
        kind: path.kind.as_str(),
        filename: media.filename().to_owned(),
        heading: d.title.clone().unwrap_or_else(|| media.filename().to_owned()),
        alt: d.alt_text.clone().unwrap_or_else(|| media.filename().to_owned()),
        caption: d.caption.clone(),
        shot: match media {
            MediaRead::Image(i) => i.shot.as_ref().and_then(|s| {
                let parts: Vec<String> =
                    [s.taken_text(), s.camera(), s.exposure()].into_iter().flatten().collect();
                (!parts.is_empty()).then(|| parts.join(" · "))
            }),
            MediaRead::Audio(_) => None,
        },
        preview_url,
        next_picture: walk.next_picture,
        placeholder: PreviewPlaceholder::of(media, detail.shown_size),
        media_url: detail.view_url.clone(),
        // No `#description`: a fragment would stop the browser from honouring `autofocus`.
        edit_url: back::with_back(&format!("{}?edit=1", path.url()), &back),
        previous_url: walk.previous.map(|n| url(n, &back)),
        next_url: walk.next.map(|n| url(n, &back)),
        back,
    }
    .render()?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

//! The item page's "Create link" form. A refused one (a lifetime no longer offered, a note too
//! long) comes back on the page with the lifetime, the download choice and the note as they
//! were chosen, and why. A password is never sent back: the page asks for it again.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::detail::{Drafts, ShareDraft, render};
use super::item_path::MediaPath;
use super::shares::remember_new_share;
use super::signin::see_other;
use crate::app::App;
use crate::media::{MediaError, ShareRequest};
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view;
use crate::web::{WebSettings, back};

#[derive(Deserialize)]
pub struct CreateForm {
    csrf_token: String,
    lifetime: String,
    #[serde(default)]
    password: String,
    download: Option<String>,
    #[serde(default)]
    note: String,
    back: Option<String>,
}

/// Makes a link; the item's page comes back with its address, shown once.
pub async fn create(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    path: web::Path<MediaPath>,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let path = path.into_inner();
    let form = form.into_inner();
    let back = back::gallery_view(form.back.as_deref());
    let lifetime = match form.lifetime.as_str() {
        "never" => Ok(None),
        secs => secs
            .parse()
            .map(|s| Some(Duration::from_secs(s)))
            .map_err(|_| MediaError::Invalid("choose one of the offered lifetimes".into())),
    };
    let request = lifetime.map(|lifetime| ShareRequest {
        lifetime,
        password: Some(form.password.clone()).filter(|p| !p.is_empty()),
        allow_download: form.download.is_some(),
        note: Some(form.note.clone()),
    });
    let created = match request {
        Ok(request) => app.media.create_share(&user.actor(), path.kind, path.id, request).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(created) => {
            let until = created
                .share
                .expires_at
                .map_or("it is revoked".to_owned(), |e| format!("{} UTC", view::date(e)));
            remember_new_share(&user.session, (path.kind, path.id), created.token, until);
            Ok(see_other(&format!("{}#shares", back::with_back(&path.url(), &back))))
        }
        Err(MediaError::Invalid(why)) => {
            let why = if form.password.is_empty() {
                why
            } else {
                format!("{why}. Type the password again: it is never sent back.")
            };
            let draft = ShareDraft {
                lifetime: form.lifetime,
                download: form.download.is_some(),
                note: form.note,
                why,
            };
            render(&app, &settings, &user, path, back, Drafts { share: Some(draft), ..Drafts::default() })
                .await
        }
        Err(e) => Err(e.into()),
    }
}

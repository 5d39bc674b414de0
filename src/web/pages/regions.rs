//! The item page's region forms: add, change, delete. A refused one comes back on the page
//! with what was typed and why.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::detail::{Drafts, render};
use super::item_path::MediaPath;
use super::signin::see_other;
use crate::app::App;
use crate::auth::session;
use crate::domain::MediaKind;
use crate::media::{MediaError, RegionInput};
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::{WebSettings, back};

#[derive(Deserialize)]
pub struct RegionForm {
    csrf_token: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    back: Option<String>,
}

#[derive(Deserialize)]
pub struct RegionPath {
    kind: MediaKind,
    id: i64,
    region: i64,
}

impl RegionPath {
    fn item(&self) -> MediaPath {
        MediaPath { kind: self.kind, id: self.id }
    }
}

/// What a region form does.
enum Change {
    Add,
    Update(i64),
    Delete(i64),
}

async fn apply(
    app: &App,
    settings: &WebSettings,
    user: &CurrentUser,
    path: MediaPath,
    form: RegionForm,
    change: Change,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    if path.kind != MediaKind::Audio {
        return Err(WebError::NotFound);
    }
    let back = back::gallery_view(form.back.as_deref());
    let input = RegionInput { label: form.label, start: form.start, end: form.end };
    let actor = user.actor();
    let (done, which) = match change {
        Change::Add => (app.media.add_region(&actor, path.id, &input).await.map(|_| "Region added."), None),
        Change::Update(r) => {
            (app.media.update_region(&actor, (path.id, r), &input).await.map(|_| "Region saved."), Some(r))
        }
        Change::Delete(r) => {
            (app.media.delete_region(&actor, (path.id, r)).await.map(|_| "Region deleted."), None)
        }
    };
    match done {
        Ok(words) => {
            session::flash(&user.session, "ok", words);
            Ok(see_other(&format!("{}#regions", back::with_back(&path.url(), &back))))
        }
        Err(MediaError::Invalid(why)) => {
            render(app, settings, user, path, back, Drafts::refused_region(which, input, why)).await
        }
        // The region went while this person was changing it (the item is still theirs to
        // change, or the page is a 404 too): what they typed comes back in the add form.
        Err(MediaError::NotFound) if which.is_some() => {
            let why = "Someone deleted this region meanwhile; add it again to keep your change.".to_owned();
            let drafts = Drafts { conflict: true, ..Drafts::refused_region(None, input, why) };
            render(app, settings, user, path, back, drafts).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn add(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    path: web::Path<MediaPath>,
    form: web::Form<RegionForm>,
) -> Result<HttpResponse, WebError> {
    apply(&app, &settings, &user, path.into_inner(), form.into_inner(), Change::Add).await
}

pub async fn update(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    path: web::Path<RegionPath>,
    form: web::Form<RegionForm>,
) -> Result<HttpResponse, WebError> {
    let region = path.region;
    apply(&app, &settings, &user, path.item(), form.into_inner(), Change::Update(region)).await
}

pub async fn delete(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    path: web::Path<RegionPath>,
    form: web::Form<RegionForm>,
) -> Result<HttpResponse, WebError> {
    let region = path.region;
    apply(&app, &settings, &user, path.item(), form.into_inner(), Change::Delete(region)).await
}

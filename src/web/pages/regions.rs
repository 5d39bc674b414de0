//! The item page's region forms: add, change, delete. A refused one comes back on the page
//! with what was typed and why; so does one that someone else's change overtook (each change
//! and delete form carries the region's fingerprint as shown).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::detail::{Drafts, RegionDraft, render};
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
    /// The fingerprint of the region as the form showed it (change and delete forms).
    seen: Option<String>,
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
    let seen = form.seen;
    let actor = user.actor();
    let (done, which) = match change {
        Change::Add => (app.media.add_region(&actor, path.id, &input).await.map(|_| "Region added."), None),
        Change::Update(r) => {
            let done = app.media.update_region(&actor, (path.id, r), &input, seen.as_deref()).await;
            (done.map(|_| "Region saved."), Some(r))
        }
        Change::Delete(r) => {
            let done = app.media.delete_region(&actor, (path.id, r), seen.as_deref()).await;
            (
                done.map(|gone| if gone { "Region deleted." } else { "That region was already deleted." }),
                Some(r),
            )
        }
    };
    let deleting = matches!(change, Change::Delete(_));
    let (draft, conflict) = match done {
        Ok(words) => {
            session::flash(&user.session, "ok", words);
            return Ok(see_other(&format!("{}#regions", back::with_back(&path.url(), &back))));
        }
        // Refused: the form comes back as it was sent, fingerprint and all (400).
        Err(MediaError::Invalid(why)) => (RegionDraft { which, input: Some(input), why, seen }, false),
        // Someone changed the region meanwhile and nothing was done (409). A change comes back
        // with what this person typed, and saving again replaces theirs; a delete comes back
        // with the region as it is now.
        Err(MediaError::EditConflict(clashes)) => {
            let now = clashes.into_iter().find_map(|(_, now)| now).unwrap_or_default();
            let draft = if deleting {
                let why = format!(
                    "Someone changed this region meanwhile; it is now {now}. It was not deleted: \
                     delete it again if it should still go."
                );
                RegionDraft { which, input: None, why, seen: None }
            } else {
                let why = format!(
                    "Someone changed this region while you were editing; it is now {now}. Nothing \
                     of yours was saved: save again to put yours in its place."
                );
                RegionDraft { which, input: Some(input), why, seen: None }
            };
            (draft, true)
        }
        // The region went while this person was changing it (the item is still theirs to
        // change, or the page is a 404 too): what they typed comes back in the add form.
        Err(MediaError::NotFound) if which.is_some() && !deleting => {
            let why = "Someone deleted this region meanwhile; add it again to keep your change.".to_owned();
            (RegionDraft { which: None, input: Some(input), why, seen: None }, true)
        }
        Err(e) => return Err(e.into()),
    };
    render(app, settings, user, path, back, Drafts { conflict, region: Some(draft), ..Drafts::default() })
        .await
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

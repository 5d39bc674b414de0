//! `POST /media/zip`: the gallery selection as one ZIP, streamed as it is built (see
//! `media::zip`); with `scope=view`, every item of the view the form came from, across its
//! pages. A plain form post, so it works without JavaScript.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::selection::SelectionForm;
use super::signin::see_other;
use crate::app::App;
use crate::auth::session;
use crate::http_text::content_disposition;
use crate::media::{MAX_ZIP_ITEMS, ZipPlan};
use crate::web::back;
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;

pub async fn selection(
    app: web::Data<App>,
    user: CurrentUser,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let form = SelectionForm::read(&user, &body)?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    if form.field("scope") == Some("view") {
        let back = back::gallery_view(form.field("back"));
        let Some(query) = super::gallery::view_set(&app, &user, &back).await? else {
            return Err(WebError::BadRequest("This page cannot be downloaded as a whole.".into()));
        };
        let plan = app.media.zip_view(&user.actor(), &query, MAX_ZIP_ITEMS).await?;
        if plan.is_empty() {
            session::flash(&user.session, "error", "Nothing in this view to download.");
            return Ok(see_other(&back));
        }
        return Ok(streamed(&app, plan, &format!("mediadesk-view-{stamp}.zip")));
    }
    let picked = form.items();
    if picked.is_empty() {
        session::flash(&user.session, "error", "Select at least one item to download.");
        return Ok(see_other(&back::gallery_view(form.field("back"))));
    }
    let plan = app.media.zip_plan(&user.actor(), &picked).await?;
    Ok(streamed(&app, plan, &format!("mediadesk-{stamp}.zip")))
}

/// `GET /collections/{id}/zip`: a whole collection, its items by name.
pub async fn collection(
    app: web::Data<App>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let plan = app.media.zip_collection(&user.actor(), id).await?;
    let title = app.media.collection(&user.actor(), id).await?.collection.name;
    Ok(streamed(&app, plan, &format!("{title}.zip")))
}

fn streamed(app: &App, plan: ZipPlan, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/zip"))
        .insert_header((header::CONTENT_DISPOSITION, content_disposition(name)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(app.media.zip_stream(plan))
}

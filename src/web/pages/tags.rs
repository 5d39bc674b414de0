//! Tagging an item from its page: add (comma-separated, with suggestions) and remove. A
//! refused tag comes back in the field with why.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::detail::MediaPath;
use super::signin::see_other;
use crate::app::App;
use crate::auth::session;
use crate::http_text::percent_encode;
use crate::media::MediaError;
use crate::web::back;
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;

#[derive(Deserialize)]
pub struct AddForm {
    csrf_token: String,
    tags: String,
    back: Option<String>,
}

#[derive(Deserialize)]
pub struct RemoveForm {
    csrf_token: String,
    tag: String,
    back: Option<String>,
}

pub async fn add(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<MediaPath>,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let path = path.into_inner();
    let page = back::with_back(&path.url(), &back::gallery_view(form.back.as_deref()));
    match app.media.tag_item(&user.actor(), (path.kind, path.id), &form.tags).await {
        Ok(added) if added.is_empty() => {
            session::flash(&user.session, "ok", "It carries those tags already.")
        }
        Ok(added) => session::flash(&user.session, "ok", format!("Tagged {}.", added.join(", "))),
        Err(MediaError::Invalid(why)) => {
            session::flash(&user.session, "error", format!("Not tagged: {why}."));
            let joiner = if page.contains('?') { '&' } else { '?' };
            return Ok(see_other(&format!("{page}{joiner}tags={}#tags", percent_encode(&form.tags))));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(see_other(&page))
}

pub async fn remove(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<MediaPath>,
    form: web::Form<RemoveForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let path = path.into_inner();
    if app.media.untag_item(&user.actor(), (path.kind, path.id), &form.tag).await? {
        session::flash(&user.session, "ok", format!("Tag {} removed.", form.tag.trim()));
    }
    Ok(see_other(&back::with_back(&path.url(), &back::gallery_view(form.back.as_deref()))))
}

//! Adding a file from a link: the upload page's second form, and the same post for scripts
//! (`link=…` with an upload token). A refused link comes back in its field with why, so
//! nothing typed is lost; scripts get the upload's JSON answer and refusals.

use actix_web::{HttpResponse, ResponseError, web};

use super::selection::SelectionForm;
use super::upload::{self, LinkForm};
use crate::app::App;
use crate::auth::session;
use crate::media::{MediaError, Upload};
use crate::web::WebSettings;
use crate::web::error::WebError;
use crate::web::extract::Uploader;

pub async fn submit(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    Uploader(user): Uploader,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let wants_json = crate::web::context::wants_json() || user.by_token;
    let form = SelectionForm::read(&user, &body)?;
    let chosen = form.field("owner").unwrap_or_default();
    let owner = upload::parse_owner(chosen, &user)?;
    if user.account.role.is_staff() && !user.by_token {
        session::set_choice(&user.session, upload::LAST_OWNER, chosen.trim());
    }
    let link = form.field("link").unwrap_or_default().to_owned();
    let keep_duplicates = form.field("keep_duplicates") == Some("1");
    let actor = user.actor();
    let asked = Upload { refuse_duplicates: !keep_duplicates, ..Upload::new(owner, "") };
    let result = app.media.add_from_link(&actor, asked, &link).await;
    if let Err(e @ MediaError::Off(_)) = result {
        return Err(e.into());
    }
    let shown = match &result {
        Ok(media) => media.filename().to_owned(),
        Err(_) => link.trim().chars().take(200).collect(),
    };
    let mut outcome = upload::result_of(&app, &actor, shown, result).await;
    if wants_json || outcome.ok {
        return upload::answer(&user, vec![outcome], wants_json);
    }
    // A person's refused link: the page again, the link in its field, why above it.
    let status = outcome.error.take().map_or(actix_web::http::StatusCode::BAD_REQUEST, |e| e.status_code());
    let again =
        LinkForm { value: link, error: Some(outcome.message), existing: outcome.existing, keep_duplicates };
    upload::page(&app, &settings, &user, again, status).await
}

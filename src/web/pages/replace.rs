//! Replacing an item's file from its page, rolling back to an earlier one, and turning a
//! photo (a replace by the same file with another orientation). The new file streams through
//! the media service like any upload; a refusal answers with its code and changes nothing.

use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::detail::{Drafts, LinkDraft, MediaPath, render};
use super::signin::see_other;
use super::upload::{drain, next_field};
use crate::app::App;
use crate::auth::session;
use crate::domain::{Owner, Turn};
use crate::media::{MediaError, Replaced, Upload};
use crate::web::WebSettings;
use crate::web::back;
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;

pub async fn replace(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<MediaPath>,
    mut payload: Multipart,
) -> Result<HttpResponse, WebError> {
    let path = path.into_inner();
    let actor = user.actor();
    let mut csrf_ok = false;
    let mut outcome: Option<Result<Replaced, MediaError>> = None;
    while let Some((name, mut field)) = next_field(&mut payload, &user, &mut csrf_ok).await? {
        let raw = field.content_disposition().and_then(|cd| cd.get_filename()).unwrap_or("").to_owned();
        if name != "file" || raw.is_empty() || outcome.is_some() {
            drain(&mut field).await;
            continue;
        }
        let filename = crate::media::filename::from_multipart(&raw);
        let declared = field.content_type().map(|m| m.essence_str().to_owned());
        let (body, pump) = crate::web::relay::relay(&mut field);
        // The owner is the item's; the service sets it.
        let upload = Upload { declared_type: declared, ..Upload::new(Owner::System, &filename) };
        let replaced = app.media.replace(&actor, (path.kind, path.id), upload, body);
        let (result, ()) = futures_util::join!(replaced, pump);
        outcome = Some(result);
    }
    if !csrf_ok {
        return Err(WebError::Csrf);
    }
    let replaced =
        outcome.ok_or_else(|| WebError::BadRequest("Choose a file to put in its place.".into()))??;
    said_replaced(&user, &replaced);
    Ok(see_other(&path.url()))
}

#[derive(Deserialize)]
pub struct LinkForm {
    csrf_token: String,
    link: String,
    back: Option<String>,
}

/// Puts what a link answers in place of the file (the second Replace form, shown where links
/// may be added); a refused link comes back in its field with why, the page answering the
/// refusal's status.
pub async fn replace_from_link(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    path: web::Path<MediaPath>,
    form: web::Form<LinkForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let path = path.into_inner();
    let form = form.into_inner();
    match app.media.replace_from_link(&user.actor(), (path.kind, path.id), &form.link).await {
        Ok(replaced) => {
            said_replaced(&user, &replaced);
            Ok(see_other(&path.url()))
        }
        // Not theirs, or links are off: the page would offer nothing to try again with.
        Err(e @ (MediaError::NotFound | MediaError::Forbidden | MediaError::Off(_))) => Err(e.into()),
        Err(e) => {
            let error = WebError::from(e);
            let why = match &error {
                WebError::Unavailable(_) | WebError::Internal(_) => {
                    "the server could not store it right now; nothing was changed, try again".to_owned()
                }
                e => e.to_string(),
            };
            let status = actix_web::ResponseError::status_code(&error);
            let draft = LinkDraft { link: form.link, why, status };
            let back = back::gallery_view(form.back.as_deref());
            render(
                &app,
                &settings,
                &user,
                path,
                back,
                Drafts { replace_link: Some(draft), ..Drafts::default() },
            )
            .await
        }
    }
}

fn said_replaced(user: &CurrentUser, replaced: &Replaced) {
    let mut said = format!("Replaced the file with {}.", replaced.media.filename());
    if replaced.kept_version {
        said.push_str(" The one it had is listed under File, ready to roll back to.");
    }
    session::flash(&user.session, "ok", said);
}

#[derive(Deserialize)]
pub struct VersionPath {
    kind: crate::domain::MediaKind,
    id: i64,
    version: i64,
}

#[derive(Deserialize)]
pub struct TokenForm {
    csrf_token: String,
}

pub async fn restore_version(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<VersionPath>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let VersionPath { kind, id, version } = path.into_inner();
    let media = app.media.restore_version(&user.actor(), (kind, id), version).await?;
    session::flash(
        &user.session,
        "ok",
        format!("Rolled back to {}; the file it replaced is kept as a version.", media.filename()),
    );
    Ok(see_other(&format!("/media/{kind}/{id}")))
}

#[derive(Deserialize)]
pub struct TurnForm {
    csrf_token: String,
    turn: String,
}

/// Turns or mirrors a photo (the buttons above its Replace form).
pub async fn turn(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<MediaPath>,
    form: web::Form<TurnForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let path = path.into_inner();
    let turn: Turn = form.turn.parse().map_err(WebError::BadRequest)?;
    let turned = app.media.turn(&user.actor(), (path.kind, path.id), turn).await?;
    let mut said = format!("{} {}.", turned.media.filename(), turn.done());
    if turned.kept_version {
        said.push_str(" The file as it was is listed under File, ready to roll back to.");
    }
    session::flash(&user.session, "ok", said);
    Ok(see_other(&path.url()))
}

//! Saving what is written about an item from its page: the description and the transcript. A
//! save that is refused comes back as the page with the text still in its fields: 400 with why,
//! or 409 when someone else changed the same field meanwhile, with what they saved.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::detail::{Drafts, carried, render};
use super::item_path::MediaPath;
use super::signin::see_other;
use crate::app::App;
use crate::auth::session;
use crate::domain::MediaKind;
use crate::media::{Description, MediaError, Seen};
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::{WebSettings, back};

#[derive(Deserialize)]
pub struct TranscriptForm {
    csrf_token: String,
    transcript: String,
    /// The fingerprint of the transcript the form showed.
    seen_transcript: Option<String>,
    back: Option<String>,
}

pub async fn transcript(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    path: web::Path<MediaPath>,
    form: web::Form<TranscriptForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let path = path.into_inner();
    if path.kind != MediaKind::Audio {
        return Err(WebError::NotFound);
    }
    let form = form.into_inner();
    let back = back::gallery_view(form.back.as_deref());
    let seen = form.seen_transcript.as_deref();
    let drafts = match app.media.update_transcript(&user.actor(), path.id, &form.transcript, seen).await {
        Ok(_) => {
            session::flash(&user.session, "ok", "Transcript saved.");
            return Ok(see_other(&back::with_back(&path.url(), &back)));
        }
        Err(MediaError::Invalid(why)) => {
            Drafts { transcript_error: Some(why), transcript_seen: form.seen_transcript, ..Drafts::default() }
        }
        Err(MediaError::EditConflict(mut clashes)) => {
            Drafts { transcript_clash: clashes.pop().map(|(_, now)| now), ..Drafts::default() }
        }
        Err(e) => return Err(e.into()),
    };
    let drafts = Drafts { transcript: Some(form.transcript), ..drafts };
    render(&app, &settings, &user, path, back, drafts).await
}

#[derive(Deserialize)]
pub struct DescribeForm {
    csrf_token: String,
    title: Option<String>,
    alt_text: Option<String>,
    caption: Option<String>,
    credit: Option<String>,
    /// The fingerprints of the fields as the form showed them.
    seen_title: Option<String>,
    seen_alt_text: Option<String>,
    seen_caption: Option<String>,
    seen_credit: Option<String>,
    back: Option<String>,
}

/// Saves the title, alt text, caption and credit.
pub async fn describe(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    path: web::Path<MediaPath>,
    form: web::Form<DescribeForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let path = path.into_inner();
    let form = form.into_inner();
    let back = back::gallery_view(form.back.as_deref());
    let seen = carried(Seen {
        title: form.seen_title,
        alt_text: form.seen_alt_text,
        caption: form.seen_caption,
        credit: form.seen_credit,
    });
    let d = Description {
        title: form.title,
        alt_text: form.alt_text,
        caption: form.caption,
        credit: form.credit,
    };
    let drafts = match app.media.describe(&user.actor(), (path.kind, path.id), &d, seen.as_ref()).await {
        Ok(_) => {
            session::flash(&user.session, "ok", "Description saved.");
            return Ok(see_other(&back::with_back(&path.url(), &back)));
        }
        // The fingerprints go back as they came: what the person saw has not changed.
        Err(MediaError::Invalid(why)) => {
            Drafts { description: Some((d, Some(why))), description_seen: seen, ..Drafts::default() }
        }
        Err(MediaError::EditConflict(clashes)) => {
            let why = MediaError::EditConflict(clashes.clone()).to_string();
            Drafts { description: Some((d, Some(why))), description_seen: seen, clashes, ..Drafts::default() }
        }
        Err(e) => return Err(e.into()),
    };
    render(&app, &settings, &user, path, back, drafts).await
}

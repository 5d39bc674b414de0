//! Adding files from links: the upload page's second form (a link a line), and the same post
//! for scripts (`link=…`, repeated, or a JSON body, with an upload token). Refused links come
//! back in the field with why, so nothing typed is lost; scripts get the upload's JSON answer
//! and refusals.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::Deserialize;

use super::selection::SelectionForm;
use super::upload::{self, FileResult, LinkForm, MAX_LINKS_PER_POST};
use crate::app::App;
use crate::auth::session;
use crate::media::{MediaError, Upload};
use crate::web::WebSettings;
use crate::web::error::WebError;
use crate::web::extract::Uploader;

/// What a post asks: the links as typed (a line each), whose, and whether to keep duplicates.
struct Asked {
    typed: String,
    owner: String,
    keep_duplicates: bool,
}

/// The same as JSON: `{"link": "…" or ["…", …], "owner": "system" or an id, "keep_duplicates"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AskedJson {
    link: OneOrMany,
    #[serde(default)]
    owner: Option<serde_json::Value>,
    #[serde(default)]
    keep_duplicates: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// Reads the form, or a JSON body (whose session, if any, sends its CSRF token as
/// `X-CSRF-Token`, as the JSON API's changes do).
fn read(req: &HttpRequest, user: &crate::web::extract::CurrentUser, body: &[u8]) -> Result<Asked, WebError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.starts_with("application/json") {
        let form = SelectionForm::read(user, body)?;
        return Ok(Asked {
            typed: form.values("link").collect::<Vec<_>>().join("\n"),
            owner: form.field("owner").unwrap_or_default().to_owned(),
            keep_duplicates: form.field("keep_duplicates") == Some("1"),
        });
    }
    user.check_csrf(req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or(""))?;
    let json: AskedJson =
        serde_json::from_slice(body).map_err(|e| WebError::BadRequest(format!("the JSON body: {e}")))?;
    Ok(Asked {
        typed: match json.link {
            OneOrMany::One(link) => link,
            OneOrMany::Many(links) => links.join("\n"),
        },
        owner: match json.owner {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(s)) => s,
            Some(other) => other.to_string(),
        },
        keep_duplicates: json.keep_duplicates,
    })
}

pub async fn submit(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    req: HttpRequest,
    Uploader(user): Uploader,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let wants_json = crate::web::context::wants_json() || user.by_token;
    let Asked { typed, owner: chosen, keep_duplicates } = read(&req, &user, &body)?;
    let owner = upload::parse_owner(&chosen, &user)?;
    if user.account.role.is_staff() && !user.by_token {
        session::set_choice(&user.session, upload::LAST_OWNER, chosen.trim());
    }
    let mut links: Vec<&str> = typed.split_whitespace().collect();
    if links.is_empty() {
        links.push("");
    }
    if links.len() > MAX_LINKS_PER_POST {
        let error = WebError::BadRequest(format!("at most {MAX_LINKS_PER_POST} links at a time"));
        if wants_json {
            return Err(error);
        }
        let again = LinkForm {
            value: typed.clone(),
            error: Some(error.to_string()),
            keep_duplicates,
            ..Default::default()
        };
        return upload::page(&app, &settings, &user, again, error.status_code()).await;
    }
    let actor = user.actor();
    let mut outcomes = Vec::with_capacity(links.len());
    for link in &links {
        let asked = Upload { refuse_duplicates: !keep_duplicates, ..Upload::new(owner, "") };
        let result = app.media.add_from_link(&actor, asked, link).await;
        if let Err(e @ MediaError::Off(_)) = result {
            return Err(e.into());
        }
        let shown = match &result {
            Ok(media) => media.filename().to_owned(),
            Err(_) => link.chars().take(200).collect(),
        };
        outcomes.push(upload::result_of(&app, &actor, shown, result).await);
    }
    if wants_json || outcomes.iter().all(|o| o.ok) {
        return upload::answer(&user, outcomes, wants_json);
    }
    // A person's refused links: the page again, those links back in the field, why above it,
    // and what was added.
    let (again, status) = refused_again(&links, outcomes, keep_duplicates);
    upload::page(&app, &settings, &user, again, status).await
}

/// The link form after some links were refused, and the status to answer with: the one
/// refusal's, or 200 when several links were posted (each says its own).
fn refused_again(links: &[&str], outcomes: Vec<FileResult>, keep_duplicates: bool) -> (LinkForm, StatusCode) {
    let several = links.len() > 1;
    let mut form = LinkForm { keep_duplicates, ..LinkForm::default() };
    let mut status = StatusCode::OK;
    let mut kept = Vec::new();
    for (link, mut outcome) in links.iter().zip(outcomes) {
        if outcome.ok {
            form.added.push((outcome.filename, outcome.url.unwrap_or_default()));
            continue;
        }
        kept.push(*link);
        if !several {
            status = outcome.error.take().map_or(StatusCode::BAD_REQUEST, |e| e.status_code());
            form.error = Some(outcome.message);
            form.existing = outcome.existing;
        } else {
            form.refused.push((link.to_string(), outcome.message, outcome.existing));
        }
    }
    if several {
        let n = kept.len();
        form.error = Some(format!("{n} of {} links were refused; they are back in the field:", links.len()));
    }
    form.value = kept.join("\n");
    (form, status)
}

//! Uploads: several files per form post, each streamed through the media service with bounded
//! memory; one refused file never sinks the others.

use actix_multipart::{Field, Multipart};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::StreamExt;
use serde::Serialize;

use crate::app::App;
use crate::auth::{csrf, session};
use crate::domain::{MediaKind, Owner};
use crate::media::{Actor, Alike, Likeness, MediaError, MediaRead, Upload};
use crate::web::error::WebError;
use crate::web::extract::{CurrentUser, Uploader};
use crate::web::view::{Choice, Layout, UsageView};
use crate::web::{WebSettings, stash};

/// Files accepted in one post; more are refused by name.
const MAX_FILES_PER_POST: usize = 100;
/// Small form fields (token, owner) are read whole, up to this size.
const MAX_TEXT_FIELD: usize = 1024;

#[derive(Template)]
#[template(path = "upload.html")]
struct UploadPage {
    layout: Layout,
    owner_choices: Vec<Choice>,
    limit_label: String,
    /// Files above this size go up in pieces of `piece_bytes` (tus).
    resumable_above: u64,
    piece_bytes: u64,
    /// The uploader's own storage and quota.
    usage: Option<UsageView>,
    /// The form that adds a file from a link, when the server fetches links.
    link: Option<LinkForm>,
    max_links: usize,
}

/// The link form as it is shown again: what was typed, and why it was refused.
#[derive(Default)]
pub(super) struct LinkForm {
    pub(super) value: String,
    pub(super) error: Option<String>,
    /// For a duplicate: the page of the item that holds the file.
    pub(super) existing: Option<String>,
    pub(super) keep_duplicates: bool,
    /// Of several links: each refused one, why, and for a duplicate the item holding the file.
    pub(super) refused: Vec<(String, String, Option<String>)>,
    /// Of several links: the files added, by name, with their pages.
    pub(super) added: Vec<(String, String)>,
}

#[derive(Serialize)]
pub(super) struct FileResult {
    pub(super) filename: String,
    pub(super) ok: bool,
    /// The new item's page.
    pub(super) url: Option<String>,
    /// The new item's document in the JSON API.
    #[serde(skip_serializing_if = "Option::is_none")]
    api_url: Option<String>,
    pub(super) message: String,
    /// For a duplicate: the page of the item that already holds the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) existing: Option<String>,
    /// Why it was refused, as a stable name (`type`, `malformed`, `size`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    /// For an image: the closest picture the uploader already sees that looks like it.
    #[serde(skip_serializing_if = "Option::is_none")]
    looks_like: Option<LooksLike>,
    /// For a sound: the closest sound the uploader already sees that holds its sound.
    #[serde(skip_serializing_if = "Option::is_none")]
    sounds_like: Option<LooksLike>,
    /// The refusal as the error a one-file request answers with.
    #[serde(skip)]
    pub(super) error: Option<WebError>,
}

impl FileResult {
    fn refused(filename: String, error: WebError) -> FileResult {
        let message = match &error {
            WebError::Unavailable(_) | WebError::Internal(_) => {
                "the server could not store it right now; nothing was saved, try again".to_owned()
            }
            e => e.to_string(),
        };
        let existing = match &error {
            WebError::Duplicate { existing, .. } => Some(existing.clone()),
            _ => None,
        };
        FileResult {
            filename,
            ok: false,
            url: None,
            api_url: None,
            existing,
            message,
            code: Some(error.code()),
            looks_like: None,
            sounds_like: None,
            error: Some(error),
        }
    }
}

/// An item already in the library that an uploaded image looks like, or a sound sounds like.
#[derive(Serialize)]
struct LooksLike {
    /// Its page.
    url: String,
    /// Its title, else its file name.
    name: String,
    /// How alike, in words.
    note: String,
    /// Images: bits the two looks differ in.
    #[serde(skip_serializing_if = "Option::is_none")]
    distance: Option<u32>,
    /// Sounds: milliseconds of sound the two share.
    #[serde(skip_serializing_if = "Option::is_none")]
    shared_ms: Option<i64>,
}

/// The closest alike of a new item among what the uploader sees. Only a hint: a lookup that
/// fails leaves the upload, which is stored, answered without it.
async fn looks_like(app: &App, actor: &Actor, (kind, id): (MediaKind, i64)) -> Option<LooksLike> {
    match app.media.look_alikes(actor, kind, id).await {
        Ok(Alike::Found(found)) => found.into_iter().next().map(|a| {
            let (distance, shared_ms) = match a.likeness {
                Likeness::Look(d) => (Some(d), None),
                Likeness::Sound(s) => (None, Some(s.ms)),
            };
            LooksLike {
                url: format!("/media/{}/{}", kind.as_str(), a.id),
                note: super::alike::how_alike(&a),
                name: a.title.unwrap_or(a.filename),
                distance,
                shared_ms,
            }
        }),
        Ok(Alike::NotLooked | Alike::Unprintable) | Err(MediaError::NotFound) => None,
        Err(e) => {
            tracing::warn!(id, error = %e, "look-alikes of an upload not found");
            None
        }
    }
}

/// The item an upload made, in the hint's address.
#[derive(serde::Deserialize)]
pub struct HintPath {
    kind: MediaKind,
    id: i64,
}

/// What an item a script sent in pieces (tus) looks or sounds like, asked once its last piece
/// is in, as a one-request upload's answer says it at once: `{"looks_like"}` or
/// `{"sounds_like"}`, or `{}` (nothing alike, or an item the user cannot see).
#[derive(Serialize)]
struct Hint {
    #[serde(skip_serializing_if = "Option::is_none")]
    looks_like: Option<LooksLike>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sounds_like: Option<LooksLike>,
}

pub async fn hint(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<HintPath>,
) -> Result<HttpResponse, WebError> {
    let like = looks_like(&app, &user.actor(), (path.kind, path.id)).await;
    let hint = match path.kind {
        MediaKind::Image => Hint { looks_like: like, sounds_like: None },
        MediaKind::Audio => Hint { looks_like: None, sounds_like: like },
    };
    Ok(HttpResponse::Ok().json(hint))
}

#[derive(Template)]
#[template(path = "upload_results.html")]
struct ResultsPage {
    layout: Layout,
    accepted: usize,
    refused: usize,
    results: Vec<FileResult>,
}

#[derive(Serialize)]
struct ResultsJson {
    results: Vec<FileResult>,
}

/// Where the link form posts (`upload_link.rs`); the stash files a signed-out post's link
/// under it.
pub(super) const LINK_ACTION: &str = "/upload/link";
/// Links fetched in one post (a line each in the form, or repeated `link` fields).
pub(super) const MAX_LINKS_PER_POST: usize = 20;

/// The session remembers the owner a staff member last uploaded for.
pub(super) const LAST_OWNER: &str = "upload_owner";

/// Staff choose whom an upload belongs to: themselves unless they chose otherwise last time;
/// the system (which everyone sees) only when picked.
async fn owner_choices(app: &App, user: &CurrentUser) -> Result<Vec<Choice>, WebError> {
    if !user.account.role.is_staff() {
        return Ok(Vec::new());
    }
    let me = user.account.id;
    let last = session::choice(&user.session, LAST_OWNER).unwrap_or_default();
    let mut choices = vec![
        Choice { value: String::new(), label: format!("Me ({})", user.account.username), selected: true },
        Choice { value: "system".into(), label: "System (everyone sees it)".into(), selected: false },
    ];
    choices.extend(
        app.accounts.list().await?.into_iter().filter(|a| !a.disabled && a.id != me).map(|a| Choice {
            value: a.id.to_string(),
            label: a.username,
            selected: false,
        }),
    );
    if choices.iter().any(|c| !c.value.is_empty() && c.value == last) {
        for c in &mut choices {
            c.selected = c.value == last;
        }
    }
    Ok(choices)
}

pub async fn form(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    // A link posted after the session ended comes back in its field.
    let kept = settings.work.take(&req, settings.clock.now(), user.account.id, LINK_ACTION);
    let link = kept.as_ref().map_or_else(LinkForm::default, |k| LinkForm {
        value: k.field("link").unwrap_or_default().to_owned(),
        keep_duplicates: k.field("keep_duplicates") == Some("1"),
        ..LinkForm::default()
    });
    let res = page(&app, &settings, &user, link, StatusCode::OK).await?;
    Ok(if kept.is_some() { stash::handed_back(res) } else { res })
}

/// The upload page, its link form as given.
pub(super) async fn page(
    app: &App,
    settings: &WebSettings,
    user: &CurrentUser,
    link: LinkForm,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let body = UploadPage {
        resumable_above: settings.resumable_above,
        piece_bytes: settings.piece_bytes,
        layout: Layout::new(&user.session, Some(&user.account), "upload"),
        owner_choices: owner_choices(app, user).await?,
        limit_label: crate::domain::human_size(app.media.settings().max_upload_bytes),
        usage: Some(app.media.usage(&user.actor(), user.account.id).await?.into()),
        link: app.media.settings().link_import.enabled.then_some(link),
        max_links: MAX_LINKS_PER_POST,
    }
    .render()?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
}

pub(super) async fn read_text(field: &mut Field) -> Result<String, WebError> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| WebError::BadRequest(e.to_string()))?;
        if buf.len() + chunk.len() > MAX_TEXT_FIELD {
            return Err(WebError::BadRequest("a form field is too long".into()));
        }
        buf.extend_from_slice(&chunk);
    }
    String::from_utf8(buf).map_err(|_| WebError::BadRequest("a form field is not text".into()))
}

/// Reads a field to its end; returns how many bytes it had.
pub(super) async fn drain(field: &mut Field) -> usize {
    let mut n = 0;
    while let Some(Ok(chunk)) = field.next().await {
        n += chunk.len();
    }
    n
}

/// The next field of a form post after its CSRF token, which comes first in the form, so that
/// nothing is read for a forged post; `csrf_ok` says whether the token was seen.
pub(super) async fn next_field(
    payload: &mut Multipart,
    user: &CurrentUser,
    csrf_ok: &mut bool,
) -> Result<Option<(String, Field)>, WebError> {
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|e| match e {
            actix_multipart::MultipartError::Payload(p) if crate::web::guard::is_idle_timeout(&p) => {
                WebError::RequestTimeout
            }
            e => WebError::BadRequest(format!("the upload could not be read: {e}")),
        })?;
        let name = field.name().unwrap_or("").to_owned();
        if user.by_token {
            // No session to forge: a token's post needs no CSRF field (and one sent is ignored).
            *csrf_ok = true;
            if name == csrf::FIELD {
                drain(&mut field).await;
                continue;
            }
            return Ok(Some((name, field)));
        }
        if name == csrf::FIELD {
            *csrf_ok = csrf::verify(&user.session, read_text(&mut field).await?.trim());
            if !*csrf_ok {
                return Err(WebError::Csrf);
            }
            continue;
        }
        if !*csrf_ok {
            return Err(WebError::Csrf);
        }
        return Ok(Some((name, field)));
    }
    Ok(None)
}

pub fn parse_owner(value: &str, user: &CurrentUser) -> Result<Owner, WebError> {
    match value.trim() {
        "system" => Ok(Owner::System),
        "" => Ok(Owner::User(user.account.id)),
        id => id.parse().map(Owner::User).map_err(|_| WebError::BadRequest("unknown owner".into())),
    }
}

/// Feeds one multipart field into the media service. The field is read in this task (it is
/// not `Send`) and handed over through a small channel, so at most a few chunks are in memory.
async fn upload_field(
    app: &App,
    actor: &Actor,
    owner: Owner,
    (announced, keep_duplicates): (Option<u64>, bool),
    field: &mut Field,
) -> FileResult {
    let raw = field.content_disposition().and_then(|cd| cd.get_filename()).unwrap_or("");
    let filename = crate::media::filename::from_multipart(raw);
    let declared = field.content_type().map(|m| m.essence_str().to_owned());
    let (body, pump) = crate::web::relay::relay(field);
    let upload = Upload {
        declared_type: declared,
        announced_size: announced,
        refuse_duplicates: !keep_duplicates,
        ..Upload::new(owner, &filename)
    };
    let upload = app.media.upload(actor, upload, body);
    let (result, ()) = futures_util::join!(upload, pump);
    result_of(app, actor, crate::media::filename::clean(&filename), result).await
}

/// An upload's outcome as its answer lists it, under the name `shown`.
pub(super) async fn result_of(
    app: &App,
    actor: &Actor,
    shown: String,
    result: Result<MediaRead, MediaError>,
) -> FileResult {
    match result {
        Ok(media) => FileResult {
            filename: shown,
            ok: true,
            url: Some(format!("/media/{}/{}", media.kind(), media.id())),
            api_url: Some(format!("/api/v1/media/{}/{}", media.kind(), media.id())),
            existing: None,
            message: "accepted".into(),
            code: None,
            looks_like: match media.kind() {
                MediaKind::Image => looks_like(app, actor, (MediaKind::Image, media.id())).await,
                MediaKind::Audio => None,
            },
            sounds_like: match media.kind() {
                MediaKind::Audio => looks_like(app, actor, (MediaKind::Audio, media.id())).await,
                MediaKind::Image => None,
            },
            error: None,
        },
        Err(e) => {
            if !e.is_client_error() {
                tracing::error!(error = %e, "upload failed");
            }
            FileResult::refused(shown, e.into())
        }
    }
}

pub async fn submit(
    app: web::Data<App>,
    Uploader(user): Uploader,
    mut payload: Multipart,
) -> Result<HttpResponse, WebError> {
    let wants_json = crate::web::context::wants_json();
    let actor = user.actor();
    let mut csrf_ok = user.by_token;
    let mut owner = Owner::User(user.account.id);
    let mut results = Vec::new();
    let mut announced: Option<u64> = None;
    let mut keep_duplicates = false;
    while let Some((name, mut field)) = next_field(&mut payload, &user, &mut csrf_ok).await? {
        match name.as_str() {
            "owner" => {
                let value = read_text(&mut field).await?;
                owner = parse_owner(&value, &user)?;
                if user.account.role.is_staff() && !user.by_token {
                    session::set_choice(&user.session, LAST_OWNER, value.trim());
                }
            }
            // The JavaScript uploader announces each file's size just before it.
            "size" => announced = read_text(&mut field).await?.trim().parse().ok(),
            "keep_duplicates" => keep_duplicates = read_text(&mut field).await?.trim() == "1",
            "file" => {
                let announced = announced.take();
                let has_name = field
                    .content_disposition()
                    .and_then(|cd| cd.get_filename())
                    .is_some_and(|n| !n.is_empty());
                if !has_name {
                    // An empty file input has no name and no bytes; bytes without a name (a
                    // script's post) are refused, as there would be nothing to call them.
                    if drain(&mut field).await > 0 {
                        let error = MediaError::Name("the file has no name".into());
                        results.push(FileResult::refused(String::new(), error.into()));
                    }
                } else if results.len() >= MAX_FILES_PER_POST {
                    let filename = field.content_disposition().and_then(|cd| cd.get_filename()).unwrap_or("");
                    let filename = crate::media::filename::from_multipart(filename);
                    drain(&mut field).await;
                    let error =
                        WebError::BadRequest(format!("at most {MAX_FILES_PER_POST} files per upload"));
                    results.push(FileResult::refused(filename, error));
                } else {
                    let how = (announced, keep_duplicates);
                    results.push(upload_field(&app, &actor, owner, how, &mut field).await);
                }
            }
            _ => {
                drain(&mut field).await;
            }
        }
    }
    if !csrf_ok {
        return Err(WebError::Csrf);
    }
    if results.is_empty() {
        return Err(WebError::BadRequest("Choose at least one file to upload.".into()));
    }
    answer(&user, results, wants_json)
}

/// The answer to an upload: JSON with a result each, or the results page; one file refused
/// answers that refusal's status, as JSON or an error page.
pub(super) fn answer(
    user: &CurrentUser,
    mut results: Vec<FileResult>,
    wants_json: bool,
) -> Result<HttpResponse, WebError> {
    // One file refused: the request answers that refusal's status, as JSON or an error page.
    if let [FileResult { ok: false, error, .. }] = &mut results[..]
        && let Some(error) = error.take()
    {
        return Err(error);
    }
    if wants_json {
        return Ok(HttpResponse::Ok().json(ResultsJson { results }));
    }
    let accepted = results.iter().filter(|r| r.ok).count();
    let body = ResultsPage {
        layout: Layout::new(&user.session, Some(&user.account), "upload"),
        accepted,
        refused: results.len() - accepted,
        results,
    }
    .render()?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

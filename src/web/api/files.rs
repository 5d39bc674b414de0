//! What the API does to an item's file: puts another in its place (`PUT …/file`, the request's
//! body as it is, as `curl -T` sends it), turns or crops a photo (`POST …/turn`, `…/crop`),
//! lists the files it had (`GET …/versions`) and rolls back to one
//! (`POST …/versions/{version}/restore`), and lists the images that look like it
//! (`GET …/alike`). They are the detail page's Replace, turn, crop, roll back and "Looks like":
//! the item keeps its address, description, tags, collections and share links, the file it had
//! becomes a version to roll back to, and its old signed links stop working. A replace takes a
//! token of both the upload and the edit scope (it brings a file and changes an item); a turn,
//! a crop and a roll back, the edit scope; the lists, the read scope.

use actix_web::http::header::{self, ContentDisposition};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::body::object;
use super::json::time;
use super::media::{ItemPath, bad, item};
use crate::app::App;
use crate::domain::{Aspect, Crop, MediaKind, Owner, Turn};
use crate::media::{Alike, Likeness, LookAlike, Upload, VersionRead};
use crate::web::WebSettings;
use crate::web::error::WebError;
use crate::web::extract::{Editor, Reader, Replacer};

/// The file's name from `Content-Disposition` (`filename*` first); empty: keep the item's.
fn filename_of(req: &HttpRequest) -> String {
    let Some(cd) = req.headers().get(header::CONTENT_DISPOSITION) else {
        return String::new();
    };
    let Ok(cd) = ContentDisposition::from_raw(cd) else {
        return String::new();
    };
    let utf8 = cd.get_filename_ext().and_then(|v| String::from_utf8(v.value.clone()).ok());
    utf8.or_else(|| cd.get_filename().map(str::to_owned)).unwrap_or_default()
}

/// Bytes of a JSON body read at most (a link and its field name).
const MAX_LINK_BODY: usize = 16 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkJson {
    link: String,
}

/// Puts the request's body in place of the item's file, or, for a JSON body `{"link": …}`, what
/// the link answers (no media type is JSON, so the two cannot be mistaken); answers the item's
/// document.
pub async fn replace(
    Replacer(user): Replacer,
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    path: web::Path<ItemPath>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, WebError> {
    let headers = req.headers();
    let declared = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if declared.as_deref().is_some_and(|t| t.trim_start().starts_with("application/json")) {
        let mut body = body;
        let mut json = Vec::new();
        while let Some(chunk) = futures_util::StreamExt::next(&mut body).await {
            let chunk = chunk.map_err(|e| bad(&format!("The body could not be read: {e}")))?;
            if json.len() + chunk.len() > MAX_LINK_BODY {
                return Err(bad("The JSON is too long: send {\"link\": \"https://…\"}"));
            }
            json.extend_from_slice(&chunk);
        }
        let value =
            serde_json::from_slice(&json).map_err(|e| bad(&format!("The JSON could not be read: {e}")))?;
        let b: LinkJson = object(value, "{\"link\": \"https://…\"}")?;
        app.media.replace_from_link(&user.actor(), (path.kind, path.id), &b.link).await?;
        return item(app, settings, Reader(user), path).await;
    }
    let announced = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    // The owner is the item's; the service sets it.
    let upload = Upload {
        declared_type: declared,
        announced_size: announced,
        ..Upload::new(Owner::System, filename_of(&req))
    };
    let (stream, pump) = crate::web::relay::relay(body);
    let actor = user.actor();
    let replaced = app.media.replace(&actor, (path.kind, path.id), upload, stream);
    let (result, ()) = futures_util::join!(replaced, pump);
    result?;
    item(app, settings, Reader(user), path).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TurnJson {
    turn: String,
}

/// Turns or mirrors a photo (`left`, `right`, `half`, `mirror`) without re-encoding it;
/// answers the item's document.
pub async fn turn(
    Editor(user): Editor,
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    path: web::Path<ItemPath>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, WebError> {
    let b: TurnJson = object(body.into_inner(), "{\"turn\": \"left\"}")?;
    let turn: Turn = b.turn.parse().map_err(|e: String| bad(&format!("turn: {e}")))?;
    app.media.turn(&user.actor(), (path.kind, path.id), turn).await?;
    item(app, settings, Reader(user), path).await
}

/// A crop to a shape, cut around the focal point.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShapeJson {
    aspect: Aspect,
}

/// Cuts a photo to a rectangle of it as shown, or to the largest part of a shape around its
/// focal point, without re-encoding it (a JPEG's may take in up to 15 more pixels at the edge
/// its stored image starts from); answers the item's document.
pub async fn crop(
    Editor(user): Editor,
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    path: web::Path<ItemPath>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, WebError> {
    let (body, item_id) = (body.into_inner(), (path.kind, path.id));
    if body.get("aspect").is_some() {
        let ShapeJson { aspect } = object(body, "{\"aspect\": \"16:9\"}")?;
        app.media.crop_to(&user.actor(), item_id, aspect).await?;
    } else {
        let example = "{\"left\": 0, \"top\": 0, \"width\": 640, \"height\": 480} or {\"aspect\": \"16:9\"}";
        let crop: Crop = object(body, example)?;
        app.media.crop(&user.actor(), item_id, crop).await?;
    }
    item(app, settings, Reader(user), path).await
}

/// An earlier file of an item, as the API shows it.
#[derive(Serialize)]
struct VersionJson {
    id: i64,
    filename: String,
    content_type: String,
    byte_size: i64,
    /// The account that uploaded that file (`null`: the command line, or gone).
    uploaded_by: Option<i64>,
    /// The account whose replace, turn or roll back set it aside.
    replaced_by: Option<i64>,
    replaced_at: String,
    /// When it goes for good.
    purge_at: String,
    /// What set it aside: `replace`, `turn`, `crop` or `roll_back`.
    how: &'static str,
}

impl From<VersionRead> for VersionJson {
    fn from(v: VersionRead) -> Self {
        VersionJson {
            id: v.id,
            filename: v.filename,
            content_type: v.content_type,
            byte_size: v.byte_size,
            uploaded_by: v.uploaded_by,
            replaced_by: v.replaced_by,
            replaced_at: time(v.replaced_at),
            purge_at: time(v.purge_at),
            how: v.how.as_str(),
        }
    }
}

#[derive(Serialize)]
struct VersionsJson {
    versions: Vec<VersionJson>,
}

/// An item's earlier files, the most recently set aside first.
pub async fn versions(
    Reader(user): Reader,
    app: web::Data<App>,
    path: web::Path<ItemPath>,
) -> Result<HttpResponse, WebError> {
    let listed = app.media.versions(&user.actor(), (path.kind, path.id)).await?;
    Ok(HttpResponse::Ok()
        .json(VersionsJson { versions: listed.into_iter().map(VersionJson::from).collect() }))
}

#[derive(Deserialize)]
pub struct VersionPath {
    kind: MediaKind,
    id: i64,
    version: i64,
}

/// Puts an earlier file back in place; the file it has now becomes a version. Answers the
/// item's document.
pub async fn roll_back(
    Editor(user): Editor,
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    path: web::Path<VersionPath>,
) -> Result<HttpResponse, WebError> {
    let VersionPath { kind, id, version } = path.into_inner();
    app.media.restore_version(&user.actor(), (kind, id), version).await?;
    item(app, settings, Reader(user), web::Path::from(ItemPath { kind, id })).await
}

#[derive(Serialize)]
struct AlikeJson {
    /// Whether the item has been looked at or listened to (`false`: stored by an older
    /// version, until `mediadesk backfill`).
    looked: bool,
    /// Sounds: `false` when too short or too quiet to compare (images: always `true`).
    comparable: bool,
    items: Vec<LookAlikeJson>,
}

#[derive(Serialize)]
struct LookAlikeJson {
    id: i64,
    url: String,
    filename: String,
    title: Option<String>,
    /// `null`: system media.
    owner_id: Option<i64>,
    /// Images: the look-alike's thumbnail.
    #[serde(skip_serializing_if = "Option::is_none")]
    thumbnail_url: Option<String>,
    /// Images: bits the two looks differ in, 0 to 8.
    #[serde(skip_serializing_if = "Option::is_none")]
    distance: Option<u32>,
    /// Sounds: milliseconds of sound the two share (within the first two minutes of each).
    #[serde(skip_serializing_if = "Option::is_none")]
    shared_ms: Option<i64>,
    /// Sounds: whether that is (nearly) all of both: the same recording.
    #[serde(skip_serializing_if = "Option::is_none")]
    whole: Option<bool>,
    same_file: bool,
    /// Whether someone said the two are not duplicates (the groups keep them apart).
    kept_apart: bool,
}

impl LookAlikeJson {
    fn new(kind: MediaKind, a: LookAlike) -> Self {
        let (distance, sound) = match a.likeness {
            Likeness::Look(d) => (Some(d), None),
            Likeness::Sound(s) => (None, Some(s)),
        };
        LookAlikeJson {
            url: format!("/api/v1/media/{}/{}", kind.as_str(), a.id),
            id: a.id,
            filename: a.filename,
            title: a.title,
            owner_id: a.owner.id(),
            thumbnail_url: a.thumb_url,
            distance,
            shared_ms: sound.map(|s| s.ms),
            whole: sound.map(|s| s.whole),
            same_file: a.same_file,
            kept_apart: a.kept_apart,
        }
    }
}

/// The items the reader sees that look (images) or sound (audio) like an item, the closest
/// first.
pub async fn alike(
    Reader(user): Reader,
    app: web::Data<App>,
    path: web::Path<ItemPath>,
) -> Result<HttpResponse, WebError> {
    let (looked, comparable, items) = match app.media.look_alikes(&user.actor(), path.kind, path.id).await? {
        Alike::Found(items) => (true, true, items),
        Alike::NotLooked => (false, true, Vec::new()),
        Alike::Unprintable => (true, false, Vec::new()),
    };
    let items = items.into_iter().map(|a| LookAlikeJson::new(path.kind, a)).collect();
    Ok(HttpResponse::Ok().json(AlikeJson { looked, comparable, items }))
}

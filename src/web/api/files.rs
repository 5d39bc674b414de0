//! What the API does to an item's file: puts another in its place (`PUT …/file`, the request's
//! body as it is, as `curl -T` sends it) and turns a photo (`POST …/turn`). Both are the
//! detail page's Replace and turn buttons: the item keeps its address, description, tags,
//! collections and share links, the file it had becomes a version to roll back to, and its old
//! signed links stop working. A replace takes a token of both the upload and the edit scope
//! (it brings a file and changes an item); a turn, the edit scope.

use actix_web::http::header::{self, ContentDisposition};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::body::object;
use super::media::{ItemPath, bad, item};
use crate::app::App;
use crate::domain::{Owner, Turn};
use crate::media::Upload;
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

/// Puts the request's body in place of the item's file; answers the item's document.
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

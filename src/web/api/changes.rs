//! What the API changes: an item's description, transcript, focal point, tags and collections
//! (`PATCH`, a token of the edit scope), its delete and its restore from the trash (a token of
//! the delete scope). Each answers with what it did or the item's document, so a script need not read
//! again (and a token that may only change need not be able to read).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::body::{object, present};
use super::media::{ItemPath, item};
use crate::app::App;
use crate::domain::{Focal, MediaKind};
use crate::media::ItemPatch;
use crate::web::WebSettings;
use crate::web::error::WebError;
use crate::web::extract::{Deleter, Editor, Reader};

/// A change as JSON: a field left out stays as it is; `null` or `""` clears it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchJson {
    #[serde(default, deserialize_with = "present")]
    title: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    alt_text: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    caption: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    credit: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    transcript: Option<Option<String>>,
    /// `{"x": 0.4, "y": 0.3}`, fractions of the picture as shown.
    #[serde(default, deserialize_with = "present")]
    focal_point: Option<Option<Focal>>,
    #[serde(default)]
    tags_add: Vec<String>,
    #[serde(default)]
    tags_remove: Vec<String>,
    #[serde(default)]
    collections_add: Vec<i64>,
    #[serde(default)]
    collections_remove: Vec<i64>,
}

/// Changes an item's description, transcript and tags in one go; answers the item as
/// `GET` would.
pub async fn patch(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    Editor(user): Editor,
    path: web::Path<ItemPath>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, WebError> {
    let b: PatchJson = object(body.into_inner(), "{\"alt_text\": \"Boats at dawn\"}")?;
    let change = ItemPatch {
        title: b.title,
        alt_text: b.alt_text,
        caption: b.caption,
        credit: b.credit,
        transcript: b.transcript,
        focal: b.focal_point,
        tags_add: b.tags_add,
        tags_remove: b.tags_remove,
        collections_add: b.collections_add,
        collections_remove: b.collections_remove,
    };
    app.media.patch_item(&user.actor(), (path.kind, path.id), &change).await?;
    item(app, settings, Reader(user), path).await
}

/// What a delete did.
#[derive(Serialize)]
struct DeletedJson {
    kind: MediaKind,
    id: i64,
    /// In the trash until `trashed_until` (its page restores it); `false`: deleted for good.
    trashed: bool,
    trashed_until: Option<String>,
}

/// Deletes an item one manages: to the trash when there is one (`MEDIADESK_TRASH_DAYS`).
pub async fn delete(
    Deleter(user): Deleter,
    app: web::Data<App>,
    path: web::Path<ItemPath>,
) -> Result<HttpResponse, WebError> {
    let done = app.media.delete(&user.actor(), path.kind, path.id).await?;
    let until = done.trashed_until.map(|t| t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    Ok(HttpResponse::Ok().json(DeletedJson {
        kind: path.kind,
        id: path.id,
        trashed: until.is_some(),
        trashed_until: until,
    }))
}

/// Brings an item the account deleted back from the trash; answers its document.
pub async fn restore(
    Deleter(user): Deleter,
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    path: web::Path<ItemPath>,
) -> Result<HttpResponse, WebError> {
    app.media.restore(&user.actor(), path.kind, path.id).await?;
    item(app, settings, Reader(user), path).await
}

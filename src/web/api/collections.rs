//! Collections through the API: made, renamed, moved and deleted by a token of the edit scope
//! (which already files items into them), as the Collections pages do. Deleting one deletes its
//! sub-collections too; the media in them stay where they are.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::body::{object, present};
use super::json::Links;
use super::media::{bad, names};
use crate::app::App;
use crate::domain::Owner;
use crate::web::WebSettings;
use crate::web::error::WebError;
use crate::web::extract::Editor;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCollectionJson {
    name: String,
    #[serde(default)]
    parent_id: Option<i64>,
    /// `mine` (the default) or `system` (staff).
    #[serde(default)]
    owner: Option<String>,
}

/// Makes a collection (inside `parent_id`, of the same owner, when given); 201 with it.
pub async fn create(
    Editor(user): Editor,
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, WebError> {
    let b: NewCollectionJson = object(body.into_inner(), "{\"name\": \"Harbour\"}")?;
    let owner = match b.owner.as_deref() {
        None | Some("mine") => Owner::User(user.account.id),
        Some("system") => Owner::System,
        Some(_) => return Err(bad("owner: mine or system")),
    };
    let made = app.media.create_collection(&user.actor(), owner, b.parent_id, &b.name).await?;
    let names = names(&app, &user).await?;
    let links = Links { settings: &settings, names: &names };
    Ok(HttpResponse::Created().json(links.collection(made)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CollectionPatchJson {
    #[serde(default)]
    name: Option<String>,
    /// Another collection of the same owner; `null`: to the top.
    #[serde(default, deserialize_with = "present")]
    parent_id: Option<Option<i64>>,
}

/// Renames a collection one manages and moves it, either or both, all or nothing.
pub async fn change(
    Editor(user): Editor,
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    id: web::Path<i64>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, WebError> {
    let b: CollectionPatchJson = object(body.into_inner(), "{\"name\": \"Harbour\"}")?;
    let (name, parent) = (b.name.as_deref(), b.parent_id);
    let (actor, id) = (user.actor(), id.into_inner());
    app.media.change_collection(&actor, id, name, parent).await?;
    let changed = app.media.collection(&actor, id).await?.collection;
    let names = names(&app, &user).await?;
    let links = Links { settings: &settings, names: &names };
    Ok(HttpResponse::Ok().json(links.collection(changed)))
}

#[derive(Serialize)]
struct DeletedJson {
    id: i64,
    deleted: bool,
}

/// Deletes a collection one manages and its sub-collections; their media stay.
pub async fn delete(
    Editor(user): Editor,
    app: web::Data<App>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let gone = app.media.delete_collection(&user.actor(), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(DeletedJson { id: gone.id, deleted: true }))
}

//! `GET /api/v1/alike-groups`: the Duplicates page's second tab for a script — every group of
//! look-alike pictures and sound-alike sounds among what the reader manages, the one most worth
//! keeping first — and its buttons: keep some and delete the rest still alike them (the delete
//! scope), or say a group is not duplicates and take that back (the edit scope).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::body::object;
use super::json::time;
use super::media::bad;
use crate::app::App;
use crate::domain::MediaKind;
use crate::media::{AlikeGroup, AlikeMember};
use crate::web::error::WebError;
use crate::web::extract::{Deleter, Editor, Reader};

#[derive(Serialize)]
struct GroupsJson {
    groups: Vec<GroupJson>,
}

#[derive(Serialize)]
struct GroupJson {
    kind: &'static str,
    items: Vec<MemberJson>,
    /// Items of the group past the 24 listed.
    more: usize,
}

#[derive(Serialize)]
struct MemberJson {
    id: i64,
    url: String,
    filename: String,
    title: Option<String>,
    /// `null`: system media.
    owner_id: Option<i64>,
    created_at: String,
    byte_size: i64,
    /// Images: a signed link to the thumbnail.
    #[serde(skip_serializing_if = "Option::is_none")]
    thumbnail_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    width: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<i32>,
    /// Sounds: their length.
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ms: Option<i64>,
    /// Whether it holds the very same file as the group's first.
    same_file: bool,
}

impl GroupJson {
    fn new(g: AlikeGroup) -> Self {
        let kind = g.kind.as_str();
        let member = |m: AlikeMember| MemberJson {
            url: format!("/api/v1/media/{kind}/{}", m.id),
            id: m.id,
            filename: m.filename,
            title: m.title,
            owner_id: m.owner.id(),
            created_at: time(m.created_at),
            byte_size: m.byte_size,
            thumbnail_url: m.thumb_url,
            width: m.pixels.map(|p| p.0),
            height: m.pixels.map(|p| p.1),
            duration_ms: m.pixels.is_none().then_some(m.duration_ms),
            same_file: m.same_file,
        };
        GroupJson { kind, more: g.more, items: g.items.into_iter().map(member).collect() }
    }
}

pub async fn alike_groups(Reader(user): Reader, app: web::Data<App>) -> Result<HttpResponse, WebError> {
    let groups = app.media.alike_groups(&user.actor()).await?;
    Ok(HttpResponse::Ok().json(GroupsJson { groups: groups.into_iter().map(GroupJson::new).collect() }))
}

/// A group as a script names it back: its kind and its items' ids.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupBody {
    kind: MediaKind,
    items: Vec<i64>,
    /// `keep` only: the items kept.
    #[serde(default)]
    keep: Vec<i64>,
}

const GROUP_EXAMPLE: &str = "{\"kind\": \"image\", \"items\": [12, 40]}";

/// A group to keep apart or join again: `keep` belongs to `…/keep` only.
fn whole_group(body: serde_json::Value) -> Result<GroupBody, WebError> {
    let b: GroupBody = object(body, GROUP_EXAMPLE)?;
    if !b.keep.is_empty() {
        return Err(bad("keep: a group kept apart or joined again keeps all its items"));
    }
    Ok(b)
}

#[derive(Serialize)]
struct KeptJson {
    /// Items deleted (to the trash, when there is one), in the order named.
    gone: Vec<i64>,
    /// Items left because they are not (or no longer) alike a kept one, or not the caller's.
    left: usize,
    /// Whether the gone are in the trash (and can be restored) or deleted for good.
    in_trash: bool,
}

/// Keeps `keep` of a group's `items` and deletes the others still alike a kept one, as the
/// page's first button does.
pub async fn keep_alike(
    Deleter(user): Deleter,
    app: web::Data<App>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, WebError> {
    let example = "{\"kind\": \"image\", \"keep\": [12], \"items\": [12, 40]}";
    let b: GroupBody = object(body.into_inner(), example)?;
    let kept = app.media.keep_alike(&user.actor(), b.kind, &b.keep, &b.items).await?;
    let in_trash = app.media.keeps_trash();
    Ok(HttpResponse::Ok().json(KeptJson { gone: kept.gone, left: kept.left, in_trash }))
}

#[derive(Serialize)]
struct ApartJson {
    kind: MediaKind,
    /// How many items were named (each once).
    items: usize,
    /// Whether they are now kept apart (`apart`) or may be grouped again (`alike-again`).
    kept_apart: bool,
}

/// Says a group's items are not duplicates: the groups join none of them again.
pub async fn keep_apart(
    Editor(user): Editor,
    app: web::Data<App>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, WebError> {
    let b = whole_group(body.into_inner())?;
    let items = app.media.keep_all_alike(&user.actor(), b.kind, &b.items).await?;
    Ok(HttpResponse::Ok().json(ApartJson { kind: b.kind, items, kept_apart: true }))
}

/// Takes back `apart` for every pair of these items: the groups join them where they are alike.
pub async fn alike_again(
    Editor(user): Editor,
    app: web::Data<App>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, WebError> {
    let b = whole_group(body.into_inner())?;
    let items = app.media.alike_again(&user.actor(), b.kind, &b.items).await?;
    Ok(HttpResponse::Ok().json(ApartJson { kind: b.kind, items, kept_apart: false }))
}

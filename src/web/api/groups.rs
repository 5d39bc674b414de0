//! `GET /api/v1/alike-groups`: the Duplicates page's second tab for a script — every group of
//! look-alike pictures and sound-alike sounds among what the reader manages, the one most worth
//! keeping first. A script deletes the rest through `DELETE /api/v1/media/{kind}/{id}`.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::json::time;
use crate::app::App;
use crate::media::{AlikeGroup, AlikeMember};
use crate::web::error::WebError;
use crate::web::extract::Reader;

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

//! What the API reads: `/api/v1/media`, `/api/v1/media/{kind}/{id}`, `/api/v1/collections`
//! (all, or one with its place in the tree) and `/api/v1/tags`. A listing takes the galleries'
//! filters by the same names, but strictly: a parameter it does not know, or a value outside
//! its list, is a 400 naming it, where a page would quietly show everything (a script with a
//! typo should not walk the whole library believing it filtered).

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::json::{Around, CollectionJson, ItemJson, Links};
use crate::app::App;
use crate::domain::{GalleryQuery, GallerySort, KindFilter, MediaKind, Only, OwnerFilter};
use crate::http_text::percent_encode;
use crate::web::WebSettings;
use crate::web::error::WebError;
use crate::web::extract::{CurrentUser, Reader};

/// Items per listing unless `per` says otherwise, and the most it may say.
const DEFAULT_PER: u32 = 50;
const MAX_PER: u32 = 100;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    q: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    owner: Option<String>,
    tags: Option<String>,
    only: Option<String>,
    /// These two are read as text, so that a refusal names them (serde's would not).
    collection: Option<String>,
    sort: Option<String>,
    after: Option<String>,
    per: Option<String>,
}

#[derive(Serialize)]
struct ListJson {
    items: Vec<ItemJson>,
    /// Items matching on all pages (for a search, counted up to a cap: see the next field).
    total: i64,
    total_is_lower_bound: bool,
    /// The next page's address (`null` on the last), and its cursor alone.
    next: Option<String>,
    next_cursor: Option<String>,
}

pub(super) fn bad(what: &str) -> WebError {
    WebError::BadRequest(what.to_owned())
}

/// Usernames the reader may see: all for staff, its own for anyone else.
pub(super) async fn names(app: &App, user: &CurrentUser) -> Result<Arc<HashMap<i64, String>>, WebError> {
    if user.account.role.is_staff() {
        Ok(app.accounts.usernames().await?)
    } else {
        Ok(Arc::new(HashMap::from([(user.account.id, user.account.username.clone())])))
    }
}

/// `owner=`: `mine`, `system`, an account's id (staff, or one's own), or nothing for everything
/// the reader may see.
fn owner_filter(raw: Option<&str>, user: &CurrentUser) -> Result<OwnerFilter, WebError> {
    let me = user.account.id;
    let staff = user.account.role.is_staff();
    match raw.unwrap_or("") {
        "" if staff => Ok(OwnerFilter::Any),
        "" => Ok(OwnerFilter::Visible(me)),
        "mine" => Ok(OwnerFilter::User(me)),
        "system" => Ok(OwnerFilter::System),
        id => match id.parse::<i64>() {
            Ok(id) if id == me => Ok(OwnerFilter::User(me)),
            Ok(id) if staff => Ok(OwnerFilter::User(id)),
            Ok(_) => Err(WebError::Forbidden("Only staff list another account's media.".into())),
            Err(_) => Err(bad("owner: mine, system or an account's id")),
        },
    }
}

fn query_of(p: &ListParams, user: &CurrentUser, tags: Vec<i64>) -> Result<GalleryQuery, WebError> {
    let kind = match p.kind.as_deref().unwrap_or("") {
        "" => KindFilter::Any,
        k => match k.parse::<MediaKind>() {
            Ok(MediaKind::Image) => KindFilter::Image,
            Ok(MediaKind::Audio) => KindFilter::Audio,
            Err(_) => return Err(bad("type: image or audio")),
        },
    };
    let only = match p.only.as_deref().unwrap_or("") {
        "" => None,
        o => Some(Only::parse(o).ok_or_else(|| {
            let names: Vec<&str> = Only::ALL.iter().map(|o| o.as_str()).collect();
            bad(&format!("only: one of {}", names.join(", ")))
        })?),
    };
    let search = p.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(str::to_owned);
    let sort = match p.sort.as_deref().unwrap_or("") {
        "" => GallerySort::for_view(None, search.is_some()),
        "relevance" if search.is_none() => return Err(bad("sort: relevance ranks a search (q)")),
        s => GallerySort::ALL.into_iter().find(|o| o.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = GallerySort::ALL.iter().map(|o| o.as_str()).collect();
            bad(&format!("sort: one of {}", names.join(", ")))
        })?,
    };
    let per = match p.per.as_deref() {
        None | Some("") => DEFAULT_PER,
        Some(n) => n
            .parse()
            .ok()
            .filter(|n| (1..=MAX_PER).contains(n))
            .ok_or_else(|| bad(&format!("per: 1 to {MAX_PER}")))?,
    };
    let collection = match p.collection.as_deref() {
        None | Some("") => None,
        Some(id) => Some(id.parse().map_err(|_| bad("collection: a collection's id"))?),
    };
    Ok(GalleryQuery {
        owner: owner_filter(p.owner.as_deref(), user)?,
        kind,
        tags,
        only,
        collection,
        search,
        sort,
        cursor: p.after.clone().filter(|a| !a.is_empty()),
        backwards: false,
        per_page: per,
    })
}

/// The listing's own address with `after` moved on: every other parameter as it came.
fn next_url(settings: &WebSettings, p: &ListParams, cursor: &str) -> String {
    let text = [
        ("q", p.q.as_deref()),
        ("type", p.kind.as_deref()),
        ("owner", p.owner.as_deref()),
        ("tags", p.tags.as_deref()),
        ("only", p.only.as_deref()),
        ("sort", p.sort.as_deref()),
        ("collection", p.collection.as_deref()),
        ("per", p.per.as_deref()),
    ];
    let mut pairs: Vec<String> = text
        .iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| format!("{k}={}", percent_encode(v))))
        .collect();
    pairs.push(format!("after={}", percent_encode(cursor)));
    settings.absolute_url(&format!("/api/v1/media?{}", pairs.join("&")))
}

/// A page of the media the reader may see, newest first unless `sort` says otherwise.
pub async fn list(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    Reader(user): Reader,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, WebError> {
    let p = params.into_inner();
    let tags = app.media.tag_filter(p.tags.as_deref().unwrap_or("")).await?;
    let query = query_of(&p, &user, tags)?;
    let page = app.media.gallery(&user.actor(), &query).await?;
    let names = names(&app, &user).await?;
    let links = Links { settings: &settings, names: &names };
    Ok(HttpResponse::Ok().json(ListJson {
        next: page.next_cursor.as_deref().map(|c| next_url(&settings, &p, c)),
        next_cursor: page.next_cursor,
        total: page.total,
        total_is_lower_bound: page.total_is_lower_bound,
        items: page.items.into_iter().map(|i| links.listed(i)).collect(),
    }))
}

#[derive(Deserialize)]
pub struct ItemPath {
    pub(super) kind: MediaKind,
    pub(super) id: i64,
}

/// One item the reader may see, with its tags, collections, regions and signed file links.
pub async fn item(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    Reader(user): Reader,
    path: web::Path<ItemPath>,
) -> Result<HttpResponse, WebError> {
    let (actor, at) = (user.actor(), (path.kind, path.id));
    let detail = app.media.detail(&actor, path.kind, path.id).await?;
    let regions = match path.kind {
        MediaKind::Audio => app.media.regions(&actor, path.id).await?,
        MediaKind::Image => Vec::new(),
    };
    let around = Around {
        tags: app.media.tags_of(&actor, at).await?,
        collections: app.media.collections_of(&actor, at).await?,
        regions,
    };
    let names = names(&app, &user).await?;
    let links = Links { settings: &settings, names: &names };
    Ok(HttpResponse::Ok().json(links.detail(detail, around)))
}

#[derive(Serialize)]
struct TagsJson<'a> {
    tags: &'a [String],
}

/// The tags on media the reader may see, by name (the first 200 in name order), for `tags=`.
pub async fn tags(app: web::Data<App>, Reader(user): Reader) -> Result<HttpResponse, WebError> {
    let names = app.media.tag_suggestions(&user.actor()).await?;
    Ok(HttpResponse::Ok().json(TagsJson { tags: &names }))
}

#[derive(Serialize)]
struct CollectionsJson {
    collections: Vec<CollectionJson>,
}

/// Every collection the reader may see, each under its parent.
pub async fn collections(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    Reader(user): Reader,
) -> Result<HttpResponse, WebError> {
    let listed = app.media.collections(&user.actor()).await?;
    let names = names(&app, &user).await?;
    let links = Links { settings: &settings, names: &names };
    Ok(HttpResponse::Ok()
        .json(CollectionsJson { collections: listed.into_iter().map(|c| links.collection(c)).collect() }))
}

#[derive(Serialize)]
struct CollectionDetailJson {
    #[serde(flatten)]
    collection: CollectionJson,
    /// From the top down to its parent.
    path: Vec<CollectionJson>,
    /// Its sub-collections, by name.
    children: Vec<CollectionJson>,
}

/// One collection the reader may see, with where it sits and what is under it.
pub async fn collection(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    Reader(user): Reader,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let found = app.media.collection(&user.actor(), id.into_inner()).await?;
    let names = names(&app, &user).await?;
    let links = Links { settings: &settings, names: &names };
    let all = |v: Vec<_>| v.into_iter().map(|c| links.collection(c)).collect();
    Ok(HttpResponse::Ok().json(CollectionDetailJson {
        collection: links.collection(found.collection),
        path: all(found.path),
        children: all(found.children),
    }))
}

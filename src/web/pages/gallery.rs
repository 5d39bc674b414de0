//! The galleries: everything a user may see, system media, one user's media; plus bulk delete.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::signin::see_other;
use crate::app::App;
use crate::auth::session;
use crate::domain::{GalleryQuery, GallerySort, KindFilter, MediaKind, Owner, OwnerFilter};
use crate::http_text::percent_encode;
use crate::media::GalleryItem;
use crate::media::file::{thumbnail, waveform};
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::{self, Choice, Layout};

const PER_PAGE: u32 = 48;

/// A gallery address's query string, as typed; parsed into a [`GalleryQuery`].
#[derive(Deserialize, Default)]
pub struct GalleryParams {
    q: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    owner: Option<String>,
    sort: Option<String>,
    after: Option<String>,
    before: Option<String>,
    last: Option<String>,
    /// Items per page (default 48).
    per: Option<u32>,
}

struct ItemView {
    kind: &'static str,
    id: i64,
    filename: String,
    detail_url: String,
    thumb_url: Option<String>,
    thumb_w: u32,
    thumb_h: u32,
    media_url: Option<String>,
    wave_path: Option<String>,
    facts: String,
    owner_label: Option<String>,
    can_manage: bool,
}

#[derive(Template)]
#[template(path = "gallery.html")]
struct GalleryPage {
    layout: Layout,
    heading: String,
    base_path: String,
    total_label: String,
    q: String,
    kind: String,
    sort: String,
    /// A page size other than the default, kept by the filter form.
    per: Option<u32>,
    owner_choices: Vec<Choice>,
    items: Vec<ItemView>,
    first_url: Option<String>,
    prev_url: Option<String>,
    next_url: Option<String>,
    last_url: Option<String>,
}

/// `""` = everything, `system`, or a user id.
fn parse_owner(s: Option<&str>) -> Option<OwnerFilter> {
    match s.map(str::trim) {
        None | Some("") => None,
        Some("system") => Some(OwnerFilter::System),
        Some(id) => id.parse().ok().map(OwnerFilter::User),
    }
}

fn owner_value(f: OwnerFilter) -> String {
    match f {
        OwnerFilter::System => "system".into(),
        OwnerFilter::User(id) => id.to_string(),
        OwnerFilter::Any | OwnerFilter::Visible(_) => String::new(),
    }
}

pub async fn all(
    app: web::Data<App>,
    user: CurrentUser,
    q: web::Query<GalleryParams>,
) -> Result<HttpResponse, WebError> {
    let default =
        if user.account.role.is_staff() { OwnerFilter::Any } else { OwnerFilter::Visible(user.account.id) };
    // Staff narrow the full gallery with the owner filter; users have their own and system media.
    let scope = if user.account.role.is_staff() {
        parse_owner(q.owner.as_deref()).unwrap_or(default)
    } else {
        default
    };
    render(&app, &user, q.into_inner(), scope, "/media".into(), "All media".into(), "gallery").await
}

pub async fn system(
    app: web::Data<App>,
    user: CurrentUser,
    q: web::Query<GalleryParams>,
) -> Result<HttpResponse, WebError> {
    render(
        &app,
        &user,
        q.into_inner(),
        OwnerFilter::System,
        "/media/system".into(),
        "System media".into(),
        "system",
    )
    .await
}

pub async fn of_user(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<i64>,
    q: web::Query<GalleryParams>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    if !user.account.role.is_staff() && id != user.account.id {
        return Err(WebError::NotFound);
    }
    let owner = app.accounts.by_id(id).await?;
    let heading = format!("Media of {}", owner.username);
    render(
        &app,
        &user,
        q.into_inner(),
        OwnerFilter::User(id),
        format!("/media/users/{id}"),
        heading,
        "gallery",
    )
    .await
}

async fn render(
    app: &App,
    user: &CurrentUser,
    q: GalleryParams,
    scope: OwnerFilter,
    base_path: String,
    heading: String,
    section: &'static str,
) -> Result<HttpResponse, WebError> {
    let search = q.q.clone().unwrap_or_default();
    let query = GalleryQuery {
        owner: scope,
        kind: KindFilter::parse(q.kind.as_deref().unwrap_or("")),
        search: Some(search.clone()).filter(|s| !s.trim().is_empty()),
        sort: GallerySort::parse(q.sort.as_deref().unwrap_or("")),
        cursor: q.before.clone().or_else(|| q.after.clone()),
        backwards: q.before.is_some() || q.last.is_some(),
        per_page: q.per.unwrap_or(PER_PAGE),
    };
    let per_page = query.limit();
    let (kind_name, sort_name) = (query.kind.as_str(), query.sort.as_str());
    let page = app.media.gallery(&user.actor(), &query).await?;

    let is_staff = user.account.role.is_staff();
    let names: HashMap<i64, String> = if is_staff {
        app.accounts.list().await?.into_iter().map(|a| (a.id, a.username)).collect()
    } else {
        HashMap::new()
    };
    let owner_choices = if is_staff && base_path == "/media" {
        let mut choices = vec![
            Choice { value: String::new(), label: "Everyone".into(), selected: scope == OwnerFilter::Any },
            Choice { value: "system".into(), label: "System".into(), selected: scope == OwnerFilter::System },
        ];
        let mut users: Vec<_> = names.iter().collect();
        users.sort_by(|a, b| a.1.cmp(b.1));
        choices.extend(users.into_iter().map(|(id, name)| Choice {
            value: id.to_string(),
            label: name.clone(),
            selected: scope == OwnerFilter::User(*id),
        }));
        choices
    } else {
        Vec::new()
    };

    // Links keep the filters and change only the position.
    let mut keep = Vec::new();
    if !search.is_empty() {
        keep.push(format!("q={}", percent_encode(&search)));
    }
    if !kind_name.is_empty() {
        keep.push(format!("type={kind_name}"));
    }
    if !owner_choices.is_empty() && scope != OwnerFilter::Any {
        keep.push(format!("owner={}", owner_value(scope)));
    }
    if query.sort != GallerySort::default() {
        keep.push(format!("sort={sort_name}"));
    }
    if per_page != PER_PAGE {
        keep.push(format!("per={per_page}"));
    }
    let link = |extra: Option<String>| {
        let mut parts = keep.clone();
        parts.extend(extra);
        if parts.is_empty() { base_path.clone() } else { format!("{base_path}?{}", parts.join("&")) }
    };
    let prev_url = page.prev_cursor.as_ref().map(|c| link(Some(format!("before={c}"))));
    let next_url = page.next_cursor.as_ref().map(|c| link(Some(format!("after={c}"))));
    let first_url = prev_url.as_ref().map(|_| link(None));
    let last_url = next_url.as_ref().map(|_| link(Some("last=1".into())));

    let items = page.items.into_iter().map(|i| item_view(i, is_staff, &names)).collect();
    let total_label = match (page.total, page.total_is_lower_bound) {
        (n, true) => format!("more than {} items", view::count(n)),
        (1, false) => "1 item".to_owned(),
        (n, false) => format!("{} items", view::count(n)),
    };
    let body = GalleryPage {
        layout: Layout::new(&user.session, Some(&user.account), section),
        heading,
        base_path: base_path.clone(),
        total_label,
        q: search,
        kind: kind_name.into(),
        sort: sort_name.into(),
        per: (per_page != PER_PAGE).then_some(per_page),
        owner_choices,
        items,
        first_url,
        prev_url,
        next_url,
        last_url,
    }
    .render()?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

fn item_view(i: GalleryItem, is_staff: bool, names: &HashMap<i64, String>) -> ItemView {
    let kind = i.kind.as_str();
    let facts = match i.kind {
        MediaKind::Image => format!(
            "{}×{} · {} · {}",
            i.width.unwrap_or(0),
            i.height.unwrap_or(0),
            view::human_size(i.byte_size),
            view::date(i.created_at)
        ),
        MediaKind::Audio => format!(
            "{} · {} · {}",
            view::duration(i.duration_ms.unwrap_or(0)),
            view::human_size(i.byte_size),
            view::date(i.created_at)
        ),
    };
    let owner_label = is_staff.then(|| match i.owner {
        Owner::System => "System".to_owned(),
        Owner::User(id) => names.get(&id).cloned().unwrap_or_else(|| format!("user {id}")),
    });
    let (w, h) = (i.width.unwrap_or(1).max(1) as u32, i.height.unwrap_or(1).max(1) as u32);
    let scale = f64::from(thumbnail::THUMB_MAX) / f64::from(w.max(h));
    let (thumb_w, thumb_h) = if scale < 1.0 {
        ((f64::from(w) * scale).round() as u32, (f64::from(h) * scale).round() as u32)
    } else {
        (w, h)
    };
    ItemView {
        kind,
        id: i.id,
        detail_url: format!("/media/{kind}/{}", i.id),
        filename: i.filename,
        thumb_url: i.thumb_url,
        thumb_w,
        thumb_h,
        media_url: i.media_url,
        wave_path: i.peaks.as_deref().map(|p| waveform::svg_path(p, 120)),
        facts,
        owner_label,
        can_manage: i.can_manage,
    }
}

#[derive(Template)]
#[template(path = "confirm_delete.html")]
pub struct ConfirmDeletePage {
    pub layout: Layout,
    /// (`kind:id`, file name)
    pub items: Vec<(String, String)>,
    pub action: String,
    pub cancel_url: String,
}

/// `image:12` → (kind, id).
pub fn parse_item(s: &str) -> Option<(MediaKind, i64)> {
    let (kind, id) = s.split_once(':')?;
    Some((kind.parse().ok()?, id.parse().ok()?))
}

/// Checkbox values arrive as repeated `item` fields, which serde's form parser cannot collect.
pub async fn bulk(
    app: web::Data<App>,
    user: CurrentUser,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let fields: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|e| WebError::BadRequest(e.to_string()))?;
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    user.check_csrf(field("csrf_token").unwrap_or(""))?;
    let picked: Vec<(MediaKind, i64)> =
        fields.iter().filter(|(k, _)| k == "item").filter_map(|(_, v)| parse_item(v)).collect();
    if picked.is_empty() {
        session::flash(&user.session, "error", "Select at least one item to delete.");
        return Ok(see_other("/media"));
    }
    let actor = user.actor();
    if field("step") == Some("delete") {
        let mut deleted = 0;
        let mut failed = Vec::new();
        for (kind, id) in &picked {
            match app.media.delete(&actor, *kind, *id).await {
                Ok(_) => deleted += 1,
                Err(e) => failed.push(format!("{kind} {id}: {e}")),
            }
        }
        session::flash(
            &user.session,
            "ok",
            format!("Deleted {deleted} item{}.", if deleted == 1 { "" } else { "s" }),
        );
        if !failed.is_empty() {
            session::flash(&user.session, "error", format!("Not deleted: {}", failed.join("; ")));
        }
        return Ok(see_other("/media"));
    }
    // The confirmation step lists only what this user may delete.
    let mut items = Vec::new();
    for (kind, id) in picked {
        let media = app.media.get(&actor, kind, id).await?;
        if !actor.can_manage(media.owner_id()) {
            return Err(WebError::Forbidden(format!("You may not delete {}.", media.filename())));
        }
        items.push((format!("{kind}:{id}"), media.filename().to_owned()));
    }
    let body = ConfirmDeletePage {
        layout: Layout::new(&user.session, Some(&user.account), "gallery"),
        items,
        action: "/media/bulk".into(),
        cancel_url: "/media".into(),
    }
    .render()?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

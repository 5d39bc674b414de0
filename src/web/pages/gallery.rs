//! The galleries: everything a user may see, system media, one user's media.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::signin::see_other;
use crate::app::App;
use crate::domain::{GalleryQuery, GallerySort, KindFilter, MediaKind, Only, Owner, OwnerFilter};
use crate::http_text::percent_encode;
use crate::media::file::{thumbnail, waveform};
use crate::media::{CollectionDetail, CollectionRead, GalleryItem, MAX_ZIP_ITEMS};
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::{self, Choice, CompactMoment, Layout, Moment};
use crate::web::{WebSettings, back, sound, stash};

const PER_PAGE: u32 = 48;

/// A gallery address's query string, as typed; parsed into a [`GalleryQuery`].
#[derive(Deserialize, Default, Clone)]
pub struct GalleryParams {
    q: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    owner: Option<String>,
    /// Tags every item must carry, comma-separated.
    tags: Option<String>,
    /// `missing-alt`, `missing-transcript`, `animated`, `location`, `quiet`, `clipped` or
    /// `mostly-silent`.
    only: Option<String>,
    /// The filter form's collection: a collection's id (its gallery is that collection's
    /// page), or empty for every item.
    collection: Option<String>,
    sort: Option<String>,
    after: Option<String>,
    before: Option<String>,
    /// The last page, holding this many items: what is left after the full pages, so that it
    /// is the same page "Next" walks to.
    last: Option<u32>,
    /// Where the page starts in the whole listing (1-based), carried by the paging links.
    at: Option<u64>,
    /// Items per page (default 48).
    per: Option<u32>,
    /// `all` ticks every card the person may change: "Select all on this page" without the
    /// script. Not part of the view: the links it leaves for carry it no further.
    select: Option<String>,
}

struct ItemView {
    kind: &'static str,
    id: i64,
    filename: String,
    /// What a screen reader says for the thumbnail.
    alt: String,
    title: Option<String>,
    detail_url: String,
    /// The item in the full-window viewer, walking this view.
    viewer_url: String,
    thumb_url: Option<view::Escaped>,
    thumb_w: u32,
    thumb_h: u32,
    /// The thumbnail's ThumbHash, painted by the script while the thumbnail loads.
    placeholder: Option<String>,
    media_url: Option<view::Escaped>,
    wave_path: Option<String>,
    /// Exact, from the upload's decode (browsers guess for some MP3s).
    duration_ms: i64,
    /// The matched-loudness gain, dB (empty: not measured).
    gain_db: String,
    sound_badges: Vec<&'static str>,
    /// An animation's frames (0 for a still image or audio).
    frames: i32,
    facts: String,
    uploaded: CompactMoment,
    owner_label: String,
    can_manage: bool,
    /// Ticked for the bulk form (a selection restored after sign-in).
    picked: bool,
}

#[derive(Template)]
#[template(path = "gallery.html")]
struct GalleryPage {
    layout: Layout,
    /// Set on a collection's page.
    collection: Option<CollectionHead>,
    heading: String,
    base_path: String,
    total_label: String,
    /// "Showing 49–96 of 1 204", when there is something to show.
    showing: Option<String>,
    /// Why the page is empty and the way out.
    empty: Option<Empty>,
    /// Whether any card has a checkbox (else there is no bulk bar).
    selectable: bool,
    /// Every card ticked (`select=all`); where "Select all on this page" or "Clear selection"
    /// leads; how many cards are ticked.
    select_all: bool,
    select_url: String,
    picked_count: usize,
    /// The label of the button that changes every item of the view, across its pages (none
    /// when it has one page, where "Select all on this page" does it).
    whole_view: Option<String>,
    /// The label of the button that downloads the whole view as one ZIP (none where it has one
    /// page, or more items than an archive holds).
    whole_zip: Option<String>,
    /// The label of the button that deletes every item of the view one may delete.
    whole_delete: Option<String>,
    /// This view's own address, where actions started here come back to.
    view_url: String,
    q: String,
    /// The tag filter as typed.
    tags: String,
    /// The "only" filter's value, empty for none.
    only: &'static str,
    tag_suggestions: std::sync::Arc<Vec<String>>,
    /// Collections the selection may be put in or taken out of.
    bulk_collections: Vec<Choice>,
    /// Collections the filter form offers (all the user may see, up to a cap).
    collection_choices: Vec<Choice>,
    /// More collections exist than the pickers list.
    collections_cut: bool,
    kind: String,
    /// The order asked for, empty for the view's own (best match when searching, else newest).
    sort: String,
    searching: bool,
    /// A page size other than the default, kept by the filter form.
    per: Option<u32>,
    owner_choices: Vec<Choice>,
    items: Vec<ItemView>,
    first_url: Option<String>,
    prev_url: Option<String>,
    next_url: Option<String>,
    last_url: Option<String>,
}

/// Why a gallery page shows nothing, and the link out of it.
struct Empty {
    message: String,
    link_label: &'static str,
    link_url: String,
}

/// The owner filter of `/media`: `""` is everything the user may see, `mine`, `system`, or (for
/// staff) an account id. Users asking for another account get everything they may see.
fn parse_owner(s: Option<&str>, user: &CurrentUser) -> OwnerFilter {
    let me = user.account.id;
    let staff = user.account.role.is_staff();
    match s.map(str::trim).unwrap_or("") {
        "mine" => OwnerFilter::User(me),
        "system" => OwnerFilter::System,
        id => match id.parse() {
            Ok(id) if id == me => OwnerFilter::User(me),
            Ok(id) if staff => OwnerFilter::User(id),
            _ if staff => OwnerFilter::Any,
            _ => OwnerFilter::Visible(me),
        },
    }
}

fn owner_value(f: OwnerFilter, me: i64) -> String {
    match f {
        OwnerFilter::System => "system".into(),
        OwnerFilter::User(id) if id == me => "mine".into(),
        OwnerFilter::User(id) => id.to_string(),
        OwnerFilter::Any | OwnerFilter::Visible(_) => String::new(),
    }
}

pub async fn all(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    req: HttpRequest,
    q: web::Query<GalleryParams>,
) -> Result<HttpResponse, WebError> {
    let scope = parse_owner(q.owner.as_deref(), &user);
    let (heading, section) = match scope {
        OwnerFilter::User(id) if id == user.account.id => ("My media", "mine"),
        _ => ("All media", "gallery"),
    };
    let view = View {
        base_path: "/media".into(),
        query: req.query_string().to_owned(),
        heading: heading.into(),
        section,
    };
    render(&app, &user, (&settings, &req), q.into_inner(), scope, view).await
}

pub async fn system(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    req: HttpRequest,
    q: web::Query<GalleryParams>,
) -> Result<HttpResponse, WebError> {
    let view = View {
        base_path: "/media/system".into(),
        query: req.query_string().to_owned(),
        heading: "System media".into(),
        section: "system",
    };
    render(&app, &user, (&settings, &req), q.into_inner(), OwnerFilter::System, view).await
}

pub async fn of_user(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    req: HttpRequest,
    path: web::Path<i64>,
    q: web::Query<GalleryParams>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    if !user.account.role.is_staff() && id != user.account.id {
        return Err(WebError::NotFound);
    }
    let owner = app.accounts.by_id(id).await?;
    let view = View {
        base_path: format!("/media/users/{id}"),
        query: req.query_string().to_owned(),
        heading: format!("Media of {}", owner.username),
        section: "gallery",
    };
    render(&app, &user, (&settings, &req), q.into_inner(), OwnerFilter::User(id), view).await
}

/// Where an item sits in the gallery view `back` it was opened from: the items before and
/// after it, and the next one's picture as its page will show it (when it is an image), which
/// the page's script fetches ahead so Next shows it at once (links are issued on a round time:
/// the next page gives the very same URL).
pub struct Walk {
    pub previous: Option<(MediaKind, i64)>,
    pub next: Option<(MediaKind, i64)>,
    pub next_picture: Option<String>,
}

pub async fn walk(
    app: &App,
    user: &CurrentUser,
    back: &str,
    item: (MediaKind, i64),
) -> Result<Walk, WebError> {
    let actor = user.actor();
    let around = match view_set(app, user, back).await? {
        Some(set) => app.media.neighbours(&actor, &set, item).await.unwrap_or_default(),
        None => Default::default(),
    };
    let next_picture = match around.next {
        // Gone or hidden since the neighbours were read: nothing to fetch ahead.
        Some((MediaKind::Image, id)) => app.media.shown_url(&actor, MediaKind::Image, id).await.ok(),
        _ => None,
    };
    Ok(Walk { previous: around.previous, next: around.next, next_picture })
}

/// The set a gallery view shows (its filters and order, not its position), to walk from one of
/// its items to the next; `None` for an address that is not a gallery this user may see.
pub async fn view_set(
    app: &App,
    user: &CurrentUser,
    view_url: &str,
) -> Result<Option<GalleryQuery>, WebError> {
    let (path, query) = view_url.split_once('?').unwrap_or((view_url, ""));
    let q: GalleryParams = serde_urlencoded::from_str(query).unwrap_or_default();
    let (me, staff) = (user.account.id, user.account.role.is_staff());
    let numbered = |prefix: &str| path.strip_prefix(prefix).and_then(|id| id.parse::<i64>().ok());
    let (scope, collection) = if path == "/media" {
        (parse_owner(q.owner.as_deref(), user), None)
    } else if path == "/media/system" {
        (OwnerFilter::System, None)
    } else if let Some(id) = numbered("/media/users/") {
        if !staff && id != me {
            return Ok(None);
        }
        (OwnerFilter::User(id), None)
    } else if let Some(id) = numbered("/collections/") {
        (if staff { OwnerFilter::Any } else { OwnerFilter::Visible(me) }, Some(id))
    } else {
        return Ok(None);
    };
    Ok(Some(GalleryQuery {
        collection,
        tags: app.media.tag_filter(q.tags.as_deref().unwrap_or("")).await?,
        only: Only::parse(q.only.as_deref().unwrap_or("")),
        kind: KindFilter::parse(q.kind.as_deref().unwrap_or("")),
        sort: GallerySort::for_view(q.sort.as_deref().filter(|s| !s.is_empty()), searching(&q.q)),
        search: q.q.filter(|s| !s.trim().is_empty()),
        ..GalleryQuery::new(scope)
    }))
}

/// The pickers list at most this many collections.
pub const MAX_COLLECTION_CHOICES: usize = 100;

/// The address of collection `id`'s gallery (or the whole gallery's) with the filters of `q`
/// (not its position or owner, which belong to one view).
fn switch_collection(id: Option<i64>, q: &GalleryParams) -> String {
    let base = id.map_or_else(|| "/media".to_owned(), |id| format!("/collections/{id}"));
    let kept = [("q", &q.q), ("type", &q.kind), ("tags", &q.tags), ("only", &q.only), ("sort", &q.sort)];
    let mut parts: Vec<String> = kept
        .iter()
        .filter_map(|(k, v)| {
            v.as_deref().filter(|v| !v.trim().is_empty()).map(|v| format!("{k}={}", percent_encode(v)))
        })
        .collect();
    if let Some(per) = q.per {
        parts.push(format!("per={per}"));
    }
    if parts.is_empty() { base } else { format!("{base}?{}", parts.join("&")) }
}

/// Whether a gallery address searches (its `q=` has more than blanks).
fn searching(q: &Option<String>) -> bool {
    q.as_deref().is_some_and(|s| !s.trim().is_empty())
}

/// Which gallery a page shows: its address (path and query as asked), heading and nav entry.
pub struct View {
    pub base_path: String,
    pub query: String,
    pub heading: String,
    pub section: &'static str,
}

/// What a collection's gallery shows above its items.
struct CollectionHead {
    id: i64,
    name: String,
    /// From the top down to its parent: (address, name).
    path: Vec<(String, String)>,
    children: Vec<view::Listed>,
    can_manage: bool,
    /// What the media service answered, which its gallery is listed with.
    seen: CollectionDetail,
}

/// A collection's gallery: the items in it the user may see.
pub async fn render_collection(
    app: &App,
    user: &CurrentUser,
    web: (&WebSettings, &HttpRequest),
    q: GalleryParams,
    view: View,
    detail: CollectionDetail,
) -> Result<HttpResponse, WebError> {
    let me = user.account.id;
    let scope = if user.account.role.is_staff() { OwnerFilter::Any } else { OwnerFilter::Visible(me) };
    let head = CollectionHead {
        id: detail.collection.id,
        name: detail.collection.name.clone(),
        path: detail.path.iter().map(|c| (format!("/collections/{}", c.id), c.name.clone())).collect(),
        children: detail
            .children
            .iter()
            .map(|c| view::Listed {
                id: c.id,
                name: c.name.clone(),
                depth_class: String::new(),
                facts: if c.items == 1 { "1 item".into() } else { format!("{} items", view::count(c.items)) },
            })
            .collect(),
        can_manage: detail.collection.can_manage,
        seen: detail,
    };
    render_in(app, user, web, q, scope, view, Some(head)).await
}

async fn render(
    app: &App,
    user: &CurrentUser,
    web: (&WebSettings, &HttpRequest),
    q: GalleryParams,
    scope: OwnerFilter,
    view: View,
) -> Result<HttpResponse, WebError> {
    render_in(app, user, web, q, scope, view, None).await
}

async fn render_in(
    app: &App,
    user: &CurrentUser,
    (settings, req): (&WebSettings, &HttpRequest),
    q: GalleryParams,
    scope: OwnerFilter,
    view: View,
    collection: Option<CollectionHead>,
) -> Result<HttpResponse, WebError> {
    let View { base_path, query: view_query, heading, section } = view;
    let view_query = back::without_pairs(&view_query, &["select"]);
    let select_all = q.select.as_deref() == Some("all");
    let this_collection = collection.as_ref().map(|c| c.id);
    // The filter form names a collection: another one (or none) is another page.
    if let Some(asked) = q.collection.as_deref() {
        let asked = asked.trim().parse::<i64>().ok();
        if asked != this_collection {
            return Ok(see_other(&switch_collection(asked, &q)));
        }
    }
    let search = q.q.clone().unwrap_or_default();
    let tags_text = q.tags.as_deref().unwrap_or("").trim().to_owned();
    let tags = app.media.tag_filter(&tags_text).await?;
    let only = Only::parse(q.only.as_deref().unwrap_or(""));
    let query = GalleryQuery {
        tags,
        only,
        owner: scope,
        collection: collection.as_ref().map(|c| c.id),
        kind: KindFilter::parse(q.kind.as_deref().unwrap_or("")),
        search: Some(search.clone()).filter(|s| !s.trim().is_empty()),
        sort: GallerySort::for_view(q.sort.as_deref().filter(|s| !s.is_empty()), searching(&q.q)),
        cursor: q.before.clone().or_else(|| q.after.clone()),
        backwards: q.before.is_some() || q.last.is_some(),
        per_page: q.per.unwrap_or(PER_PAGE),
    };
    let per_page = query.limit();
    // The last page asks for just what is left after the full pages.
    let query = match q.last {
        Some(n) if q.before.is_none() => GalleryQuery { per_page: n.clamp(1, per_page), ..query },
        _ => query,
    };
    // The order the view has without a `sort=` is named by none, in links and in the form.
    let default_sort = GallerySort::for_view(None, query.search.is_some());
    let kind_name = query.kind.as_str();
    let sort_name = if query.sort == default_sort { "" } else { query.sort.as_str() };
    let page = match &collection {
        Some(head) => app.media.collection_gallery(&user.actor(), &head.seen, &query).await?,
        None => app.media.gallery(&user.actor(), &query).await?,
    };

    let me = user.account.id;
    let is_staff = user.account.role.is_staff();
    let names = super::owner_names(app, user).await?;
    let owner_choices =
        if base_path == "/media" { owner_choices(scope, me, is_staff, &names) } else { Vec::new() };

    // Links keep the filters and change only the position.
    let mut keep = Vec::new();
    if !search.is_empty() {
        keep.push(format!("q={}", percent_encode(&search)));
    }
    if !kind_name.is_empty() {
        keep.push(format!("type={kind_name}"));
    }
    if !tags_text.is_empty() {
        keep.push(format!("tags={}", percent_encode(&tags_text)));
    }
    if let Some(o) = only {
        keep.push(format!("only={}", o.as_str()));
    }
    let owner = owner_value(scope, me);
    if !owner_choices.is_empty() && !owner.is_empty() {
        keep.push(format!("owner={owner}"));
    }
    if !sort_name.is_empty() {
        keep.push(format!("sort={sort_name}"));
    }
    if per_page != PER_PAGE {
        keep.push(format!("per={per_page}"));
    }
    let link = |extra: &[String]| {
        let mut parts = keep.clone();
        parts.extend(extra.iter().cloned());
        if parts.is_empty() { base_path.clone() } else { format!("{base_path}?{}", parts.join("&")) }
    };
    // Positions: where this page starts, counted from the first item. A total that is only a
    // lower bound (a search past the count cap) leaves the last page and positions unknown.
    let total = u64::try_from(page.total).unwrap_or(0);
    let exact = !page.total_is_lower_bound;
    let shown = page.items.len() as u64;
    let at = match q.last {
        Some(_) if exact => total.saturating_sub(shown) + 1,
        _ => q.at.unwrap_or(1).max(1),
    };
    let at_param = |n: u64| format!("at={n}");
    let prev_url = page
        .prev_cursor
        .as_ref()
        .map(|c| link(&[format!("before={c}"), at_param(at.saturating_sub(u64::from(per_page)).max(1))]));
    let next_url = page.next_cursor.as_ref().map(|c| link(&[format!("after={c}"), at_param(at + shown)]));
    let first_url = prev_url.as_ref().map(|_| link(&[]));
    // The last page holds what is left after the full pages, as "Next" would reach it.
    let last_len = match total % u64::from(per_page) {
        0 => u64::from(per_page),
        rest => rest,
    };
    let last_url = next_url.as_ref().map(|_| {
        if exact { link(&[format!("last={last_len}")]) } else { link(&[format!("last={per_page}")]) }
    });

    let empty = page.items.is_empty().then(|| {
        if !search.trim().is_empty() {
            let mut without = keep.clone();
            without.retain(|p| !p.starts_with("q="));
            let url = if without.is_empty() {
                base_path.clone()
            } else {
                format!("{base_path}?{}", without.join("&"))
            };
            Empty {
                message: format!("No match for “{}”.", search.trim()),
                link_label: "Clear the search",
                link_url: url,
            }
        } else if !kind_name.is_empty()
            || !tags_text.is_empty()
            || only.is_some()
            || (!owner_choices.is_empty() && !owner.is_empty())
        {
            Empty {
                message: "Nothing matches these filters.".into(),
                link_label: "Show everything",
                link_url: base_path.clone(),
            }
        } else if collection.is_some() {
            Empty {
                message: "Nothing in this collection yet: add items from their pages.".into(),
                link_label: "Go to the gallery",
                link_url: "/media".into(),
            }
        } else {
            Empty {
                message: "Nothing here yet.".into(),
                link_label: "Upload images or audio",
                link_url: "/upload".into(),
            }
        }
    });
    let of_total =
        if exact { view::count(page.total) } else { format!("more than {}", view::count(page.total)) };
    let showing = (shown > 0).then(|| {
        let (from, to) = (view::count(at as i64), view::count((at + shown - 1) as i64));
        format!("Showing {from}–{to} of {of_total}")
    });
    // This exact view (its position included), for the detail links and the bulk form.
    let view_url =
        if view_query.is_empty() { base_path.clone() } else { format!("{base_path}?{view_query}") };
    // The same `back=` for every card, encoded once.
    let back_query = back::with_back("", &view_url);
    // A bulk selection posted after the session ended is ticked again.
    let kept = settings.work.take(req, settings.clock.now(), me, "/media/bulk");
    let picked: Vec<&str> = kept
        .iter()
        .flat_map(|k| k.fields.iter())
        .filter(|(k, _)| k == "item")
        .map(|(_, v)| v.as_str())
        .collect();
    let items: Vec<ItemView> = page
        .items
        .into_iter()
        .map(|i| item_view(i, me, is_staff, &names))
        .map(|mut i| {
            i.detail_url.push_str(&back_query);
            i.viewer_url.push_str(&back_query);
            i.picked =
                i.can_manage && (select_all || picked.contains(&format!("{}:{}", i.kind, i.id).as_str()));
            i
        })
        .collect();
    let picked_count = items.iter().filter(|i| i.picked).count();
    let select_url = if select_all {
        view_url.clone()
    } else {
        format!("{view_url}{}select=all", if view_query.is_empty() { '?' } else { '&' })
    };
    // Where a view has one page, "Select all on this page" reaches all of it.
    let paged = prev_url.is_some() || next_url.is_some();
    let whole_view = match (paged, exact) {
        (false, _) => None,
        (true, true) => Some(format!("Apply to all {} in this view…", view::count(page.total))),
        (true, false) => Some("Apply to all in this view…".to_owned()),
    };
    let whole_delete = match (paged, exact) {
        (false, _) => None,
        (true, true) => Some(format!("Delete all {} in this view…", view::count(page.total))),
        (true, false) => Some("Delete all in this view…".to_owned()),
    };
    let whole_zip = match (paged, exact) {
        (false, _) => None,
        (true, true) if page.total > MAX_ZIP_ITEMS as i64 => None,
        (true, true) => Some(format!("Download all {} as ZIP", view::count(page.total))),
        (true, false) => Some("Download all as ZIP".to_owned()),
    };
    let total_label = match (page.total, page.total_is_lower_bound) {
        (n, true) => format!("more than {} items", view::count(n)),
        (1, false) => "1 item".to_owned(),
        (n, false) => format!("{} items", view::count(n)),
    };
    // One more than listed tells whether the list is cut.
    let choices = app.media.collection_choices(&user.actor(), MAX_COLLECTION_CHOICES + 1).await?;
    let pick = |c: &&CollectionRead| Some(c.id) == this_collection;
    let choice = |c: &CollectionRead| Choice {
        value: c.id.to_string(),
        label: format!("{}{}", "— ".repeat(c.depth), c.name),
        selected: Some(c.id) == this_collection,
    };
    // A long list is cut (the page stays light); the collection in view is always in it.
    let can_manage_here = collection.as_ref().is_some_and(|c| c.can_manage);
    let current = collection.as_ref().map(|c| Choice {
        value: c.id.to_string(),
        label: c.name.clone(),
        selected: true,
    });
    let capped = |list: Vec<&CollectionRead>, manageable: bool| -> (Vec<Choice>, bool) {
        let cut = list.len() > MAX_COLLECTION_CHOICES;
        let mut kept: Vec<Choice> = list.iter().take(MAX_COLLECTION_CHOICES).map(|c| choice(c)).collect();
        if let Some(here) =
            current.as_ref().filter(|_| !list.iter().any(pick) && (!manageable || can_manage_here))
        {
            kept.push(here.clone());
        }
        (kept, cut)
    };
    let (collection_choices, collections_cut) = capped(choices.iter().collect(), false);
    let (bulk_collections, _) = capped(choices.iter().filter(|c| c.can_manage).collect(), true);
    let page = GalleryPage {
        layout: Layout::new(&user.session, Some(&user.account), section),
        collection,
        heading,
        base_path: base_path.clone(),
        total_label,
        showing,
        empty,
        selectable: items.iter().any(|i| i.can_manage),
        select_all,
        select_url,
        picked_count,
        whole_view,
        whole_zip,
        whole_delete,
        view_url,
        q: search,
        tags: tags_text,
        only: only.map_or("", Only::as_str),
        tag_suggestions: app.media.tag_suggestions(&user.actor()).await?,
        bulk_collections,
        collection_choices,
        collections_cut,
        kind: kind_name.into(),
        sort: sort_name.into(),
        searching: query.search.is_some(),
        per: (per_page != PER_PAGE).then_some(per_page),
        owner_choices,
        items,
        first_url,
        prev_url,
        next_url,
        last_url,
    };
    // A buffer of the page's size from the start (an image row is about 1.3 KB, an audio row
    // with its waveform about 3 KB): growing one from askama's estimate of the template's
    // text copied a 100 KB page several times over, a tenth of an audio-heavy page's CPU.
    let mut body = String::with_capacity(16 * 1024 + 3 * 1024 * page.items.len());
    page.render_into(&mut body)?;
    let res = HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body);
    Ok(if kept.is_some() { stash::handed_back(res) } else { res })
}

/// The owner filter's options on `/media`: everything one may see, one's own, the system's,
/// and for staff each account's.
fn owner_choices(scope: OwnerFilter, me: i64, is_staff: bool, names: &HashMap<i64, String>) -> Vec<Choice> {
    let everything = if is_staff { "Everyone" } else { "Mine and system" };
    let all = matches!(scope, OwnerFilter::Any | OwnerFilter::Visible(_));
    let mut choices = vec![
        Choice { value: String::new(), label: everything.into(), selected: all },
        Choice { value: "mine".into(), label: "Mine".into(), selected: scope == OwnerFilter::User(me) },
        Choice { value: "system".into(), label: "System".into(), selected: scope == OwnerFilter::System },
    ];
    let mut users: Vec<_> = names.iter().filter(|(id, _)| **id != me).collect();
    users.sort_by(|a, b| a.1.cmp(b.1));
    choices.extend(users.into_iter().map(|(id, name)| Choice {
        value: id.to_string(),
        label: name.clone(),
        selected: scope == OwnerFilter::User(*id),
    }));
    choices
}

fn item_view(i: GalleryItem, me: i64, is_staff: bool, names: &HashMap<i64, String>) -> ItemView {
    let kind = i.kind.as_str();
    let size = view::human_size(i.byte_size);
    let facts = match i.kind {
        MediaKind::Image => format!("{}×{} · {size}", i.width.unwrap_or(0), i.height.unwrap_or(0)),
        MediaKind::Audio => format!("{} · {size}", view::duration(i.duration_ms.unwrap_or(0))),
    };
    let owner_label = match i.owner {
        Owner::System => "System".to_owned(),
        Owner::User(id) if id == me => "Mine".to_owned(),
        Owner::User(id) if is_staff => names.get(&id).cloned().unwrap_or_else(|| format!("user {id}")),
        Owner::User(id) => format!("user {id}"),
    };
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
        viewer_url: format!("/media/{kind}/{}/view", i.id),
        // The file name stands in for alt text nobody wrote.
        alt: i.alt_text.clone().unwrap_or_else(|| i.filename.clone()),
        title: i.title,
        filename: i.filename,
        thumb_url: i.thumb_url.as_deref().map(view::Escaped::of),
        thumb_w,
        thumb_h,
        placeholder: i.placeholder,
        media_url: i.media_url.as_deref().map(view::Escaped::of),
        wave_path: i.peaks.as_deref().map(|p| waveform::svg_path(p, waveform::GALLERY_BINS)),
        duration_ms: i.duration_ms.unwrap_or(0),
        gain_db: sound::gain_attr(&i.health),
        sound_badges: sound::badges(&i.health),
        frames: if i.frames > 1 { i.frames } else { 0 },
        facts,
        uploaded: Moment(i.created_at).compact(),
        owner_label,
        can_manage: i.can_manage,
        picked: false,
    }
}

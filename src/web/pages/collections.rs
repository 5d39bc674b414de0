//! Collections: the list (a tree), one collection's gallery, and the forms that make, rename,
//! move and delete them and put items in and out. All plain forms; a refused form comes back
//! with what was typed and why.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::gallery::{GalleryParams, View};
use super::signin::see_other;
use crate::app::App;
use crate::auth::session;
use crate::domain::{MediaKind, Owner};
use crate::media::{CollectionRead, MAX_NAME_CHARS, MediaError, fingerprint};
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::{Choice, Layout, Listed};
use crate::web::{WebSettings, stash};

#[derive(Template)]
#[template(path = "collections.html")]
struct ListPage {
    layout: Layout,
    collections: Vec<Listed>,
    parent_choices: Vec<Choice>,
    owner_choices: Vec<Choice>,
    name: String,
    error: Option<String>,
    max_name: usize,
}

#[derive(Template)]
#[template(path = "collection_edit.html")]
struct EditPage {
    layout: Layout,
    id: i64,
    name: String,
    /// The fingerprint of the name the rename form was filled from.
    seen_name: String,
    parent_choices: Vec<Choice>,
    error: Option<String>,
    max_name: usize,
}

#[derive(Deserialize)]
pub struct CreateForm {
    csrf_token: String,
    name: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    owner: String,
}

#[derive(Deserialize)]
pub struct NameForm {
    csrf_token: String,
    name: String,
    /// The fingerprint of the name as the form showed it.
    seen_name: Option<String>,
}

#[derive(Deserialize)]
pub struct MoveForm {
    csrf_token: String,
    #[serde(default)]
    parent: String,
}

#[derive(Deserialize)]
pub struct TokenForm {
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct ItemForm {
    csrf_token: String,
    collection: String,
    #[serde(default)]
    back: String,
}

fn owner_label(c: &CollectionRead, me: i64) -> String {
    match c.owner {
        Owner::System => "system".into(),
        Owner::User(id) if id == me => "yours".into(),
        Owner::User(id) => format!("account {id}"),
    }
}

fn items_label(n: i64) -> String {
    if n == 1 { "1 item".into() } else { format!("{} items", crate::web::view::count(n)) }
}

fn listed(c: &CollectionRead, me: i64) -> Listed {
    Listed {
        id: c.id,
        name: c.name.clone(),
        depth_class: format!("depth-{}", c.depth.min(16)),
        facts: format!("{} · {}", items_label(c.items), owner_label(c, me)),
    }
}

/// The collections `c` may go inside: those the user manages, with an indent per level.
fn parent_choices(
    all: &[CollectionRead],
    keep: Option<i64>,
    allowed: impl Fn(&CollectionRead) -> bool,
) -> Vec<Choice> {
    let mut choices =
        vec![Choice { value: String::new(), label: "Top level".into(), selected: keep.is_none() }];
    choices.extend(all.iter().filter(|c| c.can_manage && allowed(c)).map(|c| Choice {
        value: c.id.to_string(),
        label: format!("{}{}", "— ".repeat(c.depth), c.name),
        selected: keep == Some(c.id),
    }));
    choices
}

fn parse_parent(value: &str) -> Result<Option<i64>, WebError> {
    match value.trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| WebError::BadRequest("unknown collection".into())),
    }
}

async fn list_page(
    app: &App,
    user: &CurrentUser,
    draft: (&str, Option<i64>, Option<String>),
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let (name, parent, error) = draft;
    let all = app.media.collections(&user.actor()).await?;
    let me = user.account.id;
    let owner_choices = if user.account.role.is_staff() {
        vec![
            Choice { value: String::new(), label: format!("Me ({})", user.account.username), selected: true },
            Choice { value: "system".into(), label: "System (everyone sees it)".into(), selected: false },
        ]
    } else {
        Vec::new()
    };
    let body = ListPage {
        layout: Layout::new(&user.session, Some(&user.account), "collections"),
        collections: all.iter().map(|c| listed(c, me)).collect(),
        parent_choices: parent_choices(&all, parent, |_| true),
        owner_choices,
        name: name.to_owned(),
        error,
        max_name: MAX_NAME_CHARS,
    }
    .render()?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
}

pub async fn list(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    // A name posted after the session ended comes back into the form, unsaved.
    let Some(kept) = settings.work.take(&req, settings.clock.now(), user.account.id, "/collections") else {
        return list_page(&app, &user, ("", None, None), StatusCode::OK).await;
    };
    let parent = kept.field("parent").and_then(|p| p.parse().ok());
    let name = kept.field("name").unwrap_or_default();
    Ok(stash::handed_back(list_page(&app, &user, (name, parent, None), StatusCode::OK).await?))
}

pub async fn create(
    app: web::Data<App>,
    user: CurrentUser,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let parent = parse_parent(&form.parent)?;
    let owner = match form.owner.trim() {
        "system" => Owner::System,
        _ => Owner::User(user.account.id),
    };
    // A child takes its parent's owner.
    let owner = match parent {
        Some(p) => app.media.collection(&user.actor(), p).await.map(|d| d.collection.owner).unwrap_or(owner),
        None => owner,
    };
    match app.media.create_collection(&user.actor(), owner, parent, &form.name).await {
        Ok(made) => {
            session::flash(&user.session, "ok", format!("Collection “{}” made.", made.name));
            Ok(see_other(&format!("/collections/{}", made.id)))
        }
        Err(MediaError::Invalid(why)) => {
            list_page(&app, &user, (&form.name, parent, Some(why)), StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e.into()),
    }
}

/// One collection: its gallery (the same filters, order and paging as `/media`), its place in
/// the tree and its sub-collections.
pub async fn show(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    req: HttpRequest,
    path: web::Path<i64>,
    q: web::Query<GalleryParams>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let detail = app.media.collection(&user.actor(), id).await?;
    let view = View {
        base_path: format!("/collections/{id}"),
        query: req.query_string().to_owned(),
        heading: detail.collection.name.clone(),
        section: "collections",
    };
    super::gallery::render_collection(&app, &user, (&settings, &req), q.into_inner(), view, detail).await
}

/// What the edit page's rename form shows instead of what is saved: a name that was not saved,
/// the fingerprint its form carried (`None`: that of the name saved now), and why.
#[derive(Default)]
struct NameDraft {
    name: Option<String>,
    seen: Option<String>,
    error: Option<String>,
}

async fn edit_page(
    app: &App,
    user: &CurrentUser,
    id: i64,
    draft: NameDraft,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let actor = user.actor();
    let detail = app.media.collection(&actor, id).await?;
    if !detail.collection.can_manage {
        return Err(WebError::Forbidden("You can only change your own collections.".into()));
    }
    let all = app.media.collections(&actor).await?;
    // Not itself, nor anything below it, nor another owner's.
    let mut below = vec![id];
    for c in &all {
        if c.parent_id.is_some_and(|p| below.contains(&p)) {
            below.push(c.id);
        }
    }
    let owner = detail.collection.owner;
    let body = EditPage {
        layout: Layout::new(&user.session, Some(&user.account), "collections"),
        id,
        seen_name: draft.seen.unwrap_or_else(|| fingerprint(Some(&detail.collection.name))),
        name: draft.name.unwrap_or_else(|| detail.collection.name.clone()),
        parent_choices: parent_choices(&all, detail.collection.parent_id, |c| {
            !below.contains(&c.id) && c.owner == owner
        }),
        error: draft.error,
        max_name: MAX_NAME_CHARS,
    }
    .render()?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
}

pub async fn edit(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    req: HttpRequest,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    // A rename posted after the session ended comes back into the form, with the fingerprint
    // of the name it was typed over.
    let action = format!("/collections/{id}/rename");
    let Some(kept) = settings.work.take(&req, settings.clock.now(), user.account.id, &action) else {
        return edit_page(&app, &user, id, NameDraft::default(), StatusCode::OK).await;
    };
    let field = |name: &str| kept.field(name).map(str::to_owned);
    let draft = NameDraft { name: field("name"), seen: field("seen_name"), error: None };
    Ok(stash::handed_back(edit_page(&app, &user, id, draft, StatusCode::OK).await?))
}

pub async fn rename(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let id = path.into_inner();
    let form = form.into_inner();
    let seen = form.seen_name.as_deref();
    let (draft, status) = match app.media.rename_collection(&user.actor(), id, &form.name, seen).await {
        Ok(()) => {
            session::flash(&user.session, "ok", "Collection renamed.");
            return Ok(see_other(&format!("/collections/{id}")));
        }
        Err(MediaError::Invalid(why)) => (
            NameDraft { seen: form.seen_name, error: Some(why), ..NameDraft::default() },
            StatusCode::BAD_REQUEST,
        ),
        // Renamed by someone else meanwhile: this name stays in the field, theirs is named, and
        // the form now carries theirs, so renaming again replaces it.
        Err(MediaError::EditConflict(clashes)) => {
            let theirs = clashes.into_iter().find_map(|(_, now)| now).unwrap_or_default();
            let why = format!(
                "Someone renamed this collection to “{theirs}” while you were editing; your name \
                 was not saved. Rename again to use yours."
            );
            (NameDraft { error: Some(why), ..NameDraft::default() }, StatusCode::CONFLICT)
        }
        Err(e) => return Err(e.into()),
    };
    edit_page(&app, &user, id, NameDraft { name: Some(form.name), ..draft }, status).await
}

pub async fn move_to(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let id = path.into_inner();
    let parent = parse_parent(&form.parent)?;
    match app.media.move_collection(&user.actor(), id, parent).await {
        Ok(()) => {
            session::flash(&user.session, "ok", "Collection moved.");
            Ok(see_other(&format!("/collections/{id}")))
        }
        Err(MediaError::Invalid(why)) => {
            let draft = NameDraft { error: Some(why), ..NameDraft::default() };
            edit_page(&app, &user, id, draft, StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn confirm_delete(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let detail = app.media.collection(&user.actor(), id).await?;
    if !detail.collection.can_manage {
        return Err(WebError::Forbidden("You can only change your own collections.".into()));
    }
    let subs = app.media.collections(&user.actor()).await?;
    let mut below = vec![id];
    for c in &subs {
        if c.parent_id.is_some_and(|p| below.contains(&p)) {
            below.push(c.id);
        }
    }
    let nested = below.len() - 1;
    let also = match nested {
        0 => String::new(),
        1 => " and the collection inside it".into(),
        n => format!(" and the {n} collections inside it"),
    };
    let body = super::confirm::ConfirmActionPage {
        layout: Layout::new(&user.session, Some(&user.account), "collections"),
        title: format!("Delete “{}”?", detail.collection.name),
        message: format!(
            "This deletes the collection{also}. The media in them stay where they are, in the \
             gallery and in any other collection."
        ),
        action: format!("/collections/{id}/delete"),
        fields: Vec::new(),
        button: "Delete the collection".into(),
        cancel: format!("/collections/{id}"),
    }
    .render()?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

pub async fn delete(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let gone = app.media.delete_collection(&user.actor(), path.into_inner()).await?;
    session::flash(&user.session, "ok", format!("Collection “{}” deleted; its media stay.", gone.name));
    Ok(see_other("/collections"))
}

fn item_of(kind: &str, id: i64) -> Result<(MediaKind, i64), WebError> {
    Ok((kind.parse().map_err(|_| WebError::NotFound)?, id))
}

/// Where to go after changing an item's collections: back to the page it was done from.
fn back_to(back: &str, kind: &str, id: i64) -> String {
    if back.starts_with('/') && !back.starts_with("//") {
        back.to_owned()
    } else {
        format!("/media/{kind}/{id}")
    }
}

fn collection_id(value: &str) -> Result<i64, WebError> {
    value.trim().parse().map_err(|_| WebError::BadRequest("Choose a collection.".into()))
}

pub async fn add_item(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    form: web::Form<ItemForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let (kind, id) = path.into_inner();
    let collection = collection_id(&form.collection)?;
    let added = app.media.add_to_collection(&user.actor(), collection, item_of(&kind, id)?).await?;
    let name = app.media.collection(&user.actor(), collection).await?.collection.name;
    let message = if added { format!("Added to “{name}”.") } else { format!("Already in “{name}”.") };
    session::flash(&user.session, "ok", message);
    Ok(see_other(&back_to(&form.back, &kind, id)))
}

pub async fn remove_item(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    form: web::Form<ItemForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let (kind, id) = path.into_inner();
    let collection = collection_id(&form.collection)?;
    app.media.remove_from_collection(&user.actor(), collection, item_of(&kind, id)?).await?;
    let name = app.media.collection(&user.actor(), collection).await?.collection.name;
    session::flash(&user.session, "ok", format!("Removed from “{name}”; the file itself stays."));
    Ok(see_other(&back_to(&form.back, &kind, id)))
}

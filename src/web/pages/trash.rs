//! The trash: what the user deleted (everything, for staff), most recent first, with restore
//! and delete-for-good for a selection, and "Empty trash" behind a confirmation. Plain forms.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::confirm::ConfirmActionPage;
use super::not_done;
use super::selection::SelectionForm;
use super::signin::see_other;
use crate::app::App;
use crate::auth::session;
use crate::domain::{MediaKind, Owner};
use crate::media::{MediaError, TrashedItem};
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::{self, Choice, Layout, Moment, UsageView};

struct Row {
    value: String,
    name: String,
    kind: MediaKind,
    facts: String,
    owner_label: String,
    trashed: Moment,
    /// Who deleted it.
    by: String,
    purge: Moment,
    preview_url: Option<String>,
}

#[derive(Template)]
#[template(path = "trash.html")]
struct TrashTemplate {
    layout: Layout,
    rows: Vec<Row>,
    total: i64,
    next: Option<String>,
    days: u32,
    staff: bool,
    /// Staff: whose items to show (everyone, or one account).
    owners: Vec<Choice>,
    /// The chosen account, as a link's query value.
    whose: Option<String>,
    /// The viewer's own storage (the trash counts against it).
    usage: Option<UsageView>,
}

#[derive(Template)]
#[template(path = "in_trash.html")]
struct InTrashPage {
    layout: Layout,
    value: String,
}

/// What the page of an item in the trash says to someone who may restore it (404: the item
/// is not there).
pub fn in_trash_page(user: &CurrentUser, kind: MediaKind, id: i64) -> Result<HttpResponse, WebError> {
    let body = InTrashPage {
        layout: Layout::new(&user.session, Some(&user.account), "trash"),
        value: format!("{kind}:{id}"),
    }
    .render()?;
    Ok(HttpResponse::NotFound().content_type("text/html; charset=utf-8").body(body))
}

#[derive(Deserialize)]
pub struct TrashQuery {
    after: Option<String>,
    /// Staff: only this account's items (its username).
    owner: Option<String>,
}

pub async fn show(
    app: web::Data<App>,
    user: CurrentUser,
    q: web::Query<TrashQuery>,
) -> Result<HttpResponse, WebError> {
    let actor = user.actor();
    let staff = user.account.role.is_staff();
    let names = super::owner_names(&app, &user).await?;
    let chosen = q.owner.as_deref().map(str::trim).filter(|o| staff && !o.is_empty());
    let whose = match chosen {
        Some(name) => Some(
            names.iter().find(|(_, n)| n.as_str() == name).map(|(id, _)| *id).ok_or(WebError::NotFound)?,
        ),
        None => None,
    };
    let page = app.media.trash_page_of(&actor, whose, q.after.as_deref()).await?;
    let mut owners: Vec<Choice> = names
        .values()
        .map(|n| Choice { value: n.clone(), label: n.clone(), selected: Some(n.as_str()) == chosen })
        .collect();
    owners.sort_by(|a, b| a.label.cmp(&b.label));
    owners.insert(0, Choice { value: String::new(), label: "Everyone".into(), selected: chosen.is_none() });
    let name_of = |id: Option<i64>| match id {
        None => "the operator".to_owned(),
        Some(id) if id == user.account.id => "you".to_owned(),
        Some(id) => names.get(&id).cloned().unwrap_or_else(|| format!("user {id}")),
    };
    let rows = page
        .items
        .into_iter()
        .map(|i: TrashedItem| Row {
            value: format!("{}:{}", i.kind, i.id),
            name: i.title.clone().unwrap_or_else(|| i.filename.clone()),
            kind: i.kind,
            facts: format!("{} · {}", i.filename, view::human_size(i.byte_size)),
            owner_label: match i.owner {
                Owner::System => "System".to_owned(),
                Owner::User(id) => name_of(Some(id)),
            },
            trashed: Moment(i.trashed_at),
            by: name_of(i.trashed_by),
            purge: Moment(i.purge_at),
            preview_url: i.preview_url,
        })
        .collect();
    let usage = Some(app.media.usage(&actor, user.account.id).await?.into());
    let body = TrashTemplate {
        usage,
        owners,
        whose: chosen.map(crate::http_text::percent_encode),
        layout: Layout::new(&user.session, Some(&user.account), "trash"),
        rows,
        total: page.total,
        next: page.next,
        days: app.media.settings().trash_days,
        staff,
    }
    .render()?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

/// Restore or delete for good what was ticked (`action` = `restore` | `purge`). Checkbox values
/// arrive as repeated `item` fields, which serde's form parser cannot collect.
pub async fn act(app: web::Data<App>, user: CurrentUser, body: web::Bytes) -> Result<HttpResponse, WebError> {
    let form = SelectionForm::read(&user, &body)?;
    let field = |name: &str| form.field(name);
    let picked = form.items();
    let restore = match field("action") {
        Some("restore") => true,
        Some("purge") => false,
        _ => return Err(WebError::BadRequest("Choose Restore or Delete for good.".into())),
    };
    if picked.is_empty() {
        session::flash(&user.session, "error", "Select at least one item in the trash.");
        return Ok(see_other("/trash"));
    }
    // Deleting for good cannot be undone: it is asked once more.
    if !restore && field("confirmed") != Some("yes") {
        let mut fields = vec![("action", "purge".to_owned())];
        fields.extend(picked.iter().map(|(kind, id)| ("item", format!("{kind}:{id}"))));
        let body = ConfirmActionPage {
            layout: Layout::new(&user.session, Some(&user.account), "trash"),
            title: format!("Delete {} for good?", view::items(picked.len())),
            message: "Their files, previews and everything written about them are deleted; this \
                      cannot be undone."
                .into(),
            action: "/trash".into(),
            fields,
            button: "Delete for good".into(),
            cancel: "/trash".into(),
        };
        return body.respond();
    }
    let actor = user.actor();
    let (mut done, mut gone, mut restored_one) = (0, 0, None);
    let mut failed = not_done::Failures::default();
    // Each item on its own: one that fails never stops the others, and is named after.
    for &(kind, id) in &picked {
        let outcome = if restore {
            app.media.restore(&actor, kind, id).await.map(|m| restored_one = Some((kind, id, m)))
        } else {
            app.media.purge(&actor, kind, id).await
        };
        match outcome {
            Ok(()) => done += 1,
            Err(MediaError::NotFound) => gone += 1,
            Err(e) => {
                // A failed restore or purge leaves the item in the trash, where it is named.
                let name = if failed.names_next() {
                    app.media.trashed_name(&actor, kind, id).await.ok().flatten()
                } else {
                    None
                };
                failed.add(name.as_deref(), (kind, id), &e, if restore { "restore" } else { "delete" });
            }
        }
    }
    if let Some(said) = failed.said(if restore { "Not restored" } else { "Not deleted" }) {
        session::flash(&user.session, "error", said);
    }
    match (restore, done, &restored_one) {
        (true, 1, Some((kind, id, media))) => session::flash(
            &user.session,
            "ok",
            format!("Restored {}; it is back at /media/{kind}/{id}.", media.filename()),
        ),
        (true, n, _) if n > 0 => session::flash(&user.session, "ok", format!("Restored {}.", view::items(n))),
        (false, n, _) if n > 0 => {
            session::flash(&user.session, "ok", format!("Deleted {} for good.", view::items(n)))
        }
        _ => {}
    }
    if gone > 0 {
        session::flash(
            &user.session,
            "note",
            format!("{} no longer in the trash (restored or deleted meanwhile).", view::items(gone)),
        );
    }
    match (field("then"), restored_one) {
        (Some("item"), Some((kind, id, _))) if done == 1 => Ok(see_other(&format!("/media/{kind}/{id}"))),
        // Undo goes back to the page it was pressed on.
        (Some("back"), _) => Ok(see_other(&crate::web::back::undo_view(field("back")))),
        _ => Ok(see_other("/trash")),
    }
}

pub async fn confirm_empty(app: web::Data<App>, user: CurrentUser) -> Result<HttpResponse, WebError> {
    let page = app.media.trash_page(&user.actor(), None).await?;
    let whose = if user.account.role.is_staff() { "everyone's trash" } else { "your trash" };
    let body = ConfirmActionPage {
        layout: Layout::new(&user.session, Some(&user.account), "trash"),
        title: "Empty the trash?".into(),
        message: format!(
            "This deletes the {} in {whose} for good: files, previews and everything written \
             about them. It cannot be undone.",
            view::items(page.total as usize)
        ),
        action: "/trash/empty".into(),
        fields: Vec::new(),
        button: "Empty the trash".into(),
        cancel: "/trash".into(),
    }
    .render()?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

#[derive(Deserialize)]
pub struct EmptyForm {
    csrf_token: String,
    confirmed: Option<String>,
}

pub async fn empty(
    app: web::Data<App>,
    user: CurrentUser,
    form: web::Form<EmptyForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    if form.confirmed.as_deref() != Some("yes") {
        return Ok(see_other("/trash/empty"));
    }
    let n = app.media.empty_trash(&user.actor()).await?;
    session::flash(&user.session, "ok", format!("Emptied the trash: {} deleted for good.", view::items(n)));
    Ok(see_other("/trash"))
}

//! Deleting the gallery's selection, or every item of a view: a confirmation first (the
//! selection's items with whose they are; for a view, how many and what is left alone), then
//! each item deleted on its own, so that one that cannot be never stops the others.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::confirm::{ConfirmActionPage, ConfirmDeletePage, ConfirmItem};
use super::not_done;
use super::selection::SelectionForm;
use super::signin::see_other;
use crate::app::App;
use crate::auth::session;
use crate::domain::{MediaKind, Owner};
use crate::media::{MAX_VIEW_EDIT, MediaError};
use crate::web::back;
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::{self, Layout};

/// Checkbox values arrive as repeated `item` fields, which serde's form parser cannot collect.
/// A selection may be stale (items deleted meanwhile, in another tab or by someone else): what
/// is gone is left out with a note, and the rest goes ahead.
pub async fn bulk(
    app: web::Data<App>,
    user: CurrentUser,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let form = SelectionForm::read(&user, &body)?;
    let field = |name: &str| form.field(name);
    let back = back::gallery_view(field("back"));
    if field("scope") == Some("view") {
        return whole_view(&app, &user, &form, &back).await;
    }
    let picked = form.items();
    if picked.is_empty() {
        session::flash(&user.session, "error", "Select at least one item to delete.");
        return Ok(see_other(&back));
    }
    if field("step") == Some("delete") {
        return delete_each(&app, &user, &picked, &back).await;
    }
    // The confirmation lists what this user may delete, with whose it is.
    let actor = user.actor();
    let selection = app.media.selection(&actor, &picked).await?;
    let (deletable, refused): (Vec<_>, Vec<_>) = selection.items.into_iter().partition(|i| i.can_manage);
    let mut notes = Vec::new();
    if selection.gone > 0 {
        notes.push(format!(
            "{} gone since you chose {} and left out.",
            were(selection.gone),
            them(selection.gone)
        ));
    }
    if !refused.is_empty() {
        notes.push(format!("{} not yours to delete and left out.", were(refused.len())));
    }
    if deletable.is_empty() {
        session::flash(&user.session, "error", format!("Nothing to delete: {}", notes.join(" ")));
        return Ok(see_other(&back));
    }
    let names = super::owner_names(&app, &user).await?;
    let owner_label = |owner: Owner| match owner {
        Owner::System => "System".to_owned(),
        Owner::User(id) if id == user.account.id => "Mine".to_owned(),
        Owner::User(id) => names.get(&id).cloned().unwrap_or_else(|| format!("user {id}")),
    };
    let mut by_owner: Vec<(String, usize)> = Vec::new();
    for item in &deletable {
        let label = owner_label(item.owner);
        match by_owner.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => *n += 1,
            None => by_owner.push((label, 1)),
        }
    }
    for (label, n) in &by_owner {
        notes.insert(
            0,
            match label.as_str() {
                "System" => format!("{} of these {} system media, which everyone sees.", n, is_are(*n)),
                "Mine" => format!("{} of these {} yours.", n, is_are(*n)),
                other => format!("{} of these belong{} to {other}.", n, if *n == 1 { "s" } else { "" }),
            },
        );
    }
    let items = deletable
        .into_iter()
        .map(|i| ConfirmItem {
            value: format!("{}:{}", i.kind, i.id),
            owner_label: owner_label(i.owner),
            filename: i.filename,
            thumb_url: i.thumb_url,
            live_shares: i.live_shares,
        })
        .collect::<Vec<_>>();
    let trash_days = app.media.settings().trash_days;
    notes.extend(super::confirm::shares_note(&items, trash_days));
    let body = ConfirmDeletePage {
        layout: Layout::new(&user.session, Some(&user.account), "gallery"),
        items,
        notes,
        action: "/media/bulk".into(),
        cancel_url: back.clone(),
        back,
        trash_days,
    }
    .render()?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

fn were(n: usize) -> String {
    if n == 1 { "1 item was".into() } else { format!("{n} items were") }
}

fn them(n: usize) -> &'static str {
    if n == 1 { "it" } else { "them" }
}

fn is_are(n: usize) -> &'static str {
    if n == 1 { "is" } else { "are" }
}

/// Deletes each item on its own, then says on the view at `back` what was done, what was gone
/// already and what could not be deleted.
async fn delete_each(
    app: &App,
    user: &CurrentUser,
    picked: &[(MediaKind, i64)],
    back: &str,
) -> Result<HttpResponse, WebError> {
    let actor = user.actor();
    let (mut deleted, mut gone, mut deferred) = (0, 0, false);
    let mut failed = not_done::Failures::default();
    let (mut kept_until, mut trashed) = (None, Vec::new());
    for ((kind, id), outcome) in app.media.delete_many(&actor, picked).await {
        match outcome {
            Ok(d) => {
                deleted += 1;
                deferred |= d.removal_deferred;
                kept_until = kept_until.or(d.trashed_until);
                if d.trashed_until.is_some() {
                    trashed.push(format!("{kind}:{id}"));
                }
            }
            Err(MediaError::NotFound) => gone += 1,
            Err(e) => {
                let name =
                    if failed.names_next() { app.media.get(&actor, kind, id).await.ok() } else { None };
                failed.add(name.as_ref().map(|m| m.filename()), (kind, id), &e, "delete");
            }
        }
    }
    // Nothing deleted is never reported as a success.
    let what = view::counted(deleted, "item");
    match kept_until {
        Some(until) => {
            session::flash(&user.session, "ok", super::confirm::moved_to_trash(&what, until));
            session::offer_undo(&user.session, &trashed, back);
        }
        None if deleted > 0 => session::flash(&user.session, "ok", format!("Deleted {what}.")),
        None => {}
    }
    if deferred {
        session::flash(&user.session, "note", super::confirm::DELETE_DEFERRED);
    }
    if gone > 0 {
        session::flash(&user.session, "note", format!("{} already gone.", were(gone)));
    }
    if let Some(said) = failed.said("Not deleted") {
        session::flash(&user.session, "error", said);
    }
    Ok(see_other(back))
}

/// Every item of the view at `back` that the person may delete: first a question that counts
/// them, whose they are and what is left alone; answered, each is deleted, and the view comes
/// back from its first page (the page it was on may have emptied).
async fn whole_view(
    app: &App,
    user: &CurrentUser,
    form: &SelectionForm,
    back: &str,
) -> Result<HttpResponse, WebError> {
    let Some(query) = super::gallery::view_set(app, user, back).await? else {
        return Err(WebError::BadRequest("This page cannot be deleted as a whole.".into()));
    };
    let members = app.media.view_members(&user.actor(), &query, None, MAX_VIEW_EDIT).await?;
    let not_yours = (members.not_yours > 0)
        .then(|| format!("Left alone: {} not yours to delete.", view::counted(members.not_yours, "item")));
    if members.items.is_empty() {
        let why = not_yours.unwrap_or_else(|| "the view is empty.".to_owned());
        session::flash(&user.session, "error", format!("Nothing in this view to delete: {why}"));
        return Ok(see_other(back));
    }
    if form.field("confirmed") == Some("yes") {
        return delete_each(app, user, &members.items, &back::first_page(back)).await;
    }
    let n = view::counted(members.items.len(), "item");
    let mut whose = Vec::new();
    if members.of_system > 0 {
        whose.push(format!("{} system media, which everyone sees", view::count(members.of_system as i64)));
    }
    if members.of_others > 0 {
        whose.push(format!("{} of other people", view::count(members.of_others as i64)));
    }
    let whose = if whose.is_empty() { String::new() } else { format!(" ({})", whose.join("; ")) };
    let days = app.media.settings().trash_days;
    let (title, then, button) = if days > 0 {
        (
            format!("Move {n} to the Trash?"),
            format!("They stay in the Trash for {days} days, where each can be restored."),
            format!("Move {n} to the Trash"),
        )
    } else {
        (format!("Delete {n} for good?"), "This cannot be undone.".to_owned(), format!("Delete {n}"))
    };
    let mut message = format!("Every item you may delete in this view: {n}{whose}. {then}");
    let shared = app.media.view_live_shares(&members).await?;
    for note in
        [not_yours, super::confirm::shares_said(members.items.len(), shared, days)].into_iter().flatten()
    {
        message.push(' ');
        message.push_str(&note);
    }
    ConfirmActionPage {
        layout: Layout::new(&user.session, Some(&user.account), "gallery"),
        title,
        message,
        action: "/media/bulk".to_owned(),
        fields: vec![("back", back.to_owned()), ("scope", "view".to_owned())],
        button,
        cancel: back.to_owned(),
    }
    .respond()
}

//! Editing the gallery's selection at once (tags, a collection, credit, alt text), without
//! JavaScript: the same form as bulk delete posts here with an action, and a summary page says
//! what changed and, item by item, what did not and why. With `scope=view` the change reaches
//! every item of the view the form came from, across its pages, after a question that says
//! how many it changes and leaves alone.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::confirm::ConfirmActionPage;
use super::selection::SelectionForm;
use crate::app::App;
use crate::auth::session;
use crate::domain::Turn;
use crate::media::ANIMATION_NOT_TURNED;
use crate::media::{BulkEdit, MAX_VIEW_EDIT, MAX_VIEW_TURN, MediaError, NOT_TURNABLE, ViewMembers};
use crate::web::back;
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::{self, Layout};

#[derive(Template)]
#[template(path = "bulk_summary.html")]
struct SummaryPage {
    layout: Layout,
    heading: String,
    /// What a change of a whole view left alone, and why.
    notes: Vec<String>,
    /// (item, why).
    refused: Vec<(String, String)>,
    /// Refused items past those named.
    refused_more: usize,
    back: String,
    /// The form that tries the refused items again, with the text as typed (for those a
    /// change of text or a second try may help: not those gone or not the person's to change).
    again: Option<Again>,
}

struct Again {
    action: String,
    /// `kind:id` values.
    items: Vec<String>,
    collection: Option<String>,
    /// The text field, as typed, for actions that take one.
    value: Option<String>,
}

pub async fn edit(
    app: web::Data<App>,
    user: CurrentUser,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let form = SelectionForm::read(&user, &body)?;
    let field = |name: &str| form.field(name).unwrap_or("");
    let back = back::gallery_view(Some(field("back")));
    let value = field("value").trim().to_owned();
    let collection = || {
        field("collection")
            .trim()
            .parse::<i64>()
            .map_err(|_| WebError::BadRequest("Choose a collection.".into()))
    };
    let (edit, done) = match field("action") {
        "tag" => (BulkEdit::Tag(value.clone()), format!("tagged “{value}”")),
        "untag" => (BulkEdit::Untag(value.clone()), format!("untagged “{value}”")),
        "collect" => {
            let id = collection()?;
            (BulkEdit::Collect(id), format!("added to {}", collection_name(&app, &user, id).await))
        }
        "uncollect" => {
            let id = collection()?;
            (BulkEdit::Uncollect(id), format!("taken out of {}", collection_name(&app, &user, id).await))
        }
        "credit" => (BulkEdit::Credit(value.clone()), format!("credited “{value}”")),
        "alt" => (BulkEdit::AltText(value.clone()), "given this alt text".to_owned()),
        "alt-append" => (BulkEdit::AppendAltText(value.clone()), "given more alt text".to_owned()),
        action @ ("turn-left" | "turn-right" | "turn-half" | "mirror") => {
            let turn: Turn = action.trim_start_matches("turn-").parse().map_err(WebError::BadRequest)?;
            (BulkEdit::Turn(turn), turn.done().to_owned())
        }
        _ => return Err(WebError::BadRequest("Choose what to do with the selection.".into())),
    };
    let actor = user.actor();
    let (picked, notes) = if field("scope") == "view" {
        let members = match whole_view(&app, &user, &edit, &back).await? {
            Ok(members) => members,
            Err(nothing) => {
                session::flash(&user.session, "error", nothing);
                return Ok(super::signin::see_other(&back));
            }
        };
        let notes = left_alone(&members, &edit);
        if form.field("confirmed") != Some("yes") {
            return question(&user, &form, &members, &notes, &done, &back);
        }
        (members.items, notes)
    } else {
        (form.items(), Vec::new())
    };
    if picked.is_empty() {
        return Err(WebError::BadRequest("Select at least one item to change.".into()));
    }
    let outcomes = app.media.bulk_edit(&actor, &picked, &edit).await;
    let mut changed = 0;
    let mut refused = Vec::new();
    let mut refused_more = 0;
    let mut again = Vec::new();
    let alt = matches!(edit, BulkEdit::AltText(_) | BulkEdit::AppendAltText(_));
    for ((kind, id), outcome) in outcomes {
        match outcome {
            Ok(()) => changed += 1,
            Err(e) => {
                let hopeless = matches!(e, MediaError::NotFound | MediaError::Forbidden)
                    || (alt && kind == crate::domain::MediaKind::Audio)
                    || matches!(&e, MediaError::Invalid(m) if m == NOT_TURNABLE || m == ANIMATION_NOT_TURNED);
                if !hopeless {
                    again.push(format!("{kind}:{id}"));
                }
                // A whole view may refuse thousands: the page names a few and counts the rest.
                if refused.len() == MAX_NAMED {
                    refused_more += 1;
                    continue;
                }
                let name = match app.media.get(&actor, kind, id).await {
                    Ok(m) => m.filename().to_owned(),
                    Err(_) => format!("{kind} {id}"),
                };
                let why = match e {
                    MediaError::NotFound => "it is gone, or not yours to see".to_owned(),
                    MediaError::Forbidden => "you may not change it".to_owned(),
                    MediaError::Invalid(m) if m == NOT_TURNABLE => NOT_TURNED.to_owned(),
                    MediaError::Invalid(m) if m == ANIMATION_NOT_TURNED => ANIMATION_TURNS_NOT.to_owned(),
                    MediaError::Storage(_) | MediaError::Database(_) | MediaError::Internal(_) => {
                        tracing::error!(error = %e, "bulk edit failed");
                        "the server could not change it right now; try again".to_owned()
                    }
                    other => other.to_string(),
                };
                refused.push((name, why));
            }
        }
    }
    let heading = match (changed, refused.len() + refused_more) {
        (0, _) => "Nothing was changed".to_owned(),
        (n, 0) => format!("{} {done}", view::counted(n, "item")),
        (n, r) => format!("{} {done}; {} not", view::counted(n, "item"), view::count(r as i64)),
    };
    let body = SummaryPage {
        layout: Layout::new(&user.session, Some(&user.account), "gallery"),
        heading,
        notes,
        refused,
        refused_more,
        back,
        again: (!again.is_empty()).then(|| Again {
            action: field("action").to_owned(),
            items: again,
            collection: form.field("collection").map(str::to_owned),
            value: form
                .field("value")
                .filter(|_| !matches!(edit, BulkEdit::Collect(_) | BulkEdit::Uncollect(_)))
                .map(str::to_owned),
        }),
    }
    .render()?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

/// Why a file was not turned, short for a list (the item's page says more).
const NOT_TURNED: &str = "a sound does not turn";
const ANIMATION_TURNS_NOT: &str = "an animated PNG or WebP does not turn here";

/// Refused items a summary names.
const MAX_NAMED: usize = 50;

/// "“Beach”", or "the collection" when it cannot be read (the change will say why).
async fn collection_name(app: &App, user: &CurrentUser, id: i64) -> String {
    match app.media.collection(&user.actor(), id).await {
        Ok(c) => format!("“{}”", c.collection.name),
        Err(_) => "the collection".to_owned(),
    }
}

/// The items of the view at `back` the change reaches, or why there are none.
async fn whole_view(
    app: &App,
    user: &CurrentUser,
    edit: &BulkEdit,
    back: &str,
) -> Result<Result<ViewMembers, String>, WebError> {
    let Some(query) = super::gallery::view_set(app, user, back).await? else {
        return Err(WebError::BadRequest("This page cannot be changed as a whole.".into()));
    };
    let most = if matches!(edit, BulkEdit::Turn(_)) { MAX_VIEW_TURN } else { MAX_VIEW_EDIT };
    let members = app.media.view_members(&user.actor(), &query, Some(edit), most).await?;
    if members.items.is_empty() {
        let why = left_alone(&members, edit);
        let why = if why.is_empty() { "the view is empty.".to_owned() } else { why.join(" ") };
        return Ok(Err(format!("Nothing in this view to change: {why}")));
    }
    Ok(Ok(members))
}

/// What a change of a whole view leaves alone, and why (said before and after the change).
fn left_alone(members: &ViewMembers, edit: &BulkEdit) -> Vec<String> {
    let mut notes = Vec::new();
    if members.not_yours > 0 {
        notes.push(format!("Left alone: {} not yours to change.", view::counted(members.not_yours, "item")));
    }
    if members.not_applicable > 0 {
        let n = members.not_applicable;
        notes.push(match edit {
            BulkEdit::AltText(_) | BulkEdit::AppendAltText(_) => {
                format!("Left alone: {} (audio has no alt text).", view::counted(n, "audio item"))
            }
            BulkEdit::Turn(_) => format!(
                "Left alone: {} (sounds and animated PNGs or WebPs do not turn here).",
                view::counted(n, "item")
            ),
            _ => format!(
                "Left alone: {} of others, which cannot go in this collection.",
                view::counted(n, "item")
            ),
        });
    }
    notes
}

/// Asks before changing a whole view: how many items, what, and what is left alone; the
/// answer posts the same fields again, the text as typed.
fn question(
    user: &CurrentUser,
    form: &SelectionForm,
    members: &ViewMembers,
    notes: &[String],
    done: &str,
    back: &str,
) -> Result<HttpResponse, WebError> {
    let n = members.items.len();
    let mut message = match n {
        1 => format!("The one item you may change in this view will be {done}."),
        n => format!("All {} you may change in this view will be {done}.", view::counted(n, "item")),
    };
    for note in notes {
        message.push(' ');
        message.push_str(note);
    }
    let kept = ["action", "value", "collection"];
    let mut fields: Vec<(&'static str, String)> =
        kept.iter().filter_map(|&k| form.field(k).map(|v| (k, v.to_owned()))).collect();
    fields.push(("back", back.to_owned()));
    fields.push(("scope", "view".to_owned()));
    ConfirmActionPage {
        layout: Layout::new(&user.session, Some(&user.account), "gallery"),
        title: format!("Change {} in this view?", view::counted(n, "item")),
        message,
        action: "/media/bulk/edit".to_owned(),
        fields,
        button: format!("Change {}", view::counted(n, "item")),
        cancel: back.to_owned(),
    }
    .respond()
}

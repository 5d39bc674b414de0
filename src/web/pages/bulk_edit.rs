//! Editing the gallery's selection at once (tags, a collection, credit, alt text), without
//! JavaScript: the same form as bulk delete posts here with an action, and a summary page says
//! what changed and, item by item, what did not and why.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::selection::SelectionForm;
use crate::app::App;
use crate::media::{BulkEdit, MediaError};
use crate::web::back;
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::{self, Layout};

#[derive(Template)]
#[template(path = "bulk_summary.html")]
struct SummaryPage {
    layout: Layout,
    heading: String,
    /// (item, why).
    refused: Vec<(String, String)>,
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
    let picked = form.items();
    if picked.is_empty() {
        return Err(WebError::BadRequest("Select at least one item to change.".into()));
    }
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
        "collect" => (BulkEdit::Collect(collection()?), "added to the collection".to_owned()),
        "uncollect" => (BulkEdit::Uncollect(collection()?), "taken out of the collection".to_owned()),
        "credit" => (BulkEdit::Credit(value.clone()), format!("credited “{value}”")),
        "alt" => (BulkEdit::AltText(value.clone()), "given this alt text".to_owned()),
        "alt-append" => (BulkEdit::AppendAltText(value.clone()), "given more alt text".to_owned()),
        _ => return Err(WebError::BadRequest("Choose what to do with the selection.".into())),
    };
    let actor = user.actor();
    let outcomes = app.media.bulk_edit(&actor, &picked, &edit).await;
    let mut changed = 0;
    let mut refused = Vec::new();
    let mut again = Vec::new();
    let alt = matches!(edit, BulkEdit::AltText(_) | BulkEdit::AppendAltText(_));
    for ((kind, id), outcome) in outcomes {
        match outcome {
            Ok(()) => changed += 1,
            Err(e) => {
                let hopeless = matches!(e, MediaError::NotFound | MediaError::Forbidden)
                    || (alt && kind == crate::domain::MediaKind::Audio);
                if !hopeless {
                    again.push(format!("{kind}:{id}"));
                }
                let name = match app.media.get(&actor, kind, id).await {
                    Ok(m) => m.filename().to_owned(),
                    Err(_) => format!("{kind} {id}"),
                };
                let why = match e {
                    MediaError::NotFound => "it is gone, or not yours to see".to_owned(),
                    MediaError::Forbidden => "you may not change it".to_owned(),
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
    let heading = match (changed, refused.len()) {
        (0, _) => "Nothing was changed".to_owned(),
        (n, 0) => format!("{} {done}", view::items(n)),
        (n, r) => format!("{} {done}; {} not", view::items(n), r),
    };
    let body = SummaryPage {
        layout: Layout::new(&user.session, Some(&user.account), "gallery"),
        heading,
        refused,
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

//! Duplicates: files held more than once among what the user manages (everything, for staff),
//! each group with the copy to keep picked (the oldest, unless changed) and one button to move
//! the others to the trash.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::selection::SelectionForm;
use super::signin::see_other;
use crate::app::App;
use crate::auth::session;
use crate::domain::MediaKind;
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::{Layout, Moment};

struct Copy {
    id: i64,
    filename: String,
    uploaded: Moment,
    /// Whose it is.
    owner: String,
    thumb_url: Option<String>,
}

struct Group {
    kind: MediaKind,
    /// `image-12`: names the group's radio buttons.
    name: String,
    copies: Vec<Copy>,
}

#[derive(Template)]
#[template(path = "duplicates.html")]
struct DuplicatesPage {
    layout: Layout,
    groups: Vec<Group>,
    trash_days: u32,
}

pub async fn show(app: web::Data<App>, user: CurrentUser) -> Result<HttpResponse, WebError> {
    let names = super::owner_names(&app, &user).await?;
    let groups = app
        .media
        .duplicates(&user.actor())
        .await?
        .into_iter()
        .map(|g| Group {
            kind: g.kind,
            name: format!("{}-{}", g.kind, g.items.first().map_or(0, |i| i.id)),
            copies: g
                .items
                .into_iter()
                .map(|i| {
                    let owner = super::owner_label(i.owner, &user, &names);
                    Copy {
                        id: i.id,
                        uploaded: Moment(i.created_at),
                        owner,
                        filename: i.filename,
                        thumb_url: i.thumb_url,
                    }
                })
                .collect(),
        })
        .collect();
    let body = DuplicatesPage {
        layout: Layout::new(&user.session, Some(&user.account), "duplicates"),
        groups,
        trash_days: app.media.settings().trash_days,
    }
    .render()?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

/// Keeps the picked copy of one group and deletes the others (to the trash, when there is one).
/// Repeated `item` fields carry the group, which serde's form parser cannot collect.
pub async fn keep_one(
    app: web::Data<App>,
    user: CurrentUser,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let form = SelectionForm::read(&user, &body)?;
    let field = |name: &str| form.field(name);
    let kind: MediaKind = field("kind")
        .and_then(|k| k.parse().ok())
        .ok_or_else(|| WebError::BadRequest("Which kind of media?".into()))?;
    let keep: i64 = field("keep")
        .and_then(|k| k.parse().ok())
        .ok_or_else(|| WebError::BadRequest("Pick the copy to keep.".into()))?;
    let group: Vec<i64> = form.values("item").filter_map(|v| v.parse().ok()).collect();
    let gone = app.media.keep_one(&user.actor(), kind, keep, &group).await?;
    let verb = if app.media.keeps_trash() { "Moved to the Trash" } else { "Deleted" };
    session::flash(
        &user.session,
        "ok",
        format!("{verb}: {gone} duplicate{}.", if gone == 1 { "" } else { "s" }),
    );
    Ok(see_other("/duplicates"))
}

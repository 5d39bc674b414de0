//! Look-alikes and sound-alikes: groups of items that look or sound the same though their bytes
//! differ, among what the user manages (everything, for staff), each with the item most worth
//! keeping ticked and one button to move the unticked to the trash. Duplicates' sibling page.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::selection::SelectionForm;
use super::signin::see_other;
use crate::app::App;
use crate::auth::session;
use crate::domain::MediaKind;
use crate::media::AlikeMember;
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::{Layout, Moment, counted, duration, human_size};

struct Member {
    id: i64,
    /// Its title, or its file name.
    name: String,
    /// "4000 × 3000 · 840 KiB · uploaded … · yours".
    facts: String,
    uploaded: Moment,
    same_file: bool,
    thumb_url: Option<String>,
}

struct Group {
    kind: MediaKind,
    /// `image-12`: names the group's boxes.
    name: String,
    members: Vec<Member>,
    more: usize,
}

/// A group just said not duplicates, offered to be taken back.
struct Apart {
    kind: MediaKind,
    ids: Vec<i64>,
}

#[derive(Template)]
#[template(path = "alike_groups.html")]
struct AlikeGroupsPage {
    layout: Layout,
    groups: Vec<Group>,
    trash_days: u32,
    apart: Option<Apart>,
}

/// A picture's width and height, a sound's length as a player says it.
fn extent(member: &AlikeMember) -> String {
    match member.pixels {
        Some((w, h)) => format!("{w} × {h}"),
        None => duration(member.duration_ms),
    }
}

const BACK: &str = "/duplicates/alike";

pub async fn show(app: web::Data<App>, user: CurrentUser) -> Result<HttpResponse, WebError> {
    let names = super::owner_names(&app, &user).await?;
    let groups = app
        .media
        .alike_groups(&user.actor())
        .await?
        .into_iter()
        .map(|g| Group {
            kind: g.kind,
            name: format!("{}-{}", g.kind, g.items.first().map_or(0, |i| i.id)),
            more: g.more,
            members: g
                .items
                .into_iter()
                .map(|i| Member {
                    id: i.id,
                    facts: format!(
                        "{} · {} · {}",
                        extent(&i),
                        human_size(i.byte_size),
                        super::owner_label(i.owner, &user, &names)
                    ),
                    name: i.title.unwrap_or(i.filename),
                    uploaded: Moment(i.created_at),
                    same_file: i.same_file,
                    thumb_url: i.thumb_url,
                })
                .collect(),
        })
        .collect();
    let body = AlikeGroupsPage {
        layout: Layout::new(&user.session, Some(&user.account), "duplicates"),
        groups,
        trash_days: app.media.settings().trash_days,
        apart: session::take_alike_again(&user.session).map(|(kind, ids)| Apart { kind, ids }),
    }
    .render()?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

/// Keeps the ticked items of one group and deletes the others that are still alike a kept one
/// (to the trash, when there is one), or (`action=apart`) keeps all and says they are not
/// duplicates, offering to take that back (`action=again`). Repeated `item` and `keep` fields
/// carry the group.
pub async fn keep(
    app: web::Data<App>,
    user: CurrentUser,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let form = SelectionForm::read(&user, &body)?;
    let kind: MediaKind = form
        .field("kind")
        .and_then(|k| k.parse().ok())
        .ok_or_else(|| WebError::BadRequest("Which kind of media?".into()))?;
    let ids = |name: &str| form.values(name).filter_map(|v| v.parse().ok()).collect::<Vec<i64>>();
    match form.field("action") {
        Some("apart") => {
            let group = ids("item");
            let n = app.media.keep_all_alike(&user.actor(), kind, &group).await?;
            let said = format!("Kept all {n}: they are no longer shown as alike one another.");
            session::flash(&user.session, "ok", said);
            session::offer_alike_again(&user.session, kind, &group);
            return Ok(see_other(BACK));
        }
        Some("again") => {
            let n = app.media.alike_again(&user.actor(), kind, &ids("item")).await?;
            session::flash(&user.session, "ok", format!("{n} items are shown as alike again."));
            return Ok(see_other(BACK));
        }
        _ => {}
    }
    let kept = app.media.keep_alike(&user.actor(), kind, &ids("keep"), &ids("item")).await?;
    let verb = if app.media.keeps_trash() { "Moved to the Trash" } else { "Deleted" };
    let mut said = format!("{verb}: {}.", counted(kept.gone.len(), "item"));
    if kept.left > 0 {
        said.push_str(&format!(" Left alone: {} no longer alike a kept one.", kept.left));
    }
    session::flash(&user.session, "ok", said);
    if app.media.keeps_trash() {
        let trashed: Vec<String> = kept.gone.iter().map(|id| format!("{kind}:{id}")).collect();
        session::offer_undo(&user.session, &trashed, BACK);
    }
    Ok(see_other(BACK))
}

//! Deleting, as the pages that delete put it: the confirmation of a delete (one item or a
//! selection), and what is said when storage keeps a file for a while.

use actix_web::HttpResponse;
use askama::Template;

use crate::web::error::WebError;
use crate::web::view::{self, Layout, counted};

/// Said when a delete could not remove the file from storage yet.
pub const DELETE_DEFERRED: &str = "The file will be removed from storage when it answers again; its links \
                                   already no longer work.";

/// Said when a delete moved `what` to the trash, where it stays until `until`.
pub fn moved_to_trash(what: &str, until: chrono::NaiveDateTime) -> String {
    format!("Moved {what} to the Trash; restore from there until {}.", view::Moment(until).text())
}

/// One item on a delete confirmation: what it is, whose, and its thumbnail.
pub struct ConfirmItem {
    /// `kind:id`, as the form sends it.
    pub value: String,
    pub filename: String,
    pub owner_label: String,
    pub thumb_url: Option<String>,
    /// Its live share links, which deleting it revokes.
    pub live_shares: usize,
}

/// What deleting the `items` ends for people outside: a note when some have live share links
/// (deleting revokes them; a restore from the trash does not bring them back).
pub fn shares_note(items: &[ConfirmItem], trash_days: u32) -> Option<String> {
    let shared = items.iter().filter(|i| i.live_shares > 0).count();
    let links: usize = items.iter().map(|i| i.live_shares).sum();
    shares_said(items.len(), (shared, links), trash_days)
}

/// The same, for `total` items of which `shared` have `links` live links between them.
pub fn shares_said(total: usize, (shared, links): (usize, usize), trash_days: u32) -> Option<String> {
    let (them, work) =
        if links == 1 { ("it", "it no longer works") } else { ("them", "they no longer work") };
    let who = match (total, shared) {
        (_, 0) => return None,
        (1, _) => format!("It has {}", counted(links, "live share link")),
        (_, 1) => format!("1 of these has {}", counted(links, "live share link")),
        _ => format!(
            "{} of these have {} live share links between them",
            view::count(shared as i64),
            view::count(links as i64)
        ),
    };
    let verb = if links == 1 { "it is" } else { "they are" };
    let after = if trash_days > 0 { " Restoring from the trash does not bring them back." } else { "" };
    Some(format!("{who}: {verb} revoked, and whoever holds {them} will be told {work}.{after}"))
}

#[derive(Template)]
#[template(path = "confirm_delete.html")]
pub struct ConfirmDeletePage {
    pub layout: Layout,
    pub items: Vec<ConfirmItem>,
    /// Whose items they are ("3 of these belong to alice"), and what was left out.
    pub notes: Vec<String>,
    pub action: String,
    pub cancel_url: String,
    /// The gallery view to return to after the delete.
    pub back: String,
    /// Days deleted items stay in the trash; 0: a delete is final.
    pub trash_days: u32,
}

/// A question before an action that cannot be taken back in one click.
#[derive(Template)]
#[template(path = "confirm_action.html")]
pub struct ConfirmActionPage {
    pub layout: Layout,
    pub title: String,
    pub message: String,
    pub action: String,
    /// Hidden fields the confirmed post carries (besides the token).
    pub fields: Vec<(&'static str, String)>,
    pub button: String,
    /// Where "Cancel" goes.
    pub cancel: String,
}

impl ConfirmActionPage {
    pub fn respond(&self) -> Result<HttpResponse, WebError> {
        Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(self.render()?))
    }
}

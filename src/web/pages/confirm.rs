//! Deleting, as the pages that delete put it: the confirmation of a delete (one item or a
//! selection), and what is said when storage keeps a file for a while.

use actix_web::HttpResponse;
use askama::Template;

use crate::web::error::WebError;
use crate::web::view::{self, Layout};

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

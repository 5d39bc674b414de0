//! The address of one item, `/media/{kind}/{id}`, as the item's pages take it.

use actix_session::Session;
use actix_web::HttpResponse;
use serde::Deserialize;

use super::signin::see_other;
use crate::auth::session;
use crate::domain::MediaKind;
use crate::http_text::percent_encode;

/// `/media/{kind}/{id}`: a kind that is not one answers 404.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct MediaPath {
    pub(super) kind: MediaKind,
    pub(super) id: i64,
}

impl MediaPath {
    pub(super) fn url(self) -> String {
        format!("/media/{}/{}", self.kind, self.id)
    }

    /// Back to this item's form `form` (its anchor, and the parameter the page reads a refused
    /// change's values from) with why it was refused and what was typed, so nothing is lost.
    pub(super) fn refused(self, session: &Session, why: String, form: &str, typed: &str) -> HttpResponse {
        session::flash(session, "error", why);
        see_other(&format!("{}?{form}={}#{form}", self.url(), percent_encode(typed)))
    }
}

//! Access tokens on the wire: `Authorization: Bearer mdk_…`. A request that carries one is a
//! script's: it is answered in JSON, never sent to sign in, and has no session (no CSRF token,
//! no work kept for later). Only the routes whose extractor names a scope (`Uploader`,
//! `Reader`, `Editor`…) accept it, each a token of its scopes; every other answers 403
//! `token_scope` rather than ignore it. The token is looked up once, by `guard` (a live one's
//! requests are not counted as a stranger's), and what it found is [`Verified`] for the
//! extractor. A bearer value
//! without the prefix is not Mediadesk's (an authenticating proxy in front may pass its own on
//! every request) and is left alone, as before tokens existed.

use actix_web::HttpRequest;
use actix_web::dev::ServiceRequest;
use actix_web::http::header::{AUTHORIZATION, HeaderMap};

use crate::auth::{TOKEN_PREFIX, TokenHolder};

/// A request's live token, as `guard` found it.
#[derive(Clone)]
pub struct Verified(pub TokenHolder);

fn in_headers(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && token.starts_with(TOKEN_PREFIX)).then_some(token)
}

/// The token a request carries, if it carries one.
pub fn of(req: &HttpRequest) -> Option<&str> {
    in_headers(req.headers())
}

/// Whether a request (before its handler) carries a token.
pub fn carried(req: &ServiceRequest) -> bool {
    in_headers(req.headers()).is_some()
}

/// The token a request carries (before its handler), if it carries one.
pub fn carried_token(req: &ServiceRequest) -> Option<String> {
    in_headers(req.headers()).map(str::to_owned)
}

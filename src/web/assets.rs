//! The stylesheet and the scripts, compiled into the binary: nothing to deploy next to it.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::error::WebError;

const CSS: &str = include_str!("../../static/app.css");
const JS: &str = include_str!("../../static/app.js");
const PLAYER_JS: &str = include_str!("../../static/player.js");
const FAVICON: &str = include_str!("../../static/favicon.svg");

pub async fn serve(name: web::Path<String>) -> Result<HttpResponse, WebError> {
    let (body, content_type) = match name.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "app.js" => (JS, "text/javascript; charset=utf-8"),
        "player.js" => (PLAYER_JS, "text/javascript; charset=utf-8"),
        "favicon.svg" => (FAVICON, "image/svg+xml"),
        _ => return Err(WebError::NotFound),
    };
    // URLs carry `?v={version}`, so a long lifetime is safe.
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=604800, immutable"))
        .body(body))
}

//! `/api/v1/openapi.json`: the API described in OpenAPI 3.1, for client generators and API
//! consoles. The document is written by hand beside the code (`openapi.json`) and held to it by
//! a test that validates it and every kind of answer against it with independent tools; only
//! the server's address is filled in here.

use actix_web::{HttpResponse, web};

use crate::web::WebSettings;
use crate::web::error::WebError;

const SPEC: &str = include_str!("openapi.json");

/// Needs no credentials: it describes the API, not the library.
pub async fn openapi(settings: web::Data<WebSettings>) -> Result<HttpResponse, WebError> {
    let mut spec: serde_json::Value =
        serde_json::from_str(SPEC).map_err(|e| WebError::Internal(format!("openapi.json: {e}")))?;
    spec["servers"] = serde_json::json!([{ "url": settings.public_url.trim_end_matches('/') }]);
    Ok(HttpResponse::Ok().json(spec))
}

//! The JSON API from another site's page, for the sites `MEDIADESK_API_ORIGINS` names: a page
//! there may `fetch` the API with an access token, to read or, with a token that may, to
//! change (its own upload widget, its editor). The token's scopes decide what it may do, as
//! anywhere. Never with credentials: the answer carries no `Access-Control-Allow-Credentials`,
//! so a browser neither sends the session cookie across (it is `SameSite=Lax` anyway) nor lets
//! a script read what a cookie would have fetched. Only `/api/` answers so; the pages and forms
//! stay same-origin.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::web::WebSettings;
use crate::web::error::WebError;

/// What `Access-Control-Allow-Origin` says to a request from `headers`' origin, if it may read.
fn allowed(settings: &WebSettings, headers: &HeaderMap) -> Option<HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    if settings.api_origins.iter().any(|o| o == "*") {
        return Some(HeaderValue::from_static("*"));
    }
    let text = origin.to_str().ok()?;
    settings.api_origins.iter().any(|o| o.eq_ignore_ascii_case(text)).then(|| origin.clone())
}

/// Marks the API's answers (refusals too, so a page's script can read why) readable by an
/// allowed origin.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let listed = req.path().starts_with("/api/")
        && req.app_data::<web::Data<WebSettings>>().is_some_and(|s| !s.api_origins.is_empty());
    let allow = match req.app_data::<web::Data<WebSettings>>() {
        Some(s) if listed => allowed(s, req.headers()),
        _ => None,
    };
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    if let Some(origin) = allow {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    // A cache between must not hand one origin's answer to another.
    if listed {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    Ok(res)
}

/// The methods the API answers to.
const METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE";

/// What a request may carry: the token, the JSON it sends, and a replaced file's name.
const HEADERS: &str = "Authorization, Accept, Content-Type, Content-Disposition";

/// The browser's preflight before a request with `Authorization` (or a JSON body): allowed for
/// the listed origins and the API's methods, refused (with nothing that lets the request go)
/// for any other.
pub async fn preflight(req: HttpRequest, settings: web::Data<WebSettings>) -> Result<HttpResponse, WebError> {
    let method_ok = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|m| m.to_str().ok())
        .is_some_and(|m| METHODS.split(", ").any(|allowed| allowed == m));
    if allowed(&settings, req.headers()).is_none() || !method_ok {
        return Err(WebError::Forbidden(
            "This site may not use the API from a browser (MEDIADESK_API_ORIGINS), or not with this method."
                .into(),
        ));
    }
    Ok(HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, METHODS))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, HEADERS))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
        .finish())
}

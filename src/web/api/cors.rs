//! The JSON API and uploads from another site's page, for the sites `MEDIADESK_API_ORIGINS`
//! names: a page there may `fetch` the API with an access token, to read or, with a token that
//! may, to change (its own editor), and upload with an upload token, by the form's post or by
//! tus (its own upload widget). The token's scopes decide what it may do, as anywhere. Never
//! with credentials: the answer carries no `Access-Control-Allow-Credentials`, so a browser
//! neither sends the session cookie across (it is `SameSite=Lax` anyway) nor lets a script read
//! what a cookie would have fetched. Only `/api/` and the uploads answer so; the pages stay
//! same-origin.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
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

/// Whether another site's page may use `path` with `method`: the API, and the uploads (the
/// upload page itself, a `GET`, stays a page).
fn crosses(method: &Method, path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with(TUS) || (path == "/upload" && method != Method::GET)
}

/// Marks the API's and the uploads' answers (refusals too, so a page's script can read why)
/// readable by an allowed origin, and lets it read a tus answer's headers.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let listed = crosses(req.method(), req.path())
        && req.app_data::<web::Data<WebSettings>>().is_some_and(|s| !s.api_origins.is_empty());
    let tus = req.path().starts_with(TUS);
    let allow = match req.app_data::<web::Data<WebSettings>>() {
        Some(s) if listed => allowed(s, req.headers()),
        _ => None,
    };
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    if let Some(origin) = allow {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        if tus {
            headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(TUS_EXPOSED));
        }
    }
    // A cache between must not hand one origin's answer to another.
    if listed {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    Ok(res)
}

/// Where tus uploads live.
const TUS: &str = "/uploads/tus";

/// What a tus client sends besides the token.
const TUS_HEADERS: &str = "Authorization, Content-Type, Tus-Resumable, Upload-Length, Upload-Metadata, \
                           Upload-Offset, Upload-Checksum";

/// What a tus client reads from the answers: where the upload is, how far it got, the limits.
const TUS_EXPOSED: &str = "Location, Upload-Offset, Upload-Length, Upload-Expires, Tus-Resumable, \
                           Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm";

/// The methods the API and the uploads answer to.
const METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE";

/// What a request may carry: the token, the JSON it sends, and a replaced file's name.
const HEADERS: &str = "Authorization, Accept, Content-Type, Content-Disposition";

/// Whether `req` is a preflight from a listed origin for one of our methods.
fn may_cross(req: &HttpRequest, settings: &WebSettings) -> bool {
    let method_ok = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|m| m.to_str().ok())
        .is_some_and(|m| METHODS.split(", ").any(|allowed| allowed == m));
    method_ok && allowed(settings, req.headers()).is_some()
}

/// The browser's preflight before a request with `Authorization` (or a JSON body or a form):
/// allowed for the listed origins and the API's methods, refused (with nothing that lets the
/// request go) for any other.
pub async fn preflight(req: HttpRequest, settings: web::Data<WebSettings>) -> Result<HttpResponse, WebError> {
    if !may_cross(&req, &settings) {
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

/// A tus `OPTIONS` that is also a listed site's preflight: what it may send. (Any other is
/// answered as tus alone, which lets no request from elsewhere go.)
pub fn tus_preflight(req: &HttpRequest, settings: &WebSettings, answer: &mut HttpResponse) {
    if !may_cross(req, settings) {
        return;
    }
    let headers = answer.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(METHODS));
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(TUS_HEADERS));
    headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
}

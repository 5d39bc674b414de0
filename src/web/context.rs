//! Per-request context: an id (taken from a sane `X-Request-Id` or made up) that tags every log
//! line of the request, is returned in the response header and printed on error pages; the
//! access log line and the response metrics; and `Cache-Control: no-store` on every response
//! that does not set its own.

use std::cell::RefCell;
use std::time::Instant;

use actix_session::Session;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{ACCEPT, CACHE_CONTROL, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

use crate::auth::Account;
use crate::metrics::METRICS;

tokio::task_local! {
    static REQUEST_ID: String;
    /// Who is signed in, once the request's extractor knows: error pages show the navigation
    /// and the account, as every other page does.
    static SIGNED_IN: RefCell<Option<SignedIn>>;
    /// The client asked for JSON (`Accept: application/json`): errors answer in JSON.
    static WANTS_JSON: bool;
}

/// Whether the request being handled asked for JSON.
pub fn wants_json() -> bool {
    WANTS_JSON.try_with(|w| *w).unwrap_or(false)
}

/// The signed-in account and its session, kept so that an error page can show the navigation;
/// what the page needs of them (the CSRF token above all) is worked out only if one is shown.
#[derive(Clone)]
pub struct SignedIn {
    pub account: Account,
    pub session: Session,
}

/// Records the signed-in account for the rest of this request.
pub fn set_signed_in(who: SignedIn) {
    let _ = SIGNED_IN.try_with(|cell| *cell.borrow_mut() = Some(who));
}

/// The signed-in account of the request being handled, if it got that far.
pub fn signed_in() -> Option<SignedIn> {
    SIGNED_IN.try_with(|cell| cell.borrow().clone()).ok().flatten()
}

/// The client's address, for sign-in throttling and the audit log: the TCP peer, or the first
/// `X-Forwarded-For` hop when the operator says a proxy sets it.
pub fn client_ip(req: &actix_web::HttpRequest, trust_forwarded: bool) -> String {
    if trust_forwarded && let Some(ip) = req.connection_info().realip_remote_addr() {
        return ip.to_owned();
    }
    req.peer_addr().map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
}

pub const HEADER: &str = "x-request-id";

/// The id of the request being handled, if any.
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let v = req.headers().get(HEADER)?.to_str().ok()?;
    let ok =
        (8..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| v.to_owned())
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = incoming_id(&req).unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..16].to_owned());
    let span = tracing::info_span!("request", request_id = %id);
    let (method, path) = (req.method().to_string(), req.path().to_owned());
    let started = Instant::now();
    // The resumable-upload endpoint, the API, and whoever sends an access token, are scripts.
    let json = path.starts_with("/uploads/tus")
        || path.starts_with("/api/")
        || super::bearer::carried(&req)
        || req
            .headers()
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("application/json"));
    let trust_forwarded =
        req.app_data::<actix_web::web::Data<super::WebSettings>>().is_some_and(|s| s.trust_forwarded);
    let client = client_ip(req.request(), trust_forwarded);
    let handled = SIGNED_IN
        .scope(RefCell::new(None), crate::client::serving(client, next.call(req).instrument(span.clone())));
    let result = REQUEST_ID.scope(id.clone(), WANTS_JSON.scope(json, handled)).await;
    let mut res = result?;
    let took = started.elapsed();
    let status = res.status().as_u16();
    METRICS.response(status, took);
    span.in_scope(|| {
        tracing::info!(%method, %path, status, ms = took.as_secs_f64() * 1000.0, "request");
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HeaderName::from_static(HEADER), v);
    }
    // Pages can show what only a signed-in person may see: after sign-out, Back must not bring
    // them out of the browser's cache. What may be cached (the stylesheet, signed file links)
    // says so itself.
    if !res.headers().contains_key(CACHE_CONTROL) {
        res.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

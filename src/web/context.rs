//! Per-request context: an id (taken from a sane `X-Request-Id` or made up) that tags every log
//! line of the request, is returned in the response header and printed on error pages; plus the
//! access log line and the response metrics.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

use crate::metrics::METRICS;

tokio::task_local! {
    static REQUEST_ID: String;
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
    let result = REQUEST_ID.scope(id.clone(), next.call(req).instrument(span.clone())).await;
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
    Ok(res)
}

//! Slow and piled-up requests. A body that stops arriving ends its request after an idle time
//! (generous enough for a phone on a bad line), so a client that sends a byte now and then
//! cannot hold a descriptor, a worker's attention or a spool file forever. And one address
//! gets only a few requests at once before it has signed in, so a crowd of such clients from
//! one place cannot pile up either. A request with a live access token is signed in as much as
//! a session is (a script fanning out its uploads is not a crowd); an unknown or ended token
//! counts as a stranger's, and is answered at once, before its body is read.

use std::time::Duration;

use actix_session::SessionExt;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use futures_util::StreamExt;

use super::error::{error_page, json_error};
use super::settings::WebSettings;
use crate::auth::session;

/// Whether an error from reading a body is the idle timeout below.
pub fn is_idle_timeout(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}

/// The request's body, ended with an error once no byte came for `idle`.
fn with_idle_timeout(payload: Payload, idle: Duration) -> Payload {
    let stream = futures_util::stream::unfold(Some(payload), move |state| async move {
        let mut payload = state?;
        match tokio::time::timeout(idle, payload.next()).await {
            Ok(Some(item)) => Some((item, Some(payload))),
            Ok(None) => None,
            Err(_) => {
                let why = format!("no part of the body arrived for {} s", idle.as_secs());
                Some((Err(PayloadError::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, why))), None))
            }
        }
    });
    // Fused: body readers (the multipart parser) may poll again after the end.
    Payload::from(Box::pin(stream.fuse()) as std::pin::Pin<Box<dyn futures_util::Stream<Item = _>>>)
}

/// Token lookups one address may have in flight, per request it may have before signing in.
const LOOKUPS_PER_PLACE: usize = 4;

/// The answer to one request too many from an address.
fn crowded() -> actix_web::HttpResponse {
    let why = "Too many requests from your address at once. Wait a moment and try again.";
    if super::context::wants_json() {
        json_error(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", why.into(), None)
    } else {
        error_page(StatusCode::TOO_MANY_REQUESTS, why.into())
    }
}

/// The request's token, if live. Any failure (a database that does not answer included) leaves
/// it to the extractor, which looks again and answers why.
async fn verified_token(req: &ServiceRequest, secret: &str) -> Option<crate::auth::TokenHolder> {
    let app = req.app_data::<web::Data<crate::app::App>>()?;
    app.accounts.token_holder(secret).await.ok()
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(settings) = req.app_data::<web::Data<WebSettings>>().cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    };
    // Only bodies are watched: a GET's empty payload needs no timer.
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let payload = req.take_payload();
        req.set_payload(with_idle_timeout(payload, settings.body_idle));
    }
    // Health checks, the static files and signed file links (a share link's viewer is nobody
    // signed in, and a download may be long) are not counted.
    let path = req.path();
    let exempt =
        ["/healthz", "/readyz", "/static/", "/files/", "/favicon.ico"].iter().any(|p| path.starts_with(p));
    // A token is looked up first: a live one's request is a signed-in one's. The lookups one
    // address has in flight are capped too (a lookup is short, so the cap is wider), so that a
    // crowd of made-up tokens cannot queue without end on the database's connections.
    let mut by_token = false;
    if let Some(secret) = super::bearer::carried_token(&req).filter(|_| !exempt) {
        let address = super::context::client_ip(req.request(), settings.trust_forwarded);
        let cap = settings.max_anonymous_per_address.saturating_mul(LOOKUPS_PER_PLACE);
        let Some(_looking) = settings.token_lookups.enter(address, cap) else {
            return Ok(req.into_response(crowded()).map_into_right_body());
        };
        if let Some(holder) = verified_token(&req, &secret).await {
            req.extensions_mut().insert(super::bearer::Verified(holder));
            by_token = true;
        }
    }
    let _entered = if exempt || by_token || session::is_signed_in(&req.get_session()) {
        None
    } else {
        let address = super::context::client_ip(req.request(), settings.trust_forwarded);
        match settings.anonymous.enter(address, settings.max_anonymous_per_address) {
            Some(entered) => Some(entered),
            None => return Ok(req.into_response(crowded()).map_into_right_body()),
        }
    };
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

//! A post that arrives after its session ended is answered here, before any handler's
//! extractors read its body: its text is kept (`stash.rs`) and the person is sent to sign in.

use actix_session::SessionExt;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, ResponseError, web};
use futures_util::StreamExt;

use super::error::WebError;
use super::pages::sign_on::BACK_CHANNEL_PATH;
use super::settings::WebSettings;
use super::{back, stash};
use crate::auth::session;

/// Answers a post whose session has ended before any handler reads its body: keeps its text,
/// and sends the person to sign in and then back to the page they were on. (Handlers' own
/// extractors would read the body first, so this cannot wait for `CurrentUser`.) The sign-in
/// form itself is the one post that needs no session.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let settings = req.app_data::<web::Data<WebSettings>>().cloned();
    // Sign-in, a share link's password form and the sign-on provider's back-channel logout
    // (from its server) are posted by nobody signed in, and a script with an access token has
    // no session to end. `OPTIONS` (a browser's preflight, tus's discovery) changes nothing
    // and carries nothing to keep.
    let post = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && req.path() != "/signin"
        && req.path() != BACK_CHANNEL_PATH
        && !req.path().starts_with("/s/")
        && !super::bearer::carried(&req);
    let Some(settings) = settings.filter(|_| post) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let session = req.get_session();
    let user_id = session::claimed_user(&session);
    if session::claim(&session, settings.clock.now(), settings.session_limits).is_some() {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let post = EndedPost::of(req.request(), user_id);
    let error = post.keep(req.take_payload(), &settings).await;
    Ok(req.into_response(error.error_response()).map_into_right_body())
}

/// A post that arrived after its session ended, and what is known of it before its body.
struct EndedPost {
    action: String,
    page: Option<String>,
    user_id: Option<i64>,
    from_this_site: bool,
    form: bool,
}

impl EndedPost {
    fn of(req: &HttpRequest, user_id: Option<i64>) -> EndedPost {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        EndedPost {
            action: req.path().to_owned(),
            page: stash::sent_from(req),
            user_id,
            from_this_site: stash::from_this_site(req),
            form: content_type.is_some_and(|t| t.starts_with("application/x-www-form-urlencoded")),
        }
    }

    /// A form's fields are kept; of an upload, only that it happened (its files cannot wait
    /// in memory), so that sign-in can say it did not arrive.
    async fn keep(self, payload: Payload, settings: &WebSettings) -> WebError {
        let fields = if self.form { read_form(payload).await } else { Some(Vec::new()) };
        let field = |name: &str| fields.iter().flatten().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        // A confirmation page is a post's answer and cannot be asked for again: back to the
        // gallery view it came from.
        let back = field("back");
        let next = match self.page {
            Some(p) if back.is_none() || p.split('?').next() != Some(self.action.as_str()) => p,
            _ => back::gallery_view(back.as_deref()),
        };
        let keep = match fields {
            Some(fields) if self.from_this_site && self.action != "/signout" => {
                let id = settings.work.keep(settings.clock.now(), self.user_id, &self.action, fields);
                Some(Box::new(stash::cookie(&id, settings.secure_cookies)))
            }
            _ => None,
        };
        WebError::SignInRequired { next, keep }
    }
}

/// A form body's fields; `None` if it is too long or not a form.
async fn read_form(mut payload: Payload) -> Option<Vec<(String, String)>> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        body.extend_from_slice(&chunk.ok()?);
        if body.len() > stash::MAX_BODY {
            return None;
        }
    }
    serde_urlencoded::from_bytes(&body).ok()
}

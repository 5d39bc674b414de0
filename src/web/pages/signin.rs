//! Sign-in and sign-out.

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::App;
use crate::auth::{AuthError, session};
use crate::web::WebSettings;
use crate::web::context::client_ip;
use crate::web::error::WebError;
use crate::web::extract::{CurrentUser, check_csrf};
use crate::web::view::Layout;
use crate::web::{back, stash};

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    layout: Layout,
    no_accounts: bool,
    error: Option<String>,
    next: String,
    username: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only same-site paths: a crafted `next` must not send people elsewhere after sign-in.
async fn render(
    app: &App,
    session: &Session,
    next: String,
    username: String,
    error: Option<String>,
) -> Result<String, WebError> {
    let no_accounts = app.accounts.count().await? == 0;
    Ok(SignInPage { layout: Layout::new(session, None, "signin"), no_accounts, error, next, username }
        .render()?)
}

pub async fn form(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    session: Session,
    q: web::Query<NextQuery>,
) -> Result<HttpResponse, WebError> {
    if let Some(claim) = session::claim(&session, settings.clock.now(), settings.session_limits)
        && app.accounts.for_session(claim.user_id, claim.epoch).await?.is_some()
    {
        return Ok(see_other(&back::after_sign_in(q.next.as_deref())));
    }
    let body = render(&app, &session, back::after_sign_in(q.next.as_deref()), String::new(), None).await?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

#[derive(Deserialize)]
pub struct SignInForm {
    csrf_token: String,
    username: String,
    password: String,
    next: Option<String>,
}

pub async fn submit(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    session: Session,
    req: HttpRequest,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, WebError> {
    check_csrf(&session, &form.csrf_token)?;
    let next = back::after_sign_in(form.next.as_deref());
    let ip = client_ip(&req, settings.trust_forwarded);
    match app.accounts.authenticate(&form.username, &form.password, &ip).await {
        Ok(account) => {
            let now = settings.clock.now();
            session::sign_in(&session, &account, now).map_err(|e| WebError::Internal(e.to_string()))?;
            tracing::info!(user = %account.username, "signed in");
            let mut res = see_other(&next);
            // Work posted while signed out: say what became of it; the page it was sent from
            // puts it back (and drops it) if it can, otherwise it is dropped now.
            if let Some(kept) = settings.work.peek(&req, now) {
                let (note, restored) = stash::note(&kept);
                let theirs = kept.user_id.is_none_or(|u| u == account.id);
                if theirs {
                    session::flash(&session, if restored { "note" } else { "error" }, note);
                }
                if !(theirs && restored) {
                    settings.work.forget(&req);
                    let _ = res.add_cookie(&stash::removal());
                }
            }
            Ok(res)
        }
        Err(e @ (AuthError::BadCredentials | AuthError::Disabled | AuthError::Throttled { .. })) => {
            let status = if matches!(e, AuthError::Throttled { .. }) {
                actix_web::http::StatusCode::TOO_MANY_REQUESTS
            } else {
                actix_web::http::StatusCode::UNAUTHORIZED
            };
            let body = render(&app, &session, next, form.username.clone(), Some(e.to_string())).await?;
            Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf_token: String,
}

pub async fn sign_out(
    app: web::Data<App>,
    user: CurrentUser,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    // Ends this account's sessions everywhere, not only the cookie in this browser.
    app.accounts.end_sessions(user.account.id).await?;
    session::sign_out(&user.session);
    Ok(see_other("/signin"))
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.to_owned())).finish()
}

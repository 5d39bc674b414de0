//! Single sign-on: leaving for the provider, coming back from it, and an account's links to
//! it (on the Tokens page, beside the other ways in without a password). What sends a browser
//! to the provider is a link (or, signing out, a page of ours), never a form: a form's
//! redirects are held to the CSP's `form-action`, and a provider's pages may be on an origin
//! of their own (AWS Cognito's are), learnt only from its metadata.

use actix_session::Session;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::signin::{self, CsrfOnly, NextQuery, see_other};
use crate::app::App;
use crate::auth::oidc::{Person, SignOn};
use crate::auth::{AuthError, session};
use crate::web::WebSettings;
use crate::web::back;
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;

/// Where the provider sends the browser back; registered with the provider as the redirect URI.
pub const RETURN_PATH: &str = "/signin/sso/done";
/// Where the provider's server posts its back-channel logouts.
pub const BACK_CHANNEL_PATH: &str = "/signin/sso/logout";

fn provider(settings: &WebSettings) -> Result<&SignOn, WebError> {
    settings.sign_on.as_deref().ok_or(WebError::NotFound)
}

fn return_url(settings: &WebSettings) -> String {
    format!("{}{RETURN_PATH}", settings.public_url.trim_end_matches('/'))
}

/// The sign-in page again, saying what went wrong, with `status`.
async fn refused(
    app: &App,
    settings: &WebSettings,
    session: &Session,
    next: String,
    status: StatusCode,
    error: String,
) -> Result<HttpResponse, WebError> {
    let body = signin::render(app, settings, session, next, String::new(), Some(error)).await?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
}

/// What a provider's failure is called on the sign-in page, and with which status
/// (`passwords`: whether that page offers a password sign-in).
fn explain(label: &str, passwords: bool, e: AuthError) -> Result<(StatusCode, String), WebError> {
    Ok(match e {
        AuthError::ProviderUnavailable(why) => {
            tracing::warn!(%why, "the sign-on provider could not be reached");
            let or = if passwords { ", or sign in with your password" } else { "" };
            let text = format!("{label} could not be reached. Try again shortly{or}.");
            (StatusCode::SERVICE_UNAVAILABLE, text)
        }
        AuthError::SignOnFailed(why) => {
            tracing::warn!(%why, "a sign-on failed");
            (StatusCode::UNAUTHORIZED, format!("{label} did not sign you in: {why}."))
        }
        AuthError::NotLinked { known_as } if !passwords => (
            StatusCode::FORBIDDEN,
            format!("No account here is linked to {known_as} at {label}. Ask an admin for an account."),
        ),
        AuthError::NotLinked { known_as } => (
            StatusCode::FORBIDDEN,
            format!(
                "No account here is linked to {known_as} at {label}. To link it, sign in below with your \
                 password and tick Link; or ask an admin for an account."
            ),
        ),
        AuthError::Disabled => (StatusCode::FORBIDDEN, "This account is disabled.".into()),
        other => return Err(other.into()),
    })
}

/// `GET /signin/sso`: off to the provider.
pub async fn start(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    session: Session,
    q: web::Query<NextQuery>,
) -> Result<HttpResponse, WebError> {
    let sign_on = provider(&settings)?;
    let next = back::after_sign_in(q.next.as_deref());
    match sign_on.begin(&return_url(&settings), next.clone(), None).await {
        Ok((url, pending)) => {
            session::keep_sign_on(&session, &pending).map_err(|e| WebError::Internal(e.to_string()))?;
            Ok(see_other(&url))
        }
        Err(e) => {
            let (status, text) = explain(&sign_on.config.label, settings.password_sign_in, e)?;
            refused(&app, &settings, &session, next, status, text).await
        }
    }
}

/// `GET /tokens/sign-on?csrf_token=…`: off to the provider to link the person who signs in
/// there. A link carrying the session's form token, not a form: browsers hold a form's
/// redirects to the CSP's `form-action`, and a provider's sign-in page may be on any origin.
pub async fn link(
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    form: web::Query<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let sign_on = provider(&settings)?;
    match sign_on.begin(&return_url(&settings), "/tokens#sign-on".into(), Some(user.account.id)).await {
        Ok((url, pending)) => {
            session::keep_sign_on(&user.session, &pending).map_err(|e| WebError::Internal(e.to_string()))?;
            Ok(see_other(&url))
        }
        Err(e) => {
            let (_, text) = explain(&sign_on.config.label, settings.password_sign_in, e)?;
            session::flash(&user.session, "error", text);
            Ok(see_other("/tokens#sign-on"))
        }
    }
}

#[derive(Deserialize)]
pub struct Answer {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /signin/sso/done`: the provider's answer, for the sign-on this browser started.
pub async fn done(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    session: Session,
    req: HttpRequest,
    q: web::Query<Answer>,
) -> Result<HttpResponse, WebError> {
    let sign_on = provider(&settings)?;
    let label = sign_on.config.label.as_str();
    let pending = session::take_sign_on(&session).filter(|p| q.state.as_deref() == Some(p.state.as_str()));
    let Some(pending) = pending else {
        let text = format!(
            "This answer from {label} is for a sign-in this browser did not start, or has already used. \
             Start again."
        );
        return refused(&app, &settings, &session, "/media".into(), StatusCode::BAD_REQUEST, text).await;
    };
    let outcome = match (&q.code, &q.error) {
        (_, Some(error)) => {
            let why = q.error_description.as_deref().filter(|d| !d.is_empty()).unwrap_or(error);
            Err(AuthError::SignOnFailed(format!("it answered “{why}”")))
        }
        (Some(code), None) => sign_on.finish(&return_url(&settings), &pending, code).await,
        (None, None) => Err(AuthError::SignOnFailed("it sent neither a code nor an error".into())),
    };
    if let Some(user_id) = pending.link_to {
        return linked(&app, &settings, &session, user_id, label, outcome, &pending.next).await;
    }
    let account = match outcome {
        Ok(person) => match app.accounts.sign_on(&person, sign_on.config.create_accounts).await {
            Err(e @ AuthError::NotLinked { .. }) => {
                session::keep_unlinked(&session, &person, settings.clock.now());
                Err(e)
            }
            other => other,
        },
        Err(e) => Err(e),
    };
    match account {
        Ok(account) => {
            let res = signin::signed_in(&settings, &session, &req, &account, &pending.next)?;
            session::mark_signed_on(&session);
            Ok(res)
        }
        Err(e) => {
            let (status, text) = explain(label, settings.password_sign_in, e)?;
            refused(&app, &settings, &session, pending.next, status, text).await
        }
    }
}

/// The end of linking from the Tokens page: only for the account that started it, still
/// signed in.
async fn linked(
    app: &App,
    settings: &WebSettings,
    session: &Session,
    user_id: i64,
    label: &str,
    outcome: Result<Person, AuthError>,
    next: &str,
) -> Result<HttpResponse, WebError> {
    let claim = session::claim(session, settings.clock.now(), settings.session_limits);
    let account = match claim.filter(|c| c.user_id == user_id) {
        Some(c) => app.accounts.for_session(c.user_id, c.epoch).await?,
        None => None,
    };
    let Some(account) = account else {
        let text = "You were signed out before the link was made. Sign in and link again.".to_owned();
        return refused(app, settings, session, next.to_owned(), StatusCode::BAD_REQUEST, text).await;
    };
    match outcome {
        Ok(person) => signin::link_person(app, settings, session, &account, &person).await,
        Err(e) => {
            let (_, text) = explain(label, settings.password_sign_in, e)?;
            session::flash(session, "error", text);
        }
    }
    Ok(see_other(next))
}

/// `POST /tokens/sign-on/{id}/unlink`.
pub async fn unlink(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let known_as = app.accounts.unlink_sign_on(&user.account, path.into_inner()).await?;
    session::flash(&user.session, "ok", format!("Unlinked: {known_as} no longer signs in to this account."));
    Ok(see_other("/tokens#sign-on"))
}

#[derive(Deserialize)]
pub struct LogoutForm {
    logout_token: Option<String>,
}

/// `POST /signin/sso/logout`: the provider's back-channel logout. The person's sessions here
/// end; the answer is for the provider's server, as the standard asks: 200 when done (also
/// when nobody here is linked to the person), 400 with an OAuth-style error otherwise.
pub async fn back_channel(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    form: web::Form<LogoutForm>,
) -> Result<HttpResponse, WebError> {
    let sign_on = provider(&settings)?;
    let answer = |status: StatusCode, body: serde_json::Value| {
        HttpResponse::build(status).insert_header((header::CACHE_CONTROL, "no-store")).json(body)
    };
    let Some(token) = form.logout_token.as_deref().filter(|t| !t.is_empty()) else {
        let body = serde_json::json!({"error": "invalid_request", "error_description": "no logout_token"});
        return Ok(answer(StatusCode::BAD_REQUEST, body));
    };
    let signed_out = match sign_on.logout_token(token, settings.clock.now()).await {
        Ok(s) => s,
        Err(AuthError::Invalid(why)) => {
            tracing::warn!(why = %why, "a back-channel logout was refused");
            let body = serde_json::json!({"error": "invalid_request", "error_description": why});
            return Ok(answer(StatusCode::BAD_REQUEST, body));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(name) = app.accounts.end_sessions_of(&signed_out).await? {
        tracing::info!(account = %name, "signed out by the sign-on provider");
    }
    sign_on.acted_on(&signed_out, settings.clock.now());
    Ok(answer(StatusCode::OK, serde_json::json!({})))
}

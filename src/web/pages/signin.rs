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
    /// The sign-on provider's label, when there is one.
    sign_on: Option<String>,
    /// Where its button leads (a link: see `sign_on.rs`), with `next`.
    sign_on_href: String,
    /// The provider's name for a person no account is linked to yet: signing in links them.
    linking: Option<String>,
    /// Whether the password form is offered (off: single sign-on only).
    passwords: bool,
}

/// Signed out here, on the way to sign out at the provider too.
#[derive(Template)]
#[template(path = "signed_out.html")]
struct SignedOutPage {
    layout: Layout,
    label: String,
    /// The provider's end-session address, coming back to the sign-in page.
    end: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    pub(super) next: Option<String>,
}

/// The sign-in page; `next` is already a same-site path (see [`back::after_sign_in`]).
pub(super) async fn render(
    app: &App,
    settings: &WebSettings,
    session: &Session,
    next: String,
    username: String,
    error: Option<String>,
) -> Result<String, WebError> {
    let no_accounts = app.accounts.count().await? == 0;
    let sign_on = settings.sign_on.as_ref().map(|s| s.config.label.clone());
    let passwords = settings.password_sign_in;
    let linking = sign_on
        .as_ref()
        .filter(|_| passwords)
        .and_then(|_| session::unlinked(session, settings.clock.now()))
        .map(|p| p.known_as);
    let layout = Layout::new(session, None, "signin");
    let query = serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
    let sign_on_href = format!("/signin/sso?{query}");
    Ok(SignInPage { layout, no_accounts, error, next, username, sign_on, sign_on_href, linking, passwords }
        .render()?)
}

#[derive(Deserialize)]
pub struct FormQuery {
    next: Option<String>,
    /// Present: the page itself, even when the provider is to be gone to at once.
    manual: Option<String>,
}

pub async fn form(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    session: Session,
    q: web::Query<FormQuery>,
) -> Result<HttpResponse, WebError> {
    if let Some(claim) = session::claim(&session, settings.clock.now(), settings.session_limits)
        && app.accounts.for_session(claim.user_id, claim.epoch).await?.is_some()
    {
        return Ok(see_other(&back::after_sign_in(q.next.as_deref())));
    }
    let next = back::after_sign_in(q.next.as_deref());
    // With automatic sign-in, straight on to the provider; but not when the page has something
    // to say (a message: signed out, say), when a person waits to be linked by a password, or
    // when the page itself is asked for (`?manual`, the way to the password form).
    let auto = settings.sign_on.as_ref().is_some_and(|s| s.config.auto_sign_in);
    if auto
        && q.manual.is_none()
        && !session::has_flashes(&session)
        && session::unlinked(&session, settings.clock.now()).is_none()
    {
        let query = serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
        return Ok(see_other(&format!("/signin/sso?{query}")));
    }
    let body = render(&app, &settings, &session, next, String::new(), None).await?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

#[derive(Deserialize)]
pub struct SignInForm {
    csrf_token: String,
    username: String,
    password: String,
    next: Option<String>,
    /// Ticked when the page offered to link the sign-on provider's person waiting in the
    /// session and the reader chose to.
    link_sign_on: Option<String>,
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
    if !settings.password_sign_in {
        // Checked before the password, so that a guess learns nothing either.
        let label = settings.sign_on.as_ref().map_or("single sign-on", |s| s.config.label.as_str());
        let text = format!("Passwords are turned off here: sign in with {label}.");
        let body = render(&app, &settings, &session, next, String::new(), Some(text)).await?;
        return Ok(HttpResponse::Forbidden().content_type("text/html; charset=utf-8").body(body));
    }
    let ip = client_ip(&req, settings.trust_forwarded);
    match app.accounts.authenticate(&form.username, &form.password, &ip).await {
        Ok(account) => {
            // Taken before the session is renewed, which forgets it.
            let person =
                form.link_sign_on.as_ref().and_then(|_| session::unlinked(&session, settings.clock.now()));
            let res = signed_in(&settings, &session, &req, &account, &next)?;
            if let Some(person) = person {
                link_person(&app, &settings, &session, &account, &person).await;
            }
            Ok(res)
        }
        Err(e @ (AuthError::BadCredentials | AuthError::Disabled | AuthError::Throttled { .. })) => {
            let status = if matches!(e, AuthError::Throttled { .. }) {
                actix_web::http::StatusCode::TOO_MANY_REQUESTS
            } else {
                actix_web::http::StatusCode::UNAUTHORIZED
            };
            let body =
                render(&app, &settings, &session, next, form.username.clone(), Some(e.to_string())).await?;
            Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
        }
        Err(e) => Err(e.into()),
    }
}

/// Starts `account`'s session (however it proved who it is) and answers with the way to
/// `next`, saying what became of work posted while signed out.
pub(super) fn signed_in(
    settings: &WebSettings,
    session: &Session,
    req: &HttpRequest,
    account: &crate::auth::Account,
    next: &str,
) -> Result<HttpResponse, WebError> {
    let now = settings.clock.now();
    session::sign_in(session, account, now).map_err(|e| WebError::Internal(e.to_string()))?;
    tracing::info!(user = %account.username, "signed in");
    let mut res = see_other(next);
    // The page the work was sent from puts it back (and drops it) if it can, otherwise it is
    // dropped now.
    if let Some(kept) = settings.work.peek(req, now) {
        let (note, restored) = stash::note(&kept);
        let theirs = kept.user_id.is_none_or(|u| u == account.id);
        if theirs {
            session::flash(session, if restored { "note" } else { "error" }, note);
        }
        if !(theirs && restored) {
            settings.work.forget(req);
            let _ = res.add_cookie(&stash::removal());
        }
    }
    Ok(res)
}

/// Links the sign-on provider's `person` to `account`, saying so (or why not) on the next page:
/// a link that fails leaves the sign-in it came with standing.
pub(super) async fn link_person(
    app: &App,
    settings: &WebSettings,
    session: &Session,
    account: &crate::auth::Account,
    person: &crate::auth::oidc::Person,
) {
    let label = settings.sign_on.as_ref().map_or("single sign-on", |s| s.config.label.as_str());
    match app.accounts.link_sign_on(account, person).await {
        Ok(()) => {
            let text = format!("Linked: from now on you can sign in with {label} as {}.", person.known_as);
            session::flash(session, "ok", text);
        }
        Err(e @ AuthError::SignOnTaken { .. }) => session::flash(session, "error", e.to_string()),
        Err(e) => {
            tracing::error!(error = %e, "a sign-on could not be linked");
            let text = format!(
                "{} could not be linked just now: nothing was linked. Try again from the Tokens page.",
                person.known_as
            );
            session::flash(session, "error", text);
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    pub(super) csrf_token: String,
}

pub async fn sign_out(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    // Ends this account's sessions everywhere, not only the cookie in this browser.
    app.accounts.end_sessions(user.account.id).await?;
    let by_provider = session::signed_on(&user.session);
    // With automatic sign-in, the sign-in page says so and stays, rather than going straight
    // back to the provider (which may still have the person signed in).
    let say = settings
        .sign_on
        .as_ref()
        .filter(|s| s.config.auto_sign_in)
        .map(|s| format!("Signed out. To sign in again, choose Sign in with {}.", s.config.label));
    if say.is_some() {
        session::sign_out_to_say(&user.session);
    } else {
        session::sign_out(&user.session);
    }
    let res = signed_out(&settings, &user.session, by_provider).await?;
    if let Some(message) = say {
        session::flash(&user.session, "ok", message);
    }
    Ok(res)
}

/// Where a browser goes once signed out here: signed in by the provider, signed out there too,
/// or the next "Sign in with …" on this computer would let anyone straight back in. A page of
/// ours sends the browser on, not a redirect: browsers hold a form's redirects to the CSP's
/// `form-action`, and the provider's end-session address may be on any origin.
async fn signed_out(
    settings: &WebSettings,
    session: &Session,
    by_provider: bool,
) -> Result<HttpResponse, WebError> {
    if let Some(provider) = settings.sign_on.as_ref().filter(|_| by_provider) {
        let after = settings.absolute_url("/signin");
        if let Some(end) = provider.sign_out_url(&after).await {
            let label = provider.config.label.clone();
            let layout = Layout::new(session, None, "signin");
            let body = SignedOutPage { layout, label, end }.render()?;
            return Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body));
        }
    }
    Ok(see_other("/signin"))
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.to_owned())).finish()
}

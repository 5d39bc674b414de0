//! Request extractors: the signed-in account and the CSRF check.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::http::Method;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};

use super::bearer;
use super::context::{self, SignedIn};
use super::error::WebError;
use super::settings::WebSettings;
use super::stash;
use crate::app::App;
use crate::auth::{Account, AuthError, Scope, csrf, session};
use crate::media::Actor;

/// The account of a valid session. Anyone else is sent to the sign-in page.
pub struct CurrentUser {
    pub account: Account,
    /// Empty, and never written back, for a request that came with an access token.
    pub session: Session,
    /// The request came with an access token (see [`Uploader`]), not a session: it needs no
    /// CSRF token, and nothing is remembered for it.
    pub by_token: bool,
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        if self.account.role.is_staff() {
            Actor::staff(self.account.id)
        } else {
            Actor::user(self.account.id)
        }
    }

    /// Refuses a state-changing request without this session's token (a request with an
    /// access token has no session to forge).
    pub fn check_csrf(&self, submitted: &str) -> Result<(), WebError> {
        if self.by_token { Ok(()) } else { check_csrf(&self.session, submitted) }
    }

    /// An account-administration form: an admin, with this session's token.
    pub fn check_admin_form(&self, submitted: &str) -> Result<(), WebError> {
        self.require_admin()?;
        self.check_csrf(submitted)
    }

    pub fn require_admin(&self) -> Result<(), WebError> {
        if self.account.role.is_admin() {
            Ok(())
        } else {
            Err(WebError::Forbidden("Only admins manage accounts.".into()))
        }
    }
}

pub fn check_csrf(session: &Session, submitted: &str) -> Result<(), WebError> {
    if csrf::verify(session, submitted) { Ok(()) } else { Err(WebError::Csrf) }
}

impl FromRequest for CurrentUser {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<CurrentUser, WebError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if bearer::of(req).is_some() {
            return Box::pin(async { Err(AuthError::TokenScope.into()) });
        }
        let session = req.get_session();
        let app = req.app_data::<web::Data<App>>().cloned();
        let settings = req.app_data::<web::Data<WebSettings>>().cloned();
        // After sign-in: the page asked for, or for a post, the page it was sent from (a post
        // from an ended session never gets here: `stash::middleware` answers it).
        let next = match req.uri().path_and_query() {
            Some(p) if matches!(*req.method(), Method::GET | Method::HEAD) => p.as_str().to_owned(),
            _ => stash::sent_from(req).unwrap_or_else(|| "/media".to_owned()),
        };
        Box::pin(async move {
            let app = app.ok_or_else(|| WebError::Internal("app data missing".into()))?;
            let settings = settings.ok_or_else(|| WebError::Internal("web settings missing".into()))?;
            let Some(claim) = session::claim(&session, settings.clock.now(), settings.session_limits) else {
                return Err(WebError::SignInRequired { next, keep: None });
            };
            match app.accounts.for_session(claim.user_id, claim.epoch).await? {
                Some(account) => {
                    context::set_signed_in(SignedIn { account: account.clone(), session: session.clone() });
                    Ok(CurrentUser { account, session, by_token: false })
                }
                None => {
                    // Signed out elsewhere, or disabled: the post's body is with the handler's
                    // own extractors by now, so only the page it came from is kept.
                    session::sign_out(&session);
                    Err(WebError::SignInRequired { next, keep: None })
                }
            }
        })
    }
}

/// A session's account, or the account of the request's access token when it holds every
/// scope `needed`.
fn session_or_token(
    req: &HttpRequest,
    payload: &mut Payload,
    needed: &'static [Scope],
) -> Pin<Box<dyn Future<Output = Result<CurrentUser, WebError>>>> {
    let Some(secret) = bearer::of(req).map(str::to_owned) else {
        return Box::pin(CurrentUser::from_request(req, payload));
    };
    let verified = req.extensions().get::<bearer::Verified>().cloned();
    let app = req.app_data::<web::Data<App>>().cloned();
    let session = req.get_session();
    Box::pin(async move {
        let (account, name) = match verified {
            Some(bearer::Verified(holder)) => {
                holder.check(needed)?;
                (holder.account, holder.name)
            }
            None => {
                let app = app.ok_or_else(|| WebError::Internal("app data missing".into()))?;
                app.accounts.for_token(&secret, needed).await?
            }
        };
        crate::client::with_token(&name);
        Ok(CurrentUser { account, session, by_token: true })
    })
}

/// Whoever may upload: a signed-in session, or a request with an access token of the upload
/// scope (a script's: `Authorization: Bearer mdk_…`).
pub struct Uploader(pub CurrentUser);

impl FromRequest for Uploader {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Uploader, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = session_or_token(req, payload, &[Scope::Upload]);
        Box::pin(async move { user.await.map(Uploader) })
    }
}

/// Whoever may read the JSON API: a signed-in session (a page's script), or a request with an
/// access token of the read scope.
pub struct Reader(pub CurrentUser);

impl FromRequest for Reader {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Reader, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = session_or_token(req, payload, &[Scope::Read]);
        Box::pin(async move { user.await.map(Reader) })
    }
}

/// A change through the JSON API by a token holding every scope `needed`, or by a session
/// whose script sends its CSRF token as `X-CSRF-Token` (a cookie alone is ambient authority;
/// a `GET` changes nothing and needs none).
fn changer(
    req: &HttpRequest,
    payload: &mut Payload,
    needed: &'static [Scope],
) -> Pin<Box<dyn Future<Output = Result<CurrentUser, WebError>>>> {
    let user = session_or_token(req, payload, needed);
    let sent = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let reads = matches!(*req.method(), Method::GET | Method::HEAD);
    Box::pin(async move {
        let user = user.await?;
        if !reads {
            user.check_csrf(&sent)?;
        }
        Ok(user)
    })
}

/// Whoever may describe, tag and turn an item and keep collections through the JSON API (the
/// edit scope).
pub struct Editor(pub CurrentUser);

impl FromRequest for Editor {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Editor, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = changer(req, payload, &[Scope::Edit]);
        Box::pin(async move { user.await.map(Editor) })
    }
}

/// Whoever may delete an item through the JSON API (the delete scope).
pub struct Deleter(pub CurrentUser);

impl FromRequest for Deleter {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Deleter, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = changer(req, payload, &[Scope::Delete]);
        Box::pin(async move { user.await.map(Deleter) })
    }
}

/// Whoever may replace an item's file through the JSON API: it brings a file and changes an
/// item, so a token needs both the upload and the edit scope.
pub struct Replacer(pub CurrentUser);

impl FromRequest for Replacer {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Replacer, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = changer(req, payload, &[Scope::Upload, Scope::Edit]);
        Box::pin(async move { user.await.map(Replacer) })
    }
}

/// Whoever may make, list and revoke share links through the JSON API (the share scope).
pub struct Sharer(pub CurrentUser);

impl FromRequest for Sharer {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Sharer, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = changer(req, payload, &[Scope::Share]);
        Box::pin(async move { user.await.map(Sharer) })
    }
}

//! Request extractors: the signed-in account and the CSRF check.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use super::context::{self, SignedIn};
use super::error::WebError;
use super::settings::WebSettings;
use super::stash;
use crate::app::App;
use crate::auth::{Account, csrf, session};
use crate::media::Actor;

/// The account of a valid session. Anyone else is sent to the sign-in page.
pub struct CurrentUser {
    pub account: Account,
    pub session: Session,
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        if self.account.role.is_staff() {
            Actor::staff(self.account.id)
        } else {
            Actor::user(self.account.id)
        }
    }

    /// Refuses a state-changing request without this session's token.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), WebError> {
        check_csrf(&self.session, submitted)
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
                    Ok(CurrentUser { account, session })
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

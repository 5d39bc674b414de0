//! The one place errors become HTTP responses: a status and an error page in the layout.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use thiserror::Error;

use super::view::Layout;
use crate::auth::AuthError;
use crate::media::{MediaError, Refusal};

#[derive(Debug, Error)]
pub enum WebError {
    #[error("You were signed out. Sign in again.")]
    SignInRequired {
        /// Where to go after signing in.
        next: String,
        /// The cookie naming work kept from a post that arrived signed out.
        keep: Option<Box<Cookie<'static>>>,
    },
    #[error("This page does not exist, or you do not have access to it.")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    TooLarge(String),
    /// An upload refused for what its file is (or is not).
    #[error("{message}")]
    Refused { refusal: Refusal, message: String },
    /// An upload of a file that is already an item the uploader can see (`existing`, its page).
    #[error("{message}")]
    Duplicate { message: String, existing: String },
    #[error("{0}")]
    TooManyRequests(String),
    /// A request that breaks the resumable-upload protocol (a missing header, another version).
    #[error("{message}")]
    Protocol { status: u16, message: String },
    /// A resumable upload's piece for another offset than the upload's.
    #[error("{0}")]
    Conflict(String),
    /// Someone else changed the text being saved meanwhile; nothing was saved.
    #[error("{0}")]
    EditConflict(String),
    /// Another request is writing to the same resumable upload.
    #[error("{0}")]
    Locked(String),
    /// A piece that does not match its checksum (tus answers 460).
    #[error("{0}")]
    ChecksumMismatch(String),
    #[error("The requested range is outside the file.")]
    RangeNotSatisfiable(u64),
    #[error("The request stopped arriving before it was complete. Nothing was changed; try again.")]
    RequestTimeout,
    #[error("This form has expired. Go back, reload the page and try again.")]
    Csrf,
    /// An access token that is unknown, revoked or expired, or whose account is disabled.
    #[error("{0}")]
    Token(String),
    /// An access token sent where its scope does not reach.
    #[error("{0}")]
    TokenScope(String),
    #[error("A service Mediadesk depends on is unavailable. Nothing was changed; try again shortly.")]
    Unavailable(String),
    #[error("Something went wrong on our side. Nothing was changed.")]
    Internal(String),
}

impl From<MediaError> for WebError {
    fn from(e: MediaError) -> WebError {
        match e {
            MediaError::NotFound => WebError::NotFound,
            MediaError::Forbidden => WebError::Forbidden("You are not allowed to change this item.".into()),
            e @ (MediaError::UnsupportedType(_)
            | MediaError::Corrupt(_)
            | MediaError::Limits(_)
            | MediaError::Empty(_)
            | MediaError::Name(_)
            | MediaError::Quota(_)
            | MediaError::Invalid(_)
            | MediaError::SourceLink(_)
            | MediaError::Fetch(_)) => {
                let refusal = e.refusal().unwrap_or(Refusal::Invalid);
                WebError::Refused { refusal, message: e.to_string() }
            }
            MediaError::Duplicate { kind, id, .. } => {
                WebError::Duplicate { message: e.to_string(), existing: format!("/media/{kind}/{id}") }
            }
            MediaError::Link(m) | MediaError::Off(m) => WebError::Forbidden(m),
            e @ MediaError::OffsetMismatch { .. } => WebError::Conflict(e.to_string()),
            e @ MediaError::Busy => WebError::Locked(e.to_string()),
            e @ MediaError::EditConflict(_) => WebError::EditConflict(e.to_string()),
            e @ MediaError::ChecksumMismatch => WebError::ChecksumMismatch(e.to_string()),
            MediaError::RangeNotSatisfiable(size) => WebError::RangeNotSatisfiable(size),
            MediaError::TooLarge(m) => WebError::TooLarge(m),
            MediaError::Storage(e) => WebError::Unavailable(e.to_string()),
            MediaError::Database(e) => WebError::Unavailable(e.to_string()),
            MediaError::Internal(m) => WebError::Internal(m),
        }
    }
}

impl From<AuthError> for WebError {
    fn from(e: AuthError) -> WebError {
        match e {
            AuthError::NotFound => WebError::NotFound,
            AuthError::BadToken => WebError::Token(e.to_string()),
            AuthError::TokenScope => WebError::TokenScope(e.to_string()),
            AuthError::Forbidden(m) => WebError::Forbidden(m),
            AuthError::Throttled { .. } => WebError::TooManyRequests(e.to_string()),
            AuthError::BadCredentials
            | AuthError::Disabled
            | AuthError::Invalid(_)
            | AuthError::UsernameTaken => WebError::BadRequest(e.to_string()),
            e @ AuthError::SignOnTaken { .. } => WebError::Conflict(e.to_string()),
            e @ AuthError::NotLinked { .. } => WebError::Forbidden(e.to_string()),
            AuthError::SignOnFailed(m) => WebError::BadRequest(m),
            AuthError::ProviderUnavailable(m) => WebError::Unavailable(m),
            AuthError::Database(db) => WebError::Unavailable(db.to_string()),
            AuthError::Internal(m) => WebError::Internal(m),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> WebError {
        WebError::Internal(format!("template: {e}"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    title: &'static str,
    message: String,
    request_id: Option<String>,
    link: Option<(String, &'static str)>,
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::SignInRequired { .. } if super::context::wants_json() => StatusCode::UNAUTHORIZED,
            WebError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Forbidden(_) | WebError::Csrf | WebError::TokenScope(_) => StatusCode::FORBIDDEN,
            WebError::Token(_) => StatusCode::UNAUTHORIZED,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Refused { refusal, .. } => {
                StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST)
            }
            WebError::Duplicate { .. } => StatusCode::CONFLICT,
            WebError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::Protocol { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST)
            }
            WebError::Conflict(_) | WebError::EditConflict(_) => StatusCode::CONFLICT,
            WebError::Locked(_) => StatusCode::LOCKED,
            WebError::ChecksumMismatch(_) => StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST),
            WebError::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
            WebError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let WebError::SignInRequired { next, keep } = self {
            let location = format!("/signin?next={}", crate::http_text::percent_encode(next));
            let mut res = if super::context::wants_json() {
                json_error(StatusCode::UNAUTHORIZED, self.code(), self.to_string(), Some(&location))
            } else {
                HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
            };
            if let Some(cookie) = keep {
                let _ = res.add_cookie(cookie);
            }
            return res;
        }
        if let WebError::RangeNotSatisfiable(size) = self {
            return HttpResponse::RangeNotSatisfiable()
                .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
                .insert_header((header::ACCEPT_RANGES, "bytes"))
                .finish();
        }
        let status = self.status_code();
        match self {
            WebError::Unavailable(detail) | WebError::Internal(detail) => {
                tracing::error!(status = status.as_u16(), detail = %detail, "request failed");
            }
            _ => {}
        }
        if let WebError::Duplicate { existing, .. } = self {
            if super::context::wants_json() {
                return HttpResponse::build(status).json(JsonError {
                    code: self.code(),
                    message: self.to_string(),
                    sign_in: None,
                    existing: Some(existing),
                });
            }
            return error_page_with_link(
                status,
                self.to_string(),
                Some((existing.clone(), "Open the existing item")),
            );
        }
        let mut res = if super::context::wants_json() {
            json_error(status, self.code(), self.to_string(), None)
        } else {
            error_page(status, self.to_string())
        };
        if let WebError::Token(_) = self {
            // RFC 6750: what a 401 to a bearer token says.
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        res
    }
}

impl WebError {
    /// A stable name for the error, for clients that read JSON.
    pub fn code(&self) -> &'static str {
        match self {
            WebError::SignInRequired { .. } => "signed_out",
            WebError::NotFound => "not_found",
            WebError::Forbidden(_) => "forbidden",
            WebError::BadRequest(_) => "bad_request",
            WebError::TooLarge(_) => "size",
            WebError::Refused { refusal, .. } => refusal.code(),
            WebError::Duplicate { .. } => "duplicate",
            WebError::TooManyRequests(_) => "too_many_requests",
            WebError::Protocol { .. } => "protocol",
            WebError::Conflict(_) => "offset",
            WebError::EditConflict(_) => "edit_conflict",
            WebError::Locked(_) => "busy",
            WebError::ChecksumMismatch(_) => "checksum",
            WebError::RangeNotSatisfiable(_) => "range_not_satisfiable",
            WebError::RequestTimeout => "request_timeout",
            WebError::Csrf => "page_expired",
            WebError::Token(_) => "token",
            WebError::TokenScope(_) => "token_scope",
            WebError::Unavailable(_) => "unavailable",
            WebError::Internal(_) => "internal",
        }
    }
}

/// An error as JSON: `{"code": …, "message": …}`, plus where to sign in for `signed_out`.
#[derive(serde::Serialize)]
struct JsonError<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sign_in: Option<&'a str>,
    /// For `duplicate`: the page of the item that already holds the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    existing: Option<&'a str>,
}

/// The error as JSON, for a client that asked for JSON (the script uploader).
pub fn json_error(status: StatusCode, code: &str, message: String, sign_in: Option<&str>) -> HttpResponse {
    HttpResponse::build(status).json(JsonError { code, message, sign_in, existing: None })
}

/// Renders the error page for any status (also used for actix's own 404s and 413s).
pub fn error_page(status: StatusCode, message: String) -> HttpResponse {
    error_page_with_link(status, message, None)
}

/// The error page with a link to follow (address, words).
fn error_page_with_link(
    status: StatusCode,
    message: String,
    link: Option<(String, &'static str)>,
) -> HttpResponse {
    let page = ErrorPage {
        link,
        layout: Layout::for_error(),
        status: status.as_u16(),
        title: status.canonical_reason().unwrap_or("Error"),
        message,
        request_id: super::context::request_id(),
    };
    let body = page.render().unwrap_or_else(|_| format!("{} {}", status.as_u16(), page.title));
    HttpResponse::build(status).content_type(ContentType::html()).body(body)
}

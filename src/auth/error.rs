use thiserror::Error;

use crate::db::DbError;

#[derive(Debug, Error)]
pub enum AuthError {
    /// Deliberately the same for an unknown name and a wrong password.
    #[error("wrong username or password")]
    BadCredentials,
    #[error("this account is disabled")]
    Disabled,
    #[error("too many failed sign-ins; try again in {minutes} minutes")]
    Throttled { minutes: i64 },
    #[error("{0}")]
    Invalid(String),
    #[error("that username is taken")]
    UsernameTaken,
    /// Deliberately the same for an unknown, revoked or expired token and a disabled account's.
    #[error("the access token is unknown, revoked or expired")]
    BadToken,
    #[error(
        "this access token's scopes do not reach this request: upload posts to /upload and \
         /uploads/tus, read reads /api/v1, edit describes, tags and turns items and keeps \
         collections there, delete deletes items, share makes and revokes their links, and \
         replacing an item's file takes both upload and edit"
    )]
    TokenScope,
    #[error("the sign-on provider could not be reached: {0}")]
    ProviderUnavailable(String),
    /// The provider refused, or its answer did not hold (state, code, ID token).
    #[error("{0}")]
    SignOnFailed(String),
    #[error("no account here is linked to {known_as} at the sign-on provider")]
    NotLinked { known_as: String },
    #[error("{known_as} at the sign-on provider is already linked to another account")]
    SignOnTaken { known_as: String },
    #[error("no such account")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("database failed: {0}")]
    Database(#[from] DbError),
    #[error("internal error: {0}")]
    Internal(String),
}

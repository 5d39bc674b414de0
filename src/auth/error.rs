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
    #[error("no such account")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("database failed: {0}")]
    Database(#[from] DbError),
    #[error("internal error: {0}")]
    Internal(String),
}

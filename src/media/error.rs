use thiserror::Error;

use super::file::FileError;
use crate::db::DbError;
use crate::storage::StorageError;

/// Everything the media service can refuse or fail with. Messages are fit to show a user:
/// they name the file's problem, never a path, a key, a URL or a credential.
#[derive(Debug, Error)]
pub enum MediaError {
    #[error("not found")]
    NotFound,
    #[error("you are not allowed to do that")]
    Forbidden,
    #[error("{0}")]
    UnsupportedType(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Corrupt(String),
    #[error("{0}")]
    Invalid(String),
    /// A byte range past the end of an object of this size.
    #[error("requested range not satisfiable")]
    RangeNotSatisfiable(u64),
    /// A signed link that is expired, tampered with or not ours.
    #[error("{0}")]
    Link(String),
    #[error("storage failed: {0}")]
    Storage(#[from] StorageError),
    #[error("database failed: {0}")]
    Database(#[from] DbError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl MediaError {
    /// True for refusals caused by the uploaded file or the request, as opposed to a failing service.
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            MediaError::NotFound
                | MediaError::Forbidden
                | MediaError::UnsupportedType(_)
                | MediaError::TooLarge(_)
                | MediaError::Corrupt(_)
                | MediaError::Invalid(_)
                | MediaError::Link(_)
                | MediaError::RangeNotSatisfiable(_)
        )
    }
}

impl From<FileError> for MediaError {
    fn from(e: FileError) -> Self {
        match e {
            FileError::UnsupportedType(m) => MediaError::UnsupportedType(m),
            FileError::TooLarge(m) => MediaError::TooLarge(m),
            FileError::Corrupt(m) => MediaError::Corrupt(m),
            FileError::Internal(m) => MediaError::Internal(m),
        }
    }
}

impl From<std::io::Error> for MediaError {
    fn from(e: std::io::Error) -> Self {
        MediaError::Internal(format!("I/O: {e}"))
    }
}

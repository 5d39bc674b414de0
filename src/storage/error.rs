use thiserror::Error;

/// Errors of the storage layer. Messages never contain credentials.
#[derive(Debug, Error)]
pub enum StorageError {
    #[error("object not found")]
    NotFound,
    #[error("invalid storage key: {0}")]
    InvalidKey(String),
    #[error("requested range not satisfiable")]
    InvalidRange,
    #[error("object store unavailable: {0}")]
    Unavailable(String),
    #[error("object store error: {0}")]
    Backend(String),
    #[error("local storage I/O error: {0}")]
    Io(#[from] std::io::Error),
}

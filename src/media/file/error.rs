use thiserror::Error;

/// Why a file was refused or could not be analysed. Messages are fit to show a user: they name
/// the file's problem, never a path.
#[derive(Debug, Error)]
pub enum FileError {
    #[error("{0}")]
    UnsupportedType(String),
    /// Past the pixel limits.
    #[error("{0}")]
    Limits(String),
    #[error("{0}")]
    Corrupt(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<std::io::Error> for FileError {
    fn from(e: std::io::Error) -> Self {
        FileError::Internal(format!("I/O: {e}"))
    }
}

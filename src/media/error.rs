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
    /// More bytes than the upload limit.
    #[error("{0}")]
    TooLarge(String),
    /// Past the owner's byte quota.
    #[error("{0}")]
    Quota(String),
    /// Past the pixel limits (the bytes may be few).
    #[error("{0}")]
    Limits(String),
    #[error("{0}")]
    Corrupt(String),
    #[error("{0}")]
    Empty(String),
    /// A file without a name.
    #[error("{0}")]
    Name(String),
    #[error("{0}")]
    Invalid(String),
    /// The same file (by its SHA-256) is already an item the uploader can see, or was one
    /// before it was replaced or turned (`earlier`).
    #[error(
        "this file is already in the library as “{filename}”{}; nothing was uploaded",
        if *earlier { " (the file it had before it was changed)" } else { "" }
    )]
    Duplicate { kind: crate::domain::MediaKind, id: i64, filename: String, earlier: bool },
    /// A piece of a resumable upload sent for another offset than the one it is at.
    #[error("this upload is at byte {expected}; send the piece that starts there")]
    OffsetMismatch { expected: u64 },
    /// Another request is writing to the same resumable upload.
    #[error("another request is sending to this upload; try again when it is done")]
    Busy,
    /// A piece whose bytes do not match the checksum sent with them; it was not kept.
    #[error("the piece does not match its checksum; it was not kept, send it again")]
    ChecksumMismatch,
    /// Someone else saved these fields, differently, while this person was editing them: each
    /// field's name and what is saved now. Nothing was saved.
    #[error("{}", clash_message(.0))]
    EditConflict(Vec<super::seen::Clash>),
    /// A byte range past the end of an object of this size.
    #[error("requested range not satisfiable")]
    RangeNotSatisfiable(u64),
    /// A signed link that is expired, tampered with or not ours.
    #[error("{0}")]
    Link(String),
    /// A link given to fetch a file from that may not be fetched (not http(s), or inside this
    /// server's network).
    #[error("{0}")]
    SourceLink(String),
    /// The server a link points at could not be reached, answered an error or broke off.
    #[error("{0}")]
    Fetch(String),
    /// Something the operator turned off.
    #[error("{0}")]
    Off(String),
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
                | MediaError::Quota(_)
                | MediaError::Limits(_)
                | MediaError::Corrupt(_)
                | MediaError::Empty(_)
                | MediaError::Name(_)
                | MediaError::Invalid(_)
                | MediaError::Duplicate { .. }
                | MediaError::Link(_)
                | MediaError::SourceLink(_)
                | MediaError::Fetch(_)
                | MediaError::Off(_)
                | MediaError::RangeNotSatisfiable(_)
                | MediaError::OffsetMismatch { .. }
                | MediaError::Busy
                | MediaError::ChecksumMismatch
                | MediaError::EditConflict(_)
        )
    }
}

fn clash_message(clashes: &[super::seen::Clash]) -> String {
    let names: Vec<&str> = clashes.iter().map(|(name, _)| *name).collect();
    let fields = match names.as_slice() {
        [] => "this text".to_owned(),
        [one] => format!("the {one}"),
        [most @ .., last] => format!("the {} and {last}", most.join(", ")),
    };
    format!("someone else changed {fields} while you were editing; nothing of yours was saved")
}

/// Why an upload was refused, as a client can act on it: a stable name (listed in README) and
/// the HTTP status it answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not one of the accepted formats.
    Type,
    /// An accepted format, damaged or truncated.
    Malformed,
    /// Past the pixel limits.
    Limits,
    /// Past the size limit.
    Size,
    Empty,
    Name,
    /// Anything else about the request (an owner that does not exist, a size that disagrees
    /// with the announced one).
    Invalid,
    /// The same file is already an item the uploader can see.
    Duplicate,
    /// Past the owner's byte quota.
    Quota,
    /// A link to fetch the file from that may not be fetched.
    Link,
    /// The link's server could not be reached, answered an error or broke off.
    Fetch,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Type => "type",
            Refusal::Malformed => "malformed",
            Refusal::Limits => "limits",
            Refusal::Size => "size",
            Refusal::Empty => "empty",
            Refusal::Name => "name",
            Refusal::Invalid => "invalid",
            Refusal::Duplicate => "duplicate",
            Refusal::Quota => "quota",
            Refusal::Link => "link",
            Refusal::Fetch => "fetch",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            Refusal::Type => 415,
            Refusal::Malformed | Refusal::Limits => 422,
            Refusal::Size | Refusal::Quota => 413,
            Refusal::Empty | Refusal::Name | Refusal::Invalid | Refusal::Link => 400,
            Refusal::Fetch => 502,
            Refusal::Duplicate => 409,
        }
    }
}

impl MediaError {
    /// The refusal this is, if it is one caused by the file or the request.
    pub fn refusal(&self) -> Option<Refusal> {
        Some(match self {
            MediaError::UnsupportedType(_) => Refusal::Type,
            MediaError::Corrupt(_) => Refusal::Malformed,
            MediaError::Limits(_) => Refusal::Limits,
            MediaError::TooLarge(_) => Refusal::Size,
            MediaError::Quota(_) => Refusal::Quota,
            MediaError::Empty(_) => Refusal::Empty,
            MediaError::Name(_) => Refusal::Name,
            MediaError::Invalid(_) => Refusal::Invalid,
            MediaError::Duplicate { .. } => Refusal::Duplicate,
            MediaError::SourceLink(_) => Refusal::Link,
            MediaError::Fetch(_) => Refusal::Fetch,
            _ => return None,
        })
    }
}

impl From<FileError> for MediaError {
    fn from(e: FileError) -> Self {
        match e {
            FileError::UnsupportedType(m) => MediaError::UnsupportedType(m),
            FileError::Limits(m) => MediaError::Limits(m),
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

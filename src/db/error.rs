use thiserror::Error;

/// Errors of the database layer. Messages never contain the connection URL.
#[derive(Debug, Error)]
pub enum DbError {
    #[error("database unreachable: {0}")]
    Unavailable(String),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("invalid database configuration: {0}")]
    Config(String),
    /// A gallery cursor that does not fit the query's order (an edited or outdated link).
    #[error("the page cursor does not match the order")]
    InvalidCursor,
}

impl DbError {
    /// True when the row that was looked for does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, DbError::Query(diesel::result::Error::NotFound))
    }

    /// True for a unique-constraint violation (e.g. a taken username).
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for DbError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        DbError::Unavailable(e.to_string())
    }
}

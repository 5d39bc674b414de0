//! Metadata storage: one repo layer over PostgreSQL (production) and SQLite (embedded default).
//!
//! Queries are written once; [`run!`] expands a body for each backend so both arms type-check
//! against the same schema. Repos take a [`DbConn`] so a service step can run several of them in
//! one transaction ([`Db::transaction`]).

mod blocking;
pub mod error;
mod explain;
mod fts_rank;
mod pg_manager;
pub mod pool;
pub mod repo;
pub mod rows;
pub mod schema;
mod sqlite_setup;

pub use error::DbError;

/// Now, as the database stores times: UTC, without a zone.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
pub use pool::{Backend, Db, DbConn};

/// Expands `$body` once per backend with `$c` bound to the concrete connection.
macro_rules! run {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite(inner) => {
                let $c: &mut $crate::db::pool::SqliteConn = &mut **inner;
                $body
            }
            $crate::db::DbConn::Pg(inner) => {
                let $c: &mut diesel_async::AsyncPgConnection = &mut **inner;
                $body
            }
        }
    };
}
pub(crate) use run;

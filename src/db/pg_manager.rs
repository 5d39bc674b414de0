//! The PostgreSQL pool's manager: diesel-async's, except that a connection used moments ago is
//! handed out again without a test query.
//!
//! diesel-async's `Verified` recycling sends `SELECT 1` at every checkout, which was three of
//! the eight round trips of a gallery page. A connection whose server went away (restart,
//! terminated backend, dropped socket) is already known as closed to tokio-postgres, and
//! `is_broken` asks it; the test query only adds something for a connection that has sat idle
//! long enough for a silent network failure, so that is when it is still sent. HikariCP skips
//! its check the same way within 500 ms of a connection's last use.

use std::time::Duration;

use deadpool::managed::{Manager, Metrics, RecycleError, RecycleResult};
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, PoolError, PoolableConnection};

pub type PgPool = deadpool::managed::Pool<PgManager>;
pub type PgObject = deadpool::managed::Object<PgManager>;

/// How recently a connection must have been checked out to skip the test query.
const TRUSTED_FOR: Duration = Duration::from_millis(500);

pub struct PgManager {
    inner: AsyncDieselConnectionManager<AsyncPgConnection>,
    url: String,
}

impl PgManager {
    pub fn new(url: &str) -> PgManager {
        PgManager { inner: AsyncDieselConnectionManager::new(url), url: url.to_owned() }
    }

    /// What the pool connects to, for another pool of the same database.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Manager for PgManager {
    type Type = AsyncPgConnection;
    type Error = PoolError;

    async fn create(&self) -> Result<AsyncPgConnection, PoolError> {
        self.inner.create().await
    }

    async fn recycle(&self, conn: &mut AsyncPgConnection, metrics: &Metrics) -> RecycleResult<PoolError> {
        if metrics.last_used() >= TRUSTED_FOR {
            return self.inner.recycle(conn, metrics).await;
        }
        if conn.is_broken() {
            return Err(RecycleError::Message("closed or broken connection".into()));
        }
        Ok(())
    }
}

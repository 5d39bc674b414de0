//! How SQLite calls run: on the calling thread.
//!
//! SQLite is a library, not a server: a statement on indexed rows takes microseconds, less than
//! handing it to a blocking-pool thread and waking the caller again. diesel-async's default sends
//! every statement through `spawn_blocking`; on a gallery page that is five round trips between
//! threads, and running them in place doubled the page rate (`bench/`, README). Running in place
//! also means a statement can never be abandoned half-way by a cancelled request.
//!
//! What this asks of callers: no long scans on request paths (every web query walks an index),
//! and no awaiting anything but statements inside a transaction, so a write lock is never held
//! while the thread serves something else. WAL mode lets readers proceed while one writes.

use std::error::Error;

use diesel_async::sync_connection_wrapper::SpawnBlocking;
use futures_util::future::BoxFuture;

type TaskResult<R> = Result<R, Box<dyn Error + Send + Sync + 'static>>;

pub struct InPlace;

impl SpawnBlocking for InPlace {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> BoxFuture<'a, TaskResult<R>>
    where
        R: Send + 'static,
    {
        let result = task();
        Box::pin(std::future::ready(Ok(result)))
    }

    fn get_runtime() -> Self {
        InPlace
    }
}

//! Runs SQLite calls on tokio's blocking pool in a way that survives cancellation on any runtime.
//!
//! diesel-async's default spawner waits for an abandoned call with `block_in_place`, which
//! panics on the current-thread runtimes actix-web workers use: a client that disconnects, or
//! an extractor that fails while another one queries, would take the worker down. Here an
//! abandoned call is waited for with a plain condition variable instead: the worker thread
//! blocks for the rest of that one statement (milliseconds), and the connection is never
//! touched by two calls at once.

use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};

use diesel_async::sync_connection_wrapper::SpawnBlocking;
use futures_util::future::BoxFuture;

type TaskResult<R> = Result<R, Box<dyn Error + Send + Sync + 'static>>;

pub struct WaitOnDrop;

#[derive(Default)]
struct Finished {
    done: Mutex<bool>,
    signal: Condvar,
}

struct Call<R> {
    result: tokio::sync::oneshot::Receiver<R>,
    finished: Arc<Finished>,
    completed: bool,
}

impl<R> Future for Call<R> {
    type Output = TaskResult<R>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match Pin::new(&mut self.result).poll(cx) {
            Poll::Ready(r) => {
                self.completed = true;
                Poll::Ready(r.map_err(|_| "the database task ended without an answer".into()))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<R> Drop for Call<R> {
    fn drop(&mut self) {
        if self.completed {
            return;
        }
        let mut done = self.finished.done.lock().unwrap_or_else(|p| p.into_inner());
        while !*done {
            done = self.finished.signal.wait(done).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl SpawnBlocking for WaitOnDrop {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> BoxFuture<'a, TaskResult<R>>
    where
        R: Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let finished = Arc::new(Finished::default());
        let flag = finished.clone();
        tokio::task::spawn_blocking(move || {
            let _ = tx.send(task());
            *flag.done.lock().unwrap_or_else(|p| p.into_inner()) = true;
            flag.signal.notify_all();
        });
        Box::pin(Call { result: rx, finished, completed: false })
    }

    fn get_runtime() -> Self {
        WaitOnDrop
    }
}

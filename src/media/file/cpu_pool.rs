//! The threads that decode, resize and draw waveforms: a fixed number of them, at the lowest
//! scheduling priority, so a burst of uploads uses the CPU the pages leave over instead of
//! taking it from them. Jobs wait in a queue; the async side never blocks.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use super::FileError;

type Job = Box<dyn FnOnce() + Send>;

/// A handle to the pool; cheap to clone. The threads end when the last handle is dropped.
#[derive(Clone)]
pub struct CpuPool {
    jobs: mpsc::Sender<Job>,
}

impl CpuPool {
    pub fn new(threads: usize) -> CpuPool {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads.max(1) {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new().name(format!("media-cpu-{i}")).spawn(move || {
                // Best effort: without the right to lower its priority the thread still works.
                let _ = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min);
                loop {
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    match next {
                        Ok(job) => job(),
                        Err(_) => return, // every handle is gone
                    }
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a media worker thread");
            }
        }
        CpuPool { jobs }
    }

    /// Runs `f` on a pool thread and waits for its result.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, FileError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // A panic in a decoder must not take the worker down with it.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = tx.send(result);
        });
        self.jobs.send(job).map_err(|_| FileError::Internal("the media workers are gone".into()))?;
        match rx.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(FileError::Internal("a media job panicked".into())),
            Err(_) => Err(FileError::Internal("a media job was lost".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_and_a_panic_is_an_error_not_a_lost_worker() {
        let pool = CpuPool::new(1);
        assert_eq!(pool.run(|| 6 * 7).await.unwrap(), 42);
        let panicked = pool.run(|| -> u32 { panic!("decoder bug") }).await;
        assert!(matches!(panicked, Err(FileError::Internal(_))));
        assert_eq!(pool.run(|| "still here").await.unwrap(), "still here");
    }
}

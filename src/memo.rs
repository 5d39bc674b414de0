//! A short-lived memo of what every page shows beside its own content: the collection pickers,
//! the tag suggestions, the account names. Each was a query on every gallery page (three of the
//! seven round trips of one on PostgreSQL) for lists that change a few times a day.
//!
//! A write through this process forgets the memo at once, so whoever made a collection or a tag
//! sees it on the next page. What this process does not see (another instance behind the same
//! database, an item trashed and its tag's last use gone with it) shows after at most the memo's
//! lifetime. A load that raced a forget is handed to its caller but not kept: the write it may
//! have missed would otherwise be hidden for a whole lifetime.
//!
//! [`Kept`] is the other kind: values that cannot change once found, kept without a lifetime.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a memo answers without asking the database.
pub const LIFETIME: Duration = Duration::from_secs(2);

/// Values loaded by key, kept for a lifetime or until forgotten.
pub struct Memo<K, V> {
    lifetime: Duration,
    state: Mutex<State<K, V>>,
}

struct State<K, V> {
    /// Bumped by every forget: a load that began before it is not kept.
    generation: u64,
    entries: HashMap<K, (Instant, Arc<V>)>,
}

/// Entries kept at most; past it the stale ones go (keys are scopes: one per account at most).
const MAX_ENTRIES: usize = 1024;

impl<K: Eq + Hash + Clone, V> Memo<K, V> {
    pub fn new(lifetime: Duration) -> Memo<K, V> {
        Memo { lifetime, state: Mutex::new(State { generation: 0, entries: HashMap::new() }) }
    }

    /// The value for `key`: the kept one while it is younger than the lifetime, else `load`'s.
    pub async fn get<E, F>(&self, key: K, load: F) -> Result<Arc<V>, E>
    where
        F: Future<Output = Result<V, E>>,
    {
        let generation = {
            let state = self.lock();
            if let Some((at, value)) = state.entries.get(&key)
                && at.elapsed() < self.lifetime
            {
                return Ok(Arc::clone(value));
            }
            state.generation
        };
        let loaded_at = Instant::now();
        let value = Arc::new(load.await?);
        let mut state = self.lock();
        if state.generation == generation {
            if state.entries.len() >= MAX_ENTRIES {
                let lifetime = self.lifetime;
                state.entries.retain(|_, (at, _)| at.elapsed() < lifetime);
            }
            state.entries.insert(key, (loaded_at, Arc::clone(&value)));
        }
        Ok(value)
    }

    /// Drops every kept value: the next `get` of each key loads again.
    pub fn forget(&self) {
        let mut state = self.lock();
        state.generation += 1;
        state.entries.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<K, V>> {
        // The state is replaced whole under the lock, so a panic elsewhere cannot leave it torn.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Values that never change once found, kept for good: at most `max`, past which the map starts
/// again (each costs one lookup to find again). Whoever keeps a value vouches that it cannot change.
pub struct Kept<K, V> {
    max: usize,
    values: Mutex<HashMap<K, V>>,
}

impl<K: Eq + Hash, V: Copy> Kept<K, V> {
    pub fn new(max: usize) -> Kept<K, V> {
        Kept { max, values: Mutex::new(HashMap::new()) }
    }

    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.lock().get(key).copied()
    }

    pub fn keep(&self, key: K, value: V) {
        let mut values = self.lock();
        if values.len() >= self.max {
            values.clear();
        }
        values.insert(key, value);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, V>> {
        // Each change is one insert or clear under the lock: a panic elsewhere cannot tear it.
        self.values.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    async fn count(memo: &Memo<u8, usize>, loads: &AtomicUsize, key: u8) -> usize {
        let loaded = memo.get(key, async { Ok::<_, ()>(loads.fetch_add(1, Ordering::SeqCst) + 1) }).await;
        *loaded.unwrap()
    }

    #[tokio::test]
    async fn answers_from_memory_within_its_lifetime_and_per_key() {
        let (memo, loads) = (Memo::new(Duration::from_secs(60)), AtomicUsize::new(0));
        assert_eq!(count(&memo, &loads, 1).await, 1);
        assert_eq!(count(&memo, &loads, 1).await, 1);
        assert_eq!(count(&memo, &loads, 2).await, 2, "another key is loaded on its own");
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn loads_again_once_its_lifetime_is_over() {
        let (memo, loads) = (Memo::new(Duration::from_millis(20)), AtomicUsize::new(0));
        assert_eq!(count(&memo, &loads, 1).await, 1);
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(count(&memo, &loads, 1).await, 2);
    }

    #[tokio::test]
    async fn forget_drops_every_key() {
        let (memo, loads) = (Memo::new(Duration::from_secs(60)), AtomicUsize::new(0));
        count(&memo, &loads, 1).await;
        count(&memo, &loads, 2).await;
        memo.forget();
        assert_eq!(count(&memo, &loads, 1).await, 3);
        assert_eq!(count(&memo, &loads, 2).await, 4);
    }

    #[tokio::test]
    async fn a_load_that_raced_a_forget_is_returned_but_not_kept() {
        let memo: Memo<u8, &str> = Memo::new(Duration::from_secs(60));
        let raced = memo
            .get(1, async {
                memo.forget(); // a write lands while the old value is being read
                Ok::<_, ()>("before the write")
            })
            .await;
        assert_eq!(*raced.unwrap(), "before the write");
        let next = memo.get(1, async { Ok::<_, ()>("after the write") }).await;
        assert_eq!(*next.unwrap(), "after the write");
    }

    #[tokio::test]
    async fn a_failed_load_keeps_nothing() {
        let memo: Memo<u8, u8> = Memo::new(Duration::from_secs(60));
        assert!(memo.get(1, async { Err::<u8, _>("down") }).await.is_err());
        assert_eq!(*memo.get(1, async { Ok::<_, ()>(7) }).await.unwrap(), 7);
    }

    #[test]
    fn kept_values_stay_until_the_map_is_full() {
        let kept: Kept<String, i64> = Kept::new(2);
        assert_eq!(kept.get("a"), None);
        kept.keep("a".into(), 1);
        kept.keep("b".into(), 2);
        assert_eq!((kept.get("a"), kept.get("b")), (Some(1), Some(2)));
        kept.keep("c".into(), 3);
        assert_eq!((kept.get("a"), kept.get("b"), kept.get("c")), (None, None, Some(3)), "starts again");
    }
}

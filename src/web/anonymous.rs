//! The count of requests one address has in flight before signing in (see `guard.rs`, which
//! caps it), shared by every worker.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Requests in flight per client address that carry no signed-in session.
#[derive(Debug, Default)]
pub struct AnonymousRequests {
    by_address: Mutex<HashMap<String, usize>>,
}

impl AnonymousRequests {
    /// Counts one more request from `address`, unless it already has `cap` in flight.
    pub fn enter(self: &Arc<Self>, address: String, cap: usize) -> Option<Entered> {
        let mut map = self.by_address.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.entry(address.clone()).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(Entered { requests: self.clone(), address })
    }
}

/// One counted request; it stops counting when dropped (answered, failed or cancelled).
pub struct Entered {
    requests: Arc<AnonymousRequests>,
    address: String,
}

impl Drop for Entered {
    fn drop(&mut self) {
        let mut map = self.requests.by_address.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.address);
            }
        }
    }
}

//! The address of the client whose request is being handled, for the audit log. The web layer
//! sets it around each request (from the peer, or `X-Forwarded-For` behind a trusted proxy);
//! the services read it when they write an audit row, so no signature between them has to
//! carry it. Outside a request (command line, housekeeping) there is none.

use std::future::Future;

tokio::task_local! {
    static CLIENT: String;
}

/// Runs `f` as the handling of a request from `address`.
pub async fn serving<F: Future>(address: String, f: F) -> F::Output {
    CLIENT.scope(address, f).await
}

/// The address of the request being handled, if any.
pub fn address() -> Option<String> {
    CLIENT.try_with(Clone::clone).ok()
}

//! The address of the client whose request is being handled, for the audit log. The web layer
//! sets it around each request (from the peer, or `X-Forwarded-For` behind a trusted proxy);
//! the services read it when they write an audit row, so no signature between them has to
//! carry it. Outside a request (command line, housekeeping) there is none. A request made with
//! an access token names the token too, once it is known to be good, so the log says which
//! script did what.

use std::cell::RefCell;
use std::future::Future;

tokio::task_local! {
    static CLIENT: (String, RefCell<Option<String>>);
}

/// Runs `f` as the handling of a request from `address`.
pub async fn serving<F: Future>(address: String, f: F) -> F::Output {
    CLIENT.scope((address, RefCell::new(None)), f).await
}

/// Records that the request being handled came with the access token `name`.
pub fn with_token(name: &str) {
    let _ = CLIENT.try_with(|(_, token)| *token.borrow_mut() = Some(name.to_owned()));
}

/// The address of the request being handled, if any, and the token it came with:
/// `203.0.113.5 (token “nightly import”)`.
pub fn address() -> Option<String> {
    CLIENT
        .try_with(|(address, token)| match &*token.borrow() {
            Some(name) => format!("{address} (token “{name}”)"),
            None => address.clone(),
        })
        .ok()
}

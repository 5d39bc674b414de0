//! Accounts, password hashing, sessions, CSRF and roles.

mod accounts;
mod audit;
pub mod csrf;
mod error;
pub mod oidc;
mod oidc_claims;
pub mod oidc_logout;
pub mod password;
mod roles;
pub mod session;
mod sign_ons;
mod tokens;

pub use accounts::{Account, AccountService, THROTTLE_WINDOW_MINUTES};
pub use audit::{AUDIT_PAGE, AuditEntry, AuditPage};
pub use error::AuthError;
pub use roles::Role;
pub use session::{Clock, SessionLimits};
pub use sign_ons::LinkedSignOn;
pub use tokens::{
    AccessToken, MAX_LIVE_TOKENS, MAX_TOKEN_NAME_CHARS, NewToken, Scope, Scopes, TOKEN_PREFIX, TokenHolder,
    TokenState,
};

//! One module per page family.

pub mod account_tokens;
pub mod accounts;
pub mod alike;
pub mod alike_groups;
pub mod audit;
pub mod bulk_delete;
pub mod bulk_edit;
pub mod collections;
pub mod confirm;
pub mod crop;
pub mod detail;
pub mod duplicates;
pub mod files;
pub mod focal;
pub mod gallery;
mod item_path;
mod not_done;
pub mod queue;
pub mod regions;
pub mod replace;
mod selection;
pub mod share_form;
pub mod shared;
pub mod shares;
pub mod sign_on;
pub mod signin;
pub mod tags;
pub mod texts;
pub mod tokens;
pub mod trash;
pub mod tus;
pub mod upload;
pub mod upload_link;
pub mod viewer;
pub mod zip;

use std::collections::HashMap;
use std::sync::Arc;

use crate::app::App;
use crate::domain::Owner;
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;

/// Account names by id, to say whose an item is: for staff, who see everyone's; others see only
/// their own and system media and are shown no names.
pub async fn owner_names(app: &App, user: &CurrentUser) -> Result<Arc<HashMap<i64, String>>, WebError> {
    if user.account.role.is_staff() { Ok(app.accounts.usernames().await?) } else { Ok(Arc::default()) }
}

/// Whose an item is, as a list line says it: "System", "yours", or (for staff) the account's name.
pub fn owner_label(owner: Owner, user: &CurrentUser, names: &HashMap<i64, String>) -> String {
    match owner {
        Owner::System => "System".to_owned(),
        Owner::User(id) if id == user.account.id => "yours".to_owned(),
        Owner::User(id) => names.get(&id).cloned().unwrap_or_else(|| format!("user {id}")),
    }
}

//! An account's access tokens as an admin reviews them (from Accounts): which scripts can act
//! as it, with what scopes, when each was last used, and a Revoke for each, so that one leaked
//! token is ended without ending the account's others or the account.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::accounts::CsrfForm;
use super::signin::see_other;
use super::tokens::TokenLine;
use crate::app::App;
use crate::auth::session;
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::Layout;

#[derive(Template)]
#[template(path = "account_tokens.html")]
struct AccountTokensPage {
    layout: Layout,
    username: String,
    lines: Vec<TokenLine>,
    live: usize,
}

fn page_of(id: i64) -> String {
    format!("/admin/users/{id}/tokens")
}

pub async fn show(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    user.require_admin()?;
    let (account, tokens) = app.accounts.tokens_of(Some(&user.account), path.into_inner()).await?;
    let lines: Vec<TokenLine> = tokens
        .into_iter()
        .map(|t| TokenLine {
            revoke_url: format!("{}/{}/revoke", page_of(account.id), t.id),
            revoke_label: format!("Revoke the token {} of {}", t.name, account.username),
            ..TokenLine::of(t)
        })
        .collect();
    let body = AccountTokensPage {
        layout: Layout::new(&user.session, Some(&user.account), "accounts"),
        username: account.username,
        live: lines.iter().filter(|l| l.live).count(),
        lines,
    }
    .render()?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

#[derive(Deserialize)]
pub struct TokenPath {
    id: i64,
    token: i64,
}

/// Revokes one token of the account; the page comes back saying so.
pub async fn revoke(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<TokenPath>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    user.check_admin_form(&form.csrf_token)?;
    let name = app.accounts.revoke_token_of(Some(&user.account), path.id, path.token).await?;
    let said = format!("The token “{name}” is revoked: scripts using it are refused from now on.");
    session::flash(&user.session, "ok", said);
    Ok(see_other(&page_of(path.id)))
}

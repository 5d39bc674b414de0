//! Account administration (admins only).

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::signin::see_other;
use crate::app::App;
use crate::auth::{AuthError, Role, session};
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::Layout;

struct AccountView {
    id: i64,
    username: String,
    role: &'static str,
    disabled: bool,
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    layout: Layout,
    accounts: Vec<AccountView>,
    roles: Vec<&'static str>,
}

pub async fn list(app: web::Data<App>, user: CurrentUser) -> Result<HttpResponse, WebError> {
    user.require_admin()?;
    let accounts = app
        .accounts
        .list()
        .await?
        .into_iter()
        .map(|a| AccountView { id: a.id, username: a.username, role: a.role.as_str(), disabled: a.disabled })
        .collect();
    let body = AccountsPage {
        layout: Layout::new(&user.session, Some(&user.account), "accounts"),
        accounts,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
    }
    .render()?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

/// Account changes report refusals as a flash on the accounts page rather than an error page.
fn outcome(user: &CurrentUser, result: Result<String, AuthError>) -> Result<HttpResponse, WebError> {
    match result {
        Ok(message) => session::flash(&user.session, "ok", message),
        Err(e @ (AuthError::Invalid(_) | AuthError::UsernameTaken | AuthError::Forbidden(_))) => {
            session::flash(&user.session, "error", e.to_string())
        }
        Err(e) => return Err(e.into()),
    }
    Ok(see_other("/admin/users"))
}

#[derive(Deserialize)]
pub struct CreateForm {
    csrf_token: String,
    username: String,
    password: String,
    role: String,
}

pub async fn create(
    app: web::Data<App>,
    user: CurrentUser,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, WebError> {
    user.check_admin_form(&form.csrf_token)?;
    let role: Role = form.role.parse().map_err(WebError::BadRequest)?;
    let result = app
        .accounts
        .create(&form.username, &form.password, role)
        .await
        .map(|a| format!("Created {}.", a.username));
    outcome(&user, result)
}

#[derive(Deserialize)]
pub struct RoleForm {
    csrf_token: String,
    role: String,
}

pub async fn set_role(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, WebError> {
    user.check_admin_form(&form.csrf_token)?;
    let role: Role = form.role.parse().map_err(WebError::BadRequest)?;
    let result = app
        .accounts
        .set_role(Some(&user.account), path.into_inner(), role)
        .await
        .map(|a| format!("{} is now {}.", a.username, a.role));
    outcome(&user, result)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf_token: String,
    password: String,
}

pub async fn reset_password(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, WebError> {
    user.check_admin_form(&form.csrf_token)?;
    let id = path.into_inner();
    let result = app
        .accounts
        .reset_password(Some(&user.account), id, &form.password)
        .await
        .map(|()| "Password reset; that account's sessions have ended.".to_owned());
    outcome(&user, result)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf_token: String,
}

pub async fn disable(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    set_disabled(app, user, path.into_inner(), &form.csrf_token, true).await
}

pub async fn enable(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    set_disabled(app, user, path.into_inner(), &form.csrf_token, false).await
}

async fn set_disabled(
    app: web::Data<App>,
    user: CurrentUser,
    id: i64,
    token: &str,
    disabled: bool,
) -> Result<HttpResponse, WebError> {
    user.check_admin_form(token)?;
    let result = app
        .accounts
        .set_disabled(Some(&user.account), id, disabled)
        .await
        .map(|a| format!("{} is {}.", a.username, if a.disabled { "disabled" } else { "enabled" }));
    outcome(&user, result)
}

//! Account administration (admins only).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::confirm::ConfirmActionPage;
use super::signin::see_other;
use crate::app::App;
use crate::auth::{AuthError, Role, session};
use crate::domain::{Quota, human_size};
use crate::media::Usage;
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::{self, Layout, Moment};
use crate::web::{WebSettings, stash};

struct AccountView {
    id: i64,
    username: String,
    role: &'static str,
    disabled: bool,
    created: Moment,
    last_sign_in: Option<Moment>,
    items: String,
    /// `1.2 GiB of 5 GiB`.
    storage: String,
    /// The quota as the form shows it: empty for the default, `unlimited`, or a size.
    quota: String,
    /// Live access tokens.
    tokens: i64,
    /// Who the account signs on as at the provider ("carol, c.smith"); empty when nobody.
    sign_ons: String,
}

/// What was typed into a create form that was refused, to show it again.
#[derive(Default)]
struct Draft {
    username: String,
    role: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    layout: Layout,
    accounts: Vec<AccountView>,
    roles: Vec<&'static str>,
    draft: Draft,
    /// `MEDIADESK_DEFAULT_QUOTA`, as words.
    default_quota: String,
    /// What the sign-on provider sets at each sign-on, when it sets anything.
    from_provider: Option<String>,
}

/// Says which of an account's settings the sign-on provider sets again at every sign-on, so
/// that an admin changing them here knows the change lasts only until then.
fn from_provider(settings: &WebSettings) -> Option<String> {
    let config = &settings.sign_on.as_ref()?.config;
    let what = match (config.roles.is_some(), config.quota_claim.is_some()) {
        (true, true) => "the role follows their groups there and the quota their quota claim",
        (true, false) => "the role follows their groups there",
        (false, true) => "the quota follows their quota claim there",
        (false, false) => return None,
    };
    Some(format!(
        "For accounts linked to {}, {what} at each sign-on: a change made here lasts until their next \
         sign-on.",
        config.label
    ))
}

pub async fn list(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    user.require_admin()?;
    // A create form posted after the session ended comes back filled in (but the password).
    let kept = settings.work.take(&req, settings.clock.now(), user.account.id, "/admin/users");
    let draft = kept.as_ref().map_or_else(Draft::default, |k| Draft {
        username: k.field("username").unwrap_or_default().to_owned(),
        role: k.field("role").unwrap_or_default().to_owned(),
        error: None,
    });
    let res = page(&app, &settings, &user, draft, StatusCode::OK).await?;
    Ok(if kept.is_some() { stash::handed_back(res) } else { res })
}

async fn page(
    app: &App,
    settings: &WebSettings,
    user: &CurrentUser,
    draft: Draft,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let counts = app.accounts.media_counts().await?;
    let tokens = app.accounts.live_token_counts().await?;
    let mut sign_ons = app.accounts.sign_on_names().await?;
    let stored = app.media.usages(&user.actor()).await?;
    let default = app.media.settings().default_quota;
    let accounts = app
        .accounts
        .list()
        .await?
        .into_iter()
        .map(|a| AccountView {
            storage: Usage { used: stored.get(&a.id).copied().unwrap_or(0), limit: a.quota.limit(default) }
                .label(),
            quota: match a.quota {
                Quota::Default => String::new(),
                Quota::Unlimited => "unlimited".into(),
                Quota::Bytes(n) => human_size(n),
            },
            items: match counts.get(&a.id).copied().unwrap_or(0) {
                1 => "1 item".to_owned(),
                n => format!("{} items", view::count(n)),
            },
            created: Moment(a.created_at),
            last_sign_in: a.last_sign_in_at.map(Moment),
            tokens: tokens.get(&a.id).copied().unwrap_or(0),
            sign_ons: sign_ons.remove(&a.id).unwrap_or_default().join(", "),
            id: a.id,
            username: a.username,
            role: a.role.as_str(),
            disabled: a.disabled,
        })
        .collect();
    let body = AccountsPage {
        layout: Layout::new(&user.session, Some(&user.account), "accounts"),
        accounts,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        draft,
        default_quota: default.map_or_else(|| "unlimited".to_owned(), human_size),
        from_provider: from_provider(settings),
    }
    .render()?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
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
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, WebError> {
    user.check_admin_form(&form.csrf_token)?;
    let role: Role = form.role.parse().map_err(WebError::BadRequest)?;
    match app.accounts.create_by(Some(&user.account), &form.username, &form.password, role).await {
        Ok(a) => {
            session::flash(&user.session, "ok", format!("Created {}.", a.username));
            Ok(see_other("/admin/users"))
        }
        // What was typed comes back with the reason (the password is typed again).
        Err(e @ (AuthError::Invalid(_) | AuthError::UsernameTaken)) => {
            let draft = Draft {
                username: form.username.clone(),
                role: form.role.clone(),
                error: Some(e.to_string()),
            };
            page(&app, &settings, &user, draft, StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e.into()),
    }
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
pub struct QuotaForm {
    csrf_token: String,
    quota: String,
}

pub async fn set_quota(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<QuotaForm>,
) -> Result<HttpResponse, WebError> {
    user.check_admin_form(&form.csrf_token)?;
    let quota = match Quota::parse(&form.quota) {
        Ok(q) => q,
        Err(why) => return outcome(&user, Err(AuthError::Invalid(format!("quota not changed: {why}")))),
    };
    let result = app.accounts.set_quota(Some(&user.account), path.into_inner(), quota).await.map(|a| {
        let words = match a.quota {
            Quota::Default => "the default quota".to_owned(),
            Quota::Unlimited => "no quota".to_owned(),
            Quota::Bytes(n) => format!("a quota of {}", human_size(n)),
        };
        format!("{} now has {words}.", a.username)
    });
    outcome(&user, result)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf_token: String,
    password: String,
    /// `yes` once the admin confirmed; until then the confirmation page answers.
    confirmed: Option<String>,
}

pub async fn reset_password(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, WebError> {
    user.check_admin_form(&form.csrf_token)?;
    let id = path.into_inner();
    if form.confirmed.as_deref() != Some("yes") {
        let name = app.accounts.by_id(id).await?.username;
        return ConfirmActionPage {
            layout: Layout::new(&user.session, Some(&user.account), "accounts"),
            title: format!("Reset the password of {name}?"),
            message: format!(
                "{name} signs in with the new password from now on; every session of {name} ends at once."
            ),
            action: format!("/admin/users/{id}/password"),
            fields: vec![("password", form.password.clone())],
            button: "Reset password".into(),
            cancel: "/admin/users".into(),
        }
        .respond();
    }
    let result = app
        .accounts
        .reset_password(Some(&user.account), id, &form.password)
        .await
        .map(|()| "Password reset; that account's sessions have ended.".to_owned());
    outcome(&user, result)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub(super) csrf_token: String,
    confirmed: Option<String>,
}

pub async fn disable(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    if form.confirmed.as_deref() != Some("yes") {
        user.check_admin_form(&form.csrf_token)?;
        let name = app.accounts.by_id(id).await?.username;
        return ConfirmActionPage {
            layout: Layout::new(&user.session, Some(&user.account), "accounts"),
            title: format!("Disable {name}?"),
            message: format!(
                "{name} can no longer sign in: every session of {name} ends at once, and every share \
                 link {name} made and every access token of {name} is revoked. Their media stays; \
                 an admin can enable the account again."
            ),
            action: format!("/admin/users/{id}/disable"),
            fields: Vec::new(),
            button: "Disable".into(),
            cancel: "/admin/users".into(),
        }
        .respond();
    }
    set_disabled(app, user, id, &form.csrf_token, true).await
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

/// Revokes every live access token of an account, which stays enabled.
pub async fn revoke_tokens(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    user.check_admin_form(&form.csrf_token)?;
    let id = path.into_inner();
    let name = app.accounts.by_id(id).await?.username;
    let result = app.accounts.revoke_tokens_of(Some(&user.account), id).await.map(|n| match n {
        1 => format!("1 access token of {name} is revoked."),
        n => format!("{n} access tokens of {name} are revoked."),
    });
    outcome(&user, result)
}

/// Unlinks every single sign-on of an account, which keeps its password and sessions.
pub async fn unlink_sign_ons(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    user.check_admin_form(&form.csrf_token)?;
    let id = path.into_inner();
    let name = app.accounts.by_id(id).await?.username;
    let result = app
        .accounts
        .unlink_sign_ons_of(Some(&user.account), id)
        .await
        .map(|_| format!("{name} no longer signs on through the provider."));
    outcome(&user, result)
}

//! "Access tokens": an account's own tokens for scripts, made, listed and revoked. A new token
//! is shown once, on the page the form returns to: the session carries it there (the session
//! cookie is encrypted), since the database keeps only its hash. A refused form comes back with
//! the name and choices as they were typed, and why.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::signin::see_other;
use crate::app::App;
use crate::auth::{
    AccessToken, AuthError, MAX_LIVE_TOKENS, MAX_TOKEN_NAME_CHARS, Scope, Scopes, TokenState, session,
};
use crate::web::WebSettings;
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::{Choice, Layout, Moment};

/// Lifetimes offered, in days; "never" is until revoked.
const LIFETIMES: [u32; 4] = [7, 30, 90, 365];
const DEFAULT_LIFETIME: &str = "90";
const NEW_TOKEN: &str = "new_token";

pub struct TokenLine {
    pub id: i64,
    pub name: String,
    /// "Upload files, Read media (API)".
    pub scopes: String,
    /// "Live", "Expired", "Revoked".
    pub state: &'static str,
    pub made: Moment,
    /// Its end for a live token (none: until revoked), when it ended for the others.
    pub until: Option<Moment>,
    pub last_used: Option<Moment>,
    pub live: bool,
    /// Where its Revoke posts, and what the button says to a screen reader.
    pub revoke_url: String,
    pub revoke_label: String,
}

impl TokenLine {
    pub(super) fn of(t: AccessToken) -> TokenLine {
        TokenLine {
            id: t.id,
            scopes: t.scopes.labels(),
            state: match t.state {
                TokenState::Live => "Live",
                TokenState::Expired => "Expired",
                TokenState::Revoked => "Revoked",
            },
            made: Moment(t.created_at),
            until: t.revoked_at.or(t.expires_at).map(Moment),
            last_used: t.last_used_at.map(Moment),
            live: t.state == TokenState::Live,
            revoke_url: format!("/tokens/{}/revoke", t.id),
            revoke_label: format!("Revoke the token {} made {}", t.name, Moment(t.created_at).text()),
            name: t.name,
        }
    }
}

/// The form as typed, to come back with after a refusal. Ticked scopes arrive as repeated
/// `scope` fields, which serde's form parser cannot collect.
#[derive(Default)]
pub struct CreateForm {
    name: String,
    /// Ticked scopes; `None` before the form was ever sent (then "Upload files" is ticked).
    scopes: Option<Vec<String>>,
    lifetime: String,
}

impl CreateForm {
    fn read(user: &CurrentUser, body: &[u8]) -> Result<CreateForm, WebError> {
        let fields: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|e| WebError::BadRequest(e.to_string()))?;
        let first = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        user.check_csrf(&first("csrf_token").unwrap_or_default())?;
        Ok(CreateForm {
            name: first("name").unwrap_or_default(),
            scopes: Some(fields.iter().filter(|(k, _)| k == "scope").map(|(_, v)| v.clone()).collect()),
            lifetime: first("lifetime").unwrap_or_default(),
        })
    }
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    layout: Layout,
    /// A token just made, shown this once: (name, secret, scope).
    new_token: Option<(String, String, String)>,
    lines: Vec<TokenLine>,
    name: String,
    scopes: Vec<Choice>,
    lifetimes: Vec<Choice>,
    error: Option<String>,
    upload_url: String,
    api_url: String,
    /// Days a delete keeps an item in the trash (0: none).
    trash_days: u32,
    max_name: usize,
    max_live: i64,
    /// The sign-on provider's label and the account's links to it, when there is a provider.
    sign_on: Option<(String, Vec<SignOnLine>)>,
}

pub struct SignOnLine {
    pub known_as: String,
    pub made: Moment,
    pub last_used: Option<Moment>,
    pub unlink_url: String,
}

fn lifetime_choices(chosen: &str) -> Vec<Choice> {
    let chosen = if chosen.is_empty() { DEFAULT_LIFETIME } else { chosen };
    let mut out: Vec<Choice> = LIFETIMES
        .iter()
        .map(|d| Choice {
            value: d.to_string(),
            label: if *d == 365 { "A year".into() } else { format!("{d} days") },
            selected: d.to_string() == chosen,
        })
        .collect();
    out.push(Choice { value: "never".into(), label: "Until revoked".into(), selected: chosen == "never" });
    out
}

fn scope_choices(ticked: Option<&[String]>) -> Vec<Choice> {
    Scope::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str().into(),
            label: s.label().into(),
            selected: match ticked {
                Some(t) => t.iter().any(|v| v == s.as_str()),
                None => *s == Scope::Upload,
            },
        })
        .collect()
}

async fn page(
    app: &App,
    settings: &WebSettings,
    user: &CurrentUser,
    form: CreateForm,
    error: Option<String>,
) -> Result<HttpResponse, WebError> {
    let new_token: Option<(String, String, String)> = user.session.get(NEW_TOKEN).ok().flatten();
    if new_token.is_some() {
        user.session.remove(NEW_TOKEN);
    }
    let lines = app.accounts.tokens(user.account.id).await?.into_iter().map(TokenLine::of).collect();
    let sign_on = match &settings.sign_on {
        Some(provider) => {
            let links = app.accounts.sign_ons(user.account.id).await?;
            let lines = links
                .into_iter()
                .map(|l| SignOnLine {
                    known_as: l.known_as,
                    made: Moment(l.created_at),
                    last_used: l.last_used_at.map(Moment),
                    unlink_url: format!("/tokens/sign-on/{}/unlink", l.id),
                })
                .collect();
            Some((provider.config.label.clone(), lines))
        }
        None => None,
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let body = TokensPage {
        sign_on,
        layout: Layout::new(&user.session, Some(&user.account), "tokens"),
        new_token,
        lines,
        scopes: scope_choices(form.scopes.as_deref()),
        lifetimes: lifetime_choices(&form.lifetime),
        name: form.name,
        error,
        upload_url: settings.absolute_url("/upload"),
        api_url: settings.absolute_url("/api/v1/media"),
        trash_days: app.media.settings().trash_days,
        max_name: MAX_TOKEN_NAME_CHARS,
        max_live: MAX_LIVE_TOKENS,
    }
    .render()?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
}

pub async fn list(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
) -> Result<HttpResponse, WebError> {
    page(&app, &settings, &user, CreateForm::default(), None).await
}

/// Makes a token; the list comes back with it, shown once.
pub async fn create(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let form = CreateForm::read(&user, &body)?;
    let ticked = form.scopes.as_deref().unwrap_or_default().join(" ");
    let choice = match (Scopes::parse(&ticked), form.lifetime.as_str()) {
        (None, _) => Err("tick at least one of the offered scopes".to_owned()),
        (Some(scopes), "never") => Ok((scopes, None)),
        (Some(scopes), days) => match days.parse::<u32>() {
            Ok(d) if LIFETIMES.contains(&d) => Ok((scopes, Some(d))),
            _ => Err("choose one of the offered lifetimes".to_owned()),
        },
    };
    let made = match choice {
        Ok((scopes, days)) => {
            app.accounts.create_token(Some(&user.account), &user.account, &form.name, scopes, days).await
        }
        Err(why) => Err(AuthError::Invalid(why)),
    };
    match made {
        Ok(made) => {
            // Losing this only means making the token again.
            let shown = (made.token.name, made.secret, made.token.scopes.names());
            let _ = user.session.insert(NEW_TOKEN, shown);
            Ok(see_other("/tokens#new-token"))
        }
        Err(AuthError::Invalid(why)) => page(&app, &settings, &user, form, Some(why)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf_token: String,
}

/// Revokes one of one's own live tokens.
pub async fn revoke(
    app: web::Data<App>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<RevokeForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let name = app.accounts.revoke_token(Some(&user.account), &user.account, id.into_inner()).await?;
    let said = format!("The token “{name}” is revoked: scripts using it are refused from now on.");
    session::flash(&user.session, "ok", said);
    Ok(see_other("/tokens"))
}

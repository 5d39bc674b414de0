//! Share links from the staff side: made and listed on an item's page, all of one's own on
//! "Shares" (everyone's for staff), each revocable, and "revoke all" per item and per account.
//! A new link's address is shown once, on the page the form returns to: the session carries
//! it there (the session cookie is encrypted), since the database keeps only its hash.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::item_path::MediaPath;
use super::signin::see_other;
use crate::app::App;
use crate::auth::session;
use crate::domain::{MediaKind, decode_time_cursor, encode_time_cursor};
use crate::media::{ShareRead, ShareState, lifetime_words};
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::{Choice, Layout, Moment};
use crate::web::{WebSettings, back};

/// Lifetimes offered, in seconds; "never" is until revoked.
const LIFETIMES: [u64; 5] = [300, 3600, 86_400, 7 * 86_400, 30 * 86_400];
const DEFAULT_LIFETIME: u64 = 7 * 86_400;
const NEW_SHARE: &str = "new_share";

/// A link just made, as its item's page shows it once.
pub struct NewShareView {
    pub url: String,
    pub until: String,
}

/// One link in a list.
pub struct ShareLine {
    pub id: i64,
    pub item_url: String,
    pub item_name: String,
    pub made_by: String,
    pub made: Moment,
    /// "Live", "Expired", "Revoked".
    pub state: &'static str,
    /// The moment that goes with the state: its end for a live link, when it ended or was
    /// revoked for the others; none for a live link without an end.
    pub until: Option<Moment>,
    pub password: bool,
    pub download: bool,
    pub note: String,
    pub opens: i64,
    pub last_opened: Option<Moment>,
    pub can_revoke: bool,
}

impl ShareLine {
    pub fn of(s: ShareRead, names: &HashMap<i64, String>) -> ShareLine {
        ShareLine {
            id: s.id,
            item_url: format!("/media/{}/{}", s.kind, s.item_id),
            item_name: s.item_name.unwrap_or_else(|| format!("{} {} (gone)", s.kind, s.item_id)),
            made_by: s.created_by.map_or("the command line".to_owned(), |id| {
                names.get(&id).cloned().unwrap_or_else(|| format!("user {id}"))
            }),
            made: Moment(s.created_at),
            state: match s.state {
                ShareState::Live => "Live",
                ShareState::Expired => "Expired",
                ShareState::Revoked => "Revoked",
            },
            until: match (s.state, s.revoked_at, s.expires_at) {
                (ShareState::Revoked, Some(r), _) => Some(Moment(r)),
                (_, _, e) => e.map(Moment),
            },
            password: s.has_password,
            download: s.allow_download,
            note: s.note.unwrap_or_default(),
            opens: s.opens,
            last_opened: s.last_opened_at.map(Moment),
            can_revoke: s.can_revoke,
        }
    }
}

/// Usernames by id, to say who made each link.
pub async fn account_names(app: &App) -> Result<Arc<HashMap<i64, String>>, WebError> {
    Ok(app.accounts.usernames().await?)
}

/// The lifetimes the create form offers, within the admins' cap.
/// The lifetimes a new link may have; `chosen` (a form's value) is selected, else the default.
pub fn lifetime_choices(app: &App, chosen: Option<&str>) -> Vec<Choice> {
    let (until_revoked, max) = app.media.share_lifetimes();
    let default = DEFAULT_LIFETIME.min(max.as_secs());
    let default = chosen.map_or_else(|| default.to_string(), str::to_owned);
    let mut out: Vec<Choice> = LIFETIMES
        .iter()
        .filter(|s| **s <= max.as_secs())
        .map(|s| Choice {
            value: s.to_string(),
            label: lifetime_words(Duration::from_secs(*s)),
            selected: s.to_string() == default,
        })
        .collect();
    if until_revoked {
        let selected = default == "never";
        out.push(Choice { value: "never".into(), label: "Until revoked".into(), selected });
    }
    out
}

/// The link made for this item just before, once.
pub fn take_new_share(
    session: &Session,
    settings: &WebSettings,
    item: (MediaKind, i64),
) -> Option<NewShareView> {
    let kept: (String, i64, String, String) = session.get(NEW_SHARE).ok().flatten()?;
    if (kept.0.as_str(), kept.1) != (item.0.as_str(), item.1) {
        return None;
    }
    session.remove(NEW_SHARE);
    Some(NewShareView { url: settings.absolute_url(&format!("/s/{}", kept.2)), until: kept.3 })
}

/// Keeps a link just made for its item's page to show once (losing it only means making the
/// link again).
pub(super) fn remember_new_share(session: &Session, item: (MediaKind, i64), token: String, until: String) {
    let _ = session.insert(NEW_SHARE, (item.0.as_str(), item.1, token, until));
}

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf_token: String,
    /// Where to come back to: a local page (the item's, or Shares).
    back: Option<String>,
}

fn back_to(back: Option<&str>, fallback: &str) -> String {
    back.filter(|b| back::is_local_path(b)).unwrap_or(fallback).to_owned()
}

/// Revokes one link.
pub async fn revoke(
    app: web::Data<App>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<RevokeForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let (kind, item) = app.media.revoke_share(&user.actor(), id.into_inner()).await?;
    session::flash(&user.session, "ok", "The link is revoked: it stops working within a minute.");
    Ok(see_other(&back_to(form.back.as_deref(), &format!("/media/{kind}/{item}#shares"))))
}

/// Revokes every live link to an item.
pub async fn revoke_item(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<MediaPath>,
    form: web::Form<RevokeForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let path = path.into_inner();
    let n = app.media.revoke_item_shares(&user.actor(), path.kind, path.id).await?;
    session::flash(&user.session, "ok", format!("{} revoked.", links(n)));
    Ok(see_other(&back_to(form.back.as_deref(), &format!("{}#shares", path.url()))))
}

fn links(n: usize) -> String {
    if n == 1 { "1 link".into() } else { format!("{n} links") }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    /// `mine` (default), `all` (staff), or an account's id (staff).
    whose: Option<String>,
    /// Ended links too.
    ended: Option<String>,
    after: Option<String>,
}

#[derive(Template)]
#[template(path = "shares.html")]
struct SharesPage {
    layout: Layout,
    lines: Vec<ShareLine>,
    staff: bool,
    whose: Vec<Choice>,
    /// The account whose links "Revoke all" covers; `None` for everyone's.
    revoke_all_of: Option<i64>,
    ended: bool,
    next: Option<String>,
    show_item: bool,
    revoke_back: String,
    any_revocable: bool,
    revoke_all_label: &'static str,
}

fn creator(user: &CurrentUser, whose: Option<&str>) -> Result<Option<i64>, WebError> {
    match whose.unwrap_or("mine") {
        "" | "mine" => Ok(Some(user.account.id)),
        "all" => Ok(None),
        id => id.parse().map(Some).map_err(|_| WebError::BadRequest("whose: mine, all or an account".into())),
    }
}

/// "Shares": one's own links, or for staff anyone's.
pub async fn list(
    app: web::Data<App>,
    user: CurrentUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let creator = creator(&user, q.whose.as_deref())?;
    let ended = q.ended.is_some();
    let after = match q.after.as_deref() {
        Some(c) => {
            Some(decode_time_cursor(c).ok_or_else(|| WebError::BadRequest("a bad page address".into()))?)
        }
        None => None,
    };
    let actor = user.actor();
    let page = app.media.shares_page(&actor, creator, !ended, after).await?;
    let names = account_names(&app).await?;
    let whose_value = creator
        .map_or("all".to_owned(), |id| if id == user.account.id { "mine".into() } else { id.to_string() });
    let mut whose = vec![
        Choice { value: "mine".into(), label: "Mine".into(), selected: whose_value == "mine" },
        Choice { value: "all".into(), label: "Everyone's".into(), selected: whose_value == "all" },
    ];
    let mut others: Vec<(&i64, &String)> = names.iter().filter(|(id, _)| **id != user.account.id).collect();
    others.sort_by(|a, b| a.1.cmp(b.1));
    whose.extend(others.into_iter().map(|(id, name)| Choice {
        value: id.to_string(),
        label: name.clone(),
        selected: whose_value == id.to_string(),
    }));
    let mut query = format!("whose={whose_value}");
    if ended {
        query.push_str("&ended=1");
    }
    let lines: Vec<ShareLine> = page.shares.into_iter().map(|s| ShareLine::of(s, &names)).collect();
    let body = SharesPage {
        layout: Layout::new(&user.session, Some(&user.account), "shares"),
        any_revocable: lines.iter().any(|l| l.can_revoke),
        lines,
        show_item: true,
        revoke_back: format!("/shares?{query}"),
        revoke_all_label: if creator == Some(user.account.id) {
            "Revoke all live links I made"
        } else {
            "Revoke all live links of this account"
        },
        staff: actor.is_staff,
        whose,
        revoke_all_of: creator,
        ended,
        next: page.next.map(|c| format!("/shares?{query}&after={}", encode_time_cursor(c))),
    }
    .render()?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

#[derive(Deserialize)]
pub struct RevokeAllForm {
    csrf_token: String,
    /// The account whose links go: one's own when absent.
    user: Option<i64>,
}

/// Revokes every live link one account made (one's own; staff: anyone's).
pub async fn revoke_all(
    app: web::Data<App>,
    user: CurrentUser,
    form: web::Form<RevokeAllForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let whose = form.user.unwrap_or(user.account.id);
    let n = app.media.revoke_user_shares(&user.actor(), whose).await?;
    session::flash(&user.session, "ok", format!("{} revoked.", links(n)));
    let back = if whose == user.account.id { "/shares".to_owned() } else { format!("/shares?whose={whose}") };
    Ok(see_other(&back))
}

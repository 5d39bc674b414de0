//! Share links through the API, for a script that hands them out (a chat bot, a newsletter
//! tool) or reviews them: an item's links listed, one made, one revoked, the account's (for
//! staff, anyone's) paged through, each by a token of the share scope —
//! a link opens an item to anyone who has it, so no other scope reaches them. A link is the
//! item page's "Create link": the same lifetimes, password, download choice and note, the
//! same audit rows, and its address is known only in the answer that makes it.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::body::{object, present};
use super::json::time;
use super::media::{ItemPath, bad};
use crate::app::App;
use crate::domain::{MediaKind, decode_time_cursor, encode_time_cursor};
use crate::media::{ShareRead, ShareRequest, ShareState};
use crate::web::WebSettings;
use crate::web::error::WebError;
use crate::web::extract::Sharer;

/// A link without its lifetime given lives a week (or the admins' cap, if shorter).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// A link as the API shows it; never its address, except once, when it is made.
#[derive(Serialize)]
struct ShareJson {
    id: i64,
    kind: MediaKind,
    item_id: i64,
    /// The item's document in this API.
    item_api_url: String,
    /// The account that made it (`null`: the command line).
    created_by: Option<i64>,
    created_at: String,
    /// `null`: until revoked.
    expires_at: Option<String>,
    revoked_at: Option<String>,
    /// `live`, `expired` or `revoked`.
    state: &'static str,
    has_password: bool,
    allow_download: bool,
    note: Option<String>,
    opens: i64,
    last_opened_at: Option<String>,
    /// Whether this account may revoke it.
    can_revoke: bool,
    /// The link itself, in the answer that makes it only.
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

fn share_json(settings: &WebSettings, s: ShareRead, url: Option<String>) -> ShareJson {
    ShareJson {
        item_api_url: settings.absolute_url(&format!("/api/v1/media/{}/{}", s.kind, s.item_id)),
        id: s.id,
        kind: s.kind,
        item_id: s.item_id,
        created_by: s.created_by,
        created_at: time(s.created_at),
        expires_at: s.expires_at.map(time),
        revoked_at: s.revoked_at.map(time),
        state: match s.state {
            ShareState::Live => "live",
            ShareState::Expired => "expired",
            ShareState::Revoked => "revoked",
        },
        has_password: s.has_password,
        allow_download: s.allow_download,
        note: s.note,
        opens: s.opens,
        last_opened_at: s.last_opened_at.map(time),
        can_revoke: s.can_revoke,
        url,
    }
}

#[derive(Serialize)]
struct SharesJson {
    shares: Vec<ShareJson>,
}

/// `GET /api/v1/shares`'s parameters, each checked (a typo must not list something else).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllParams {
    /// `mine` (the default), `all` (staff) or an account's id (staff).
    whose: Option<String>,
    /// `true`: ended links too.
    ended: Option<bool>,
    after: Option<String>,
}

#[derive(Serialize)]
struct SharePageJson {
    shares: Vec<ShareJson>,
    next: Option<String>,
    next_cursor: Option<String>,
}

/// The account's links (staff: anyone's), newest first, fifty a page: live ones, or all.
pub async fn all(
    Sharer(user): Sharer,
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    params: web::Query<AllParams>,
) -> Result<HttpResponse, WebError> {
    let p = params.into_inner();
    let creator = match p.whose.as_deref().unwrap_or("mine") {
        "mine" => Some(user.account.id),
        "all" => None,
        id => Some(id.parse().map_err(|_| bad("whose: mine, all or an account's id"))?),
    };
    let after = match p.after.as_deref() {
        Some(c) => Some(decode_time_cursor(c).ok_or_else(|| bad("after: not a cursor this API gave"))?),
        None => None,
    };
    let ended = p.ended.unwrap_or(false);
    let page = app.media.shares_page(&user.actor(), creator, !ended, after).await?;
    let next_cursor = page.next.map(encode_time_cursor);
    let whose = creator.map_or("all".to_owned(), |id| id.to_string());
    let next = next_cursor
        .as_deref()
        .map(|c| settings.absolute_url(&format!("/api/v1/shares?whose={whose}&ended={ended}&after={c}")));
    let shares = page.shares.into_iter().map(|s| share_json(&settings, s, None)).collect();
    Ok(HttpResponse::Ok().json(SharePageJson { shares, next, next_cursor }))
}

/// An item's links, newest first: all of them for whoever manages it, else the account's own.
pub async fn list(
    Sharer(user): Sharer,
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    path: web::Path<ItemPath>,
) -> Result<HttpResponse, WebError> {
    let shares = app.media.item_shares(&user.actor(), path.kind, path.id).await?;
    let shares = shares.into_iter().map(|s| share_json(&settings, s, None)).collect();
    Ok(HttpResponse::Ok().json(SharesJson { shares }))
}

/// What a new link is to allow.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewShareJson {
    /// Seconds from now (5 minutes to 30 days); `null`: until revoked; left out: a week.
    #[serde(default, deserialize_with = "present")]
    expires_in_seconds: Option<Option<u64>>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    allow_download: bool,
    #[serde(default)]
    note: Option<String>,
}

/// Makes a link to an item the account may see; answers it with its address (201).
pub async fn create(
    Sharer(user): Sharer,
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    path: web::Path<ItemPath>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, WebError> {
    let b: NewShareJson = object(body.into_inner(), "{\"expires_in_seconds\": 86400}")?;
    let lifetime = match b.expires_in_seconds {
        Some(secs) => secs.map(Duration::from_secs),
        None => Some(DEFAULT_LIFETIME.min(app.media.share_lifetimes().1)),
    };
    let request = ShareRequest {
        lifetime,
        password: b.password.filter(|p| !p.is_empty()),
        allow_download: b.allow_download,
        note: b.note,
    };
    let created = app.media.create_share(&user.actor(), path.kind, path.id, request).await?;
    let url = settings.absolute_url(&format!("/s/{}", created.token));
    Ok(HttpResponse::Created().json(share_json(&settings, created.share, Some(url))))
}

#[derive(Serialize)]
struct RevokedJson {
    id: i64,
    kind: MediaKind,
    item_id: i64,
    /// Always true: the link no longer opens (revoking an ended one changes nothing).
    revoked: bool,
}

/// Revokes a link: its maker, whoever manages its item, or staff.
pub async fn revoke(
    Sharer(user): Sharer,
    app: web::Data<App>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let (kind, item_id) = app.media.revoke_share(&user.actor(), id).await?;
    Ok(HttpResponse::Ok().json(RevokedJson { id, kind, item_id, revoked: true }))
}

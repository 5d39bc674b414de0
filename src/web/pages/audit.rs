//! The audit log for admins: filters by account, action, item and time; newest first, in
//! keyset pages.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::App;
use crate::auth::{AUDIT_PAGE, AuditEntry};
use crate::domain::{AuditAction, AuditFilter, MediaKind};
use crate::web::WebSettings;
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::{Choice, Layout, Moment};

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    item: Option<String>,
    since: Option<String>,
    until: Option<String>,
    /// Minutes east of UTC that the days are read in: the script sends the browser's; without
    /// it the days are UTC, as the page says.
    offset: Option<String>,
    after: Option<String>,
}

struct Line {
    at: crate::web::view::SecondMoment,
    actor: String,
    action: &'static str,
    outcome: String,
    item: Option<(String, String)>,
    subject: String,
    client: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditTemplate {
    layout: Layout,
    actors: Vec<Choice>,
    actions: Vec<Choice>,
    item: String,
    since: String,
    until: String,
    offset: String,
    lines: Vec<Line>,
    older: Option<String>,
    webhooks: Option<Webhooks>,
}

/// Where webhook delivery stands, in the page's words.
struct Webhooks {
    url: String,
    /// "All sent, up to event 812 (the last at …)", or nothing sent yet.
    state: String,
    /// Why the next event is refused, and when it is tried again.
    failing: Option<(String, Moment)>,
}

async fn webhooks(app: &App, settings: &WebSettings) -> Result<Option<Webhooks>, WebError> {
    let Some(url) = settings.webhook_url.clone() else { return Ok(None) };
    let status = crate::webhooks::status(&app.db).await.map_err(|e| WebError::Unavailable(e.to_string()))?;
    let (state, failing) = match status {
        None => ("Starting: the first events go out within seconds.".to_owned(), None),
        Some(s) => {
            let last =
                s.last_sent_at.map_or(String::new(), |at| format!(", the last sent {}", Moment(at).text()));
            let failing = s.failing.map(|(n, why, at)| {
                (
                    format!("The next event was refused {n} time{}: {why}.", if n == 1 { "" } else { "s" }),
                    Moment(at),
                )
            });
            (format!("Delivered in order up to event {}{last}.", s.through), failing)
        }
    };
    Ok(Some(Webhooks { url, state, failing }))
}

fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Midnight starting the day `text`, in UTC, for a reader `offset` minutes east of it.
fn date(text: &str, what: &str, offset: i64) -> Result<chrono::NaiveDateTime, WebError> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists") - chrono::TimeDelta::minutes(offset))
        .map_err(|_| WebError::BadRequest(format!("{what}: a date like 2026-12-01")))
}

/// The reader's offset from UTC in minutes (the widest zones are 14 hours away).
fn offset(text: Option<&str>) -> Result<i64, WebError> {
    let Some(text) = text else { return Ok(0) };
    text.parse::<i64>()
        .ok()
        .filter(|m| m.abs() <= 14 * 60)
        .ok_or_else(|| WebError::BadRequest("offset: minutes east of UTC, like 330 or -300".into()))
}

pub async fn show(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, WebError> {
    user.require_admin()?;
    let accounts = app.accounts.list().await?;
    let mut filter = AuditFilter::default();
    if let Some(name) = blank(&q.actor) {
        let found = accounts.iter().find(|a| a.username == name);
        filter.actor = Some(found.ok_or_else(|| WebError::BadRequest("no such account".into()))?.id);
    }
    if let Some(action) = blank(&q.action) {
        filter.action = Some(action.parse().map_err(|_| WebError::BadRequest("no such action".into()))?);
    }
    if let Some(item) = blank(&q.item) {
        let bad = || WebError::BadRequest("an item is kind:id, like image:12".into());
        let (kind, id) = item.split_once(':').ok_or_else(bad)?;
        let kind: MediaKind = kind.trim().parse().map_err(|_| bad())?;
        filter.item = Some((kind, id.trim().parse().map_err(|_| bad())?));
    }
    let east = offset(blank(&q.offset))?;
    if let Some(since) = blank(&q.since) {
        filter.since = Some(date(since, "From", east)?);
    }
    if let Some(until) = blank(&q.until) {
        // Up to the end of that day.
        filter.until = Some(date(until, "To", east)? + chrono::TimeDelta::days(1));
    }
    let page = app.accounts.audit(Some(&user.account), &filter, blank(&q.after), AUDIT_PAGE).await?;
    let older = page.next.map(|next| {
        let keep = [("actor", &q.actor), ("action", &q.action), ("item", &q.item)];
        let dates = [("since", &q.since), ("until", &q.until), ("offset", &q.offset)];
        let mut parts: Vec<String> = keep
            .iter()
            .chain(&dates)
            .filter_map(|(k, v)| blank(v).map(|v| format!("{k}={}", crate::http_text::percent_encode(v))))
            .collect();
        parts.push(format!("after={next}"));
        format!("/admin/audit?{}", parts.join("&"))
    });
    let lines = page.entries.into_iter().map(line).collect();
    let chosen_actor = blank(&q.actor).unwrap_or("");
    let mut actors =
        vec![Choice { value: String::new(), label: "Anyone".into(), selected: chosen_actor.is_empty() }];
    actors.extend(accounts.iter().map(|a| Choice {
        value: a.username.clone(),
        label: a.username.clone(),
        selected: a.username == chosen_actor,
    }));
    let chosen_action = blank(&q.action).unwrap_or("");
    let mut actions =
        vec![Choice { value: String::new(), label: "Any".into(), selected: chosen_action.is_empty() }];
    actions.extend(AuditAction::ALL.iter().map(|a| Choice {
        value: a.as_str().to_owned(),
        label: a.label().to_owned(),
        selected: a.as_str() == chosen_action,
    }));
    let body = AuditTemplate {
        layout: Layout::new(&user.session, Some(&user.account), "accounts"),
        actors,
        actions,
        item: blank(&q.item).unwrap_or("").to_owned(),
        since: blank(&q.since).unwrap_or("").to_owned(),
        until: blank(&q.until).unwrap_or("").to_owned(),
        offset: blank(&q.offset).unwrap_or("").to_owned(),
        lines,
        older,
        webhooks: webhooks(&app, &settings).await?,
    }
    .render()?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

fn line(e: AuditEntry) -> Line {
    let item = e.item.map(|i| {
        let link = match i.split_once(':') {
            Some((kind, id)) => format!("/media/{kind}/{id}"),
            None => String::new(),
        };
        (i, link)
    });
    // A collection's own rows link to it; an item's rows link to the item (the details name
    // the collection).
    let item = item.or_else(|| {
        e.collection.map(|id| {
            (e.subject.clone().unwrap_or_else(|| format!("collection {id}")), format!("/collections/{id}"))
        })
    });
    Line {
        at: crate::web::view::Moment(e.at).to_the_second(),
        actor: e.actor.unwrap_or_else(|| "operator".into()),
        action: e.action.parse::<AuditAction>().map_or("Other", AuditAction::label),
        outcome: e.outcome,
        item,
        subject: e.subject.unwrap_or_default(),
        client: e.client.unwrap_or_default(),
        detail: e.detail.unwrap_or_default(),
    }
}

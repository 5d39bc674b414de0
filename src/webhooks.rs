//! Webhooks: what happens to media, POSTed as it happens to one URL an operator configures,
//! signed as Standard Webhooks describes (`webhook-id`, `webhook-timestamp`, `webhook-signature`),
//! in order and at least once. The events are the audit log's rows, which every change already
//! writes in its own transaction: nothing can change without its row, so nothing is missed, and
//! a receiver that is down gets everything once it is back. Delivery walks the log with a cursor
//! in the database, held by one app process at a time (a lease), one event at a time: a refused
//! one is tried again with a growing wait, and none after it is sent before it.

use std::time::Duration;

use base64::Engine;
use chrono::{NaiveDateTime, TimeDelta};
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::auth::{AccountService, AuthError};
use crate::config::WebhookConfig;
use crate::db::repo::WebhookRepo;
use crate::db::rows::{AuditRow, WebhookCursorRow};
use crate::db::{Db, DbConn, DbError, now};
use crate::domain::{AuditAction, MediaKind};
use crate::media::{Actor, MediaService};

/// Events read per pass.
const BATCH: i64 = 50;

/// Where and how events go; timings are settings so tests can shorten them.
#[derive(Clone)]
pub struct WebhookSettings {
    pub url: String,
    /// The key signatures are made with (the configured `whsec_…` secret, decoded).
    pub key: Vec<u8>,
    pub actions: Vec<AuditAction>,
    /// What item links in events start with (`MEDIADESK_PUBLIC_URL`).
    pub public_url: String,
    /// How often the log is looked at.
    pub poll: Duration,
    /// How old a row must be before it is sent (see `db/repo/webhook.rs`).
    pub settle: Duration,
    /// The first wait after a refused delivery; it doubles up to `max_wait`.
    pub first_wait: Duration,
    pub max_wait: Duration,
    pub timeout: Duration,
}

impl WebhookSettings {
    pub fn new(config: &WebhookConfig, public_url: &str) -> WebhookSettings {
        WebhookSettings {
            url: config.url.clone(),
            key: config.key.clone(),
            actions: config.actions.clone(),
            public_url: public_url.trim_end_matches('/').to_owned(),
            poll: Duration::from_secs(1),
            settle: Duration::from_secs(3),
            first_wait: Duration::from_secs(5),
            max_wait: Duration::from_secs(3600),
            timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Accounts(#[from] AuthError),
    #[error("the HTTP client could not be built: {0}")]
    Client(String),
}

/// One event as the receiver gets it.
#[derive(Serialize)]
struct Event<'a> {
    id: String,
    #[serde(rename = "type")]
    kind: &'a str,
    outcome: &'a str,
    /// RFC 3339, UTC.
    at: String,
    actor: Option<Person<'a>>,
    item: Option<Item>,
    /// The collection a collection's event concerns (an item put in one: both).
    collection: Option<Collection<'a>>,
    /// The account an account change concerns, or the collection's name.
    subject: Option<&'a str>,
    detail: Option<&'a str>,
}

#[derive(Serialize)]
struct Collection<'a> {
    id: i64,
    /// As the event left it (a rename's new name).
    name: &'a str,
    url: String,
    /// Its document in the JSON API.
    api_url: String,
}

#[derive(Serialize)]
struct Person<'a> {
    id: i64,
    username: &'a str,
}

#[derive(Serialize)]
struct Item {
    kind: String,
    id: i64,
    url: String,
    /// Its document in the JSON API (for a receiver holding a read token).
    api_url: String,
    /// The original file, as staff download it, through a link signed when the event is sent
    /// (living `MEDIADESK_URL_TTL_SECS`); none once the item is trashed or gone.
    download_url: Option<String>,
}

/// What a pass finds before it claims the cursor.
enum Due {
    Nothing,
    /// A refused event waits for its retry.
    Later,
    Now,
}

/// What one pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    /// A delivery was refused (or another process holds the cursor, or a retry is not due).
    pub stopped: bool,
}

/// How far delivery has come, for the audit page.
#[derive(Debug, Clone)]
pub struct WebhookStatus {
    /// The last event sent or passed over (an audit row's id).
    pub through: i64,
    pub last_sent_at: Option<NaiveDateTime>,
    /// Refusals in a row of the event after `through`, why the last was, and when it is tried
    /// again; none while deliveries succeed.
    pub failing: Option<(i32, String, NaiveDateTime)>,
}

/// Where delivery stands; `None` before the first pass.
pub async fn status(db: &Db) -> Result<Option<WebhookStatus>, WebhookError> {
    let mut pooled = db.get().await?;
    let Some(c) = WebhookRepo::cursor(&mut pooled.conn()).await? else { return Ok(None) };
    Ok(Some(WebhookStatus {
        through: c.delivered_through,
        last_sent_at: c.delivered_at,
        failing: match (c.attempts, c.last_error, c.retry_at) {
            (n, Some(why), Some(at)) if n > 0 => Some((n, why, at)),
            _ => None,
        },
    }))
}

/// Sends the events from audit row `from` on again (or, past the log's end, skips to there),
/// whatever was sent before: for a receiver that lost what it had.
pub async fn send_again_from(db: &Db, from: i64) -> Result<(), WebhookError> {
    let mut pooled = db.get().await?;
    Ok(WebhookRepo::reset(&mut pooled.conn(), from.saturating_sub(1)).await?)
}

/// The `webhook-signature` of a message: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}`.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

pub struct Deliverer {
    db: Db,
    accounts: AccountService,
    /// Signs the items' download links, when given.
    media: Option<MediaService>,
    settings: WebhookSettings,
    http: reqwest::Client,
    /// This process's name on the lease.
    holder: String,
}

impl Deliverer {
    pub fn new(db: Db, settings: WebhookSettings) -> Result<Deliverer, WebhookError> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Mediadesk-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WebhookError::Client(e.to_string()))?;
        Ok(Deliverer {
            accounts: AccountService::new(db.clone()),
            db,
            media: None,
            settings,
            http,
            holder: uuid::Uuid::new_v4().simple().to_string(),
        })
    }

    /// Events carry a signed download link of their item.
    pub fn with_links(self, media: MediaService) -> Deliverer {
        Deliverer { media: Some(media), ..self }
    }

    /// A fresh signed link to the item's original, absolute; none if it is trashed or gone.
    async fn download_url(&self, kind: &str, id: i64) -> Option<String> {
        let media = self.media.as_ref()?;
        let kind: MediaKind = kind.parse().ok()?;
        let url = media.detail(&Actor::operator(), kind, id).await.ok()?.download_url;
        Some(if url.starts_with('/') { format!("{}{url}", self.settings.public_url) } else { url })
    }

    /// Sends events until the process ends.
    pub async fn run(self) {
        let mut tick = tokio::time::interval(self.settings.poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.pass().await {
                tracing::warn!(error = %e, "webhooks: could not read or move the cursor");
            }
        }
    }

    fn lease(&self, at: NaiveDateTime) -> NaiveDateTime {
        at + TimeDelta::from_std(self.settings.timeout * 3).unwrap_or(TimeDelta::seconds(30))
    }

    /// One database step on a connection of the app's pool, given back before any HTTP call,
    /// so a slow receiver never holds one.
    async fn step<T>(
        &self,
        f: impl for<'c, 'd> AsyncFnOnce(&'c mut DbConn<'d>) -> Result<T, DbError>,
    ) -> Result<T, WebhookError> {
        let mut pooled = self.db.get().await?;
        Ok(f(&mut pooled.conn()).await?)
    }

    /// Takes or keeps the lease; the cursor if this process holds it.
    async fn claim(&self) -> Result<Option<WebhookCursorRow>, WebhookError> {
        let at = now();
        let until = self.lease(at);
        self.step(async |c| WebhookRepo::claim(c, &self.holder, at, until).await).await
    }

    /// Sends what is due: the events after the cursor, in order, until one is refused.
    pub async fn pass(&self) -> Result<Pass, WebhookError> {
        let at = now();
        let stopped = Pass { sent: 0, stopped: true };
        let settled = at - TimeDelta::from_std(self.settings.settle).unwrap_or_default();
        // Reads only, while there is nothing to send (or a retry is not due): no write a second
        // on an idle database.
        let due = self
            .step(async |c| {
                let Some(seen) = WebhookRepo::cursor(c).await? else {
                    WebhookRepo::ensure(c).await?;
                    return Ok(Due::Nothing);
                };
                if seen.retry_at.is_some_and(|r| r > at) {
                    return Ok(Due::Later);
                }
                let rows = WebhookRepo::rows_after(c, seen.delivered_through, settled, 1).await?;
                Ok(if rows.is_empty() { Due::Nothing } else { Due::Now })
            })
            .await?;
        match due {
            Due::Nothing => return Ok(Pass::default()),
            Due::Later => return Ok(stopped),
            Due::Now => {}
        }
        let Some(cursor) = self.claim().await? else { return Ok(stopped) };
        if cursor.retry_at.is_some_and(|r| r > at) {
            return Ok(stopped);
        }
        let rows = self
            .step(async |c| WebhookRepo::rows_after(c, cursor.delivered_through, settled, BATCH).await)
            .await?;
        // Every account's name, as the galleries have them (kept a moment: names never change).
        let names = self.accounts.usernames().await?;
        let mut pass = Pass::default();
        let mut attempts = cursor.attempts;
        // Rows that are not events move the cursor with the next one sent, or at the end.
        let mut passed_over = None;
        for row in rows {
            let Some(action) =
                row.action.parse::<AuditAction>().ok().filter(|a| self.settings.actions.contains(a))
            else {
                passed_over = Some(row.id);
                continue;
            };
            if self.claim().await?.is_none() {
                return Ok(Pass { stopped: true, ..pass });
            }
            let actor = row.actor_id.and_then(|id| names.get(&id).map(|n| (id, n.as_str())));
            let holder = self.holder.as_str();
            match self.send(&row, action, actor).await {
                Ok(()) => {
                    let moved = self
                        .step(async |c| WebhookRepo::advance(c, holder, row.id, Some(now())).await)
                        .await?;
                    if !moved {
                        // The cursor was set by hand meanwhile (`mediadesk webhooks --from`).
                        return Ok(Pass { stopped: true, ..pass });
                    }
                    passed_over = None;
                    attempts = 0;
                    pass.sent += 1;
                }
                Err(why) => {
                    let attempts = attempts.saturating_add(1);
                    let wait = self.wait(attempts);
                    tracing::warn!(event = row.id, attempts, retry_in_s = wait.num_seconds(), error = %why,
                        "webhooks: the receiver refused an event");
                    self.step(async |c| {
                        if let Some(through) = passed_over {
                            WebhookRepo::advance(c, holder, through, None).await?;
                        }
                        WebhookRepo::failed(c, holder, attempts, now() + wait, &why).await
                    })
                    .await?;
                    return Ok(Pass { stopped: true, ..pass });
                }
            }
        }
        if let Some(through) = passed_over {
            let holder = self.holder.as_str();
            self.step(async |c| WebhookRepo::advance(c, holder, through, None).await).await?;
        }
        Ok(pass)
    }

    /// The wait after the `attempts`-th refusal in a row: doubling, capped.
    fn wait(&self, attempts: i32) -> TimeDelta {
        let factor = 1u32 << attempts.clamp(1, 20).saturating_sub(1) as u32;
        let wait = self.settings.first_wait.saturating_mul(factor).min(self.settings.max_wait);
        TimeDelta::from_std(wait).unwrap_or(TimeDelta::hours(1))
    }

    /// POSTs one event; why it was refused, if it was.
    async fn send(
        &self,
        row: &AuditRow,
        action: AuditAction,
        actor: Option<(i64, &str)>,
    ) -> Result<(), String> {
        let id = format!("evt_{}", row.id);
        let event = Event {
            id: id.clone(),
            kind: action.as_str(),
            outcome: &row.outcome,
            at: row.at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            actor: actor.map(|(id, username)| Person { id, username }),
            item: match (&row.item_kind, row.item_id) {
                (Some(kind), Some(item)) => Some(Item {
                    url: format!("{}/media/{kind}/{item}", self.settings.public_url),
                    api_url: format!("{}/api/v1/media/{kind}/{item}", self.settings.public_url),
                    download_url: self.download_url(kind, item).await,
                    kind: kind.clone(),
                    id: item,
                }),
                _ => None,
            },
            collection: match (row.subject_id, &row.subject_name) {
                (Some(id), Some(name)) if action.concerns_collection() => Some(Collection {
                    id,
                    name,
                    url: format!("{}/collections/{id}", self.settings.public_url),
                    api_url: format!("{}/api/v1/collections/{id}", self.settings.public_url),
                }),
                _ => None,
            },
            subject: row.subject_name.as_deref(),
            detail: row.detail.as_deref(),
        };
        let body = serde_json::to_vec(&event).map_err(|e| e.to_string())?;
        let timestamp = chrono::Utc::now().timestamp();
        let response = self
            .http
            .post(&self.settings.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature(&self.settings.key, &id, timestamp, &body))
            .body(body)
            .send()
            .await
            .map_err(|e| format!("no answer: {e}"))?;
        let status = response.status();
        if status.is_success() { Ok(()) } else { Err(format!("answered {}", status.as_u16())) }
    }
}

//! Reading the audit log (admins and the operator only) and pruning it. Rows are written by
//! each service in the transaction of the action they record.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde::Serialize;

use super::{Account, AccountService, AuthError};
use crate::db::now;
use crate::db::repo::{AuditCursor, AuditRepo, UserRepo, WebhookRepo};
use crate::domain::{AuditAction, AuditFilter, decode_time_cursor, encode_time_cursor};

/// Rows on one page of the log.
pub const AUDIT_PAGE: i64 = 50;

/// One line of the log, with names in place of account ids.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: NaiveDateTime,
    /// The account that acted; `None` for the command line and housekeeping.
    pub actor: Option<String>,
    pub action: String,
    pub outcome: String,
    /// `kind:id` of the item acted on.
    pub item: Option<String>,
    /// The account an account change or a sign-in concerns (as typed, for a failed sign-in), or
    /// the collection's name.
    pub subject: Option<String>,
    /// The id of the collection a collection's row concerns.
    pub collection: Option<i64>,
    pub client: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// The cursor of the next (older) page.
    pub next: Option<String>,
}

fn decode(s: &str) -> Result<AuditCursor, AuthError> {
    decode_time_cursor(s)
        .ok_or_else(|| AuthError::Invalid("this page link of the audit log is not valid".into()))
}

impl AccountService {
    /// A page of the log, newest first; `actor` `None` is the operator at the command line.
    pub async fn audit(
        &self,
        actor: Option<&Account>,
        filter: &AuditFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<AuditPage, AuthError> {
        Self::require_admin(actor)?;
        let after = after.map(decode).transpose()?;
        let mut pooled = self.db.get().await?;
        let mut conn = pooled.conn();
        let rows = AuditRepo::page(&mut conn, filter, after, limit + 1).await?;
        let names: HashMap<i64, String> =
            UserRepo::list(&mut conn).await?.into_iter().map(|u| (u.id, u.username)).collect();
        let more = rows.len() as i64 > limit;
        let rows = &rows[..rows.len().min(limit as usize)];
        let next = if more { rows.last().map(|r| encode_time_cursor((r.at, r.id))) } else { None };
        let name = |id: Option<i64>| id.map(|id| names.get(&id).cloned().unwrap_or_else(|| format!("#{id}")));
        let entries = rows
            .iter()
            .map(|r| AuditEntry {
                id: r.id,
                at: r.at,
                actor: name(r.actor_id),
                action: r.action.clone(),
                outcome: r.outcome.clone(),
                item: r.item_kind.as_ref().zip(r.item_id).map(|(k, id)| format!("{k}:{id}")),
                subject: r.subject_name.clone().or_else(|| name(r.subject_id)),
                collection: r
                    .subject_id
                    .filter(|_| r.action.parse::<AuditAction>().is_ok_and(AuditAction::concerns_collection)),
                client: r.client.clone(),
                detail: r.detail.clone(),
            })
            .collect();
        Ok(AuditPage { entries, next })
    }

    /// Deletes rows older than `days` days (housekeeping); how many. With `webhooks` on, rows
    /// not yet delivered are kept whatever their age: they are the events a receiver that was
    /// down for longer than the retention has yet to get.
    pub async fn prune_audit(&self, days: u32, webhooks: bool) -> Result<usize, AuthError> {
        let before = now() - chrono::TimeDelta::days(i64::from(days));
        let mut pooled = self.db.get().await?;
        let mut conn = pooled.conn();
        let keep_after = match webhooks {
            true => WebhookRepo::cursor(&mut conn).await?.map(|c| c.delivered_through),
            false => None,
        };
        Ok(AuditRepo::prune(&mut conn, before, keep_after).await?)
    }
}

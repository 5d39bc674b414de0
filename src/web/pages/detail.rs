//! One item: preview or player, metadata, transcript, share link, delete.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::gallery::ConfirmDeletePage;
use super::signin::see_other;
use crate::app::App;
use crate::auth::session;
use crate::media::{MediaKind, MediaRead};
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::{self, Layout};

/// Share-link lifetimes offered, in seconds (5 minutes to the S3 maximum of 7 days).
const EXPIRIES: [(u64, &str); 5] =
    [(300, "5 minutes"), (3600, "1 hour"), (86_400, "1 day"), (259_200, "3 days"), (604_800, "7 days")];

#[derive(Template)]
#[template(path = "detail.html")]
struct DetailPage {
    layout: Layout,
    kind: &'static str,
    filename: String,
    self_url: String,
    media_url: String,
    download_url: String,
    duration_ms: i64,
    wave_path: Option<String>,
    wave_box: String,
    facts: Vec<(&'static str, String)>,
    transcript: String,
    can_manage: bool,
    expiries: Vec<(u64, &'static str)>,
    chosen_expiry: u64,
    share_link: Option<String>,
    share_expires: String,
}

fn parse_kind(kind: &str) -> Result<MediaKind, WebError> {
    match kind {
        "image" => Ok(MediaKind::Image),
        "audio" => Ok(MediaKind::Audio),
        _ => Err(WebError::NotFound),
    }
}

async fn render(
    app: &App,
    user: &CurrentUser,
    kind: MediaKind,
    id: i64,
    share: Option<(u64, String, String)>,
) -> Result<HttpResponse, WebError> {
    let actor = user.actor();
    let media = app.media.get(&actor, kind, id).await?;
    let media_url = app.media.signed_url(&actor, kind, id, None, false).await?.url;
    let download_url = app.media.signed_url(&actor, kind, id, None, true).await?.url;
    let owner_id = match &media {
        MediaRead::Image(i) => i.owner_id,
        MediaRead::Audio(a) => a.owner_id,
    };
    let owner = match owner_id {
        None => "System".to_owned(),
        Some(oid) => {
            app.accounts.by_id(oid).await.map(|a| a.username).unwrap_or_else(|_| format!("user {oid}"))
        }
    };
    let wave_path = match &media {
        MediaRead::Audio(a) => {
            a.peaks.as_deref().map(|p| crate::media::waveform::svg_path(p, crate::media::waveform::BINS))
        }
        MediaRead::Image(_) => None,
    };
    let (facts, transcript, duration_ms) = match &media {
        MediaRead::Image(i) => (
            vec![
                ("Type", i.content_type.clone()),
                ("Dimensions", format!("{} × {} px", i.width, i.height)),
                ("Size", view::human_size(i.byte_size)),
                ("Owner", owner),
                ("Uploaded", format!("{} UTC", view::date(i.created_at))),
                ("SHA-256", i.sha256.clone()),
            ],
            String::new(),
            0,
        ),
        MediaRead::Audio(a) => (
            vec![
                ("Type", format!("{} ({})", a.content_type, a.codec)),
                ("Duration", view::duration(a.duration_ms)),
                ("Bitrate", format!("{} kbit/s", (a.bitrate + 500) / 1000)),
                ("Sample rate", format!("{} Hz", a.sample_rate)),
                (
                    "Channels",
                    match a.channels {
                        1 => "mono".to_owned(),
                        2 => "stereo".to_owned(),
                        n => n.to_string(),
                    },
                ),
                ("Size", view::human_size(a.byte_size)),
                ("Owner", owner),
                ("Uploaded", format!("{} UTC", view::date(a.created_at))),
                ("SHA-256", a.sha256.clone()),
            ],
            a.transcript.clone().unwrap_or_default(),
            a.duration_ms,
        ),
    };
    let (chosen_expiry, share_link, share_expires) = match share {
        Some((secs, url, until)) => (secs, Some(url), until),
        None => (86_400, None, String::new()),
    };
    let body = DetailPage {
        layout: Layout::new(&user.session, Some(&user.account), "gallery"),
        kind: kind.as_str(),
        filename: media.filename().to_owned(),
        self_url: format!("/media/{}/{id}", kind.as_str()),
        media_url,
        download_url,
        duration_ms,
        wave_path,
        wave_box: crate::media::waveform::svg_view_box(crate::media::waveform::BINS),
        facts,
        transcript,
        can_manage: actor.can_manage(owner_id),
        expiries: EXPIRIES.to_vec(),
        chosen_expiry,
        share_link,
        share_expires,
    }
    .render()?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

pub async fn show(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, WebError> {
    let (kind, id) = path.into_inner();
    render(&app, &user, parse_kind(&kind)?, id, None).await
}

#[derive(Deserialize)]
pub struct TranscriptForm {
    csrf_token: String,
    transcript: String,
}

pub async fn transcript(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    form: web::Form<TranscriptForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let (kind, id) = path.into_inner();
    if parse_kind(&kind)? != MediaKind::Audio {
        return Err(WebError::NotFound);
    }
    app.media.update_transcript(&user.actor(), id, &form.transcript).await?;
    session::flash(&user.session, "ok", "Transcript saved.");
    Ok(see_other(&format!("/media/audio/{id}")))
}

#[derive(Deserialize)]
pub struct ShareForm {
    csrf_token: String,
    expiry: u64,
}

pub async fn share(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    form: web::Form<ShareForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let (kind, id) = path.into_inner();
    let kind = parse_kind(&kind)?;
    let secs = EXPIRIES
        .iter()
        .map(|e| e.0)
        .find(|s| *s == form.expiry)
        .ok_or_else(|| WebError::BadRequest("Choose one of the offered lifetimes.".into()))?;
    let signed =
        app.media.signed_url(&user.actor(), kind, id, Some(Duration::from_secs(secs)), false).await?;
    let url = app.web.absolute_url(&signed.url);
    render(&app, &user, kind, id, Some((secs, url, view::date(signed.expires_at)))).await
}

pub async fn confirm_delete(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, WebError> {
    let (kind_s, id) = path.into_inner();
    let kind = parse_kind(&kind_s)?;
    let actor = user.actor();
    let media = app.media.get(&actor, kind, id).await?;
    let owner_id = match &media {
        MediaRead::Image(i) => i.owner_id,
        MediaRead::Audio(a) => a.owner_id,
    };
    actor.check_manage(owner_id)?;
    let body = ConfirmDeletePage {
        layout: Layout::new(&user.session, Some(&user.account), "gallery"),
        items: vec![(format!("{kind_s}:{id}"), media.filename().to_owned())],
        action: format!("/media/{kind_s}/{id}/delete"),
        cancel_url: format!("/media/{kind_s}/{id}"),
    }
    .render()?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    csrf_token: String,
}

pub async fn delete(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let (kind, id) = path.into_inner();
    let kind = parse_kind(&kind)?;
    let media = app.media.get(&user.actor(), kind, id).await?;
    app.media.delete(&user.actor(), kind, id).await?;
    session::flash(&user.session, "ok", format!("Deleted {}.", media.filename()));
    Ok(see_other("/media"))
}

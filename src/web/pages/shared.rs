//! `/s/{token}`: a share link's public page, for anyone holding the link and nobody signed in.
//! No admin chrome, no referrer sent on, not for search engines. The page's image or audio and
//! the download go through `/s/{token}/file` and `/s/{token}/download`, which check the link
//! again on every request and answer with a signed URL living at most 60 s: a revoked link
//! stops serving bytes within that minute, wherever the bytes are stored.
//!
//! A password-protected link asks for its password once per browser: the right one sets a
//! cookie scoped to the link's own path, signed with the session key and expiring with the
//! link (at most 12 hours).

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use askama::Template;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::app::App;
use crate::media::file::waveform;
use crate::media::{MediaError, MediaRead, Opened, ShareFile, Unlock};
use crate::web::WebSettings;
use crate::web::error::WebError;
use crate::web::view::{Moment, PreviewPlaceholder};

const UNLOCK_COOKIE: &str = "mediadesk_share";
/// The longest a password, once given, opens the link in that browser.
const UNLOCK_SECS: i64 = 12 * 3600;

#[derive(Template)]
#[template(path = "shared.html")]
struct SharedPage {
    token: String,
    asset_version: &'static str,
    /// Asking for the password: the message after a wrong one.
    password: Option<Option<String>>,
    kind: &'static str,
    name: String,
    alt: String,
    placeholder: Option<PreviewPlaceholder>,
    /// The link's own address, absolute, for the preview a chat or mail app unfurls from it.
    link_url: String,
    /// An image's size as the page shows it (and `/file` gives it).
    picture_size: Option<(u32, u32)>,
    caption: Option<String>,
    credit: Option<String>,
    note: Option<String>,
    duration_ms: i64,
    wave_path: Option<String>,
    wave_box: String,
    /// The matched-loudness gain, dB (empty: not measured).
    gain_db: String,
    /// The bytes end up on another origin (S3), which Web Audio may not read.
    elsewhere: bool,
    /// Audio's regions, listed under the player.
    regions: Vec<crate::web::sound::RegionView>,
    allow_download: bool,
    /// The size of the screen-size copy offered as a download too, when there is one.
    sized_download: Option<(u32, u32)>,
    expires: Option<Moment>,
}

#[derive(Template)]
#[template(path = "shared_gone.html")]
struct GonePage {
    asset_version: &'static str,
}

#[derive(Deserialize)]
pub struct UnlockForm {
    password: String,
}

/// Private headers of every answer under `/s/`.
fn private(mut b: HttpResponseBuilder) -> HttpResponseBuilder {
    b.insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header(("X-Robots-Tag", "noindex, nofollow"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    b
}

/// The one answer for unknown, expired and revoked links alike.
fn gone() -> Result<HttpResponse, WebError> {
    let body = GonePage { asset_version: crate::web::view::ASSET_VERSION }.render()?;
    Ok(private(HttpResponse::NotFound()).content_type("text/html; charset=utf-8").body(body))
}

fn keyed(settings: &WebSettings, token: &str, expires: i64) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(settings.session_key.signing())
        .expect("HMAC takes keys of any length");
    mac.update(b"share-unlock\0");
    mac.update(token.as_bytes());
    mac.update(b"\0");
    mac.update(expires.to_string().as_bytes());
    mac
}

fn unlocked(req: &HttpRequest, settings: &WebSettings, token: &str) -> bool {
    let Some(cookie) = req.cookie(UNLOCK_COOKIE) else { return false };
    let Some((expires, sig)) = cookie.value().split_once('.') else { return false };
    let (Ok(expires), Ok(sig)) = (expires.parse::<i64>(), hex::decode(sig)) else { return false };
    expires > chrono::Utc::now().timestamp() && keyed(settings, token, expires).verify_slice(&sig).is_ok()
}

fn unlock_cookie(
    settings: &WebSettings,
    token: &str,
    until: Option<chrono::NaiveDateTime>,
) -> Cookie<'static> {
    let now = chrono::Utc::now().timestamp();
    let expires = until.map_or(now + UNLOCK_SECS, |u| u.and_utc().timestamp().min(now + UNLOCK_SECS));
    let sig = hex::encode(keyed(settings, token, expires).finalize().into_bytes());
    Cookie::build(UNLOCK_COOKIE, format!("{expires}.{sig}"))
        .path(format!("/s/{token}"))
        .http_only(true)
        .secure(settings.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(expires - now))
        .finish()
}

/// `NotFound` becomes the uniform page; other failures (a database down) the error page.
fn or_gone(e: MediaError) -> Result<HttpResponse, WebError> {
    match e {
        MediaError::NotFound => gone(),
        other => Err(other.into()),
    }
}

pub async fn show(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let token = token.into_inner();
    let open = unlocked(&req, &settings, &token);
    match app.media.open_share(&token, open).await {
        Ok(Opened::Locked) => page(token, Some(None), StatusCode::OK),
        Ok(Opened::Open(shared)) => {
            let media = shared.media;
            let d = media.description();
            let body = SharedPage {
                placeholder: PreviewPlaceholder::of(&media, shared.shown_size),
                link_url: settings.absolute_url(&format!("/s/{token}")),
                picture_size: shared.shown_size,
                kind: media.kind().as_str(),
                name: media.display_name().to_owned(),
                alt: d
                    .alt_text
                    .clone()
                    .or_else(|| d.title.clone())
                    .unwrap_or_else(|| media.filename().to_owned()),
                caption: d.caption.clone(),
                credit: d.credit.clone(),
                note: shared.note,
                duration_ms: match &media {
                    MediaRead::Audio(a) => a.duration_ms,
                    MediaRead::Image(_) => 0,
                },
                wave_path: match &media {
                    MediaRead::Audio(a) => a.peaks.as_deref().map(|p| waveform::svg_path(p, waveform::BINS)),
                    MediaRead::Image(_) => None,
                },
                wave_box: waveform::svg_view_box(waveform::BINS),
                gain_db: match &media {
                    MediaRead::Audio(a) => crate::web::sound::gain_attr(&a.health),
                    MediaRead::Image(_) => String::new(),
                },
                elsewhere: !settings.media_origins.is_empty(),
                regions: match &media {
                    MediaRead::Audio(a) => crate::web::sound::region_views(&shared.regions, a.duration_ms),
                    MediaRead::Image(_) => Vec::new(),
                },
                allow_download: shared.allow_download,
                sized_download: shared.shown_size.filter(|_| shared.reduced && shared.allow_download),
                expires: shared.expires_at.map(Moment),
                token,
                asset_version: crate::web::view::ASSET_VERSION,
                password: None,
            }
            .render()?;
            Ok(private(HttpResponse::Ok()).content_type("text/html; charset=utf-8").body(body))
        }
        Err(e) => or_gone(e),
    }
}

fn page(
    token: String,
    password: Option<Option<String>>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let body = SharedPage {
        token,
        asset_version: crate::web::view::ASSET_VERSION,
        password,
        kind: "",
        name: String::new(),
        alt: String::new(),
        placeholder: None,
        link_url: String::new(),
        picture_size: None,
        caption: None,
        credit: None,
        note: None,
        duration_ms: 0,
        wave_path: None,
        wave_box: String::new(),
        gain_db: String::new(),
        elsewhere: false,
        regions: Vec::new(),
        allow_download: false,
        sized_download: None,
        expires: None,
    }
    .render()?;
    Ok(private(HttpResponse::build(status)).content_type("text/html; charset=utf-8").body(body))
}

/// The password form's post: the right password opens the link in this browser.
pub async fn unlock(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    req: HttpRequest,
    token: web::Path<String>,
    form: web::Form<UnlockForm>,
) -> Result<HttpResponse, WebError> {
    let token = token.into_inner();
    let client = crate::web::context::client_ip(&req, settings.trust_forwarded);
    let gate = match app.media.share_gate(&token).await {
        Ok(g) => g,
        Err(e) => return or_gone(e),
    };
    match app.media.unlock_share(&token, &form.password, &client).await {
        Ok(Ok(())) => {
            let cookie = unlock_cookie(&settings, &token, gate.expires_at);
            Ok(private(HttpResponse::SeeOther())
                .cookie(cookie)
                .insert_header((header::LOCATION, format!("/s/{token}")))
                .finish())
        }
        Ok(Err(Unlock::Wrong)) => {
            page(token, Some(Some("That is not the password. Try again.".into())), StatusCode::UNAUTHORIZED)
        }
        Ok(Err(Unlock::Throttled { minutes })) => page(
            token,
            Some(Some(format!("Too many wrong passwords. Try again in {minutes} minutes."))),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(e) => or_gone(e),
    }
}

async fn redirect(
    app: &App,
    settings: &WebSettings,
    req: &HttpRequest,
    token: &str,
    what: ShareFile,
) -> Result<HttpResponse, WebError> {
    match app.media.share_url(token, what, unlocked(req, settings, token)).await {
        Ok(Opened::Locked) => gone(),
        Ok(Opened::Open(signed)) => Ok(private(HttpResponse::SeeOther())
            .insert_header((header::LOCATION, settings.absolute_url(&signed.url)))
            .finish()),
        Err(e) => or_gone(e),
    }
}

/// The image or audio the page shows, through a fresh short-lived URL.
pub async fn file(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    redirect(&app, &settings, &req, &token, ShareFile::Shown).await
}

/// The original as a download, when the link allows it.
pub async fn download(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    redirect(&app, &settings, &req, &token, ShareFile::Original).await
}

/// A large image's screen-size copy as a download, when the link allows downloads.
pub async fn download_sized(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    redirect(&app, &settings, &req, &token, ShareFile::Sized).await
}

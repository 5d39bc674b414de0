//! Resumable uploads over tus 1.0.0 (<https://tus.io/protocols/resumable-upload>), with the
//! `creation`, `termination`, `checksum` and `expiration` extensions, behind the session cookie
//! and the CSRF token (as `X-CSRF-Token`). Errors are JSON `{code, message}`, as for the
//! script uploader.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue, LOCATION};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::app::App;
use crate::media::{Piece, PieceChecksum, Resumable, Upload};
use crate::web::WebSettings;
use crate::web::api::cors;
use crate::web::error::WebError;
use crate::web::extract::{CurrentUser, Uploader};

const VERSION: &str = "1.0.0";
const EXTENSIONS: &str = "creation,termination,checksum,expiration";
const ALGORITHMS: &str = "sha1,sha256";
/// The content type every piece is sent as.
const PIECE_TYPE: &str = "application/offset+octet-stream";

/// Adds the header every tus response carries, error or not.
fn tus(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(HeaderName::from_static("tus-resumable"), HeaderValue::from_static(VERSION));
    res
}

fn answer(result: Result<HttpResponse, WebError>) -> HttpResponse {
    tus(result.unwrap_or_else(|e| e.error_response()))
}

fn protocol(status: StatusCode, message: &str) -> WebError {
    WebError::Protocol { status: status.as_u16(), message: message.to_owned() }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// The signed-in account of a request that speaks this version of tus.
async fn caller(req: &HttpRequest, changes: bool) -> Result<CurrentUser, WebError> {
    if header(req.headers(), "tus-resumable") != Some(VERSION) {
        return Err(protocol(
            StatusCode::PRECONDITION_FAILED,
            "this server speaks tus 1.0.0 (send Tus-Resumable: 1.0.0)",
        ));
    }
    let Uploader(user) = Uploader::from_request(req, &mut actix_web::dev::Payload::None).await?;
    if changes {
        user.check_csrf(header(req.headers(), "x-csrf-token").unwrap_or(""))?;
    }
    Ok(user)
}

fn offset_of(headers: &HeaderMap, name: &str) -> Result<u64, WebError> {
    header(headers, name)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| protocol(StatusCode::BAD_REQUEST, &format!("{name} must be a number of bytes")))
}

/// `Upload-Metadata`: comma-separated `key base64(value)` pairs.
fn metadata(headers: &HeaderMap) -> Result<Vec<(String, String)>, WebError> {
    let Some(raw) = header(headers, "upload-metadata") else { return Ok(Vec::new()) };
    let bad = || protocol(StatusCode::BAD_REQUEST, "Upload-Metadata must be key/base64 pairs");
    raw.split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| {
            let mut parts = pair.trim().splitn(2, ' ');
            let key = parts.next().unwrap_or("").to_owned();
            let value = match parts.next() {
                Some(v) => BASE64.decode(v.trim()).map_err(|_| bad())?,
                None => Vec::new(),
            };
            Ok((key, String::from_utf8(value).map_err(|_| bad())?))
        })
        .collect()
}

fn checksum(headers: &HeaderMap) -> Result<Option<PieceChecksum>, WebError> {
    let Some(raw) = header(headers, "upload-checksum") else { return Ok(None) };
    let (algorithm, digest) = raw.split_once(' ').unwrap_or((raw, ""));
    let digest = BASE64.decode(digest.trim()).map_err(|_| {
        protocol(StatusCode::BAD_REQUEST, "Upload-Checksum must be an algorithm and a base64 digest")
    })?;
    match algorithm {
        "sha1" => Ok(Some(PieceChecksum::Sha1(digest))),
        "sha256" => Ok(Some(PieceChecksum::Sha256(digest))),
        _ => Err(protocol(StatusCode::BAD_REQUEST, "Upload-Checksum: this server checks sha1 and sha256")),
    }
}

fn http_date(at: chrono::NaiveDateTime) -> String {
    let secs = at.and_utc().timestamp().max(0) as u64;
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

fn with_status(mut res: actix_web::HttpResponseBuilder, upload: &Resumable) -> HttpResponse {
    res.insert_header(("Upload-Offset", upload.offset.to_string()))
        .insert_header(("Upload-Expires", http_date(upload.expires_at)))
        .finish()
}

/// `OPTIONS`: what this server speaks; no session needed. From a listed site's page it is
/// also the browser's preflight (see `api/cors.rs`).
pub async fn options(
    req: HttpRequest,
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
) -> HttpResponse {
    let mut answer = HttpResponse::NoContent()
        .insert_header(("Tus-Version", VERSION))
        .insert_header(("Tus-Extension", EXTENSIONS))
        .insert_header(("Tus-Checksum-Algorithm", ALGORITHMS))
        .insert_header(("Tus-Max-Size", app.media.settings().max_upload_bytes.to_string()))
        .finish();
    cors::tus_preflight(&req, &settings, &mut answer);
    tus(answer)
}

/// `POST`: creates an upload of `Upload-Length` bytes; `Upload-Metadata` may name the file
/// (`filename`), its type (`filetype`) and its owner (`owner`: `system` or an account id), and
/// ask that an exact duplicate be refused when the last piece is in (`duplicates`: `refuse`).
pub async fn create(req: HttpRequest, app: web::Data<App>) -> HttpResponse {
    answer(
        async {
            let user = caller(&req, true).await?;
            if header(req.headers(), "upload-defer-length").is_some() {
                return Err(protocol(
                    StatusCode::BAD_REQUEST,
                    "the upload's length must be known when it starts",
                ));
            }
            let length = offset_of(req.headers(), "Upload-Length")?;
            let meta = metadata(req.headers())?;
            let value =
                |keys: &[&str]| meta.iter().find(|(k, _)| keys.contains(&k.as_str())).map(|(_, v)| v.clone());
            let owner = super::upload::parse_owner(&value(&["owner"]).unwrap_or_default(), &user)?;
            let filename =
                crate::media::filename::from_multipart(&value(&["filename", "name"]).unwrap_or_default());
            let upload = Upload {
                declared_type: value(&["filetype", "type"]),
                announced_size: Some(length),
                // The script uploader's choice, as on its form uploads; other clients keep copies.
                refuse_duplicates: value(&["duplicates"]).as_deref() == Some("refuse"),
                ..Upload::new(owner, filename)
            };
            let created = app.media.begin_resumable(&user.actor(), &upload).await?;
            Ok(HttpResponse::Created()
                .insert_header((LOCATION, format!("/uploads/tus/{}", created.id)))
                .insert_header(("Upload-Expires", http_date(created.expires_at)))
                .finish())
        }
        .await,
    )
}

/// `HEAD`: where the upload stands.
pub async fn status(req: HttpRequest, app: web::Data<App>, id: web::Path<String>) -> HttpResponse {
    answer(
        async {
            let user = caller(&req, false).await?;
            let upload = app.media.resumable(&user.actor(), &id).await?;
            let mut res = HttpResponse::Ok();
            res.insert_header(("Upload-Length", upload.length.to_string()));
            Ok(with_status(res, &upload))
        }
        .await,
    )
}

/// `PATCH`: the piece that starts at `Upload-Offset`. The last one answers with the new item's
/// page in `Mediadesk-Media`.
pub async fn append(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let headers = req.headers();
    let checked = async {
        let user = caller(&req, true).await?;
        if header(headers, "content-type") != Some(PIECE_TYPE) {
            return Err(protocol(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "a piece is sent as application/offset+octet-stream",
            ));
        }
        let len = header(headers, "content-length").and_then(|v| v.parse().ok());
        Ok((user, Piece { offset: offset_of(headers, "Upload-Offset")?, len, checksum: checksum(headers)? }))
    }
    .await;
    let (user, piece) = match checked {
        Ok(c) => c,
        Err(e) => return answer(Err(e)),
    };
    let (body, pump) = crate::web::relay::relay(payload);
    let actor = user.actor();
    let appended = app.media.append_resumable(&actor, &id, piece, body);
    let (appended, ()) = futures_util::join!(appended, pump);
    answer(appended.map_err(WebError::from).map(|done| {
        let mut res = HttpResponse::NoContent();
        if let Some(media) = &done.media {
            res.insert_header(("Mediadesk-Media", format!("/media/{}/{}", media.kind(), media.id())));
        }
        with_status(res, &done.upload)
    }))
}

/// `DELETE`: gives the upload up; its parts are removed.
pub async fn terminate(req: HttpRequest, app: web::Data<App>, id: web::Path<String>) -> HttpResponse {
    answer(
        async {
            let user = caller(&req, true).await?;
            app.media.cancel_resumable(&user.actor(), &id).await?;
            Ok(HttpResponse::NoContent().finish())
        }
        .await,
    )
}

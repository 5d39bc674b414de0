//! `/files/{key}`: objects of the local-folder store behind app-signed, expiring links, with
//! HTTP range support so audio can seek.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::app::App;
use crate::http_text::content_disposition;
use crate::media::ByteRange;
use crate::web::error::WebError;

#[derive(Deserialize)]
pub struct SignedQuery {
    exp: i64,
    sig: String,
    name: Option<String>,
}

/// One `bytes=` range; several ranges or anything odd means "send it all", which RFC 9110 allows.
pub fn parse_range(value: &str) -> Option<ByteRange> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    match (start.trim(), end.trim()) {
        ("", n) => n.parse().ok().filter(|n| *n > 0).map(ByteRange::Suffix),
        (s, "") => s.parse().ok().map(ByteRange::From),
        (s, e) => {
            let (s, e): (u64, u64) = (s.parse().ok()?, e.parse().ok()?);
            (s <= e).then_some(ByteRange::FromTo(s, e))
        }
    }
}

pub async fn serve(
    app: web::Data<App>,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<SignedQuery>,
) -> Result<HttpResponse, WebError> {
    let range = req.headers().get(header::RANGE).and_then(|v| v.to_str().ok()).and_then(parse_range);
    let opened = app.media.open_signed(&path, q.exp, q.name.as_deref(), &q.sig, range).await?;
    let object = opened.object;
    let mut resp = match object.range {
        Some((start, end)) => {
            let mut r = HttpResponse::PartialContent();
            r.insert_header((header::CONTENT_RANGE, format!("bytes {start}-{end}/{}", object.total_size)));
            r
        }
        None => HttpResponse::Ok(),
    };
    // Browsers may cache until the link expires, but never longer than an hour.
    let max_age = (q.exp - chrono::Utc::now().timestamp()).clamp(0, 3600);
    resp.insert_header((header::CONTENT_TYPE, opened.content_type))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, format!("private, max-age={max_age}")))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .no_chunking(object.content_length);
    if let Some(name) = &opened.download_name {
        resp.insert_header((header::CONTENT_DISPOSITION, content_disposition(name)));
    }
    Ok(resp.streaming(object.body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_like_rfc_9110() {
        assert_eq!(parse_range("bytes=0-99"), Some(ByteRange::FromTo(0, 99)));
        assert_eq!(parse_range("bytes=100-"), Some(ByteRange::From(100)));
        assert_eq!(parse_range("bytes=-10"), Some(ByteRange::Suffix(10)));
        assert_eq!(parse_range("bytes=5-1"), None);
        assert_eq!(parse_range("bytes=0-1,5-6"), None);
        assert_eq!(parse_range("items=0-1"), None);
        assert_eq!(parse_range("bytes=-0"), None);
    }
}

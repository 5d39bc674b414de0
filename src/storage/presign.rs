//! AWS Signature V4 query-string signing for S3 GETs, done here rather than through the SDK.
//!
//! A gallery page presigns fifty URLs. The SDK runs each through its whole request pipeline
//! (endpoint resolution, interceptors, a dozen allocations per header); that was most of a page's
//! cost on S3. This is the same algorithm in a few hashes: the signing key is derived once per
//! day and kept, the rest is one SHA-256 and one HMAC per URL. The S3 test server checks every
//! signature these produce, and a unit test pins them to the SDK's own output.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// S3's longest presigned lifetime.
pub const MAX_EXPIRES_SECS: u64 = 7 * 24 * 3600;

/// Where presigned URLs point and whose keys sign them.
pub struct Presigner {
    /// `http` or `https`.
    scheme: String,
    /// `host[:port]` as browsers will send it in `Host`.
    host: String,
    /// Path-style addressing puts the bucket in the path; otherwise it is in `host`.
    path_prefix: String,
    region: String,
    access_key: String,
    secret_key: String,
    /// The last day used (yyyymmdd) and its signing key, as an HMAC already keyed with it:
    /// cloning that state skips hashing the key's two pads for every URL.
    day_key: Mutex<Option<(String, HmacSha256)>>,
    /// The last issue time and lifetime signed for, and what they share.
    stamp: Mutex<Option<Arc<Stamp>>>,
}

/// What to presign.
pub struct PresignRequest<'a> {
    pub key: &'a str,
    pub issued_at: DateTime<Utc>,
    pub expires_secs: u64,
    pub content_type: Option<&'a str>,
    pub content_disposition: Option<&'a str>,
}

impl std::fmt::Debug for Presigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys.
        f.debug_struct("Presigner")
            .field("host", &self.host)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl Presigner {
    /// `endpoint` is `scheme://host[:port]` (`None`: AWS's regional endpoint).
    pub fn new(
        endpoint: Option<&str>,
        bucket: &str,
        path_style: bool,
        region: &str,
        access_key: &str,
        secret_key: &str,
    ) -> Presigner {
        let aws = format!("https://s3.{region}.amazonaws.com");
        let endpoint = endpoint.unwrap_or(&aws).trim_end_matches('/');
        let (scheme, host) = endpoint.split_once("://").unwrap_or(("https", endpoint));
        let (host, path_prefix) = if path_style {
            (host.to_owned(), format!("/{}", uri_encode(bucket, false)))
        } else {
            (format!("{bucket}.{host}"), String::new())
        };
        Presigner {
            scheme: scheme.to_owned(),
            host,
            path_prefix,
            region: region.to_owned(),
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
            day_key: Mutex::new(None),
            stamp: Mutex::new(None),
        }
    }

    /// An HMAC keyed with the `AWS4-HMAC-SHA256` signing key of one day, derived once and
    /// reused.
    fn signing_mac(&self, day: &str) -> HmacSha256 {
        let mut cached = self.day_key.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((d, mac)) = cached.as_ref()
            && d == day
        {
            return mac.clone();
        }
        let mut key = hmac(format!("AWS4{}", self.secret_key).as_bytes(), day.as_bytes());
        for part in [self.region.as_bytes(), b"s3", b"aws4_request"] {
            key = hmac(&key, part);
        }
        let mac = HmacSha256::new_from_slice(&key).expect("HMAC takes keys of any length");
        *cached = Some((day.to_owned(), mac.clone()));
        mac
    }

    /// What every URL signed at `issued_at` for `expires_secs` shares; the last one is kept,
    /// as a page signs all of its URLs with one issue time.
    fn stamp(&self, issued_at: DateTime<Utc>, expires_secs: u64) -> Arc<Stamp> {
        let at = issued_at.timestamp();
        let mut kept = self.stamp.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = kept.as_ref()
            && s.at == at
            && s.expires_secs == expires_secs
        {
            return Arc::clone(s);
        }
        let amz_date = issued_at.format("%Y%m%dT%H%M%SZ").to_string();
        let day = &amz_date[..8];
        let scope = format!("{day}/{}/s3/aws4_request", self.region);
        // Sorted by name, as the canonical form requires (upper case sorts before lower).
        let query_head = format!(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}&X-Amz-Date={amz_date}\
             &X-Amz-Expires={}&X-Amz-SignedHeaders=host",
            uri_encode(&format!("{}/{scope}", self.access_key), true),
            expires_secs.min(MAX_EXPIRES_SECS),
        );
        let stamp = Arc::new(Stamp {
            at,
            expires_secs,
            mac: self.signing_mac(day),
            to_sign_head: format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n"),
            query_head,
        });
        *kept = Some(Arc::clone(&stamp));
        stamp
    }

    /// A presigned GET URL. Written straight into the URL, the canonical request hashed in
    /// pieces: formatting each part on its own was most of a URL's cost, not the hashing.
    pub fn presign_get(&self, req: &PresignRequest<'_>) -> String {
        let stamp = self.stamp(req.issued_at, req.expires_secs);
        let mut url =
            String::with_capacity(320 + req.key.len() + req.content_disposition.map_or(0, str::len));
        url.push_str(&self.scheme);
        url.push_str("://");
        url.push_str(&self.host);
        let path_at = url.len();
        url.push_str(&self.path_prefix);
        url.push('/');
        uri_encode_into(&mut url, req.key, false);
        let query_at = url.len() + 1;
        url.push('?');
        url.push_str(&stamp.query_head);
        if let Some(d) = req.content_disposition {
            url.push_str("&response-content-disposition=");
            uri_encode_into(&mut url, d, true);
        }
        if let Some(t) = req.content_type {
            url.push_str("&response-content-type=");
            uri_encode_into(&mut url, t, true);
        }
        url.push_str("&x-id=GetObject");
        let mut canonical = Sha256::new();
        for part in [
            "GET\n",
            &url[path_at..query_at - 1],
            "\n",
            &url[query_at..],
            "\nhost:",
            &self.host,
            "\n\nhost\nUNSIGNED-PAYLOAD",
        ] {
            canonical.update(part.as_bytes());
        }
        let mut mac = stamp.mac.clone();
        mac.update(stamp.to_sign_head.as_bytes());
        mac.update(&hex_digits(&canonical.finalize().into()));
        url.push_str("&X-Amz-Signature=");
        url.push_str(
            std::str::from_utf8(&hex_digits(&mac.finalize().into_bytes().into())).expect("hex is ASCII"),
        );
        url
    }
}

/// The parts of a URL's signing that depend only on when it was issued and how long it lives.
struct Stamp {
    at: i64,
    expires_secs: u64,
    /// Keyed with that day's signing key.
    mac: HmacSha256,
    /// The string to sign up to the canonical request's hash.
    to_sign_head: String,
    /// The query's first parameters, up to the signed headers.
    query_head: String,
}

/// A SHA-256 in lower-case hex.
fn hex_digits(hash: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (i, b) in hash.iter().enumerate() {
        out[2 * i] = b"0123456789abcdef"[usize::from(b >> 4)];
        out[2 * i + 1] = b"0123456789abcdef"[usize::from(b & 15)];
    }
    out
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// SigV4's URI encoding: everything but unreserved characters, and `/` too unless in a path.
fn uri_encode(s: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    uri_encode_into(&mut out, s, encode_slash);
    out
}

fn uri_encode_into(out: &mut String, s: &str, encode_slash: bool) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') || (b == b'/' && !encode_slash)
        {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    use aws_sdk_s3::presigning::PresigningConfig;

    use super::*;

    /// The SDK's URL for the same request, the reference this module must match exactly.
    async fn sdk_url(
        endpoint: Option<&str>,
        path_style: bool,
        key: &str,
        at: u64,
        ct: &str,
        cd: Option<&str>,
    ) -> String {
        let mut config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-3"))
            .credentials_provider(Credentials::new(
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                None,
                None,
                "t",
            ))
            .force_path_style(path_style);
        if let Some(e) = endpoint {
            config = config.endpoint_url(e);
        }
        let client = aws_sdk_s3::Client::from_conf(config.build());
        let presigning = PresigningConfig::builder()
            .start_time(UNIX_EPOCH + Duration::from_secs(at))
            .expires_in(Duration::from_secs(7200))
            .build()
            .unwrap();
        client
            .get_object()
            .bucket("media-bucket")
            .key(key)
            .response_content_type(ct)
            .set_response_content_disposition(cd.map(str::to_owned))
            .presigned(presigning)
            .await
            .unwrap()
            .uri()
            .to_string()
    }

    fn sorted(url: &str) -> (String, Vec<String>) {
        let (base, query) = url.split_once('?').unwrap();
        let mut params: Vec<String> = query.split('&').map(str::to_owned).collect();
        params.sort();
        (base.to_owned(), params)
    }

    #[tokio::test]
    async fn urls_match_the_sdk_signature_for_signature() {
        let at = 1_795_521_600;
        let disposition = "attachment; filename=\"a b.mp3\"; filename*=UTF-8''a%20b%C3%A9.mp3";
        for (endpoint, path_style) in [
            (Some("http://127.0.0.1:9000"), true),
            (Some("https://s3.example.com"), false),
            (None, false),
            (None, true),
        ] {
            for (key, cd) in [("system/abc.thumb.jpg", None), ("u12/f00.mp3", Some(disposition))] {
                let ours = Presigner::new(
                    endpoint,
                    "media-bucket",
                    path_style,
                    "eu-west-3",
                    "AKIDEXAMPLE",
                    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                )
                .presign_get(&PresignRequest {
                    key,
                    issued_at: DateTime::from_timestamp(at as i64, 0).unwrap(),
                    expires_secs: 7200,
                    content_type: Some("image/jpeg"),
                    content_disposition: cd,
                });
                let theirs = sdk_url(endpoint, path_style, key, at, "image/jpeg", cd).await;
                assert_eq!(sorted(&ours), sorted(&theirs), "{endpoint:?} path-style {path_style} {key}");
            }
        }
    }

    #[tokio::test]
    async fn one_signer_keeps_up_with_changing_times_and_days() {
        let endpoint = Some("http://127.0.0.1:9000");
        let signer = Presigner::new(
            endpoint,
            "media-bucket",
            true,
            "eu-west-3",
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        );
        let at = 1_795_521_600;
        // The same time twice (kept), an hour later, the next day, and back.
        for t in [at, at, at + 3600, at + 86_400, at] {
            let ours = signer.presign_get(&PresignRequest {
                key: "system/abc.thumb.jpg",
                issued_at: DateTime::from_timestamp(t as i64, 0).unwrap(),
                expires_secs: 7200,
                content_type: Some("image/jpeg"),
                content_disposition: None,
            });
            let theirs = sdk_url(endpoint, true, "system/abc.thumb.jpg", t, "image/jpeg", None).await;
            assert_eq!(sorted(&ours), sorted(&theirs), "issued at {t}");
        }
    }
}

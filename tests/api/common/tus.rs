//! A small tus 1.0 client over a signed-in [`TestClient`]: the protocol spelled out request by
//! request, so tests can stop, cut and resume an upload wherever they like.

use base64::Engine;
use bytes::Bytes;
use reqwest::Method;
use sha2::Digest;

use super::server::{Page, TestClient};

pub struct Tus<'a> {
    pub c: &'a TestClient,
    /// The session's CSRF token, as the upload page's `<meta name="csrf-token">` gives it.
    pub token: String,
}

/// `sha256 <base64 digest>` of `bytes`, as `Upload-Checksum` carries it.
pub fn sha256_header(bytes: &[u8]) -> String {
    format!("sha256 {}", base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes)))
}

impl<'a> Tus<'a> {
    pub async fn new(c: &'a TestClient) -> Tus<'a> {
        let page = c.get("/upload").await;
        let token = page
            .body
            .split(r#"<meta name="csrf-token" content=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the upload page names its CSRF token in a meta tag")
            .to_owned();
        Tus { c, token }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.c
            .http
            .request(method, self.c.url(path))
            .header("Tus-Resumable", "1.0.0")
            .header("X-CSRF-Token", &self.token)
    }

    pub async fn send(request: reqwest::RequestBuilder) -> Page {
        let resp = request.send().await.expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        Page { status, headers, body: resp.text().await.unwrap_or_default() }
    }

    /// `POST`: a new upload of `length` bytes named `name`; its location, or the refusal.
    pub async fn create(&self, length: u64, name: &str) -> Page {
        self.create_with(length, name, &[]).await
    }

    /// `POST` with more `Upload-Metadata` pairs (values in clear; they are encoded here).
    pub async fn create_with(&self, length: u64, name: &str, more: &[(&str, &str)]) -> Page {
        let b64 = |v: &str| base64::engine::general_purpose::STANDARD.encode(v);
        let mut meta = format!("filename {}", b64(name));
        for (k, v) in more {
            meta.push_str(&format!(",{k} {}", b64(v)));
        }
        Self::send(
            self.request(Method::POST, "/uploads/tus")
                .header("Upload-Length", length.to_string())
                .header("Upload-Metadata", meta),
        )
        .await
    }

    pub async fn patch(&self, location: &str, offset: u64, bytes: &[u8], checksum: Option<String>) -> Page {
        let mut r = self
            .request(Method::PATCH, location)
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(bytes.to_vec());
        if let Some(sum) = checksum {
            r = r.header("Upload-Checksum", sum);
        }
        Self::send(r).await
    }

    /// A `PATCH` whose connection breaks after `sent` of `bytes`: the client is gone, so only
    /// the server's side tells what arrived.
    pub async fn patch_cut(&self, location: &str, offset: u64, bytes: &[u8], sent: usize) {
        let first = Bytes::copy_from_slice(&bytes[..sent]);
        let chunks: Vec<Result<Bytes, std::io::Error>> =
            vec![Ok(first), Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "cable pulled"))];
        let r = self
            .request(Method::PATCH, location)
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)));
        assert!(r.send().await.is_err(), "a cut request gets no answer");
    }

    pub async fn head(&self, location: &str) -> Page {
        Self::send(self.request(Method::HEAD, location)).await
    }

    pub async fn delete(&self, location: &str) -> Page {
        Self::send(self.request(Method::DELETE, location)).await
    }

    /// The upload's offset once the server has settled a cut piece.
    pub async fn offset_after_cut(&self, location: &str, before: u64) -> u64 {
        for _ in 0..200 {
            let head = self.head(location).await;
            assert_eq!(head.status, 200, "{}", head.body);
            let offset: u64 = head.header("upload-offset").parse().unwrap();
            if offset != before {
                return offset;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the server never kept what arrived of the cut piece");
    }

    /// Sends `data` in pieces of `piece` bytes; the last answer.
    pub async fn upload(&self, data: &[u8], name: &str, piece: usize) -> Page {
        let created = self.create(data.len() as u64, name).await;
        assert_eq!(created.status, 201, "{}", created.body);
        let location = created.location().to_owned();
        let mut offset = 0;
        loop {
            let end = (offset + piece).min(data.len());
            let r = self.patch(&location, offset as u64, &data[offset..end], None).await;
            if r.status != 204 || end == data.len() {
                return r;
            }
            offset = end;
        }
    }
}

//! The real app on a real listener (port 0), and an HTTP client that behaves like a browser
//! without JavaScript: it keeps cookies, follows nothing by itself and submits forms with their
//! CSRF token.

use std::net::TcpListener;

use actix_web::cookie::Key;
use mediadesk::App;
use mediadesk::auth::{AccountService, Clock, Role, Scope, Scopes};
use mediadesk::web::WebSettings;
use reqwest::header::{HeaderMap, LOCATION};
use reqwest::multipart;

use super::TestEnv;

pub struct TestServer {
    pub base: String,
    pub env: TestEnv,
    pub app: App,
    /// The clock the server judges sessions by; `advance` it to age them.
    pub clock: Clock,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        // Stop accepting; in-flight requests of a finished test do not matter.
        tokio::spawn(async move { handle.stop(false).await });
    }
}

/// The password every test account gets: `password-{name}`.
/// The bearer token test servers ask of `/metrics` scrapers.
pub const METRICS_TOKEN: &str = "test-metrics-token-0123";

pub fn password_of(name: &str) -> String {
    format!("password-{name}")
}

impl TestEnv {
    /// Starts the app with a smaller upload limit.
    pub async fn start_server_with_limit(mut self, max_upload_bytes: u64) -> TestServer {
        let mut settings = self.settings();
        settings.max_upload_bytes = max_upload_bytes;
        self.media = self.media_with(self.store.clone(), settings);
        self.start_server().await
    }

    /// Starts the whole app (routes, sessions, security headers) over this test's database and store.
    pub async fn start_server(self) -> TestServer {
        self.start_server_configured(|_| {}).await
    }

    /// Starts the app after `adjust` changed its web settings.
    pub async fn start_server_configured(self, adjust: impl FnOnce(&mut WebSettings)) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let media_origins = self.s3.as_ref().map(|(t, _)| vec![t.endpoint.clone()]).unwrap_or_default();
        let app = App {
            db: self.db.clone(),
            store: self.store.clone(),
            media: self.media.clone(),
            accounts: AccountService::new(self.db.clone()),
            worker_pool_size: 2,
        };
        let mut settings = WebSettings {
            session_key: Key::generate(),
            secure_cookies: false,
            trust_forwarded: false,
            media_origins,
            public_url: base.clone(),
            metrics: true,
            metrics_token: Some(METRICS_TOKEN.into()),
            session_limits: Default::default(),
            clock: Clock::default(),
            body_idle: std::time::Duration::from_secs(60),
            resumable_above: 16 * 1024 * 1024,
            piece_bytes: 16 * 1024 * 1024,
            max_anonymous_per_address: 32,
            anonymous: Default::default(),
            token_lookups: Default::default(),
            work: Default::default(),
            webhook_url: None,
            sign_on: None,
            password_sign_in: true,
            api_origins: Vec::new(),
        };
        adjust(&mut settings);
        let clock = settings.clock.clone();
        let server = mediadesk::web::server(
            app.clone(),
            settings,
            listener,
            mediadesk::web::ServerOptions { workers: Some(2), ..Default::default() },
        )
        .expect("server starts");
        let handle = server.handle();
        tokio::spawn(server);
        TestServer { base, env: self, app, clock, handle }
    }
}

impl TestServer {
    /// An access token of `user`'s, named `name`, holding `scopes`, working until revoked.
    pub async fn token(&self, user: i64, scopes: &[Scope], name: &str) -> String {
        let account = self.app.accounts.by_id(user).await.unwrap();
        let scopes = Scopes::of(scopes).unwrap();
        self.app.accounts.create_token(None, &account, name, scopes, None).await.unwrap().secret
    }

    /// Creates an account with the password `password-{name}`.
    pub async fn account(&self, name: &str, role: Role) -> i64 {
        self.app.accounts.create(name, &password_of(name), role).await.expect("account created").id
    }

    pub fn client(&self) -> TestClient {
        TestClient {
            base: self.base.clone(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// A client signed in as a new account.
    pub async fn signed_in(&self, name: &str, role: Role) -> (TestClient, i64) {
        let id = self.account(name, role).await;
        let c = self.client();
        let r = c.sign_in(name, &password_of(name)).await;
        assert_eq!(r.status, 303, "sign-in of {name} failed: {}", r.body);
        (c, id)
    }
}

/// A response read whole.
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The first `csrf_token` on the page.
    pub fn csrf(&self) -> String {
        find_attr(&self.body, "name=\"csrf_token\" value=\"").expect("page has a CSRF token")
    }

    /// The hidden fields of the page's forms, in order, values unescaped.
    pub fn hidden_fields(&self) -> Vec<(String, String)> {
        self.body
            .split("<input type=\"hidden\" name=\"")
            .skip(1)
            .map(|f| {
                let (name, rest) = f.split_once('"').unwrap();
                let value = rest.split_once("value=\"").unwrap().1.split('"').next().unwrap();
                (name.to_owned(), html_unescape(value))
            })
            .collect()
    }

    /// The address of the page's link marked `rel="{rel}"` (a pager's `next`, `prev`, `last`):
    /// a page holds other links that carry a cursor, such as "Select all on this page".
    pub fn rel(&self, rel: &str) -> Option<String> {
        let end = self.body.find(&format!("\" rel=\"{rel}\""))?;
        let start = self.body[..end].rfind("href=\"")? + "href=\"".len();
        Some(html_unescape(&self.body[start..end]))
    }

    /// An item page's "Open full size" link: the signed URL of the file itself.
    pub fn open_full_size(&self) -> String {
        let at = self.body.find("\" target=\"_blank\" rel=\"noopener\">Open full size").expect("the link");
        let from = self.body[..at].rfind("href=\"").expect("its href") + "href=\"".len();
        html_unescape(&self.body[from..at])
    }

    /// Every value of an attribute, e.g. `src="` for all sources.
    pub fn all(&self, prefix: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(i) = rest.find(prefix) {
            rest = &rest[i + prefix.len()..];
            if let Some(end) = rest.find('"') {
                out.push(html_unescape(&rest[..end]));
            }
        }
        out
    }
}

fn find_attr(body: &str, prefix: &str) -> Option<String> {
    let start = body.find(prefix)? + prefix.len();
    let end = body[start..].find('"')? + start;
    Some(html_unescape(&body[start..end]))
}

pub fn html_unescape(s: &str) -> String {
    s.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

#[derive(Clone)]
pub struct TestClient {
    pub base: String,
    pub http: reqwest::Client,
}

impl TestClient {
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.base) }
    }

    async fn read(resp: reqwest::Response) -> Page {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.unwrap_or_default();
        Page { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::read(self.http.get(self.url(path)).send().await.expect("GET")).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut req = self.http.get(self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        Self::read(req.send().await.expect("GET")).await
    }

    pub async fn get_bytes(&self, path: &str, range: Option<&str>) -> (u16, HeaderMap, Vec<u8>) {
        let mut req = self.http.get(self.url(path));
        if let Some(r) = range {
            req = req.header("Range", r);
        }
        let resp = req.send().await.expect("GET");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.bytes().await.unwrap().to_vec())
    }

    /// Posts a form as is (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        Self::read(self.http.post(self.url(path)).form(fields).send().await.expect("POST")).await
    }

    /// Posts a form as a browser does from `page` of this site: with its `Referer` and our
    /// `Origin`.
    pub async fn post_from(&self, page: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let req = self.http.post(self.url(path)).form(fields);
        let req = req.header("Referer", self.url(page)).header("Origin", self.base.clone());
        Self::read(req.send().await.expect("POST")).await
    }

    /// Posts a form with the CSRF token of `token_page` (the page the form lives on).
    pub async fn post(&self, token_page: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.get(token_page).await.csrf();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Signs `name` (password `password-{name}`) in again on the sign-in page at `signin`,
    /// where an ended session sent it, asking to go on to `next`.
    pub async fn sign_in_again(&self, signin: &str, name: &str, next: &str) -> Page {
        let token = self.get(signin).await.csrf();
        let password = format!("password-{name}");
        let form =
            [("csrf_token", token.as_str()), ("username", name), ("password", &password), ("next", next)];
        self.post_raw("/signin", &form).await
    }

    pub async fn sign_in(&self, name: &str, password: &str) -> Page {
        let token = self.get("/signin").await.csrf();
        self.post_raw("/signin", &[("csrf_token", &token), ("username", name), ("password", password)]).await
    }

    /// Uploads one file of this user's own through the form; its item page's path.
    pub async fn upload_one(&self, name: &str, bytes: Vec<u8>) -> String {
        let up = self.upload(&[(name, bytes)], None, true).await;
        let answer: serde_json::Value = serde_json::from_str(&up.body).expect("the upload's JSON answer");
        answer["results"][0]["url"].as_str().unwrap_or_else(|| panic!("an item: {answer}")).to_owned()
    }

    /// Uploads files through the form; `owner` is the chooser's value for staff.
    pub async fn upload(&self, files: &[(&str, Vec<u8>)], owner: Option<&str>, json: bool) -> Page {
        let token = self.get("/upload").await.csrf();
        self.upload_with_token(&token, files, owner, json).await
    }

    /// Posts one file as the `file` field of a multipart form (with the CSRF token of
    /// `token_page`) to `path`, as the item page's Replace form does.
    pub async fn post_file(&self, token_page: &str, path: &str, name: &str, bytes: Vec<u8>) -> Page {
        let token = self.get(token_page).await.csrf();
        let form = multipart::Form::new()
            .text("csrf_token", token)
            .part("file", multipart::Part::bytes(bytes).file_name(name.to_owned()));
        Self::read(self.http.post(self.url(path)).multipart(form).send().await.expect("post a file")).await
    }

    /// Posts a multipart form as it is.
    pub async fn post_multipart(&self, path: &str, form: multipart::Form) -> Page {
        Self::read(self.http.post(self.url(path)).multipart(form).send().await.expect("post a form")).await
    }

    /// Uploads through the form with "Keep duplicates" ticked: most tests upload the same
    /// fixtures many times. [`TestClient::upload_checked`] leaves it unticked.
    pub async fn upload_with_token(
        &self,
        token: &str,
        files: &[(&str, Vec<u8>)],
        owner: Option<&str>,
        json: bool,
    ) -> Page {
        self.upload_form(token, files, (owner, json), true).await
    }

    /// Uploads as the form does by default: a file already in the library is refused.
    pub async fn upload_checked(&self, files: &[(&str, Vec<u8>)], json: bool) -> Page {
        let token = self.get("/upload").await.csrf();
        self.upload_form(&token, files, (None, json), false).await
    }

    async fn upload_form(
        &self,
        token: &str,
        files: &[(&str, Vec<u8>)],
        (owner, json): (Option<&str>, bool),
        keep_duplicates: bool,
    ) -> Page {
        let mut form = multipart::Form::new().text("csrf_token", token.to_owned());
        if keep_duplicates {
            form = form.text("keep_duplicates", "1");
        }
        if let Some(o) = owner {
            form = form.text("owner", o.to_owned());
        }
        for (name, bytes) in files {
            form = form.part("file", multipart::Part::bytes(bytes.clone()).file_name(name.to_string()));
        }
        let mut req = self.http.post(self.url("/upload")).multipart(form);
        if json {
            req = req.header("Accept", "application/json");
        }
        Self::read(req.send().await.expect("upload")).await
    }
}

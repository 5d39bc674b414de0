//! The JSON API used from another site's page: only the origins `MEDIADESK_API_ORIGINS` lists
//! (or any, with `*`) get `Access-Control-Allow-Origin`, on answers and refusals alike, and a
//! preflight for the API's methods with `Authorization` and a JSON body; never
//! `Allow-Credentials`, so a page elsewhere cannot use what the session cookie would. What a
//! token may do there is what its scopes say. Chromium is the judge: a page on a listed origin
//! reads the listing with a token and changes a title with an edit token (a read token's change
//! is refused, readably); one on another origin, or one sending the cookie instead of a token,
//! is blocked by the browser itself.

use mediadesk::auth::{Role, Scope};
use mediadesk::domain::Owner;
use mediadesk::media::{Actor, Upload};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::browser::Browser;
use crate::common::server::{Page, TestServer};
use crate::common::tus::Tus;
use crate::common::*;

backend_tests!(only_listed_sites_may_read_the_api_cross_origin, a_listed_site_uploads_with_an_upload_token);

async fn read_token(s: &TestServer, name: &str) -> String {
    site_account(s, name).await.read
}

/// An account a site's page acts for, with one photo.
struct SiteAccount {
    /// The photo's API path.
    photo: String,
    read: String,
    edit: String,
    upload: String,
}

async fn site_account(s: &TestServer, name: &str) -> SiteAccount {
    let id = s.account(name, Role::User).await;
    let item = Upload::new(Owner::User(id), "harbour.jpg");
    let up = s.env.media.upload(&Actor::user(id), item, fixture_stream("image.jpg")).await.unwrap();
    let account = s.app.accounts.by_id(id).await.unwrap();
    let token = async |scope: Scope| {
        s.app.accounts.create_token(None, &account, "site", scope.into(), None).await.unwrap().secret
    };
    SiteAccount {
        photo: format!("/api/v1/media/{}/{}", up.kind(), up.id()),
        read: token(Scope::Read).await,
        edit: token(Scope::Edit).await,
        upload: token(Scope::Upload).await,
    }
}

async fn send(s: &TestServer, method: &str, path: &str, headers: &[(&str, &str)]) -> Page {
    send_body(s, method, path, headers, "").await
}

async fn send_body(s: &TestServer, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Page {
    let mut req = reqwest::Client::new().request(method.parse().unwrap(), format!("{}{path}", s.base));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    Tus::send(req.body(body.to_owned())).await
}

async fn only_listed_sites_may_read_the_api_cross_origin(env: TestEnv) {
    let site = "https://site.example";
    let s = env.start_server_configured(|w| w.api_origins = vec![site.into()]).await;
    let token = read_token(&s, "amy").await;
    let bearer = format!("Bearer {token}");

    let read = send(&s, "GET", "/api/v1/media", &[("Origin", site), ("Authorization", &bearer)]).await;
    assert_eq!((read.status, read.header("access-control-allow-origin")), (200, site));
    assert!(read.headers.get("access-control-allow-credentials").is_none(), "never with credentials");
    assert!(read.headers.get_all("vary").iter().any(|v| v == "Origin"));
    // A refusal is readable too, so the page's script can say why.
    let refused =
        send(&s, "GET", "/api/v1/media?typ=x", &[("Origin", site), ("Authorization", &bearer)]).await;
    assert_eq!((refused.status, refused.header("access-control-allow-origin")), (400, site));
    let preflight = [
        ("Origin", site),
        ("Access-Control-Request-Method", "GET"),
        ("Access-Control-Request-Headers", "authorization"),
    ];
    // A read's preflight, then a change's: it names the method and the JSON it sends.
    let change = [
        preflight[0],
        ("Access-Control-Request-Method", "PATCH"),
        ("Access-Control-Request-Headers", "authorization,content-type"),
    ];
    for (asked, path) in [(&preflight, "/api/v1/media"), (&change, "/api/v1/media/image/1")] {
        let ok = send(&s, "OPTIONS", path, asked).await;
        assert_eq!((ok.status, ok.header("access-control-allow-origin")), (204, site));
        assert_eq!(
            ok.header("access-control-allow-headers"),
            "Authorization, Accept, Content-Type, Content-Disposition"
        );
        assert_eq!(ok.header("access-control-allow-methods"), "GET, HEAD, POST, PUT, PATCH, DELETE");
    }
    let SiteAccount { photo, read: reader, edit: editor, .. } = site_account(&s, "bea").await;
    let patch = async |token: &str| {
        let headers = [
            ("Origin", site),
            ("Authorization", &format!("Bearer {token}")),
            ("Content-Type", "application/json"),
        ];
        send_body(&s, "PATCH", &photo, &headers, r#"{"title": "From the site"}"#).await
    };
    let changed = patch(&editor).await;
    assert_eq!(
        (changed.status, changed.header("access-control-allow-origin")),
        (200, site),
        "{}",
        changed.body
    );
    assert!(changed.body.contains("\"title\":\"From the site\""), "{}", changed.body);
    // A read token's change is refused as anywhere, and the page elsewhere can read why.
    let refused = patch(&reader).await;
    assert_eq!((refused.status, refused.header("access-control-allow-origin")), (403, site));
    assert!(refused.body.contains("token_scope"), "{}", refused.body);

    // Another site, another method, or anywhere but the API: nothing that lets it through.
    let other = [("Origin", "https://evil.example"), ("Authorization", bearer.as_str())];
    let r = send(&s, "GET", "/api/v1/media", &other).await;
    assert!(r.status == 200 && r.headers.get("access-control-allow-origin").is_none());
    let r = send(&s, "OPTIONS", "/api/v1/media", &[("Origin", "https://evil.example"), preflight[1]]).await;
    assert!(r.status == 403 && r.headers.get("access-control-allow-origin").is_none(), "{}", r.body);
    let r = send(
        &s,
        "OPTIONS",
        "/api/v1/media",
        &[("Origin", site), ("Access-Control-Request-Method", "PROPFIND")],
    )
    .await;
    assert_eq!(r.status, 403);
    let r = send(&s, "GET", "/signin", &[("Origin", site)]).await;
    assert!(r.headers.get("access-control-allow-origin").is_none(), "pages stay same-origin");

    // `*`: any site; none configured (the default): no site.
    let any =
        TestEnv::sqlite_local().await.start_server_configured(|w| w.api_origins = vec!["*".into()]).await;
    let t = read_token(&any, "ann").await;
    let r = send(
        &any,
        "GET",
        "/api/v1/media",
        &[("Origin", "https://x.example"), ("Authorization", &format!("Bearer {t}"))],
    )
    .await;
    assert_eq!((r.status, r.header("access-control-allow-origin")), (200, "*"));
    let none = TestEnv::sqlite_local().await.start_server().await;
    let t = read_token(&none, "ann").await;
    let r =
        send(&none, "GET", "/api/v1/media", &[("Origin", site), ("Authorization", &format!("Bearer {t}"))])
            .await;
    assert!(r.status == 200 && r.headers.get("access-control-allow-origin").is_none());
    assert!(r.headers.get("vary").is_none_or(|v| v != "Origin"));
}

/// A listed site's page uploads with an upload token, by tus and by the form's post: the
/// preflights are answered (tus's with its own headers), and the answers carry
/// `Access-Control-Allow-Origin` and, for tus, expose `Location` and `Upload-Offset`, which a
/// tus client must read. Another site's preflight gets nothing; the upload page stays a page.
async fn a_listed_site_uploads_with_an_upload_token(env: TestEnv) {
    let site = "https://site.example";
    let s = env.start_server_configured(|w| w.api_origins = vec![site.into()]).await;
    let cy = site_account(&s, "cy").await;
    let bearer = format!("Bearer {}", cy.upload);
    let tus_preflight = [
        ("Origin", site),
        ("Access-Control-Request-Method", "POST"),
        ("Access-Control-Request-Headers", "authorization,tus-resumable,upload-length,upload-metadata"),
    ];
    let ok = send(&s, "OPTIONS", "/uploads/tus", &tus_preflight).await;
    assert_eq!((ok.status, ok.header("access-control-allow-origin")), (204, site));
    assert!(ok.header("access-control-allow-headers").contains("Upload-Metadata"), "{:?}", ok.headers);
    assert!(ok.header("access-control-allow-methods").contains("PATCH"));
    assert_eq!(ok.header("tus-version"), "1.0.0", "still tus's own answer");
    let elsewhere =
        send(&s, "OPTIONS", "/uploads/tus", &[("Origin", "https://evil.example"), tus_preflight[1]]).await;
    assert!(elsewhere.headers.get("access-control-allow-origin").is_none());
    assert!(elsewhere.headers.get("access-control-allow-methods").is_none());

    let bytes = fixture_bytes("image.png");
    let length = bytes.len().to_string();
    let name = format!(
        "filename {}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "from-site.png")
    );
    let tus = [("Origin", site), ("Authorization", bearer.as_str()), ("Tus-Resumable", "1.0.0")];
    let made = send(
        &s,
        "POST",
        "/uploads/tus",
        &[tus[0], tus[1], tus[2], ("Upload-Length", &length), ("Upload-Metadata", &name)],
    )
    .await;
    assert_eq!((made.status, made.header("access-control-allow-origin")), (201, site), "{}", made.body);
    let exposed = made.header("access-control-expose-headers");
    assert!(exposed.contains("Location") && exposed.contains("Upload-Offset"), "{exposed}");
    let at = made.header("location").to_owned();
    let path = &at[at.find("/uploads/tus/").expect("an upload's address")..];
    let req = reqwest::Client::new()
        .patch(format!("{}{path}", s.base))
        .header("Origin", site)
        .header("Authorization", &bearer)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes.clone());
    let done = Tus::send(req).await;
    assert_eq!((done.status, done.header("upload-offset")), (204, length.as_str()), "{}", done.body);
    assert_eq!(done.header("access-control-allow-origin"), site);

    // The form's post: its preflight, then the files, answered in JSON.
    let form_preflight = [("Origin", site), ("Access-Control-Request-Method", "POST")];
    let ok = send(&s, "OPTIONS", "/upload", &form_preflight).await;
    assert_eq!((ok.status, ok.header("access-control-allow-origin")), (204, site));
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(fixture_bytes("image-exif-rot6.jpg")).file_name("form.jpg"),
    );
    let req = reqwest::Client::new()
        .post(format!("{}/upload", s.base))
        .header("Origin", site)
        .header("Authorization", &bearer)
        .header("Accept", "application/json")
        .multipart(form);
    let posted = Tus::send(req).await;
    assert_eq!(posted.header("access-control-allow-origin"), site, "{}", posted.body);
    assert!(posted.body.contains("\"results\""), "{}", posted.body);
    let page = send(&s, "GET", "/upload", &[("Origin", site)]).await;
    assert!(page.headers.get("access-control-allow-origin").is_none(), "the upload page stays a page");
    let listed = send(&s, "GET", "/api/v1/media", &[("Authorization", &format!("Bearer {}", cy.read))]).await;
    assert!(listed.body.contains("\"total\":3"), "{}", listed.body);
    assert!(listed.body.contains("from-site.png") && listed.body.contains("form.jpg"), "{}", listed.body);
}

/// Serves one page of HTML at every address of a loopback port: "another site".
async fn other_site() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let page = "<!doctype html><title>another site</title><p>another site</p>";
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n",
                    page.len()
                );
                let _ = conn.write_all(format!("{head}{page}").as_bytes()).await;
            });
        }
    });
    origin
}

/// What a page's `fetch` of the listing got: its `total`, or `blocked` when the browser would
/// not let the script read it.
fn fetch_total(api: &str, token: Option<&str>) -> String {
    let init = match token {
        Some(t) => format!("{{headers: {{Authorization: 'Bearer {t}'}}}}"),
        None => "{credentials: 'include'}".to_owned(),
    };
    format!(
        "return fetch('{api}/api/v1/media', {init}).then(r => r.json()).then(j => String(j.total), \
         () => 'blocked');"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_on_a_listed_site_reads_the_api() {
    let (listed, unlisted) = (other_site().await, other_site().await);
    let allowed = listed.clone();
    let s = TestEnv::sqlite_local().await.start_server_configured(|w| w.api_origins = vec![allowed]).await;
    let SiteAccount { photo, read: token, edit: editor, upload: uploader } = site_account(&s, "amy").await;
    let id: i64 = photo.rsplit('/').next().unwrap().parse().unwrap();
    let (base, api) = (s.base.clone(), s.base.clone());
    let media = s.env.media.clone();
    Browser::run("sqlite_local", &base, |b| async move {
        // Signed in here, so a cookie exists that a page elsewhere might try to use.
        b.sign_in("amy").await;
        b.goto(&listed).await;
        assert_eq!(b.js(&fetch_total(&api, Some(&token))).await, "1", "a listed site reads with a token");
        assert_eq!(b.js(&fetch_total(&api, None)).await, "blocked", "but not with the session cookie");
        let title = |t: &str, title: &str| {
            format!(
                "return fetch('{api}{photo}', {{method: 'PATCH', headers: {{Authorization: 'Bearer {t}', \
                 'Content-Type': 'application/json'}}, body: JSON.stringify({{title: '{title}'}})}}) \
                 .then(r => r.json().then(j => r.status + ' ' + (j.title || j.code)), () => 'blocked');"
            )
        };
        assert_eq!(
            b.js(&title(&token, "Read")).await,
            "403 token_scope",
            "a read token's change, refused readably"
        );
        assert_eq!(
            b.js(&title(&editor, "From the site")).await,
            "200 From the site",
            "an edit token changes the title"
        );
        let png =
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, fixture_bytes("image.png"));
        let bytes = format!(
            "const bytes = Uint8Array.from(atob('{png}'), c => c.charCodeAt(0)), \
            auth = 'Bearer {uploader}';"
        );
        // A tus client's two requests: it must read Location and Upload-Offset.
        let tus = format!(
            "{bytes} return fetch('{api}/uploads/tus', {{method: 'POST', headers: {{Authorization: auth, \
             'Tus-Resumable': '1.0.0', 'Upload-Length': String(bytes.length), \
             'Upload-Metadata': 'filename ' + btoa('widget.png')}}}}).then(r => fetch( \
             new URL(r.headers.get('Location'), '{api}/uploads/tus'), {{method: 'PATCH', headers: \
             {{Authorization: auth, 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', \
             'Content-Type': 'application/offset+octet-stream'}}, body: bytes}})) \
             .then(r => r.status + ' ' + r.headers.get('Upload-Offset'), () => 'blocked');"
        );
        let whole = fixture_bytes("image.png").len();
        assert_eq!(b.js(&tus).await, format!("204 {whole}"), "a listed site's widget uploads by tus");
        let form = format!(
            "{bytes} const f = new FormData(); f.append('keep_duplicates', '1'); \
             f.append('file', new Blob([bytes], {{type: 'image/png'}}), 'form.png'); \
             return fetch('{api}/upload', {{method: 'POST', headers: {{Authorization: auth, \
             Accept: 'application/json'}}, body: f}}).then(r => r.json()) \
             .then(j => j.results ? j.results[0].filename : j.code, () => 'blocked');"
        );
        assert_eq!(b.js(&form).await, "form.png", "and by the form's post");
        assert_eq!(b.js(&fetch_total(&api, Some(&token))).await, "3");
        b.goto(&unlisted).await;
        assert_eq!(b.js(&fetch_total(&api, Some(&token))).await, "blocked", "an unlisted site is blocked");
        assert_eq!(b.js(&title(&editor, "Elsewhere")).await, "blocked", "and cannot change anything");
        assert_eq!(b.js(&tus).await, "blocked", "nor upload by tus");
        assert_eq!(b.js(&form).await, "blocked", "nor by the form");
    })
    .await;
    let amy = Actor::user(s.app.accounts.by_username("amy").await.unwrap().id);
    let read = media.get(&amy, mediadesk::domain::MediaKind::Image, id).await.unwrap();
    assert_eq!(
        read.description().title.as_deref(),
        Some("From the site"),
        "the listed site's change, not the other's"
    );
}

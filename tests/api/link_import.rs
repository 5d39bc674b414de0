//! Adding a file from a link: fetched by the server from a real site on loopback and checked as
//! an upload is; links that reach inside the network refused before any request; every way a
//! site fails answered with a stable code and nothing stored; the link kept in its field.

use std::time::Duration;

use mediadesk::auth::{Role, Scope};
use mediadesk::domain::{AuditAction, AuditFilter};
use serde_json::Value;

use crate::common::browser::{Browser, PATIENCE, poll};
use crate::common::far_site::FarSite;
use crate::common::server::*;
use crate::common::tus::Tus;
use crate::common::*;

backend_tests!(
    a_link_adds_its_file_as_an_upload_does,
    links_inside_the_network_are_refused_before_any_request,
    a_site_that_fails_leaves_nothing_behind,
    a_person_s_refused_link_comes_back_in_its_field,
    link_imports_can_be_turned_off,
    browser_adds_a_file_from_a_link_by_keyboard_at_390_px,
    the_real_server_fetches_an_https_link_its_environment_allows,
    the_command_line_imports_a_list_of_links,
    a_process_fetches_only_so_many_links_at_once,
    a_store_or_database_outage_keeps_the_link_and_stores_nothing,
    a_link_replaces_an_item_s_file
);

const IDLE: Duration = Duration::from_secs(2);

/// `/metrics`' link fetches: fetched, refused, failed.
fn fetches() -> [u64; 3] {
    use std::sync::atomic::Ordering::Relaxed;
    let m = &mediadesk::metrics::METRICS;
    [m.links_fetched.load(Relaxed), m.links_refused.load(Relaxed), m.links_failed.load(Relaxed)]
}

/// Posts `link` as a script with an upload token: the status and the JSON answer.
async fn add(s: &TestServer, token: &str, link: &str) -> (u16, Value) {
    let req = reqwest::Client::new().post(format!("{}/upload/link", s.base)).bearer_auth(token);
    let page = Tus::send(req.form(&[("link", link)])).await;
    let json = serde_json::from_str(&page.body).unwrap_or_else(|_| panic!("{link}: {}", page.body));
    (page.status, json)
}

async fn refused(s: &TestServer, token: &str, link: &str, want: (u16, &str), says: &str) {
    let (status, json) = add(s, token, link).await;
    assert_eq!((status, json["code"].as_str().unwrap_or("")), (want.0, want.1), "{link}: {json}");
    let message = json["message"].as_str().unwrap();
    assert!(message.contains(says), "{link}: {message}");
}

async fn a_link_adds_its_file_as_an_upload_does(env: TestEnv) {
    let far = FarSite::start().await;
    let s = env.with_links(Some("127.0.0.1/32"), IDLE).start_server().await;
    let (c, ann) = s.signed_in("ann", Role::User).await;
    let token = s.token(ann, &[Scope::Upload, Scope::Read], "links").await;

    // A person, through the upload page's second form (no script needed).
    let page = c.get("/upload").await;
    assert!(
        page.body.contains("action=\"/upload/link\"")
            && page.body.contains("<label for=\"link\">Links, one a line (up to 20)</label>")
    );
    let done = c.post("/upload", "/upload/link", &[("link", &far.url("/photos/harbour.jpg"))]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.contains("1 accepted, 0 refused") && done.body.contains("harbour.jpg"),
        "{}",
        done.body
    );

    // A script: the upload's JSON answer; the name from the site's Content-Disposition, or
    // from the link a redirect ended at.
    // A presigned-style link with a password: neither reaches the audit log.
    let signed = format!("http://ann:secret@{}/download?id=7&signature=c2VjcmV0#top", far.addr);
    let mut gulls_page = String::new();
    for (link, name, fixture, kind) in [
        (signed.clone(), "Häfen am Meer.png", "image.png", "image"),
        (far.url("/moved"), "gulls.flac", "tone.flac", "audio"),
    ] {
        let (status, json) = add(&s, &token, &link).await;
        assert_eq!(status, 200, "{json}");
        let result = &json["results"][0];
        assert_eq!((result["ok"].as_bool(), result["filename"].as_str()), (Some(true), Some(name)), "{json}");
        let api = format!("{}{}", s.base, result["api_url"].as_str().unwrap());
        let doc: Value =
            serde_json::from_str(&Tus::send(reqwest::Client::new().get(api).bearer_auth(&token)).await.body)
                .unwrap();
        assert_eq!((doc["kind"].as_str(), doc["filename"].as_str()), (Some(kind), Some(name)));
        assert_eq!(doc["sha256"], sha256_hex(&fixture_bytes(fixture)), "the very bytes");
        // Where it came from is kept, as given, without the password, query or fragment.
        let from = link.replace("ann:secret@", "").replace("?id=7&signature=c2VjcmV0#top", "");
        assert_eq!(doc["source_link"], from.as_str(), "{doc}");
        let page = c.get(doc["url"].as_str().unwrap().trim_start_matches(&s.base)).await;
        let said =
            format!("<dt>Added from</dt><dd><a href=\"{from}\" rel=\"noreferrer nofollow\">{from}</a></dd>");
        assert!(page.body.contains(&said), "{}", page.body);
        gulls_page = doc["url"].as_str().unwrap().to_owned();
    }
    // Replaced by a file from a computer, an item added from a link says nothing of the kind
    // (shots.rs: nor does an upload); a rollback brings its link back.
    let id = gulls_page.rsplit('/').next().unwrap().parse().unwrap();
    let mut kept = s.env.media.settings().clone();
    kept.trash_days = 7;
    let media = s.env.media_with(s.env.store.clone(), kept);
    let gulls = (mediadesk::domain::MediaKind::Audio, id);
    let ann_actor = mediadesk::media::Actor::user(ann);
    let upload = mediadesk::media::Upload::new(mediadesk::domain::Owner::User(ann), "mine.flac");
    let replaced = media.replace(&ann_actor, gulls, upload, fixture_stream("tone-mono.flac")).await.unwrap();
    assert_eq!(replaced.media.source_link(), None);
    let version = media.versions(&ann_actor, gulls).await.unwrap()[0].id;
    let back = media.restore_version(&ann_actor, gulls, version).await.unwrap();
    assert_eq!(back.source_link(), Some(far.url("/moved").as_str()));
    // Several links in one post, as repeated fields: a result each.
    let req = reqwest::Client::new().post(format!("{}/upload/link", s.base)).bearer_auth(&token);
    let two = [("link", far.url("/cut.jpg")), ("link", far.url("/photos/harbour.jpg"))];
    let page = Tus::send(req.form(&two)).await;
    let json: Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(page.status, 200, "{json}");
    let codes: Vec<_> = json["results"].as_array().unwrap().iter().map(|r| r["code"].as_str()).collect();
    assert_eq!(codes, [Some("fetch"), Some("duplicate")], "{json}");
    // The same as JSON, a link or a list; an unknown field is named.
    let json = |body: Value| {
        let req = reqwest::Client::new().post(format!("{}/upload/link", s.base)).bearer_auth(&token);
        Tus::send(req.header("Content-Type", "application/json").body(body.to_string()))
    };
    let page = json(serde_json::json!({"link": far.url("/moved"), "keep_duplicates": true})).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("\"filename\":\"gulls.flac\""), "{}", page.body);
    let page = json(serde_json::json!({"links": [far.url("/moved")]})).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("unknown field `links`"), "{}", page.body);
    let page = json(serde_json::json!({"link": far.url("/moved"), "owner": "system"})).await;
    assert_eq!(page.status, 403, "a user adds for nobody else: {}", page.body);
    // A page's script posting JSON sends the session's CSRF token, as the API's changes do.
    let body = serde_json::json!({"link": far.url("/moved"), "keep_duplicates": true}).to_string();
    let post = |csrf: Option<String>| {
        let mut req =
            c.http.post(format!("{}/upload/link", s.base)).header("Content-Type", "application/json");
        if let Some(t) = csrf {
            req = req.header("X-CSRF-Token", t);
        }
        Tus::send(req.header("Accept", "application/json").body(body.clone()))
    };
    assert_eq!(post(None).await.status, 403, "a cookie alone is not enough");
    let csrf = c.get("/upload").await.csrf();
    assert_eq!(post(Some(csrf)).await.status, 200);
    // The same file again is a duplicate, as on the upload page, unless kept.
    let (status, json) = add(&s, &token, &far.url("/photos/harbour.jpg")).await;
    assert_eq!((status, json["code"].as_str()), (409, Some("duplicate")), "{json}");
    let req = reqwest::Client::new().post(format!("{}/upload/link", s.base)).bearer_auth(&token);
    let kept =
        Tus::send(req.form(&[("link", far.url("/photos/harbour.jpg").as_str()), ("keep_duplicates", "1")]))
            .await;
    assert_eq!(kept.status, 200, "{}", kept.body);
    assert!(s.env.media.settle(Duration::from_secs(30)).await);
    assert_eq!(s.app.accounts.media_counts().await.unwrap().get(&ann), Some(&6));
    // Staff add for whom they choose, as with an upload: the system here.
    let (staff, sue) = s.signed_in("sue", Role::Staff).await;
    let page = staff.get("/upload").await;
    assert!(page.body.contains("<select id=\"link-owner\" name=\"owner\">"), "the owner is chosen");
    let wav = far.url("/sounds/gulls.flac");
    let form = [("link", wav.as_str()), ("owner", "system"), ("keep_duplicates", "1")];
    let done = staff.post("/upload", "/upload/link", &form).await;
    assert!(done.body.contains("1 accepted"), "{}", done.body);
    let counts = s.app.accounts.media_counts().await.unwrap();
    assert_eq!((counts.get(&sue), counts.get(&0)), (None, Some(&1)), "system media: {counts:?}");
    // Where each file came from is in the audit log.
    let filter = AuditFilter { action: Some(AuditAction::Upload), ..Default::default() };
    let rows = s.app.accounts.audit(None, &filter, None, 50).await.unwrap().entries;
    let details: Vec<&str> = rows.iter().filter_map(|r| r.detail.as_deref()).collect();
    let from = |name: &str, path: &str| format!("{name} from http://{}{path}", far.addr);
    assert!(details.contains(&from("harbour.jpg", "/photos/harbour.jpg").as_str()), "{details:?}");
    assert!(details.contains(&from("Häfen am Meer.png", "/download").as_str()), "{details:?}");
    assert!(details.contains(&from("gulls.flac", "/moved").as_str()), "the link given: {details:?}");
    assert!(!details.iter().any(|d| d.contains("secret") || d.contains("c2Vj")), "{details:?}");
}

async fn links_inside_the_network_are_refused_before_any_request(env: TestEnv) {
    let far = FarSite::start().await;
    let s = env.with_links(Some(""), IDLE).start_server().await;
    let ann = s.account("ann", Role::User).await;
    let token = s.token(ann, &[Scope::Upload], "links").await;
    let port = far.addr.port();
    let inside = "inside this server's network";
    for link in [
        far.url("/photos/harbour.jpg"),
        format!("http://localhost:{port}/photos/harbour.jpg"),
        format!("http://[::1]:{port}/photos/harbour.jpg"),
        format!("http://[::ffff:127.0.0.1]:{port}/photos/harbour.jpg"),
        format!("http://0x7f000001:{port}/photos/harbour.jpg"),
        format!("http://2130706433:{port}/photos/harbour.jpg"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/photo.jpg".to_owned(),
    ] {
        refused(&s, &token, &link, (400, "link"), inside).await;
    }
    for link in ["file:///etc/passwd", "ftp://files.example/photo.jpg", "gopher://x/"] {
        refused(&s, &token, link, (400, "link"), "only http:// and https://").await;
    }
    for link in ["", "photo.jpg", "https://", &format!("https://example.org/{}", "a".repeat(2100))] {
        refused(&s, &token, link, (400, "link"), "not a link").await;
    }
    assert_eq!(far.requests(), 0, "nothing was fetched");
    // Each refusal is in the audit log, under the link.
    let filter = AuditFilter { action: Some(AuditAction::Upload), ..Default::default() };
    let rows = s.app.accounts.audit(None, &filter, None, 50).await.unwrap().entries;
    assert_eq!(rows.len(), 15, "one a refusal");
    assert!(rows.iter().all(|r| r.outcome == "refused"), "{rows:?}");
    let detail = format!("link: http://localhost:{port}/photos/harbour.jpg");
    assert!(rows.iter().any(|r| r.detail.as_deref() == Some(detail.as_str())), "{rows:?}");
}

async fn a_site_that_fails_leaves_nothing_behind(env: TestEnv) {
    let far = FarSite::start().await;
    let s = env.with_links(Some("127.0.0.1/32"), IDLE).start_server().await;
    let ann = s.account("ann", Role::User).await;
    let token = s.token(ann, &[Scope::Upload], "links").await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let cases = [
        (far.url("/inside"), (400, "link"), "the address 127.0.0.2 is inside this server's network"),
        (far.url("/loop"), (400, "link"), "redirects more than 5 times"),
        (far.url("/missing.jpg"), (502, "fetch"), "answered 404 Not Found"),
        (far.url("/notes.txt"), (415, "type"), ""),
        (far.url("/huge.wav"), (413, "size"), ""),
        (far.url("/cut.jpg"), (502, "fetch"), "could not fetch the link from 127.0.0.1"),
        (far.url("/stall.jpg"), (502, "fetch"), "127.0.0.1 took too long to answer"),
        (format!("http://127.0.0.1:{closed}/x.jpg"), (502, "fetch"), "could not connect to 127.0.0.1"),
    ];
    let before = fetches();
    for (link, want, says) in cases {
        refused(&s, &token, &link, want, says).await;
    }
    // Counted for `/metrics` (other tests count too, at the same time: at least these).
    let after = fetches();
    assert!(after[0] - before[0] >= 2 && after[1] - before[1] >= 2 && after[2] - before[2] >= 4, "{after:?}");
    let shown = mediadesk::metrics::METRICS.render();
    assert!(shown.contains("mediadesk_link_fetches_total{result=\"failed\"} "), "{shown}");
    assert!(s.env.media.settle(Duration::from_secs(30)).await);
    assert!(s.env.objects().await.is_empty(), "no object left behind");
    assert_eq!(s.app.accounts.media_counts().await.unwrap().get(&ann), None, "no row");
    let spooled = std::fs::read_dir(s.env.spool_dir()).map(|d| d.count()).unwrap_or(0);
    assert_eq!(spooled, 0, "no spool file left");
    // A refusal after the fetch names the file and its link in the audit log.
    let filter = AuditFilter { action: Some(AuditAction::Upload), ..Default::default() };
    let rows = s.app.accounts.audit(None, &filter, None, 50).await.unwrap().entries;
    let said = format!("type: notes.txt from {}", far.url("/notes.txt"));
    assert!(rows.iter().any(|r| r.detail.as_deref() == Some(said.as_str())), "{rows:?}");
}

async fn a_store_or_database_outage_keeps_the_link_and_stores_nothing(env: TestEnv) {
    let far = FarSite::start().await;
    let mut env = env.with_links(Some("127.0.0.1/32"), IDLE);
    let (store, switch) = env.faulty_store().await;
    env.media = env.media_with(store.clone(), env.media.settings().clone());
    env.store = store;
    let s = env.start_server().await;
    let (c, ann) = s.signed_in("ann", Role::User).await;
    let token = s.token(ann, &[Scope::Upload], "links").await;
    let link = far.url("/photos/harbour.jpg");
    let nothing_left = || async {
        assert!(s.env.media.settle(Duration::from_secs(30)).await);
        assert_eq!(s.app.accounts.media_counts().await.unwrap().get(&ann), None, "no row");
        let spooled = std::fs::read_dir(s.env.spool_dir()).map(|d| d.count()).unwrap_or(0);
        assert_eq!(spooled, 0, "no spool file left");
    };

    // The store down: fetched, then refused as an upload is, 503 with the link in its field.
    switch.down();
    refused(&s, &token, &link, (503, "unavailable"), "").await;
    let page = c.post("/upload", "/upload/link", &[("link", &link)]).await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(page.body.contains("could not store it right now; nothing was saved"), "{}", page.body);
    assert_eq!(link_field(&page).1, link, "the link is back in its field");
    switch.up();
    nothing_left().await;
    // Owed deletions of keys the outage refused are paid; then the store holds nothing.
    assert_eq!(s.app.media.retry_pending_deletions(true).await.unwrap().failed, 0);
    assert!(s.env.objects().await.is_empty(), "{:?}", s.env.objects().await);

    // The database failing after the file is stored: the object goes again, the link stays.
    s.env.inject_db_failure("images", "INSERT").await;
    refused(&s, &token, &link, (503, "unavailable"), "").await;
    let page = c.post("/upload", "/upload/link", &[("link", &link)]).await;
    assert_eq!((page.status, link_field(&page).1), (503, link.clone()), "{}", page.body);
    s.env.clear_db_failure("images", "INSERT").await;
    nothing_left().await;
    assert!(s.env.objects().await.is_empty(), "{:?}", s.env.objects().await);

    // Both back: the same link adds its file, with no restart.
    let (status, json) = add(&s, &token, &link).await;
    assert_eq!((status, json["results"][0]["ok"].as_bool()), (200, Some(true)), "{json}");
    assert_eq!(s.env.objects().await.len(), 2, "the picture and its thumbnail");
}

/// What the link field holds on `page`.
fn link_field(page: &Page) -> (String, String) {
    let field = page.body.split("<textarea id=\"link\"").nth(1).expect("the link field");
    let (attributes, rest) = field.split_once('>').unwrap();
    (attributes.to_owned(), html_unescape(rest.split("</textarea>").next().unwrap()))
}

async fn a_person_s_refused_link_comes_back_in_its_field(env: TestEnv) {
    let far = FarSite::start().await;
    let s = env.with_links(Some("127.0.0.1/32"), IDLE).start_server().await;
    let (c, _) = s.signed_in("ann", Role::User).await;
    let link = far.url("/notes.txt?a=1&b=<2>");
    let page = c.post("/upload", "/upload/link", &[("link", &link), ("keep_duplicates", "1")]).await;
    assert_eq!(page.status, 415, "{}", page.body);
    let (attributes, value) = link_field(&page);
    assert_eq!(value, link, "the link is back in its field");
    assert!(attributes.contains("aria-describedby=\"link-error\" aria-invalid=\"true\""), "{attributes}");
    assert!(page.body.contains("id=\"link-error\"><p>") && page.body.contains("role=\"alert\""));
    assert!(page.body.contains("id=\"link-keep-duplicates\" name=\"keep_duplicates\" value=\"1\" checked"));

    // Several links, a line each: those added are named, the refused ones stay in the field
    // with why.
    let lines = format!(
        "{}\n\n  {}\r\n{}",
        far.url("/photos/harbour.jpg"),
        far.url("/missing.jpg"),
        far.url("/sounds/gulls.flac")
    );
    let page = c.post("/upload", "/upload/link", &[("link", &lines)]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(link_field(&page).1, far.url("/missing.jpg"), "only the refused link is back");
    assert!(page.body.contains("1 of 3 links were refused; they are back in the field:"), "{}", page.body);
    let refusal = format!("{}</span>: 127.0.0.1 answered 404 Not Found", far.url("/missing.jpg"));
    assert!(page.body.contains(&refusal), "{}", page.body);
    assert!(
        page.body.contains(">harbour.jpg</a>, <a") && page.body.contains(">gulls.flac</a>."),
        "{}",
        page.body
    );
    // Of several, a duplicate's line links to the item that holds the file.
    let again = format!("{}\n{}", far.url("/photos/harbour.jpg"), far.url("/missing.jpg"));
    let page = c.post("/upload", "/upload/link", &[("link", &again)]).await;
    let line = page.body.split("<span class=\"link-text\">").nth(1).unwrap().split("</li>").next().unwrap();
    assert!(line.contains("already in the library") && line.contains("\">Open it</a>"), "{line}");
    assert_eq!(link_field(&page).1, again, "both refused, both back");
    let many = vec![far.url("/photos/harbour.jpg"); 21].join("\n");
    let page = c.post("/upload", "/upload/link", &[("link", &many)]).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("at most 20 links at a time") && link_field(&page).1 == many);

    // Posted after the session ended: back after sign-in, in its field.
    let token = c.get("/upload").await.csrf();
    s.clock.advance(2 * 3600);
    let wanted = far.url("/download");
    let fields = [("csrf_token", token.as_str()), ("link", wanted.as_str())];
    let post = c.post_from("/upload", "/upload/link", &fields).await;
    assert_eq!(post.status, 303);
    assert_eq!(c.sign_in_again(post.location(), "ann", "/upload").await.location(), "/upload");
    let back = c.get("/upload").await;
    assert!(back.body.contains("signed out before the links were fetched"), "{}", back.body);
    assert_eq!(link_field(&back).1, wanted);
    assert_eq!(far.requests(), 6, "only the posts made signed in fetched");
}

async fn link_imports_can_be_turned_off(env: TestEnv) {
    let far = FarSite::start().await;
    let s = env.with_links(None, IDLE).start_server().await;
    let (c, ann) = s.signed_in("ann", Role::User).await;
    assert!(!c.get("/upload").await.body.contains("/upload/link"), "no form");
    let token = s.token(ann, &[Scope::Upload], "links").await;
    refused(&s, &token, &far.url("/photos/harbour.jpg"), (403, "forbidden"), "turned off").await;
    let page = c.post("/upload", "/upload/link", &[("link", &far.url("/photos/harbour.jpg"))]).await;
    assert_eq!(page.status, 403);
    // Nor does an item's page offer to replace its file from one.
    let item = c.upload_one("quay.png", fixture_bytes("image.png")).await;
    assert!(!c.get(&item).await.body.contains("/replace/link"), "no form");
    let link = far.url("/photos/harbour.jpg");
    assert_eq!(c.post(&item, &format!("{item}/replace/link"), &[("link", &link)]).await.status, 403);
    assert_eq!(far.requests(), 0);
}

async fn a_link_replaces_an_item_s_file(env: TestEnv) {
    let far = FarSite::start().await;
    let s = env.with_trash(7).with_links(Some("127.0.0.1/32"), IDLE).start_server().await;
    let (c, ann) = s.signed_in("ann", Role::User).await;
    let token = s.token(ann, &[Scope::Read], "links").await;
    let item = c.upload_one("quay.png", fixture_bytes("image.png")).await;
    let doc = || async {
        let req = reqwest::Client::new().get(format!("{}/api/v1{item}", s.base)).bearer_auth(&token);
        serde_json::from_str::<Value>(&Tus::send(req).await.body).unwrap()
    };
    let page = c.get(&item).await;
    assert!(page.body.contains(&format!("action=\"{item}/replace/link\"")), "{}", page.body);
    assert!(page.body.contains("<label for=\"replace-link\">…or with the file a link points to</label>"));

    // Refused: back in its field with why, the page answering the refusal's status; the file
    // stays. A sound for a picture; a page that is not there.
    for (path, status, why) in [
        ("/sounds/gulls.flac", 415, "expected an image file"),
        ("/missing.jpg", 502, "answered 404 Not Found"),
    ] {
        let link = far.url(path);
        let page = c.post(&item, &format!("{item}/replace/link"), &[("link", &link)]).await;
        assert_eq!(page.status, status, "{path}: {}", page.body);
        let body = html_unescape(&page.body);
        assert!(body.contains(&format!("value=\"{link}\" required aria-invalid=\"true\"")), "{body}");
        let error = body.split("id=\"replace-link-error\">").nth(1).expect("why, beside the field");
        assert!(error.starts_with(why) || error.contains(why), "{path}: {error}");
    }
    assert_eq!(doc().await["sha256"], sha256_hex(&fixture_bytes("image.png")), "the file stays");

    // Someone who may not manage the item: nothing is fetched.
    let asked = far.requests();
    let (bob, _) = s.signed_in("bob", Role::User).await;
    let link = far.url("/photos/harbour.jpg");
    let token_page = bob.get("/upload").await.csrf();
    let fields = [("csrf_token", token_page.as_str()), ("link", link.as_str())];
    assert_eq!(bob.post_raw(&format!("{item}/replace/link"), &fields).await.status, 404);
    assert_eq!(far.requests(), asked, "nothing fetched for someone who may not replace it");

    // Replaced: the link's file, its name, where it came from; the old file kept as a version.
    let done = c.post(&item, &format!("{item}/replace/link"), &[("link", &link)]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let page = c.get(&item).await;
    assert!(page.body.contains("Replaced the file with harbour.jpg."), "{}", page.body);
    let now = doc().await;
    assert_eq!(now["sha256"], sha256_hex(&fixture_bytes("image.jpg")), "{now}");
    assert_eq!(
        (now["filename"].as_str(), now["source_link"].as_str()),
        (Some("harbour.jpg"), Some(link.as_str()))
    );
    assert!(page.body.contains("quay.png") && page.body.contains("Roll back to this"), "the version");
    let filter = AuditFilter { action: Some(AuditAction::Replace), ..Default::default() };
    let rows = s.app.accounts.audit(None, &filter, None, 10).await.unwrap().entries;
    let said = format!("harbour.jpg from {link}");
    assert!(rows.iter().any(|r| r.detail.as_deref() == Some(said.as_str())), "{rows:?}");
    // Turned, it still came from there.
    let turned = c.post(&item, &format!("{item}/turn"), &[("turn", "right")]).await;
    assert_eq!(turned.status, 303, "{}", turned.body);
    assert_eq!(doc().await["source_link"].as_str(), Some(link.as_str()));
    assert!(s.env.media.settle(Duration::from_secs(30)).await);
    let spooled = std::fs::read_dir(s.env.spool_dir()).map(|d| d.count()).unwrap_or(0);
    assert_eq!(spooled, 0, "no spool file left");

    // Posted after the session ended: nothing replaced, the link back in its field after sign-in.
    let csrf = c.get(&item).await.csrf();
    s.clock.advance(2 * 3600);
    let wanted = far.url("/download");
    let fields = [("csrf_token", csrf.as_str()), ("link", wanted.as_str())];
    let post = c.post_from(&item, &format!("{item}/replace/link"), &fields).await;
    assert_eq!(post.status, 303);
    assert_eq!(c.sign_in_again(post.location(), "ann", &item).await.location(), item);
    let back = html_unescape(&c.get(&item).await.body);
    assert!(back.contains("signed out before the file was replaced"), "{back}");
    let field = back.split("id=\"replace-link\"").nth(1).unwrap().split('>').next().unwrap();
    assert!(field.contains(&format!("value=\"{wanted}\"")), "{field}");
    assert_eq!(doc().await["filename"], "harbour.jpg", "nothing replaced");

    // Through the API: `PUT …/file` with a JSON body names the link instead of sending a file.
    let editor = s.token(ann, &[Scope::Upload, Scope::Edit], "replace").await;
    let put = |body: Value| {
        let req = reqwest::Client::new().put(format!("{}/api/v1{item}/file", s.base)).bearer_auth(&editor);
        Tus::send(req.header("Content-Type", "application/json").body(body.to_string()))
    };
    let refused = put(serde_json::json!({"link": "http://10.0.0.1/photo.jpg"})).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("\"code\":\"link\"") && refused.body.contains("inside this server's network")
    );
    let unknown = put(serde_json::json!({"url": far.url("/download")})).await;
    assert!(unknown.status == 400 && unknown.body.contains("unknown field `url`"), "{}", unknown.body);
    let done = put(serde_json::json!({"link": far.url("/download")})).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let now: Value = serde_json::from_str(&done.body).unwrap();
    assert_eq!(
        (now["filename"].as_str(), now["source_link"].as_str()),
        (Some("Häfen am Meer.png"), Some(far.url("/download").as_str()))
    );
    assert_eq!(now["sha256"], sha256_hex(&fixture_bytes("image.png")), "{now}");
}

/// The refusal of a 404 said beside the field `field` (by its `…-error`), which still holds
/// `link`, on a page that fits 390 px; kept as the screenshot `name`.
async fn refusal_shown(b: &Browser, field: &str, link: &str, name: &str) {
    poll("the refusal said beside its field", PATIENCE, async || {
        let js =
            format!("const e = document.querySelector('#{field}-error'); return e ? e.textContent : '';");
        let said = b.js(&js).await.as_str().unwrap_or("").to_owned();
        if said.contains("answered 404") { Ok(()) } else { Err(said) }
    })
    .await;
    let kept = b.js(&format!("return document.querySelector('#{field}').value;")).await;
    assert_eq!(kept.as_str(), Some(link), "the link is still in its field");
    b.assert_fits("no sideways scrolling at 390 px, refused").await;
    b.screenshot(name).await;
}

/// From the link field: Tab past "Keep a duplicate" to the button, Enter.
async fn submit_by_keyboard(b: &Browser) {
    let tab = fantoccini::key::Key::Tab.to_string();
    b.press(&tab).await;
    assert_eq!(b.js("return document.activeElement.id;").await.as_str(), Some("link-keep-duplicates"));
    b.press(&tab).await;
    let on = b.js("return document.activeElement.textContent;").await;
    assert_eq!(on.as_str(), Some("Add from links"));
    b.press(&fantoccini::key::Key::Enter.to_string()).await;
}

async fn browser_adds_a_file_from_a_link_by_keyboard_at_390_px(env: TestEnv) {
    let far = FarSite::start().await;
    let backend = env.backend;
    let s = env.with_links(Some("127.0.0.1/32"), IDLE).start_server().await;
    s.account("ann", Role::User).await;
    let (refused, wanted) = (far.url("/missing.jpg"), far.url("/sounds/gulls.flac"));
    let stall = far.url("/stall.jpg");
    Browser::run(backend, &s.base.clone(), |b| async move {
        b.resize(390, 844).await;
        b.sign_in("ann").await;
        b.goto("/upload").await;
        b.assert_fits("no sideways scrolling at 390 px").await;
        // Keyboard only: focus the link's field by its label, type, Enter posts the form.
        b.js("document.querySelector('label[for=link]').click(); return 0;").await;
        assert_eq!(b.js("return document.activeElement.id;").await.as_str(), Some("link"));
        b.press(&refused).await;
        submit_by_keyboard(&b).await;
        refusal_shown(&b, "link", &refused, "link-refused-390").await;
        b.js("const f = document.querySelector('#link'); f.value = ''; f.focus(); return 0;").await;
        b.press(&wanted).await;
        submit_by_keyboard(&b).await;
        poll("the file added", PATIENCE, async || {
            let said = b.js("return document.querySelector('main').textContent;").await;
            let said = said.as_str().unwrap_or("").to_owned();
            if said.contains("1 accepted, 0 refused") && said.contains("gulls.flac") {
                Ok(())
            } else {
                Err(said)
            }
        })
        .await;
        let sound = b
            .js("return document.querySelector('main a[href^=\"/media/audio/\"]').getAttribute('href');")
            .await;
        let sound = sound.as_str().expect("the added sound's page").to_owned();
        // A picture dragged from another page onto the files' drop zone brings its link: it goes
        // to the link field (the files stay unchosen).
        b.goto("/upload").await;
        let drop = format!(
            "const t = new DataTransfer(); t.setData('text/uri-list', '# a comment\\n{wanted}'); \
             document.getElementById('dropzone').dispatchEvent(new DragEvent('drop', {{dataTransfer: t, \
             bubbles: true, cancelable: true}})); \
             return document.activeElement.id + ' ' + document.getElementById('link').value + ' ' + \
             document.getElementById('files').files.length;"
        );
        assert_eq!(b.js(&drop).await.as_str(), Some(format!("link {wanted} 0").as_str()));
        // While the server fetches, the button says so and cannot fetch twice. (The test holds
        // the post back: a page being left runs no test script until the next one is in.)
        b.goto("/upload").await;
        b.js("document.querySelector('.link-form').addEventListener('submit', e => e.preventDefault()); \
              document.querySelector('label[for=link]').click(); return 0;")
            .await;
        b.press(&format!("{stall}\n{stall}")).await;
        submit_by_keyboard(&b).await;
        let state = "const b = document.querySelector('.link-form button'); \
                     return b.disabled + ' ' + b.textContent + ' ' + b.form.getAttribute('aria-busy');";
        assert_eq!(b.js(state).await.as_str(), Some("true Fetching 2 links… true"));
        // On an item's page, its file replaced from a link by keyboard: a refusal says why
        // beside the field, which keeps the link, at 390 px.
        b.goto(&sound).await;
        b.js("document.querySelector('label[for=replace-link]').click(); return 0;").await;
        assert_eq!(b.js("return document.activeElement.id;").await.as_str(), Some("replace-link"));
        b.press(&refused).await;
        b.press(&fantoccini::key::Key::Tab.to_string()).await;
        let on = b.js("return document.activeElement.textContent;").await;
        assert_eq!(on.as_str(), Some("Replace from the link"));
        b.press(&fantoccini::key::Key::Enter.to_string()).await;
        refusal_shown(&b, "replace-link", &refused, "replace-link-refused-390").await;
    })
    .await;
}

/// The binary, configured by its environment (`MEDIADESK_LINK_IMPORT_ALLOW`), fetches an https
/// link from a site whose certificate it trusts as it would the system's (`SSL_CERT_FILE`); the
/// name `localhost` reaches it through its IPv4 address, the allowed one.
async fn the_real_server_fetches_an_https_link_its_environment_allows(env: TestEnv) {
    let (far, roots) = FarSite::start_tls(env.dir.path()).await;
    let added = env.cli(&["user", "add", "amy", "--password-stdin"], Some("password-amy\n"));
    assert_eq!(added.code, 0, "{}", added.stderr);
    let token = env.cli(&["token", "add", "links", "--user", "amy", "--scope", "upload"], None).stdout;
    let vars = [("MEDIADESK_LINK_IMPORT_ALLOW", "127.0.0.1/32"), ("SSL_CERT_FILE", roots.to_str().unwrap())];
    let served = crate::common::served::Served::start(&env, &vars).await;
    let link = format!("https://localhost:{}/photos/harbour.jpg", far.addr.port());
    let req = reqwest::Client::new().post(format!("{}/upload/link", served.base)).bearer_auth(token.trim());
    let page = Tus::send(req.form(&[("link", link.as_str())])).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let json: Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(json["results"][0]["filename"], "harbour.jpg", "{json}");
    // Plain http to the same port is not what the site speaks: a fetch failure, said as one.
    let req = reqwest::Client::new().post(format!("{}/upload/link", served.base)).bearer_auth(token.trim());
    let plain = format!("http://localhost:{}/photos/harbour.jpg", far.addr.port());
    let page = Tus::send(req.form(&[("link", plain.as_str())])).await;
    assert_eq!(page.status, 502, "{}", page.body);
    served.terminate();
    assert_eq!(served.exit_code().await, Some(0));
}

/// `mediadesk import --links FILE`: each link's file for the owner named, under the same rule
/// on what links may reach (here opened to loopback by the environment, then not).
async fn the_command_line_imports_a_list_of_links(env: TestEnv) {
    let far = FarSite::start().await;
    assert_eq!(env.cli(&["user", "add", "ann", "--password-stdin"], Some("password-ann\n")).code, 0);
    let list = env.dir.path().join("old-site.txt");
    let (photo, missing, sound) =
        (far.url("/photos/harbour.jpg"), far.url("/missing.jpg"), far.url("/sounds/gulls.flac"));
    std::fs::write(&list, format!("# moved from the old site\n{photo}\n\n  {missing}\n{sound}\n")).unwrap();
    let run = |allow: Option<&str>, list: &str| {
        let mut cmd = env.command();
        if let Some(networks) = allow {
            cmd.env("MEDIADESK_LINK_IMPORT_ALLOW", networks);
        }
        let out = cmd.args(["import", "--links", list, "--owner", "ann"]).output().unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let (code, stdout, stderr) = run(Some("127.0.0.1"), list.to_str().unwrap());
    assert_eq!(code, Some(1), "{stdout} {stderr}");
    assert!(stdout.starts_with("imported 2 of 3 links\n"), "{stdout}");
    assert!(stdout.contains(&format!("  refused {missing}: 127.0.0.1 answered 404 Not Found")), "{stdout}");
    assert_eq!(stderr.trim_end(), "mediadesk: 1 of 3 links were refused", "one line");
    assert_eq!(env.count_rows("images").await + env.count_rows("audios").await, 2);
    let seen = far.requests();
    // Without the environment's word, loopback is inside: nothing is fetched.
    let (code, stdout, _) = run(None, list.to_str().unwrap());
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("imported 0 of 3 links") && stdout.contains("inside this server's network"),
        "{stdout}"
    );
    assert_eq!(far.requests(), seen, "no request");
    let empty = env.dir.path().join("empty.txt");
    std::fs::write(&empty, "# nothing yet\n").unwrap();
    let (code, _, stderr) = run(None, empty.to_str().unwrap());
    assert_eq!(
        (code, stderr.trim_end()),
        (Some(1), format!("mediadesk: --links: {} lists no link", empty.display()).as_str())
    );
    let (code, _, stderr) = run(None, "/nonexistent/list.txt");
    assert!(code == Some(1) && stderr.contains("--links: cannot read /nonexistent/list.txt"), "{stderr}");
}

/// Past `MEDIADESK_LINK_IMPORT_CONCURRENCY` fetches, a link waits for a turn: with one turn, a
/// quick link asked while a stalled one holds it is fetched only once that one gave up.
async fn a_process_fetches_only_so_many_links_at_once(env: TestEnv) {
    use mediadesk::domain::Owner;
    use mediadesk::media::{Actor, MediaError, Upload};
    let far = FarSite::start().await;
    let env = env.with_links(Some("127.0.0.1/32"), IDLE).with_link_turns(1);
    let media = env.media.clone();
    let stall = far.url("/stall.jpg");
    let first = tokio::spawn(async move {
        media.add_from_link(&Actor::operator(), Upload::new(Owner::System, ""), &stall).await
    });
    poll("the stalled fetch under way", PATIENCE, async || {
        if far.requests() == 1 { Ok(()) } else { Err(far.requests().to_string()) }
    })
    .await;
    let asked = std::time::Instant::now();
    let quick = far.url("/photos/harbour.jpg");
    let second = env.media.add_from_link(&Actor::operator(), Upload::new(Owner::System, ""), &quick).await;
    assert!(second.is_ok(), "{second:?}");
    assert!(asked.elapsed() >= IDLE / 2, "it waited for the stalled one: {:?}", asked.elapsed());
    assert!(matches!(first.await.unwrap(), Err(MediaError::Fetch(_))));
}

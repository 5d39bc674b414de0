//! A share link in Chromium, opened as its recipient does: a fresh browser with no cookies and
//! no account. The clip plays from the public page (its bytes through the short-lived URL),
//! the page fits a phone; revoked by its maker, the page and its bytes are gone.

use mediadesk::auth::Role;

use crate::common::browser::Browser;
use crate::common::server::{TestClient, TestServer, password_of};
use crate::common::*;

backend_tests!(a_recipient_plays_a_shared_clip_until_it_is_revoked, moments_read_in_the_readers_own_zone);

/// Plays the page's clip muted for a moment: "playing" once its time moves; else what went wrong.
const PLAY: &str = "const a = document.getElementById('player'); a.muted = true; \
    return a.play().then(() => new Promise(r => setTimeout(() => \
        r(a.currentTime > 0 && !a.paused ? 'playing' : 'stuck at ' + a.currentTime), 800))) \
        .catch(e => 'refused: ' + e + ' / ' + (a.error && a.error.code));";

/// Ann, signed in, with a clip she has made a link to (`fields` of the link's form); the clip's
/// page.
async fn shared_clip(server: &TestServer, fields: &[(&str, &str)]) -> (TestClient, String) {
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let item = ann.upload_one("gulls.flac", fixture_bytes("tone.flac")).await;
    let made = ann.post(&item, &format!("{item}/share"), fields).await;
    assert_eq!(made.status, 303);
    (ann, item)
}

async fn a_recipient_plays_a_shared_clip_until_it_is_revoked(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    let (ann, item) = shared_clip(&server, &[("lifetime", "3600"), ("download", "1")]).await;
    let url = ann.get(&item).await.all("id=\"share-url\" readonly value=\"").pop().expect("the link");
    let link = url[url.find("/s/").unwrap()..].to_owned();
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.resize(390, 844).await;
        b.goto(&link).await;
        let cookies = b.js("return document.cookie;").await;
        assert_eq!(cookies, "", "a recipient has no session");
        assert_eq!(b.count("header.top, nav").await, 0, "no admin chrome");
        assert_eq!(b.js(PLAY).await, "playing");
        let wide = b.js("return document.documentElement.scrollWidth;").await.as_i64().unwrap();
        assert!(wide <= 390, "the page is {wide} px wide at 390");
        assert_eq!(b.count("a[href$='/download']").await, 1);
        b.screenshot("share").await;

        // Its maker revokes it: the page and its bytes are gone at once.
        let id = ann
            .get(&item)
            .await
            .body
            .split("action=\"/shares/")
            .nth(1)
            .and_then(|r| r.split('/').next().map(str::to_owned))
            .expect("a revoke button");
        let done = ann.post(&item, &format!("/shares/{id}/revoke"), &[]).await;
        assert_eq!(done.status, 303);
        let status = b.js(&format!("return fetch('{link}/file').then(r => r.status);")).await;
        assert_eq!(status, 404);
        b.goto(&link).await;
        let heading = b.js("return document.querySelector('h1').textContent;").await;
        assert_eq!(heading, "This link does not work");
        assert_eq!(b.count("#player").await, 0);
    })
    .await;
}

/// Each `<time>` on the page: its `datetime`, its text and its title.
const TIMES: &str =
    "return [...document.querySelectorAll('time')].map(t => [t.dateTime, t.textContent, t.title]);";

const ZONE_FORM: &str = "return [document.querySelector('input[data-offset]').value, \
                         document.querySelector('[data-zone]').textContent];";

/// `2026-01-02 03:04`, as pages write a moment.
fn minutes(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// Pages write moments in UTC and say so; with the script, a reader in India (UTC+5:30 all
/// year) reads them in India's time, the zone named, and the UTC in the title. The audit log
/// keeps its seconds.
async fn moments_read_in_the_readers_own_zone(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    let (ann, item) = shared_clip(&server, &[("lifetime", "3600")]).await;

    // Without the script: the upload, the link's making and its end, each in UTC, said so.
    let page = ann.get(&item).await;
    let (stamps, body) = (page.all("<time datetime=\""), page.body);
    assert_eq!(stamps.len(), 3, "uploaded, made, until: {body}");
    for iso in &stamps {
        let at =
            chrono::NaiveDateTime::parse_from_str(iso, "%Y-%m-%dT%H:%M:%SZ").expect("an ISO moment in UTC");
        assert!(body.contains(&format!("<time datetime=\"{iso}\">{} UTC</time>", minutes(at))), "{iso}");
    }
    let card = ann.get("/media").await.body;
    assert!(card.contains(&format!("<time datetime=\"{}\">", stamps[0])), "the card says when: {card}");

    server.account("ada", Role::Admin).await;
    let audit = server.client();
    audit.sign_in("ada", &password_of("ada")).await;
    let audit = audit.get("/admin/audit").await;
    let (stamps, body) = (audit.all("<time datetime=\""), &audit.body);
    assert!(stamps.len() >= 3 && body.contains("<th scope=\"col\">When</th>"), "{body}");
    for iso in &stamps {
        let at = chrono::NaiveDateTime::parse_from_str(iso, "%Y-%m-%dT%H:%M:%SZ").expect("ISO");
        let written = format!("<time datetime=\"{iso}\">{} UTC</time>", at.format("%Y-%m-%d %H:%M:%S"));
        assert!(body.contains(&written), "to the second: {iso}");
    }

    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.time_zone("Asia/Kolkata").await;
        b.sign_in("ann").await;
        let india = chrono::Duration::minutes(330);
        let pages = [(item.as_str(), true), ("/media", false), ("/shares", true), ("/admin/audit", true)];
        for (path, named) in pages {
            if path == "/admin/audit" {
                b.client.delete_all_cookies().await.expect("sign out");
                b.sign_in("ada").await;
            }
            let minutes = |t: chrono::NaiveDateTime| match path {
                "/admin/audit" => t.format("%Y-%m-%d %H:%M:%S").to_string(),
                _ => minutes(t),
            };
            b.goto(path).await;
            let times = b.js(TIMES).await;
            let times = times.as_array().expect("a list");
            assert!(!times.is_empty(), "{path} shows when");
            for t in times {
                let [iso, text, title] = [0, 1, 2].map(|i| t[i].as_str().expect("text").to_owned());
                let utc = chrono::NaiveDateTime::parse_from_str(&iso, "%Y-%m-%dT%H:%M:%SZ").expect("ISO");
                assert_eq!(title, format!("{} UTC", minutes(utc)), "{path}");
                let local = minutes(utc + india);
                if named {
                    let zone =
                        text.strip_prefix(&format!("{local} ")).unwrap_or_else(|| panic!("{path}: {text}"));
                    assert!(["GMT+5:30", "IST"].contains(&zone), "{path}: India's zone named, not {zone:?}");
                } else {
                    assert_eq!(text, local, "{path}: a card has no room for the zone's name");
                }
            }
        }
        // The log's day filters are sent with the reader's offset, and the page says so.
        let form = b.js(ZONE_FORM).await;
        assert_eq!(form, serde_json::json!(["330", "Days and times are in your time zone."]));
    })
    .await;
}

//! A share link in Chromium, opened as its recipient does: a fresh browser with no cookies and
//! no account. The clip plays from the public page (its bytes through the short-lived URL),
//! the page fits a phone; revoked by its maker, the page and its bytes are gone.

use mediadesk::auth::Role;

use crate::common::browser::Browser;
use crate::common::*;

backend_tests!(a_recipient_plays_a_shared_clip_until_it_is_revoked);

/// Plays the page's clip muted for a moment: "playing" once its time moves; else what went wrong.
const PLAY: &str = "const a = document.getElementById('player'); a.muted = true; \
    return a.play().then(() => new Promise(r => setTimeout(() => \
        r(a.currentTime > 0 && !a.paused ? 'playing' : 'stuck at ' + a.currentTime), 800))) \
        .catch(e => 'refused: ' + e + ' / ' + (a.error && a.error.code));";

async fn a_recipient_plays_a_shared_clip_until_it_is_revoked(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let page = ann.upload(&[("gulls.flac", fixture_bytes("tone.flac"))], None, true).await;
    let v: serde_json::Value = serde_json::from_str(&page.body).expect("JSON");
    let item = v["results"][0]["url"].as_str().expect("item").to_owned();
    let made = ann.post(&item, &format!("{item}/share"), &[("lifetime", "3600"), ("download", "1")]).await;
    assert_eq!(made.status, 303);
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

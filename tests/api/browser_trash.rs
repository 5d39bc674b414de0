//! The trash in Chromium, as a user meets it: a clip plays from its page; deleted, its old
//! link no longer plays anywhere; restored from the Trash page, it plays again from a new link.

use mediadesk::auth::Role;

use crate::common::browser::Browser;
use crate::common::*;

backend_tests!(a_trashed_clip_stops_playing_and_plays_again_once_restored);

/// Plays the page's clip muted for a moment: "playing" once its time moves; else what went wrong.
const PLAY: &str = "const a = document.getElementById('player'); a.muted = true; \
    return a.play().then(() => new Promise(r => setTimeout(() => \
        r(a.currentTime > 0 && !a.paused ? 'playing' : 'stuck at ' + a.currentTime), 800))) \
        .catch(e => 'refused: ' + e + ' / ' + (a.error && a.error.code));";

/// Loads `src` into the page's player: "error" when the browser cannot get it.
fn load(src: &str) -> String {
    format!(
        "const a = document.getElementById('player'); a.src = {src:?}; a.load(); \
         return new Promise(r => {{ a.onerror = () => r('error'); a.onloadeddata = () => r('loaded'); \
         setTimeout(() => r('neither'), 5000); }});"
    )
}

async fn a_trashed_clip_stops_playing_and_plays_again_once_restored(env: TestEnv) {
    let backend = env.backend;
    let server = env.with_trash(30).start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let page = ann.upload(&[("gulls.flac", fixture_bytes("tone.flac"))], None, false).await;
    let item = page
        .all("href=\"/media/")
        .into_iter()
        .find(|h| h.starts_with("audio/"))
        .map(|h| format!("/media/{h}"))
        .expect("the uploaded clip's page");
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.sign_in("ann").await;

        b.goto(&item).await;
        assert_eq!(b.js(PLAY).await, "playing");
        let old = b.js("return document.getElementById('player').src;").await.as_str().unwrap().to_owned();
        assert_eq!(b.js(&load(&old)).await, "loaded", "the check below can tell a live link");

        // Delete from the clip's page: confirm, and the gallery says where it went.
        b.find(&format!("a[href^='{item}/delete']")).await.click().await.expect("open delete");
        b.find("form button.danger").await.click().await.expect("move to the trash");
        b.wait_for_path("/media").await;
        let flash = b.js("return document.querySelector('.flash-ok').textContent;").await;
        assert!(flash.as_str().is_some_and(|t| t.contains("Moved gulls.flac to the Trash")), "{flash}");

        // The old link no longer plays (outside the browser it answers 404: trash.rs).
        b.goto("/media").await;
        b.js("document.body.insertAdjacentHTML('beforeend', '<audio id=\"player\"></audio>'); return 1;")
            .await;
        assert_eq!(b.js(&load(&old)).await, "error", "the old link still plays: {old}");

        // Restore it from the Trash page by ticking it.
        b.goto("/trash").await;
        b.screenshot("trash").await;
        b.find("ul.trash-list label").await.click().await.expect("tick the clip");
        b.find("button[value=restore]").await.click().await.expect("restore");
        b.wait_for_flash("Restored gulls.flac").await;

        b.goto(&item).await;
        let new = b.js("return document.getElementById('player').src;").await.as_str().unwrap().to_owned();
        assert_ne!(new, old, "a new link");
        assert_eq!(b.js(PLAY).await, "playing");
        assert_eq!(b.js(&load(&old)).await, "error", "the link from before the trash stays dead");
    })
    .await;
}

//! End to end in a real (headless) Chromium with JavaScript on: sign in, upload through the
//! XHR uploader, see the gallery thumbnail load through its signed URL, play and seek audio
//! (which needs HTTP range requests on the signed URL: the app's `/files/...` route for the
//! local store, a presigned URL for S3), and delete through the confirmation page.

use mediadesk::auth::Role;
use serde_json::Value;

use crate::common::browser::{Browser, PATIENCE, artifacts_dir, poll};
use crate::common::fixture;
use crate::common::server::{TestClient, TestServer, password_of};

use crate::common::TestEnv;

const IMAGE: &str = "image.jpg";
/// 12 s (mostly near-silent): long enough to seek into the middle.
const AUDIO: &str = "tone-vbr-noxing.mp3";

backend_tests!(
    browser_sign_in_upload_play_seek_delete,
    browser_gallery_plays_one_clip_at_a_time_and_space_toggles,
    browser_every_page_fits_390_px_and_errors_keep_the_navigation,
    browser_work_survives_the_end_of_a_session
);

/// A transcript typed while the session ran out comes back after sign-in, on the same page;
/// the script uploader says what happened and what to do, for an ended session and for a
/// page whose token is stale.
async fn browser_work_survives_the_end_of_a_session(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    let (http, _) = server.signed_in("ann", Role::User).await;
    let page = http.upload(&[("talk.flac", crate::common::fixture_bytes("tone.flac"))], None, false).await;
    assert!(page.body.contains("1 accepted"), "{}", page.body);
    let detail = http.get("/media?type=audio").await.all("<a class=\"name\" href=\"").remove(0);
    let detail = detail.split('?').next().unwrap().to_owned();
    let clock = server.clock.clone();
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        let sign_in = async || {
            b.find("#username").await.send_keys("ann").await.expect("type username");
            b.find("#password").await.send_keys(&password_of("ann")).await.expect("type password");
            b.find("form[action='/signin'] button[type=submit]").await.click().await.expect("submit sign-in");
        };
        b.goto("/signin").await;
        sign_in().await;
        b.wait_for_path("/media").await;
        b.goto(&detail).await;
        let text = "Said at the meeting: the budget doubles.";
        b.find("#transcript").await.send_keys(text).await.expect("type the transcript");
        clock.advance(2 * 3600);
        b.find(&format!("form[action='{detail}/transcript'] button[type=submit]"))
            .await
            .click()
            .await
            .expect("save");
        b.wait_for_path("/signin").await;
        sign_in().await;
        b.wait_for_path(&detail).await;
        let typed = b.js("return document.getElementById('transcript').value;").await;
        assert_eq!(typed.as_str(), Some(text), "the text is back in the box");
        let note = b.js("return document.querySelector('.flash-note').textContent;").await;
        assert!(note.as_str().unwrap().contains("signed out before your transcript was saved"), "{note}");
        b.screenshot("kept-transcript").await;
        // The script uploader, signed out meanwhile.
        b.goto("/upload").await;
        clock.advance(2 * 3600);
        let file = fixture("image.png").to_str().unwrap().to_owned();
        let uploader_says = async || {
            poll("the uploader to answer", PATIENCE, async || {
                let t = b.js("return document.getElementById('results').innerText;").await;
                let t = t.as_str().unwrap_or("").to_owned();
                if t.contains("—") { Ok(t) } else { Err(t) }
            })
            .await
        };
        b.find("#files").await.send_keys(&file).await.expect("choose a file");
        b.find("#upload-form button[type=submit]").await.click().await.expect("submit upload");
        let said = uploader_says().await;
        assert!(said.contains("You were signed out — sign in again"), "{said}");
        let link = b.js("return document.querySelector('#results a').getAttribute('href');").await;
        assert_eq!(link.as_str(), Some("/signin?next=%2Fupload"));
        // A page whose form token no longer matches the session.
        b.goto("/signin").await;
        sign_in().await;
        b.wait_for_path("/media").await;
        b.goto("/upload").await;
        b.js("document.querySelector('#upload-form [name=csrf_token]').value = 'stale'; return 0;").await;
        b.find("#files").await.send_keys(&file).await.expect("choose a file");
        b.find("#upload-form button[type=submit]").await.click().await.expect("submit upload");
        let said = uploader_says().await;
        assert!(said.contains("This page expired — reload it"), "{said}");
    })
    .await;
}

/// The filter labels whose field wrapped onto another line than theirs ("Owner" ending one line,
/// its menu starting the next).
const APART: &str = "return [...document.querySelectorAll('form.filters label[for]')].filter(l => {
        const f = document.getElementById(l.htmlFor);
        if (!f) return false;
        const a = l.getBoundingClientRect(), b = f.getBoundingClientRect();
        return a.bottom <= b.top || b.bottom <= a.top;
    }).map(l => l.textContent.trim());";

async fn browser_every_page_fits_390_px_and_errors_keep_the_navigation(env: TestEnv) {
    let backend = env.backend;
    let server = env.with_trash(30).start_server().await;
    server.account("admin", Role::Admin).await;
    let (http, _) = server.signed_in("staff-with-a-rather-long-name", Role::Staff).await;
    let long = format!("{}.png", "a-very-long-file-name-without-any-break-".repeat(4));
    // The long-named image twice (kept as a duplicate), for the Duplicates page.
    for (name, fixture) in
        [(long.as_str(), "image.png"), ("tone.flac", "tone.flac"), (long.as_str(), "image.png")]
    {
        let page = http.upload(&[(name, crate::common::fixture_bytes(fixture))], Some("system"), false).await;
        assert!(page.body.contains("1 accepted"), "{}", page.body);
    }
    let detail = http.get("/media?type=image").await.all("<a class=\"name\" href=\"").remove(0);
    let detail = crate::common::server::html_unescape(&detail);
    // A system collection with a long name, inside another, holding the image.
    let name = "a-collection-name-without-any-break-".repeat(2);
    let made = http.post("/collections", "/collections", &[("name", "Outer"), ("owner", "system")]).await;
    let outer = made.location().trim_start_matches("/collections/").to_owned();
    let made = http.post("/collections", "/collections", &[("name", &name), ("parent", &outer)]).await;
    let collection = made.location().to_owned();
    let item = detail.split('?').next().unwrap().to_owned();
    let id = collection.trim_start_matches("/collections/").to_owned();
    let added = http.post(&item, &format!("{item}/collections"), &[("collection", &id)]).await;
    assert_eq!(added.status, 303, "{}", added.body);
    let collection_edit = format!("{collection}/edit");
    let viewer = format!("{item}/view");
    let audio = http.get("/media?type=audio").await.all("<a class=\"name\" href=\"").remove(0);
    let audio_viewer =
        format!("{}/view", crate::common::server::html_unescape(&audio).split('?').next().unwrap());
    // The image's file replaced by one with a long name, so its page lists a version.
    let replacement = format!("{}.jpg", "c-very-long-file-name-without-any-break-".repeat(4));
    let bytes = crate::common::fixture_bytes("image.jpg");
    let replaced = http.post_file(&item, &format!("{item}/replace"), &replacement, bytes).await;
    assert_eq!(replaced.status, 303, "{}", replaced.body);
    // A long-named item in the trash, for the trash page and the trashed item's own page.
    let trashed = format!("{}.png", "b-very-long-file-name-without-any-break-".repeat(4));
    let page =
        http.upload(&[(trashed.as_str(), crate::common::fixture_bytes("image.png"))], None, false).await;
    let trashed = page.all("href=\"/media/").into_iter().find(|h| h.starts_with("image/")).unwrap();
    let trashed = format!("/media/{}", trashed.split('?').next().unwrap());
    let gone = http.post(&trashed, &format!("{trashed}/delete"), &[("step", "delete")]).await;
    assert_eq!(gone.status, 303);
    // Text of one long word wherever people type it: a caption, a tag, a region's name, a share
    // link's note (on the item, on Shares, on the link's own page, and in the audit log).
    let audio_item = crate::common::server::html_unescape(&audio).split('?').next().unwrap().to_owned();
    let word = |c: &str, n: usize| c.repeat(n);
    let caption = word("d", 400);
    let described = http.post(&item, &format!("{item}/describe"), &[("caption", &caption)]).await;
    assert_eq!(described.status, 303, "{}", described.body);
    let tagged = http.post(&item, &format!("{item}/tags"), &[("tags", &word("t", 50))]).await;
    assert_eq!(tagged.status, 303, "{}", tagged.body);
    let region = [("label", word("r", 200)), ("start", "0.1".into()), ("end", "0.3".into())];
    let region: Vec<(&str, &str)> = region.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let regioned = http.post(&audio_item, &format!("{audio_item}/regions"), &region).await;
    assert_eq!(regioned.status, 303, "{}", regioned.body);
    let note = word("n", 500);
    let shared = http.post(&item, &format!("{item}/share"), &[("lifetime", "3600"), ("note", &note)]).await;
    assert_eq!(shared.status, 303, "{}", shared.body);
    let link = http.get(&item).await.all("id=\"share-url\" readonly value=\"").pop().unwrap();
    let link = link[link.find("/s/").unwrap()..].to_owned();
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.resize(390, 844).await;
        b.goto("/signin").await;
        b.find("#username").await.send_keys("admin").await.expect("type username");
        b.find("#password").await.send_keys(&password_of("admin")).await.expect("type password");
        b.find("form[action='/signin'] button[type=submit]").await.click().await.expect("submit sign-in");
        b.wait_for_path("/media").await;
        for path in [
            "/media",
            "/media?owner=mine",
            "/upload",
            "/admin/users",
            "/admin/audit",
            "/collections",
            "/describe",
            "/describe?kind=audio",
            collection.as_str(),
            collection_edit.as_str(),
            detail.as_str(),
            viewer.as_str(),
            audio_viewer.as_str(),
            "/trash",
            "/trash/empty",
            "/duplicates",
            trashed.as_str(),
            audio_item.as_str(),
            "/shares",
            link.as_str(),
            "/media/image/999999",
            "/no-such-page",
        ] {
            b.goto(path).await;
            let sideways = b.sideways().await;
            assert!(sideways <= 0, "{path} scrolls sideways by {sideways} px at 390 px");
            let apart = b.js(APART).await;
            assert_eq!(
                apart,
                serde_json::json!([]),
                "{path}: filter labels on another line than their field"
            );
        }
        // Nor at a desktop's width, where the gallery's filters take two lines.
        b.resize(1280, 900).await;
        for path in ["/media", "/admin/audit", "/shares", "/trash"] {
            b.goto(path).await;
            let apart = b.js(APART).await;
            assert_eq!(
                apart,
                serde_json::json!([]),
                "{path}: filter labels on another line than their field"
            );
        }
        b.resize(390, 844).await;
        b.goto("/media").await;
        b.screenshot("gallery-390").await;
        b.goto("/admin/users").await;
        b.screenshot("accounts-390").await;
        b.goto(&collection).await;
        b.screenshot("collection-390").await;
        // The viewer at 390 px: the image fits the window, the bar's links are all on screen.
        b.goto(&viewer).await;
        let fits = b
            .js("const i = document.getElementById('preview').getBoundingClientRect();
                 const bar = [...document.querySelectorAll('.viewer-bar a')]
                     .map(a => a.getBoundingClientRect());
                 return i.width <= innerWidth && i.bottom <= innerHeight
                     && bar.every(r => r.right <= innerWidth);")
            .await;
        assert_eq!(fits, true, "the viewer fits 390 px");
        b.screenshot("viewer-390").await;
        // Error pages keep the navigation and who is signed in.
        for path in ["/media/image/999999", "/no-such-page"] {
            b.goto(path).await;
            assert_eq!(b.count("header nav a[href='/media?owner=mine']").await, 1, "{path}: navigation");
            let who = b.js("return document.querySelector('.who').textContent;").await;
            assert!(who.as_str().unwrap().contains("admin"), "{path}: {who}");
        }
        // Long card names take two lines at most.
        b.goto("/media?type=image").await;
        let lines = b
            .js("const n = document.querySelector('.meta .name'); \
                 return n.getBoundingClientRect().height / parseFloat(getComputedStyle(n).lineHeight);")
            .await;
        assert!(lines.as_f64().unwrap() <= 2.05, "a card name is {lines} lines high");
    })
    .await;
}

async fn browser_sign_in_upload_play_seek_delete(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    server.account("admin", Role::Admin).await;
    let base = server.base.clone();
    Browser::run(backend, &base, |b| flow(&server, b)).await;
}

async fn browser_gallery_plays_one_clip_at_a_time_and_space_toggles(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    let (http, _) = server.signed_in("staff", Role::Staff).await;
    for name in [AUDIO, "tone.flac"] {
        let page = http.upload(&[(name, crate::common::fixture_bytes(name))], Some("system"), false).await;
        assert!(page.body.contains("1 accepted"), "{}", page.body);
    }
    let base = server.base.clone();
    Browser::run(backend, &base, gallery_playback).await;
}

async fn gallery_playback(b: Browser) {
    b.goto("/signin").await;
    b.find("#username").await.send_keys("staff").await.expect("type username");
    b.find("#password").await.send_keys(&password_of("staff")).await.expect("type password");
    b.find("form[action='/signin'] button[type=submit]").await.click().await.expect("submit sign-in");
    b.wait_for_path("/media").await;
    assert_eq!(
        b.count("ul.grid li.card-audio svg.mini-wave").await,
        2,
        "each audio row shows a mini waveform"
    );
    let playing = "return Array.from(document.querySelectorAll('audio.mini')).map(a => !a.paused);";
    b.js("document.querySelectorAll('audio.mini')[0].muted = true; \
        document.querySelectorAll('audio.mini')[1].muted = true; \
        document.querySelectorAll('audio.mini')[0].play();")
        .await;
    poll("the first clip to play", PATIENCE, async || {
        let p = b.js(playing).await;
        if p == serde_json::json!([true, false]) { Ok(()) } else { Err(p.to_string()) }
    })
    .await;
    b.js("document.querySelectorAll('audio.mini')[1].play();").await;
    poll("starting the second clip to pause the first", PATIENCE, async || {
        let p = b.js(playing).await;
        if p == serde_json::json!([false, true]) { Ok(()) } else { Err(p.to_string()) }
    })
    .await;
    // Space on the focused card's link toggles that card's clip.
    let second_link = "ul.grid li.card-audio:nth-child(2) a.name";
    b.find(second_link).await.send_keys(" ").await.expect("press Space on the card");
    poll("Space to pause the focused clip", PATIENCE, async || {
        let p = b.js(playing).await;
        if p == serde_json::json!([false, false]) { Ok(()) } else { Err(p.to_string()) }
    })
    .await;
    b.find(second_link).await.send_keys(" ").await.expect("press Space again");
    poll("Space to play it again", PATIENCE, async || {
        let p = b.js(playing).await;
        if p == serde_json::json!([false, true]) { Ok(()) } else { Err(p.to_string()) }
    })
    .await;
    // The mini waveform seeks: a click in its middle plays that clip from about halfway, and
    // the played part is tinted.
    b.js("document.querySelectorAll('audio.mini')[1].pause();").await;
    let long_clip = "ul.grid li.card-audio:has(audio[data-duration-ms='12042'])";
    b.find(&format!("{long_clip} svg.mini-wave")).await.click().await.expect("click the mini waveform");
    let state = poll("the click to seek and play", PATIENCE, async || {
        let s = b
            .js(&format!(
                "const c = document.querySelector(\"{long_clip}\"); const a = c.querySelector('audio'); \
                 return {{ t: a.currentTime, playing: !a.paused, \
                          tint: Number(c.querySelector('.played-rect').getAttribute('width')) }};"
            ))
            .await;
        let t = s["t"].as_f64().unwrap_or(0.0);
        if s["playing"] == true && t > 5.0 && s["tint"].as_f64().unwrap_or(0.0) > 0.0 {
            Ok(s)
        } else {
            Err(s.to_string())
        }
    })
    .await;
    assert!(state["t"].as_f64().unwrap() < 9.0, "about halfway into 12 s: {state}");
    // The tint is on the screen, not only in the markup: the played left part of the waveform
    // turns blue, the unplayed quiet middle does not.
    b.js(&format!("document.querySelector(\"{long_clip} audio\").pause(); return 0;")).await;
    let bbox = b
        .js(&format!(
            "const r = document.querySelector(\"{long_clip} svg.mini-wave\").getBoundingClientRect(); \
             return [r.left, r.top, r.width, r.height, window.devicePixelRatio];"
        ))
        .await;
    let v: Vec<f64> = bbox.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    let shot = image::load_from_memory(&b.screenshot("gallery-seek").await).unwrap().to_rgb8();
    // The share of the waveform's pixels between `x0` and `x1` (fractions of its width) that are
    // blue-tinted.
    let tinted = |x0: f64, x1: f64| {
        let (y0, y1) = ((v[1] * v[4]) as u32, ((v[1] + v[3]) * v[4]) as u32);
        let (from, to) = (((v[0] + x0 * v[2]) * v[4]) as u32, ((v[0] + x1 * v[2]) * v[4]) as u32);
        let pixels: Vec<_> = (from..to).flat_map(|x| (y0..y1).map(move |y| (x, y))).collect();
        let blue = pixels.iter().filter(|(x, y)| {
            let p = shot.get_pixel(*x, *y);
            i32::from(p[2]) - i32::from(p[0]) > 14
        });
        blue.count() as f64 / pixels.len() as f64
    };
    let (played, unplayed) = (tinted(0.05, 0.4), tinted(0.62, 0.78));
    assert!(played > 0.5 && unplayed < 0.1, "tinted where played: {played:.2}, elsewhere {unplayed:.2}");
}

async fn flow(server: &TestServer, b: Browser) {
    let http = server.client();

    // ---- sign in
    b.goto("/signin").await;
    b.find("#username").await.send_keys("admin").await.expect("type username");
    b.find("#password").await.send_keys(&password_of("admin")).await.expect("type password");
    b.find("form[action='/signin'] button[type=submit]").await.click().await.expect("submit sign-in");
    b.wait_for_path("/media").await;

    // ---- upload both files in one go through app.js (one XHR per file)
    b.goto("/upload").await;
    let paths = [fixture(IMAGE), fixture(AUDIO)].map(|p| p.to_str().expect("utf-8 path").to_owned());
    b.find("#files").await.send_keys(&paths.join("\n")).await.expect("choose files");
    assert_eq!(b.js("return document.getElementById('files').files.length").await, 2, "both files chosen");
    b.find("#upload-form button[type=submit]").await.click().await.expect("submit upload");
    poll("both uploads to be accepted", PATIENCE, async || {
        let state = b
            .js("const r = document.getElementById('results');
                 return { ok: r.querySelectorAll('li.result.result-ok').length,
                          refused: r.querySelectorAll('li.result.result-refused').length,
                          text: r.innerText };")
            .await;
        assert_eq!(state["refused"], 0, "an upload was refused: {}", state["text"]);
        if state["ok"] == 2 { Ok(()) } else { Err(state.to_string()) }
    })
    .await;
    assert_eq!(b.path().await, "/upload", "the JS uploader stays on the page");
    b.screenshot("upload").await;

    // ---- gallery: the thumbnail really loads through its signed URL
    b.goto("/media").await;
    let thumb = format!("ul.grid li.card a.thumb img[alt='{IMAGE}']");
    let thumb_src = poll("the thumbnail to load", PATIENCE, async || {
        let img = b
            .js(&format!(
                "const i = document.querySelector(\"{thumb}\");
                 return i && {{ complete: i.complete, width: i.naturalWidth, src: i.getAttribute('src') }};"
            ))
            .await;
        match img.get("width").and_then(Value::as_u64) {
            Some(w) if w > 0 => Ok(img["src"].as_str().expect("src").to_owned()),
            _ if img["complete"] == true => panic!("the thumbnail failed to load: {img}"),
            _ => Err(img.to_string()),
        }
    })
    .await;
    assert_eq!(b.count("ul.grid li.card audio.mini").await, 1, "the clip is in the gallery");
    let (status, _, _) = http.get_bytes(&thumb_src, None).await;
    assert_eq!(status, 200, "the thumbnail URL works before the delete");
    let image_detail = b.find_link(IMAGE).await.attr("href").await.unwrap().expect("image detail link");
    let gallery_png = b.screenshot("gallery").await;

    // ---- audio detail: play, then seek to 8 s and keep playing
    b.find_link(AUDIO).await.click().await.expect("open the audio detail page");
    poll("the audio detail page", PATIENCE, async || {
        let path = b.path().await;
        if path.starts_with("/media/audio/") { Ok(()) } else { Err(path) }
    })
    .await;
    let src = b.find("audio#player").await.attr("src").await.unwrap().expect("player src");
    check_range_request(&http, &src).await;
    let started = b
        .js("const p = document.getElementById('player');
             p.muted = true;
             return p.play().then(() => 'playing', e => 'play() failed: ' + e);")
        .await;
    assert_eq!(started, "playing");
    let state = "const p = document.getElementById('player');
         return { t: p.currentTime, paused: p.paused, seeking: p.seeking, ended: p.ended,
                  ready: p.readyState, network: p.networkState, error: p.error && p.error.code,
                  duration: p.duration,
                  seekable: p.seekable.length ? p.seekable.end(p.seekable.length - 1) : 0 };";
    poll("playback to pass 0.3 s", PATIENCE, async || {
        let s = b.js(state).await;
        assert!(s["error"].is_null(), "the player failed: {s}");
        if s["t"].as_f64().unwrap_or(0.0) > 0.3 { Ok(()) } else { Err(s.to_string()) }
    })
    .await;
    let s = b.js(state).await;
    // An origin without range support gives an empty (unseekable) range in Chromium.
    assert!(s["seekable"].as_f64().unwrap_or(0.0) >= 8.0, "the clip is seekable to 8 s: {s}");
    b.js("document.getElementById('player').currentTime = 8;").await;
    let landed = poll("the seek to 8 s", PATIENCE, async || {
        let s = b.js(state).await;
        assert!(s["error"].is_null(), "the player failed after seeking: {s}");
        let t = s["t"].as_f64().unwrap_or(0.0);
        if t >= 8.0 && s["seeking"] == false { Ok(t) } else { Err(s.to_string()) }
    })
    .await;
    poll("playback to go on after the seek", PATIENCE, async || {
        let s = b.js(state).await;
        assert!(s["error"].is_null(), "the player failed after seeking: {s}");
        let t = s["t"].as_f64().unwrap_or(0.0);
        assert!(t >= 8.0, "playback jumped back to {t} after the seek: {s}");
        if t >= landed + 0.5 { Ok(()) } else { Err(s.to_string()) }
    })
    .await;
    // A still picture for the screenshot: paused at 8 s.
    b.js("const p = document.getElementById('player'); p.pause(); p.currentTime = 8;").await;
    poll("the paused player to settle", PATIENCE, async || {
        let s = b.js(state).await;
        if s["seeking"] == false && s["paused"] == true { Ok(()) } else { Err(s.to_string()) }
    })
    .await;
    let detail_png = b.screenshot("detail-audio").await;

    // ---- the waveform: an inline SVG under the player; a click seeks to where it lands
    assert_eq!(b.count("svg#wave path.wave-all").await, 1, "the waveform is drawn");
    b.find("svg#wave").await.click().await.expect("click the waveform");
    let exact = b.js("return Number(document.getElementById('player').dataset.durationMs) / 1000;").await;
    let half = exact.as_f64().expect("the page carries the exact duration") / 2.0;
    poll("the click on the waveform's middle to seek there", PATIENCE, async || {
        let s = b.js(state).await;
        let t = s["t"].as_f64().unwrap_or(0.0);
        if (t - half).abs() < 0.5 && s["seeking"] == false {
            Ok(())
        } else {
            Err(format!("want ≈{half}: {s}"))
        }
    })
    .await;
    let tinted = b
        .js("return Number(document.getElementById('played-rect').getAttribute('width')) / \
            document.getElementById('wave').viewBox.baseVal.width;")
        .await;
    assert!((tinted.as_f64().unwrap_or(0.0) - 0.5).abs() < 0.05, "the played half is tinted: {tinted}");

    // ---- image detail: the full image loads
    b.goto(&image_detail).await;
    poll("the preview to load", PATIENCE, async || {
        let img = b
            .js("const i = document.getElementById('preview');
                 return i && { complete: i.complete, width: i.naturalWidth };")
            .await;
        match img.get("width").and_then(Value::as_u64) {
            Some(64) => Ok(()),
            Some(w) if w > 0 => panic!("the preview is {w} px wide, not 64: {img}"),
            _ if img["complete"] == true => panic!("the preview failed to load: {img}"),
            _ => Err(img.to_string()),
        }
    })
    .await;
    b.screenshot("detail-image").await;

    // ---- delete it: detail → confirmation → Delete → gallery without it
    b.find("a.button.danger[href$='/delete']").await.click().await.expect("follow the delete link");
    b.wait_for_path(&format!("{image_detail}/delete")).await;
    b.find("form button.danger[type=submit]").await.click().await.expect("confirm the delete");
    b.wait_for_path("/media").await;
    let flash = b.find("p.flash").await.text().await.expect("flash text");
    assert!(!flash.is_empty(), "a flash confirms the delete");
    assert_eq!(b.count(&thumb).await, 0, "the image is gone from the gallery");
    assert!(
        b.client.find(fantoccini::Locator::LinkText(IMAGE)).await.is_err(),
        "no link to the image is left"
    );
    assert_eq!(b.count("ul.grid li.card").await, 1, "the clip is still there");
    let (status, _, _) = http.get_bytes(&thumb_src, None).await;
    assert!(matches!(status, 403 | 404), "the old thumbnail URL must stop working, got {status}");

    // The README's pictures change only on request, not with every run's dates.
    if b.backend == "sqlite_local" && std::env::var_os("MEDIADESK_UPDATE_SCREENSHOTS").is_some() {
        save_doc_screenshot("gallery.png", &gallery_png);
        save_doc_screenshot("detail.png", &detail_png);
    }
    // Keep the artifacts folder discoverable from a test log.
    eprintln!("[{}] screenshots in {}", b.backend, artifacts_dir().display());
}

/// The signed media URL answers a byte range with 206: what the seek above relies on.
async fn check_range_request(http: &TestClient, src: &str) {
    let (status, headers, body) = http.get_bytes(src, Some("bytes=1000-1999")).await;
    assert_eq!(status, 206, "a range request on the signed audio URL");
    assert_eq!(body.len(), 1000);
    let range = headers.get("content-range").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(range.starts_with("bytes 1000-1999/"), "Content-Range: {range}");
}

/// The README's pictures, refreshed by the SQLite run (only rewritten when they changed).
pub fn save_doc_screenshot(name: &str, png: &[u8]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    let file = dir.join(name);
    if std::fs::read(&file).ok().as_deref() != Some(png) {
        std::fs::write(&file, png).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
    }
}

//! The audio player in Chromium: an ALAC clip (which Chromium cannot decode) plays through its
//! FLAC copy; the custom controls show the exact duration and move by keyboard (→ 5 s, End,
//! Home, Space); the "Match loudness" switch sets the clip's gain to what the server measured
//! (a Web Audio gain node where the bytes are this origin's, the element's volume where they
//! are S3's) and is remembered across pages. A region's link plays its range and stops at its
//! end, on the item page and on a share page; a drag across the waveform fills in a new region.

use std::process::Command;
use std::time::Duration;

use fantoccini::key::Key;
use mediadesk::auth::Role;
use mediadesk::domain::MediaKind;
use mediadesk::media::Actor;
use mediadesk::media::dto::MediaRead;

use crate::common::browser::{Browser, PATIENCE, poll};
use crate::common::*;

backend_tests!(
    browser_plays_alac_with_exact_time_keys_and_matched_loudness,
    browser_range_links_stop_at_their_end_and_a_drag_makes_a_region,
);

/// The player's position while it plays, −1 while paused.
const PLAYED: &str = "const a = document.getElementById('player'); return a.paused ? -1 : a.currentTime;";

async fn browser_plays_alac_with_exact_time_keys_and_matched_loudness(env: TestEnv) {
    let backend = env.backend;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quiet.m4a");
    // Twelve seconds of a quiet tone in ALAC: matched playback lifts it.
    let made = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=12"])
        .args(["-af", "volume=-12dB", "-ac", "2", "-c:a", "alac", path.to_str().unwrap()])
        .status()
        .expect("ffmpeg runs");
    assert!(made.success());
    let server = env.start_server().await;
    let (ann, ann_id) = server.signed_in("ann", Role::User).await;
    let item = ann.upload_one("quiet.m4a", std::fs::read(&path).unwrap()).await;
    assert!(server.app.media.settle(Duration::from_secs(60)).await);
    let id: i64 = item.rsplit('/').next().unwrap().parse().unwrap();
    let MediaRead::Audio(a) = server.app.media.get(&Actor::user(ann_id), MediaKind::Audio, id).await.unwrap()
    else {
        panic!("audio")
    };
    let gain = 10f64.powf(a.health.gain_db().expect("measured") / 20.0);
    assert!(gain > 1.0, "a quiet clip is lifted: {gain}");
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.sign_in("ann").await;
        b.goto(&item).await;
        assert_eq!(b.js("return document.getElementById('player').controls;").await, false);
        let time = b.js("return document.querySelector('.player .time').textContent;").await;
        assert_eq!(time, "0:00 / 0:12", "the exact duration, before anything loads");

        // The play button plays the ALAC item: its FLAC copy decodes in Chromium.
        b.js("document.getElementById('player').muted = true;").await;
        b.js("document.querySelector('.player .play').click();").await;
        poll("the clip to play", PATIENCE, async || {
            let t = b.js(PLAYED).await;
            let t = t.as_f64().unwrap_or(-1.0);
            if t > 0.3 { Ok(()) } else { Err(format!("currentTime {t}")) }
        })
        .await;
        assert_eq!(b.js("return document.getElementById('player').error;").await, serde_json::Value::Null);

        // Keys on the control set: pause with Space, → moves 5 s, End and Home go to the ends.
        let seek = b.find(".player .seek").await;
        seek.send_keys(" ").await.expect("Space");
        assert_eq!(b.js("return document.getElementById('player').paused;").await, true);
        let at = || b.js("return document.getElementById('player').currentTime;");
        let before = at().await.as_f64().unwrap();
        seek.send_keys(&Key::Right.to_string()).await.expect("→");
        let after = at().await.as_f64().unwrap();
        assert!((after - before - 5.0).abs() < 0.3, "→ moved from {before} to {after}");
        seek.send_keys(&Key::End.to_string()).await.expect("End");
        assert!(at().await.as_f64().unwrap() > 11.5);
        seek.send_keys(&Key::Home.to_string()).await.expect("Home");
        assert!(at().await.as_f64().unwrap() < 0.1);

        // Matched loudness: the gain the server measured, remembered on the next page.
        let applied = "const a = document.getElementById('player'); \
            return [a.mediadeskGain ? a.mediadeskGain.gain.value : null, a.volume];";
        let before = b.js(applied).await;
        assert!(before[0].is_null() || before[0].as_f64() == Some(1.0), "{before}");
        b.js("document.getElementById('match-loudness').click();").await;
        let on = b.js(applied).await;
        match backend {
            // This origin's bytes go through a gain node, which can lift a quiet clip.
            "sqlite_local" => {
                let g = on[0].as_f64().expect("a gain node");
                assert!((g - gain).abs() / gain < 1e-3, "gain node {g}, expected {gain}");
            }
            // S3's bytes cannot enter Web Audio without CORS: the volume, which cannot lift.
            _ => assert_eq!(on[1].as_f64(), Some(1.0), "{on}"),
        }
        b.goto(&item).await;
        assert_eq!(b.js("return document.getElementById('match-loudness').checked;").await, true);
        b.js("document.getElementById('match-loudness').click();").await;
        assert_eq!(b.js("return localStorage.getItem('mediadesk.match-loudness');").await, "0");
        b.resize(390, 844).await;
        let wide = b.js("return document.documentElement.scrollWidth;").await.as_i64().unwrap();
        assert!(wide <= 390, "the page is {wide} px wide at 390");
        b.screenshot("player").await;
    })
    .await;
}

/// Where the player stopped, once it has played and stopped; else what it is doing.
const STOPPED: &str = "const a = document.getElementById('player'); \
    return a.paused && a.currentTime > 0 ? a.currentTime : 'at ' + a.currentTime + ' ' + a.paused;";

async fn browser_range_links_stop_at_their_end_and_a_drag_makes_a_region(env: TestEnv) {
    let backend = env.backend;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ten.wav");
    let made = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=10"])
        .arg(&path)
        .status()
        .expect("ffmpeg runs");
    assert!(made.success());
    let server = env.start_server().await;
    let (ann, ann_id) = server.signed_in("ann", Role::User).await;
    let item = ann.upload_one("ten.wav", std::fs::read(&path).unwrap()).await;
    let id: i64 = item.rsplit('/').next().unwrap().parse().unwrap();
    let region = mediadesk::media::RegionInput { label: "Hook".into(), start: "1".into(), end: "2.5".into() };
    server.app.media.add_region(&Actor::user(ann_id), id, &region).await.unwrap();
    ann.post(&item, &format!("{item}/share"), &[("lifetime", "3600")]).await;
    let url = ann.get(&item).await.all("id=\"share-url\" readonly value=\"").pop().expect("the link");
    let link = url[url.find("/s/").unwrap()..].to_owned();
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.sign_in("ann").await;
        b.goto(&item).await;
        // The region's link plays 1 s to 2.5 s and stops there.
        b.find("a.region-play").await.click().await.expect("click the region");
        assert!(b.path().await.starts_with(&item));
        let stopped = poll("the range to end", PATIENCE, async || {
            let seen = b.js(STOPPED).await;
            seen.as_f64().ok_or_else(|| seen.to_string())
        })
        .await;
        assert!((2.45..2.8).contains(&stopped), "stopped at {stopped}");

        // A drag across the waveform, from a tenth to three tenths, fills in the form.
        b.js("const w = document.getElementById('wave'), r = w.getBoundingClientRect(); \
              const at = (t, f) => w.dispatchEvent(new PointerEvent(t, {bubbles: true, pointerId: 1, \
                  clientX: r.left + r.width * f, clientY: r.top + r.height / 2})); \
              at('pointerdown', 0.1); at('pointermove', 0.2); at('pointermove', 0.3); at('pointerup', 0.3);")
            .await;
        let start = b.js("return document.getElementById('region-start').value;").await;
        let end = b.js("return document.getElementById('region-end').value;").await;
        assert_eq!((start.as_str(), end.as_str()), (Some("1.0"), Some("3.0")));
        assert_eq!(b.js("return document.activeElement.id;").await, "region-label");
        b.find("#region-label").await.send_keys("Chorus").await.expect("name it");
        b.find("#region-form button[type=submit]").await.click().await.expect("add it");
        poll("the new region", PATIENCE, async || {
            let n = b.count("ol.regions li").await;
            if n == 2 { Ok(()) } else { Err(format!("{n} regions")) }
        })
        .await;
        b.screenshot("regions").await;

        // On the share page, a range link in its address plays just that range.
        b.goto(&format!("{link}#t=1,2")).await;
        let stopped = poll("the shared range to end", PATIENCE, async || {
            b.js(STOPPED).await.as_f64().ok_or_else(|| "playing".to_owned())
        })
        .await;
        assert!((1.95..2.3).contains(&stopped), "stopped at {stopped}");
        assert_eq!(b.count("ol.regions a.region-play").await, 2);
    })
    .await;
}

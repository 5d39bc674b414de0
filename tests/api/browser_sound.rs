//! The audio player in Chromium: an ALAC clip (which Chromium cannot decode) plays through its
//! FLAC copy; the custom controls show the exact duration and move by keyboard (→ 5 s, End,
//! Home, Space); the "Match loudness" switch sets the clip's gain to what the server measured
//! (a Web Audio gain node where the bytes are this origin's, the element's volume where they
//! are S3's) and is remembered across pages.

use std::process::Command;
use std::time::Duration;

use fantoccini::key::Key;
use mediadesk::auth::Role;
use mediadesk::domain::MediaKind;
use mediadesk::media::Actor;
use mediadesk::media::dto::MediaRead;

use crate::common::browser::{Browser, PATIENCE, poll};
use crate::common::*;

backend_tests!(browser_plays_alac_with_exact_time_keys_and_matched_loudness);

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
    let page = ann.upload(&[("quiet.m4a", std::fs::read(&path).unwrap())], None, true).await;
    let v: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    let item = v["results"][0]["url"].as_str().unwrap().to_owned();
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

//! Audio health and playback on both backends: ALAC gets a FLAC rendition whose samples ffmpeg
//! decodes to exactly the original's; the rendition lives and dies with the item (trash,
//! restore, replace, purge, quota); loudness and true peak agree with ffmpeg's `ebur128` filter
//! on generated tones within 0.5 LU / 0.5 dB; the quiet, clipped and mostly-silence flags show
//! as badges and filter the gallery; audio stored before any of this is finished by `backfill`.

use std::path::{Path, PathBuf};
use std::process::Command;

use mediadesk::auth::Role;
use mediadesk::domain::MediaKind;
use mediadesk::media::Actor;
use mediadesk::media::dto::MediaRead;

use crate::common::server::html_unescape;
use crate::common::*;

backend_tests!(
    alac_plays_through_a_lossless_flac_rendition,
    loudness_and_health_agree_with_ffmpeg,
    older_audio_is_finished_by_backfill,
);

/// Runs ffmpeg, which must succeed; its output (stderr holds what filters measure).
pub(crate) fn ffmpeg(args: &[&str]) -> std::process::Output {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-loglevel", "info"])
        .args(args)
        .output()
        .expect("ffmpeg runs (scripts/test.sh installs it)");
    assert!(out.status.success(), "ffmpeg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Every sample ffmpeg decodes from `file`, as 32-bit integers.
fn samples(file: &Path) -> Vec<u8> {
    ffmpeg(&["-i", file.to_str().unwrap(), "-f", "s32le", "-"]).stdout
}

/// ffmpeg's integrated loudness (LUFS), true peak (dBTP) and loudness range (LU) of `file`.
fn ffmpeg_loudness(file: &Path) -> (f64, f64, f64) {
    let out =
        ffmpeg(&["-nostats", "-i", file.to_str().unwrap(), "-af", "ebur128=peak=true", "-f", "null", "-"]);
    let text = String::from_utf8_lossy(&out.stderr);
    let summary = &text[text.rfind("Summary:").expect("an ebur128 summary")..];
    let value = |label: &str| -> f64 {
        let line = summary.lines().find(|l| l.trim_start().starts_with(label)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    (value("I:"), value("Peak:"), value("LRA:"))
}

/// The `src` of the item page's player.
fn player_src(body: &str) -> String {
    let after = body.split("<audio controls preload=\"metadata\" src=\"").nth(1).expect("a player");
    html_unescape(&after[..after.find('"').unwrap()])
}

async fn fetch(c: &crate::common::server::TestClient, url: &str) -> Vec<u8> {
    let (status, _, bytes) = c.get_bytes(url, None).await;
    assert_eq!(status, 200, "GET {url}");
    bytes
}

fn item_url(page: &crate::common::server::Page, i: usize) -> String {
    let v: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    v["results"][i]["url"].as_str().unwrap_or_else(|| panic!("{}", page.body)).to_owned()
}

async fn alac_plays_through_a_lossless_flac_rendition(env: TestEnv) {
    let dir = tempfile::tempdir().unwrap();
    let s = env.with_trash(30).start_server().await;
    let (amy, amy_id) = s.signed_in("amy", Role::User).await;
    let alac = fixture_bytes("tone-alac.m4a");
    let page = amy
        .upload(&[("tone.m4a", alac.clone()), ("aac.m4a", fixture_bytes("tone-aac.m4a"))], None, true)
        .await;
    let (item, aac) = (item_url(&page, 0), item_url(&page, 1));
    let detail = amy.get(&item).await;
    assert!(detail.body.contains("a lossless FLAC copy (ALAC plays only in Safari)"), "{}", detail.body);

    // The player gets FLAC whose every sample is the original's; the download stays the original.
    let played = fetch(&amy, &player_src(&detail.body)).await;
    assert_eq!(&played[..4], b"fLaC");
    let (orig_file, flac_file) = (dir.path().join("o.m4a"), dir.path().join("p.flac"));
    std::fs::write(&orig_file, &alac).unwrap();
    std::fs::write(&flac_file, &played).unwrap();
    let (a, b) = (samples(&orig_file), samples(&flac_file));
    assert!(a.len() > 40_000, "the fixture decodes to samples");
    assert!(a == b, "the rendition decodes to other samples ({} vs {} bytes)", a.len(), b.len());
    let download = detail.body.split("\" download>").next().unwrap().rsplit("href=\"").next().unwrap();
    assert_eq!(fetch(&amy, &html_unescape(download)).await, alac);
    // Waveform and duration still come from the original.
    let id: i64 = item.rsplit('/').next().unwrap().parse().unwrap();
    let MediaRead::Audio(read) = s.app.media.get(&Actor::user(amy_id), MediaKind::Audio, id).await.unwrap()
    else {
        panic!("audio")
    };
    assert_eq!(read.codec, "alac");
    assert!(read.has_rendition && read.peaks.is_some());
    // AAC plays everywhere: no copy.
    assert!(!amy.get(&aac).await.body.contains("Plays as"));
    let renditions = |objects: Vec<String>| objects.into_iter().filter(|k| k.ends_with(".play.flac")).count();
    assert_eq!(renditions(s.env.objects().await), 1);
    // The gallery's row player plays the copy too.
    assert!(amy.get("/media?type=audio").await.body.contains("play.flac"));
    s.env.usage_matches(amy_id).await;

    // Trash and restore bring it back; a replace keeps the old file and its copy as a version.
    amy.post(&item, &format!("{item}/delete"), &[("confirmed", "yes")]).await;
    let value = item.replace("/media/", "").replace('/', ":");
    amy.post("/trash", "/trash", &[("action", "restore"), ("item", &value)]).await;
    assert_eq!(&fetch(&amy, &player_src(&amy.get(&item).await.body)).await[..4], b"fLaC");
    s.env.usage_matches(amy_id).await;
    let replaced =
        amy.post_file(&item, &format!("{item}/replace"), "tone.mp3", fixture_bytes("tone-cbr.mp3")).await;
    assert!(replaced.status < 400, "{}", replaced.body);
    assert!(!amy.get(&item).await.body.contains("Plays as"));
    s.env.usage_matches(amy_id).await;
    // Deleted for good, nothing of it is left.
    amy.post(&item, &format!("{item}/delete"), &[("confirmed", "yes")]).await;
    amy.post("/trash", "/trash", &[("action", "purge"), ("item", &value), ("confirmed", "yes")]).await;
    s.app.media.retry_pending_deletions(true).await.unwrap();
    assert_eq!(renditions(s.env.objects().await), 0, "{:?}", s.env.objects().await);
    s.env.usage_matches(amy_id).await;
}

/// A sine driven 4 dB past full scale and cut there (the commas escaped for the filter graph).
const CLIPPED: &str = "max(-1\\,min(1\\,1.6*sin(2*PI*220*t)))";

/// Generated tones: a sine near −23 LUFS, a quiet one near −41, a clipped sine, and four seconds
/// of tone in ten seconds of file.
fn tones(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let make = |name: &'static str, source: &str, filter: &str| {
        let path = dir.join(name);
        let mut args = vec!["-y", "-f", "lavfi", "-i", source];
        if !filter.is_empty() {
            args.extend(["-af", filter]);
        }
        args.extend(["-ac", "2", "-c:a", "pcm_s16le", path.to_str().unwrap()]);
        ffmpeg(&args);
        (name, path)
    };
    vec![
        make("sine-23.wav", "sine=frequency=997:sample_rate=48000:duration=10", "volume=-1.93dB"),
        make("quiet.wav", "sine=frequency=440:sample_rate=44100:duration=8", "volume=-22dB"),
        // Two channels from the source: ffmpeg's mono-to-stereo mix would lower it by 3 dB.
        make("clipped.wav", &format!("aevalsrc={CLIPPED}|{CLIPPED}:s=44100:d=6"), ""),
        make("half-silence.wav", "sine=frequency=660:sample_rate=44100:duration=4", "apad=whole_dur=10"),
    ]
}

async fn loudness_and_health_agree_with_ffmpeg(env: TestEnv) {
    let dir = tempfile::tempdir().unwrap();
    let s = env.start_server().await;
    let (amy, amy_id) = s.signed_in("amy", Role::User).await;
    for (name, path) in tones(dir.path()) {
        let page = amy.upload(&[(name, std::fs::read(&path).unwrap())], None, true).await;
        let item = item_url(&page, 0);
        // The meter runs once the upload has answered.
        assert!(s.app.media.settle(std::time::Duration::from_secs(60)).await);
        let id: i64 = item.rsplit('/').next().unwrap().parse().unwrap();
        let MediaRead::Audio(a) = s.app.media.get(&Actor::user(amy_id), MediaKind::Audio, id).await.unwrap()
        else {
            panic!("audio")
        };
        let h = a.health;
        let (lufs, peak, lra) = ffmpeg_loudness(&path);
        let our_range = h.loudness_range.unwrap_or(0.0);
        // A tone cut off by silence has a range only by how each meter treats the edge (the
        // short-term windows that straddle it); steady tones must agree.
        if name != "half-silence.wav" {
            assert!((our_range - lra).abs() <= 0.5, "{name}: {our_range} LU, ffmpeg {lra}");
        }
        let ours = h.loudness_lufs.expect("measured");
        assert!((ours - lufs).abs() <= 0.5, "{name}: {ours} LUFS, ffmpeg {lufs}");
        let our_peak = h.true_peak_db.expect("a peak");
        assert!((our_peak - peak).abs() <= 0.5, "{name}: {our_peak} dBTP, ffmpeg {peak}");
        let body = amy.get(&item).await.body;
        assert!(body.contains(&format!("{ours:.1} LUFS integrated")), "{body}");
        match name {
            "sine-23.wav" => {
                assert!((ours + 23.0).abs() < 0.3, "{ours}");
                assert!(!h.quiet && !h.clipped && !h.mostly_silent);
                assert_eq!(h.clipped_samples, 0);
                assert!(h.loudness_range.unwrap() < 0.5);
            }
            "quiet.wav" => assert!(h.quiet && !h.clipped && !h.mostly_silent, "{h:?}"),
            "clipped.wav" => {
                assert!(h.clipped && !h.quiet, "{h:?}");
                assert!(h.clipped_samples > 10_000, "{h:?}");
            }
            _ => {
                assert!(h.mostly_silent && !h.clipped && !h.quiet, "{h:?}");
                assert_eq!(h.silence_start_ms, 0);
                assert!((h.silence_end_ms - 6000).abs() <= 20, "{h:?}");
            }
        }
        // The gain matched playback applies reaches −16 LUFS unless the peak would pass 0 dBTP.
        let gain = h.gain_db().unwrap();
        assert!(ours + gain <= -16.0 + 1e-9 && our_peak + gain <= 1e-9, "{name}: {gain}");
        assert!(body.contains(&format!("data-gain-db=\"{gain:.2}\"")), "{body}");
    }
    for (only, badge, expected) in [
        ("quiet", "Quiet", "quiet.wav"),
        ("clipped", "Clipped", "clipped.wav"),
        ("mostly-silent", "Mostly silence", "half-silence.wav"),
    ] {
        let page = amy.get(&format!("/media?only={only}")).await.body;
        for (name, _) in tones(dir.path()) {
            assert_eq!(page.contains(&format!(">{name}</a>")), name == expected, "{only}: {name}\n{page}");
        }
        assert!(page.contains(&format!("badge-sound\">{badge}<")), "{page}");
    }
}

async fn audio(env: &TestEnv, actor: &Actor, id: i64) -> mediadesk::media::dto::AudioRead {
    match env.media.get(actor, MediaKind::Audio, id).await.unwrap() {
        MediaRead::Audio(a) => a,
        other => panic!("audio: {other:?}"),
    }
}

/// Audio an older Mediadesk stored (no figures; ALAC without its copy) is finished by the
/// backfill: the very figures an upload measures, the copy, the quota; a second run finds
/// nothing to do; an item whose file cannot be read is reported and left as it was.
async fn older_audio_is_finished_by_backfill(env: TestEnv) {
    use mediadesk::db::repo::AudioRepo;
    use mediadesk::storage::{StorageKey, body_of};
    let amy = Actor::user(env.user("amy", "user").await);
    let owner = amy.user_id.unwrap();
    let (_, alac) = env.upload_own(&amy, "tone.m4a", "tone-alac.m4a").await;
    let (_, mp3) = env.upload_own(&amy, "tone.mp3", "tone-cbr.mp3").await;
    let (_, broken) = env.upload_own(&amy, "tone.flac", "tone.flac").await;
    let (alac_health, mp3_health) =
        (audio(&env, &amy, alac).await.health, audio(&env, &amy, mp3).await.health);
    assert!(alac_health.true_peak_db.is_some() && mp3_health.loudness_lufs.is_some(), "uploads are measured");

    // As an older version left them: no figures, no copy; one file no longer reads as audio.
    let copies =
        |objects: Vec<String>| objects.into_iter().filter(|k| k.ends_with(".play.flac")).collect::<Vec<_>>();
    let copy = copies(env.objects().await).pop().expect("the ALAC upload's copy");
    env.store.delete(&StorageKey::parse(&copy).unwrap()).await.unwrap();
    env.db
        .batch_execute(
            "UPDATE audios SET loudness_lufs = NULL, loudness_range = NULL, true_peak_db = NULL, \
             clipped_samples = 0, silence_start_ms = 0, silence_end_ms = 0, quiet = false, clipped = false, \
             mostly_silent = false, rendition_key = NULL, rendition_bytes = 0",
        )
        .await
        .unwrap();
    let broken_key = {
        let mut pooled = env.db.get().await.unwrap();
        AudioRepo::by_id(&mut pooled.conn(), broken).await.unwrap().unwrap().storage_key
    };
    let size = env.store.head(&StorageKey::parse(&broken_key).unwrap()).await.unwrap().unwrap().size;
    let garbage = vec![0x55u8; size as usize];
    env.store
        .put_stream(&StorageKey::parse(&broken_key).unwrap(), body_of(garbage), "audio/flac")
        .await
        .unwrap();
    let before = env.usage_matches(owner).await;
    let old = audio(&env, &amy, alac).await;
    assert!(!old.has_rendition && old.health == Default::default());

    let run = env.cli(&["backfill", "--json"], None);
    assert_eq!(run.code, 1, "an item left as it was fails the command: {}", run.stderr);
    assert!(run.stderr.contains("could not read 1 item; left as they were"), "{}", run.stderr);
    let done: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        (&done["measured"], &done["copies"]),
        (&serde_json::json!(2), &serde_json::json!(1)),
        "{done}"
    );
    assert_eq!(done["failed"].as_array().unwrap().len(), 1, "{done}");
    assert_eq!(done["failed"][0]["id"], serde_json::json!(broken), "{done}");
    assert_eq!(done["failed"][0]["kind"], serde_json::json!("audio"), "{done}");
    let (finished, plain) = (audio(&env, &amy, alac).await, audio(&env, &amy, mp3).await);
    assert_eq!((finished.health, plain.health), (alac_health, mp3_health), "the figures an upload measures");
    assert!(finished.has_rendition && !plain.has_rendition);
    assert_eq!(copies(env.objects().await).len(), 1);
    assert_eq!(audio(&env, &amy, broken).await.health, Default::default(), "left as it was");
    assert!(env.usage_matches(owner).await > before, "the copy counts in the quota");

    let again = env.media.backfill().await.unwrap();
    assert_eq!((again.measured, again.copies, again.failed.len()), (0, 0, 1), "{again:?}");
    assert_eq!(copies(env.objects().await).len(), 1);
    assert_eq!(env.spooled_files(), 0, "the spool is left empty");
}

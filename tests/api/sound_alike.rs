//! Sound-alikes on both backends: copies of a tune ffmpeg makes in other formats, rates and
//! volumes are the same recording, a part cut from it shares its length of sound, another tune
//! shares nothing, and nobody learns of another user's files; a replace, a roll back, the trash
//! and the backfill keep each sound's print true to its file, and a failed write of its keys
//! leaves nothing behind. Chromaprint's own `fpcalc` judges the print. Then the upload's answer,
//! the item page's "Sounds like" and the API's `…/alike`.

use std::path::{Path, PathBuf};
use std::process::Command;

use mediadesk::auth::Role;
use mediadesk::domain::{MediaKind, Owner};
use mediadesk::media::file::sound::shared;
use mediadesk::media::{Actor, Alike, Likeness, MediaError, Shared, Upload};

use crate::common::browser::{Browser, PATIENCE, poll};
use crate::common::*;
use crate::sound::ffmpeg;

backend_tests!(
    sound_alikes_are_found_among_what_the_listener_sees,
    prints_follow_the_file_through_replace_trash_and_backfill,
    sound_alikes_through_the_upload_the_page_and_the_api,
    browser_follows_a_sound_alike_by_keyboard_at_390_px,
);

/// A tune of `seconds`: a note every third of a second from a sequence `step` picks, over a
/// bass line and a faster third voice (chroma that changes, as music's does).
fn tune(out: &Path, step: u32, seconds: u32) {
    let expr = format!(
        "aevalsrc=exprs='0.25*sin(2*PI*t*220*pow(2\\,mod(floor(t*3)*{step}+floor(t/2)*5\\,24)/12))\
         +0.15*sin(2*PI*t*110*pow(2\\,mod(floor(t*1.5)*{step}*3\\,12)/12))\
         +0.05*sin(2*PI*t*440*pow(2\\,mod(floor(t*6)*7\\,12)/12))':s=44100:d={seconds}"
    );
    ffmpeg(&["-f", "lavfi", "-i", &expr, "-ac", "2", out.to_str().unwrap()]);
}

/// A 40 s tune and what ffmpeg makes of it, with another tune and a clip too short to print.
pub(crate) struct Songs {
    dir: tempfile::TempDir,
}

impl Songs {
    pub(crate) fn make() -> Songs {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
        tune(Path::new(&p("tune.wav")), 7, 40);
        ffmpeg(&["-i", &p("tune.wav"), "-b:a", "96k", &p("tune.mp3")]);
        ffmpeg(&["-i", &p("tune.wav"), "-af", "volume=0.4", "-ar", "22050", &p("tune-quiet.flac")]);
        ffmpeg(&["-i", &p("tune.wav"), "-c:a", "flac", &p("tune.flac")]);
        ffmpeg(&["-i", &p("tune.wav"), "-ac", "1", "-ar", "22050", &p("tune-mono.wav")]);
        ffmpeg(&["-ss", "10", "-t", "20", "-i", &p("tune.wav"), "-b:a", "128k", &p("tune-part.mp3")]);
        tune(&dir.path().join("other.wav"), 5, 40);
        tune(&dir.path().join("short.wav"), 7, 1);
        Songs { dir }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn bytes(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }
}

pub(crate) async fn put(env: &TestEnv, who: &Actor, owner: Owner, songs: &Songs, name: &str) -> i64 {
    let upload = Upload::new(owner, name);
    env.media.upload(who, upload, bytes_stream(songs.bytes(name))).await.expect("upload").id()
}

/// A sound's alikes as `who` sees them, in order: (id, what they share, same file).
async fn heard(env: &TestEnv, who: &Actor, id: i64) -> Vec<(i64, Shared, bool)> {
    match env.media.look_alikes(who, MediaKind::Audio, id).await.expect("sound-alikes") {
        Alike::Found(found) => found
            .into_iter()
            .map(|a| match a.likeness {
                Likeness::Sound(s) => (a.id, s, a.same_file),
                Likeness::Look(_) => panic!("a picture said to look like sound {id}"),
            })
            .collect(),
        other => panic!("sound {id} has no print: {other:?}"),
    }
}

fn ids(found: &[(i64, Shared, bool)]) -> Vec<i64> {
    let mut ids: Vec<i64> = found.iter().map(|f| f.0).collect();
    ids.sort();
    ids
}

async fn sound_alikes_are_found_among_what_the_listener_sees(env: TestEnv) {
    let songs = Songs::make();
    let ann = Actor::user(env.user("ann", "user").await);
    let bob = Actor::user(env.user("bob", "user").await);
    let sam = Actor::staff(env.user("sam", "staff").await);
    let mine = Owner::User(ann.user_id.unwrap());
    let tune = put(&env, &ann, mine, &songs, "tune.wav").await;
    let mp3 = put(&env, &ann, mine, &songs, "tune.mp3").await;
    let quiet = put(&env, &ann, mine, &songs, "tune-quiet.flac").await;
    let part = put(&env, &ann, mine, &songs, "tune-part.mp3").await;
    let other = put(&env, &ann, mine, &songs, "other.wav").await;
    let short = put(&env, &ann, mine, &songs, "short.wav").await;
    let bobs = put(&env, &bob, Owner::User(bob.user_id.unwrap()), &songs, "tune.mp3").await;
    let system = put(&env, &Actor::operator(), Owner::System, &songs, "tune.flac").await;

    let found = heard(&env, &ann, tune).await;
    assert_eq!(ids(&found), vec![mp3, quiet, part, system], "{found:?}: not the other tune, not bob's");
    let (wholes, parts): (Vec<&(i64, Shared, bool)>, Vec<_>) = found.iter().partition(|f| f.1.whole);
    assert_eq!(parts.iter().map(|f| f.0).collect::<Vec<_>>(), vec![part], "{found:?}");
    assert_eq!(found.last().unwrap().0, part, "the same recording before a part of it: {found:?}");
    assert!(wholes.iter().all(|f| f.1.ms >= 35_000 && !f.2), "{found:?}");
    let part_ms = parts[0].1.ms;
    assert!((16_000..=21_000).contains(&part_ms), "the part's 20 s, less the print's edges: {part_ms}");
    assert_eq!(ids(&heard(&env, &sam, tune).await), vec![mp3, quiet, part, bobs, system], "staff hear all");
    assert_eq!(ids(&heard(&env, &bob, bobs).await), vec![system], "bob hears his own and the system's");
    assert_eq!(heard(&env, &ann, other).await, vec![], "nothing sounds like the other tune");
    let err = env.media.look_alikes(&bob, MediaKind::Audio, tune).await.unwrap_err();
    assert!(matches!(err, MediaError::NotFound), "bob cannot hear ann's tune: {err:?}");
    let unprinted = env.media.look_alikes(&ann, MediaKind::Audio, short).await.unwrap();
    assert!(matches!(unprinted, Alike::Unprintable), "a second is too short: {unprinted:?}");
    // The very same file kept twice is said to be, before any other copy.
    let again = put(&env, &ann, mine, &songs, "tune.wav").await;
    let found = heard(&env, &ann, tune).await;
    assert_eq!((found[0].0, found[0].2), (again, true), "{found:?}");
}

async fn prints_follow_the_file_through_replace_trash_and_backfill(env: TestEnv) {
    let env = env.with_trash(30);
    let songs = Songs::make();
    let ann = Actor::user(env.user("ann", "user").await);
    let mine = Owner::User(ann.user_id.unwrap());
    let tune = put(&env, &ann, mine, &songs, "tune.wav").await;
    let mp3 = put(&env, &ann, mine, &songs, "tune.mp3").await;
    let quiet = put(&env, &ann, mine, &songs, "tune-quiet.flac").await;

    // Replaced by another tune, the copy sounds otherwise, until it is rolled back.
    let upload = Upload::new(mine, "other.wav");
    env.media
        .replace(&ann, (MediaKind::Audio, mp3), upload, bytes_stream(songs.bytes("other.wav")))
        .await
        .unwrap();
    assert_eq!(ids(&heard(&env, &ann, tune).await), vec![quiet], "replaced, it sounds otherwise");
    let earlier = env.media.versions(&ann, (MediaKind::Audio, mp3)).await.unwrap()[0].id;
    env.media.restore_version(&ann, (MediaKind::Audio, mp3), earlier).await.unwrap();
    assert_eq!(ids(&heard(&env, &ann, tune).await), vec![mp3, quiet], "rolled back, the print came back");
    // The trash hides a copy, and restoring brings its print back with it.
    env.media.delete(&ann, MediaKind::Audio, quiet).await.unwrap();
    assert_eq!(ids(&heard(&env, &ann, tune).await), vec![mp3]);
    assert_eq!(env.count_rows("sound_keys").await, 48, "the trashed sound's keys went with its row");
    env.media.restore(&ann, MediaKind::Audio, quiet).await.unwrap();
    assert_eq!(ids(&heard(&env, &ann, tune).await), vec![mp3, quiet]);

    // A failed write of the keys fails the upload whole: no row, no object, no keys.
    let (rows, objects, keys) = (env.count_rows("audios").await, env.objects().await.len(), 72);
    assert_eq!(env.count_rows("sound_keys").await, keys);
    env.inject_db_failure("sound_keys", "INSERT").await;
    let upload = Upload::new(mine, "tune-part.mp3");
    let err = env.media.upload(&ann, upload, bytes_stream(songs.bytes("tune-part.mp3"))).await.unwrap_err();
    assert!(matches!(err, MediaError::Database(_)), "{err:?}");
    env.clear_db_failure("sound_keys", "INSERT").await;
    assert_eq!(env.count_rows("audios").await, rows, "no half-written row");
    assert_eq!(env.objects().await.len(), objects, "no orphaned object");
    assert_eq!(env.count_rows("sound_keys").await, keys);

    // Sounds an older version stored have no print until the backfill decodes them.
    env.db.batch_execute("UPDATE audios SET print = NULL; DELETE FROM sound_keys").await.unwrap();
    let unprinted = env.media.look_alikes(&ann, MediaKind::Audio, tune).await.unwrap();
    assert!(matches!(unprinted, Alike::NotLooked), "{unprinted:?}");
    let done = env.media.backfill().await.unwrap();
    assert_eq!((done.printed, done.measured, done.failed.len()), (3, 0, 0), "{done:?}");
    assert_eq!(ids(&heard(&env, &ann, tune).await), vec![mp3, quiet]);
    assert_eq!(env.media.backfill().await.unwrap().printed, 0, "nothing left");
    // Deleted for good, its keys go with it.
    env.media.delete(&ann, MediaKind::Audio, quiet).await.unwrap();
    env.media.purge(&ann, MediaKind::Audio, quiet).await.unwrap();
    assert_eq!(env.count_rows("sound_keys").await, 48);
}

/// Makes the keys' table unreadable: every sound-alike lookup fails.
async fn env_break_keys(s: &crate::common::server::TestServer) {
    s.env.db.batch_execute("ALTER TABLE sound_keys RENAME TO sound_keys_gone").await.unwrap();
}

/// Chromaprint's `fpcalc` (ffmpeg's decode, its own resampler) and Mediadesk's print of the
/// same file are the same recording to Chromaprint's matcher, most values equal bit for bit.
fn fpcalc_agrees(songs: &Songs, env: &TestEnv) {
    for name in ["tune.mp3", "tune-quiet.flac"] {
        let file = songs.path(name);
        // fpcalc 1.5 calls the end of a file a decoding error unless told to go on.
        let out = Command::new("fpcalc")
            .args(["-raw", "-json", "-ignore-errors"])
            .arg(&file)
            .output()
            .expect("fpcalc runs (scripts/test.sh installs it)");
        assert!(out.status.success(), "fpcalc: {}", String::from_utf8_lossy(&out.stderr));
        let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let theirs: Vec<u32> =
            theirs["fingerprint"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
        let run = env.cli(&["waveform", file.to_str().unwrap(), "--without-loudness"], None);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let ours: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let ours: Vec<u32> =
            ours["print"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
        let same =
            shared(&ours, &theirs).unwrap_or_else(|| panic!("{name}: fpcalc's print is another sound"));
        assert!(same.whole, "{name}: {same:?}");
        // The same values, but where the two MP3 decoders round differently.
        let equal = ours.iter().zip(&theirs).filter(|(a, b)| a == b).count();
        assert!(equal * 10 >= theirs.len() * 9, "{name}: {equal} of {} values the same", theirs.len());
        assert!(ours.len().abs_diff(theirs.len()) <= 2, "{name}: {} and {} values", ours.len(), theirs.len());
    }
}

async fn sound_alikes_through_the_upload_the_page_and_the_api(env: TestEnv) {
    let songs = Songs::make();
    fpcalc_agrees(&songs, &env);
    let s = env.start_server().await;
    let (ann, _) = s.signed_in("ann", Role::User).await;
    let (bob, _) = s.signed_in("bob", Role::User).await;
    let file = |n: &'static str| (n, songs.bytes(n));
    let up = ann.upload(&[file("tune.wav"), file("tune.mp3"), file("other.wav")], None, true).await;
    let v: serde_json::Value = serde_json::from_str(&up.body).unwrap();
    let [tune, mp3, other] = [0, 1, 2].map(|i| v["results"][i]["url"].as_str().unwrap().to_owned());
    // The upload's answer names the closest sound the uploader already has.
    assert!(v["results"][0].get("sounds_like").is_none(), "the first of its kind: {v}");
    let like = &v["results"][1]["sounds_like"];
    assert_eq!((like["url"].as_str(), like["name"].as_str()), (Some(tune.as_str()), Some("tune.wav")));
    assert_eq!(like["note"], "the same recording in another file", "{v}");
    assert!(like["shared_ms"].as_i64().unwrap() >= 35_000 && like.get("distance").is_none(), "{v}");
    assert!(v["results"][2].get("sounds_like").is_none(), "the other tune sounds like nothing: {v}");
    let results = ann.upload(&[file("tune-part.mp3")], None, false).await.body;
    let said = format!("sounds like <a href=\"{tune}\" class=\"looks-like\">tune.wav</a> (0:");
    assert!(results.contains(&said), "the results page without JavaScript: {results}");
    assert!(results.contains(" of the same sound)"), "a part says how much: {results}");

    let page = ann.get(&tune).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<h2 id=\"alike\">Sounds like</h2>"), "{}", page.body);
    assert!(page.body.contains(&format!("<a href=\"{mp3}\" class=\"alike-link\">")), "{}", page.body);
    let line = "tune.mp3</span><small class=\"facts\">the same recording in another file · yours";
    assert!(page.body.contains(line), "{}", page.body);
    assert!(!page.body.contains(&format!("href=\"{other}\" class=\"alike-link\"")));
    let other_page = ann.get(&other).await.body;
    assert!(other_page.contains("Nothing you can see sounds like it."), "{other_page}");

    let id = |url: &str| url.rsplit('/').next().unwrap().to_owned();
    let api = ann.get(&format!("/api/v1/media/audio/{}/alike", id(&tune))).await;
    assert_eq!(api.status, 200, "{}", api.body);
    let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!((&json["looked"], &json["comparable"]), (&serde_json::json!(true), &serde_json::json!(true)));
    let items = json["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the MP3 and the part: {json}");
    assert_eq!(items[0]["url"], format!("/api/v1/media/audio/{}", id(&mp3)));
    assert_eq!(
        (&items[0]["whole"], &items[1]["whole"]),
        (&serde_json::json!(true), &serde_json::json!(false))
    );
    assert!(items[0].get("thumbnail_url").is_none() && items[0].get("distance").is_none(), "{json}");
    let short = ann.upload(&[file("short.wav")], None, true).await;
    let v: serde_json::Value = serde_json::from_str(&short.body).unwrap();
    let short = v["results"][0]["url"].as_str().unwrap().to_owned();
    let api = ann.get(&format!("/api/v1/media/audio/{}/alike", id(&short))).await.body;
    assert!(api.contains("\"comparable\":false"), "{api}");
    assert!(ann.get(&short).await.body.contains("Too short or too quiet to compare"));
    // What the script asks once a file sent in pieces is in: the same hint, and nothing of
    // another user's item.
    let hint = ann.get(&format!("/upload/hint/audio/{}", id(&mp3))).await;
    assert_eq!(hint.status, 200, "{}", hint.body);
    let said: serde_json::Value = serde_json::from_str(&hint.body).unwrap();
    assert_eq!(said["sounds_like"]["url"], tune.as_str(), "{said}");
    assert!(said.get("looks_like").is_none(), "{said}");
    let bobs = bob.upload(&[file("tune.mp3")], None, true).await.body;
    assert!(!bobs.contains("sounds_like"), "bob is not told of ann's tune: {bobs}");
    assert_eq!(bob.get(&format!("/upload/hint/audio/{}", id(&tune))).await.body, "{}");
    // A lookup that fails leaves the hint out, and says nothing else.
    env_break_keys(&s).await;
    let hint = ann.get(&format!("/upload/hint/audio/{}", id(&mp3))).await;
    assert_eq!((hint.status, hint.body.as_str()), (200, "{}"));
    let hidden = bob.get(&format!("/api/v1/media/audio/{}/alike", id(&tune))).await;
    assert_eq!(hidden.status, 404, "bob cannot hear ann's tune: {}", hidden.body);
}

async fn browser_follows_a_sound_alike_by_keyboard_at_390_px(env: TestEnv) {
    let songs = Songs::make();
    let backend = env.backend;
    // Files over 1 MiB go in pieces (tus): the mono WAV does, the MP3 does not.
    let server = env.start_server_configured(|s| s.resumable_above = 1024 * 1024).await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let tune = ann.upload_one("tune.wav", songs.bytes("tune.wav")).await;
    let part = ann.upload_one("tune-part.mp3", songs.bytes("tune-part.mp3")).await;
    let (mp3, mono) = (songs.path("tune.mp3"), songs.path("tune-mono.wav"));
    assert!(std::fs::metadata(&mono).unwrap().len() > 1024 * 1024, "the WAV goes in pieces");
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.resize(390, 844).await;
        b.sign_in("ann").await;
        // The script's uploader says what each accepted sound sounds like, however it went up.
        b.goto("/upload").await;
        let both = format!("{}\n{}", mp3.to_str().unwrap(), mono.to_str().unwrap());
        b.find("#files").await.send_keys(&both).await.expect("choose the files");
        b.find("#upload-form button[type=submit]").await.click().await.expect("upload");
        poll("the sound-alike named for both", PATIENCE, async || {
            let said = "return Array.from(document.querySelectorAll('#results a.looks-like'))\
                        .map(a => a.parentNode.textContent).join('|');";
            let t = b.js(said).await;
            let lines = t.as_str().unwrap_or_default();
            let like = "sounds like tune.wav (the same recording in another file)";
            if lines.split('|').filter(|l| l.contains(like)).count() == 2 {
                Ok(())
            } else {
                Err(t.to_string())
            }
        })
        .await;
        b.assert_fits("no sideways scrolling at 390 px").await;
        b.goto(&tune).await;
        assert_eq!(b.count(".alike-link").await, 3, "the MP3, the mono WAV and the part");
        b.assert_fits("no sideways scrolling at 390 px").await;
        b.js(&format!("document.querySelector('.alike-link[href=\"{part}\"]').focus(); return 0;")).await;
        b.screenshot("sound-alike-390").await;
        b.press(&fantoccini::key::Key::Enter.to_string()).await;
        b.wait_for_path(&part).await;
        b.wait_for_heading("tune-part.mp3").await;
    })
    .await;
}

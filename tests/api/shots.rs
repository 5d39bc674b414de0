//! How a photo was taken: exiftool writes a camera's moment, make, model, lens and exposure
//! into a JPEG, a PNG and a WebP (and only an XMP moment into another PNG), and reads them back
//! as the judge of what the item's page and the API say. The shot follows the file through a
//! replace and a rollback, and `mediadesk backfill` reads it for images stored before.

use std::path::{Path, PathBuf};
use std::process::Command;

use mediadesk::auth::{Role, Scope};
use mediadesk::domain::{MediaKind, Shot};
use mediadesk::media::{Actor, MediaRead, Upload};
use serde_json::Value;

use crate::common::server::html_unescape;
use crate::common::tus::Tus;
use crate::common::*;

backend_tests!(
    a_photo_says_how_it_was_taken_on_its_page_and_in_the_api,
    the_shot_follows_the_file_and_backfill_reads_older_images
);

fn exiftool(args: &[&str]) -> String {
    let out =
        Command::new("exiftool").args(args).output().expect("exiftool runs (scripts/test.sh installs it)");
    assert!(out.status.success(), "exiftool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A copy of fixture `name` with a camera's account of the shot written by exiftool.
fn shot_fixture(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("shot-{name}"));
    std::fs::copy(fixture(name), &path).unwrap();
    exiftool(&[
        "-q",
        "-overwrite_original",
        "-DateTimeOriginal=2024:03:12 14:03:07",
        "-OffsetTimeOriginal=+01:00",
        "-Make=Canon",
        "-Model=Canon EOS R5",
        "-LensModel=RF24-70mm F2.8 L IS USM",
        "-FNumber=2.8",
        "-ExposureTime=1/200",
        "-ISO=400",
        "-FocalLength=50",
        "-FocalLengthIn35mmFormat=75",
        path.to_str().unwrap(),
    ]);
    path
}

/// What exiftool reads in `path`, as numbers (`-n`).
fn judged(path: &Path) -> Value {
    let tags = [
        "-DateTimeOriginal",
        "-OffsetTimeOriginal",
        "-Make",
        "-Model",
        "-LensModel",
        "-FNumber",
        "-ExposureTime",
        "-ISO",
        "-FocalLength",
        "-FocalLengthIn35mmFormat",
    ];
    let mut args = vec!["-j", "-n"];
    args.extend(tags);
    args.push(path.to_str().unwrap());
    let all: Value = serde_json::from_str(&exiftool(&args)).unwrap();
    all[0].clone()
}

async fn a_photo_says_how_it_was_taken_on_its_page_and_in_the_api(env: TestEnv) {
    let s = env.start_server().await;
    let (c, ann) = s.signed_in("ann", Role::User).await;
    let token = s.token(ann, &[Scope::Read], "shots").await;
    let dir = tempfile::tempdir().unwrap();
    let api = |item: &str| {
        let url = format!("{}/api/v1{item}", s.base);
        let req = reqwest::Client::new().get(url).bearer_auth(&token);
        async move { serde_json::from_str::<Value>(&Tus::send(req).await.body).unwrap() }
    };

    for name in ["image.jpg", "image.png", "image.webp"] {
        let file = shot_fixture(dir.path(), name);
        let item = c.upload_one(name, std::fs::read(&file).unwrap()).await;
        let page = html_unescape(&c.get(&item).await.body);
        for (fact, says) in [
            ("Taken", "12 March 2024, 14:03:07 (UTC+01:00)"),
            ("Camera", "Canon EOS R5"),
            ("Lens", "RF24-70mm F2.8 L IS USM"),
            ("Exposure", "f/2.8 · 1/200 s · ISO 400 · 50 mm (75 mm on 35 mm)"),
        ] {
            assert!(page.contains(&format!("<dt>{fact}</dt><dd>{says}</dd>")), "{name}: {fact}\n{page}");
        }
        // The full-window viewer says it in a line under the picture.
        let viewer = html_unescape(&c.get(&format!("{item}/view")).await.body);
        let line = "12 March 2024, 14:03:07 (UTC+01:00) · Canon EOS R5 · f/2.8 · 1/200 s · ISO 400";
        assert!(viewer.contains(&format!("<p class=\"facts shot\">{line}")), "{name}\n{viewer}");
        // The API says what exiftool, the judge, reads in the file.
        let doc = api(&item).await;
        let (shot, judge) = (&doc["shot"], judged(&file));
        let taken = format!(
            "{}{}",
            judge["DateTimeOriginal"].as_str().unwrap(),
            judge["OffsetTimeOriginal"].as_str().unwrap()
        );
        assert_eq!(taken, "2024:03:12 14:03:07+01:00", "{name}: {judge}");
        assert_eq!(shot["taken"], "2024-03-12T14:03:07+01:00", "{name}: {doc}");
        for (ours, theirs) in [("make", "Make"), ("model", "Model"), ("lens", "LensModel")] {
            assert_eq!(shot[ours], judge[theirs], "{name}: {ours}");
        }
        for (ours, theirs) in [
            ("f_number", "FNumber"),
            ("exposure_seconds", "ExposureTime"),
            ("iso", "ISO"),
            ("focal_mm", "FocalLength"),
            ("focal_35mm", "FocalLengthIn35mmFormat"),
        ] {
            let (a, b) = (shot[ours].as_f64().unwrap(), judge[theirs].as_f64().unwrap());
            assert!((a - b).abs() < 1e-9, "{name}: {ours} {a} against {theirs} {b}");
        }
    }

    // A moment only in XMP (as many editors write a PNG's): the moment, and nothing made up.
    let xmp = dir.path().join("xmp.png");
    std::fs::copy(fixture("image.png"), &xmp).unwrap();
    exiftool(&[
        "-q",
        "-overwrite_original",
        "-XMP-exif:DateTimeOriginal=2023:07:01 06:30:00",
        xmp.to_str().unwrap(),
    ]);
    let item = c.upload_one("xmp.png", std::fs::read(&xmp).unwrap()).await;
    assert_eq!(api(&item).await["shot"], serde_json::json!({"taken": "2023-07-01T06:30:00"}));
    let page = html_unescape(&c.get(&item).await.body);
    assert!(page.contains("<dt>Taken</dt><dd>1 July 2023, 06:30:00 (by the camera's clock)</dd>"), "{page}");
    assert!(!page.contains("<dt>Camera</dt>") && !page.contains("<dt>Exposure</dt>"));
    // A file that says nothing: `{}`, and no line on its page.
    let item = c.upload_one("plain.gif", fixture_bytes("image-anim.gif")).await;
    let doc = api(&item).await;
    assert_eq!((&doc["shot"], &doc["source_link"]), (&serde_json::json!({}), &Value::Null), "{doc}");
    assert!(!c.get(&item).await.body.contains("<dt>Taken</dt>"));
    // Audio has none.
    let item = c.upload_one("tone.flac", fixture_bytes("tone.flac")).await;
    assert_eq!(api(&item).await["shot"], Value::Null);
}

fn shot_of(item: &MediaRead) -> Option<Shot> {
    match item {
        MediaRead::Image(i) => i.shot.clone(),
        MediaRead::Audio(_) => panic!("an image"),
    }
}

async fn the_shot_follows_the_file_and_backfill_reads_older_images(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let dir = tempfile::tempdir().unwrap();
    let file = shot_fixture(dir.path(), "image.jpg");
    let owner = mediadesk::domain::Owner::User(ann.user_id.unwrap());
    let up = media.upload(&ann, Upload::new(owner, "quay.jpg"), bytes_stream(std::fs::read(&file).unwrap()));
    let photo = (MediaKind::Image, up.await.unwrap().id());
    let canon = shot_of(&media.get(&ann, photo.0, photo.1).await.unwrap()).unwrap();
    assert_eq!(canon.camera().as_deref(), Some("Canon EOS R5"));
    // `mediadesk probe` prints what the upload recorded.
    let probed = env.cli(&["probe", file.to_str().unwrap()], None);
    assert_eq!(probed.code, 0, "{}", probed.stderr);
    let probed: Value = serde_json::from_str(&probed.stdout).unwrap();
    assert_eq!(probed["shot"], serde_json::to_value(&canon).unwrap(), "{probed}");

    // Replaced by a file that says nothing: the shot is the new file's; rolled back, the old.
    let replaced = media.replace(&ann, photo, Upload::new(owner, "quay.png"), fixture_stream("image.png"));
    assert_eq!(shot_of(&replaced.await.unwrap().media), Some(Shot::default()));
    let version = media.versions(&ann, photo).await.unwrap()[0].id;
    let back = media.restore_version(&ann, photo, version).await.unwrap();
    assert_eq!(shot_of(&back), Some(canon.clone()));

    // Stored before shots were read: none until a backfill reads the original, once.
    env.db.batch_execute(&format!("UPDATE images SET shot = NULL WHERE id = {}", photo.1)).await.unwrap();
    assert_eq!(shot_of(&media.get(&ann, photo.0, photo.1).await.unwrap()), None);
    let done = media.backfill().await.unwrap();
    assert_eq!((done.shots, done.failed.len()), (1, 0), "{done:?}");
    assert_eq!(shot_of(&media.get(&ann, photo.0, photo.1).await.unwrap()), Some(canon));
    assert_eq!(media.backfill().await.unwrap().shots, 0, "nothing left");
    // An original that cannot be read is listed and left as it was.
    env.db.batch_execute(&format!("UPDATE images SET shot = NULL WHERE id = {}", photo.1)).await.unwrap();
    let key = env
        .objects()
        .await
        .into_iter()
        .find(|k| k.ends_with(".jpg") && !k.contains("thumb") && !k.starts_with("trash/"))
        .unwrap();
    env.store.delete(&mediadesk::storage::StorageKey::parse(&key).unwrap()).await.unwrap();
    let done = media.backfill().await.unwrap();
    assert_eq!((done.shots, done.failed.len()), (0, 1), "{done:?}");
    assert_eq!(shot_of(&media.get(&ann, photo.0, photo.1).await.unwrap()), None);
}

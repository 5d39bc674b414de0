//! Cropping a photo, on both backends: a JPEG keeps every compressed block inside the crop (the
//! pixels away from the new edges decode exactly as before; exiftool reads the stored size and
//! the orientation back as the judge), its rectangle placed through its EXIF orientation and
//! widened to its block grid; a PNG keeps every pixel inside exactly. The earlier file is a
//! version to roll back to and the log says "Cropped"; a GIF's frames are each cut, their timing
//! kept; a WebP is compressed again in its own kind, its EXIF and XMP kept. An animated PNG or
//! WebP, a rectangle that is not a crop, other people's photos, a store or a log that fails: refused,
//! nothing changed. Then through the page (numbers typed, kept when refused), the API, and a
//! drag in Chromium at 390 px.

use std::process::Command;

use mediadesk::auth::{Role, Scope};
use mediadesk::domain::{AuditAction, AuditFilter, Crop};
use mediadesk::media::{ANIMATION_NOT_CROPPED, Actor, MediaError};
use serde_json::{Value, json};

use crate::common::browser::Browser;
use crate::common::server::{Page, TestServer, html_unescape};
use crate::common::tus::Tus;
use crate::common::*;
use crate::turn::{described_webp, mean_difference, sides};
use crate::versions::bytes_of;

backend_tests!(
    a_photo_crops_without_re_encoding,
    a_webp_crops_in_its_own_kind,
    refused_crops_change_nothing,
    cropping_through_the_page_and_the_api,
    browser_crops_a_photo_by_dragging_at_390_px
);

fn exiftool(env: &TestEnv, file: &[u8], tags: &[&str]) -> String {
    let kind = if file.starts_with(b"RIFF") { "webp" } else { "jpg" };
    let path = env.dir.path().join(format!("judge-{}.{kind}", sha256_hex(file)));
    std::fs::write(&path, file).unwrap();
    let out = Command::new("exiftool")
        .args(["-s3", "-n"])
        .args(tags.iter().map(|t| format!("-{t}")))
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("exiftool is required (scripts/test.sh installs it): {e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every frame of a GIF as a viewer composes it, with its delay.
fn frames(gif: &[u8]) -> Vec<image::Frame> {
    use image::AnimationDecoder;
    let decoder = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(gif)).unwrap();
    decoder.into_frames().collect_frames().unwrap()
}

fn crop(left: u32, top: u32, width: u32, height: u32) -> Crop {
    Crop { left, top, width, height }
}

async fn a_photo_crops_without_re_encoding(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    // Stored 64×48 and shown a quarter turn right: 48×64.
    let photo = env.upload_own(&ann, "quay.jpg", "image-exif-rot6.jpg").await;
    let original = bytes_of(&env, &ann, photo).await;
    let (done, kept) = media.crop(&ann, photo, crop(5, 20, 30, 40)).await.unwrap();
    // Shown (x, y) is stored (y, 47 − x): stored x 20.., y 13..; the 16-pixel grid takes the
    // crop out to x 16, y 0, which is shown as the right edge and the top.
    assert_eq!(kept, crop(5, 16, 43, 44));
    assert!(done.kept_version);
    assert_eq!(sides(&media.get(&ann, photo.0, photo.1).await.unwrap()), (43, 44));
    let cropped = bytes_of(&env, &ann, photo).await;
    assert_eq!(exiftool(&env, &cropped, &["ImageWidth", "ImageHeight", "Orientation"]), "44 43 6");
    // The stored pixels inside, away from the new edges, decode as they did.
    let (before, after) =
        (image::load_from_memory(&original).unwrap(), image::load_from_memory(&cropped).unwrap());
    let (before, after) = (before.to_rgb8(), after.to_rgb8());
    assert_eq!(after.dimensions(), (44, 43));
    for y in 2..41 {
        for x in 2..42 {
            assert_eq!(after.get_pixel(x, y), before.get_pixel(x + 16, y), "({x}, {y})");
        }
    }
    let log = AuditFilter { action: Some(AuditAction::Crop), ..AuditFilter::default() };
    let rows =
        mediadesk::auth::AccountService::new(env.db.clone()).audit(None, &log, None, 10).await.unwrap();
    assert_eq!(rows.entries[0].detail.as_deref(), Some("quay.jpg cropped to 43×44 from (5, 16)"));
    assert_eq!(env.count_rows("versions").await, 1);

    // A camera's EXIF, written by exiftool: its thumbnail (the whole picture) is gone after the
    // crop, and the size it states is the new one.
    let camera = env.dir.path().join("camera.jpg");
    std::fs::copy(fixture("image.jpg"), &camera).unwrap();
    let thumb = format!("-ThumbnailImage<={}", fixture("image.jpg").display());
    let wrote = Command::new("exiftool")
        .args(["-q", "-overwrite_original", "-ExifImageWidth=64", "-ExifImageHeight=48", &thumb])
        .arg(&camera)
        .status()
        .expect("exiftool is required (scripts/test.sh installs it)");
    assert!(wrote.success());
    let camera = std::fs::read(&camera).unwrap();
    assert!(exiftool(&env, &camera, &["ThumbnailImage"]).starts_with("(Binary data"), "the test's own file");
    let owner = mediadesk::domain::Owner::User(ann.user_id.unwrap());
    let upload = mediadesk::media::Upload::new(owner, "camera.jpg");
    let shot = media.upload(&ann, upload, bytes_stream(camera)).await.unwrap();
    let shot = (shot.kind(), shot.id());
    media.crop(&ann, shot, crop(16, 16, 32, 16)).await.unwrap();
    let cut = bytes_of(&env, &ann, shot).await;
    assert_eq!(exiftool(&env, &cut, &["ExifImageWidth", "ExifImageHeight", "ImageWidth"]), "32 16 32");
    assert_eq!(exiftool(&env, &cut, &["ThumbnailImage"]), "", "no thumbnail left");

    // A PNG: exactly the pixels inside.
    let map = env.upload_own(&ann, "map.png", "image.png").await;
    let (_, kept) = media.crop(&ann, map, crop(3, 2, 17, 9)).await.unwrap();
    assert_eq!(kept, crop(3, 2, 17, 9));
    let png = image::load_from_memory(&bytes_of(&env, &ann, map).await).unwrap();
    let was = image::load_from_memory(&fixture_bytes("image.png")).unwrap();
    assert_eq!(png.as_bytes(), was.crop_imm(3, 2, 17, 9).as_bytes());
    assert_eq!(sides(&media.get(&ann, map.0, map.1).await.unwrap()), (17, 9));

    // A GIF: every frame, as a viewer composes it, cut; its timing kept.
    let anim = env.upload_own(&ann, "loop.gif", "image-anim.gif").await;
    media.crop(&ann, anim, crop(2, 1, 9, 7)).await.unwrap();
    let (was, now) = (frames(&fixture_bytes("image-anim.gif")), frames(&bytes_of(&env, &ann, anim).await));
    assert!(was.len() > 1 && was.len() == now.len());
    for (a, b) in now.iter().zip(&was) {
        let want = image::DynamicImage::ImageRgba8(b.buffer().clone()).crop_imm(2, 1, 9, 7);
        assert_eq!((a.buffer().as_raw(), a.delay()), (want.as_bytes().to_vec().as_ref(), b.delay()));
    }
    env.usage_matches(ann.user_id.unwrap()).await;
    let report = media.reconcile(false, std::time::Duration::ZERO).await.unwrap();
    assert!(report.is_clean(), "{report:?}");
}

async fn a_webp_crops_in_its_own_kind(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let has = |file: &[u8], chunk: &[u8]| file.windows(4).any(|w| w == chunk);
    let pixels = |file: &[u8]| image::load_from_memory(file).unwrap().into_rgba8();

    // Lossless: every pixel inside exactly, still lossless.
    let plan = env.upload_own(&ann, "plan.webp", "image-lossless.webp").await;
    let before = pixels(&bytes_of(&env, &ann, plan).await);
    let (done, kept) = media.crop(&ann, plan, crop(5, 7, 20, 30)).await.unwrap();
    assert_eq!(kept, crop(5, 7, 20, 30), "exactly what was asked");
    assert!(done.kept_version);
    let now = bytes_of(&env, &ann, plan).await;
    assert!(has(&now, b"VP8L") && !has(&now, b"VP8 "));
    let want = image::imageops::crop_imm(&before, 5, 7, 20, 30).to_image();
    assert!(pixels(&now).as_raw() == want.as_raw(), "every pixel inside as it was");

    // Lossy, shown a quarter turn right, with EXIF and XMP: cut as shown, stored upright, the
    // rest kept, the pixels close to what they were.
    let described = described_webp(&env);
    let owner = mediadesk::domain::Owner::User(ann.user_id.unwrap());
    let upload = mediadesk::media::Upload::new(owner, "lens.webp");
    let lens = media.upload(&ann, upload, bytes_stream(described.clone())).await.unwrap();
    let lens = (lens.kind(), lens.id());
    assert_eq!(sides(&media.get(&ann, lens.0, lens.1).await.unwrap()), (48, 64), "shown turned");
    media.crop(&ann, lens, crop(4, 10, 40, 50)).await.unwrap();
    assert_eq!(sides(&media.get(&ann, lens.0, lens.1).await.unwrap()), (40, 50));
    let now = bytes_of(&env, &ann, lens).await;
    assert!(has(&now, b"VP8 ") && !has(&now, b"VP8L"), "still lossy");
    assert_eq!(exiftool(&env, &now, &["ImageWidth", "ImageHeight", "Orientation"]), "40 50 1");
    assert_eq!(exiftool(&env, &now, &["Title", "Artist"]), "Quay Ann");
    let shown = image::imageops::rotate90(&pixels(&described));
    let want = image::imageops::crop_imm(&shown, 4, 10, 40, 50).to_image();
    let off = mean_difference(&pixels(&now), &want);
    assert!(off < 3.0, "on average {off:.2} off");
    env.usage_matches(ann.user_id.unwrap()).await;
    assert!(media.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());
}

async fn refused_crops_change_nothing(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let bob = Actor::user(env.user("bob", "user").await);
    let photo = env.upload_own(&ann, "quay.jpg", "image.jpg").await;
    let spin = env.upload_own(&ann, "spin.webp", "image-anim.webp").await;
    let clip = env.upload_own(&ann, "tone.flac", "tone.flac").await;
    let before = env.objects().await;
    let invalid = |r: Result<_, MediaError>, needle: &str| match r {
        Err(MediaError::Invalid(m)) => assert!(m.contains(needle), "{m}"),
        other => panic!("expected a refusal about {needle:?}, got {other:?}"),
    };
    invalid(media.crop(&ann, photo, crop(60, 0, 5, 5)).await, "past the image's edge");
    invalid(media.crop(&ann, photo, crop(0, 0, 64, 48)).await, "the whole image");
    invalid(media.crop(&ann, photo, crop(0, 0, 0, 5)).await, "at least one pixel");
    invalid(media.crop(&ann, spin, crop(0, 0, 2, 2)).await, ANIMATION_NOT_CROPPED);
    invalid(media.crop(&ann, clip, crop(0, 0, 2, 2)).await, "only images");
    assert!(matches!(media.crop(&bob, photo, crop(0, 0, 2, 2)).await, Err(MediaError::NotFound)));

    // The store is down, or refuses the old file's thumbnail as it is set aside; the log's row
    // cannot be written: nothing is stored, nothing set aside.
    let settings = media.settings().clone();
    let (store, switch) = env.faulty_store().await;
    switch.down();
    let err =
        env.media_with(store, settings.clone()).crop(&ann, photo, crop(0, 0, 16, 16)).await.unwrap_err();
    assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
    switch.up();
    let refusing = env.media_with(env.store_refusing("thumb.jpg"), settings);
    let err = refusing.crop(&ann, photo, crop(0, 0, 16, 16)).await.unwrap_err();
    assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
    env.inject_db_failure("audit_log", "INSERT").await;
    let err = media.crop(&ann, photo, crop(0, 0, 16, 16)).await.unwrap_err();
    assert!(matches!(err, MediaError::Database(_)), "{err:?}");
    env.clear_db_failure("audit_log", "INSERT").await;
    media.retry_pending_deletions(true).await.unwrap();
    assert_eq!(env.objects().await, before);
    assert_eq!(env.count_rows("versions").await, 0);
    assert_eq!(bytes_of(&env, &ann, photo).await, fixture_bytes("image.jpg"));
    assert_eq!(sides(&media.get(&ann, photo.0, photo.1).await.unwrap()), (64, 48));
    env.usage_matches(ann.user_id.unwrap()).await;

    // A stored JPEG that rotted (cut short in its scan): refused as unreadable, nothing stored.
    let key = env.objects().await.into_iter().find(|k| k.ends_with(".jpg") && !k.contains("thumb"));
    let key = mediadesk::storage::StorageKey::parse(&key.expect("the photo")).unwrap();
    let jpeg = fixture_bytes("image.jpg");
    let rotten = env.dir.path().join("rotten.jpg");
    std::fs::write(&rotten, &jpeg[..jpeg.len() * 2 / 3]).unwrap();
    env.store.put_file(&key, &rotten, "image/jpeg").await.unwrap();
    let before = env.objects().await;
    let err = media.crop(&ann, photo, crop(0, 0, 16, 16)).await.unwrap_err();
    assert!(matches!(err, MediaError::Corrupt(_)), "{err:?}");
    assert_eq!(env.objects().await, before);
    assert_eq!(env.count_rows("versions").await, 0);
}

async fn send(s: &TestServer, token: &str, path: &str, body: Value) -> Page {
    let req = reqwest::Client::new().post(format!("{}{path}", s.base)).bearer_auth(token);
    Tus::send(req.header("Content-Type", "application/json").body(body.to_string())).await
}

async fn cropping_through_the_page_and_the_api(env: TestEnv) {
    let s = env.with_trash(30).start_server().await;
    let (ann, ann_id) = s.signed_in("ann", Role::User).await;
    let files = [("quay.jpg", fixture_bytes("image.jpg")), ("wave.webp", fixture_bytes("image.webp"))];
    let up = ann.upload(&files, None, true).await;
    let v: Value = serde_json::from_str(&up.body).unwrap();
    let [jpeg, webp] = [0, 1].map(|i| v["results"][i]["url"].as_str().unwrap().to_owned());
    let page = html_unescape(&ann.get(&jpeg).await.body);
    assert!(page.contains(&format!("action=\"{jpeg}/crop\"")), "{page}");
    assert!(page.contains("id=\"crop-width\" name=\"width\" type=\"number\""), "{page}");
    assert!(page.contains("value=\"64\" required") && page.contains("nothing is re-encoded"), "{page}");
    let webp_page = html_unescape(&ann.get(&webp).await.body);
    assert!(webp_page.contains(&format!("action=\"{webp}/crop\"")), "{webp_page}");
    assert!(webp_page.contains("a lossy one is compressed anew at quality 90"), "{webp_page}");

    // Refused: back to the form with the numbers as typed, and why.
    let at = format!("{jpeg}/crop");
    let typed = [("left", "4"), ("top", "zero"), ("width", "20"), ("height", "20")];
    let r = ann.post(&jpeg, &at, &typed).await;
    assert_eq!((r.status, r.location()), (303, format!("{jpeg}?crop=4%2Czero%2C20%2C20#crop").as_str()));
    let back = html_unescape(&ann.get(r.location()).await.body);
    assert!(back.contains("in whole pixels") && back.contains("value=\"zero\" required"), "{back}");
    let r = ann.post(&jpeg, &at, &[("left", "50"), ("top", "0"), ("width", "20"), ("height", "20")]).await;
    let back = html_unescape(&ann.get(r.location()).await.body);
    assert!(back.contains("past the image's edge") && back.contains("value=\"50\" required"), "{back}");

    let r = ann.post(&jpeg, &at, &[("left", "16"), ("top", "16"), ("width", "32"), ("height", "24")]).await;
    assert_eq!((r.status, r.location()), (303, jpeg.as_str()));
    let said = html_unescape(&ann.get(&jpeg).await.body);
    assert!(said.contains("quay.jpg cropped to 32×24 from (16, 16). The file as it was"), "{said}");
    assert!(said.contains("· cropped <time") && said.contains("32 × 24"), "{said}");
    let (bob, _) = s.signed_in("bob", Role::User).await;
    assert_eq!(
        bob.post("/media", &at, &[("left", "0"), ("top", "0"), ("width", "8"), ("height", "8")]).await.status,
        404
    );
    let no_token = ann.post_raw(&at, &[("left", "0"), ("top", "0"), ("width", "8"), ("height", "8")]).await;
    assert!(matches!(no_token.status, 400 | 403), "refused without the form's token: {}", no_token.status);

    // The API: the edit scope; the answer is the item as cropped; refusals are JSON.
    let api = format!("/api/v1{jpeg}/crop");
    let reader = s.token(ann_id, &[Scope::Read], "crop").await;
    let r = send(&s, &reader, &api, json!({"left": 0, "top": 0, "width": 8, "height": 8})).await;
    assert_eq!(
        (r.status, serde_json::from_str::<Value>(&r.body).unwrap()["code"].clone()),
        (403, json!("token_scope"))
    );
    let editor = s.token(ann_id, &[Scope::Edit], "crop").await;
    let r = send(&s, &editor, &api, json!({"left": 0, "top": 0, "width": 16, "height": 8})).await;
    let doc: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!((r.status, doc["width"].as_i64(), doc["height"].as_i64()), (200, Some(16), Some(8)), "{doc}");
    for (bad, code) in [
        (json!({"left": 0, "top": 0, "width": 16, "height": 8}), "invalid"),
        (json!({"left": 0, "top": 0, "width": 16}), "bad_request"),
        (json!({"left": -1, "top": 0, "width": 8, "height": 8}), "bad_request"),
        (json!({"left": 0, "top": 0, "width": 8, "height": 8, "turn": "left"}), "bad_request"),
    ] {
        let r = send(&s, &editor, &api, bad.clone()).await;
        let got: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!((r.status, got["code"].as_str()), (400, Some(code)), "{bad}: {got}");
    }
    let log = AuditFilter { action: Some(AuditAction::Crop), ..AuditFilter::default() };
    assert_eq!(s.app.accounts.audit(None, &log, None, 50).await.unwrap().entries.len(), 2);
}

/// At 390 px the crop form fits without sideways scrolling; a drag over the picture fills its
/// numbers (in the image's pixels) and draws the rectangle; Crop cuts the photo to them.
async fn browser_crops_a_photo_by_dragging_at_390_px(env: TestEnv) {
    let backend = env.backend;
    let server = env.with_trash(30).start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let item = ann.upload_one("map.png", fixture_bytes("image.png")).await;
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.resize(390, 844).await;
        b.sign_in("ann").await;
        b.goto(&item).await;
        let loaded = "const i = document.getElementById('preview'); return new Promise(r => { \
            const s = () => r([i.naturalWidth, i.naturalHeight, i.getBoundingClientRect().width]); \
            if (i.complete) s(); else i.onload = s; });";
        let size = b.js(loaded).await;
        let (w, h, shown) = (size[0].as_f64().unwrap(), size[1].as_f64().unwrap(), size[2].as_f64().unwrap());
        b.assert_fits("no sideways scrolling at 390 px").await;
        // From a quarter in from the top left to the centre: about a quarter of each side.
        let s = shown / w;
        b.drag("#preview", (-w * s / 4.0, -h * s / 4.0), (0.0, 0.0)).await;
        let read = "return ['left', 'top', 'width', 'height']\
            .map(n => +document.getElementById('crop-' + n).value)\
            .concat([!document.querySelector('.crop-box').hidden]);";
        let got = b.js(read).await;
        let near = |v: &Value, want: f64| (v.as_f64().unwrap() - want).abs() <= 2.0;
        assert!(near(&got[0], w / 4.0) && near(&got[1], h / 4.0), "{got}");
        assert!(near(&got[2], w / 4.0) && near(&got[3], h / 4.0), "{got}");
        assert_eq!(got[4], Value::Bool(true), "the rectangle is drawn");
        assert_eq!(b.path().await, item, "the drag did not open the full-size picture");
        b.screenshot("crop-390").await;
        b.js("document.getElementById('crop').scrollIntoView(); return 0;").await;
        b.screenshot("crop-form-390").await;
        b.find("#crop button[type=submit]").await.click().await.expect("Crop");
        b.wait_for_flash("map.png cropped to").await;
        let now = b.js(loaded).await;
        assert_eq!((now[0].as_f64(), now[1].as_f64()), (got[2].as_f64(), got[3].as_f64()), "shown cropped");
        b.assert_fits("no sideways scrolling at 390 px").await;
    })
    .await;
}

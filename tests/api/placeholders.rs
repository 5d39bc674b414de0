//! Image placeholders (ThumbHash), on both backends: every image upload gets one, made from
//! its thumbnail as shown; the API lists it and the item's document has it (audio none); a turn
//! gives the new picture's, a roll back the earlier file's, the trash keeps it. Images an older
//! version stored get theirs from `mediadesk backfill` (an unreadable thumbnail is reported and
//! left). Chromium paints each under its thumbnail, in the thumbnail's box, with the very
//! pixels ThumbHash's own decoder gives.

use base64::Engine;
use mediadesk::auth::{Role, Scope};
use mediadesk::domain::{MediaKind, Turn};
use mediadesk::media::{Actor, MediaRead, MediaService};
use serde_json::{Value, json};
use std::time::Duration;

use crate::common::browser::Browser;
use crate::common::server::html_unescape;
use crate::common::tus::Tus;
use crate::common::*;

backend_tests!(
    every_image_gets_a_placeholder,
    older_images_get_theirs_from_backfill,
    browser_paints_placeholders_under_thumbnails,
    browser_holds_the_picture_place_while_it_loads
);

/// A placeholder's picture, as ThumbHash decodes it: (width, height, RGBA).
fn decoded(placeholder: &str) -> (usize, usize, Vec<u8>) {
    let bytes = base64::engine::general_purpose::STANDARD.decode(placeholder).expect("base64");
    thumbhash::thumb_hash_to_rgba(&bytes).expect("a ThumbHash")
}

/// The mean colour of RGBA or RGB pixels.
fn mean(pixels: &[u8], channels: usize) -> [f64; 3] {
    let n = (pixels.len() / channels) as f64;
    let sum = |c: usize| pixels.chunks_exact(channels).map(|p| f64::from(p[c])).sum::<f64>() / n;
    [sum(0), sum(1), sum(2)]
}

/// A picture as its thumbnail shows it: transparency over the gallery card's grey.
fn flattened(rgba: &image::RgbaImage) -> image::RgbImage {
    image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y);
        let a = u16::from(p[3]);
        let over = |c: usize, matte: u16| ((u16::from(p[c]) * a + matte * (255 - a)) / 255) as u8;
        image::Rgb([over(0, 0xEC), over(1, 0xEE), over(2, 0xF2)])
    })
}

async fn placeholder_of(media: &MediaService, who: &Actor, id: i64) -> Option<String> {
    match media.get(who, MediaKind::Image, id).await.unwrap() {
        MediaRead::Image(i) => i.placeholder,
        other => panic!("an image, not {other:?}"),
    }
}

/// The placeholder looks like the picture: the same shape, and the same colour on the whole.
fn looks_like(placeholder: &str, picture: &image::RgbImage) {
    let (w, h, rgba) = decoded(placeholder);
    let (pw, ph) = picture.dimensions();
    let (ours, theirs) = (w as f64 / h as f64, f64::from(pw) / f64::from(ph));
    assert!((ours / theirs - 1.0).abs() < 0.25, "shape {w}×{h} for {pw}×{ph}");
    let (ours, theirs) = (mean(&rgba, 4), mean(picture.as_raw(), 3));
    for c in 0..3 {
        assert!((ours[c] - theirs[c]).abs() < 20.0, "mean colour {ours:?} for {theirs:?}");
    }
}

async fn every_image_gets_a_placeholder(env: TestEnv) {
    let s = env.with_trash(30).start_server().await;
    let media = s.env.media.clone();
    let (web, ann_id) = s.signed_in("ann", Role::User).await;
    let ann = Actor::user(ann_id);
    let (kind, photo) = s.env.upload_own(&ann, "quay.jpg", "image-exif-rot6.jpg").await;
    let (_, map) = s.env.upload_own(&ann, "map.png", "image.png").await;
    let (_, anim) = s.env.upload_own(&ann, "loop.gif", "image-anim.gif").await;
    let (_, clip) = s.env.upload_own(&ann, "tone.flac", "tone.flac").await;
    let shown = |name: &str| flattened(&image::load_from_memory(&fixture_bytes(name)).unwrap().to_rgba8());
    // Stored 64×48, shown turned: the placeholder is of the picture as shown (48×64).
    let turned = image::imageops::rotate90(&shown("image-exif-rot6.jpg"));
    let first = placeholder_of(&media, &ann, photo).await.expect("made at upload");
    looks_like(&first, &turned);
    looks_like(&placeholder_of(&media, &ann, map).await.unwrap(), &shown("image.png"));
    assert!(placeholder_of(&media, &ann, anim).await.is_some());
    let (w, h, _) = decoded(&first);
    assert!(w < h, "portrait, as shown: {w}×{h}");

    // The API lists it and the document has it; audio has none.
    let reader = s.token(ann_id, &[Scope::Read], "placeholders").await;
    let get = async |path: String| {
        let page =
            Tus::send(reqwest::Client::new().get(format!("{}{path}", s.base)).bearer_auth(&reader)).await;
        serde_json::from_str::<Value>(&page.body).unwrap()
    };
    let listed = get("/api/v1/media".into()).await;
    let items = listed["items"].as_array().unwrap();
    let of = |id: i64, k: &str| {
        items.iter().find(|i| i["id"] == id && i["kind"] == k).unwrap()["placeholder"].clone()
    };
    assert_eq!(of(photo, "image"), Value::String(first.clone()));
    assert_eq!(of(clip, "audio"), Value::Null);
    assert_eq!(
        get(format!("/api/v1/media/image/{photo}")).await["placeholder"],
        Value::String(first.clone())
    );
    let gallery = html_unescape(&web.get("/media").await.body);
    assert!(gallery.contains(&format!("data-placeholder=\"{first}\"")), "{gallery}");

    // A turn makes the new picture's: landscape again.
    media.turn(&ann, (kind, photo), Turn::Left).await.unwrap();
    let now = placeholder_of(&media, &ann, photo).await.unwrap();
    looks_like(&now, &shown("image-exif-rot6.jpg"));
    let (w, h, _) = decoded(&now);
    assert!(w > h, "landscape once turned back: {w}×{h}");
    // Rolling back brings the earlier file's; the trash keeps it.
    let version = media.versions(&ann, (kind, photo)).await.unwrap()[0].id;
    media.restore_version(&ann, (kind, photo), version).await.unwrap();
    assert_eq!(placeholder_of(&media, &ann, photo).await, Some(first.clone()));
    media.delete(&ann, kind, photo).await.unwrap();
    media.restore(&ann, kind, photo).await.unwrap();
    assert_eq!(placeholder_of(&media, &ann, photo).await, Some(first));
}

async fn older_images_get_theirs_from_backfill(env: TestEnv) {
    use mediadesk::storage::StorageKey;
    let ann = Actor::user(env.user("ann", "user").await);
    let (_, photo) = env.upload_own(&ann, "quay.jpg", "image.jpg").await;
    let (_, map) = env.upload_own(&ann, "map.png", "image.png").await;
    let (_, lost) = env.upload_own(&ann, "lost.png", "image-gray16.png").await;
    let made = placeholder_of(&env.media, &ann, photo).await.unwrap();
    // As an older version left them: no placeholders; one thumbnail gone from the store.
    env.db.batch_execute("UPDATE images SET placeholder = NULL").await.unwrap();
    let thumb = {
        let mut pooled = env.db.get().await.unwrap();
        let row = mediadesk::db::repo::ImageRepo::by_id(&mut pooled.conn(), lost).await.unwrap().unwrap();
        row.thumbnail_key.unwrap()
    };
    env.store.delete(&StorageKey::parse(&thumb).unwrap()).await.unwrap();

    let run = env.cli(&["backfill", "--json"], None);
    assert_eq!(run.code, 1, "an item left as it was fails the command: {}", run.stderr);
    let done: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(done["placeholders"], 2, "{done}");
    assert_eq!(
        (&done["failed"][0]["kind"], &done["failed"][0]["id"]),
        (&"image".into(), &lost.into()),
        "{done}"
    );
    // Made from the stored thumbnail (a JPEG of the same picture): as good a likeness.
    let again = placeholder_of(&env.media, &ann, photo).await.expect("backfilled");
    looks_like(&again, &image::load_from_memory(&fixture_bytes("image.jpg")).unwrap().to_rgb8());
    let (a, b) = (decoded(&again), decoded(&made));
    assert_eq!((a.0, a.1), (b.0, b.1), "the same shape as the upload's");
    assert!(placeholder_of(&env.media, &ann, map).await.is_some());
    assert_eq!(placeholder_of(&env.media, &ann, lost).await, None, "left as it was");
    let twice = env.media.backfill().await.unwrap();
    assert_eq!((twice.placeholders, twice.failed.len()), (0, 1), "{twice:?}");
}

/// At 390 px each thumbnail has its placeholder under it, in its box, with the pixels
/// ThumbHash's own decoder gives (the page's script is a second decoder; this judges it).
async fn browser_paints_placeholders_under_thumbnails(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let files = [("map.png", fixture_bytes("image.png")), ("quay.jpg", fixture_bytes("image-exif-rot6.jpg"))];
    ann.upload(&files, None, true).await;
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.resize(390, 844).await;
        b.sign_in("ann").await;
        b.goto("/media").await;
        let read = "return [...document.querySelectorAll('img[data-placeholder]')].map(i => { \
            const c = i.previousElementSibling, a = i.getBoundingClientRect(), \
            r = c.getBoundingClientRect(); \
            return [i.dataset.placeholder, c.width, c.height, \
              [...c.getContext('2d').getImageData(0, 0, c.width, c.height).data], \
              [a.left - r.left, a.top - r.top, a.width - r.width, a.height - r.height]]; });";
        let painted = b.js(read).await;
        let painted = painted.as_array().unwrap();
        assert_eq!(painted.len(), 2, "{painted:?}");
        for p in painted {
            let (w, h, rgba) = decoded(p[0].as_str().unwrap());
            assert_eq!((p[1].as_u64(), p[2].as_u64()), (Some(w as u64), Some(h as u64)));
            let js: Vec<u8> = p[3].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u8).collect();
            assert_eq!(js.len(), rgba.len());
            let off = js.iter().zip(&rgba).filter(|(a, b)| a.abs_diff(**b) > 1).count();
            assert_eq!(off, 0, "the script's pixels are ThumbHash's");
            for d in p[4].as_array().unwrap() {
                assert!(
                    d.as_f64().unwrap().abs() < 1.0,
                    "the placeholder's box is the thumbnail's: {}",
                    p[4]
                );
            }
        }
        b.assert_fits("no sideways scrolling at 390 px").await;
    })
    .await;
}

/// What the page shows of `#preview` now: whether it has loaded, its box, and its
/// placeholder's (`null` when there is none): hash, canvas size, pixels and box.
const PREVIEW: &str = "const i = document.getElementById('preview'), c = i.previousElementSibling, \
    box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }; \
    return [i.complete, box(i), c && c.tagName === 'CANVAS' ? [i.dataset.placeholder, c.width, c.height, \
      [...c.getContext('2d').getImageData(0, 0, c.width, c.height).data], box(c)] : null];";

/// An item's page, its full-window viewer and its share link's page hold the picture's place
/// at its size as shown (48×64, the fixture being turned by its orientation), its placeholder
/// painted there with ThumbHash's pixels, while the picture is on its way (the store made slow:
/// on S3 the browser fetches through a slowed proxy); when it comes the placeholder goes and
/// nothing moves.
async fn browser_holds_the_picture_place_while_it_loads(mut env: TestEnv) {
    let backend = env.backend;
    let (store, slow) = env.faulty_store().await;
    env.media = env.media_with(store.clone(), env.settings());
    env.store = store;
    let origin = slow.media_origin();
    let server = env.start_server_configured(|s| s.media_origins.extend(origin)).await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let item = ann.upload_one("quay.jpg", fixture_bytes("image-exif-rot6.jpg")).await;
    // Another copy for the viewer: the item's own picture, once its page fetched it, comes from
    // the browser's cache (its link is the same for a while), and this is about the wait.
    let other = ann.upload_one("quay-2.jpg", fixture_bytes("image-exif-rot6.jpg")).await;
    let size = "data-width=\"48\" data-height=\"64\"";
    assert!(ann.get(&item).await.body.contains(size), "the item's page gives the size as shown");
    let link = crate::shares::share(&ann, &item, &[("lifetime", "3600")]).await;
    assert!(server.client().get(&link).await.body.contains(size), "and its share link's");
    let base = server.base.clone();
    Browser::run_eager(backend, &base, |b| async move {
        b.resize(390, 844).await;
        b.sign_in("ann").await;
        slow.slow(Duration::from_millis(1500));
        let viewer = format!("{other}/view");
        for page in [item.as_str(), viewer.as_str(), link.as_str()] {
            b.goto(page).await;
            let before = b.js(PREVIEW).await;
            assert_eq!(before[0], json!(false), "{page}: the picture is still on its way");
            let (width, height) = (before[1][2].as_f64(), before[1][3].as_f64());
            assert_eq!((width, height), (Some(48.0), Some(64.0)), "{page}: {before}");
            let painted = &before[2];
            let (w, h, rgba) = decoded(painted[0].as_str().expect("a placeholder painted"));
            assert_eq!((painted[1].as_u64(), painted[2].as_u64()), (Some(w as u64), Some(h as u64)));
            let js: Vec<u8> =
                painted[3].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u8).collect();
            assert_eq!(js.iter().zip(&rgba).filter(|(a, b)| a.abs_diff(**b) > 1).count(), 0);
            let placed = painted[4].as_array().unwrap().iter().zip(before[1].as_array().unwrap());
            for (canvas, picture) in placed {
                let off = (canvas.as_f64().unwrap() - picture.as_f64().unwrap()).abs();
                assert!(off < 1.0, "{page}: the placeholder fills the picture's place: {before}");
            }
            if page == item {
                b.screenshot("preview-placeholder-390").await;
            }
            let loaded = "const i = document.getElementById('preview'); return new Promise(r => { \
                if (i.complete) r(i.naturalWidth); else i.onload = () => r(i.naturalWidth); });";
            assert_eq!(b.js(loaded).await, json!(48), "{page}: the picture came");
            let after = b.js(PREVIEW).await;
            assert_eq!(after[2], Value::Null, "{page}: its placeholder went");
            assert_eq!(after[1], before[1], "{page}: nothing moved");
            b.assert_fits("no sideways scrolling at 390 px").await;
        }
        slow.slow(Duration::ZERO);
    })
    .await;
}

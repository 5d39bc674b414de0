//! Look-alikes on both backends: copies whose bytes differ (resized, saved again, another
//! format, brighter) are found, unrelated pictures are not, and nobody learns of another
//! user's files; a turn, a roll back, the trash and the backfill keep each image's look true
//! to its file. Then the item page's "Looks like" (by keyboard at 390 px in Chromium) and the
//! API's `…/alike`.

use image::{Rgb, RgbImage, imageops};
use mediadesk::auth::Role;
use mediadesk::domain::{MediaKind, Owner, Turn};
use mediadesk::media::{Actor, Alike, Likeness, MediaError, Upload};

use crate::common::browser::{Browser, PATIENCE, poll};
use crate::common::*;

backend_tests!(
    look_alikes_are_found_among_what_the_viewer_sees,
    look_alikes_through_the_page_and_the_api,
    browser_follows_a_look_alike_by_keyboard_at_390_px
);

/// A scene of soft shapes, a light from the left and a disc: `seed` moves them.
fn scene(seed: u32) -> RgbImage {
    let (w, h) = (400, 300);
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy, s) = (x as f32 / w as f32, y as f32 / h as f32, seed as f32);
        let wave = ((fx * (3.0 + s) + fy * 2.0).sin() * 60.0) as i32;
        let disc = if (fx - 0.3 - s * 0.1).powi(2) + (fy - 0.6).powi(2) < 0.04 { 80 } else { 0 };
        let v = (90 + wave + disc + (fx * 70.0) as i32).clamp(0, 255) as u8;
        Rgb([v, v.saturating_sub(20), 255 - v / 2])
    })
}

fn jpeg(rgb: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(rgb).unwrap();
    out
}

fn png(rgb: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    rgb.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A photo, a smaller PNG of it, a brighter copy and an unrelated picture.
pub(crate) fn pictures() -> [(&'static str, Vec<u8>); 4] {
    let photo = scene(1);
    let mut brighter = photo.clone();
    brighter.pixels_mut().for_each(|p| p.0 = p.0.map(|c| c.saturating_add(20)));
    [
        ("harbour.jpg", jpeg(&photo, 90)),
        ("harbour-small.png", png(&imageops::resize(&photo, 200, 150, imageops::FilterType::Triangle))),
        ("harbour-bright.jpg", jpeg(&brighter, 85)),
        ("dunes.jpg", jpeg(&scene(3), 90)),
    ]
}

pub(crate) async fn put(env: &TestEnv, who: &Actor, owner: Owner, (name, bytes): (&str, Vec<u8>)) -> i64 {
    let upload = Upload::new(owner, name);
    env.media.upload(who, upload, bytes_stream(bytes)).await.expect("upload").id()
}

/// The ids of an image's look-alikes as `who` sees them, the closest first, with their distance.
async fn alike(env: &TestEnv, who: &Actor, id: i64) -> Vec<(i64, u32, bool)> {
    match env.media.look_alikes(who, MediaKind::Image, id).await.expect("look-alikes") {
        Alike::Found(found) => found
            .into_iter()
            .map(|a| match a.likeness {
                Likeness::Look(d) => (a.id, d, a.same_file),
                Likeness::Sound(_) => panic!("an image said to sound like {id}"),
            })
            .collect(),
        other => panic!("image {id} has no look: {other:?}"),
    }
}

fn ids(found: &[(i64, u32, bool)]) -> Vec<i64> {
    let mut ids: Vec<i64> = found.iter().map(|f| f.0).collect();
    ids.sort();
    ids
}

async fn look_alikes_are_found_among_what_the_viewer_sees(env: TestEnv) {
    let env = env.with_trash(30);
    let ann = Actor::user(env.user("ann", "user").await);
    let bob = Actor::user(env.user("bob", "user").await);
    let sam = Actor::staff(env.user("sam", "staff").await);
    let mine = Owner::User(ann.user_id.unwrap());
    let [photo, small, bright, dunes] = pictures();
    let (photo_bytes, photo) = (photo.1.clone(), put(&env, &ann, mine, photo).await);
    let small = put(&env, &ann, mine, small).await;
    let bright = put(&env, &ann, mine, bright).await;
    let dunes = put(&env, &ann, mine, dunes).await;
    let bobs = put(&env, &bob, Owner::User(bob.user_id.unwrap()), ("bob.jpg", jpeg(&scene(1), 60))).await;
    let system = put(&env, &Actor::operator(), Owner::System, ("quay.png", png(&scene(1)))).await;

    let found = alike(&env, &ann, photo).await;
    assert_eq!(ids(&found), vec![small, bright, system], "{found:?}: not the dunes, not bob's");
    assert!(found.windows(2).all(|w| w[0].1 <= w[1].1), "the closest first: {found:?}");
    assert!(found.iter().all(|f| f.1 <= 8 && !f.2), "{found:?}");
    let small_at = found.iter().find(|f| f.0 == small).unwrap().1;
    assert!(small_at <= 2, "a smaller copy is nearly the same look: {small_at}");
    assert_eq!(ids(&alike(&env, &sam, photo).await), vec![small, bright, bobs, system], "staff see all");
    assert_eq!(alike(&env, &ann, dunes).await, vec![], "nothing looks like the dunes");
    let err = env.media.look_alikes(&bob, MediaKind::Image, photo).await.unwrap_err();
    assert!(matches!(err, MediaError::NotFound), "bob cannot see ann's photo: {err:?}");
    // A sound's alikes are sounds (sound_alike.rs), never pictures.
    let clip = env.upload_own(&ann, "tone.flac", "tone.flac").await;
    let heard = env.media.look_alikes(&ann, clip.0, clip.1).await.unwrap();
    let pictures =
        |a: &Alike| matches!(a, Alike::Found(f) if f.iter().any(|l| matches!(l.likeness, Likeness::Look(_))));
    assert!(!pictures(&heard), "{heard:?}");
    // The very same file kept twice is said to be.
    let again = put(&env, &ann, mine, ("harbour-again.jpg", photo_bytes)).await;
    assert!(alike(&env, &ann, photo).await.contains(&(again, 0, true)));

    // A turned copy is another picture, until it is rolled back.
    env.media.turn(&ann, (MediaKind::Image, small), Turn::Right).await.unwrap();
    assert!(!ids(&alike(&env, &ann, photo).await).contains(&small), "turned, it looks otherwise");
    let earlier = env.media.versions(&ann, (MediaKind::Image, small)).await.unwrap()[0].id;
    env.media.restore_version(&ann, (MediaKind::Image, small), earlier).await.unwrap();
    assert!(ids(&alike(&env, &ann, photo).await).contains(&small), "rolled back, it looks alike again");
    // The trash hides a copy, and restoring brings its look back with it.
    env.media.delete(&ann, MediaKind::Image, bright).await.unwrap();
    assert!(!ids(&alike(&env, &ann, photo).await).contains(&bright));
    env.media.restore(&ann, MediaKind::Image, bright).await.unwrap();
    assert!(ids(&alike(&env, &ann, photo).await).contains(&bright));

    // Images an older version stored have no look until the backfill reads their thumbnails.
    env.db.batch_execute("UPDATE images SET look = NULL").await.unwrap();
    let unlooked = env.media.look_alikes(&ann, MediaKind::Image, photo).await.unwrap();
    assert!(matches!(unlooked, Alike::NotLooked), "{unlooked:?}");
    let done = env.media.backfill().await.unwrap();
    assert_eq!(done.placeholders, 7, "every image, looked at from its thumbnail");
    assert_eq!(ids(&alike(&env, &ann, photo).await), vec![small, bright, system, again]);
    assert_eq!(env.media.backfill().await.unwrap().placeholders, 0, "nothing left");
    // A database that cannot answer is an error, not an empty list.
    env.db.batch_execute("ALTER TABLE images RENAME COLUMN look TO look_gone").await.unwrap();
    let err = env.media.look_alikes(&ann, MediaKind::Image, photo).await.unwrap_err();
    assert!(matches!(err, MediaError::Database(_)), "{err:?}");
}

async fn look_alikes_through_the_page_and_the_api(env: TestEnv) {
    let s = env.start_server().await;
    let (ann, _) = s.signed_in("ann", Role::User).await;
    let (bob, _) = s.signed_in("bob", Role::User).await;
    let [photo, small, bright, dunes] = pictures();
    let up = ann.upload(&[photo, small, dunes], None, true).await;
    let v: serde_json::Value = serde_json::from_str(&up.body).unwrap();
    let [photo, small, dunes] = [0, 1, 2].map(|i| v["results"][i]["url"].as_str().unwrap().to_owned());
    // The upload's answer names the closest look-alike the uploader already has.
    assert!(v["results"][0].get("looks_like").is_none(), "the first of its kind: {v}");
    let like = &v["results"][1]["looks_like"];
    assert_eq!((like["url"].as_str(), like["name"].as_str()), (Some(photo.as_str()), Some("harbour.jpg")));
    assert_eq!(like["note"], "the same picture in another file", "{v}");
    assert!(v["results"][2].get("looks_like").is_none(), "the dunes look like nothing: {v}");
    let results = ann.upload(&[bright], None, false).await.body;
    let said = format!("looks like <a href=\"{photo}\" class=\"looks-like\">harbour.jpg</a> (");
    assert!(results.contains(&said), "the results page without JavaScript: {results}");
    let page = ann.get(&photo).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<h2 id=\"alike\">Looks like</h2>"), "{}", page.body);
    assert!(page.body.contains(&format!("<a href=\"{small}\" class=\"alike-link\">")), "{}", page.body);
    let line = "harbour-small.png</span><small class=\"facts\">the same picture in another file · yours";
    assert!(page.body.contains(line), "{}", page.body);
    assert!(!page.body.contains(&format!("href=\"{dunes}\" class=\"alike-link\"")));
    let dunes_page = ann.get(&dunes).await.body;
    assert!(dunes_page.contains("Nothing you can see looks like it."), "{dunes_page}");
    let clip = ann.upload(&[("tone.flac", fixture_bytes("tone.flac"))], None, true).await;
    let v: serde_json::Value = serde_json::from_str(&clip.body).unwrap();
    let clip = v["results"][0]["url"].as_str().unwrap().to_owned();
    let clip_page = ann.get(&clip).await.body;
    assert!(clip_page.contains("<h2 id=\"alike\">Sounds like</h2>"), "a sound's own section: {clip_page}");
    assert!(!clip_page.contains("Looks like"), "{clip_page}");

    let id = |url: &str| url.rsplit('/').next().unwrap().to_owned();
    let api = ann.get(&format!("/api/v1/media/image/{}/alike", id(&photo))).await;
    assert_eq!(api.status, 200, "{}", api.body);
    let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(json["looked"], true);
    let items = json["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the smaller and the brighter copy: {json}");
    assert_eq!(items[1]["filename"], "harbour-bright.jpg", "the closest first: {json}");
    assert_eq!(items[0]["url"], format!("/api/v1/media/image/{}", id(&small)));
    assert_eq!(items[0]["filename"], "harbour-small.png");
    assert!(items[0]["thumbnail_url"].is_string() && items[0]["same_file"] == false);
    let sound = ann.get(&format!("/api/v1/media/audio/{}/alike", id(&clip))).await;
    assert_eq!(sound.status, 200, "{}", sound.body);
    assert!(sound.body.contains("\"items\":[]"), "no picture sounds like a sound: {}", sound.body);
    let bobs = bob.upload(&[("mine.png", png(&scene(1)))], None, true).await.body;
    assert!(!bobs.contains("looks_like"), "bob is not told of ann's photo: {bobs}");
    let hidden = bob.get(&format!("/api/v1/media/image/{}/alike", id(&photo))).await;
    assert_eq!(hidden.status, 404, "bob cannot see ann's photo: {}", hidden.body);
    let nobody = s.client().get(&format!("/api/v1/media/image/{}/alike", id(&photo))).await;
    assert_eq!(nobody.status, 401);
}

async fn browser_follows_a_look_alike_by_keyboard_at_390_px(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let [(name, photo), small, ..] = pictures();
    let photo = ann.upload_one(name, photo).await;
    let small = ann.upload_one(small.0, small.1).await;
    let bright = server.env.dir.path().join("harbour-bright.jpg");
    std::fs::write(&bright, &pictures()[2].1).unwrap();
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.resize(390, 844).await;
        b.sign_in("ann").await;
        // The script's uploader says what an accepted picture looks like.
        b.goto("/upload").await;
        b.find("#files").await.send_keys(bright.to_str().unwrap()).await.expect("choose the file");
        b.find("#upload-form button[type=submit]").await.click().await.expect("upload");
        poll("the look-alike named", PATIENCE, async || {
            let named = "const a = document.querySelector('#results a.looks-like');";
            let t = b.js(&format!("{named} return a ? a.getAttribute('href') : '';")).await;
            if t.as_str() == Some(photo.as_str()) { Ok(()) } else { Err(t.to_string()) }
        })
        .await;
        b.assert_fits("no sideways scrolling at 390 px").await;
        b.goto(&photo).await;
        assert_eq!(b.count(".alike-link img").await, 2, "the look-alikes' thumbnails");
        b.assert_fits("no sideways scrolling at 390 px").await;
        b.js(&format!("document.querySelector('.alike-link[href=\"{small}\"]').focus(); return 0;")).await;
        b.screenshot("alike-390").await;
        b.press(&fantoccini::key::Key::Enter.to_string()).await;
        b.wait_for_path(&small).await;
        b.wait_for_heading("harbour-small.png").await;
        // By keyboard, from the photo's line: Tab to its button, Enter says not a duplicate.
        b.js(&format!("document.querySelector('.alike-link[href=\"{photo}\"]').focus(); return 0;")).await;
        b.press(&fantoccini::key::Key::Tab.to_string()).await;
        let focused = b.js("return document.activeElement.getAttribute('aria-label');").await;
        assert_eq!(focused.as_str(), Some("Mark harbour.jpg as not a duplicate"));
        b.press(&fantoccini::key::Key::Enter.to_string()).await;
        poll("marked", PATIENCE, async || {
            let said = b.js("return document.querySelector('main').textContent;").await;
            let said = said.as_str().unwrap_or("").to_owned();
            if said.contains("marked not a duplicate") { Ok(()) } else { Err(said) }
        })
        .await;
        b.assert_fits("no sideways scrolling at 390 px, marked").await;
        b.screenshot("alike-marked-390").await;
    })
    .await;
}

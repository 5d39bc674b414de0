//! A photo's focal point, on both backends: set, cleared and logged (a point it already has
//! writes nothing); refused when it is not a point of the picture, for other people's photos,
//! for audio, or when the log fails. It stays on the same spot of the picture when the file is
//! turned or cropped (dropped when cut away), stays through a replace and the trash, and a roll
//! back brings the earlier file's. Then the page (typed, kept when refused, cleared), the API's
//! `PATCH`, and a click in Chromium at 390 px.

use mediadesk::auth::{Role, Scope};
use mediadesk::domain::{Aspect, AuditAction, AuditFilter, Crop, Focal, Owner, Turn};
use mediadesk::media::{Actor, MediaError, MediaRead, MediaService, Upload};
use serde_json::{Value, json};

use crate::common::browser::Browser;
use crate::common::server::{Page, TestServer, html_unescape};
use crate::common::tus::Tus;
use crate::common::*;

backend_tests!(
    the_point_follows_the_picture,
    refused_points_change_nothing,
    a_shape_is_cut_around_the_point,
    the_focal_point_through_the_page_and_the_api,
    browser_places_the_focal_point_by_a_click_at_390_px
);

async fn focal_of(media: &MediaService, who: &Actor, id: i64) -> Option<Focal> {
    match media.get(who, mediadesk::domain::MediaKind::Image, id).await.unwrap() {
        MediaRead::Image(i) => i.focal,
        other => panic!("an image, not {other:?}"),
    }
}

fn at(x: f64, y: f64) -> Option<Focal> {
    Some(Focal::new(x, y).unwrap())
}

/// The focal point's edits in the log, oldest first.
async fn logged(env: &TestEnv) -> Vec<String> {
    let edits = AuditFilter { action: Some(AuditAction::Edit), ..AuditFilter::default() };
    let accounts = mediadesk::auth::AccountService::new(env.db.clone());
    let rows = accounts.audit(None, &edits, None, 50).await.unwrap().entries;
    rows.into_iter().rev().filter_map(|e| e.detail).filter(|d| d.starts_with("focal")).collect()
}

async fn the_point_follows_the_picture(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    // 64×48, the point at pixel (48, 12).
    let (kind, photo) = env.upload_own(&ann, "quay.jpg", "image.jpg").await;
    assert_eq!(focal_of(&media, &ann, photo).await, None, "none chosen at upload");
    let set = media.set_focal(&ann, photo, at(0.75, 0.25)).await.unwrap();
    assert!(matches!(set, MediaRead::Image(ref i) if i.focal == at(0.75, 0.25)), "{set:?}");
    media.set_focal(&ann, photo, at(0.75, 0.25)).await.unwrap();
    assert_eq!(logged(&env).await, ["focal point at 75 %, 25 %"], "the same point again logs nothing");

    // A quarter turn right: 48×64, the spot now at (36, 48).
    media.turn(&ann, (kind, photo), Turn::Right).await.unwrap();
    assert_eq!(focal_of(&media, &ann, photo).await, at(0.75, 0.75));
    media.turn(&ann, (kind, photo), Turn::Mirror).await.unwrap();
    assert_eq!(focal_of(&media, &ann, photo).await, at(0.25, 0.75));

    // A PNG cuts exactly: 64×48, the point at (40, 30); kept at (40 − 32, 30 − 24) of 16×16.
    let (_, map) = env.upload_own(&ann, "map.png", "image.png").await;
    media.set_focal(&ann, map, at(0.625, 0.625)).await.unwrap();
    let cut = Crop { left: 32, top: 24, width: 16, height: 16 };
    media.crop(&ann, (kind, map), cut).await.unwrap();
    assert_eq!(focal_of(&media, &ann, map).await, at(0.5, 0.375));
    // A crop that leaves the spot out drops it, rather than point at something else.
    media.crop(&ann, (kind, map), Crop { left: 0, top: 0, width: 4, height: 4 }).await.unwrap();
    assert_eq!(focal_of(&media, &ann, map).await, None);
    // Rolling back brings the earlier file with the point it had.
    let newest = media.versions(&ann, (kind, map)).await.unwrap()[0].id;
    media.restore_version(&ann, (kind, map), newest).await.unwrap();
    assert_eq!(focal_of(&media, &ann, map).await, at(0.5, 0.375));
    // A JPEG cropped: its kept rectangle (widened to the block grid) decides.
    let (_, shot) = env.upload_own(&ann, "shot.jpg", "image.jpg").await;
    media.set_focal(&ann, shot, at(0.5, 0.5)).await.unwrap();
    let (_, kept) =
        media.crop(&ann, (kind, shot), Crop { left: 20, top: 12, width: 30, height: 30 }).await.unwrap();
    let want = |c: f64, from: u32, size: u32| (c - f64::from(from)) / f64::from(size);
    let got = focal_of(&media, &ann, shot).await.expect("the middle is kept");
    assert!((got.x - want(32.0, kept.left, kept.width)).abs() < 1e-4, "{got:?} {kept:?}");
    assert!((got.y - want(24.0, kept.top, kept.height)).abs() < 1e-4, "{got:?} {kept:?}");

    // Another file of the same picture keeps it; so do the trash and back.
    let upload = Upload::new(Owner::User(ann.user_id.unwrap()), "map-retouched.png");
    media.replace(&ann, (kind, map), upload, fixture_stream("image.png")).await.unwrap();
    assert_eq!(focal_of(&media, &ann, map).await, at(0.5, 0.375));
    media.delete(&ann, kind, map).await.unwrap();
    media.restore(&ann, kind, map).await.unwrap();
    assert_eq!(focal_of(&media, &ann, map).await, at(0.5, 0.375));

    media.set_focal(&ann, photo, None).await.unwrap();
    assert_eq!(focal_of(&media, &ann, photo).await, None);
    let log = logged(&env).await;
    assert_eq!(log.last().map(String::as_str), Some("focal point cleared"), "{log:?}");
    assert_eq!(log.len(), 4, "{log:?}");
    env.usage_matches(ann.user_id.unwrap()).await;
}

async fn refused_points_change_nothing(env: TestEnv) {
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let bob = Actor::user(env.user("bob", "user").await);
    let (_, photo) = env.upload_own(&ann, "quay.jpg", "image.jpg").await;
    media.set_focal(&ann, photo, at(0.1, 0.2)).await.unwrap();
    let rows = env.count_rows("audit_log").await;
    for bad in [Focal { x: 1.5, y: 0.2 }, Focal { x: 0.5, y: -0.1 }, Focal { x: f64::NAN, y: 0.5 }] {
        match media.set_focal(&ann, photo, Some(bad)).await {
            Err(MediaError::Invalid(m)) => assert!(m.contains("from 0 to 1"), "{m}"),
            other => panic!("{bad:?} refused, not {other:?}"),
        }
    }
    assert!(matches!(media.set_focal(&bob, photo, at(0.5, 0.5)).await, Err(MediaError::NotFound)));
    assert!(matches!(media.set_focal(&ann, photo + 1000, at(0.5, 0.5)).await, Err(MediaError::NotFound)));
    // The log's row cannot be written: the point is not changed either.
    env.inject_db_failure("audit_log", "INSERT").await;
    let err = media.set_focal(&ann, photo, at(0.9, 0.9)).await.unwrap_err();
    assert!(matches!(err, MediaError::Database(_)), "{err:?}");
    env.clear_db_failure("audit_log", "INSERT").await;
    assert_eq!(focal_of(&media, &ann, photo).await, at(0.1, 0.2));
    assert_eq!(env.count_rows("audit_log").await, rows);
}

fn shape(s: &str) -> Aspect {
    s.parse().unwrap()
}

async fn a_shape_is_cut_around_the_point(env: TestEnv) {
    let s = env.with_trash(30).start_server().await;
    let media = s.env.media.clone();
    let (web, ann_id) = s.signed_in("ann", Role::User).await;
    let ann = Actor::user(ann_id);
    // 64×48, the point near the right edge: the largest square is held against that edge.
    let (kind, map) = s.env.upload_own(&ann, "map.png", "image.png").await;
    media.set_focal(&ann, map, at(0.9, 0.5)).await.unwrap();
    let (_, kept) = media.crop_to(&ann, (kind, map), shape("1:1")).await.unwrap();
    assert_eq!(kept, Crop { left: 16, top: 0, width: 48, height: 48 });
    let png = image::load_from_memory(&crate::versions::bytes_of(&s.env, &ann, (kind, map)).await).unwrap();
    let was = image::load_from_memory(&fixture_bytes("image.png")).unwrap();
    assert_eq!(png.as_bytes(), was.crop_imm(16, 0, 48, 48).as_bytes());
    // (57.6 − 16) / 48 across: still on the same spot.
    assert_eq!(focal_of(&media, &ann, map).await, at(0.8667, 0.5));
    match media.crop_to(&ann, (kind, map), shape("1:1")).await {
        Err(MediaError::Invalid(m)) => assert!(m.contains("already 1:1 (48×48)"), "{m}"),
        other => panic!("nothing to cut, not {other:?}"),
    }
    let bob = Actor::user(s.env.user("bob", "user").await);
    assert!(matches!(media.crop_to(&bob, (kind, map), shape("16:9")).await, Err(MediaError::NotFound)));

    // From the page, with no point chosen: the middle; the numbers are not needed.
    let (_, other) = s.env.upload_own(&ann, "other.png", "image.png").await;
    let url = format!("/media/image/{other}");
    let page = html_unescape(&web.get(&url).await.body);
    assert!(
        page.contains("<option value=\"16:9\">Wide (16:9)</option>") && page.contains("around the middle")
    );
    let form =
        [("shape", "16:9"), ("to_shape", "1"), ("left", ""), ("top", ""), ("width", ""), ("height", "")];
    let r = web.post(&url, &format!("{url}/crop"), &form).await;
    assert_eq!((r.status, r.location()), (303, url.as_str()));
    let said = html_unescape(&web.get(&url).await.body);
    assert!(
        said.contains("other.png cropped to 64×36 from (0, 6).") && !said.contains("blocks of"),
        "{said}"
    );
    let r = web.post(&url, &format!("{url}/crop"), &[("shape", ""), ("to_shape", "1")]).await;
    assert!(html_unescape(&web.get(r.location()).await.body).contains("Choose a shape to crop to"));
    // Refused (it is 16:9 now): back with why, and the shape still chosen.
    let r = web.post(&url, &format!("{url}/crop"), &form).await;
    assert!(r.location().ends_with("#crop"), "{}", r.location());
    let back = html_unescape(&web.get(r.location()).await.body);
    assert!(back.contains("already 16:9 (64×36)"), "{back}");
    assert!(back.contains("<option value=\"16:9\" selected>Wide (16:9)</option>"), "{back}");

    // The API: a JPEG to 4:5 around its point; a shape that is none, or mixed with a rectangle.
    let (_, shot) = s.env.upload_own(&ann, "shot.jpg", "image.jpg").await;
    let editor = s.token(ann_id, &[Scope::Edit], "shape").await;
    let api = format!("/api/v1/media/image/{shot}/crop");
    let send = async |body: Value| {
        let req = reqwest::Client::new().post(format!("{}{api}", s.base)).bearer_auth(&editor);
        Tus::send(req.header("Content-Type", "application/json").body(body.to_string())).await
    };
    let r = send(json!({"aspect": "4:5"})).await;
    let doc: Value = serde_json::from_str(&r.body).unwrap();
    // 38×48 asked; a JPEG's left edge moves out to its 16-pixel grid (13 → 0): 51×48.
    assert_eq!((r.status, doc["width"].as_i64(), doc["height"].as_i64()), (200, Some(51), Some(48)), "{doc}");
    for bad in [json!({"aspect": "16:0"}), json!({"aspect": "wide"}), json!({"aspect": "1:1", "left": 0})] {
        let r = send(bad.clone()).await;
        let got: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!((r.status, got["code"].as_str()), (400, Some("bad_request")), "{bad}: {got}");
    }
}

async fn patch(s: &TestServer, token: &str, path: &str, body: &Value) -> Page {
    let req = reqwest::Client::new().patch(format!("{}{path}", s.base)).bearer_auth(token);
    Tus::send(req.header("Content-Type", "application/json").body(body.to_string())).await
}

async fn the_focal_point_through_the_page_and_the_api(env: TestEnv) {
    let s = env.start_server().await;
    let (ann, ann_id) = s.signed_in("ann", Role::User).await;
    let files = [("quay.jpg", fixture_bytes("image.jpg")), ("gulls.flac", fixture_bytes("tone.flac"))];
    let up = ann.upload(&files, None, true).await;
    let v: Value = serde_json::from_str(&up.body).unwrap();
    let [photo, clip] = [0, 1].map(|i| v["results"][i]["url"].as_str().unwrap().to_owned());
    let page = html_unescape(&ann.get(&photo).await.body);
    assert!(page.contains(&format!("action=\"{photo}/focal\"")), "{page}");
    assert!(
        page.contains("<label for=\"focal-x\">Across</label>") && page.contains("None is chosen"),
        "{page}"
    );
    assert!(page.contains("class=\"focal-mark off\""), "no mark shown: {page}");
    assert!(!ann.get(&clip).await.body.contains("/focal\""), "audio has no focal point");

    // Refused: back to the form with the numbers as typed, and why.
    let to = format!("{photo}/focal");
    let r = ann.post(&photo, &to, &[("x", "abc"), ("y", "20")]).await;
    assert_eq!((r.status, r.location()), (303, format!("{photo}?focal=abc%3B20#focal").as_str()));
    let back = html_unescape(&ann.get(r.location()).await.body);
    assert!(
        back.contains("two percentages from 0 to 100") && back.contains("value=\"abc\" required"),
        "{back}"
    );
    let r = ann.post(&photo, &to, &[("x", "120"), ("y", "5")]).await;
    assert!(html_unescape(&ann.get(r.location()).await.body).contains("value=\"120\" required"));

    // Saved (a decimal comma read as a point): marked on the picture, Clear offered.
    let r = ann.post(&photo, &to, &[("x", "37,5"), ("y", "20")]).await;
    assert_eq!((r.status, r.location()), (303, format!("{photo}#focal").as_str()));
    let said = html_unescape(&ann.get(&photo).await.body);
    assert!(said.contains("Focal point saved: 37.5 % across, 20 % down."), "{said}");
    assert!(
        said.contains("<circle cx=\"37.5%\" cy=\"20%\" r=\"12\"/>") && said.contains("It is marked"),
        "{said}"
    );
    assert!(said.contains("class=\"focal-mark\"") && said.contains("name=\"clear\""), "{said}");
    let (bob, _) = s.signed_in("bob", Role::User).await;
    assert_eq!(bob.post("/media", &to, &[("x", "1"), ("y", "1")]).await.status, 404);
    assert_eq!(ann.post(&clip, &format!("{clip}/focal"), &[("x", "1"), ("y", "1")]).await.status, 404);
    let no_token = ann.post_raw(&to, &[("x", "1"), ("y", "1")]).await;
    assert!(matches!(no_token.status, 400 | 403), "refused without the form's token: {}", no_token.status);

    // The API reads and changes it (the edit scope); refusals are JSON.
    let api = format!("/api/v1{photo}");
    let reader = s.token(ann_id, &[Scope::Read], "focal").await;
    let doc = Tus::send(reqwest::Client::new().get(format!("{}{api}", s.base)).bearer_auth(&reader)).await;
    let doc: Value = serde_json::from_str(&doc.body).unwrap();
    assert_eq!(doc["focal_point"], json!({"x": 0.375, "y": 0.2}), "{doc}");
    let r = patch(&s, &reader, &api, &json!({"focal_point": null})).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let editor = s.token(ann_id, &[Scope::Edit], "focal").await;
    let r = patch(&s, &editor, &api, &json!({"focal_point": {"x": 0.4, "y": 0.3}, "title": "Quay"})).await;
    let doc: Value = serde_json::from_str(&r.body).unwrap();
    // Listings carry it too, so a site cropping a page of cards needs no read per card.
    let list =
        Tus::send(reqwest::Client::new().get(format!("{}/api/v1/media", s.base)).bearer_auth(&reader)).await;
    let list: Value = serde_json::from_str(&list.body).unwrap();
    let mine = |k: &str| list["items"].as_array().unwrap().iter().find(|i| i["kind"] == k).unwrap().clone();
    assert_eq!(
        (&mine("image")["focal_point"], &mine("audio")["focal_point"]),
        (&json!({"x": 0.4, "y": 0.3}), &Value::Null)
    );
    assert_eq!(
        (r.status, &doc["focal_point"], &doc["title"]),
        (200, &json!({"x": 0.4, "y": 0.3}), &json!("Quay"))
    );
    for (bad, code) in [
        (json!({"focal_point": {"x": 2, "y": 0}}), "invalid"),
        (json!({"focal_point": {"x": 0.1}}), "bad_request"),
        (json!({"focal_point": "middle"}), "bad_request"),
        (json!({"focal_point": {"x": 0.1, "y": 0.1, "z": 0}}), "bad_request"),
        (json!({"focal_point": {"x": 0.2, "y": 0.2}, "title": "x".repeat(201)}), "invalid"),
    ] {
        let r = patch(&s, &editor, &api, &bad).await;
        let got: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!((r.status, got["code"].as_str()), (400, Some(code)), "{bad}: {got}");
    }
    let r =
        patch(&s, &editor, &format!("/api/v1{clip}"), &json!({"focal_point": {"x": 0.5, "y": 0.5}})).await;
    assert!(r.status == 400 && r.body.contains("only images"), "{}", r.body);
    let r = patch(&s, &editor, &api, &json!({"focal_point": null})).await;
    assert_eq!(serde_json::from_str::<Value>(&r.body).unwrap()["focal_point"], Value::Null);
    let cleared = html_unescape(&ann.get(&photo).await.body);
    assert!(cleared.contains("None is chosen") && !cleared.contains("name=\"clear\""), "{cleared}");
}

/// At 390 px the form fits; "Click it on the picture" then a click on the picture fills the
/// numbers and moves the mark there (the full-size file is not opened); Save keeps it. A shape
/// chosen in the crop form fills its numbers around the point; "Crop to the shape" cuts it.
async fn browser_places_the_focal_point_by_a_click_at_390_px(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let item = ann.upload_one("map.png", fixture_bytes("image.png")).await;
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.resize(390, 844).await;
        b.sign_in("ann").await;
        b.goto(&item).await;
        b.assert_fits("no sideways scrolling at 390 px").await;
        b.find(".focal-pick").await.click().await.expect("the pick button is shown with JavaScript");
        let pressed = "return document.querySelector('.focal-pick').getAttribute('aria-pressed');";
        assert_eq!(b.js(pressed).await, json!("true"));
        // A click a quarter across and three quarters down the picture.
        let size = "document.getElementById('preview').scrollIntoView(); \
            const r = document.getElementById('preview').getBoundingClientRect(); \
            return [r.width, r.height];";
        let shown = b.js(size).await;
        let (w, h) = (shown[0].as_f64().unwrap(), shown[1].as_f64().unwrap());
        b.click_at("#preview", (-w / 4.0, h / 4.0)).await;
        let read = "return [+document.getElementById('focal-x').value, \
            +document.getElementById('focal-y').value, \
            document.getElementById('focal-mark').classList.contains('off'), \
            document.querySelector('.focal-pick').getAttribute('aria-pressed')];";
        let got = b.js(read).await;
        let near = |v: &Value, want: f64| (v.as_f64().unwrap() - want).abs() <= 2.0;
        assert!(near(&got[0], 25.0) && near(&got[1], 75.0), "{got}");
        assert_eq!((&got[2], &got[3]), (&json!(false), &json!("false")), "{got}");
        assert_eq!(b.path().await, item, "the click did not open the full-size picture");
        // The mark lies over the picture: its box is the picture's.
        let boxes = "const a = document.getElementById('preview').getBoundingClientRect(), \
            m = document.getElementById('focal-mark').getBoundingClientRect(); \
            return [a.left - m.left, a.top - m.top, a.width - m.width, a.height - m.height];";
        for d in b.js(boxes).await.as_array().unwrap() {
            assert!(d.as_f64().unwrap().abs() < 1.0, "the mark's box is the picture's");
        }
        b.screenshot("focal-390").await;
        b.find("#focal button[type=submit]").await.click().await.expect("Save focal point");
        b.wait_for_flash("Focal point saved").await;
        let saved = "return [...document.querySelectorAll('#focal-mark circle')]\
            .map(c => c.getAttribute('cx'));";
        let cx = b.js(saved).await;
        assert!(cx[0].as_str().is_some_and(|c| c.ends_with('%') && c != "50%"), "{cx}");
        b.js("window.scrollTo(0, 0); return 0;").await;
        b.screenshot("focal-mark-390").await;
        // A shape chosen shows at once what "Crop to the shape" cuts: the largest square of the
        // 64×48 picture around the point a quarter across, held at the left edge.
        b.find("#crop-shape option[value='1:1']").await.click().await.expect("choose a square");
        let numbers = "return ['left', 'top', 'width', 'height']\
            .map(n => +document.getElementById('crop-' + n).value)\
            .concat([!document.querySelector('.crop-box').hidden]);";
        assert_eq!(b.js(numbers).await, json!([0, 0, 48, 48, true]));
        b.screenshot("crop-shape-390").await;
        b.find("#crop button[name=to_shape]").await.click().await.expect("Crop to the shape");
        b.wait_for_flash("map.png cropped to 48×48 from (0, 0).").await;
        assert_eq!(b.preview_size().await, (48, 48));
        b.assert_fits("the page after the cut fits 390 px").await;
    })
    .await;
}

//! Look-alike and sound-alike groups on both backends: copies in other sizes, formats and
//! bitrates are gathered among what the viewer manages, the one most worth keeping first; keeping
//! some trashes only the others still alike a kept one. Then the page without JavaScript, and in
//! Chromium by keyboard at 390 px.

use mediadesk::auth::Role;
use mediadesk::domain::{MediaKind, Owner};
use mediadesk::media::{Actor, AlikeGroup, KeptAlike, MediaError};

use crate::alike::pictures;
use crate::common::browser::Browser;
use crate::common::*;
use crate::sound_alike::Songs;

backend_tests!(
    alike_groups_gather_copies_and_keep_the_ticked,
    alike_groups_through_the_page,
    browser_keeps_a_look_alike_by_keyboard_at_390_px
);

/// Each group as (kind, its ids in order).
async fn groups(env: &TestEnv, who: &Actor) -> Vec<(MediaKind, Vec<i64>)> {
    let found: Vec<AlikeGroup> = env.media.alike_groups(who).await.expect("alike groups");
    found.into_iter().map(|g| (g.kind, g.items.iter().map(|i| i.id).collect())).collect()
}

async fn alive(env: &TestEnv, kind: MediaKind, id: i64) -> bool {
    match env.media.get(&Actor::operator(), kind, id).await {
        Ok(_) => true,
        Err(MediaError::NotFound) => false,
        Err(e) => panic!("{e:?}"),
    }
}

async fn alike_groups_gather_copies_and_keep_the_ticked(env: TestEnv) {
    let env = env.with_trash(30);
    let ann = Actor::user(env.user("ann", "user").await);
    let bob = Actor::user(env.user("bob", "user").await);
    let sam = Actor::staff(env.user("sam", "staff").await);
    let mine = Owner::User(ann.user_id.unwrap());
    let [photo, small, bright, dunes] = pictures();
    let photo = crate::alike::put(&env, &ann, mine, photo).await;
    let small = crate::alike::put(&env, &ann, mine, small).await;
    let bright = crate::alike::put(&env, &ann, mine, bright).await;
    let dunes = crate::alike::put(&env, &ann, mine, dunes).await;
    let bobs = crate::alike::put(&env, &bob, Owner::User(bob.user_id.unwrap()), pictures()[1].clone()).await;
    let system = crate::alike::put(&env, &Actor::operator(), Owner::System, pictures()[0].clone()).await;
    let songs = Songs::make();
    let sound = |name: &'static str| crate::sound_alike::put(&env, &ann, mine, &songs, name);
    let mp3 = sound("tune.mp3").await;
    let flac = sound("tune.flac").await;
    let part = sound("tune-part.mp3").await;
    let other = sound("other.wav").await;

    let found = groups(&env, &ann).await;
    assert_eq!(found.len(), 2, "one group of pictures, one of sounds: {found:?}");
    let (kind, pictured) = &found[0];
    assert_eq!(*kind, MediaKind::Image);
    let mut sorted = pictured.clone();
    sorted.sort();
    assert_eq!(sorted, vec![photo, small, bright], "not the dunes, not bob's, not the system's: {found:?}");
    assert_eq!(pictured[2], small, "the fewest pixels last: {found:?}");
    assert_eq!(found[1], (MediaKind::Audio, vec![flac, mp3, part]), "the longest, then the most bytes");
    let all = groups(&env, &sam).await;
    assert_eq!(all[0].1.len(), 5, "staff manage bob's and the system's copies too: {all:?}");
    assert!(all[0].1.contains(&bobs) && all[0].1.contains(&system), "{all:?}");
    assert_eq!(groups(&env, &bob).await, vec![], "bob's one picture is alike nothing of his");

    // Nothing ticked is refused; an item the keeper cannot see is none to keep.
    let err = env.media.keep_alike(&ann, MediaKind::Image, &[], &[photo, small]).await.unwrap_err();
    assert!(matches!(err, MediaError::Invalid(_)), "{err:?}");
    let err = env.media.keep_alike(&bob, MediaKind::Image, &[photo], &[photo, bobs]).await.unwrap_err();
    assert!(matches!(err, MediaError::NotFound), "{err:?}");
    assert!(alive(&env, MediaKind::Image, bobs).await);
    // Bob keeps his copy and names ann's: he cannot manage hers, so they stay.
    let kept = env.media.keep_alike(&bob, MediaKind::Image, &[bobs], &[bobs, small, bright]).await.unwrap();
    assert_eq!(kept, KeptAlike { gone: vec![], left: 2 });
    assert!(alive(&env, MediaKind::Image, small).await && alive(&env, MediaKind::Image, bright).await);
    // Ann keeps the photo: its copies go to the trash; the dunes (posted by a stale or forged
    // form) are alike nothing kept, and the system's copy is not hers to delete: both stay.
    let group = [photo, small, bright, dunes, system];
    let kept = env.media.keep_alike(&ann, MediaKind::Image, &[photo], &group).await.unwrap();
    assert_eq!(kept, KeptAlike { gone: vec![small, bright], left: 2 });
    assert!(alive(&env, MediaKind::Image, photo).await && alive(&env, MediaKind::Image, dunes).await);
    assert!(alive(&env, MediaKind::Image, system).await);
    assert!(!alive(&env, MediaKind::Image, small).await && !alive(&env, MediaKind::Image, bright).await);
    assert!(env.media.in_trash(&ann, MediaKind::Image, small).await.unwrap(), "to restore");
    assert!(env.media.in_trash(&ann, MediaKind::Image, bright).await.unwrap(), "to restore");
    // Two sounds kept, the third goes; the other tune stays.
    let kept = env.media.keep_alike(&ann, MediaKind::Audio, &[flac, part], &[flac, mp3, part, other]).await;
    assert_eq!(kept.unwrap(), KeptAlike { gone: vec![mp3], left: 1 });
    assert!(!alive(&env, MediaKind::Audio, mp3).await && alive(&env, MediaKind::Audio, other).await);
    assert_eq!(groups(&env, &ann).await, vec![(MediaKind::Audio, vec![flac, part])]);

    // "Not duplicates": the two are kept together and shown as alike no more; only their own
    // manager may say so, of two to 24 items.
    let err = env.media.keep_all_alike(&bob, MediaKind::Audio, &[flac, part]).await.unwrap_err();
    assert!(matches!(err, MediaError::NotFound), "{err:?}");
    let err = env.media.keep_all_alike(&ann, MediaKind::Audio, &[flac, flac]).await.unwrap_err();
    assert!(matches!(err, MediaError::Invalid(_)), "one item is no group: {err:?}");
    assert_eq!(env.media.keep_all_alike(&ann, MediaKind::Audio, &[part, flac]).await.unwrap(), 2);
    assert_eq!(groups(&env, &ann).await, vec![], "kept apart");
    assert_eq!(env.media.keep_all_alike(&ann, MediaKind::Audio, &[flac, part]).await.unwrap(), 2, "again");
    let again = sound("tune.mp3").await;
    // A new copy is grouped with the better of them; the part, kept apart from that one, is in
    // no group (every item shown with a group's first is alike it).
    assert_eq!(groups(&env, &ann).await, vec![(MediaKind::Audio, vec![flac, again])]);
    // Each item's own page still names the other: only the groups keep them apart.
    let heard = env.media.look_alikes(&ann, MediaKind::Audio, flac).await.unwrap();
    assert!(matches!(heard, mediadesk::media::Alike::Found(f) if f.iter().any(|a| a.id == part)));

    // Faults lose nothing: a failed write of the pairs writes none of them, and a store that is
    // down fails the keeping with the copy still in place.
    assert_eq!(env.count_rows("kept_apart_audios").await, 1);
    env.inject_db_failure("kept_apart_audios", "INSERT").await;
    let err = env.media.keep_all_alike(&ann, MediaKind::Audio, &[flac, again, part]).await.unwrap_err();
    assert!(matches!(err, MediaError::Database(_)), "{err:?}");
    env.clear_db_failure("kept_apart_audios", "INSERT").await;
    assert_eq!(env.count_rows("kept_apart_audios").await, 1, "no pair of the failed keep");
    let (faulty, switch) = env.faulty_store().await;
    let mut settings = env.settings();
    settings.trash_days = 30;
    let media = env.media_with(faulty, settings);
    switch.down();
    let err = media.keep_alike(&ann, MediaKind::Audio, &[flac], &[flac, again]).await.unwrap_err();
    assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
    switch.up();
    assert!(
        alive(&env, MediaKind::Audio, again).await
            && !env.media.in_trash(&ann, MediaKind::Audio, again).await.unwrap()
    );
}

async fn alike_groups_through_the_page(env: TestEnv) {
    let s = env.with_trash(30).start_server().await;
    let (ann, _) = s.signed_in("ann", Role::User).await;
    let (bob, _) = s.signed_in("bob", Role::User).await;
    let [photo, small, bright, dunes] = pictures();
    let songs = Songs::make();
    let files = [photo, small, bright, dunes, ("tune.flac", songs.bytes("tune.flac"))];
    let up = ann.upload(&files, None, true).await;
    let v: serde_json::Value = serde_json::from_str(&up.body).unwrap();
    let id = |i: usize| v["results"][i]["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let [photo, small, bright, dunes] = [0, 1, 2, 3].map(id);
    let mp3 = ann.upload(&[("tune.mp3", songs.bytes("tune.mp3"))], None, true).await;
    let mp3: serde_json::Value = serde_json::from_str(&mp3.body).unwrap();
    let mp3 = mp3["results"][0]["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();

    let duplicates = ann.get("/duplicates").await.body;
    assert!(duplicates.contains("<a href=\"/duplicates/alike\">Look or sound alike</a>"), "{duplicates}");
    let page = ann.get("/duplicates/alike").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("3 pictures look alike: harbour.jpg"), "{}", page.body);
    assert!(page.body.contains("2 sounds sound alike: tune.flac"), "{}", page.body);
    assert!(page.body.contains("200 × 150 · "), "the small copy's pixels: {}", page.body);
    assert!(page.body.contains("0:40 · "), "the sounds' length: {}", page.body);
    let ticked = format!("name=\"keep\" value=\"{photo}\" id=\"keep-image-{photo}-{photo}\" checked>");
    assert!(page.body.contains(&ticked), "the most pixels ticked: {}", page.body);
    assert!(!page.body.contains(&format!("value=\"{dunes}\"")), "{}", page.body);
    assert!(bob.get("/duplicates/alike").await.body.contains("No look-alikes or sound-alikes."));
    // The same groups for a script (the OpenAPI test checks the document's shape).
    let api = ann.get("/api/v1/alike-groups").await;
    assert_eq!(api.status, 200, "{}", api.body);
    let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    let (pictures, sounds) = (&json["groups"][0], &json["groups"][1]);
    assert_eq!(
        (pictures["kind"].as_str(), sounds["kind"].as_str()),
        (Some("image"), Some("audio")),
        "{json}"
    );
    let items = pictures["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{json}");
    assert_eq!(items[0]["url"], format!("/api/v1/media/image/{photo}"), "the most pixels first: {json}");
    assert_eq!((items[2]["width"].as_i64(), items[2]["height"].as_i64()), (Some(200), Some(150)));
    assert!(items[0]["thumbnail_url"].is_string() && items[0]["duration_ms"].is_null(), "{json}");
    assert_eq!(sounds["items"][0]["filename"], "tune.flac", "{json}");
    assert!((39_000..=41_000).contains(&sounds["items"][0]["duration_ms"].as_i64().unwrap()), "{json}");
    assert_eq!(json["groups"].as_array().unwrap().len(), 2, "{json}");
    assert_eq!(bob.get("/api/v1/alike-groups").await.body, r#"{"groups":[]}"#);
    assert_eq!(s.client().get("/api/v1/alike-groups").await.status, 401);

    // Nothing ticked: a clear error, nothing gone.
    let fields = [("kind", "image"), ("item", photo.as_str()), ("item", small.as_str())];
    let refused = ann.post("/duplicates/alike", "/duplicates/alike", &fields).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("Tick at least one item to keep."), "{}", refused.body);
    let fields = [
        ("kind", "image"),
        ("keep", photo.as_str()),
        ("item", photo.as_str()),
        ("item", small.as_str()),
        ("item", bright.as_str()),
        ("item", dunes.as_str()),
    ];
    let r = ann.post("/duplicates/alike", "/duplicates/alike", &fields).await;
    assert_eq!(r.location(), "/duplicates/alike");
    let page = ann.get("/duplicates/alike").await.body;
    let said = "Moved to the Trash: 2 items. Left alone: 1 no longer alike a kept one.";
    assert!(page.contains(said), "{page}");
    assert!(!page.contains("pictures look alike") && page.contains("2 sounds sound alike"), "{page}");
    // Undo brings both back, and the group with them.
    for id in [&small, &bright] {
        assert!(page.contains(&format!("name=\"item\" value=\"image:{id}\">")), "{page}");
    }
    let undo = [
        ("action", "restore"),
        ("then", "back"),
        ("back", "/duplicates/alike"),
        ("item", &format!("image:{small}")),
        ("item", &format!("image:{bright}")),
    ];
    let r = ann.post("/duplicates/alike", "/trash", &undo).await;
    assert_eq!(r.location(), "/duplicates/alike", "{}", r.body);
    assert!(ann.get("/duplicates/alike").await.body.contains("3 pictures look alike"));
    let r = ann.post("/duplicates/alike", "/duplicates/alike", &fields).await;
    assert_eq!(r.location(), "/duplicates/alike");
    let fields = [("kind", "audio"), ("item", mp3.as_str()), ("keep", mp3.as_str())];
    let r = ann.post("/duplicates/alike", "/duplicates/alike", &fields).await;
    assert_eq!(r.location(), "/duplicates/alike");
    let page = ann.get("/duplicates/alike").await.body;
    assert!(page.contains("Moved to the Trash: 0 items."), "one kept, none other named: {page}");
    assert!(page.contains("Not duplicates: keep all</button>"), "{page}");
    let flac = id(4);
    let fields = [("kind", "audio"), ("action", "apart"), ("item", flac.as_str()), ("item", mp3.as_str())];
    let r = ann.post("/duplicates/alike", "/duplicates/alike", &fields).await;
    assert_eq!(r.location(), "/duplicates/alike");
    let page = ann.get("/duplicates/alike").await.body;
    assert!(page.contains("Kept all 2: they are no longer shown as alike one another."), "{page}");
    assert!(page.contains("No look-alikes or sound-alikes."), "{page}");
    let fields = [("kind", "audio"), ("action", "apart"), ("item", flac.as_str())];
    let refused = ann.post("/duplicates/alike", "/duplicates/alike", &fields).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("A group kept whole has 2 to 24 items."), "{}", refused.body);
    let nobody = s.client().get("/duplicates/alike").await;
    assert_eq!(nobody.status, 303, "signed out: to the sign-in page");
}

async fn browser_keeps_a_look_alike_by_keyboard_at_390_px(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let [(name, photo), small, ..] = pictures();
    let photo = ann.upload_one(name, photo).await;
    let small = ann.upload_one(small.0, small.1).await;
    let id = |url: &str| url.rsplit('/').next().unwrap().to_owned();
    let (photo, small) = (id(&photo), id(&small));
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.resize(390, 844).await;
        b.sign_in("ann").await;
        b.goto("/duplicates/alike").await;
        b.wait_for_heading("Look-alikes and sound-alikes").await;
        b.assert_fits("no sideways scrolling at 390 px").await;
        assert_eq!(b.count(".duplicate-group img").await, 2, "both thumbnails");
        // By keyboard: untick the photo, tick the small copy, then the button.
        let (space, tab) = (fantoccini::key::Key::Space.to_string(), fantoccini::key::Key::Tab.to_string());
        b.js(&format!("document.getElementById('keep-image-{photo}-{photo}').focus(); return 0;")).await;
        b.press(&space).await;
        b.press(&tab).await;
        b.press(&tab).await;
        let focused = b.js("return document.activeElement.id;").await;
        assert_eq!(focused.as_str(), Some(format!("keep-image-{photo}-{small}").as_str()), "past Open");
        b.press(&space).await;
        b.press(&tab).await;
        b.press(&tab).await;
        let focused = b.js("return document.activeElement.textContent;").await;
        assert_eq!(focused.as_str(), Some("Keep the ticked, delete the others"), "no trash here");
        b.screenshot("alike-groups-390").await;
        b.press(&fantoccini::key::Key::Enter.to_string()).await;
        b.wait_for_path("/duplicates/alike").await;
        let said = b.js("return document.querySelector('main').textContent;").await;
        assert!(said.as_str().unwrap().contains("Deleted: 1 item."), "{said}");
        b.goto(&format!("/media/image/{small}")).await;
        b.wait_for_heading("harbour-small.png").await;
    })
    .await;
}

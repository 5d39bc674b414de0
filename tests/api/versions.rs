//! Replacing a file in place, on both backends: the item keeps its id, fields, tags and
//! collections while its file, previews and keys change; the previous file is listed as a
//! version and rolls back; another kind is refused by the bytes; versions are purged on time,
//! with their item, or at once without a trash; each step failing halfway changes nothing.
//! Then the same through the pages, and in Chromium.

use mediadesk::auth::Role;
use mediadesk::domain::{GalleryQuery, MediaKind, Owner, OwnerFilter};
use mediadesk::media::{Actor, Description, MediaError, Upload};

use crate::common::browser::Browser;
use crate::common::server::html_unescape;
use crate::common::*;

backend_tests!(
    replace_keeps_the_item_and_rolls_back,
    versions_go_on_time_with_their_item_or_at_once_without_a_trash,
    replace_through_the_pages,
    failures_during_replace_and_roll_back_change_nothing,
    browser_replaces_an_image_and_rolls_back
);

fn file(name: &str) -> Upload {
    Upload::new(Owner::System, name)
}

/// File names in `who`'s gallery narrowed by `q`.
async fn listed(env: &TestEnv, who: &Actor, q: impl FnOnce(&mut GalleryQuery)) -> Vec<String> {
    let mut query = GalleryQuery::new(OwnerFilter::Visible(who.user_id.unwrap()));
    q(&mut query);
    env.media.gallery(who, &query).await.unwrap().items.into_iter().map(|i| i.filename).collect()
}

/// The bytes of the item's original as the store has them now.
pub(crate) async fn bytes_of(env: &TestEnv, who: &Actor, item: (MediaKind, i64)) -> Vec<u8> {
    let objects = env.objects().await;
    let sha = env.media.get(who, item.0, item.1).await.unwrap();
    let wanted = match &sha {
        mediadesk::media::MediaRead::Image(i) => i.sha256.clone(),
        mediadesk::media::MediaRead::Audio(a) => a.sha256.clone(),
    };
    for key in objects.iter().filter(|k| !k.starts_with("trash/")) {
        let bytes = read_object(env.store.as_ref(), key).await;
        if sha256_hex(&bytes) == wanted {
            return bytes;
        }
    }
    panic!("no live object holds the item's file: {objects:?}");
}

async fn replace_keeps_the_item_and_rolls_back(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let bob = Actor::user(env.user("bob", "user").await);
    let photo = env.upload_own(&ann, "quay.png", "image.png").await;
    let described = Description {
        title: Some("Quay".into()),
        alt_text: Some("Boats at a quay".into()),
        caption: None,
        credit: Some("Ann".into()),
    };
    media.describe(&ann, photo, &described, None).await.unwrap();
    media.tag_item(&ann, photo, "harbour").await.unwrap();
    let trips =
        media.create_collection(&ann, Owner::User(ann.user_id.unwrap()), None, "Trips").await.unwrap();
    media.add_to_collection(&ann, trips.id, photo).await.unwrap();
    let harbour = media.tag_filter("harbour").await.unwrap();
    let before = env.objects().await;

    // Another kind, by the bytes: refused, nothing changes.
    let err = media.replace(&ann, photo, file("quay.png"), fixture_stream("tone.flac")).await.unwrap_err();
    assert!(matches!(err, MediaError::UnsupportedType(_)), "{err:?}");
    // Someone who may not manage it: it does not exist for them.
    let err = media.replace(&bob, photo, file("x.jpg"), fixture_stream("image.jpg")).await.unwrap_err();
    assert!(matches!(err, MediaError::NotFound), "{err:?}");
    assert_eq!(env.objects().await, before);
    assert!(media.versions(&ann, photo).await.unwrap().is_empty());

    let replaced =
        media.replace(&ann, photo, file("quay-new.jpg"), fixture_stream("image.jpg")).await.unwrap();
    assert!(replaced.kept_version);
    assert_eq!((replaced.media.id(), replaced.media.filename()), (photo.1, "quay-new.jpg"));
    assert_eq!(replaced.media.description(), &described, "fields stay");
    assert_eq!(replaced.media.content_type(), "image/jpeg");
    assert_eq!(media.tags_of(&ann, photo).await.unwrap(), ["harbour"]);
    assert_eq!(bytes_of(&env, &ann, photo).await, fixture_bytes("image.jpg"));
    // Its tag and collection pages sort and search by the new file.
    assert_eq!(listed(&env, &ann, |q| q.tags = harbour.clone()).await, ["quay-new.jpg"]);
    assert_eq!(listed(&env, &ann, |q| q.collection = Some(trips.id)).await, ["quay-new.jpg"]);
    assert_eq!(listed(&env, &ann, |q| q.search = Some("quay-new".into())).await, ["quay-new.jpg"]);
    // Old objects: moved aside (their old names are gone), new ones live.
    let now = env.objects().await;
    assert!(before.iter().all(|k| !now.contains(k)), "old links die: {now:?}");
    assert_eq!(now.iter().filter(|k| k.starts_with("trash/")).count(), 2, "{now:?}");
    assert_eq!(now.len(), 4);
    let versions = media.versions(&ann, photo).await.unwrap();
    assert_eq!(versions.len(), 1);
    let v = &versions[0];
    assert_eq!((v.filename.as_str(), v.byte_size), ("quay.png", fixture_bytes("image.png").len() as i64));
    assert_eq!(v.replaced_by, ann.user_id);
    assert!(media.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());

    // Roll back: the old bytes are the file again; the file it replaced becomes the version.
    let err = media.restore_version(&bob, photo, v.id).await.unwrap_err();
    assert!(matches!(err, MediaError::NotFound), "{err:?}");
    let back = media.restore_version(&ann, photo, v.id).await.unwrap();
    assert_eq!(back.filename(), "quay.png");
    assert_eq!(back.description(), &described);
    assert_eq!(bytes_of(&env, &ann, photo).await, fixture_bytes("image.png"));
    let versions = media.versions(&ann, photo).await.unwrap();
    assert_eq!(versions.iter().map(|v| v.filename.as_str()).collect::<Vec<_>>(), ["quay-new.jpg"]);
    assert!(matches!(media.restore_version(&ann, photo, v.id).await, Err(MediaError::NotFound)));
    let objects = env.objects().await;
    assert_eq!(objects.len(), 4, "two live, two kept: {objects:?}");
    assert!(before.iter().all(|k| !objects.contains(k)), "rolled back under new names: {objects:?}");
    assert_eq!(media.pending_deletions().await.unwrap(), Vec::<String>::new());
    assert!(media.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());

    // Audio: replaced by audio, its waveform follows the new file.
    let song = env.upload_own(&ann, "take1.wav", "tone-mono-8k.wav").await;
    let done = media.replace(&ann, song, file("take2.flac"), fixture_stream("tone.flac")).await.unwrap();
    match done.media {
        mediadesk::media::MediaRead::Audio(a) => {
            assert_eq!((a.codec.as_str(), a.filename.as_str()), ("flac", "take2.flac"));
            assert!(a.peaks.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert!(media.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());
}

async fn versions_go_on_time_with_their_item_or_at_once_without_a_trash(env: TestEnv) {
    let env = env.with_trash(7);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let photo = env.upload_own(&ann, "a.png", "image.png").await;
    media.replace(&ann, photo, file("b.jpg"), fixture_stream("image.jpg")).await.unwrap();
    assert_eq!(env.objects().await.len(), 4);
    let now = mediadesk::db::now();
    assert_eq!(media.purge_expired_versions(now + chrono::TimeDelta::days(6)).await.unwrap(), 0);
    assert_eq!(media.purge_expired_versions(now + chrono::TimeDelta::days(8)).await.unwrap(), 1);
    assert_eq!(env.objects().await.len(), 2);
    assert!(media.versions(&ann, photo).await.unwrap().is_empty());

    // Versions go with their item when it is purged from the trash.
    media.replace(&ann, photo, file("c.png"), fixture_stream("image.png")).await.unwrap();
    media.delete(&ann, photo.0, photo.1).await.unwrap();
    assert_eq!(env.objects().await.len(), 4, "trashed copies and the version");
    media.purge(&ann, photo.0, photo.1).await.unwrap();
    assert!(env.objects().await.is_empty());
    assert_eq!(env.count_rows("versions").await, 0);

    // Without a trash, a replace deletes the file it had at once.
    let plain = env.media_with(env.store.clone(), env.settings());
    let other = env.upload_own(&ann, "d.png", "image.png").await;
    let done = plain.replace(&ann, other, file("e.jpg"), fixture_stream("image.jpg")).await.unwrap();
    assert!(!done.kept_version);
    assert_eq!(env.objects().await.len(), 2);
    assert!(plain.versions(&ann, other).await.unwrap().is_empty());
    assert!(plain.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());
}

async fn replace_through_the_pages(env: TestEnv) {
    let s = env.with_trash(30).start_server().await;
    let (ann, _) = s.signed_in("ann", Role::User).await;
    let (bob, _) = s.signed_in("bob", Role::User).await;
    let page = ann.upload(&[("quay.png", fixture_bytes("image.png"))], None, false).await;
    let item = page
        .all("href=\"/media/")
        .into_iter()
        .find(|h| h.starts_with("image/"))
        .map(|h| format!("/media/{h}"))
        .unwrap();
    let detail = ann.get(&item).await;
    assert!(
        detail.body.contains("Replace the file with another image")
            && detail.body.contains("No earlier versions")
    );
    assert!(!bob.get("/media?owner=mine").await.body.contains("quay.png"));

    // Another kind: 415 with its code, nothing changed.
    let refused =
        ann.post_file(&item, &format!("{item}/replace"), "x.flac", fixture_bytes("tone.flac")).await;
    assert_eq!(refused.status, 415, "{}", refused.body);
    assert!(ann.get(&item).await.body.contains("No earlier versions"));
    // Someone else's item: 404.
    let refused =
        bob.post_file("/upload", &format!("{item}/replace"), "x.jpg", fixture_bytes("image.jpg")).await;
    assert_eq!(refused.status, 404);
    // No file chosen: said so.
    let empty = ann.post_file(&item, &format!("{item}/replace"), "", Vec::new()).await;
    assert_eq!(empty.status, 400);

    let done =
        ann.post_file(&item, &format!("{item}/replace"), "quay-new.jpg", fixture_bytes("image.jpg")).await;
    assert_eq!((done.status, done.location()), (303, item.as_str()));
    let detail = ann.get(&item).await;
    assert!(detail.body.contains("Replaced the file with quay-new.jpg"), "{}", detail.body);
    assert!(detail.body.contains("image/jpeg") && detail.body.contains("quay.png"));
    assert!(detail.body.contains("· replaced <time"), "{}", detail.body);
    let form =
        detail.all("action=\"").into_iter().find(|a| a.contains("/versions/")).expect("a roll back form");
    let rolled = ann.post(&item, &html_unescape(&form), &[]).await;
    assert_eq!(rolled.status, 303);
    let detail = ann.get(&item).await;
    assert!(detail.body.contains("Rolled back to quay.png"), "{}", detail.body);
    assert!(detail.body.contains("image/png"));
    assert!(detail.body.contains("· rolled back <time"), "the JPEG, set aside: {}", detail.body);
    // A GET of the form addresses goes back to the item.
    assert_eq!(ann.get(&format!("{item}/replace")).await.location(), item);
}

async fn failures_during_replace_and_roll_back_change_nothing(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let photo = env.upload_own(&ann, "quay.png", "image.png").await;
    let before = env.objects().await;
    let mut settings = env.settings();
    settings.trash_days = 30;

    // The store goes down: refused, nothing stored, nothing moved.
    let (store, switch) = env.faulty_store().await;
    let faulty = env.media_with(store, settings.clone());
    switch.down();
    let err = faulty.replace(&ann, photo, file("b.jpg"), fixture_stream("image.jpg")).await.unwrap_err();
    assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
    switch.up();
    assert_eq!(env.objects().await, before);
    env.usage_matches(ann.user_id.unwrap()).await;
    // Setting the old file aside fails at its thumbnail: the new file and the first copy go.
    let refusing = env.media_with(env.store_refusing("thumb.jpg"), settings.clone());
    let err = refusing.replace(&ann, photo, file("b.jpg"), fixture_stream("image.jpg")).await.unwrap_err();
    assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
    assert_eq!(env.objects().await, before);
    env.usage_matches(ann.user_id.unwrap()).await;

    // The version cannot be written: the row keeps its file, the new objects and copies go.
    env.inject_db_failure("versions", "INSERT").await;
    let err = media.replace(&ann, photo, file("b.jpg"), fixture_stream("image.jpg")).await.unwrap_err();
    assert!(matches!(err, MediaError::Database(_)), "{err:?}");
    env.clear_db_failure("versions", "INSERT").await;
    assert_eq!(media.get(&ann, photo.0, photo.1).await.unwrap().filename(), "quay.png");
    assert_eq!(bytes_of(&env, &ann, photo).await, fixture_bytes("image.png"));
    assert_eq!(env.objects().await, before);
    env.usage_matches(ann.user_id.unwrap()).await;
    assert_eq!(env.count_rows("versions").await, 0);

    // Replaced; then the roll back cannot change the row: both files stay where they were.
    media.replace(&ann, photo, file("b.jpg"), fixture_stream("image.jpg")).await.unwrap();
    let replaced = env.objects().await;
    let version = media.versions(&ann, photo).await.unwrap()[0].id;
    env.inject_db_failure("images", "UPDATE").await;
    let err = media.restore_version(&ann, photo, version).await.unwrap_err();
    assert!(matches!(err, MediaError::Database(_)), "{err:?}");
    env.clear_db_failure("images", "UPDATE").await;
    assert_eq!(env.objects().await, replaced);
    env.usage_matches(ann.user_id.unwrap()).await;
    assert_eq!(bytes_of(&env, &ann, photo).await, fixture_bytes("image.jpg"));
    switch.down();
    let err = faulty.restore_version(&ann, photo, version).await.unwrap_err();
    assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
    switch.up();
    assert_eq!(env.objects().await, replaced);
    env.usage_matches(ann.user_id.unwrap()).await;
    // And it works once the services do.
    media.restore_version(&ann, photo, version).await.unwrap();
    assert_eq!(bytes_of(&env, &ann, photo).await, fixture_bytes("image.png"));
    // Deletes of writes the store may still finish after an outage are owed, then paid.
    media.retry_pending_deletions(true).await.unwrap();
    let report = media.reconcile(false, std::time::Duration::ZERO).await.unwrap();
    assert!(report.is_clean(), "{report:?}");
}

async fn browser_replaces_an_image_and_rolls_back(env: TestEnv) {
    let backend = env.backend;
    let server = env.with_trash(30).start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let page = ann.upload(&[("quay.png", fixture_bytes("image.png"))], None, false).await;
    let item = page
        .all("href=\"/media/")
        .into_iter()
        .find(|h| h.starts_with("image/"))
        .map(|h| format!("/media/{h}"))
        .unwrap();
    let replacement = fixture("image.jpg");
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.sign_in("ann").await;
        b.goto(&item).await;
        let shown = "return document.getElementById('preview').src;";
        let old = b.js(shown).await.as_str().unwrap().to_owned();
        let input = b.find("#replace-file").await;
        input.send_keys(replacement.to_str().unwrap()).await.expect("choose the file");
        b.find("form.replace button[type=submit]").await.click().await.expect("replace");
        b.wait_for_flash("Replaced the file with image.jpg").await;
        let new = b.js(shown).await.as_str().unwrap().to_owned();
        assert_ne!(new, old);
        let loaded = "const i = document.getElementById('preview'); return new Promise(r => { \
            if (i.complete) r(i.naturalWidth); else i.onload = () => r(i.naturalWidth); });";
        assert!(b.js(loaded).await.as_i64().unwrap() > 0, "the new file shows");
        let listed = b.js("return document.querySelector('ul.versions').textContent;").await;
        assert!(listed.as_str().is_some_and(|t| t.contains("quay.png")), "{listed}");
        b.screenshot("versions").await;
        b.find("ul.versions button").await.click().await.expect("roll back");
        b.wait_for_flash("Rolled back to quay.png").await;
        let listed = b.js("return document.querySelector('ul.versions').textContent;").await;
        assert!(listed.as_str().is_some_and(|t| t.contains("image.jpg")), "{listed}");
        assert!(b.js(loaded).await.as_i64().unwrap() > 0, "the earlier file shows again");
    })
    .await;
}

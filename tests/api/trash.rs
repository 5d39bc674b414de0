//! The trash on both backends: a deleted item leaves every gallery, tag, collection and search
//! at once, its objects move to trash keys (so every link made before dies), only its owner
//! and staff see it there, and restoring brings back the file, previews, fields, tags and
//! collections under new links; purging, emptying and expiry delete for good; reconcile knows
//! trashed objects. Then the same through the pages, and each step failing halfway.

use mediadesk::auth::Role;
use mediadesk::domain::{GalleryQuery, Owner, OwnerFilter};
use mediadesk::media::{Actor, Description, MediaError, Upload};

use crate::common::server::{Page, TestClient, TestServer, html_unescape};
use crate::common::*;

backend_tests!(
    trash_keeps_everything_and_restore_brings_it_back,
    purge_empty_and_expiry_delete_for_good,
    trash_through_the_pages,
    storage_failures_during_trash_and_restore_change_nothing,
    deletes_the_store_refuses_are_finished_by_the_retry,
    reconcile_purges_trash_whose_file_is_gone_and_restore_skips_deleted_collections,
    undo_and_the_flashes_keep_the_session_cookie_small,
    database_failures_during_trash_restore_and_purge_change_nothing,
    a_whole_view_goes_to_the_trash_after_one_question,
    a_whole_view_is_deleted_for_good_without_a_trash,
    a_whole_view_that_fails_halfway_keeps_what_could_not_go,
    the_trash_page_goes_on_past_an_item_that_fails
);

/// File names in `who`'s gallery narrowed by `q`.
async fn listed(env: &TestEnv, who: &Actor, q: impl FnOnce(&mut GalleryQuery)) -> Vec<String> {
    let mut query = GalleryQuery::new(OwnerFilter::Visible(who.user_id.unwrap()));
    q(&mut query);
    env.media.gallery(who, &query).await.unwrap().items.into_iter().map(|i| i.filename).collect()
}

async fn trash_keeps_everything_and_restore_brings_it_back(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let bob = Actor::user(env.user("bob", "user").await);
    let sam = Actor::staff(env.user("sam", "staff").await);
    let photo = env.upload_own(&ann, "quay.png", "image.png").await;
    let song = env.upload_own(&ann, "gulls.mp3", "tone-cbr.mp3").await;
    let described = Description {
        title: Some("Quay at dawn".into()),
        alt_text: Some("Boats moored along a stone quay".into()),
        caption: Some("Early ferry".into()),
        credit: Some("Ann".into()),
    };
    media.describe(&ann, photo, &described, None).await.unwrap();
    media.tag_item(&ann, photo, "Harbour, Dawn").await.unwrap();
    let trips =
        media.create_collection(&ann, Owner::User(ann.user_id.unwrap()), None, "Trips").await.unwrap();
    media.add_to_collection(&ann, trips.id, photo).await.unwrap();
    let harbour = media.tag_filter("harbour").await.unwrap();
    let before = env.objects().await;
    assert_eq!(before.len(), 3, "image + thumbnail, audio (its waveform is in its row): {before:?}");

    let deleted = media.delete(&ann, photo.0, photo.1).await.unwrap();
    let until = deleted.trashed_until.expect("a delete goes to the trash");
    let days = (until - mediadesk::db::now()).num_hours();
    assert!((30 * 24 - 1..=30 * 24).contains(&days), "kept 30 days, not {days} hours");
    // Gone from everything at once.
    assert!(matches!(media.get(&ann, photo.0, photo.1).await, Err(MediaError::NotFound)));
    assert_eq!(listed(&env, &ann, |_| {}).await, ["gulls.mp3"]);
    assert!(listed(&env, &ann, |q| q.search = Some("quay".into())).await.is_empty());
    assert!(listed(&env, &ann, |q| q.tags = harbour.clone()).await.is_empty());
    assert!(listed(&env, &ann, |q| q.collection = Some(trips.id)).await.is_empty());
    env.kept_counts_agree().await;
    // Its objects moved to new trash keys: nothing under the old names is left.
    let during = env.objects().await;
    assert_eq!(during.len(), 3);
    let moved: Vec<&String> = during.iter().filter(|k| k.starts_with("trash/")).collect();
    assert_eq!(moved.len(), 2, "{during:?}");
    for old in before.iter().filter(|k| !during.contains(k)) {
        assert!(!during.contains(old));
    }
    assert_eq!(during.iter().filter(|k| before.contains(k)).count(), 1, "the song is untouched");

    // Only the owner and staff see it in the trash.
    let ann_trash = media.trash_page(&ann, None).await.unwrap();
    assert_eq!(ann_trash.total, 1);
    let item = &ann_trash.items[0];
    assert_eq!((item.kind, item.id, item.filename.as_str()), (photo.0, photo.1, "quay.png"));
    assert_eq!(item.title.as_deref(), Some("Quay at dawn"));
    assert_eq!(item.trashed_by, ann.user_id);
    assert!(item.preview_url.is_some(), "the trashed thumbnail is shown on the trash page");
    assert_eq!(media.trash_page(&bob, None).await.unwrap().total, 0);
    assert_eq!(media.trash_page(&sam, None).await.unwrap().total, 1);
    assert!(matches!(media.restore(&bob, photo.0, photo.1).await, Err(MediaError::NotFound)));
    assert!(matches!(media.purge(&bob, photo.0, photo.1).await, Err(MediaError::NotFound)));
    assert!(media.in_trash(&ann, photo.0, photo.1).await.unwrap());
    assert!(!media.in_trash(&bob, photo.0, photo.1).await.unwrap());
    // Reconcile counts trash objects as kept, not orphans.
    let report = media.reconcile(false, std::time::Duration::ZERO).await.unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.trashed, 1);

    // Restore: same id, fields, tags and collections; files under new names with the same bytes.
    let back = media.restore(&ann, photo.0, photo.1).await.unwrap();
    assert_eq!(back.id(), photo.1);
    assert_eq!(back.description(), &described);
    assert_eq!(media.tags_of(&ann, photo).await.unwrap(), ["Dawn", "Harbour"]);
    let places: Vec<String> =
        media.collections_of(&ann, photo).await.unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(places, ["Trips"]);
    assert_eq!(listed(&env, &ann, |q| q.search = Some("quay".into())).await, ["quay.png"]);
    assert_eq!(listed(&env, &ann, |q| q.tags = harbour.clone()).await, ["quay.png"]);
    assert_eq!(listed(&env, &ann, |q| q.collection = Some(trips.id)).await, ["quay.png"]);
    env.kept_counts_agree().await;
    let after = env.objects().await;
    assert_eq!(after.len(), 3);
    assert!(after.iter().all(|k| !k.starts_with("trash/")), "{after:?}");
    let new_keys: Vec<&String> = after.iter().filter(|k| !before.contains(k)).collect();
    assert_eq!(new_keys.len(), 2, "new names, so links made before the trash stay dead: {after:?}");
    let original = new_keys.iter().find(|k| !k.contains("thumb")).unwrap();
    assert_eq!(read_object(env.store.as_ref(), original).await, fixture_bytes("image.png"));
    assert_eq!(media.trash_page(&ann, None).await.unwrap().total, 0);
    assert!(media.pending_deletions().await.unwrap().is_empty());
    assert!(matches!(media.restore(&ann, photo.0, photo.1).await, Err(MediaError::NotFound)));

    // Audio keeps its waveform (kept in its row) through the round trip.
    media.delete(&ann, song.0, song.1).await.unwrap();
    media.restore(&sam, song.0, song.1).await.unwrap();
    match media.get(&ann, song.0, song.1).await.unwrap() {
        mediadesk::media::MediaRead::Audio(a) => assert!(a.peaks.is_some(), "{a:?}"),
        other => panic!("{other:?}"),
    }
    let objects = env.objects().await;
    assert_eq!(objects.len(), 3);
    assert!(objects.iter().all(|k| !k.starts_with("trash/")), "{objects:?}");
    assert!(media.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());
}

async fn purge_empty_and_expiry_delete_for_good(env: TestEnv) {
    let env = env.with_trash(7);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let bob = Actor::user(env.user("bob", "user").await);
    let sam = Actor::staff(env.user("sam", "staff").await);
    let a = env.upload_own(&ann, "a.png", "image.png").await;
    let b = env.upload_own(&ann, "b.png", "image.png").await;
    let c = env.upload_own(&bob, "c.png", "image.png").await;
    for (who, item) in [(&ann, a), (&ann, b), (&bob, c)] {
        media.delete(who, item.0, item.1).await.unwrap();
    }
    assert_eq!(env.objects().await.len(), 6);
    // Purge one: its objects go, the others stay.
    media.purge(&ann, a.0, a.1).await.unwrap();
    assert_eq!(env.objects().await.len(), 4);
    assert!(matches!(media.restore(&ann, a.0, a.1).await, Err(MediaError::NotFound)));
    // Emptying ann's trash leaves bob's.
    assert_eq!(media.empty_trash(&ann).await.unwrap(), 1);
    assert_eq!(env.objects().await.len(), 2);
    assert_eq!(media.trash_page(&bob, None).await.unwrap().total, 1);
    // Expiry: nothing before its time, everything after.
    let now = mediadesk::db::now();
    assert_eq!(media.purge_expired_trash(now + chrono::TimeDelta::days(6)).await.unwrap(), 0);
    assert_eq!(media.purge_expired_trash(now + chrono::TimeDelta::days(8)).await.unwrap(), 1);
    assert!(env.objects().await.is_empty());
    assert_eq!(media.trash_page(&sam, None).await.unwrap().total, 0);
    assert!(media.pending_deletions().await.unwrap().is_empty());
    // Staff empty everyone's trash.
    let d = env.upload_own(&bob, "d.png", "image.png").await;
    media.delete(&bob, d.0, d.1).await.unwrap();
    assert_eq!(media.empty_trash(&sam).await.unwrap(), 1);
    assert!(env.objects().await.is_empty());
    assert_eq!(env.count_rows("trash").await, 0);
}

/// An URL as the page gives it: S3 presigned URLs are absolute, local ones are the app's.
async fn fetch_status(c: &TestClient, url: &str) -> u16 {
    if url.starts_with("http") {
        reqwest::get(url).await.unwrap().status().as_u16()
    } else {
        c.get_bytes(url, None).await.0
    }
}

async fn trash_through_the_pages(env: TestEnv) {
    let s = env.with_trash(30).start_server().await;
    let (ann, _) = s.signed_in("ann", Role::User).await;
    let (bob, _) = s.signed_in("bob", Role::User).await;
    let page = ann.upload(&[("quay.png", fixture_bytes("image.png"))], None, false).await;
    assert!(page.body.contains("1 accepted"), "{}", page.body);
    let item = page
        .all("href=\"/media/")
        .into_iter()
        .find(|h| h.starts_with("image/"))
        .map(|h| format!("/media/{h}"))
        .unwrap();
    let id: i64 = item.rsplit('/').next().unwrap().parse().unwrap();
    let detail = ann.get(&item).await;
    let link = detail.open_full_size();
    assert_eq!(fetch_status(&ann, &link).await, 200, "{link}");

    let confirm = ann.get(&format!("{item}/delete")).await;
    assert!(confirm.body.contains("Move 1 item to the trash?"), "{}", confirm.body);
    let done = ann.post(&format!("{item}/delete"), &format!("{item}/delete"), &[("step", "delete")]).await;
    assert_eq!(done.status, 303);
    let gallery = ann.get(done.location()).await;
    assert!(gallery.body.contains("Moved quay.png to the Trash"), "{}", gallery.body);
    assert!(!gallery.body.contains(&item));
    assert_eq!(fetch_status(&ann, &link).await, 404, "the old link is dead at once");
    // Its page says where it went, to whoever may restore it, and only to them.
    let gone = ann.get(&item).await;
    assert_eq!(gone.status, 404);
    assert!(gone.body.contains("This item is in the trash"), "{}", gone.body);
    let other = bob.get(&item).await;
    assert_eq!(other.status, 404);
    assert!(!other.body.contains("in the trash"));

    let trash = ann.get("/trash").await;
    assert!(trash.body.contains("quay.png") && trash.body.contains(&format!("value=\"image:{id}\"")));
    assert!(!bob.get("/trash").await.body.contains("quay.png"), "another user's trash is not shown");
    // Bob cannot restore it by posting its id.
    let r = bob.post("/trash", "/trash", &[("action", "restore"), ("item", &format!("image:{id}"))]).await;
    assert_eq!(r.status, 303);
    assert!(bob.get("/trash").await.body.contains("no longer in the trash"));
    assert_eq!(ann.get(&item).await.status, 404);
    // Nothing ticked: said so, nothing done.
    let r = ann.post("/trash", "/trash", &[("action", "restore")]).await;
    assert!(ann.get(r.location()).await.body.contains("Select at least one item"));

    // Restored from the item's own page, which it comes back to.
    let fields = [("action", "restore"), ("item", &format!("image:{id}")), ("then", "item")];
    let r = ann.post(&item, "/trash", &fields).await;
    assert_eq!((r.status, r.location()), (303, item.as_str()));
    let detail = ann.get(&item).await;
    assert_eq!(detail.status, 200);
    assert!(detail.body.contains("Restored quay.png"), "{}", detail.body);
    let new_link = detail.open_full_size();
    assert_ne!(new_link, link);
    assert_eq!(fetch_status(&ann, &new_link).await, 200);
    assert_eq!(fetch_status(&ann, &link).await, 404, "links made before the trash stay dead");

    // Bulk delete from the gallery, then empty the trash behind its confirmation.
    let value = format!("image:{id}");
    let r = ann.post("/media", "/media/bulk", &[("step", "delete"), ("item", &value)]).await;
    let gallery = ann.get(r.location()).await;
    assert!(gallery.body.contains("Moved 1 item to the Trash"));
    // The page after a delete offers Undo, once; it restores and comes back to the view.
    assert!(gallery.body.contains("class=\"undo\"") && gallery.body.contains(&format!("value=\"{value}\"")));
    assert!(!ann.get("/media").await.body.contains("class=\"undo\""));
    let undo =
        [("action", "restore"), ("then", "back"), ("back", "/media?sort=name"), ("item", value.as_str())];
    let r = ann.post("/media", "/trash", &undo).await;
    assert_eq!(r.location(), "/media?sort=name");
    assert_eq!(ann.get(&item).await.status, 200);
    let r = ann.post("/media", "/media/bulk", &[("step", "delete"), ("item", &value)]).await;
    assert!(ann.get(r.location()).await.body.contains("Moved 1 item to the Trash"));
    // Staff see everyone's trash, or one account's.
    let (sam, _) = s.signed_in("sam", Role::Staff).await;
    assert!(sam.get("/trash").await.body.contains("quay.png"));
    let page = sam.get("/trash?owner=ann").await;
    assert!(page.body.contains("quay.png") && !page.body.contains("Empty the trash…"), "{}", page.body);
    assert!(!sam.get("/trash?owner=bob").await.body.contains("quay.png"));
    assert_eq!(sam.get("/trash?owner=nobody").await.status, 404);
    // Users always see their own, whatever they ask for.
    assert!(!bob.get("/trash?owner=ann").await.body.contains("quay.png"));
    // Deleting selected items for good asks first; nothing goes until confirmed.
    let asked = ann.post("/trash", "/trash", &[("action", "purge"), ("item", &value)]).await;
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains("Delete 1 item for good?") && asked.body.contains(&value), "{}", asked.body);
    assert!(ann.get("/trash").await.body.contains("quay.png"));
    let confirm = ann.get("/trash/empty").await;
    assert!(confirm.body.contains("Empty the trash?") && confirm.body.contains("1 item"), "{}", confirm.body);
    let r = ann.post("/trash/empty", "/trash/empty", &[]).await;
    assert_eq!(r.location(), "/trash/empty", "not without the confirmation");
    let r = ann.post("/trash/empty", "/trash/empty", &[("confirmed", "yes")]).await;
    assert!(ann.get(r.location()).await.body.contains("1 item deleted for good"));
    assert!(ann.get("/trash").await.body.contains("The trash is empty."));
    assert!(s.env.objects().await.is_empty());

    // Confirmed, the selection goes for good.
    let page = ann.upload(&[("gull.png", fixture_bytes("image.png"))], None, false).await;
    let value = format!("image:{}", id + 1);
    assert!(page.body.contains(&format!("/media/image/{}", id + 1)), "{}", page.body);
    ann.post("/media", "/media/bulk", &[("step", "delete"), ("item", &value)]).await;
    let fields = [("action", "purge"), ("item", value.as_str()), ("confirmed", "yes")];
    let r = ann.post("/trash", "/trash", &fields).await;
    assert!(ann.get(r.location()).await.body.contains("Deleted 1 item for good."));
    assert!(s.env.objects().await.is_empty());
    assert_eq!(s.env.count_rows("trash").await, 0);
}

async fn storage_failures_during_trash_and_restore_change_nothing(env: TestEnv) {
    let env = env.with_trash(30);
    let ann = Actor::user(env.user("ann", "user").await);
    let photo = env.upload_own(&ann, "quay.png", "image.png").await;
    let before = env.objects().await;
    let mut settings = env.settings();
    settings.trash_days = 30;

    // The store is down: the delete fails and nothing moved.
    let (store, switch) = env.faulty_store().await;
    let media = env.media_with(store, settings.clone());
    switch.down();
    let err = media.delete(&ann, photo.0, photo.1).await.unwrap_err();
    assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
    switch.up();
    assert!(media.get(&ann, photo.0, photo.1).await.is_ok());
    assert_eq!(env.objects().await, before);
    assert_eq!(env.count_rows("trash").await, 0);

    // The second copy (the thumbnail) fails: the first copy is removed again.
    let refusing = env.media_with(env.store_refusing("thumb.jpg"), settings.clone());
    let err = refusing.delete(&ann, photo.0, photo.1).await.unwrap_err();
    assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
    assert!(refusing.get(&ann, photo.0, photo.1).await.is_ok());
    assert_eq!(env.objects().await, before);

    // Trashed; then restoring with the store down fails and leaves it in the trash as it was.
    media.delete(&ann, photo.0, photo.1).await.unwrap();
    let trashed = env.objects().await;
    switch.down();
    let err = media.restore(&ann, photo.0, photo.1).await.unwrap_err();
    assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
    switch.up();
    assert_eq!(env.objects().await, trashed);
    let err = refusing.restore(&ann, photo.0, photo.1).await.unwrap_err();
    assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
    assert_eq!(env.objects().await, trashed);
    assert!(media.in_trash(&ann, photo.0, photo.1).await.unwrap());

    // Purging with the store down: the item is gone at once, its objects are owed and paid.
    switch.down();
    media.purge(&ann, photo.0, photo.1).await.unwrap();
    assert_eq!(env.count_rows("trash").await, 0);
    assert_eq!(media.pending_deletions().await.unwrap().len(), 2);
    switch.up();
    media.retry_pending_deletions(true).await.unwrap();
    assert!(env.objects().await.is_empty());
    assert!(media.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());
}

async fn database_failures_during_trash_restore_and_purge_change_nothing(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let photo = env.upload_own(&ann, "quay.png", "image.png").await;
    media.tag_item(&ann, photo, "harbour").await.unwrap();
    let before = env.objects().await;

    // The trash row cannot be written: the item stays, the copies are removed again.
    env.inject_db_failure("trash", "INSERT").await;
    let err = media.delete(&ann, photo.0, photo.1).await.unwrap_err();
    assert!(matches!(err, MediaError::Database(_)), "{err:?}");
    env.clear_db_failure("trash", "INSERT").await;
    assert!(media.get(&ann, photo.0, photo.1).await.is_ok());
    assert_eq!(media.tags_of(&ann, photo).await.unwrap(), ["harbour"], "the tags were not touched");
    assert_eq!(env.objects().await, before);
    env.usage_matches(ann.user_id.unwrap()).await;
    assert_eq!(env.count_rows("pending_deletions").await, 0);

    // Trashed; the row cannot go back: it stays in the trash, the new copies are removed.
    media.delete(&ann, photo.0, photo.1).await.unwrap();
    let trashed = env.objects().await;
    env.inject_db_failure("images", "INSERT").await;
    let err = media.restore(&ann, photo.0, photo.1).await.unwrap_err();
    assert!(matches!(err, MediaError::Database(_)), "{err:?}");
    env.clear_db_failure("images", "INSERT").await;
    assert_eq!(env.objects().await, trashed);
    env.usage_matches(ann.user_id.unwrap()).await;
    assert!(media.in_trash(&ann, photo.0, photo.1).await.unwrap());
    assert_eq!(env.count_rows("item_tags").await, 0);

    // Purge cannot record its objects: the item stays in the trash, whole.
    env.inject_db_failure("pending_deletions", "INSERT").await;
    let err = media.purge(&ann, photo.0, photo.1).await.unwrap_err();
    assert!(matches!(err, MediaError::Database(_)), "{err:?}");
    env.clear_db_failure("pending_deletions", "INSERT").await;
    assert_eq!(env.objects().await, trashed);
    env.usage_matches(ann.user_id.unwrap()).await;

    // And everything works once the database does.
    media.restore(&ann, photo.0, photo.1).await.unwrap();
    assert_eq!(media.tags_of(&ann, photo).await.unwrap(), ["harbour"]);
    assert!(media.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());
}

/// The store copies but refuses deletes: the item is in the trash at once (its old objects
/// owed, and refused by the app's own file route meanwhile), and the retry finishes the move;
/// purging likewise.
async fn deletes_the_store_refuses_are_finished_by_the_retry(env: TestEnv) {
    let env = env.with_trash(30);
    let ann = Actor::user(env.user("ann", "user").await);
    let photo = env.upload_own(&ann, "quay.png", "image.png").await;
    let before = env.objects().await;
    let mut settings = env.settings();
    settings.trash_days = 30;
    let stuck = env.media_with(env.store_refusing_deletes(), settings);
    let trashed = stuck.delete(&ann, photo.0, photo.1).await.unwrap();
    assert!(trashed.removal_deferred);
    assert!(stuck.in_trash(&ann, photo.0, photo.1).await.unwrap());
    let mut owed = stuck.pending_deletions().await.unwrap();
    owed.sort();
    assert_eq!(owed, before, "the old objects are owed");
    let r = env.media.retry_pending_deletions(true).await.unwrap();
    assert_eq!((r.deleted, r.failed), (2, 0));
    let now = env.objects().await;
    assert!(now.iter().all(|k| k.starts_with("trash/")) && now.len() == 2, "{now:?}");
    // Purging with deletes refused: gone from the trash, objects owed, then paid.
    stuck.purge(&ann, photo.0, photo.1).await.unwrap();
    assert_eq!(env.count_rows("trash").await, 0);
    assert_eq!(env.objects().await.len(), 2);
    env.media.retry_pending_deletions(true).await.unwrap();
    assert!(env.objects().await.is_empty());
    assert!(env.media.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());
}

/// A trashed item whose file vanished from the store (a hand in the bucket) can never come
/// back: reconcile reports it and `--fix` purges it. A collection deleted while its item was in
/// the trash is simply not rejoined.
async fn reconcile_purges_trash_whose_file_is_gone_and_restore_skips_deleted_collections(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let (lost, kept) = (
        env.upload_own(&ann, "lost.png", "image.png").await,
        env.upload_own(&ann, "kept.png", "image.jpg").await,
    );
    let owner = Owner::User(ann.user_id.unwrap());
    let (gone, stays) = (
        media.create_collection(&ann, owner, None, "Gone").await.unwrap(),
        media.create_collection(&ann, owner, None, "Stays").await.unwrap(),
    );
    for c in [gone.id, stays.id] {
        media.add_to_collection(&ann, c, kept).await.unwrap();
    }
    let live = env.objects().await;
    media.delete(&ann, lost.0, lost.1).await.unwrap();
    media.delete(&ann, kept.0, kept.1).await.unwrap();
    let in_trash: Vec<String> = env.objects().await.into_iter().filter(|k| !live.contains(k)).collect();
    // The original of `lost` in the trash: the one of its two trash objects that is not a thumbnail
    // and whose bytes are the PNG.
    let mut original = None;
    for key in in_trash.iter().filter(|k| !k.contains("thumb")) {
        if read_object(env.store.as_ref(), key).await == fixture_bytes("image.png") {
            original = Some(key.clone());
        }
    }
    let original = mediadesk::storage::StorageKey::parse(&original.expect("the trashed PNG")).unwrap();
    env.store.delete(&original).await.unwrap();

    let report = media.reconcile(false, std::time::Duration::ZERO).await.unwrap();
    assert_eq!(report.trash_without_object, [format!("image:{}", lost.1)]);
    assert_eq!(report.trashed, 2);
    assert!(!report.is_clean());
    let fixed = media.reconcile(true, std::time::Duration::ZERO).await.unwrap();
    assert!(fixed.fixed);
    assert!(!media.in_trash(&ann, lost.0, lost.1).await.unwrap());
    let report = media.reconcile(false, std::time::Duration::ZERO).await.unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.trashed, 1);

    media.delete_collection(&ann, gone.id).await.unwrap();
    media.restore(&ann, kept.0, kept.1).await.unwrap();
    let places: Vec<String> =
        media.collections_of(&ann, kept).await.unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(places, ["Stays"]);
}

/// The most a bulk delete can put in the session — Undo for 20 items and a long gallery view,
/// plus the flashes about 150 refused items with long names — stays far below the 4 KB browsers keep.
async fn undo_and_the_flashes_keep_the_session_cookie_small(env: TestEnv) {
    let s = env.with_trash(30).start_server().await;
    let (ann, ann_id) = s.signed_in("ann", Role::User).await;
    let mut picks = Vec::new();
    for i in 0..20 {
        let upload = Upload::new(Owner::User(ann_id), format!("p{i}.png"));
        let item =
            s.env.media.upload(&Actor::user(ann_id), upload, fixture_stream("image.png")).await.unwrap();
        picks.push(format!("image:{}", item.id()));
    }
    let staff = Actor::staff(s.account("sam", Role::Staff).await);
    for i in 0..150 {
        let item = s.env.media.upload(
            &staff,
            Upload::new(Owner::System, format!("{}{i}.jpg", "s".repeat(200))),
            fixture_stream("image.jpg"),
        );
        picks.push(format!("image:{}", item.await.unwrap().id()));
    }
    let back = format!("/media?q={}&sort=name", "w".repeat(230));
    assert!(back.len() <= 256);
    let token = ann.get("/media").await.csrf();
    let mut fields = vec![("csrf_token", token.as_str()), ("step", "delete"), ("back", back.as_str())];
    fields.extend(picks.iter().map(|p| ("item", p.as_str())));
    let done = ann.post_raw("/media/bulk", &fields).await;
    assert_eq!(done.status, 303);
    let cookie = done.header("set-cookie");
    assert!(!cookie.is_empty() && cookie.len() < 3500, "{} bytes", cookie.len());
    let page = ann.get(done.location()).await;
    assert!(
        page.body.contains("Moved 20 items to the Trash") && page.body.contains("Not deleted: 150 items")
    );
    let long = format!("{}…", "s".repeat(39));
    assert!(html_unescape(&page.body).contains(&format!("({long}, {long}, {long} and 147 more)")));
    assert_eq!(page.body.matches("name=\"item\" value=\"image:").count(), 20, "Undo holds the 20");
}

/// Asks to delete the whole view at `back`; the question page.
async fn ask_to_delete(c: &TestClient, back: &str) -> Page {
    let question =
        c.post("/media", "/media/bulk", &[("step", "confirm"), ("scope", "view"), ("back", back)]).await;
    assert_eq!(question.status, 200, "{}", question.body);
    question
}

/// Answers a question page with its own hidden fields.
async fn answer(c: &TestClient, question: &Page) -> Page {
    let fields = question.hidden_fields();
    let fields: Vec<(&str, &str)> =
        fields.iter().filter(|(k, _)| k != "csrf_token").map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert!(fields.contains(&("confirmed", "yes")), "{}", question.body);
    c.post("/media", "/media/bulk", &fields).await
}

fn names_in(page: &Page) -> Vec<String> {
    page.body
        .split("<a class=\"name\" href=\"")
        .skip(1)
        .map(|r| html_unescape(r.split_once('>').unwrap().1.split('<').next().unwrap()))
        .collect()
}

/// "Delete all N in this view…": one question that counts what goes, whose it is and what is
/// left alone; nothing moves before the answer; answered, every item of the view (across its
/// pages) the person may delete goes to the Trash, and the view comes back from its first page.
async fn a_whole_view_goes_to_the_trash_after_one_question(env: TestEnv) {
    let s = env.with_trash(30).start_server().await;
    let (sam, _) = s.signed_in("sam", Role::Staff).await;
    sam.upload(&[("press.png", fixture_bytes("image.png"))], Some("system"), false).await;
    let (ann, ann_id) = s.signed_in("ann", Role::User).await;
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("a.png", fixture_bytes("image.png")),
        ("b.png", fixture_bytes("image.png")),
        ("c.png", fixture_bytes("image.png")),
        ("d.flac", fixture_bytes("tone.flac")),
    ];
    assert!(ann.upload(&files, None, false).await.body.contains("4 accepted"));
    let (bob, _) = s.signed_in("bob", Role::User).await;
    assert!(
        bob.upload(&[("bob.png", fixture_bytes("image.png"))], None, false).await.body.contains("1 accepted")
    );

    let first = ann.get("/media?per=2&sort=name").await;
    assert!(first.body.contains(">Delete all 5 in this view…</button>"), "{}", first.body);
    assert!(!ann.get("/media?type=audio").await.body.contains("Delete all"), "one page: no button");
    let back = ann.get(&first.rel("next").unwrap()).await.all("name=\"back\" value=\"").remove(0);
    assert!(back.contains("after="), "{back}");

    let question = ask_to_delete(&ann, &back).await;
    let text = html_unescape(&question.body);
    assert!(text.contains("<h1>Move 4 items to the Trash?</h1>"), "{text}");
    assert!(
        text.contains("Every item you may delete in this view: 4 items. They stay in the Trash for 30 days")
    );
    assert!(text.contains("Left alone: 1 item not yours to delete."), "{text}");
    assert!(text.contains(">Move 4 items to the Trash</button>"), "{text}");
    assert_eq!(names_in(&ann.get("/media?per=200").await).len(), 5, "nothing moved before the answer");

    let done = answer(&ann, &question).await;
    assert_eq!((done.status, done.location()), (303, "/media?sort=name&per=2"), "the view's first page");
    let view = ann.get(done.location()).await;
    assert!(html_unescape(&view.body).contains("Moved 4 items to the Trash"), "{}", view.body);
    assert_eq!(names_in(&view), ["press.png"]);
    assert_eq!(s.env.media.trash_page(&Actor::user(ann_id), None).await.unwrap().total, 4);
    assert_eq!(names_in(&bob.get("/media").await), ["bob.png", "press.png"], "bob's and the system's stay");

    // Staff are told whose items a view holds; a view with nothing one may delete, and one
    // that is not the person's to see, are refused before any question.
    let question = ask_to_delete(&sam, "/media?per=1&sort=name").await;
    let text = html_unescape(&question.body);
    assert!(text.contains("Move 2 items to the Trash?"), "{text}");
    assert!(text.contains("2 items (1 system media, which everyone sees; 1 of other people)"), "{text}");
    let nothing =
        ann.post("/media", "/media/bulk", &[("scope", "view"), ("back", "/media/system?per=1")]).await;
    assert_eq!((nothing.status, nothing.location()), (303, "/media/system?per=1"));
    let said = html_unescape(&ann.get("/media/system?per=1").await.body);
    assert!(
        said.contains("Nothing in this view to delete: Left alone: 1 item not yours to delete."),
        "{said}"
    );
    let not_hers = format!("/media/users/{ann_id}");
    assert_eq!(
        bob.post("/media", "/media/bulk", &[("scope", "view"), ("back", &not_hers)]).await.status,
        400
    );
    assert_eq!(names_in(&sam.get("/media").await).len(), 2, "nothing else moved");
}

/// Without a trash the question says the delete is for good, and the answer deletes.
async fn a_whole_view_is_deleted_for_good_without_a_trash(env: TestEnv) {
    let s = env.start_server().await;
    let (ann, _) = s.signed_in("ann", Role::User).await;
    let files = vec![("a.png", fixture_bytes("image.png")), ("b.png", fixture_bytes("image.png"))];
    assert!(ann.upload(&files, None, false).await.body.contains("2 accepted"));
    let question = ask_to_delete(&ann, "/media?per=1").await;
    let text = html_unescape(&question.body);
    assert!(
        text.contains("<h1>Delete 2 items for good?</h1>") && text.contains("This cannot be undone."),
        "{text}"
    );
    let done = answer(&ann, &question).await;
    let view = ann.get(done.location()).await;
    assert!(html_unescape(&view.body).contains("Deleted 2 items."), "{}", view.body);
    assert!(names_in(&view).is_empty());
    let empty = ann.post("/media", "/media/bulk", &[("scope", "view"), ("back", "/media?per=1")]).await;
    assert_eq!(empty.status, 303);
    assert!(
        html_unescape(&ann.get("/media").await.body)
            .contains("Nothing in this view to delete: the view is empty.")
    );
}

/// A server (with a trash) whose store refuses to write any `.png`, so no PNG can be copied
/// to or out of the trash; a service over the same database and a working store to set things
/// up with; ann, signed in.
async fn refusing_pngs(env: TestEnv) -> (TestServer, mediadesk::media::MediaService, TestClient, i64) {
    let mut env = env.with_trash(30);
    let working = env.media.clone();
    env.media = env.media_with(env.store_refusing(".png"), working.settings().clone());
    let s = env.start_server().await;
    let (c, ann_id) = s.signed_in("ann", Role::User).await;
    (s, working, c, ann_id)
}

/// A whole view whose store refuses some items' copies, then whose database refuses every
/// trash row: what could go went, what could not stays whole where it was (its file, its
/// thumbnail, no copy left in the trash), and the summary names them with a reason for a
/// person, not the store's or database's own message.
async fn a_whole_view_that_fails_halfway_keeps_what_could_not_go(env: TestEnv) {
    let (s, working, c, ann_id) = refusing_pngs(env).await;
    let ann = Actor::user(ann_id);
    let upload = async |name: &str, fixture: &str| {
        let upload = Upload::new(Owner::User(ann_id), name);
        working.upload(&ann, upload, fixture_stream(fixture)).await.unwrap();
    };
    for (name, fixture) in
        [("a.png", "image.png"), ("b.png", "image.png"), ("c.jpg", "image.jpg"), ("d.jpg", "image.jpg")]
    {
        upload(name, fixture).await;
    }
    let before = s.env.objects().await;

    let question = ask_to_delete(&c, "/media?per=1&sort=name").await;
    assert!(html_unescape(&question.body).contains("Move 4 items to the Trash?"), "{}", question.body);
    let done = answer(&c, &question).await;
    let said = html_unescape(&c.get(done.location()).await.body);
    assert!(said.contains("Moved 2 items to the Trash"), "{said}");
    assert!(
        said.contains(
            "Not deleted: 2 items (a.png, b.png): the server could not do it just now; try again shortly."
        ),
        "{said}"
    );
    assert!(!said.contains("injected") && !said.contains("storage failed"), "{said}");
    assert_eq!(names_in(&c.get("/media?sort=name").await), ["a.png", "b.png"]);
    let now = s.env.objects().await;
    let went: Vec<&String> = before.iter().filter(|k| !now.contains(k)).collect();
    assert!(went.len() == 4 && went.iter().all(|k| !k.contains(".png")), "the JPEGs' objects: {went:?}");
    let trashed: Vec<&String> = now.iter().filter(|k| !before.contains(k)).collect();
    assert!(
        trashed.len() == 4 && trashed.iter().all(|k| k.starts_with("trash/") && !k.ends_with(".png")),
        "the JPEGs and their thumbnails in the trash, no PNG copy left there: {trashed:?}"
    );
    assert_eq!(s.env.media.trash_page(&ann, None).await.unwrap().total, 2);
    s.env.usage_matches(ann_id).await;

    // The database refuses every trash row: nothing moves, nothing is said to have.
    upload("e.jpg", "image.jpg").await;
    let before = s.env.objects().await;
    s.env.inject_db_failure("trash", "INSERT").await;
    let question = ask_to_delete(&c, "/media?per=1&sort=name").await;
    let done = answer(&c, &question).await;
    s.env.clear_db_failure("trash", "INSERT").await;
    let page = c.get(done.location()).await;
    let said = html_unescape(&page.body);
    assert!(
        said.contains("Not deleted: 3 items (a.png, b.png, e.jpg): the server could not do it just now"),
        "{said}"
    );
    assert!(!said.contains("Moved") && !said.contains("flash-ok") && !said.contains("injected"), "{said}");
    assert_eq!(s.env.objects().await, before, "the copies were removed again");
    assert_eq!(names_in(&c.get("/media?sort=name").await), ["a.png", "b.png", "e.jpg"]);
    assert_eq!(s.env.count_rows("trash").await, 2);
    s.env.usage_matches(ann_id).await;
    assert!(working.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());
}

/// Restoring or deleting for good from the Trash page, each item on its own: one the store or
/// the database fails for stays in the trash, named with a reason for a person, and the others
/// are done.
async fn the_trash_page_goes_on_past_an_item_that_fails(env: TestEnv) {
    let (s, working, c, ann_id) = refusing_pngs(env).await;
    let ann = Actor::user(ann_id);
    let mut picked = Vec::new();
    for (name, fixture) in [("a.png", "image.png"), ("b.png", "image.png"), ("c.jpg", "image.jpg")] {
        let upload = Upload::new(Owner::User(ann_id), name);
        let item = working.upload(&ann, upload, fixture_stream(fixture)).await.unwrap();
        working.delete(&ann, item.kind(), item.id()).await.unwrap();
        picked.push(format!("{}:{}", item.kind(), item.id()));
    }
    let trashed = s.env.objects().await;
    let mut fields: Vec<(&str, &str)> = picked.iter().map(|p| ("item", p.as_str())).collect();
    fields.push(("action", "restore"));

    let done = c.post("/trash", "/trash", &fields).await;
    assert_eq!((done.status, done.location()), (303, "/trash"));
    let said = html_unescape(&c.get("/trash").await.body);
    assert!(said.contains("Restored c.jpg"), "{said}");
    assert!(
        said.contains(
            "Not restored: 2 items (a.png, b.png): the server could not do it just now; try again shortly."
        ),
        "{said}"
    );
    assert!(!said.contains("injected"), "{said}");
    assert_eq!(s.env.media.trash_page(&ann, None).await.unwrap().total, 2);
    let now = s.env.objects().await;
    assert!(
        now.iter().all(|k| !k.ends_with(".png") || k.starts_with("trash/")),
        "no PNG copied out: {now:?}"
    );
    assert_eq!(now.len(), trashed.len(), "{now:?}");

    // Deleting the two for good while the database refuses to record their objects.
    s.env.inject_db_failure("pending_deletions", "INSERT").await;
    let mut fields: Vec<(&str, &str)> = picked[..2].iter().map(|p| ("item", p.as_str())).collect();
    fields.extend([("action", "purge"), ("confirmed", "yes")]);
    let done = c.post("/trash", "/trash", &fields).await;
    s.env.clear_db_failure("pending_deletions", "INSERT").await;
    assert_eq!(done.status, 303);
    let said = html_unescape(&c.get("/trash").await.body);
    assert!(said.contains("Not deleted: 2 items (a.png, b.png): the server could not do it"), "{said}");
    assert!(!said.contains("items for good."), "nothing said to be deleted: {said}");
    assert_eq!(s.env.media.trash_page(&ann, None).await.unwrap().total, 2);
    let done = c.post("/trash", "/trash", &fields).await;
    assert_eq!(done.status, 303);
    assert!(html_unescape(&c.get("/trash").await.body).contains("Deleted 2 items for good."));
    s.env.usage_matches(ann_id).await;
    assert!(working.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());
}

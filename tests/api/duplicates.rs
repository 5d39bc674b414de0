//! Exact duplicates on both backends: refused at upload among what the uploader can see (never
//! another user's files), kept when asked; grouped among what the viewer manages, and cleaned
//! up by keeping one. Then the no-JS form, the JSON answer, and the script uploader's "Upload
//! anyway" in Chromium. A file an item had before it was turned or replaced is a duplicate of
//! that item.

use mediadesk::auth::Role;
use mediadesk::domain::{MediaKind, Owner};
use mediadesk::media::{Actor, MediaError, Upload};

use crate::common::browser::{Browser, PATIENCE, poll};
use crate::common::tus::Tus;
use crate::common::*;

backend_tests!(
    duplicates_are_found_among_what_the_uploader_sees,
    an_items_earlier_file_is_a_duplicate_of_it,
    duplicates_through_the_pages,
    browser_offers_the_existing_item_or_upload_anyway
);

fn checked(owner: Owner, name: &str) -> Upload {
    Upload { refuse_duplicates: true, ..Upload::new(owner, name) }
}

/// With a trash (so a turn keeps the earlier file): ann and bob, users, and sam, staff.
async fn two_users_and_staff(env: TestEnv) -> (TestEnv, [Actor; 3]) {
    let env = env.with_trash(30);
    let ann = Actor::user(env.user("ann", "user").await);
    let bob = Actor::user(env.user("bob", "user").await);
    let sam = Actor::staff(env.user("sam", "staff").await);
    (env, [ann, bob, sam])
}

async fn duplicates_are_found_among_what_the_uploader_sees(env: TestEnv) {
    let (env, [ann, bob, sam]) = two_users_and_staff(env).await;
    let media = env.media.clone();
    let (ann_owner, bob_owner) = (Owner::User(ann.user_id.unwrap()), Owner::User(bob.user_id.unwrap()));
    let first = media.upload(&ann, checked(ann_owner, "a.png"), fixture_stream("image.png")).await.unwrap();
    let objects = env.objects().await;

    // The same bytes again: refused, naming the item that holds them; nothing is left.
    match media.upload(&ann, checked(ann_owner, "copy.png"), fixture_stream("image.png")).await {
        Err(MediaError::Duplicate { kind, id, filename, earlier: false }) => {
            assert_eq!((kind, id, filename.as_str()), (MediaKind::Image, first.id(), "a.png"))
        }
        other => panic!("expected a duplicate, got {other:?}"),
    }
    assert_eq!(env.objects().await, objects);
    assert_eq!(env.count_rows("images").await, 1);
    assert_eq!(env.settled_spool().await, 0);
    // Another file, or the same under another kind of check, is fine.
    media.upload(&ann, checked(ann_owner, "b.jpg"), fixture_stream("image.jpg")).await.unwrap();
    // Bob cannot see ann's file: his copy is his, and nothing tells him of hers.
    let bobs = media.upload(&bob, checked(bob_owner, "mine.png"), fixture_stream("image.png")).await.unwrap();
    // Staff see everything, so theirs is refused; system media is seen by all.
    let err =
        media.upload(&sam, checked(Owner::System, "s.png"), fixture_stream("image.png")).await.unwrap_err();
    assert!(matches!(err, MediaError::Duplicate { .. }), "{err:?}");
    media.upload(&sam, Upload::new(Owner::System, "tone.flac"), fixture_stream("tone.flac")).await.unwrap();
    let err =
        media.upload(&bob, checked(bob_owner, "t.flac"), fixture_stream("tone.flac")).await.unwrap_err();
    assert!(matches!(err, MediaError::Duplicate { kind: MediaKind::Audio, .. }), "{err:?}");
    // Kept when asked (the default of the service, the command line and tus).
    let second =
        media.upload(&ann, Upload::new(ann_owner, "copy.png"), fixture_stream("image.png")).await.unwrap();

    // Groups: ann manages two copies; bob one (no group); staff see the three across owners.
    let groups = media.duplicates(&ann).await.unwrap();
    assert_eq!(groups.len(), 1);
    let names: Vec<&str> = groups[0].items.iter().map(|i| i.filename.as_str()).collect();
    assert_eq!(names, ["a.png", "copy.png"], "the oldest first");
    assert!(groups[0].items[0].thumb_url.is_some());
    assert!(media.duplicates(&bob).await.unwrap().is_empty());
    let all = media.duplicates(&sam).await.unwrap();
    assert_eq!(all.iter().map(|g| g.items.len()).collect::<Vec<_>>(), [3]);

    // Keep one: the other copy goes to the trash; an unrelated item in the list is left alone.
    let unrelated =
        media.upload(&ann, Upload::new(ann_owner, "c.webp"), fixture_stream("image.webp")).await.unwrap();
    let gone =
        media.keep_one(&ann, MediaKind::Image, first.id(), &[first.id(), second.id(), unrelated.id()]).await;
    assert_eq!(gone.unwrap(), 1);
    assert!(media.duplicates(&ann).await.unwrap().is_empty());
    assert!(media.in_trash(&ann, MediaKind::Image, second.id()).await.unwrap());
    assert!(media.get(&ann, MediaKind::Image, unrelated.id()).await.is_ok());
    // Bob cannot use it on ann's items.
    let none = media.keep_one(&bob, MediaKind::Image, bobs.id(), &[first.id()]).await.unwrap();
    assert_eq!(none, 0);
    assert!(media.get(&ann, MediaKind::Image, first.id()).await.is_ok());
}

/// A photo turned (or a file replaced) keeps its old file as a version; uploading that file
/// again is refused as the item it belongs to, among what the uploader sees, and rows from
/// before the column get their hash from the migration.
async fn an_items_earlier_file_is_a_duplicate_of_it(env: TestEnv) {
    let (env, [ann, bob, sam]) = two_users_and_staff(env).await;
    let media = env.media.clone();
    let (ann_owner, bob_owner) = (Owner::User(ann.user_id.unwrap()), Owner::User(bob.user_id.unwrap()));
    let quay = media.upload(&ann, checked(ann_owner, "quay.jpg"), fixture_stream("image.jpg")).await.unwrap();
    let item = (quay.kind(), quay.id());
    media.turn(&ann, item, mediadesk::domain::Turn::Right).await.unwrap();
    let turned_bytes = crate::versions::bytes_of(&env, &ann, item).await;
    let objects = env.objects().await;
    let again = async |who: &Actor, owner: Owner| {
        media.upload(who, checked(owner, "IMG_0001.jpg"), fixture_stream("image.jpg")).await
    };

    let err = again(&ann, ann_owner).await.unwrap_err();
    let MediaError::Duplicate { id, filename, earlier: true, .. } = &err else { panic!("{err:?}") };
    assert_eq!((*id, filename.as_str()), (quay.id(), "quay.jpg"));
    assert!(err.to_string().contains("as “quay.jpg” (the file it had before it was changed)"), "{err}");
    assert_eq!((env.objects().await, env.count_rows("images").await), (objects, 1), "nothing left");
    // Staff see every item; bob does not see ann's, so his copy is his.
    assert!(matches!(again(&sam, Owner::System).await, Err(MediaError::Duplicate { earlier: true, .. })));
    again(&bob, bob_owner).await.unwrap();

    // Rolled back, the original is the item's file again and the turned one its earlier file.
    let version = media.versions(&ann, item).await.unwrap()[0].id;
    media.restore_version(&ann, item, version).await.unwrap();
    assert!(matches!(again(&ann, ann_owner).await, Err(MediaError::Duplicate { earlier: false, .. })));
    let err = media
        .upload(&ann, checked(ann_owner, "t.jpg"), bytes_stream(turned_bytes.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, MediaError::Duplicate { earlier: true, .. }), "{err:?}");

    // A row from before the column: no hash, so not found; the migration's update fills it in
    // from the row's snapshot, and it is found again.
    env.db.batch_execute("UPDATE versions SET sha256 = NULL").await.unwrap();
    let fresh =
        media.upload(&ann, checked(ann_owner, "t.jpg"), bytes_stream(turned_bytes.clone())).await.unwrap();
    media.delete(&ann, fresh.kind(), fresh.id()).await.unwrap();
    media.purge(&ann, fresh.kind(), fresh.id()).await.unwrap();
    let dir = if env.backend == "sqlite_local" { "sqlite" } else { "postgres" };
    let up = std::fs::read_to_string(format!(
        "{}/migrations/{dir}/2026-12-05-000027_version_hashes/up.sql",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let update = up.lines().find(|l| l.starts_with("UPDATE versions")).expect("the backfill");
    env.db.batch_execute(update).await.unwrap();
    let err = media.upload(&ann, checked(ann_owner, "t.jpg"), bytes_stream(turned_bytes)).await.unwrap_err();
    assert!(matches!(err, MediaError::Duplicate { earlier: true, .. }), "{err:?}");
}

async fn duplicates_through_the_pages(env: TestEnv) {
    let s = env.with_trash(30).start_server().await;
    let (ann, _) = s.signed_in("ann", Role::User).await;
    let (bob, _) = s.signed_in("bob", Role::User).await;
    let png = || vec![("a.png", fixture_bytes("image.png"))];
    assert!(ann.upload(&png(), None, false).await.body.contains("1 accepted"));
    let existing = "/media/image/1";

    // No JS, one file: 409 on the error page, with the existing item's link.
    let page = ann.upload_checked(&png(), false).await;
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(page.body.contains("already in the library as “a.png”") && page.body.contains(existing));
    // As JSON (the script uploader): the code and the link.
    let page = ann.upload_checked(&png(), true).await;
    assert_eq!(page.status, 409);
    let json: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!((json["code"].as_str(), json["existing"].as_str()), (Some("duplicate"), Some(existing)));
    // Several files: its row says so, the others go in.
    let two = [("a.png", fixture_bytes("image.png")), ("b.jpg", fixture_bytes("image.jpg"))];
    let page = ann.upload_checked(&two, false).await;
    assert!(page.body.contains("1 accepted, 1 refused") && page.body.contains("data-code=\"duplicate\""));
    assert!(
        page.body.contains(&format!("<a href=\"{existing}\">Open the existing item</a>")),
        "{}",
        page.body
    );
    // "Keep duplicates" ticked: accepted.
    let token = ann.get("/upload").await.csrf();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .text("keep_duplicates", "1")
        .part("file", reqwest::multipart::Part::bytes(fixture_bytes("image.png")).file_name("again.png"));
    let kept = ann.post_multipart("/upload", form).await;
    assert!(kept.body.contains("1 accepted"), "{}", kept.body);
    // A resumable upload that asks (as the script uploader does): refused with its last piece,
    // nothing left; one that does not ask keeps its copy.
    let tus = Tus::new(&ann).await;
    let bytes = fixture_bytes("image.png");
    let objects = s.env.objects().await;
    let created = tus.create_with(bytes.len() as u64, "big.png", &[("duplicates", "refuse")]).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let last = tus.patch(created.location(), 0, &bytes, None).await;
    assert_eq!(last.status, 409, "{}", last.body);
    let json: serde_json::Value = serde_json::from_str(&last.body).unwrap();
    assert_eq!((json["code"].as_str(), json["existing"].as_str()), (Some("duplicate"), Some(existing)));
    s.env.media.retry_pending_deletions(true).await.unwrap();
    assert_eq!(s.env.objects().await, objects, "no object of the refused upload");
    assert_eq!(s.env.count_rows("resumable_uploads").await, 0);
    let created = tus.create(bytes.len() as u64, "kept.png").await;
    assert_eq!(tus.patch(created.location(), 0, &bytes, None).await.status, 204);
    // Bob's copy is his; nothing of ann's shows.
    let page = bob.upload_checked(&png(), false).await;
    assert!(page.body.contains("1 accepted") && !page.body.contains(existing), "{}", page.body);
    assert!(bob.get("/duplicates").await.body.contains("No duplicates."));

    // The Duplicates page: keep the first, the other goes to the trash.
    let page = ann.get("/duplicates").await;
    assert!(page.body.contains("3 copies of a.png"), "{}", page.body);
    let fields = [("kind", "image"), ("keep", "1"), ("item", "1"), ("item", "3"), ("item", "4")];
    let r = ann.post("/duplicates", "/duplicates", &fields).await;
    assert_eq!(r.location(), "/duplicates");
    let page = ann.get("/duplicates").await;
    assert!(page.body.contains("Moved to the Trash: 2 duplicates.") && page.body.contains("No duplicates."));
    assert!(ann.get("/trash").await.body.contains("again.png"));
}

async fn browser_offers_the_existing_item_or_upload_anyway(env: TestEnv) {
    let backend = env.backend;
    // Files over 4 KiB go up in pieces (tus), smaller ones in one form post: both paths ask.
    let server = env.start_server_configured(|s| s.resumable_above = 4096).await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let two = [("a.png", fixture_bytes("image.png")), ("b.jpg", fixture_bytes("image.jpg"))];
    assert!(ann.upload(&two, None, false).await.body.contains("2 accepted"));
    let (png, jpg) = (fixture("image.png"), fixture("image.jpg"));
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.sign_in("ann").await;
        let row = async |n: usize, want: &'static str| {
            poll(want, PATIENCE, async || {
                let script = format!(
                    "const r = document.querySelectorAll('#results li')[{n}]; return r ? r.textContent : '';"
                );
                let t = b.js(&script).await;
                if t.as_str().is_some_and(|t| t.contains(want)) { Ok(()) } else { Err(t.to_string()) }
            })
            .await
        };
        for (file, existing) in [(&png, "/media/image/1"), (&jpg, "/media/image/2")] {
            b.goto("/upload").await;
            b.find("#files").await.send_keys(file.to_str().unwrap()).await.expect("choose the file");
            b.find("#upload-form button[type=submit]").await.click().await.expect("upload");
            row(0, "already in the library").await;
            let link = b.js("return document.querySelector('#results li a').getAttribute('href');").await;
            assert_eq!(link.as_str(), Some(existing));
        }
        b.screenshot("duplicate").await;
        b.find("#results li button").await.click().await.expect("upload anyway");
        row(0, "accepted").await;
    })
    .await;
    assert_eq!(server.env.count_rows("images").await, 3);
    assert_eq!(server.env.count_rows("resumable_uploads").await, 0);
}

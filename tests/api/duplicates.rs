//! Exact duplicates on both backends: refused at upload among what the uploader can see (never
//! another user's files), kept when asked; grouped among what the viewer manages, and cleaned
//! up by keeping one. Then the no-JS form, the JSON answer, and the script uploader's "Upload
//! anyway" in Chromium.

use mediadesk::auth::Role;
use mediadesk::domain::{MediaKind, Owner};
use mediadesk::media::{Actor, MediaError, Upload};

use crate::common::browser::{Browser, PATIENCE, poll};
use crate::common::*;

backend_tests!(
    duplicates_are_found_among_what_the_uploader_sees,
    duplicates_through_the_pages,
    browser_offers_the_existing_item_or_upload_anyway
);

fn checked(owner: Owner, name: &str) -> Upload {
    Upload { refuse_duplicates: true, ..Upload::new(owner, name) }
}

async fn duplicates_are_found_among_what_the_uploader_sees(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let bob = Actor::user(env.user("bob", "user").await);
    let sam = Actor::staff(env.user("sam", "staff").await);
    let (ann_owner, bob_owner) = (Owner::User(ann.user_id.unwrap()), Owner::User(bob.user_id.unwrap()));
    let first = media.upload(&ann, checked(ann_owner, "a.png"), fixture_stream("image.png")).await.unwrap();
    let objects = env.objects().await;

    // The same bytes again: refused, naming the item that holds them; nothing is left.
    match media.upload(&ann, checked(ann_owner, "copy.png"), fixture_stream("image.png")).await {
        Err(MediaError::Duplicate { kind, id, filename }) => {
            assert_eq!((kind, id, filename.as_str()), (MediaKind::Image, first.id(), "a.png"))
        }
        other => panic!("expected a duplicate, got {other:?}"),
    }
    assert_eq!(env.objects().await, objects);
    assert_eq!(env.count_rows("images").await, 1);
    assert_eq!(env.spooled_files(), 0);
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
    // Bob's copy is his; nothing of ann's shows.
    let page = bob.upload_checked(&png(), false).await;
    assert!(page.body.contains("1 accepted") && !page.body.contains(existing), "{}", page.body);
    assert!(bob.get("/duplicates").await.body.contains("No duplicates."));

    // The Duplicates page: keep the first, the other goes to the trash.
    let page = ann.get("/duplicates").await;
    assert!(page.body.contains("2 copies of a.png"), "{}", page.body);
    let r = ann
        .post("/duplicates", "/duplicates", &[("kind", "image"), ("keep", "1"), ("item", "1"), ("item", "3")])
        .await;
    assert_eq!(r.location(), "/duplicates");
    let page = ann.get("/duplicates").await;
    assert!(page.body.contains("Moved to the Trash: 1 duplicate.") && page.body.contains("No duplicates."));
    assert!(ann.get("/trash").await.body.contains("again.png"));
}

async fn browser_offers_the_existing_item_or_upload_anyway(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    assert!(
        ann.upload(&[("a.png", fixture_bytes("image.png"))], None, false).await.body.contains("1 accepted")
    );
    let file = fixture("image.png");
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.sign_in("ann").await;
        b.goto("/upload").await;
        b.find("#files").await.send_keys(file.to_str().unwrap()).await.expect("choose the file");
        b.find("#upload-form button[type=submit]").await.click().await.expect("upload");
        let row = async |want: &'static str| {
            poll(want, PATIENCE, async || {
                let t = b
                    .js("const r = document.querySelector('#results li'); return r ? r.textContent : '';")
                    .await;
                if t.as_str().is_some_and(|t| t.contains(want)) { Ok(()) } else { Err(t.to_string()) }
            })
            .await
        };
        row("already in the library").await;
        let link = b.js("return document.querySelector('#results li a').getAttribute('href');").await;
        assert_eq!(link.as_str(), Some("/media/image/1"));
        b.screenshot("duplicate").await;
        b.find("#results li button").await.click().await.expect("upload anyway");
        row("accepted").await;
    })
    .await;
    assert_eq!(server.env.count_rows("images").await, 2);
}

//! Byte quotas on both backends: what counts (originals, thumbnails, versions, the trash; never
//! system media), always equal to what the store holds; refusals at the byte that crosses the
//! quota or at once when the size is announced, leaving nothing; two uploads racing for the
//! last bytes; replace; the default quota; and the pages (admins set it, users see it).

use mediadesk::auth::Role;
use mediadesk::domain::{MediaKind, Owner, Quota};
use mediadesk::media::{Actor, MediaError, Upload};

use crate::common::server::Page;
use crate::common::tus::Tus;
use crate::common::*;

backend_tests!(
    usage_counts_every_object_of_an_account_and_nothing_else,
    uploads_stop_at_the_quota_and_leave_nothing,
    two_uploads_cannot_both_take_the_last_bytes,
    quotas_through_the_pages
);

async fn used(env: &TestEnv, owner: i64) -> u64 {
    env.usage_matches(owner).await
}

async fn set_quota(env: &TestEnv, id: i64, quota: Quota) {
    let mut pooled = env.db.get().await.unwrap();
    let now = chrono::Utc::now().naive_utc();
    mediadesk::db::repo::UserRepo::set_quota(&mut pooled.conn(), id, quota.to_column(), now).await.unwrap();
}

fn code(page: &Page) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&page.body).unwrap_or_else(|_| panic!("JSON: {}", page.body));
    v["code"].as_str().unwrap_or_default().to_owned()
}

async fn usage_counts_every_object_of_an_account_and_nothing_else(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let sam = Actor::staff(env.user("sam", "staff").await);
    let id = ann.user_id.unwrap();
    assert_eq!(used(&env, id).await, 0);

    // An image counts its original and its thumbnail.
    let photo = env.upload_own(&ann, "a.png", "image.png").await;
    let original = fixture_bytes("image.png").len() as u64;
    let after_upload = used(&env, id).await;
    assert!(after_upload > original, "the thumbnail counts too: {after_upload} vs {original}");
    // Audio counts its file.
    env.upload_own(&ann, "t.flac", "tone.flac").await;
    let with_audio = used(&env, id).await;
    assert_eq!(with_audio, after_upload + fixture_bytes("tone.flac").len() as u64);
    // System media counts against nobody, the staff member who uploaded it included.
    media.upload(&sam, Upload::new(Owner::System, "s.png"), fixture_stream("image.jpg")).await.unwrap();
    assert_eq!(used(&env, sam.user_id.unwrap()).await, 0);
    assert_eq!(used(&env, id).await, with_audio);

    // A replaced file stays as a version, and counts.
    let upload = Upload::new(Owner::User(id), "b.jpg");
    media.replace(&ann, photo, upload, fixture_stream("image.jpg")).await.unwrap();
    let with_version = used(&env, id).await;
    assert!(with_version > with_audio);
    // The trash counts until it is emptied; a restore changes nothing.
    media.delete(&ann, photo.0, photo.1).await.unwrap();
    assert_eq!(used(&env, id).await, with_version);
    media.restore(&ann, photo.0, photo.1).await.unwrap();
    assert_eq!(used(&env, id).await, with_version);
    media.delete(&ann, photo.0, photo.1).await.unwrap();
    media.empty_trash(&ann).await.unwrap();
    assert_eq!(used(&env, id).await, fixture_bytes("tone.flac").len() as u64);
    let usage = media.usage(&ann, id).await.unwrap();
    assert_eq!((usage.used, usage.limit), (used(&env, id).await, None));
    // Another user's usage is not ann's to read.
    assert!(matches!(media.usage(&ann, sam.user_id.unwrap()).await, Err(MediaError::NotFound)));
    assert!(media.usage(&sam, id).await.is_ok());

    // An image from before quotas has no recorded thumbnail size: reconcile finds it and
    // records the store's, and the total is whole again.
    let (_, old) = env.upload_own(&ann, "old.png", "image.png").await;
    let whole = used(&env, id).await;
    env.db.batch_execute(&format!("UPDATE images SET thumbnail_bytes = 0 WHERE id = {old}")).await.unwrap();
    let report = media.reconcile(false, std::time::Duration::ZERO).await.unwrap();
    assert_eq!(report.sizes_corrected, [format!("image:{old}")]);
    let report = media.reconcile(true, std::time::Duration::ZERO).await.unwrap();
    assert_eq!(report.sizes_corrected.len(), 1);
    assert_eq!(used(&env, id).await, whole);
    assert!(media.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());
}

async fn uploads_stop_at_the_quota_and_leave_nothing(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let id = ann.user_id.unwrap();
    let mine = |name: &str| Upload::new(Owner::User(id), name);
    let wav = wav_bytes(2);
    // Room for one recording and a little more, not for two.
    set_quota(&env, id, Quota::Bytes(wav.len() as u64 * 3 / 2)).await;
    let first = media.upload(&ann, mine("one.wav"), bytes_stream(wav.clone())).await.unwrap().id();
    let before = (env.objects().await, used(&env, id).await);

    // Streamed without a size: refused at the byte past the room, nothing kept.
    match media.upload(&ann, mine("two.wav"), bytes_stream(wav.clone())).await {
        Err(MediaError::Quota(m)) => assert!(m.contains("storage quota") && m.contains("used"), "{m}"),
        other => panic!("expected the quota, got {other:?}"),
    }
    assert_eq!((env.objects().await, used(&env, id).await), before);
    assert_eq!((env.count_rows("audios").await, env.settled_spool().await), (1, 0));
    // Announced: refused before a byte is read.
    let announced = Upload { announced_size: Some(wav.len() as u64), ..mine("two.wav") };
    let err = media.upload(&ann, announced, generated_stream(1 << 30, 0)).await.unwrap_err();
    assert!(matches!(err, MediaError::Quota(_)), "{err:?}");
    assert_eq!(err.refusal().map(|r| (r.code(), r.status())), Some(("quota", 413)));
    // A replace by a larger file does not fit either; the item keeps its file.
    let err = media
        .replace(&ann, (MediaKind::Audio, first), mine("longer.wav"), bytes_stream(wav_bytes(3)))
        .await
        .unwrap_err();
    assert!(matches!(err, MediaError::Quota(_)), "{err:?}");
    assert_eq!((env.objects().await, used(&env, id).await), before);
    // A small file still fits.
    media.upload(&ann, mine("small.flac"), fixture_stream("tone.flac")).await.unwrap();

    // The trash still counts; emptying it makes room.
    media.delete(&ann, MediaKind::Audio, first).await.unwrap();
    let err = media.upload(&ann, mine("two.wav"), bytes_stream(wav.clone())).await.unwrap_err();
    assert!(matches!(err, MediaError::Quota(_)), "{err:?}");
    media.empty_trash(&ann).await.unwrap();
    media.upload(&ann, mine("two.wav"), bytes_stream(wav.clone())).await.unwrap();

    // The default quota applies to accounts without their own; "unlimited" lifts it; system
    // media has none.
    let env = env.with_default_quota(1024);
    let media = env.media.clone();
    let bob = Actor::user(env.user("bob", "user").await);
    let err = media
        .upload(&bob, Upload::new(Owner::User(bob.user_id.unwrap()), "b.wav"), bytes_stream(wav.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, MediaError::Quota(_)), "{err:?}");
    assert_eq!(media.usage(&bob, bob.user_id.unwrap()).await.unwrap().limit, Some(1024));
    set_quota(&env, bob.user_id.unwrap(), Quota::Unlimited).await;
    media
        .upload(&bob, Upload::new(Owner::User(bob.user_id.unwrap()), "b.wav"), bytes_stream(wav.clone()))
        .await
        .unwrap();
    let sam = Actor::staff(env.user("sam", "staff").await);
    media.upload(&sam, Upload::new(Owner::System, "s.wav"), bytes_stream(wav)).await.unwrap();
}

async fn two_uploads_cannot_both_take_the_last_bytes(env: TestEnv) {
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let id = ann.user_id.unwrap();
    let wav = wav_bytes(2);
    set_quota(&env, id, Quota::Bytes(wav.len() as u64 * 3 / 2)).await;
    // Both see room for themselves before they start; only one may land.
    let one = media.upload(&ann, Upload::new(Owner::User(id), "a.wav"), bytes_stream(wav.clone()));
    let two = media.upload(&ann, Upload::new(Owner::User(id), "b.wav"), bytes_stream(wav_bytes(2)));
    let (one, two) = tokio::join!(one, two);
    let landed = [&one, &two].iter().filter(|r| r.is_ok()).count();
    assert_eq!(landed, 1, "{one:?} {two:?}");
    let refused = one.err().or(two.err());
    assert!(matches!(refused, Some(MediaError::Quota(_))), "{refused:?}");
    media.retry_pending_deletions(true).await.unwrap();
    assert_eq!(env.count_rows("audios").await, 1);
    assert_eq!(used(&env, id).await, wav.len() as u64);
    assert_eq!(env.objects().await.len(), 1, "the refused upload's object went");
}

async fn quotas_through_the_pages(env: TestEnv) {
    let s = env.start_server().await;
    let (admin, _) = s.signed_in("root", Role::Admin).await;
    let (ann, ann_id) = s.signed_in("ann", Role::User).await;
    let page = admin.get("/admin/users").await;
    assert!(page.body.contains("Set quota") && page.body.contains("default (unlimited)"), "{}", page.body);

    // Admins set a quota in words; a value that is no size is refused and changes nothing.
    let path = format!("/admin/users/{ann_id}/quota");
    let r = admin.post("/admin/users", &path, &[("quota", "5 parsecs")]).await;
    assert_eq!(r.location(), "/admin/users");
    let page = admin.get("/admin/users").await;
    assert!(page.body.contains("quota not changed") && page.body.contains("parsecs"), "{}", page.body);
    admin.post("/admin/users", &path, &[("quota", "1 KiB")]).await;
    let page = admin.get("/admin/users").await;
    assert!(page.body.contains("ann now has a quota of 1 KiB.") && page.body.contains("0 bytes of 1 KiB"));
    // Nobody else can.
    let r = ann.post("/upload", &path, &[("quota", "unlimited")]).await;
    assert!(r.status == 403 || r.status == 404, "{}", r.status);

    // The user sees it, and is refused with the code; nothing is kept.
    let page = ann.get("/upload").await;
    assert!(page.body.contains("Your storage: 0 bytes of 1 KiB") && page.body.contains("<meter"));
    let files = [("a.wav", wav_bytes(1))];
    let json = ann.upload_checked(&files, true).await;
    assert_eq!((json.status, code(&json).as_str()), (413, "quota"), "{}", json.body);
    let page = ann.upload_checked(&files, false).await;
    assert_eq!(page.status, 413);
    assert!(page.body.contains("does not fit in the 1 KiB storage quota"), "{}", page.body);
    // tus: the announced length is refused at creation.
    let tus = Tus::new(&ann).await;
    let created = tus.create(wav_bytes(1).len() as u64, "a.wav").await;
    assert_eq!((created.status, code(&created).as_str()), (413, "quota"), "{}", created.body);
    assert_eq!(s.env.count_rows("resumable_uploads").await, 0);
    assert_eq!(s.env.objects().await, Vec::<String>::new());
    assert_eq!(s.env.count_rows("audios").await, 0);

    // Back to the default (unlimited here): accepted, and the trash page shows the usage.
    admin.post("/admin/users", &path, &[("quota", "")]).await;
    assert!(admin.get("/admin/users").await.body.contains("ann now has the default quota."));
    assert!(ann.upload(&files, None, false).await.body.contains("1 accepted"));
    let page = ann.get("/trash").await;
    assert!(page.body.contains("Your storage: ") && !page.body.contains("<meter"), "{}", page.body);
}

//! Repos over both databases: CRUD, the keys reconciliation reads, transactions that roll back.

use chrono::{TimeDelta, Utc};
use mediadesk::db::DbConn;
use mediadesk::db::DbError;
use mediadesk::db::repo::{AudioRepo, ImageRepo, PendingDeletionRepo, UsageRepo, UserRepo};
use mediadesk::db::rows::{NewAudio, NewImage, NewUser};

use crate::common::TestEnv;

fn new_image(owner: Option<i64>, key: &str, minutes_ago: i64) -> NewImage<'_> {
    NewImage {
        owner_id: owner,
        uploader_id: owner,
        original_filename: "a.png",
        content_type: "image/png",
        byte_size: 10,
        sha256: "00",
        storage_key: key,
        thumbnail_key: None,
        display_key: None,
        frame_count: 1,
        thumbnail_bytes: 0,
        has_location: false,
        has_device_data: false,
        private_key: None,
        private_bytes: 0,
        placeholder: None,
        look: None,
        shot: None,
        source_link: None,
        width: 3,
        height: 2,
        created_at: Utc::now().naive_utc() - TimeDelta::minutes(minutes_ago),
    }
}

fn new_audio(owner: Option<i64>, key: &str) -> NewAudio<'_> {
    let t = Utc::now().naive_utc();
    NewAudio {
        owner_id: owner,
        uploader_id: None,
        original_filename: "a.mp3",
        content_type: "audio/mpeg",
        byte_size: 10,
        sha256: "00",
        storage_key: key,
        waveform_key: None,
        duration_ms: 1234,
        bitrate: 128_000,
        sample_rate: 44_100,
        channels: 2,
        codec: "mp3",
        transcript: None,
        created_at: t,
        updated_at: t,
        peaks: None,
        rendition_key: None,
        rendition_bytes: 0,
        health: Default::default(),
        print: None,
        source_link: None,
    }
}

backend_tests!(
    image_rows_round_trip,
    every_key_a_table_refers_to_is_listed,
    audio_rows_round_trip_and_transcripts_update,
    a_failed_transaction_leaves_no_row,
    a_transaction_that_reads_first_still_writes,
    usernames_are_unique,
    pending_deletions_are_due_until_done,
    migrations_apply_once_and_again_harmlessly
);

async fn image_rows_round_trip(env: TestEnv) {
    let alice = env.user("alice", "user").await;
    let mut pooled = env.db.get().await.unwrap();
    let mut c = pooled.conn();
    let row = ImageRepo::create(&mut c, &new_image(Some(alice), "u1/a.png", 0)).await.unwrap();
    assert_eq!((row.width, row.height, row.owner_id), (3, 2, Some(alice)));
    assert_eq!(ImageRepo::by_id(&mut c, row.id).await.unwrap().unwrap().storage_key, "u1/a.png");
    assert!(ImageRepo::delete(&mut c, row.id).await.unwrap());
    assert!(!ImageRepo::delete(&mut c, row.id).await.unwrap());
    assert!(ImageRepo::by_id(&mut c, row.id).await.unwrap().is_none());
}

async fn every_key_a_table_refers_to_is_listed(env: TestEnv) {
    let alice = env.user("alice", "user").await;
    let mut pooled = env.db.get().await.unwrap();
    let mut c = pooled.conn();
    let with_thumb = NewImage {
        thumbnail_key: Some("u/a.thumb.jpg"),
        thumbnail_bytes: 4,
        ..new_image(Some(alice), "u/a.png", 1)
    };
    let a = ImageRepo::create(&mut c, &with_thumb).await.unwrap();
    let b = ImageRepo::create(&mut c, &new_image(None, "s/b.png", 0)).await.unwrap();
    assert!(ImageRepo::name_display(&mut c, b.id, "s/b.png", ("s/b.display.jpg", 3)).await.unwrap());
    assert!(!ImageRepo::name_display(&mut c, b.id, "s/other.png", ("x", 3)).await.unwrap(), "another file");
    assert!(!ImageRepo::name_display(&mut c, b.id + 100, "s/b.png", ("x", 3)).await.unwrap(), "no such row");
    let mut keys: Vec<_> = ImageRepo::all_keys(&mut c)
        .await
        .unwrap()
        .into_iter()
        .map(|k| (k.id, k.original, k.thumbnail, k.display))
        .collect();
    keys.sort();
    let want = vec![
        (a.id, "u/a.png".to_owned(), Some("u/a.thumb.jpg".to_owned()), None),
        (b.id, "s/b.png".to_owned(), None, Some("s/b.display.jpg".to_owned())),
    ];
    assert_eq!(keys, want);
    // The original and its thumbnail count against the owner; system media against nobody.
    assert_eq!(UsageRepo::of(&mut c, alice).await.unwrap(), 14);
    assert_eq!(UsageRepo::all(&mut c).await.unwrap(), [(alice, 14)]);
    ImageRepo::clear_thumbnail(&mut c, a.id).await.unwrap();
    assert_eq!(ImageRepo::by_id(&mut c, a.id).await.unwrap().unwrap().thumbnail_key, None);
    assert_eq!(UsageRepo::of(&mut c, alice).await.unwrap(), 10);
    assert_eq!(UsageRepo::recount(&mut c, alice).await.unwrap(), 10);
    ImageRepo::clear_display(&mut c, b.id).await.unwrap();
    assert_eq!(ImageRepo::by_id(&mut c, b.id).await.unwrap().unwrap().display_key, None);
    assert!(ImageRepo::delete(&mut c, a.id).await.unwrap());
    assert_eq!(UsageRepo::of(&mut c, alice).await.unwrap(), 0);
    let audio = AudioRepo::create(&mut c, &new_audio(None, "s/c.mp3")).await.unwrap();
    AudioRepo::set_waveform_key(&mut c, audio.id, Some("s/c.wave")).await.unwrap();
    assert_eq!(
        AudioRepo::all_keys(&mut c).await.unwrap(),
        [(audio.id, "s/c.mp3".to_owned(), Some("s/c.wave".to_owned()), None)]
    );
}

async fn audio_rows_round_trip_and_transcripts_update(env: TestEnv) {
    let mut pooled = env.db.get().await.unwrap();
    let mut c = pooled.conn();
    let row = AudioRepo::create(&mut c, &new_audio(None, "system/a.mp3")).await.unwrap();
    assert_eq!(
        (row.duration_ms, row.sample_rate, row.channels, row.codec.as_str()),
        (1234, 44_100, 2, "mp3")
    );
    assert!(
        AudioRepo::update_transcript(&mut c, row.id, Some("hello"), Utc::now().naive_utc()).await.unwrap()
    );
    assert_eq!(AudioRepo::by_id(&mut c, row.id).await.unwrap().unwrap().transcript.as_deref(), Some("hello"));
    assert!(AudioRepo::delete(&mut c, row.id).await.unwrap());
    assert!(AudioRepo::by_id(&mut c, row.id).await.unwrap().is_none());
}

async fn a_failed_transaction_leaves_no_row(env: TestEnv) {
    let result: Result<(), DbError> = env
        .db
        .transaction(async |c: &mut DbConn<'_>| {
            ImageRepo::create(c, &new_image(None, "system/t.png", 0)).await?;
            // The same storage key twice violates the unique index: the whole step rolls back.
            ImageRepo::create(c, &new_image(None, "system/t.png", 0)).await?;
            Ok(())
        })
        .await;
    assert!(result.unwrap_err().is_unique_violation());
    assert_eq!(env.count_rows("images").await, 0);
    // The connection went back to the pool usable.
    let ok = env
        .db
        .transaction(async |c: &mut DbConn<'_>| {
            ImageRepo::create(c, &new_image(None, "system/t.png", 0)).await
        })
        .await;
    assert!(ok.is_ok());
    assert_eq!(env.count_rows("images").await, 1);
}

/// A transaction that reads, then writes after another transaction has written meanwhile,
/// still writes: on SQLite it holds the write lock from its start, so the other one waits its
/// turn. (Begun deferred, SQLite refused the late write at once with "database is locked", its
/// snapshot being older than the other's commit; concurrent uploads met that.)
async fn a_transaction_that_reads_first_still_writes(env: TestEnv) {
    let (read, go) = tokio::sync::oneshot::channel::<()>();
    let first = env.db.transaction(async |c: &mut DbConn<'_>| {
        ImageRepo::by_id(c, 1).await?;
        read.send(()).unwrap();
        // The other transaction writes while this one is open.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        ImageRepo::create(c, &new_image(None, "system/first.png", 0)).await.map(drop)
    });
    let db = env.db.clone();
    let second = tokio::spawn(async move {
        go.await.unwrap();
        db.transaction(async |c: &mut DbConn<'_>| {
            ImageRepo::create(c, &new_image(None, "system/second.png", 0)).await.map(drop)
        })
        .await
    });
    let (first, second): (Result<(), DbError>, _) = (first.await, second.await.unwrap());
    first.unwrap();
    second.unwrap();
    assert_eq!(env.count_rows("images").await, 2);
}

async fn usernames_are_unique(env: TestEnv) {
    env.user("carol", "staff").await;
    let now = Utc::now().naive_utc();
    let mut pooled = env.db.get().await.unwrap();
    let dup = NewUser {
        username: "carol",
        password_hash: "x",
        role: "user",
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    let err = UserRepo::create(&mut pooled.conn(), &dup).await.unwrap_err();
    assert!(err.is_unique_violation(), "{err}");
    assert_eq!(UserRepo::count(&mut pooled.conn()).await.unwrap(), 1);
    assert_eq!(UserRepo::by_username(&mut pooled.conn(), "carol").await.unwrap().unwrap().role, "staff");
}

async fn pending_deletions_are_due_until_done(env: TestEnv) {
    let mut pooled = env.db.get().await.unwrap();
    let mut c = pooled.conn();
    let now = Utc::now().naive_utc();
    let ids = PendingDeletionRepo::add(&mut c, &["u1/a.png", "u1/a.thumb.webp"], now).await.unwrap();
    assert_eq!(PendingDeletionRepo::due(&mut c, now, 10).await.unwrap().len(), 2);
    PendingDeletionRepo::failed(&mut c, ids[0], "down", now + TimeDelta::minutes(1)).await.unwrap();
    PendingDeletionRepo::done(&mut c, ids[1]).await.unwrap();
    assert!(PendingDeletionRepo::due(&mut c, now, 10).await.unwrap().is_empty());
    let later = PendingDeletionRepo::due(&mut c, now + TimeDelta::minutes(2), 10).await.unwrap();
    assert_eq!((later.len(), later[0].attempts, later[0].last_error.as_deref()), (1, 1, Some("down")));
}

async fn migrations_apply_once_and_again_harmlessly(env: TestEnv) {
    // A second start against the same database finds nothing to do.
    mediadesk::db::Db::connect(&env.database_url, 1).await.expect("re-running migrations is a no-op");
    assert_eq!(env.count_rows("users").await, 0);
}

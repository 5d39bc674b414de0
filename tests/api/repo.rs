//! Repos over both databases: CRUD, pagination with totals, transactions that roll back.

use chrono::{TimeDelta, Utc};
use mediadesk::db::DbConn;
use mediadesk::db::DbError;
use mediadesk::db::repo::{AudioRepo, ImageRepo, OwnerFilter, PageParams, PendingDeletionRepo, UserRepo};
use mediadesk::db::rows::{NewAudio, NewImage, NewUser};

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
    }
}

const P: PageParams = PageParams { limit: 2, offset: 0 };

backend_tests! {
    async fn image_rows_round_trip(env) {
        let alice = env.user("alice", "user").await;
        let mut pooled = env.db.get().await.unwrap();
        let mut c = pooled.conn();
        let row = ImageRepo::create(&mut c, &new_image(Some(alice), "u1/a.png", 0)).await.unwrap();
        assert_eq!((row.width, row.height, row.owner_id), (3, 2, Some(alice)));
        assert_eq!(ImageRepo::by_id(&mut c, row.id).await.unwrap().unwrap().storage_key, "u1/a.png");
        assert_eq!(ImageRepo::by_storage_key(&mut c, "u1/a.png").await.unwrap().unwrap().id, row.id);
        assert!(ImageRepo::exists(&mut c, row.id).await.unwrap());
        assert!(ImageRepo::delete(&mut c, row.id).await.unwrap());
        assert!(!ImageRepo::delete(&mut c, row.id).await.unwrap());
        assert!(!ImageRepo::exists(&mut c, row.id).await.unwrap());
        assert!(ImageRepo::by_id(&mut c, row.id).await.unwrap().is_none());
    }

    async fn listings_paginate_newest_first_with_totals(env) {
        let alice = env.user("alice", "user").await;
        let bob = env.user("bob", "user").await;
        let mut pooled = env.db.get().await.unwrap();
        let mut c = pooled.conn();
        let keys: Vec<String> = (0..5).map(|i| format!("u/a{i}.png")).collect();
        for (i, k) in keys.iter().enumerate() {
            ImageRepo::create(&mut c, &new_image(Some(alice), k, i as i64)).await.unwrap();
        }
        ImageRepo::create(&mut c, &new_image(Some(bob), "u/b.png", 0)).await.unwrap();
        ImageRepo::create(&mut c, &new_image(None, "s/s.png", 0)).await.unwrap();

        let (first, total) = ImageRepo::list_by_owner(&mut c, alice, P).await.unwrap();
        assert_eq!(total, 5);
        assert_eq!(first.iter().map(|r| r.storage_key.as_str()).collect::<Vec<_>>(), ["u/a0.png", "u/a1.png"]);
        let (last, _) = ImageRepo::list_by_owner(&mut c, alice, PageParams { limit: 2, offset: 4 }).await.unwrap();
        assert_eq!(last.iter().map(|r| r.storage_key.as_str()).collect::<Vec<_>>(), ["u/a4.png"]);
        let (system, total) = ImageRepo::list_system(&mut c, P).await.unwrap();
        assert_eq!((system.len(), total, system[0].owner_id), (1, 1, None));
        let (_, all) = ImageRepo::list(&mut c, OwnerFilter::Any, P).await.unwrap();
        assert_eq!(all, 7);
    }

    async fn audio_rows_round_trip_and_transcripts_update(env) {
        let mut pooled = env.db.get().await.unwrap();
        let mut c = pooled.conn();
        let row = AudioRepo::create(&mut c, &new_audio(None, "system/a.mp3")).await.unwrap();
        assert_eq!((row.duration_ms, row.sample_rate, row.channels, row.codec.as_str()), (1234, 44_100, 2, "mp3"));
        assert!(AudioRepo::update_transcript(&mut c, row.id, Some("hello"), Utc::now().naive_utc()).await.unwrap());
        assert_eq!(AudioRepo::by_id(&mut c, row.id).await.unwrap().unwrap().transcript.as_deref(), Some("hello"));
        let (rows, total) = AudioRepo::list_system(&mut c, P).await.unwrap();
        assert_eq!((rows.len(), total), (1, 1));
        assert!(AudioRepo::delete(&mut c, row.id).await.unwrap());
        assert!(!AudioRepo::exists(&mut c, row.id).await.unwrap());
    }

    async fn a_failed_transaction_leaves_no_row(env) {
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
        let ok = env.db.transaction(async |c: &mut DbConn<'_>| ImageRepo::create(c, &new_image(None, "system/t.png", 0)).await).await;
        assert!(ok.is_ok());
        assert_eq!(env.count_rows("images").await, 1);
    }

    async fn usernames_are_unique(env) {
        env.user("carol", "staff").await;
        let now = Utc::now().naive_utc();
        let mut pooled = env.db.get().await.unwrap();
        let dup = NewUser { username: "carol", password_hash: "x", role: "user", disabled: false, created_at: now, updated_at: now };
        let err = UserRepo::create(&mut pooled.conn(), &dup).await.unwrap_err();
        assert!(err.is_unique_violation(), "{err}");
        assert_eq!(UserRepo::count(&mut pooled.conn()).await.unwrap(), 1);
        assert_eq!(UserRepo::by_username(&mut pooled.conn(), "carol").await.unwrap().unwrap().role, "staff");
    }

    async fn pending_deletions_are_due_until_done(env) {
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

    async fn migrations_apply_once_and_again_harmlessly(env) {
        // A second start against the same database finds nothing to do.
        mediadesk::db::Db::connect(&env.database_url, 1).await.expect("re-running migrations is a no-op");
        assert_eq!(env.count_rows("users").await, 0);
    }
}

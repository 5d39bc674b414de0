//! Failing services at each step of upload and delete leave nothing half-done, and the app
//! recovers when the service returns. On S3 the outage is real (a proxy in front of the real
//! server stops forwarding); on the local folder a wrapper fails the calls.

use mediadesk::media::{Actor, ImageCreate, MediaError, MediaKind, Owner};

use crate::common::*;

fn create(name: &str) -> ImageCreate {
    ImageCreate {
        owner: Owner::System,
        filename: name.into(),
        content_type: None,
        generate_presigned_url: false,
    }
}

backend_tests! {
    async fn storage_down_during_upload_leaves_no_row_and_recovers(env) {
        let (store, switch) = env.faulty_store().await;
        let media = env.media_with(store, env.settings());
        switch.down();
        let err = media.upload(&Actor::operator(), create("a.png"), fixture_stream("image.png")).await.unwrap_err();
        assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
        assert_eq!(env.count_rows("images").await, 0);
        assert_eq!(env.spooled_files(), 0);
        switch.up();
        assert!(env.objects().await.is_empty());
        // Same service, service back: uploads work again without a restart.
        media.upload(&Actor::operator(), create("a.png"), fixture_stream("image.png")).await.unwrap();
        assert_eq!(env.objects().await.len(), 2, "the image and its thumbnail");
    }

    async fn storage_cut_mid_multipart_upload_leaves_nothing(env) {
        let (store, switch) = env.faulty_store().await;
        let media = env.media_with(store, env.settings());
        let wav = wav_bytes(60); // ≈10 MiB: more than one multipart part
        switch.cut_after(3 * 1024 * 1024);
        let err = media.upload(&Actor::operator(), create("long.wav"), bytes_stream(wav.clone())).await.unwrap_err();
        assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
        switch.up();
        assert_eq!(env.count_rows("audios").await, 0);
        assert!(env.objects().await.is_empty(), "{:?}", env.objects().await);
        assert_eq!(env.spooled_files(), 0);
        let ok = media.upload(&Actor::operator(), create("long.wav"), bytes_stream(wav)).await.unwrap();
        assert_eq!(ok.media.kind(), MediaKind::Audio);
    }

    async fn database_failure_after_the_object_is_stored_removes_the_object(env) {
        env.inject_db_failure("images", "INSERT").await;
        let err = env.media.upload(&Actor::operator(), create("a.png"), fixture_stream("image.png")).await.unwrap_err();
        assert!(matches!(err, MediaError::Database(_)), "{err:?}");
        assert!(env.objects().await.is_empty(), "the stored object was removed again");
        assert_eq!(env.count_rows("images").await, 0);
        env.clear_db_failure("images", "INSERT").await;
        env.media.upload(&Actor::operator(), create("a.png"), fixture_stream("image.png")).await.unwrap();
    }

    async fn storage_down_during_delete_keeps_the_debt_and_pays_it_later(env) {
        let (store, switch) = env.faulty_store().await;
        let media = env.media_with(store, env.settings());
        let staff = Actor::operator();
        let id = media.upload(&staff, create("a.png"), fixture_stream("image.png")).await.unwrap().media.id();
        let keys = env.objects().await;
        assert_eq!(keys.len(), 2, "the image and its thumbnail");
        switch.down();
        // The item is gone for users at once; the object waits in the pending table.
        media.delete_image(&staff, id).await.unwrap();
        assert!(matches!(media.get_image(&staff, id).await, Err(MediaError::NotFound)));
        let mut pending = media.pending_deletions().await.unwrap();
        pending.sort();
        assert_eq!(pending, keys);
        assert_eq!(env.objects().await, keys);
        // Still down: the retry fails and keeps the record.
        let r = media.retry_pending_deletions(true).await.unwrap();
        assert_eq!((r.deleted, r.failed), (0, 2));
        assert_eq!(media.pending_deletions().await.unwrap().len(), 2);
        switch.up();
        let r = media.retry_pending_deletions(true).await.unwrap();
        assert_eq!((r.deleted, r.failed), (2, 0));
        assert!(env.objects().await.is_empty());
        assert!(media.pending_deletions().await.unwrap().is_empty());
    }

    async fn database_failure_during_delete_keeps_row_and_object(env) {
        let staff = Actor::operator();
        let id = env.media.upload(&staff, create("a.png"), fixture_stream("image.png")).await.unwrap().media.id();
        env.inject_db_failure("pending_deletions", "INSERT").await;
        let err = env.media.delete_image(&staff, id).await.unwrap_err();
        assert!(matches!(err, MediaError::Database(_)), "{err:?}");
        // The row delete rolled back with the failed insert: nothing points at a missing object.
        assert!(env.media.get_image(&staff, id).await.is_ok());
        assert_eq!(env.objects().await.len(), 2);
        env.clear_db_failure("pending_deletions", "INSERT").await;
        env.media.delete_image(&staff, id).await.unwrap();
        assert!(env.objects().await.is_empty());
    }

    async fn an_unreachable_database_is_a_clear_error(env) {
        let dead = if env.s3.is_some() {
            "postgres://postgres@127.0.0.1:1/nope".to_owned()
        } else {
            env.dir.path().join("no-such-dir/x/y.db").to_string_lossy().into_owned()
        };
        let db = mediadesk::db::Db::open(&dead, 1).unwrap();
        let media = mediadesk::media::MediaService::new(db, env.store.clone(), env.settings());
        let err = media.upload(&Actor::operator(), create("a.png"), fixture_stream("image.png")).await.unwrap_err();
        assert!(matches!(err, MediaError::Database(_)), "{err:?}");
        assert!(env.objects().await.is_empty());
    }
}

/// The same outages seen through the web: a clear page or per-file reason, nothing half-done,
/// and the app is fine again once the service is back.
mod over_http {
    use mediadesk::auth::Role;

    use crate::common::server::TestServer;
    use crate::common::store::FaultSwitch;
    use crate::common::*;

    async fn server_with_faulty_store(mut env: TestEnv) -> (TestServer, FaultSwitch) {
        let (store, switch) = env.faulty_store().await;
        env.media = env.media_with(store.clone(), env.settings());
        env.store = store;
        (env.start_server().await, switch)
    }

    backend_tests! {
        async fn storage_outage_during_upload_and_delete_is_explained_and_survived(env) {
            let (s, switch) = server_with_faulty_store(env).await;
            let (c, _) = s.signed_in("olga", Role::User).await;
            switch.down();
            let page = c.upload(&[("a.png", fixture_bytes("image.png"))], None, false).await;
            assert_eq!(page.status, 200);
            assert!(page.body.contains("0 accepted, 1 refused") && page.body.contains("could not store it right now"), "{}", page.body);
            assert_eq!(s.env.count_rows("images").await, 0);
            assert_eq!(s.env.spooled_files(), 0);
            switch.up();
            let page = c.upload(&[("a.png", fixture_bytes("image.png"))], None, false).await;
            assert!(page.body.contains("1 accepted"), "recovered: {}", page.body);
            let item = page.all("href=\"/media/").into_iter().find(|h| h.starts_with("image/")).map(|h| format!("/media/{h}")).unwrap();
            // The detail page needs the store for its signed URLs: a clear 503 while it is down.
            switch.down();
            let p = c.get(&item).await;
            if s.env.s3.is_none() {
                assert_eq!(p.status, 503, "{}", p.body);
                assert!(p.body.contains("unavailable") && p.body.contains("Reference:"));
            }
            // Delete while the store is down: the item goes, its bytes are owed and paid later.
            let token = c.get("/upload").await.csrf();
            let del = c.post_raw(&format!("{item}/delete"), &[("csrf_token", &token)]).await;
            assert_eq!(del.status, 303);
            switch.up();
            assert_eq!(c.get(&item).await.status, 404);
            assert_eq!(s.app.media.retry_pending_deletions(true).await.unwrap().deleted, 2);
            assert!(s.env.objects().await.is_empty());
        }

        async fn database_outage_gives_a_clear_page_and_loses_nothing(env) {
            let s = env.start_server().await;
            let (c, _) = s.signed_in("dora", Role::Staff).await;
            let page = c.upload(&[("a.png", fixture_bytes("image.png"))], Some("system"), false).await;
            assert!(page.body.contains("1 accepted"));
            s.env.inject_db_failure("pending_deletions", "INSERT").await;
            let item = page.all("href=\"/media/").into_iter().find(|h| h.starts_with("image/")).map(|h| format!("/media/{h}")).unwrap();
            let token = c.get(&item).await.csrf();
            let del = c.post_raw(&format!("{item}/delete"), &[("csrf_token", &token)]).await;
            assert_eq!(del.status, 503, "{}", del.body);
            assert!(del.body.contains("Nothing was changed"));
            s.env.clear_db_failure("pending_deletions", "INSERT").await;
            assert_eq!(c.get(&item).await.status, 200, "the item is intact");
            assert_eq!(s.env.objects().await.len(), 2);
        }
    }
}

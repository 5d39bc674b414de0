//! Failing services at each step of upload and delete leave nothing half-done, and the app
//! recovers when the service returns. On S3 the outage is real (a proxy in front of the real
//! server stops forwarding); on the local folder a wrapper fails the calls.

use mediadesk::domain::{MediaKind, Owner};
use mediadesk::media::{Actor, MediaError, Piece, Upload};

use crate::common::*;

fn create(name: &str) -> Upload {
    Upload::new(Owner::System, name)
}

backend_tests!(
    storage_down_during_upload_leaves_no_row_and_recovers,
    storage_cut_mid_multipart_upload_leaves_nothing,
    database_failure_after_the_object_is_stored_removes_the_object,
    storage_down_during_delete_keeps_the_debt_and_pays_it_later,
    database_failure_during_delete_keeps_row_and_object,
    database_failure_after_a_delete_committed_still_deletes,
    an_unreachable_database_is_a_clear_error,
    storage_down_during_a_piece_keeps_the_upload_where_it_was,
    database_failure_at_the_last_piece_leaves_nothing
);

const MIB: usize = 1024 * 1024;

/// A resumable upload of `data` by a new account; its id.
async fn resumable(env: &TestEnv, media: &mediadesk::media::MediaService, data: &[u8]) -> (Actor, String) {
    let actor = Actor::user(create_user(&env.db, "ann", "user").await);
    let upload = Upload {
        announced_size: Some(data.len() as u64),
        ..Upload::new(Owner::User(actor.user_id.unwrap()), "take.wav")
    };
    (actor, media.begin_resumable(&actor, &upload).await.unwrap().id)
}

async fn storage_down_during_a_piece_keeps_the_upload_where_it_was(env: TestEnv) {
    let (store, switch) = env.faulty_store().await;
    let media = env.media_with(store, env.settings());
    let wav = wav_bytes(120);
    let (actor, id) = resumable(&env, &media, &wav).await;
    let piece = |from: usize, to: usize| bytes_stream(wav[from..to].to_vec());
    media
        .append_resumable(&actor, &id, Piece { offset: 0, ..Piece::default() }, piece(0, 9 * MIB))
        .await
        .unwrap();
    let ids = env.assembly_ids().await;
    switch.down();
    let err = media
        .append_resumable(
            &actor,
            &id,
            Piece { offset: 9 * MIB as u64, ..Piece::default() },
            piece(9 * MIB, 18 * MIB),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
    switch.up();
    assert_eq!(
        media.resumable(&actor, &id).await.unwrap().offset,
        9 * MIB as u64,
        "the failed piece is not counted"
    );
    media
        .append_resumable(
            &actor,
            &id,
            Piece { offset: 9 * MIB as u64, ..Piece::default() },
            piece(9 * MIB, 18 * MIB),
        )
        .await
        .unwrap();
    let done = media
        .append_resumable(
            &actor,
            &id,
            Piece { offset: 18 * MIB as u64, ..Piece::default() },
            piece(18 * MIB, wav.len()),
        )
        .await
        .unwrap();
    assert!(done.media.is_some());
    let originals = env.objects().await;
    assert_eq!(originals.len(), 1);
    assert_eq!(read_object(env.store.as_ref(), &originals[0]).await, wav);
    assert!(env.assemblies_left(&ids).is_empty());
    // The loudness meter reads the spooled upload after it answered.
    assert!(media.settle(std::time::Duration::from_secs(60)).await);
    assert_eq!(env.settled_spool().await, 0);
}

async fn database_failure_at_the_last_piece_leaves_nothing(env: TestEnv) {
    let media = env.media.clone();
    let wav = wav_bytes(60);
    let (actor, id) = resumable(&env, &media, &wav).await;
    media
        .append_resumable(
            &actor,
            &id,
            Piece { offset: 0, ..Piece::default() },
            bytes_stream(wav[..9 * MIB].to_vec()),
        )
        .await
        .unwrap();
    let ids = env.assembly_ids().await;
    env.inject_db_failure("audios", "INSERT").await;
    let err = media
        .append_resumable(
            &actor,
            &id,
            Piece { offset: 9 * MIB as u64, ..Piece::default() },
            bytes_stream(wav[9 * MIB..].to_vec()),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, MediaError::Database(_)), "{err:?}");
    env.clear_db_failure("audios", "INSERT").await;
    assert_eq!(env.count_rows("audios").await, 0);
    assert_eq!(env.count_rows("resumable_uploads").await, 0, "the upload is over; the client starts again");
    assert!(env.objects().await.is_empty(), "the assembled object is removed with the row that failed");
    assert!(env.assemblies_left(&ids).is_empty());
    assert_eq!(env.settled_spool().await, 0);
}

async fn storage_down_during_upload_leaves_no_row_and_recovers(env: TestEnv) {
    let (store, switch) = env.faulty_store().await;
    let media = env.media_with(store, env.settings());
    switch.down();
    let err =
        media.upload(&Actor::operator(), create("a.png"), fixture_stream("image.png")).await.unwrap_err();
    assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
    assert_eq!(env.count_rows("images").await, 0);
    assert_eq!(env.settled_spool().await, 0);
    switch.up();
    assert!(env.objects().await.is_empty());
    // Same service, service back: uploads work again without a restart.
    media.upload(&Actor::operator(), create("a.png"), fixture_stream("image.png")).await.unwrap();
    assert_eq!(env.objects().await.len(), 2, "the image and its thumbnail");
}

async fn storage_cut_mid_multipart_upload_leaves_nothing(env: TestEnv) {
    let (store, switch) = env.faulty_store().await;
    let media = env.media_with(store, env.settings());
    let wav = wav_bytes(60); // ≈10 MiB: more than one multipart part
    switch.cut_after(3 * 1024 * 1024);
    let err =
        media.upload(&Actor::operator(), create("long.wav"), bytes_stream(wav.clone())).await.unwrap_err();
    assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
    switch.up();
    assert_eq!(env.count_rows("audios").await, 0);
    assert!(env.objects().await.is_empty(), "{:?}", env.objects().await);
    assert_eq!(env.settled_spool().await, 0);
    let ok = media.upload(&Actor::operator(), create("long.wav"), bytes_stream(wav)).await.unwrap();
    assert_eq!(ok.kind(), MediaKind::Audio);
}

async fn database_failure_after_the_object_is_stored_removes_the_object(env: TestEnv) {
    env.inject_db_failure("images", "INSERT").await;
    let err =
        env.media.upload(&Actor::operator(), create("a.png"), fixture_stream("image.png")).await.unwrap_err();
    assert!(matches!(err, MediaError::Database(_)), "{err:?}");
    assert!(env.objects().await.is_empty(), "the stored object was removed again");
    assert_eq!(env.count_rows("images").await, 0);
    env.clear_db_failure("images", "INSERT").await;
    env.media.upload(&Actor::operator(), create("a.png"), fixture_stream("image.png")).await.unwrap();
}

async fn storage_down_during_delete_keeps_the_debt_and_pays_it_later(env: TestEnv) {
    let (store, switch) = env.faulty_store().await;
    let media = env.media_with(store, env.settings());
    let staff = Actor::operator();
    let id = media.upload(&staff, create("a.png"), fixture_stream("image.png")).await.unwrap().id();
    let keys = env.objects().await;
    assert_eq!(keys.len(), 2, "the image and its thumbnail");
    switch.down();
    // The item is gone for users at once; the object waits in the pending table.
    media.delete(&staff, MediaKind::Image, id).await.unwrap();
    assert!(matches!(media.get(&staff, MediaKind::Image, id).await, Err(MediaError::NotFound)));
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

async fn database_failure_during_delete_keeps_row_and_object(env: TestEnv) {
    let staff = Actor::operator();
    let id = env.media.upload(&staff, create("a.png"), fixture_stream("image.png")).await.unwrap().id();
    env.inject_db_failure("pending_deletions", "INSERT").await;
    let err = env.media.delete(&staff, MediaKind::Image, id).await.unwrap_err();
    assert!(matches!(err, MediaError::Database(_)), "{err:?}");
    // The row delete rolled back with the failed insert: nothing points at a missing object.
    assert!(env.media.get(&staff, MediaKind::Image, id).await.is_ok());
    assert_eq!(env.objects().await.len(), 2);
    env.clear_db_failure("pending_deletions", "INSERT").await;
    env.media.delete(&staff, MediaKind::Image, id).await.unwrap();
    assert!(env.objects().await.is_empty());
}

async fn database_failure_after_a_delete_committed_still_deletes(env: TestEnv) {
    let staff = Actor::operator();
    let id = env.media.upload(&staff, create("a.png"), fixture_stream("image.png")).await.unwrap().id();
    // Clearing the bookkeeping after the objects are gone is the step that fails.
    env.inject_db_failure("pending_deletions", "DELETE").await;
    env.media.delete(&staff, MediaKind::Image, id).await.unwrap();
    assert!(matches!(env.media.get(&staff, MediaKind::Image, id).await, Err(MediaError::NotFound)));
    assert!(env.objects().await.is_empty(), "the objects went at once");
    assert_eq!(env.media.pending_deletions().await.unwrap().len(), 2, "only the bookkeeping is owed");
    env.clear_db_failure("pending_deletions", "DELETE").await;
    let r = env.media.retry_pending_deletions(true).await.unwrap();
    assert_eq!((r.deleted, r.failed), (2, 0));
    assert!(env.media.pending_deletions().await.unwrap().is_empty());
}

async fn an_unreachable_database_is_a_clear_error(env: TestEnv) {
    let dead = if env.s3.is_some() {
        "postgres://postgres@127.0.0.1:1/nope".to_owned()
    } else {
        env.dir.path().join("no-such-dir/x/y.db").to_string_lossy().into_owned()
    };
    let db = mediadesk::db::Db::open(&dead, 1).unwrap();
    let media = mediadesk::media::MediaService::new(db, env.store.clone(), env.settings());
    let err =
        media.upload(&Actor::operator(), create("a.png"), fixture_stream("image.png")).await.unwrap_err();
    assert!(matches!(err, MediaError::Database(_)), "{err:?}");
    assert!(env.objects().await.is_empty());
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

    backend_tests!(
        storage_outage_during_upload_and_delete_is_explained_and_survived,
        database_outage_gives_a_clear_page_and_loses_nothing
    );

    async fn storage_outage_during_upload_and_delete_is_explained_and_survived(env: TestEnv) {
        let (s, switch) = server_with_faulty_store(env).await;
        let (c, _) = s.signed_in("olga", Role::User).await;
        switch.down();
        // One file: the request answers 503 on the styled page; in a batch, its row says so.
        let page = c.upload(&[("a.png", fixture_bytes("image.png"))], None, false).await;
        assert_eq!(page.status, 503);
        assert!(
            page.body.contains("unavailable") && page.body.contains("Nothing was changed"),
            "{}",
            page.body
        );
        let two = [("a.png", fixture_bytes("image.png")), ("b.png", fixture_bytes("image.png"))];
        let page = c.upload(&two, None, false).await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("0 accepted, 2 refused")
                && page.body.contains("could not store it right now")
                && page.body.contains("data-code=\"unavailable\""),
            "{}",
            page.body
        );
        assert_eq!(s.env.count_rows("images").await, 0);
        assert_eq!(s.env.settled_spool().await, 0);
        switch.up();
        let page = c.upload(&[("a.png", fixture_bytes("image.png"))], None, false).await;
        assert!(page.body.contains("1 accepted"), "recovered: {}", page.body);
        let item = page
            .all("href=\"/media/")
            .into_iter()
            .find(|h| h.starts_with("image/"))
            .map(|h| format!("/media/{h}"))
            .unwrap();
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
        // Owed: the deleted item's two objects, and the keys of the upload the outage refused.
        assert_eq!(s.app.media.retry_pending_deletions(true).await.unwrap().failed, 0);
        assert!(s.app.media.pending_deletions().await.unwrap().is_empty());
        assert!(s.env.objects().await.is_empty());
    }

    async fn database_outage_gives_a_clear_page_and_loses_nothing(env: TestEnv) {
        let s = env.start_server().await;
        let (c, _) = s.signed_in("dora", Role::Staff).await;
        let page = c.upload(&[("a.png", fixture_bytes("image.png"))], Some("system"), false).await;
        assert!(page.body.contains("1 accepted"));
        s.env.inject_db_failure("pending_deletions", "INSERT").await;
        let item = page
            .all("href=\"/media/")
            .into_iter()
            .find(|h| h.starts_with("image/"))
            .map(|h| format!("/media/{h}"))
            .unwrap();
        let token = c.get(&item).await.csrf();
        let del = c.post_raw(&format!("{item}/delete"), &[("csrf_token", &token)]).await;
        assert_eq!(del.status, 503, "{}", del.body);
        assert!(del.body.contains("Nothing was changed"));
        s.env.clear_db_failure("pending_deletions", "INSERT").await;
        assert_eq!(c.get(&item).await.status, 200, "the item is intact");
        assert_eq!(s.env.objects().await.len(), 2);
    }
}

/// An S3 server that is slow or answers with errors. Only the real S3 server can be slow in a
/// meaningful way, so these run against it alone, through the fault proxy.
mod s3_misbehaving {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use mediadesk::domain::MediaKind;
    use mediadesk::media::{Actor, MediaError, MediaService};
    use mediadesk::storage::{S3Store, StorageError};

    use super::create;
    use crate::common::proxy::FaultProxy;
    use crate::common::*;

    /// The test's bucket reached through a proxy, with one attempt per request of at most `timeout`.
    async fn proxied(env: &TestEnv, timeout: Duration) -> (MediaService, FaultProxy) {
        let (target, bucket) = env.s3.clone().expect("an S3 test environment");
        let upstream = target.endpoint.trim_start_matches("http://").parse().expect("host:port");
        let proxy = FaultProxy::start(upstream).await;
        let mut settings = target.settings(&proxy.endpoint(), &bucket);
        settings.attempt_timeout = timeout;
        settings.max_attempts = 1;
        (env.media_with(Arc::new(S3Store::new(&settings)), env.settings()), proxy)
    }

    fn unavailable(err: &MediaError) -> bool {
        matches!(err, MediaError::Storage(StorageError::Unavailable(_)))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slow_store_within_its_timeout_still_serves_uploads_and_deletes() {
        let env = TestEnv::postgres_s3().await;
        let (media, proxy) = proxied(&env, Duration::from_secs(10)).await;
        proxy.slow(Duration::from_millis(40));
        let staff = Actor::operator();
        let started = Instant::now();
        // ≈1.4 MB: a couple of dozen chunks, each held back on the way.
        let up = media.upload(&staff, create("slow.wav"), bytes_stream(wav_bytes(8))).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(400), "the proxy slowed the upload down");
        assert_eq!(env.objects().await.len(), 1);
        media.delete(&staff, MediaKind::Audio, up.id()).await.unwrap();
        assert!(media.pending_deletions().await.unwrap().is_empty(), "deleted at once, if slowly");
        assert!(env.objects().await.is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_store_slower_than_its_timeout_refuses_cleanly_and_recovers() {
        let env = TestEnv::postgres_s3().await;
        let (media, proxy) = proxied(&env, Duration::from_secs(1)).await;
        let staff = Actor::operator();
        proxy.slow(Duration::from_millis(1500));
        let err = media.upload(&staff, create("a.png"), fixture_stream("image.png")).await.unwrap_err();
        assert!(unavailable(&err), "{err:?}");
        assert_eq!(env.count_rows("images").await, 0);
        assert_eq!(env.settled_spool().await, 0);
        // The server may still finish a write the client gave up on: its keys are owed a delete.
        assert!(!media.pending_deletions().await.unwrap().is_empty());
        proxy.up();
        tokio::time::sleep(Duration::from_secs(3)).await; // requests held by the proxy drain
        let retried = media.retry_pending_deletions(true).await.unwrap();
        assert_eq!(retried.failed, 0);
        assert!(media.pending_deletions().await.unwrap().is_empty());
        assert!(env.objects().await.is_empty(), "{:?}", env.objects().await);
        // The same service works again once the store is quick again.
        media.upload(&staff, create("a.png"), fixture_stream("image.png")).await.unwrap();
        assert_eq!(env.objects().await.len(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_store_answering_with_errors_refuses_uploads_defers_deletes_and_recovers() {
        let env = TestEnv::postgres_s3().await;
        let (media, proxy) = proxied(&env, Duration::from_secs(10)).await;
        let staff = Actor::operator();
        let kept = media.upload(&staff, create("keep.png"), fixture_stream("image.png")).await.unwrap();
        let keys = env.objects().await;
        assert_eq!(keys.len(), 2);

        proxy.fail_with(503);
        let err = media.upload(&staff, create("b.png"), fixture_stream("image.png")).await.unwrap_err();
        assert!(unavailable(&err), "{err:?}");
        assert_eq!(env.count_rows("images").await, 1);
        assert_eq!(env.settled_spool().await, 0);
        assert_eq!(env.objects().await, keys, "nothing new was stored");

        // Deleting while the store errs: the item goes now, its bytes are owed.
        media.delete(&staff, MediaKind::Image, kept.id()).await.unwrap();
        assert!(matches!(media.get(&staff, MediaKind::Image, kept.id()).await, Err(MediaError::NotFound)));
        // Owed: the item's two objects, and the key of the refused upload, which an erring
        // server might still have written (its thumbnail was never sent).
        let pending = media.pending_deletions().await.unwrap();
        assert_eq!(pending.len(), 3, "{pending:?}");
        assert!(keys.iter().all(|k| pending.contains(k)), "{pending:?}");
        proxy.fail_with(500);
        let r = media.retry_pending_deletions(true).await.unwrap();
        assert_eq!((r.deleted, r.failed), (0, 3));

        proxy.up();
        let r = media.retry_pending_deletions(true).await.unwrap();
        assert_eq!((r.deleted, r.failed), (3, 0));
        assert!(env.objects().await.is_empty());
        media.upload(&staff, create("b.png"), fixture_stream("image.png")).await.unwrap();
    }
}

/// PostgreSQL going away under a running service: through a proxy in front of the real server,
/// so the pool's open connections break the way they do when the database restarts.
mod database_going_away {
    use mediadesk::db::Db;
    use mediadesk::domain::{MediaKind, Owner};
    use mediadesk::media::{Actor, MediaError, MediaService};

    use super::create;
    use crate::common::proxy::FaultProxy;
    use crate::common::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_going_away_loses_nothing_and_the_pool_recovers_by_itself() {
        let env = TestEnv::postgres_s3().await;
        let (head, tail) = env.database_url.split_once('@').expect("user@host");
        let (host, db_name) = tail.split_once('/').expect("host/db");
        let proxy = FaultProxy::start(host.parse().expect("host:port")).await;
        let db = Db::open(&format!("{head}@{}/{db_name}", proxy.addr), 2).expect("pool");
        let media = MediaService::new(db, env.store.clone(), env.settings());
        let staff = Actor::operator();
        let kept = media.upload(&staff, create("keep.png"), fixture_stream("image.png")).await.unwrap().id();
        let keys = env.objects().await;

        proxy.down();
        // A system upload is checked and stored before its row is written: the row fails, the
        // objects go again.
        let err = media.upload(&staff, create("b.png"), fixture_stream("image.png")).await.unwrap_err();
        assert!(matches!(err, MediaError::Database(_)), "{err:?}");
        assert_eq!(env.objects().await, keys);
        assert_eq!(env.settled_spool().await, 0);
        // A user's upload fails at its first step, the owner check, before anything is stored.
        let user = Actor::user(env.user("ursula", "user").await);
        let mut mine = create("c.png");
        mine.owner = Owner::User(user.user_id.unwrap());
        let err = media.upload(&user, mine, fixture_stream("image.png")).await.unwrap_err();
        assert!(matches!(err, MediaError::Database(_)), "{err:?}");
        // A delete fails at its first step, reading the row: nothing changes.
        let err = media.delete(&staff, MediaKind::Image, kept).await.unwrap_err();
        assert!(matches!(err, MediaError::Database(_)), "{err:?}");
        assert_eq!(env.objects().await, keys);
        assert_eq!(env.count_rows("images").await, 1);

        proxy.up();
        // No restart: the pool throws its broken connections away and opens new ones.
        assert!(media.get(&staff, MediaKind::Image, kept).await.is_ok());
        media.upload(&staff, create("b.png"), fixture_stream("image.png")).await.unwrap();
        media.delete(&staff, MediaKind::Image, kept).await.unwrap();
        assert_eq!(env.count_rows("images").await, 1);
        assert_eq!(env.objects().await.len(), 2);
    }

    /// The pool hands out a connection used moments ago without a test query, but never one
    /// the server has ended: after PostgreSQL terminates every backend (as a restart does), the
    /// next requests succeed on fresh connections.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connections_the_server_ended_are_replaced_without_a_failed_request() {
        let env = TestEnv::postgres_s3().await;
        let db = Db::open(&env.database_url, 2).expect("pool");
        let media = MediaService::new(db, env.store.clone(), env.settings());
        let staff = Actor::operator();
        let id = media.upload(&staff, create("a.png"), fixture_stream("image.png")).await.unwrap().id();
        let (a, b) =
            tokio::join!(media.get(&staff, MediaKind::Image, id), media.get(&staff, MediaKind::Image, id));
        assert!(a.is_ok() && b.is_ok(), "both pooled connections in use once");

        let admin = Db::open(&env.database_url, 1).expect("pool");
        admin
            .batch_execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            .await
            .expect("terminate the other backends");
        // Well inside the window in which a recently used connection skips the test query.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        for _ in 0..4 {
            let (a, b) = tokio::join!(
                media.get(&staff, MediaKind::Image, id),
                media.get(&staff, MediaKind::Image, id)
            );
            assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
        }
    }
}

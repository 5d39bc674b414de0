//! The `mediadesk` binary itself, run against each test's database and store.

use std::io::Write;
use std::process::{Command, Stdio};

use mediadesk::domain::{MediaKind, Owner, Quota};
use mediadesk::media::{Actor, Upload};
use mediadesk::storage::StorageKey;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::served::{Screen, start_serve};
use crate::common::*;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TestEnv {
    /// Runs the CLI with this test's database and store configured through the environment.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut cmd = self.command();
        cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("the mediadesk binary runs");
        let mut pipe = child.stdin.take().unwrap();
        if let Some(input) = stdin {
            pipe.write_all(input.as_bytes()).unwrap();
        }
        drop(pipe);
        let out = child.wait_with_output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The binary with this test's database and store configured through the environment.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mediadesk"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MEDIADESK_DATA_DIR", self.dir.path())
            .env("DATABASE_URL", &self.database_url)
            .env("MEDIADESK_LOG", "warn")
            .env("MEDIADESK_URL_SIGNING_KEY", std::str::from_utf8(TEST_SIGNING_KEY).unwrap());
        if let Some((target, bucket)) = &self.s3 {
            cmd.env("MEDIADESK_S3_BUCKET", bucket)
                .env("MEDIADESK_S3_ENDPOINT", &target.endpoint)
                .env("AWS_ACCESS_KEY_ID", &target.access_key)
                .env("AWS_SECRET_ACCESS_KEY", &target.secret_key);
        }
        cmd
    }
}

/// A failure is exit 1 and exactly one line on stderr, naming the problem.
fn assert_one_line_failure(r: &Run, needle: &str) {
    assert_eq!(r.code, 1, "stdout: {} stderr: {}", r.stdout, r.stderr);
    assert_eq!(r.stderr.trim_end().lines().count(), 1, "one line: {:?}", r.stderr);
    assert!(r.stderr.starts_with("mediadesk: ") && r.stderr.contains(needle), "{:?}", r.stderr);
}

backend_tests!(
    user_commands_manage_accounts,
    import_uploads_a_folder_and_lists_what_it_refused,
    seed_adds_demo_media,
    seed_load_adds_a_large_set_that_reconcile_removes_again,
    seed_load_organize_files_and_tags_the_items_and_leaves_them_vacuumed,
    explain_prints_an_index_walk_for_every_page_and_order,
    explain_lifecycle_queries_walk_an_index,
    reconcile_finds_and_repairs_each_kind_of_inconsistency,
    bad_configuration_fails_with_one_line,
    healthcheck_reports_the_local_server,
    a_port_in_use_stops_the_start_with_one_line_and_no_screen,
    serve_first_shows_where_to_open_it_where_the_data_is_and_the_first_admin_command
);

async fn user_commands_manage_accounts(env: TestEnv) {
    let add = env.cli(
        &["user", "add", "Root", "--role", "admin", "--password-stdin"],
        Some("correct horse battery\n"),
    );
    assert_eq!(add.code, 0, "{}", add.stderr);
    assert_eq!(add.stdout.trim(), "created root (admin)");
    assert!(add.stderr.contains(&format!("data folder: {}", env.dir.path().display())), "{}", add.stderr);
    assert!(
        !add.stderr.contains("warning"),
        "the test's data folder already held the database: {}",
        add.stderr
    );
    assert_one_line_failure(
        &env.cli(&["user", "add", "root", "--password-stdin"], Some("another password\n")),
        "that username is taken",
    );
    assert_one_line_failure(
        &env.cli(&["user", "add", "x", "--role", "boss", "--password-stdin"], Some("password123\n")),
        "unknown role",
    );
    assert_one_line_failure(
        &env.cli(&["user", "add", "y", "--password-stdin"], Some("short\n")),
        "at least 8 characters",
    );
    assert_one_line_failure(&env.cli(&["user", "add", "z"], None), "--password-stdin");
    env.cli(&["user", "add", "ann", "--password-stdin"], Some("password-ann\n"));
    let listed = env.cli(&["user", "list"], None).stdout;
    let want = "ann\tuser\tactive\tdefault (unlimited)\tnever signed in\n\
                root\tadmin\tactive\tdefault (unlimited)\tnever signed in\n";
    assert_eq!(listed, want);
    assert_eq!(env.cli(&["user", "disable", "ann"], None).code, 0);
    assert!(env.cli(&["user", "list"], None).stdout.contains("ann\tuser\tdisabled"));
    assert_eq!(env.cli(&["user", "enable", "ann"], None).code, 0);
    assert_eq!(env.cli(&["user", "passwd", "ann", "--password-stdin"], Some("new-password-1\n")).code, 0);
    let accounts = mediadesk::auth::AccountService::new(env.db.clone());
    assert!(accounts.authenticate("ann", "new-password-1", "127.0.0.1").await.is_ok());
    assert_one_line_failure(&env.cli(&["user", "disable", "nobody"], None), "no such account");
    assert_one_line_failure(&env.cli(&["user", "disable", "root"], None), "last active admin");

    // Roles and quotas, as on the accounts page; each change in the audit log.
    let role = env.cli(&["user", "role", "ann", "staff"], None);
    assert_eq!((role.code, role.stdout.as_str()), (0, "ann is now staff\n"), "{}", role.stderr);
    assert_eq!(accounts.by_username("ann").await.unwrap().role, mediadesk::auth::Role::Staff);
    assert_one_line_failure(&env.cli(&["user", "role", "ann", "boss"], None), "unknown role");
    assert_one_line_failure(&env.cli(&["user", "role", "root", "user"], None), "last active admin");
    assert_one_line_failure(&env.cli(&["user", "role", "nobody", "user"], None), "no such account");
    let quota = env.cli(&["user", "quota", "ann", "5 GiB"], None);
    assert_eq!((quota.code, quota.stdout.as_str()), (0, "quota of ann: 5 GiB\n"), "{}", quota.stderr);
    assert_eq!(accounts.by_username("ann").await.unwrap().quota, Quota::Bytes(5 << 30));
    assert_eq!(env.cli(&["user", "quota", "ann", "unlimited"], None).stdout, "quota of ann: unlimited\n");
    assert_eq!(env.cli(&["user", "quota", "ann", "default"], None).stdout, "quota of ann: the default\n");
    assert_eq!(accounts.by_username("ann").await.unwrap().quota, Quota::Default);
    assert_one_line_failure(
        &env.cli(&["user", "quota", "ann", "lots"], None),
        "quota: \"lots\" is not a size",
    );
    assert_one_line_failure(&env.cli(&["user", "quota", "nobody", "1 GiB"], None), "no such account");
    let filter = mediadesk::domain::AuditFilter {
        action: Some(mediadesk::domain::AuditAction::Quota),
        ..Default::default()
    };
    let rows = accounts.audit(None, &filter, None, 10).await.unwrap().entries;
    assert_eq!(rows.len(), 3, "one row a change");
    assert_eq!((rows[0].actor.as_deref(), rows[0].detail.as_deref()), (None, Some("default")));
    env.cli(&["user", "role", "ann", "user"], None);
    // The list says each account's quota and last sign-in, for people and, as JSON, scripts.
    env.cli(&["user", "quota", "root", "2 GiB"], None);
    let listed = env.cli(&["user", "list"], None).stdout;
    assert!(listed.contains("root\tadmin\tactive\t2 GiB\t"), "{listed}");
    assert!(listed.contains("ann\tuser\tactive\tdefault (unlimited)\tsigned in 20"), "{listed}");
    let listed: serde_json::Value =
        serde_json::from_str(&env.cli(&["user", "list", "--json"], None).stdout).unwrap();
    let (ann, root) = (&listed[0], &listed[1]);
    assert_eq!((ann["username"].as_str(), ann["role"].as_str()), (Some("ann"), Some("user")));
    assert_eq!(
        (ann["quota_bytes"].clone(), ann["quota_is_default"].as_bool()),
        (serde_json::Value::Null, Some(true))
    );
    assert_eq!(
        (root["quota_bytes"].as_u64(), root["quota_is_default"].as_bool()),
        (Some(2 << 30), Some(false))
    );
    assert!(ann["last_sign_in_at"].as_str().unwrap().ends_with('Z') && root["last_sign_in_at"].is_null());
    assert!(
        ann["id"].is_i64() && ann["disabled"] == false && ann["created_at"].as_str().unwrap().ends_with('Z')
    );
    env.cli(&["user", "quota", "root", "default"], None);

    // Single sign-on links: listed, and removed by the operator (say, an admin's person at the
    // provider was taken over while passwords are off).
    let ann = accounts.by_username("ann").await.unwrap();
    let person = mediadesk::auth::oidc::Person {
        issuer: "https://id.example.org".into(),
        subject: "0a1b".into(),
        known_as: "ann.s".into(),
        role: None,
        quota: None,
    };
    accounts.link_sign_on(&ann, &person).await.unwrap();
    let listed = env.cli(&["user", "sign-ons", "ann"], None).stdout;
    assert!(listed.contains("\tann.s\tlinked ") && listed.ends_with("\tnever used\n"), "{listed}");
    assert_eq!(
        env.cli(&["user", "unlink-sign-ons", "ann"], None).stdout,
        "1 single sign-on link(s) of ann removed\n"
    );
    assert_eq!(env.cli(&["user", "sign-ons", "ann"], None).stdout, "");
    assert!(accounts.sign_ons(ann.id).await.unwrap().is_empty());
    assert_one_line_failure(&env.cli(&["user", "sign-ons", "nobody"], None), "no such account");
}

async fn import_uploads_a_folder_and_lists_what_it_refused(env: TestEnv) {
    env.cli(&["user", "add", "ann", "--password-stdin"], Some("password-ann\n"));
    let dir = env.dir.path().join("incoming");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    for name in ["image.jpg", "tone-cbr.mp3", "not-an-image.jpg", "pixel-flood.png"] {
        std::fs::copy(fixture(name), dir.join(name)).unwrap();
    }
    std::fs::copy(fixture("tone.flac"), dir.join("sub/tone.flac")).unwrap();
    std::fs::write(dir.join(".hidden.jpg"), b"skipped").unwrap();
    let run = env.cli(&["import", dir.to_str().unwrap(), "--owner", "ann"], None);
    assert_one_line_failure(&run, "2 of 5 files were refused");
    assert!(run.stdout.contains("imported 3 of 5 files"), "{}", run.stdout);
    assert!(
        run.stdout.contains("refused")
            && run.stdout.contains("not-an-image.jpg")
            && run.stdout.contains("pixel-flood.png")
    );
    assert_eq!(env.count_rows("images").await + env.count_rows("audios").await, 3);
    let ok = env.cli(&["import", dir.join("sub").to_str().unwrap(), "--owner", "system"], None);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ok.stdout.contains("imported 1 of 1 files"));
    assert_one_line_failure(
        &env.cli(&["import", dir.to_str().unwrap(), "--owner", "ghost"], None),
        "no account \"ghost\"",
    );
    assert_one_line_failure(
        &env.cli(&["import", "/nonexistent", "--owner", "system"], None),
        "is not a folder",
    );
}

async fn seed_adds_demo_media(env: TestEnv) {
    let run = env.cli(&["seed", "--demo"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "added 7 demo items as system media");
    assert_eq!((env.count_rows("images").await, env.count_rows("audios").await), (4, 3));
    assert_one_line_failure(&env.cli(&["seed"], None), "--demo");
}

async fn seed_load_adds_a_large_set_that_reconcile_removes_again(env: TestEnv) {
    let run = env.cli(&["seed", "--load", "250"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "added 250 load-test items as system media");
    let rows = env.count_rows("images").await + env.count_rows("audios").await;
    assert_eq!(rows, 250);
    // Items 0, 100 and 200 are real uploads (images), each with its thumbnail.
    assert_eq!(env.objects().await.len(), 6);
    let check = env.media.reconcile(false, std::time::Duration::ZERO).await.unwrap();
    assert_eq!(check.rows_without_object.len(), 247, "the synthetic rows are reported");
    env.media.reconcile(true, std::time::Duration::ZERO).await.unwrap();
    assert_eq!(env.count_rows("images").await + env.count_rows("audios").await, 3);
    assert!(env.media.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());
}

/// `seed --load N --organize`, what the gallery benchmark runs: collections and tags over the
/// load items, and on PostgreSQL every table vacuumed and analysed, so that autovacuum does not
/// land in the middle of a measurement.
async fn seed_load_organize_files_and_tags_the_items_and_leaves_them_vacuumed(env: TestEnv) {
    let run = env.cli(&["seed", "--load", "400", "--organize"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for table in ["collections", "collection_items", "item_tags"] {
        assert!(env.count_rows(table).await > 0, "{table}");
    }
    if env.db.backend() == mediadesk::db::Backend::Postgres {
        let done = "pg_stat_user_tables WHERE relname IN ('images', 'audios') \
                    AND last_vacuum IS NOT NULL AND last_analyze IS NOT NULL";
        assert_eq!(env.count_rows(done).await, 2);
    }
}

/// `mediadesk explain` on a library large enough (and analyzed) that the planner has a choice:
/// every page in every order still walks an index, on either database.
async fn explain_prints_an_index_walk_for_every_page_and_order(env: TestEnv) {
    assert_eq!(env.cli(&["seed", "--load", "3000"], None).code, 0);
    // A collection holding a third of the library, each kind.
    env.db
        .batch_execute(
            "INSERT INTO collections (id, owner_id, parent_id, name, name_key, created_at, updated_at) \
                 VALUES (7, NULL, NULL, 'Third', 'third', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP); \
             INSERT INTO collection_items SELECT 7, 'image', id, owner_id, created_at, original_filename, \
                 byte_size, created_at FROM images WHERE id % 3 = 0; \
             INSERT INTO collection_items SELECT 7, 'audio', id, owner_id, created_at, original_filename, \
                 byte_size, created_at FROM audios WHERE id % 3 = 0; \
             ANALYZE",
        )
        .await
        .unwrap();
    // A word in a hundred items of the 3 000 and in every one. Tables this small PostgreSQL
    // reads whole for a search, rightly; at 100 000 items (the benchmark's library) it picks the
    // full-text index unprompted, so here it is told to avoid whole-table reads for searches.
    let searches =
        [&["explain", "--search", "0001"][..], &["explain", "--collection", "7", "--search", "load 0001"]];
    let filtered = [&["explain", "--only", "quiet"][..], &["explain", "--only", "mostly-silent"]];
    let plain = [&["explain"][..], &["explain", "--collection", "7"]];
    for args in plain.into_iter().chain(filtered).chain(searches) {
        // A Show filter's hundred rows, which its partial index holds, it would rather read
        // and sort at this size, too.
        let setting = match args.get(1) {
            Some(&"--search") | Some(&"--collection") if args.contains(&"--search") => "enable_seqscan = off",
            Some(&"--only") => "enable_sort = off",
            _ => "",
        };
        let alter = |what: &str| {
            format!("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I {what}', current_database()); END $$")
        };
        if !setting.is_empty() && env.backend != "sqlite_local" {
            env.db.batch_execute(&alter(&format!("SET {setting}"))).await.unwrap();
        }
        let run = env.cli(args, None);
        if setting == "enable_sort = off" && env.backend != "sqlite_local" {
            env.db.batch_execute(&alter("RESET enable_sort")).await.unwrap();
        }
        assert_eq!(run.code, 0, "{}", run.stderr);
        let sections: Vec<&str> = run.stdout.split("== ").skip(1).collect();
        let searched = args.contains(&"--search");
        let orders = if searched { 4 } else { 3 };
        assert_eq!(sections.len(), 3 * orders, "three pages in {orders} orders:\n{}", run.stdout);
        for section in sections {
            let (title, plan) = section.split_once('\n').unwrap();
            // A search finds its matches in the full-text index, then ranks or orders them.
            let full_text =
                ["images_search", "audios_search", "VIRTUAL TABLE INDEX"].iter().any(|i| plan.contains(i));
            let unindexed_sqlite = plan.lines().any(|l| {
                l.trim_start_matches(['|', '-', '`', ' ']).starts_with("SCAN")
                    && !l.contains("USING")
                    && !l.contains("VIRTUAL TABLE")
            });
            let walks = if searched {
                (full_text || plan.contains("Index Scan")) && !plan.contains("Seq Scan") && !unindexed_sqlite
            } else if env.backend == "sqlite_local" {
                (plan.contains("USING INDEX") || plan.contains("USING COVERING INDEX"))
                    && !plan.contains("TEMP B-TREE")
            } else {
                plan.contains("Index Scan") && !plan.contains("Seq Scan") && !pg_plan_sorts(plan)
            };
            assert!(walks, "{args:?} {title}:\n{plan}");
        }
    }
}

/// The trash page, expiry, versions, duplicate checks and groups, the audit log and share links
/// each walk an index, on 3 000 items with a tenth of them in the trash and a tenth with an
/// earlier version, each logged and shared once.
async fn explain_lifecycle_queries_walk_an_index(env: TestEnv) {
    assert_eq!(env.cli(&["seed", "--load", "3000"], None).code, 0);
    let copy = |table: &str, extra: &str| {
        format!(
            "INSERT INTO {table} (kind, item_id, owner_id, {extra}, original_filename, content_type, \
             byte_size, object_keys, snapshot) SELECT 'image', id, owner_id, {values}, original_filename, \
             content_type, byte_size, '[]', '{{}}' FROM images WHERE id % 10 = 0;",
            values = if table == "trash" {
                "owner_id, created_at, created_at"
            } else {
                "owner_id, owner_id, created_at, created_at"
            }
        )
    };
    let audit = "INSERT INTO audit_log (at, actor_id, action, outcome, item_kind, item_id) SELECT \
                 created_at, owner_id, 'upload', 'ok', 'image', id FROM images;";
    let shares = "INSERT INTO shares (token_hash, kind, item_id, created_by, created_at, allow_download) \
                  SELECT 'h' || id, 'image', id, owner_id, created_at, FALSE FROM images;";
    let tokens = "INSERT INTO access_tokens (token_hash, user_id, name, scope, created_at) \
                  SELECT 't' || id, owner_id, 'n', 'upload', created_at FROM images \
                  WHERE owner_id IS NOT NULL;";
    let keys = "INSERT INTO sound_keys (key, audio_id) SELECT id * 7919 + k.n, id FROM audios, \
                (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2) k;";
    let sql = format!(
        "{} {} {audit} {shares} {tokens} {keys} ANALYZE",
        copy("trash", "trashed_by, trashed_at, purge_at"),
        copy("versions", "uploaded_by, replaced_by, replaced_at, purge_at")
    );
    env.db.batch_execute(&sql).await.unwrap();
    if env.backend != "sqlite_local" {
        // Tables this small PostgreSQL rightly reads whole; told not to, it shows the index it
        // takes on a large one.
        env.db
            .batch_execute(
                "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET enable_seqscan = off', \
                 current_database()); END $$",
            )
            .await
            .unwrap();
    }
    let run = env.cli(&["explain", "--lifecycle"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sections: Vec<&str> = run.stdout.split("== ").skip(1).collect();
    assert_eq!(sections.len(), 43, "{}", run.stdout);
    for section in sections {
        let (title, plan) = section.split_once('\n').unwrap();
        if title.contains("reads every look once") {
            // Every group among everyone's pictures needs every look (bench: "alike groups").
            assert!(plan.contains("images"), "{title}:\n{plan}");
            continue;
        }
        let walks = if env.backend == "sqlite_local" {
            let scans_whole = plan.lines().any(|l| {
                l.trim_start_matches(['|', '-', '`', ' ']).starts_with("SCAN") && !l.contains("USING")
            });
            plan.contains("USING") && !scans_whole
        } else {
            plan.contains("Index") && !plan.contains("Seq Scan")
        };
        assert!(walks, "{title}:\n{plan}");
        if title.starts_with("duplicate at upload, an earlier file") {
            assert!(plan.contains("versions_sha256"), "the hash's own index:\n{plan}");
        }
        if title.starts_with("sound-alikes") || title == "sound-alike groups, holders, everyone's" {
            let index =
                if env.backend == "sqlite_local" { "sqlite_autoindex_sound_keys" } else { "sound_keys_pkey" };
            assert!(plan.contains(index), "the keys' own index:\n{plan}");
        }
        if title.contains("kept apart from, as the later of a pair") {
            assert!(plan.contains("kept_apart_"), "{title}:\n{plan}");
            assert!(plan.contains("_second"), "the second id's own index:\n{plan}");
        }
        if title.starts_with("look-alikes") {
            for n in 0..4 {
                assert!(plan.contains(&format!("images_look_{n}")), "each quarter's own index:\n{plan}");
            }
        }
    }
}

async fn reconcile_finds_and_repairs_each_kind_of_inconsistency(env: TestEnv) {
    let staff = Actor::operator();
    let create = |n: &str| Upload::new(Owner::System, n);
    // 1. An object no row knows (a crashed upload, or a hand in the bucket).
    let orphan = StorageKey::parse("system/orphan.png").unwrap();
    env.store.put_file(&orphan, &fixture("image.png"), "image/png").await.unwrap();
    // 2. A row whose object is gone.
    let lost = env.media.upload(&staff, create("lost.png"), fixture_stream("image.png")).await.unwrap().id();
    let lost_key =
        env.objects().await.into_iter().find(|k| k.ends_with(".png") && !k.contains("orphan")).unwrap();
    env.store.delete(&StorageKey::parse(&lost_key).unwrap()).await.unwrap();
    // 3. A deletion still owed to the store.
    let (faulty, switch) = env.faulty_store().await;
    let media = env.media_with(faulty, env.settings());
    let owed = media.upload(&staff, create("owed.png"), fixture_stream("image.png")).await.unwrap().id();
    switch.down();
    media.delete(&staff, MediaKind::Image, owed).await.unwrap();
    switch.up();
    // A healthy item that must survive everything.
    let keep = env.media.upload(&staff, create("keep.png"), fixture_stream("image.png")).await.unwrap().id();

    let dry = env.cli(&["reconcile", "--grace-minutes", "0", "--json"], None);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let report: serde_json::Value = serde_json::from_str(&dry.stdout).unwrap();
    assert_eq!(report["orphan_objects"], serde_json::json!(["system/orphan.png"]));
    assert_eq!(report["rows_without_object"], serde_json::json!([format!("image:{lost}")]));
    assert_eq!(report["pending_deletions"].as_array().unwrap().len(), 2, "the image and its thumbnail");
    assert!(env.objects().await.contains(&"system/orphan.png".to_owned()), "a dry run changes nothing");
    // The default grace leaves young objects alone: an upload may be in flight.
    let young = env.cli(&["reconcile", "--json"], None);
    let young: serde_json::Value = serde_json::from_str(&young.stdout).unwrap();
    assert_eq!(young["orphan_objects"], serde_json::json!([]));

    let fix = env.cli(&["reconcile", "--fix", "--grace-minutes", "0"], None);
    assert_eq!(fix.code, 0, "{}", fix.stderr);
    assert!(fix.stdout.contains("objects without a row (fixed): 1"), "{}", fix.stdout);
    let clean = env.media.reconcile(false, std::time::Duration::ZERO).await.unwrap();
    assert!(clean.is_clean(), "{clean:?}");
    assert!(env.media.get(&staff, MediaKind::Image, keep).await.is_ok());
    assert_eq!(env.count_rows("images").await, 1);
    assert_eq!(env.objects().await.len(), 2, "keep.png and its thumbnail");
}

async fn bad_configuration_fails_with_one_line(env: TestEnv) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mediadesk"));
    let out = cmd
        .arg("migrate")
        .env("MEDIADESK_BIND", "nowhere")
        .env("MEDIADESK_DATA_DIR", env.dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        err.trim(),
        "mediadesk: MEDIADESK_BIND: not a socket address like 127.0.0.1:8080: \"nowhere\""
    );
    let migrate = env.cli(&["migrate"], None);
    assert_eq!(migrate.code, 0, "{}", migrate.stderr);
    assert!(!migrate.stdout.contains("password") && migrate.stdout.starts_with("migrations applied to"));
}

/// A port in use stops `serve` with one line saying what to do, before any screen says it is
/// running; the metrics listener is refused the same way.
async fn a_port_in_use_stops_the_start_with_one_line_and_no_screen(env: TestEnv) {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    for (var, other) in [("MEDIADESK_BIND", None), ("MEDIADESK_METRICS_BIND", Some("MEDIADESK_BIND"))] {
        let mut cmd = env.command();
        cmd.arg("serve").env(var, &addr);
        if let Some(other) = other {
            cmd.env(other, "127.0.0.1:0");
        }
        let out = cmd.output().unwrap();
        let r = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert_one_line_failure(&r, &format!("{var}: cannot listen on {addr}: "));
        assert!(r.stderr.contains(&format!("set {var} to another port")), "{}", r.stderr);
        assert!(!r.stdout.contains("running"), "no screen: {}", r.stdout);
    }
    drop(taken);
}

async fn healthcheck_reports_the_local_server(env: TestEnv) {
    let s = env.start_server().await;
    let bind = s.base.trim_start_matches("http://").to_owned();
    let out = Command::new(env!("CARGO_BIN_EXE_mediadesk"))
        .arg("healthcheck")
        .env("MEDIADESK_BIND", &bind)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let dead = Command::new(env!("CARGO_BIN_EXE_mediadesk"))
        .arg("healthcheck")
        .env("MEDIADESK_BIND", "127.0.0.1:1")
        .output()
        .unwrap();
    assert_eq!(dead.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&dead.stderr).contains("nothing listens on 127.0.0.1:1"));
}

#[tokio::test]
async fn serve_logs_json_with_request_ids_and_stops_gracefully_on_sigterm() {
    let env = TestEnv::sqlite_local().await;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mediadesk"));
    cmd.args(["serve", "--log-json"])
        .env("MEDIADESK_DATA_DIR", env.dir.path())
        .env("DATABASE_URL", &env.database_url)
        .stderr(Stdio::piped());
    let (child, port, _) = start_serve(&mut cmd).await.expect("the server came up");
    let url = format!("http://127.0.0.1:{port}/healthz");
    let id = reqwest::get(&url).await.unwrap().headers()["x-request-id"].to_str().unwrap().to_owned();
    // A scanner's bytes: answered 400, and no ERROR line for them.
    let mut garbage = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    garbage.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nnot a header\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    garbage.read_to_end(&mut answer).await.unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 400"), "{}", String::from_utf8_lossy(&answer));
    let term = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(term.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();
    assert_eq!(out.status.code(), Some(0), "a SIGTERM is a clean stop");
    let logs = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["span"]["request_id"] == id.as_str() && l["fields"]["status"] == 200),
        "the request's log line carries its id: {logs}"
    );
    assert!(lines.iter().all(|l| l["level"] != "ERROR"), "nothing at ERROR: {logs}");
}

impl TestEnv {
    /// Starts `mediadesk serve` with `extra` in its environment and waits until it answers.
    async fn spawn_serve(&self, extra: &[(&str, String)]) -> (Serving, u16) {
        let mut cmd = self.command();
        cmd.arg("serve");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        // Its log goes to a file, to say why if it does not come up.
        let log = tempfile::NamedTempFile::new().unwrap();
        match start_serve(cmd.stderr(log.reopen().unwrap())).await {
            Some((child, port, screen)) => (Serving { child, screen }, port),
            None => panic!(
                "the server did not come up: {}",
                std::fs::read_to_string(log.path()).unwrap_or_default()
            ),
        }
    }

    /// Starts `mediadesk serve`, stops it with SIGTERM and returns what it printed on standard
    /// output.
    async fn serve_once(&self) -> (u16, String) {
        let (serving, port) = self.spawn_serve(&[]).await;
        (port, stop(serving).await)
    }
}

struct Serving {
    child: std::process::Child,
    screen: Screen,
}

/// SIGTERM, a clean exit, and what the process printed on standard output.
async fn stop(serving: Serving) -> String {
    let Serving { mut child, screen } = serving;
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    assert_eq!(status.code(), Some(0));
    screen.text()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_an_address_of_their_own_are_not_on_the_public_port() {
    let env = TestEnv::sqlite_local().await;
    let (serving, port) = env.spawn_serve(&[("MEDIADESK_METRICS_BIND", "127.0.0.1:0".into())]).await;
    // The screen says where they are: the port the system chose.
    let metrics = serving.screen.line("metrics:").await;
    let metrics_port: u16 = metrics
        .trim()
        .strip_prefix("http://127.0.0.1:")
        .unwrap()
        .strip_suffix("/metrics")
        .unwrap()
        .parse()
        .unwrap();
    let m = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics")).await.unwrap();
    assert_eq!(m.status(), 200);
    assert!(m.text().await.unwrap().contains("mediadesk_http_responses_total"));
    let public = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap();
    assert_eq!(public.status(), 404, "not on the public port");
    let other = reqwest::get(format!("http://127.0.0.1:{metrics_port}/media")).await.unwrap();
    assert_eq!(other.status(), 404, "nothing else on the metrics port");
    stop(serving).await;
}

async fn serve_first_shows_where_to_open_it_where_the_data_is_and_the_first_admin_command(env: TestEnv) {
    let (port, screen) = env.serve_once().await;
    assert!(screen.contains(&format!("Open http://127.0.0.1:{port}/")), "{screen}");
    assert!(screen.contains(&format!("data folder: {}", env.dir.path().display())), "{screen}");
    if env.s3.is_some() {
        assert!(
            screen.contains("database:    PostgreSQL") && screen.contains("storage:     S3 bucket"),
            "{screen}"
        );
        assert!(!screen.contains("secret"), "no credentials: {screen}");
    } else {
        let db = format!("database:    SQLite, {}", env.database_url);
        assert!(screen.contains(&db), "{screen}");
        let objects = format!("storage:     local folder, {}", env.dir.path().join("objects").display());
        assert!(screen.contains(&objects), "{screen}");
    }
    assert!(screen.contains("No account exists yet"), "{screen}");
    let command = screen.lines().find(|l| l.contains(" user add admin ")).expect("the command is shown");
    // The command as shown works: run it, and the next start no longer shows it.
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let made = env.cli(&args, Some("a-long-password-1\n"));
    assert_eq!(made.code, 0, "{} {}", made.stdout, made.stderr);
    let (_, again) = env.serve_once().await;
    assert!(!again.contains("No account exists yet") && !again.contains("user add"), "{again}");
}

/// PostgreSQL on the same host is reached over its Unix socket by a `host=` folder in the URL,
/// as a same-host install connects (no TCP stack on the way, which the gallery's bench shows).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_reaches_postgresql_over_its_unix_socket() {
    use diesel::sql_types::BigInt;
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

    let env = TestEnv::postgres_s3().await;
    let socket = required_env("MEDIADESK_TEST_PG_SOCKET");
    let port = required_env("MEDIADESK_TEST_PG_URL").rsplit(':').next().unwrap().to_owned();
    let name = env.database_url.rsplit('/').next().unwrap().to_owned();
    let url = format!("postgres://postgres@localhost/{name}?host={socket}&port={port}");

    let mut add = env.command();
    add.env("DATABASE_URL", &url).args(["user", "add", "ann", "--role", "staff", "--password-stdin"]);
    let mut child = add.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"a-long-password-1\n").unwrap();
    let added = child.wait_with_output().unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));

    let (serving, port) = env.spawn_serve(&[("DATABASE_URL", url)]).await;
    let ready = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200, "the server reads its database");
    // The server's pooled connections are the socket's (a client port of -1), none over TCP.
    let mut admin = AsyncPgConnection::establish(&env.database_url).await.unwrap();
    let count = |filter: &str| {
        diesel::dsl::sql::<BigInt>(&format!(
            "(SELECT count(*) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid() \
             AND {filter})"
        ))
    };
    let (socket_conns, tcp_conns): (i64, i64) =
        diesel::select((count("client_port = -1"), count("client_port > 0")))
            .get_result(&mut admin)
            .await
            .unwrap();
    assert!(socket_conns >= 1, "the server holds a connection over the socket");
    assert_eq!(tcp_conns, 0, "and none over TCP");
    let screen = stop(serving).await;
    assert!(screen.contains(&format!("(Unix socket in {socket})")), "{screen}");
    assert!(env.cli(&["user", "list"], None).stdout.contains("ann"), "the account is in this database");
}

#[test]
fn the_data_folder_and_everything_in_it_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    // A data folder made before by hand, readable by everyone: it is tightened.
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let incoming = root.path().join("incoming");
    std::fs::create_dir(&incoming).unwrap();
    for name in ["image.jpg", "tone-cbr.mp3"] {
        std::fs::copy(fixture(name), incoming.join(name)).unwrap();
    }
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mediadesk"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MEDIADESK_DATA_DIR", &data)
            .env("MEDIADESK_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let made = run(&["user", "add", "ann", "--role", "admin", "--password-stdin"], "a-long-password-1\n");
    assert!(made.contains("warning: a new, empty database"), "a new data folder is pointed out: {made}");
    run(&["import", incoming.to_str().unwrap(), "--owner", "ann"], "");
    let mut seen = (0, 0);
    let mut stack = vec![data.clone()];
    while let Some(dir) = stack.pop() {
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
        seen.0 += 1;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", path.display());
                seen.1 += 1;
            }
        }
    }
    // The database, the two keys and the objects (two originals, a thumbnail) at least.
    assert!(seen.0 >= 3 && seen.1 >= 5, "{seen:?}");
}

#![allow(dead_code)]

pub mod browser;
pub mod far_site;
pub mod oidc;
pub mod proxy;
pub mod served;
pub mod server;
pub mod store;
pub mod tls;
pub mod tus;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use mediadesk::db::Db;
use mediadesk::media::{MediaService, MediaSettings};
use mediadesk::storage::{ByteStream, LocalStore, ObjectStore, S3Settings, S3Store, UrlSigner};
use tempfile::TempDir;

/// Runs each named `async fn NAME(env: TestEnv)` once per backend pair, in modules named after
/// the pair; the bodies are ordinary functions, so rustfmt formats them.
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite_local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::TestEnv::sqlite_local().await).await
                }
            )*
        }
        mod postgres_s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::TestEnv::postgres_s3().await).await
                }
            )*
        }
    };
}

pub const TEST_SIGNING_KEY: &[u8] = b"test-signing-key-test-signing-key-0123456789";

/// Connection details of the S3 server the test script started.
#[derive(Clone, Debug)]
pub struct S3Target {
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
}

impl S3Target {
    pub fn from_env() -> S3Target {
        S3Target {
            endpoint: required_env("MEDIADESK_TEST_S3_ENDPOINT"),
            access_key: required_env("MEDIADESK_TEST_S3_ACCESS_KEY"),
            secret_key: required_env("MEDIADESK_TEST_S3_SECRET_KEY"),
        }
    }

    pub fn settings(&self, endpoint: &str, bucket: &str) -> S3Settings {
        S3Settings {
            bucket: bucket.to_owned(),
            endpoint: Some(endpoint.to_owned()),
            public_endpoint: None,
            region: "us-east-1".into(),
            access_key: self.access_key.clone(),
            secret_key: self.secret_key.clone(),
            path_style: true,
            attempt_timeout: std::time::Duration::from_secs(10),
            max_attempts: 2,
        }
    }
}

pub fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: run scripts/test.sh, which starts PostgreSQL and the S3 server these \
            tests need"
        )
    })
}

/// A fresh database and a fresh store for one test.
pub struct TestEnv {
    pub backend: &'static str,
    pub db: Db,
    pub database_url: String,
    pub store: Arc<dyn ObjectStore>,
    pub media: MediaService,
    pub dir: TempDir,
    /// Set for the S3 backend: where the bucket lives.
    pub s3: Option<(S3Target, String)>,
}

/// A full run makes a database and a bucket per PostgreSQL + S3 test; left behind they came to
/// gigabytes and filled the CI disk, so each goes with its test. The SQLite file and the local
/// folder live in `dir`, which goes by itself.
impl Drop for TestEnv {
    fn drop(&mut self) {
        let Some((_, bucket)) = &self.s3 else { return };
        if let Ok(dir) = std::env::var("MEDIADESK_TEST_S3_DIR") {
            let _ = std::fs::remove_dir_all(Path::new(&dir).join(bucket));
        }
        let (base, name) = self.database_url.rsplit_once('/').expect("a database URL");
        let (admin, drop_it) =
            (format!("{base}/postgres"), format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        // Drop may run on the test's runtime, which cannot be blocked on: a thread of its own.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let mut conn = AsyncPgConnection::establish(&admin).await.ok()?;
                conn.batch_execute(&drop_it).await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("note: the test database {name} was left behind");
        }
    }
}

impl TestEnv {
    pub async fn sqlite_local() -> TestEnv {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = dir.path().join("test.db").to_string_lossy().into_owned();
        let db = Db::connect(&url, 4).await.expect("sqlite opens");
        let store = LocalStore::open(dir.path().join("objects"), UrlSigner::new(TEST_SIGNING_KEY, "/files"))
            .await
            .expect("local store");
        Self::finish("sqlite_local", db, url, Arc::new(store), dir, None)
    }

    pub async fn postgres_s3() -> TestEnv {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = fresh_pg_database().await;
        let db = Db::connect(&url, 4).await.expect("postgres opens");
        let target = S3Target::from_env();
        let bucket = format!("mdtest-{}", uuid::Uuid::new_v4().simple());
        let store = S3Store::new(&target.settings(&target.endpoint, &bucket));
        store.ensure_bucket().await.expect("bucket created on the test S3 server");
        Self::finish("postgres_s3", db, url, Arc::new(store), dir, Some((target, bucket)))
    }

    fn finish(
        backend: &'static str,
        db: Db,
        database_url: String,
        store: Arc<dyn ObjectStore>,
        dir: TempDir,
        s3: Option<(S3Target, String)>,
    ) -> TestEnv {
        let media = MediaService::new(db.clone(), store.clone(), Self::settings_in(dir.path()));
        TestEnv { backend, db, database_url, store, media, dir, s3 }
    }

    /// The tests written before the trash check what a final delete does, so deleting is final
    /// here (`MEDIADESK_TRASH_DAYS=0`); [`TestEnv::with_trash`] gives the default trash.
    pub fn settings_in(dir: &Path) -> MediaSettings {
        let mut s = MediaSettings::new(dir.join("spool"));
        s.cpu_jobs = 2;
        s.trash_days = 0;
        s
    }

    /// Uploads a fixture as `actor`'s own item under `name`; its kind and id.
    pub async fn upload_own(
        &self,
        actor: &mediadesk::media::Actor,
        name: &str,
        fixture: &str,
    ) -> (mediadesk::domain::MediaKind, i64) {
        let owner = mediadesk::domain::Owner::User(actor.user_id.expect("a user"));
        let upload = mediadesk::media::Upload::new(owner, name);
        let item = self.media.upload(actor, upload, fixture_stream(fixture)).await.expect("upload");
        (item.kind(), item.id())
    }

    /// This environment with deletes going to a trash that keeps them `days` days.
    pub fn with_trash(mut self, days: u32) -> TestEnv {
        let mut settings = self.settings();
        settings.trash_days = days;
        self.media = self.media_with(self.store.clone(), settings);
        self
    }

    /// This environment with links reaching `networks` too (`MEDIADESK_LINK_IMPORT_ALLOW`: the
    /// tests' sites are on loopback), giving up on a site silent for `idle`, or with link
    /// imports off (`None`).
    pub fn with_links(mut self, networks: Option<&str>, idle: std::time::Duration) -> TestEnv {
        let mut settings = self.media.settings().clone();
        settings.link_import.enabled = networks.is_some();
        settings.link_import.reachable = mediadesk::media::Reachable::parse(networks.unwrap_or("")).unwrap();
        settings.link_import.idle_timeout = idle;
        self.media = self.media_with(self.store.clone(), settings);
        self
    }

    /// This environment fetching at most `n` links at once (`MEDIADESK_LINK_IMPORT_CONCURRENCY`).
    pub fn with_link_turns(mut self, n: usize) -> TestEnv {
        let mut settings = self.media.settings().clone();
        settings.link_import.concurrency = n;
        self.media = self.media_with(self.store.clone(), settings);
        self
    }

    /// This environment with `MEDIADESK_DEFAULT_QUOTA` set (other settings as they are).
    pub fn with_default_quota(mut self, bytes: u64) -> TestEnv {
        let mut settings = self.media.settings().clone();
        settings.default_quota = Some(bytes);
        self.media = self.media_with(self.store.clone(), settings);
        self
    }

    /// Bytes the store holds for the account: its objects and its trash.
    pub async fn stored_for(&self, owner: i64) -> u64 {
        let (live, trashed) = (format!("u{owner}/"), format!("trash/u{owner}/"));
        let all = self.store.list("").await.expect("list objects");
        all.iter().filter(|o| o.key.starts_with(&live) || o.key.starts_with(&trashed)).map(|o| o.size).sum()
    }

    /// The account's running total of stored bytes, checked against its rows and against what
    /// the store holds under its keys.
    pub async fn usage_matches(&self, owner: i64) -> u64 {
        use mediadesk::db::repo::UsageRepo;
        let mut pooled = self.db.get().await.expect("a connection");
        let running = UsageRepo::of(&mut pooled.conn(), owner).await.expect("usage");
        let counted = UsageRepo::recount(&mut pooled.conn(), owner).await.expect("recount");
        drop(pooled);
        assert_eq!(running, counted, "the running total equals the rows");
        assert_eq!(running as u64, self.stored_for(owner).await, "the total equals what the store holds");
        running as u64
    }

    /// The counts the triggers keep per collection and per tag (kind, owner) equal a recount of
    /// the memberships: what the totals of their galleries read.
    pub async fn kept_counts_agree(&self) {
        for (counts, members, list) in [
            ("collection_counts", "collection_items", "collection_id"),
            ("tag_counts", "item_tags", "tag_id"),
        ] {
            let recount = format!(
                "SELECT {list}, kind, COALESCE(owner_id, 0) AS owner_key, COUNT(*) AS n FROM {members} \
                 GROUP BY {list}, kind, COALESCE(owner_id, 0)"
            );
            let kept = format!("SELECT {list}, kind, owner_key, n FROM {counts} WHERE n <> 0");
            for (a, b) in [(&recount, &kept), (&kept, &recount)] {
                let off = self.count_rows(&format!("({a} EXCEPT {b}) AS off")).await;
                assert_eq!(off, 0, "{counts} against a recount of {members}");
            }
        }
    }

    pub fn settings(&self) -> MediaSettings {
        Self::settings_in(self.dir.path())
    }

    /// A service over the same database with other settings or another store.
    pub fn media_with(&self, store: Arc<dyn ObjectStore>, settings: MediaSettings) -> MediaService {
        MediaService::new(self.db.clone(), store, settings)
    }

    pub fn spool_dir(&self) -> PathBuf {
        self.dir.path().join("spool")
    }

    /// Every object in the store.
    pub async fn objects(&self) -> Vec<String> {
        self.store.list("").await.expect("list objects").into_iter().map(|o| o.key).collect()
    }

    /// The store's assemblies (resumable uploads' parts) the database names now.
    pub async fn assembly_ids(&self) -> Vec<String> {
        let db = Db::open(&self.database_url, 1).expect("open");
        let mut pooled = db.get().await.expect("conn");
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use mediadesk::db::schema::resumable_uploads::dsl as t;
        let q = t::resumable_uploads.select(t::assembly_id).filter(t::assembly_id.is_not_null());
        let ids: Vec<Option<String>> = match &mut pooled.conn() {
            mediadesk::db::DbConn::Sqlite(c) => q.load(&mut **c).await,
            mediadesk::db::DbConn::Pg(c) => q.load(&mut **c).await,
        }
        .expect("assembly ids");
        ids.into_iter().flatten().collect()
    }

    /// Which of `ids` the store still holds anything of, seen from outside the app: the local
    /// store's hidden assembly files, or the S3 server's own files for a multipart upload and
    /// its parts.
    pub fn assemblies_left(&self, ids: &[String]) -> Vec<String> {
        let dir = match &self.s3 {
            None => self.dir.path().join("objects/.assembly"),
            Some(_) => PathBuf::from(required_env("MEDIADESK_TEST_S3_DIR")),
        };
        let names = |id: &str| match &self.s3 {
            None => vec![id.to_owned()],
            Some(_) => vec![format!(".upload-{id}.json"), format!(".upload_id-{id}.part-")],
        };
        let present: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
            .unwrap_or_default();
        ids.iter()
            .filter(|id| names(id).iter().any(|n| present.iter().any(|p| p.starts_with(n.as_str()))))
            .cloned()
            .collect()
    }

    /// Files left in the spool folder (should be none after any upload, accepted or not).
    pub fn spooled_files(&self) -> usize {
        std::fs::read_dir(self.spool_dir()).map(|d| d.count()).unwrap_or(0)
    }

    /// Spool files left once the work uploads leave running (audio's loudness meter reads the
    /// spooled upload after it answered) is done.
    pub async fn settled_spool(&self) -> usize {
        assert!(self.media.settle(std::time::Duration::from_secs(60)).await, "background work ends");
        self.spooled_files()
    }

    pub async fn count_rows(&self, table: &str) -> i64 {
        count_rows(&self.database_url, table).await
    }

    /// Makes every `op` (INSERT/DELETE) on `table` fail inside the database itself.
    pub async fn inject_db_failure(&self, table: &str, op: &str) {
        let sql = if self.db.backend() == mediadesk::db::Backend::Postgres {
            format!(
                "CREATE OR REPLACE FUNCTION injected_failure() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION \
                    'injected failure'; END $$ LANGUAGE plpgsql;
                 CREATE TRIGGER fail_{table}_{op} BEFORE {op} ON {table} FOR EACH ROW \
                    EXECUTE FUNCTION injected_failure();"
            )
        } else {
            format!(
                "CREATE TRIGGER fail_{table}_{op} BEFORE {op} ON {table} BEGIN SELECT RAISE(ABORT, \
                    'injected failure'); END;"
            )
        };
        self.db.batch_execute(&sql).await.expect("install failure trigger");
    }

    pub async fn clear_db_failure(&self, table: &str, op: &str) {
        self.db
            .batch_execute(&format!(
                "DROP TRIGGER fail_{table}_{op}{}",
                if self.db.backend() == mediadesk::db::Backend::Postgres {
                    format!(" ON {table}")
                } else {
                    String::new()
                }
            ))
            .await
            .expect("drop trigger");
    }

    /// Runs `sql` in a transaction of its own connection and keeps it open (its rows locked,
    /// its change not yet seen by others) until [`Held::commit`]: someone else's save caught
    /// between the app's read and its write.
    pub async fn hold(&self, sql: &str) -> Held {
        let db = Db::open(&self.database_url, 1).expect("open");
        let mut pooled = db.get().await.expect("conn");
        let begin =
            if db.backend() == mediadesk::db::Backend::Postgres { "BEGIN" } else { "BEGIN IMMEDIATE" };
        Held::execute(&mut pooled, &format!("{begin}; {sql}")).await;
        Held { _db: db, pooled }
    }

    pub async fn user(&self, name: &str, role: &str) -> i64 {
        create_user(&self.db, name, role).await
    }
}

async fn count_rows(url: &str, table: &str) -> i64 {
    let db = Db::open(url, 1).expect("open");
    let mut pooled = db.get().await.expect("conn");
    let mut conn = pooled.conn();
    use diesel::sql_types::BigInt;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    use diesel_async::RunQueryDsl;
    let q = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"));
    let n: N = match &mut conn {
        mediadesk::db::DbConn::Sqlite(c) => q.get_result(&mut **c).await,
        mediadesk::db::DbConn::Pg(c) => q.get_result(&mut **c).await,
    }
    .expect("count");
    n.n
}

/// Inserts an account directly (accounts have no service yet in these suites).
pub async fn create_user(db: &Db, name: &str, role: &str) -> i64 {
    use mediadesk::db::repo::UserRepo;
    use mediadesk::db::rows::NewUser;
    let now = Utc::now().naive_utc();
    let new = NewUser {
        username: name,
        password_hash: "x",
        role,
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    let mut pooled = db.get().await.expect("conn");
    UserRepo::create(&mut pooled.conn(), &new).await.expect("user created").id
}

/// A new database on the test PostgreSQL cluster, its schema in place: a copy of a template
/// migrated once a run (migrating each test's own database took some 0.3 s of every
/// PostgreSQL test; the template is still migrated from empty, every run).
pub async fn fresh_pg_database() -> String {
    let base = required_env("MEDIADESK_TEST_PG_URL");
    let template = migrated_template(&base);
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut admin = AsyncPgConnection::establish(&format!("{base}/postgres"))
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL at {base}: {e}"));
    let create = format!("CREATE DATABASE {name} TEMPLATE {template}");
    // The migration's connection is closed, but its server process may not have ended yet.
    let mut tries = 0;
    while let Err(e) = admin.batch_execute(&create).await {
        tries += 1;
        assert!(tries < 100 && e.to_string().contains("accessed by other users"), "create database: {e}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    format!("{base}/{name}")
}

/// The template [`fresh_pg_database`] copies, made and migrated by the first test that needs
/// it, on a thread of its own (the tests each run on a runtime of their own).
fn migrated_template(base: &str) -> &'static str {
    static TEMPLATE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let base = base.to_owned();
        let made = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let name = format!("t_template_{}", uuid::Uuid::new_v4().simple());
                let mut admin = AsyncPgConnection::establish(&format!("{base}/postgres"))
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL at {base}: {e}"));
                admin.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create database");
                Db::connect(&format!("{base}/{name}"), 1).await.expect("the template migrates");
                name
            })
        });
        made.join().expect("the template database made")
    })
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// A stream over bytes, cut into chunks like a network body.
pub fn bytes_stream(data: Vec<u8>) -> ByteStream {
    let chunks: Vec<Result<Bytes, std::io::Error>> =
        data.chunks(64 * 1024).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    Box::pin(futures_util::stream::iter(chunks))
}

pub fn fixture_stream(name: &str) -> ByteStream {
    bytes_stream(fixture_bytes(name))
}

/// A stream that yields `len` bytes of `fill` without holding them all.
pub fn generated_stream(len: u64, fill: u8) -> ByteStream {
    let chunk = Bytes::from(vec![fill; 1024 * 1024]);
    let stream = futures_util::stream::unfold(len, move |left| {
        let chunk = chunk.clone();
        async move {
            (left > 0).then(|| {
                let n = left.min(chunk.len() as u64);
                (Ok(chunk.slice(..n as usize)), left - n)
            })
        }
    });
    Box::pin(stream)
}

/// A valid PCM WAV of `seconds` of quiet 16-bit stereo at 44.1 kHz (≈172 KiB a second).
pub fn wav_bytes(seconds: u32) -> Vec<u8> {
    let frames = 44_100 * seconds;
    let data_len = frames * 4;
    let mut v = Vec::with_capacity(44 + data_len as usize);
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + data_len).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes()); // PCM
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&44_100u32.to_le_bytes());
    v.extend_from_slice(&(44_100u32 * 4).to_le_bytes());
    v.extend_from_slice(&4u16.to_le_bytes());
    v.extend_from_slice(&16u16.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..frames {
        let s = (((i % 100) as i16) - 50).to_le_bytes();
        v.extend_from_slice(&s);
        v.extend_from_slice(&s);
    }
    v
}

/// Reads a whole object back.
pub async fn read_object(store: &dyn ObjectStore, key: &str) -> Vec<u8> {
    use futures_util::StreamExt;
    let key = mediadesk::storage::StorageKey::parse(key).expect("key");
    let mut got = store.get(&key, None).await.expect("get object");
    let mut out = Vec::new();
    while let Some(chunk) = got.body.next().await {
        out.extend_from_slice(&chunk.expect("chunk"));
    }
    out
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

impl TestEnv {
    /// Writes the store has begun but not finished: S3 multipart uploads still open for this
    /// test's bucket (s3s-fs keeps one metadata file per open upload), or temp files in the local
    /// folder's staging area.
    pub fn half_written(&self) -> usize {
        match &self.s3 {
            Some((_, bucket)) => {
                let dir = required_env("MEDIADESK_TEST_S3_DIR");
                let prefix = format!(".bucket-{}.object-", base64url(bucket.as_bytes()));
                std::fs::read_dir(dir)
                    .expect("S3 folder")
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with(&prefix) && n.contains(".upload-"))
                    .count()
            }
            None => std::fs::read_dir(self.dir.path().join("objects/.tmp")).map(|d| d.count()).unwrap_or(0),
        }
    }

    /// Waits up to two seconds for writes that are being given up in the background to go.
    pub async fn settled_half_written(&self) -> usize {
        for _ in 0..40 {
            if self.half_written() == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.half_written()
    }
}

/// Base64, URL-safe alphabet, no padding (how s3s-fs names its metadata files).
fn base64url(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// Whether a PostgreSQL plan sorts rows it did not get in order: a `Sort` node. A merge of
/// index walks (`Merge Append`) is not one, nor is an `Incremental Sort` that only orders the
/// rows sharing a value they arrived sorted by (the gallery's kind tie-break).
pub fn pg_plan_sorts(plan: &str) -> bool {
    plan.lines().any(|l| {
        let node = l.trim_start_matches([' ', '-', '>']);
        node == "Sort" || node.starts_with("Sort ") && !node.starts_with("Sort Key")
    }) || plan.contains("Incremental Sort") && !plan.contains("Presorted Key")
}

/// A transaction another connection keeps open; see [`TestEnv::hold`].
pub struct Held {
    _db: Db,
    pooled: mediadesk::db::pool::PooledConn,
}

impl Held {
    async fn execute(pooled: &mut mediadesk::db::pool::PooledConn, sql: &str) {
        match &mut pooled.conn() {
            mediadesk::db::DbConn::Sqlite(c) => c.batch_execute(sql).await,
            mediadesk::db::DbConn::Pg(c) => c.batch_execute(sql).await,
        }
        .expect("held statement");
    }

    pub async fn commit(mut self) {
        Held::execute(&mut self.pooled, "COMMIT").await;
    }
}

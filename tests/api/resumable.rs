//! Resumable uploads over tus 1.0, on both backends: the protocol's answers, a piece cut off
//! and resumed, refused and expired uploads that leave nothing, a restart between pieces, two
//! processes taking turns, and an independent client (tuspy).

use mediadesk::auth::Role;

use crate::common::served::Served;
use crate::common::server::{Page, TestClient, TestServer, password_of};
use crate::common::tus::{Tus, sha256_header};
use crate::common::*;

const MIB: usize = 1024 * 1024;

/// Nothing of an upload is left: no resumable row, none of the assemblies `ids`, no object, no
/// spool file.
async fn assert_nothing_left(env: &TestEnv, ids: &[String]) {
    assert_eq!(env.count_rows("resumable_uploads").await, 0, "no upload row");
    assert_eq!(env.assemblies_left(ids), Vec::<String>::new(), "no assembly in the store");
    assert_eq!(env.objects().await, Vec::<String>::new(), "no object");
    assert_eq!(env.settled_spool().await, 0, "no spool file");
}

/// The one original the store holds (derived objects aside), read back.
async fn the_original(env: &TestEnv) -> Vec<u8> {
    let originals: Vec<String> = env.objects().await.into_iter().filter(|k| !k.contains(".thumb.")).collect();
    assert_eq!(originals.len(), 1, "{originals:?}");
    read_object(env.store.as_ref(), &originals[0]).await
}

fn code(page: &Page) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&page.body).unwrap_or_else(|_| panic!("JSON: {}", page.body));
    v["code"].as_str().unwrap_or_default().to_owned()
}

async fn tus_answers_the_protocol(env: TestEnv) {
    let server = env.start_server_with_limit(20 * MIB as u64).await;
    let (c, _) = server.signed_in("ann", Role::User).await;
    let tus = Tus::new(&c).await;

    let options = Tus::send(c.http.request(reqwest::Method::OPTIONS, c.url("/uploads/tus"))).await;
    assert_eq!(options.status, 204);
    assert_eq!(options.header("tus-version"), "1.0.0");
    assert_eq!(options.header("tus-extension"), "creation,termination,checksum,expiration");
    assert!(options.header("tus-checksum-algorithm").contains("sha256"));
    assert_eq!(options.header("tus-max-size"), (20 * MIB).to_string());

    // Another version, a missing token, a size past the limit, an empty file.
    let old = Tus::send(c.http.post(c.url("/uploads/tus")).header("Tus-Resumable", "0.2.2")).await;
    assert_eq!((old.status, code(&old).as_str()), (412, "protocol"));
    assert_eq!(old.header("tus-resumable"), "1.0.0");
    let forged = Tus::send(
        c.http.post(c.url("/uploads/tus")).header("Tus-Resumable", "1.0.0").header("Upload-Length", "10"),
    )
    .await;
    assert_eq!((forged.status, code(&forged).as_str()), (403, "page_expired"));
    let huge = tus.create(21 * MIB as u64, "huge.wav").await;
    assert_eq!((huge.status, code(&huge).as_str()), (413, "size"));
    let empty = tus.create(0, "empty.wav").await;
    assert_eq!((empty.status, code(&empty).as_str()), (400, "empty"));
    let signed_out = Tus::send(
        server
            .client()
            .http
            .post(c.url("/uploads/tus"))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", "10"),
    )
    .await;
    assert_eq!((signed_out.status, code(&signed_out).as_str()), (401, "signed_out"));

    let wav = wav_bytes(4);
    let created = tus.create(wav.len() as u64, "tone.wav").await;
    assert_eq!(created.status, 201, "{}", created.body);
    let location = created.location().to_owned();
    assert!(location.starts_with("/uploads/tus/"), "{location}");
    assert!(!created.header("upload-expires").is_empty());
    let head = tus.head(&location).await;
    assert_eq!(
        (head.status, head.header("upload-offset"), head.header("upload-length")),
        (200, "0", &*wav.len().to_string())
    );

    // A piece of another type, at another offset, or that does not match its checksum.
    let wrong_type = Tus::send(
        c.http
            .patch(c.url(&location))
            .header("Tus-Resumable", "1.0.0")
            .header("X-CSRF-Token", &tus.token)
            .header("Upload-Offset", "0")
            .body(wav[..100].to_vec()),
    )
    .await;
    assert_eq!((wrong_type.status, code(&wrong_type).as_str()), (415, "protocol"));
    let ahead = tus.patch(&location, 100, &wav[100..200], None).await;
    assert_eq!((ahead.status, code(&ahead).as_str()), (409, "offset"));
    let bad_sum = tus.patch(&location, 0, &wav[..1000], Some(sha256_header(&wav[..999]))).await;
    assert_eq!((bad_sum.status, code(&bad_sum).as_str()), (460, "checksum"));
    assert_eq!(
        tus.head(&location).await.header("upload-offset"),
        "0",
        "a piece that fails its checksum is not kept"
    );
    let good = tus.patch(&location, 0, &wav[..1000], Some(sha256_header(&wav[..1000]))).await;
    assert_eq!((good.status, good.header("upload-offset")), (204, "1000"));
    let ids = server.env.assembly_ids().await;
    assert_eq!(server.env.assemblies_left(&ids).len(), 1, "the store holds the upload's assembly");
    let past_end = tus.patch(&location, 1000, &[0u8; 1].repeat(wav.len()), None).await;
    assert_eq!((past_end.status, code(&past_end).as_str()), (400, "invalid"));
    assert_eq!(tus.head(&location).await.header("upload-offset"), "1000");

    // Someone else's upload does not exist for them.
    let (bob, _) = server.signed_in("bob", Role::Staff).await;
    let bobs = Tus::new(&bob).await;
    assert_eq!(bobs.head(&location).await.status, 404);
    assert_eq!(bobs.patch(&location, 1000, &wav[1000..], None).await.status, 404);

    // Termination removes it and what the store holds of it.
    assert_eq!(tus.delete(&location).await.status, 204);
    assert_eq!(tus.head(&location).await.status, 404);
    assert_nothing_left(&server.env, &ids).await;
}

/// A 21 MB file whose first piece is cut at 30 %: what arrived is kept, the rest follows in two
/// pieces (one with a checksum), and the item holds exactly the bytes sent.
async fn tus_upload_cut_at_30_percent_resumes(env: TestEnv) {
    let server = env.start_server().await;
    let (c, _) = server.signed_in("ann", Role::User).await;
    let tus = Tus::new(&c).await;
    let wav = wav_bytes(120);
    let created = tus.create(wav.len() as u64, "long take.wav").await;
    let location = created.location().to_owned();

    tus.patch_cut(&location, 0, &wav, wav.len() * 3 / 10).await;
    let offset = tus.offset_after_cut(&location, 0).await as usize;
    assert!(offset > 0 && offset <= wav.len() * 3 / 10, "kept {offset} of {}", wav.len());
    let ids = server.env.assembly_ids().await;
    assert_eq!(ids.len(), 1);
    assert_eq!(server.env.count_rows("audios").await, 0, "no item before the last piece");

    let middle = offset + (wav.len() - offset) / 2;
    let second = tus
        .patch(&location, offset as u64, &wav[offset..middle], Some(sha256_header(&wav[offset..middle])))
        .await;
    assert_eq!((second.status, second.header("upload-offset")), (204, &*middle.to_string()));
    assert!(second.header("mediadesk-media").is_empty());
    let last = tus.patch(&location, middle as u64, &wav[middle..], None).await;
    assert_eq!(last.status, 204, "{}", last.body);
    let page = last.header("mediadesk-media").to_owned();
    assert!(page.starts_with("/media/audio/"), "{page}");
    assert_eq!(c.get(&page).await.status, 200);

    let env = &server.env;
    assert_eq!(env.count_rows("audios").await, 1);
    assert_eq!(the_original(env).await, wav, "the stored file is the file sent, byte for byte");
    let id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    let item = server
        .app
        .media
        .get(&mediadesk::media::Actor::staff(0), mediadesk::domain::MediaKind::Audio, id)
        .await
        .unwrap();
    let mediadesk::media::MediaRead::Audio(audio) = item else { panic!("audio") };
    assert_eq!(audio.sha256, sha256_hex(&wav));
    assert_eq!(audio.filename, "long take.wav");
    assert_eq!(env.count_rows("resumable_uploads").await, 0);
    assert!(env.assemblies_left(&ids).is_empty(), "the parts became the object");
    assert_eq!(env.settled_spool().await, 0);
}

/// Bytes that are not media are refused at the first piece; a file that starts like a JPEG and
/// is damaged further on, at the last. Either way nothing is left.
async fn tus_refused_uploads_leave_nothing(env: TestEnv) {
    let server = env.start_server().await;
    let (c, _) = server.signed_in("ann", Role::User).await;
    let tus = Tus::new(&c).await;

    let junk = vec![0x7fu8; 10 * MIB];
    let created = tus.create(junk.len() as u64, "notes.jpg").await;
    let first = tus.patch(created.location(), 0, &junk[..4 * MIB], None).await;
    assert_eq!((first.status, code(&first).as_str()), (415, "type"), "{}", first.body);
    assert_eq!(tus.head(created.location()).await.status, 404, "a refused upload is gone");
    assert_nothing_left(&server.env, &[]).await;

    let mut damaged = fixture_bytes("image.jpg");
    damaged.truncate(600);
    damaged.resize(10 * MIB, 0x55);
    let created = tus.create(damaged.len() as u64, "damaged.jpg").await;
    let location = created.location().to_owned();
    assert_eq!(tus.patch(&location, 0, &damaged[..9 * MIB], None).await.status, 204);
    let ids = server.env.assembly_ids().await;
    assert_eq!(server.env.assemblies_left(&ids).len(), 1);
    let last = tus.patch(&location, 9 * MIB as u64, &damaged[9 * MIB..], None).await;
    assert_eq!((last.status, code(&last).as_str()), (422, "malformed"), "{}", last.body);
    assert_eq!(server.env.count_rows("images").await, 0);
    assert_nothing_left(&server.env, &ids).await;
}

/// An upload abandoned midway is removed when it expires, with its parts and its spool copy.
async fn tus_expired_upload_is_cleaned(env: TestEnv) {
    let server = env.start_server().await;
    let (c, _) = server.signed_in("ann", Role::User).await;
    let tus = Tus::new(&c).await;
    let wav = wav_bytes(120);
    let created = tus.create(wav.len() as u64, "abandoned.wav").await;
    let location = created.location().to_owned();
    assert_eq!(tus.patch(&location, 0, &wav[..9 * MIB], None).await.status, 204);
    let ids = server.env.assembly_ids().await;
    assert_eq!(server.env.assemblies_left(&ids).len(), 1, "the first part is in the store");
    assert_eq!(server.env.spooled_files(), 1, "this process keeps a copy");

    let media = &server.app.media;
    assert_eq!(media.expire_resumable(chrono::Utc::now().naive_utc()).await.unwrap(), 0, "not yet");
    let tomorrow = chrono::Utc::now().naive_utc() + chrono::Duration::hours(25);
    assert_eq!(media.expire_resumable(tomorrow).await.unwrap(), 1);
    assert_nothing_left(&server.env, &ids).await;
    assert_eq!(tus.head(&location).await.status, 404);
}

/// Signs `name` in on a served process; a client that keeps its cookie for any port.
async fn signed_in_on(env: &TestEnv, served: &Served, name: &str) -> TestClient {
    let add = env.cli(&["user", "add", name, "--role", "user", "--password-stdin"], Some(&password_of(name)));
    assert_eq!(add.code, 0, "{}", add.stderr);
    let c = TestClient {
        base: served.base.clone(),
        http: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    };
    assert_eq!(c.sign_in(name, &password_of(name)).await.status, 303);
    c
}

const SESSION_KEY: &str = "a-session-key-all-processes-of-this-test-share-0123456789abcdefghijkl";

/// The server stops and starts again between two pieces; the upload goes on where it was.
async fn tus_upload_survives_a_restart(env: TestEnv) {
    let vars = [("MEDIADESK_SESSION_KEY", SESSION_KEY)];
    let first = Served::start(&env, &vars).await;
    let c = signed_in_on(&env, &first, "ann").await;
    let tus = Tus::new(&c).await;
    let wav = wav_bytes(120);
    let location = tus.create(wav.len() as u64, "restarted.wav").await.location().to_owned();
    assert_eq!(tus.patch(&location, 0, &wav[..11 * MIB], None).await.status, 204);
    let ids = env.assembly_ids().await;
    first.terminate();
    assert_eq!(first.exit_code().await, Some(0));

    let second = Served::start(&env, &vars).await;
    let c2 = TestClient { base: second.base.clone(), http: c.http.clone() };
    let tus2 = Tus { c: &c2, token: tus.token.clone() };
    assert_eq!(tus2.head(&location).await.header("upload-offset"), (11 * MIB).to_string());
    let last = tus2.patch(&location, 11 * MIB as u64, &wav[11 * MIB..], None).await;
    assert_eq!(last.status, 204, "{}", last.body);
    assert!(last.header("mediadesk-media").starts_with("/media/audio/"));
    assert_eq!(env.count_rows("audios").await, 1);
    assert_eq!(the_original(&env).await, wav);
    second.terminate();
    assert_eq!(second.exit_code().await, Some(0));
    assert!(env.assemblies_left(&ids).is_empty());
}

/// Two processes on one PostgreSQL and one bucket (with a spool folder each) take alternate
/// pieces of one upload, with the session signed in on the first.
async fn tus_two_processes_take_turns(env: TestEnv) {
    let other_dir = tempfile::tempdir().unwrap();
    let other_data = other_dir.path().to_string_lossy().into_owned();
    let a = Served::start(&env, &[("MEDIADESK_SESSION_KEY", SESSION_KEY)]).await;
    let b =
        Served::start(&env, &[("MEDIADESK_SESSION_KEY", SESSION_KEY), ("MEDIADESK_DATA_DIR", &other_data)])
            .await;
    let ca = signed_in_on(&env, &a, "ann").await;
    let cb = TestClient { base: b.base.clone(), http: ca.http.clone() };
    let on_a = Tus::new(&ca).await;
    let on_b = Tus { c: &cb, token: on_a.token.clone() };
    assert_eq!(
        cb.get("/upload").await.status,
        200,
        "the session signed in on one process is valid on the other"
    );

    let wav = wav_bytes(150);
    let location = on_a.create(wav.len() as u64, "shared.wav").await.location().to_owned();
    let bounds = [0, 9 * MIB, 17 * MIB, 20 * MIB, wav.len()];
    let mut ids = Vec::new();
    let mut last = None;
    for (i, w) in bounds.windows(2).enumerate() {
        let tus = if i % 2 == 0 { &on_a } else { &on_b };
        let r = tus.patch(&location, w[0] as u64, &wav[w[0]..w[1]], None).await;
        assert_eq!(r.status, 204, "piece {i}: {}", r.body);
        if i == 0 {
            ids = env.assembly_ids().await;
        }
        last = Some(r);
    }
    assert!(last.unwrap().header("mediadesk-media").starts_with("/media/audio/"));
    assert_eq!(env.count_rows("audios").await, 1);
    assert_eq!(the_original(&env).await, wav);
    assert_eq!(env.count_rows("resumable_uploads").await, 0);
    assert_eq!(ids.len(), 1);
    assert!(env.assemblies_left(&ids).is_empty());
    for served in [a, b] {
        served.terminate();
        assert_eq!(served.exit_code().await, Some(0));
    }
}

/// tuspy, an independent tus client, uploads a file end to end (with its sha1 checksums).
async fn tuspy_uploads_a_file(env: TestEnv) {
    let server: TestServer = env.start_server().await;
    server.account("ann", Role::User).await;
    let wav = wav_bytes(60);
    let file = server.env.dir.path().join("from tuspy.wav");
    std::fs::write(&file, &wav).unwrap();
    let (session, token) = session_cookie(&server, "ann").await;
    let script = r#"
import sys
from tusclient import client
url, cookie, token, path = sys.argv[1:5]
c = client.TusClient(url + "/uploads/tus", headers={"Cookie": cookie, "X-CSRF-Token": token})
u = c.uploader(path, chunk_size=4 * 1024 * 1024, metadata={"filename": "from tuspy.wav"},
               upload_checksum=True)
u.upload()
print(u.url)
"#;
    let python = required_env("MEDIADESK_TEST_PYTHON");
    let out = tokio::process::Command::new(python)
        .args(["-c", script, &server.base, &session, &token, file.to_str().unwrap()])
        .output()
        .await
        .expect("tuspy runs");
    assert!(out.status.success(), "tuspy: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("/uploads/tus/"));
    assert_eq!(server.env.count_rows("audios").await, 1);
    assert_eq!(the_original(&server.env).await, wav);
    assert_eq!(server.env.count_rows("resumable_uploads").await, 0);
}

/// Signs `name` in with bare requests: the session cookie (as a `Cookie` header) and the
/// session's CSRF token from the upload page's meta tag.
async fn session_cookie(server: &TestServer, name: &str) -> (String, String) {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let cookies = |r: &reqwest::Response| -> Option<String> {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
            .find(|c| c.starts_with("mediadesk_session="))
    };
    let form = http.get(format!("{}/signin", server.base)).send().await.unwrap();
    let mut cookie = cookies(&form).unwrap_or_default();
    let body = form.text().await.unwrap();
    let token =
        body.split(r#"name="csrf_token" value=""#).nth(1).and_then(|r| r.split('"').next()).unwrap_or("");
    let r = http
        .post(format!("{}/signin", server.base))
        .header("Cookie", &cookie)
        .form(&[("username", name), ("password", &password_of(name)), ("csrf_token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    cookie = cookies(&r).expect("a session cookie");
    let page = http.get(format!("{}/upload", server.base)).header("Cookie", &cookie).send().await.unwrap();
    cookie = cookies(&page).unwrap_or(cookie);
    let body = page.text().await.unwrap();
    let token = body
        .split(r#"<meta name="csrf-token" content=""#)
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the CSRF token")
        .to_owned();
    (cookie, token)
}

backend_tests!(
    tus_answers_the_protocol,
    tus_upload_cut_at_30_percent_resumes,
    tus_refused_uploads_leave_nothing,
    tus_expired_upload_is_cleaned,
    tus_upload_survives_a_restart,
    tuspy_uploads_a_file,
);

mod postgres_s3_only {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tus_two_processes_take_turns() {
        super::tus_two_processes_take_turns(crate::common::TestEnv::postgres_s3().await).await
    }
}

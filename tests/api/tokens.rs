//! Access tokens on both backends: made on the Tokens page and shown once, kept only as a
//! hash; a script uploads with one through the form's post and through tus, with no session or
//! CSRF token, as its account; anywhere else a token is refused with 403; unknown, revoked and
//! expired tokens and a disabled account's get the same 401; another account's token cannot be
//! seen or revoked; a refused form comes back as typed, and a database failure leaves nothing.
//! tuspy, an independent tus client, uploads with a token too.

use mediadesk::auth::{Role, Scope};
use mediadesk::domain::{AuditAction, AuditFilter};
use reqwest::multipart;

use crate::common::browser::{Browser, PATIENCE, poll};
use crate::common::server::{Page, TestClient, TestServer};
use crate::common::tus::Tus;
use crate::common::*;

backend_tests!(
    a_token_uploads_for_its_account_without_a_session,
    tokens_end_by_revoking_expiry_and_disabling,
    a_refused_token_form_keeps_what_was_typed,
    a_failed_write_makes_no_token,
    the_command_line_makes_lists_and_revokes_tokens,
    browser_makes_and_revokes_a_token_by_keyboard_at_390_px,
    an_admin_reviews_an_accounts_tokens_and_revokes_one,
    browser_an_admin_revokes_one_token_by_keyboard_at_390_px
);

/// Makes a token on the Tokens page; returns its secret, as the page shows it once.
async fn make_token(c: &TestClient, name: &str, lifetime: &str) -> String {
    let made =
        c.post("/tokens", "/tokens", &[("name", name), ("scope", "upload"), ("lifetime", lifetime)]).await;
    assert_eq!((made.status, made.location()), (303, "/tokens#new-token"), "{}", made.body);
    let page = c.get("/tokens").await;
    let secret = page.all("id=\"new-token\" readonly value=\"").pop().expect("the new token is shown");
    assert!(secret.starts_with("mdk_") && secret.len() == 47, "{secret}");
    assert!(page.body.contains(&format!("Authorization: Bearer {secret}")), "with an example");
    secret
}

/// Posts `files` to `/upload` with `token` and nothing else: no cookie, no form token.
async fn upload_with(s: &TestServer, token: &str, files: &[(&str, &str)], owner: Option<&str>) -> Page {
    let mut form = multipart::Form::new().text("keep_duplicates", "1");
    if let Some(o) = owner {
        form = form.text("owner", o.to_owned());
    }
    for (name, fixture) in files {
        form = form.part("file", multipart::Part::bytes(fixture_bytes(fixture)).file_name(name.to_string()));
    }
    let req = reqwest::Client::new().post(format!("{}/upload", s.base)).bearer_auth(token).multipart(form);
    Tus::send(req).await
}

fn json(page: &Page) -> serde_json::Value {
    serde_json::from_str(&page.body).unwrap_or_else(|_| panic!("JSON: {} {}", page.status, page.body))
}

fn token_rows(where_: &str) -> String {
    format!("access_tokens WHERE {where_}")
}

async fn a_token_uploads_for_its_account_without_a_session(env: TestEnv) {
    let s = env.start_server().await;
    let (amy, amy_id) = s.signed_in("amy", Role::User).await;
    let (ben, _) = s.signed_in("ben", Role::User).await;
    assert!(amy.get("/tokens").await.body.contains("No tokens yet."));
    let secret = make_token(&amy, "harbour sync", "30").await;
    let listed = amy.get("/tokens").await;
    assert!(!listed.body.contains(&secret), "shown once");
    assert!(
        listed.body.contains("harbour sync")
            && listed.body.contains("Live")
            && listed.body.contains("never used")
    );
    assert!(listed.body.contains("Upload files"), "its scope");
    // Only the hash is kept.
    assert_eq!(
        s.env.count_rows(&token_rows(&format!("token_hash = '{}'", sha256_hex(secret.as_bytes())))).await,
        1
    );
    assert_eq!(s.env.count_rows(&token_rows(&format!("token_hash LIKE '%{}%'", &secret[4..20]))).await, 0);

    // The form's post: JSON without asking, no cookie handed out, the item Amy's.
    let done = upload_with(&s, &secret, &[("harbour.jpg", "image.jpg")], None).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.headers.get("set-cookie").is_none(), "no session for a script");
    let item = json(&done)["results"][0]["url"].as_str().expect("an item").to_owned();
    assert_eq!(amy.get(&item).await.status, 200);
    assert_eq!(ben.get(&item).await.status, 404, "Amy's, not anyone's");
    assert!(amy.get("/media?owner=mine").await.body.contains("harbour.jpg"));
    // A refusal is the upload's own, in JSON.
    let refused = upload_with(&s, &secret, &[("notes.jpg", "not-an-image.jpg")], None).await;
    assert_eq!((refused.status, json(&refused)["code"].as_str()), (415, Some("type")));

    // tus, with no X-CSRF-Token.
    let bare = s.client();
    let tus = |method: reqwest::Method, path: &str| {
        bare.http.request(method, bare.url(path)).header("Tus-Resumable", "1.0.0").bearer_auth(&secret)
    };
    let wav = wav_bytes(3);
    let name = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "gulls.wav");
    let made = Tus::send(
        tus(reqwest::Method::POST, "/uploads/tus")
            .header("Upload-Length", wav.len().to_string())
            .header("Upload-Metadata", format!("filename {name}")),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let done = Tus::send(
        tus(reqwest::Method::PATCH, made.location())
            .header("Upload-Offset", "0")
            .header("Content-Type", "application/offset+octet-stream")
            .body(wav),
    )
    .await;
    assert_eq!(done.status, 204, "{}", done.body);
    let clip = done.header("mediadesk-media").to_owned();
    assert!(clip.starts_with("/media/audio/"), "{clip}");
    assert_eq!(amy.get(&clip).await.status, 200);
    assert!(amy.get("/tokens").await.body.contains("last used"));

    // Anywhere else, a token is refused rather than ignored; it cannot make tokens either.
    for (method, path) in
        [("GET", "/media"), ("GET", "/tokens"), ("POST", "/media/bulk"), ("POST", "/tokens")]
    {
        let req = bare.http.request(method.parse().unwrap(), bare.url(path)).bearer_auth(&secret);
        let r = Tus::send(req).await;
        assert_eq!((r.status, json(&r)["code"].as_str()), (403, Some("token_scope")), "{method} {path}");
    }
    // Unknown tokens: 401 with the scheme named.
    let altered =
        format!("{}{}", &secret[..20], if &secret[20..21] == "A" { "B" } else { "A" }) + &secret[21..];
    for wrong in ["mdk_nope", &format!("{}x", secret), &altered] {
        let r = upload_with(&s, wrong, &[("a.jpg", "image.jpg")], None).await;
        assert_eq!((r.status, json(&r)["code"].as_str()), (401, Some("token")), "{wrong}");
        assert!(r.header("www-authenticate").starts_with("Bearer"));
    }

    // A bearer value that is not Mediadesk's (a proxy in front passing its own) is left alone:
    // a session still works beside it, and without one the request is simply signed out.
    let proxied = [("Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln")];
    assert_eq!(amy.get_with("/media", &proxied).await.status, 200);
    assert_eq!(bare.get_with("/media", &proxied).await.status, 303);

    // Ben neither sees nor revokes Amy's token.
    let id = s.app.accounts.tokens(amy_id).await.unwrap()[0].id;
    assert!(!ben.get("/tokens").await.body.contains("harbour sync"));
    assert_eq!(ben.post("/tokens", &format!("/tokens/{id}/revoke"), &[]).await.status, 404);
    assert_eq!(upload_with(&s, &secret, &[("b.jpg", "image.jpg")], None).await.status, 200);
    let done = amy.post("/tokens", &format!("/tokens/{id}/revoke"), &[]).await;
    assert_eq!((done.status, done.location()), (303, "/tokens"));
    let listed = amy.get("/tokens").await;
    let said = "The token “harbour sync” is revoked";
    assert!(listed.body.contains(said) && listed.body.contains("Revoked"));
    assert!(!listed.body.contains(&format!("/tokens/{id}/revoke")), "no button for an ended token");
    let r = upload_with(&s, &secret, &[("c.jpg", "image.jpg")], None).await;
    assert_eq!((r.status, json(&r)["code"].as_str()), (401, Some("token")));
    assert_eq!(amy.post("/tokens", &format!("/tokens/{id}/revoke"), &[]).await.status, 404, "once");

    let log = |action| {
        let accounts = s.app.accounts.clone();
        async move {
            let filter = AuditFilter { action: Some(action), ..AuditFilter::default() };
            accounts.audit(None, &filter, None, 50).await.unwrap().entries
        }
    };
    let made = log(AuditAction::Token).await;
    assert_eq!(made.len(), 1);
    assert!(made[0].detail.as_deref().is_some_and(|d| d.contains("harbour sync")), "{:?}", made[0].detail);
    let revoked = log(AuditAction::RevokeToken).await;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].detail.as_deref(), Some("“harbour sync”"), "named");
    let uploads = log(AuditAction::Upload).await;
    let ok: Vec<_> = uploads.iter().filter(|e| e.outcome == "ok").collect();
    assert_eq!((uploads.len(), ok.len()), (4, 3), "three taken and one refused");
    assert!(uploads.iter().all(|e| e.actor.as_deref() == Some("amy")), "the token's uploads are Amy's");
    let by_token = uploads
        .iter()
        .filter(|e| e.client.as_deref().is_some_and(|c| c.ends_with(" (token “harbour sync”)")));
    assert_eq!(by_token.count(), 4, "the log names the token: {uploads:?}");
}

async fn tokens_end_by_revoking_expiry_and_disabling(env: TestEnv) {
    let s = env.start_server().await;
    let (amy, amy_id) = s.signed_in("amy", Role::User).await;
    let (sue, _) = s.signed_in("sue", Role::Staff).await;
    let old = make_token(&amy, "old", "7").await;
    let kept = make_token(&amy, "kept", "never").await;
    assert!(amy.get("/tokens").await.body.contains("until revoked"));
    s.env
        .db
        .batch_execute("UPDATE access_tokens SET expires_at = '2020-01-01 00:00:00' WHERE name = 'old'")
        .await
        .unwrap();
    let r = upload_with(&s, &old, &[("a.jpg", "image.jpg")], None).await;
    assert_eq!((r.status, json(&r)["code"].as_str()), (401, Some("token")), "expired");
    assert!(amy.get("/tokens").await.body.contains("Expired"));
    assert_eq!(upload_with(&s, &kept, &[("a.jpg", "image.jpg")], None).await.status, 200);

    // A user's token uploads only where the user may; staff's reaches system media.
    let r = upload_with(&s, &kept, &[("b.jpg", "image.jpg")], Some("system")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let staffs = make_token(&sue, "site assets", "90").await;
    let r = upload_with(&s, &staffs, &[("logo.png", "image.png")], Some("system")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(sue.get("/media/system").await.body.contains("logo.png"));

    // Disabling the account refuses its tokens, and enabling it again does not bring them back.
    s.app.accounts.set_disabled(None, amy_id, true).await.unwrap();
    let r = upload_with(&s, &kept, &[("c.jpg", "image.jpg")], None).await;
    assert_eq!((r.status, json(&r)["code"].as_str()), (401, Some("token")), "disabled");
    s.app.accounts.set_disabled(None, amy_id, false).await.unwrap();
    assert_eq!(upload_with(&s, &kept, &[("c.jpg", "image.jpg")], None).await.status, 401, "revoked");
    assert_eq!(upload_with(&s, &staffs, &[("d.png", "image.png")], None).await.status, 200, "Sue's lives");
    let amy = s.client();
    amy.sign_in("amy", &crate::common::server::password_of("amy")).await;
    let listed = amy.get("/tokens").await;
    assert_eq!(listed.body.matches("<strong>Revoked</strong>").count(), 1, "{}", listed.body);
    assert_eq!(listed.body.matches("<strong>Expired</strong>").count(), 1);

    // An admin sees who holds live tokens and revokes them without disabling the account.
    let (root, _) = s.signed_in("root", Role::Admin).await;
    let accounts = root.get("/admin/users").await;
    assert_eq!(accounts.body.matches("live access token").count(), 1, "Sue's only: {}", accounts.body);
    assert!(accounts.body.contains("1 live access token<"));
    let sue_id = s.app.accounts.by_username("sue").await.unwrap().id;
    let revoke = format!("/admin/users/{sue_id}/tokens/revoke");
    assert_eq!(sue.post("/tokens", &revoke, &[]).await.status, 403, "admins only");
    let done = root.post("/admin/users", &revoke, &[]).await;
    assert_eq!((done.status, done.location()), (303, "/admin/users"));
    let accounts = root.get("/admin/users").await;
    assert!(
        accounts.body.contains("1 access token of sue is revoked.")
            && !accounts.body.contains("live access token")
    );
    assert_eq!(upload_with(&s, &staffs, &[("e.png", "image.png")], None).await.status, 401);
    assert_eq!(sue.get("/media").await.status, 200, "Sue is still signed in");
    let filter = AuditFilter { action: Some(AuditAction::RevokeToken), ..AuditFilter::default() };
    let rows = s.app.accounts.audit(None, &filter, None, 10).await.unwrap().entries;
    assert!(rows.iter().any(|e| e.actor.as_deref() == Some("root") && e.subject.as_deref() == Some("sue")));
}

async fn a_refused_token_form_keeps_what_was_typed(env: TestEnv) {
    let s = env.start_server().await;
    let (amy, amy_id) = s.signed_in("amy", Role::User).await;
    let long = "n".repeat(101);
    for (name, lifetime, why) in [
        ("  ", "365", "name the token"),
        (long.as_str(), "365", "at most 100 characters"),
        ("line\nbreak", "365", "on one line"),
        ("nightly", "12", "offered lifetimes"),
    ] {
        let r = amy
            .post("/tokens", "/tokens", &[("name", name), ("scope", "upload"), ("lifetime", lifetime)])
            .await;
        assert_eq!(r.status, 400, "{name:?}");
        assert!(r.body.contains(why) && r.body.contains("role=\"alert\""), "{why}: {}", r.body);
        if name.trim().len() > 1 && !name.contains('\n') {
            assert!(r.body.contains(&format!("value=\"{name}\"")), "the name comes back");
        }
        if lifetime == "365" {
            assert!(r.body.contains("<option value=\"365\" selected>"), "the lifetime comes back");
        }
    }
    let r = amy.post("/tokens", "/tokens", &[("name", "x"), ("scope", "admin"), ("lifetime", "7")]).await;
    assert!(r.status == 400 && r.body.contains("offered scopes"));
    let r = amy.post("/tokens", "/tokens", &[("name", "x"), ("lifetime", "7")]).await;
    assert!(r.status == 400 && r.body.contains("tick at least one"), "no scope ticked");
    assert!(!r.body.contains(" checked>"), "and none comes back ticked");
    let typed = [("name", "x"), ("scope", "read"), ("scope", "edit"), ("lifetime", "12")];
    let r = amy.post("/tokens", "/tokens", &typed).await;
    assert_eq!(r.status, 400);
    let ticked = |v: &str| r.body.contains(&format!("name=\"scope\" value=\"{v}\" checked>"));
    assert!(ticked("read") && ticked("edit") && !ticked("upload"), "the ticks come back as they were");
    let r = amy.post_raw("/tokens", &[("name", "forged"), ("scope", "upload"), ("lifetime", "7")]).await;
    assert_eq!(r.status, 403, "no form token");
    assert_eq!(s.env.count_rows("access_tokens").await, 0);
    // At most twenty live at once; an ended one makes room.
    for i in 0..20 {
        s.app
            .accounts
            .create_token(
                None,
                &s.app.accounts.by_id(amy_id).await.unwrap(),
                &format!("t{i}"),
                Scope::Upload.into(),
                Some(7),
            )
            .await
            .unwrap();
    }
    let r =
        amy.post("/tokens", "/tokens", &[("name", "one more"), ("scope", "upload"), ("lifetime", "7")]).await;
    assert!(
        r.status == 400 && r.body.contains("at most 20 live tokens") && r.body.contains("value=\"one more\"")
    );
    let id = s.app.accounts.tokens(amy_id).await.unwrap()[0].id;
    amy.post("/tokens", &format!("/tokens/{id}/revoke"), &[]).await;
    make_token(&amy, "one more", "7").await;
    assert_eq!(s.env.count_rows("access_tokens").await, 21);
}

async fn a_failed_write_makes_no_token(env: TestEnv) {
    let s = env.start_server().await;
    let (amy, _) = s.signed_in("amy", Role::User).await;
    for table in ["access_tokens", "audit_log"] {
        s.env.inject_db_failure(table, "INSERT").await;
        let r = amy
            .post("/tokens", "/tokens", &[("name", "nightly"), ("scope", "upload"), ("lifetime", "7")])
            .await;
        assert_eq!(r.status, 503, "{table}: {}", r.body);
        assert!(r.body.contains("Nothing was changed"));
        s.env.clear_db_failure(table, "INSERT").await;
        assert_eq!(s.env.count_rows("access_tokens").await, 0, "{table}");
        assert!(!amy.get("/tokens").await.body.contains("id=\"new-token\""), "no secret shown");
    }
    assert_eq!(
        s.env.count_rows(&format!("audit_log WHERE action = '{}'", AuditAction::Token.as_str())).await,
        0
    );
    // A failed revoke leaves the token working.
    let secret = make_token(&amy, "nightly", "7").await;
    let id = s.app.accounts.tokens(s.app.accounts.by_username("amy").await.unwrap().id).await.unwrap()[0].id;
    s.env.inject_db_failure("audit_log", "INSERT").await;
    assert_eq!(amy.post("/tokens", &format!("/tokens/{id}/revoke"), &[]).await.status, 503);
    s.env.clear_db_failure("audit_log", "INSERT").await;
    assert_eq!(upload_with(&s, &secret, &[("a.jpg", "image.jpg")], None).await.status, 200);
}

/// tuspy, an independent tus client, uploads with an access token as its only credential.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tuspy_uploads_with_a_token() {
    let s = TestEnv::sqlite_local().await.start_server().await;
    let id = s.account("ann", Role::User).await;
    let ann = s.app.accounts.by_id(id).await.unwrap();
    let made = s.app.accounts.create_token(None, &ann, "tuspy", Scope::Upload.into(), None).await.unwrap();
    let wav = wav_bytes(20);
    let file = s.env.dir.path().join("by token.wav");
    std::fs::write(&file, &wav).unwrap();
    let script = r#"
import sys
from tusclient import client
url, token, path = sys.argv[1:4]
c = client.TusClient(url + "/uploads/tus", headers={"Authorization": "Bearer " + token})
u = c.uploader(path, chunk_size=1024 * 1024, metadata={"filename": "by token.wav"}, upload_checksum=True)
u.upload()
print(u.url)
"#;
    let out = tokio::process::Command::new(required_env("MEDIADESK_TEST_PYTHON"))
        .args(["-c", script, &s.base, &made.secret, file.to_str().unwrap()])
        .output()
        .await
        .expect("tuspy runs");
    assert!(out.status.success(), "tuspy: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(s.env.count_rows(&format!("audios WHERE owner_id = {id}")).await, 1);
    assert_eq!(s.env.count_rows("resumable_uploads").await, 0);
    // The same client with a revoked token is refused at its first request.
    s.app.accounts.revoke_token(None, &ann, made.token.id).await.unwrap();
    let out = tokio::process::Command::new(required_env("MEDIADESK_TEST_PYTHON"))
        .args(["-c", script, &s.base, &made.secret, file.to_str().unwrap()])
        .output()
        .await
        .expect("tuspy runs");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("401"));
    assert_eq!(s.env.count_rows("audios").await, 1);
}

/// The Tokens page in Chromium at phone width, by keyboard only: a name typed and Enter makes a
/// token, shown with its Copy button; Enter on Revoke ends it. Nothing scrolls sideways.
async fn browser_makes_and_revokes_a_token_by_keyboard_at_390_px(env: TestEnv) {
    let backend = env.backend;
    let s = env.start_server().await;
    s.account("ann", Role::User).await;
    let base = s.base.clone();
    let accounts = s.app.accounts.clone();
    Browser::run(backend, &base, |b| async move {
        b.resize(390, 844).await;
        b.sign_in("ann").await;
        b.goto("/upload").await;
        b.find_link("access token").await.click().await.unwrap();
        b.wait_for_path("/tokens").await;
        b.assert_fits("no sideways scrolling at 390 px").await;
        let labelled = "return ['token-name', 'token-lifetime'].every(id => \
            document.querySelector(`label[for=${id}]`) && document.getElementById(id)) \
            && document.querySelector('#token-scope legend').textContent === 'May' \
            && [...document.querySelectorAll('#token-scope input')].every(i => i.closest('label'));";
        assert_eq!(b.js(labelled).await, true, "every field has its label");
        // Every scope ticked, so that every example is shown (and must fit) at 390 px.
        b.js("document.querySelectorAll('#token-scope input').forEach(i => i.checked = true); return 0;")
            .await;
        b.js("document.getElementById('token-name').focus(); return 0;").await;
        b.press("phone sync").await;
        b.press(&fantoccini::key::Key::Enter.to_string()).await;
        let secret = poll("the new token shown", PATIENCE, async || {
            let v = b.js("const i = document.getElementById('new-token'); return i ? i.value : '';").await;
            match v.as_str() {
                Some(t) if t.starts_with("mdk_") => Ok(t.to_owned()),
                _ => Err(v.to_string()),
            }
        })
        .await;
        assert_eq!(
            b.js("return document.querySelector('button.copy').hidden;").await,
            false,
            "Copy, with JS"
        );
        assert_eq!(b.js("return document.querySelectorAll('#new-token-box pre').length;").await, 6);
        b.assert_fits("the token and its examples wrap").await;
        b.screenshot("tokens-390").await;
        let id = accounts.tokens(accounts.by_username("ann").await.unwrap().id).await.unwrap()[0].id;
        b.js(&format!(
            "document.querySelector('form[action=\"/tokens/{id}/revoke\"] button').focus(); return 0;"
        ))
        .await;
        b.press(&fantoccini::key::Key::Enter.to_string()).await;
        poll("the revoke said", PATIENCE, async || {
            let t =
                b.js("const f = document.querySelector('.flash-ok'); return f ? f.textContent : '';").await;
            if t.as_str().is_some_and(|t| t.contains("” is revoked")) { Ok(()) } else { Err(t.to_string()) }
        })
        .await;
        assert_eq!(b.count("#new-token").await, 0, "shown once");
        assert!(
            accounts.tokens(accounts.by_username("ann").await.unwrap().id).await.unwrap()[0]
                .revoked_at
                .is_some()
        );
        assert!(!secret.is_empty());
    })
    .await;
}

/// `mediadesk token` provisions a token without a browser: printed alone, so a script captures
/// it; listed; revoked; the log says the command line made it.
async fn the_command_line_makes_lists_and_revokes_tokens(env: TestEnv) {
    let s = env.start_server().await;
    s.account("amy", Role::User).await;
    let made = s.env.cli(&["token", "add", "nightly import", "--user", "amy", "--days", "30"], None);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let secret = made.stdout.trim().to_owned();
    assert!(
        secret.starts_with("mdk_") && !secret.contains(char::is_whitespace),
        "only the token: {secret:?}"
    );
    assert_eq!(upload_with(&s, &secret, &[("a.jpg", "image.jpg")], None).await.status, 200);
    let listed = s.env.cli(&["token", "list", "--user", "amy"], None);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(
        listed.stdout.contains("\tLive\tupload\tnightly import\t") && listed.stdout.contains("last used")
    );
    assert!(!listed.stdout.contains(&secret));
    let id = listed.stdout.split('\t').next().unwrap().to_owned();
    let revoked = s.env.cli(&["token", "revoke", &id, "--user", "amy"], None);
    assert_eq!((revoked.code, revoked.stdout.trim()), (0, format!("token {id} of amy revoked").as_str()));
    assert_eq!(upload_with(&s, &secret, &[("b.jpg", "image.jpg")], None).await.status, 401);
    let again = s.env.cli(&["token", "revoke", &id, "--user", "amy"], None);
    assert!(
        again.code == 1 && again.stderr.contains(&format!("no live token {id} of amy")),
        "{}",
        again.stderr
    );
    let reader = s.env.cli(&["token", "add", "site", "--user", "amy", "--scope", "read"], None);
    assert_eq!(reader.code, 0, "{}", reader.stderr);
    let api =
        reqwest::Client::new().get(format!("{}/api/v1/media", s.base)).bearer_auth(reader.stdout.trim());
    assert_eq!(Tus::send(api).await.status, 200, "a read token reads the API");
    assert!(s.env.cli(&["token", "list", "--user", "amy"], None).stdout.contains("\tLive\tread\tsite\t"));
    let wrong = s.env.cli(&["token", "add", "x", "--user", "amy", "--scope", "admin"], None);
    assert!(
        wrong.code == 1 && wrong.stderr.contains("--scope: upload, read, edit, delete or share"),
        "{}",
        wrong.stderr
    );
    let nobody = s.env.cli(&["token", "add", "x", "--user", "nobody"], None);
    assert!(nobody.code == 1 && nobody.stderr.contains("--user: no account \"nobody\""), "{}", nobody.stderr);
    let filter = AuditFilter { action: Some(AuditAction::Token), ..AuditFilter::default() };
    let rows = s.app.accounts.audit(None, &filter, None, 10).await.unwrap().entries;
    assert_eq!(rows.len(), 2, "the upload token and the read token");
    for row in &rows {
        assert_eq!((row.actor.as_deref(), row.subject.as_deref()), (None, Some("amy")), "the command line");
    }
}

/// Amy's tokens as an admin sees them: one upload token, one read token, one already revoked.
async fn tokens_of_amy(s: &TestServer) -> (i64, String, String) {
    let amy = s.account("amy", Role::User).await;
    let account = s.app.accounts.by_id(amy).await.unwrap();
    let make = |name: &'static str, scope: Scope| {
        let (accounts, account) = (s.app.accounts.clone(), account.clone());
        async move { accounts.create_token(None, &account, name, scope.into(), None).await.unwrap() }
    };
    let old = make("old laptop", Scope::Upload).await;
    s.app.accounts.revoke_token(None, &account, old.token.id).await.unwrap();
    let nightly = make("nightly", Scope::Upload).await.secret;
    let site = make("site", Scope::Read).await.secret;
    (amy, nightly, site)
}

async fn read_with(s: &TestServer, token: &str) -> u16 {
    Tus::send(reqwest::Client::new().get(format!("{}/api/v1/media", s.base)).bearer_auth(token)).await.status
}

async fn an_admin_reviews_an_accounts_tokens_and_revokes_one(env: TestEnv) {
    let s = env.start_server().await;
    let (amy, nightly, site) = tokens_of_amy(&s).await;
    let (root, _) = s.signed_in("root", Role::Admin).await;
    let (ben, ben_id) = s.signed_in("ben", Role::Staff).await;
    let ben_account = s.app.accounts.by_id(ben_id).await.unwrap();
    let bens =
        s.app.accounts.create_token(None, &ben_account, "ben's", Scope::Upload.into(), None).await.unwrap();
    let page = format!("/admin/users/{amy}/tokens");
    assert!(root.get("/admin/users").await.body.contains(&format!("href=\"{page}\">2 live access tokens")));
    let listed = root.get(&page).await;
    assert_eq!(listed.status, 200);
    for text in ["Access tokens of amy", "nightly", "Upload files", "site", "Read media (API)", "old laptop"]
    {
        assert!(listed.body.contains(text), "{text}: {}", listed.body);
    }
    assert_eq!(listed.body.matches("<strong>Revoked</strong>").count(), 1);
    assert!(!listed.body.contains(&nightly) && !listed.body.contains(&site), "never the tokens themselves");
    assert_eq!(ben.get(&page).await.status, 403, "admins only, not staff");
    assert_eq!(root.get("/admin/users/999999/tokens").await.status, 404);

    let tokens = s.app.accounts.tokens(amy).await.unwrap();
    let id_of = |name: &str| tokens.iter().find(|t| t.name == name).unwrap().id;
    let revoke = format!("/admin/users/{amy}/tokens/{}/revoke", id_of("nightly"));
    assert_eq!(ben.post("/media", &revoke, &[]).await.status, 403, "admins only");
    assert_eq!(root.post_raw(&revoke, &[]).await.status, 400, "no form token");
    // A failure revokes nothing.
    s.env.inject_db_failure("audit_log", "INSERT").await;
    assert_eq!(root.post(&page, &revoke, &[]).await.status, 503);
    s.env.clear_db_failure("audit_log", "INSERT").await;
    assert_eq!(upload_with(&s, &nightly, &[("a.jpg", "image.jpg")], None).await.status, 200);

    let done = root.post(&page, &revoke, &[]).await;
    assert_eq!((done.status, done.location()), (303, page.as_str()));
    let after = root.get(&page).await;
    assert!(after.body.contains("The token “nightly” is revoked"), "{}", after.body);
    assert_eq!(after.body.matches("<strong>Revoked</strong>").count(), 2);
    assert_eq!(upload_with(&s, &nightly, &[("b.jpg", "image.jpg")], None).await.status, 401, "ended");
    assert_eq!(read_with(&s, &site).await, 200, "the others go on");
    assert_eq!(root.post(&page, &revoke, &[]).await.status, 404, "once");
    // Another account's token is not reached through Amy's page.
    let theirs = format!("/admin/users/{amy}/tokens/{}/revoke", bens.token.id);
    assert_eq!(root.post(&page, &theirs, &[]).await.status, 404);
    assert_eq!(upload_with(&s, &bens.secret, &[("c.jpg", "image.jpg")], None).await.status, 200);
    let filter = AuditFilter { action: Some(AuditAction::RevokeToken), ..AuditFilter::default() };
    let rows = s.app.accounts.audit(None, &filter, None, 10).await.unwrap().entries;
    let by_root: Vec<_> = rows.iter().filter(|e| e.actor.as_deref() == Some("root")).collect();
    assert_eq!(by_root.len(), 1);
    assert_eq!(
        (by_root[0].subject.as_deref(), by_root[0].detail.as_deref()),
        (Some("amy"), Some("“nightly”"))
    );
}

async fn browser_an_admin_revokes_one_token_by_keyboard_at_390_px(env: TestEnv) {
    let backend = env.backend;
    let s = env.start_server().await;
    let (amy, nightly, site) = tokens_of_amy(&s).await;
    s.account("root", Role::Admin).await;
    let base = s.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.resize(390, 844).await;
        b.sign_in("root").await;
        b.goto("/admin/users").await;
        let link = format!("a[href=\"/admin/users/{amy}/tokens\"]");
        b.js(&format!("document.querySelector('{link}').focus(); return 0;")).await;
        b.press(&fantoccini::key::Key::Enter.to_string()).await;
        b.wait_for_path(&format!("/admin/users/{amy}/tokens")).await;
        b.assert_fits("no sideways scrolling at 390 px").await;
        let named = "return [...document.querySelectorAll('form button')]\
                     .map(b => b.getAttribute('aria-label'));";
        let labels = b.js(named).await;
        assert!(labels.to_string().contains("Revoke the token nightly of amy"), "{labels}");
        b.screenshot("account-tokens-390").await;
        let button = "button[aria-label=\"Revoke the token nightly of amy\"]";
        b.js(&format!("document.querySelector('{button}').focus(); return 0;")).await;
        b.press(&fantoccini::key::Key::Enter.to_string()).await;
        poll("the revoke said", PATIENCE, async || {
            let said = "const f = document.querySelector('.flash-ok'); return f ? f.textContent : '';";
            let t = b.js(said).await;
            if t.as_str().is_some_and(|t| t.contains("“nightly” is revoked")) {
                Ok(())
            } else {
                Err(t.to_string())
            }
        })
        .await;
    })
    .await;
    assert_eq!(upload_with(&s, &nightly, &[("a.jpg", "image.jpg")], None).await.status, 401);
    assert_eq!(read_with(&s, &site).await, 200);
}

//! Replacing and turning an item's file through the JSON API, on both backends. A `PUT` of the
//! new file's bytes by a token of both the upload and the edit scope (or a session sending its
//! CSRF token) puts it in place: the item keeps its address, description and tags, takes the
//! name `Content-Disposition` gives (else keeps its own), the old file becomes a version and its
//! signed link stops working, and the audit log names the token. A token of one of the two
//! scopes is refused; so are a file of the other kind, one that is no image, an empty one, one
//! over the size limit (by its announced length, before its bytes), another account's item and
//! a store that is down, each leaving the item, its versions and the store as they were. A turn
//! (`POST …/turn`) by an edit token turns a JPEG; a WebP, audio, an unknown turn or a read
//! token are refused.

use mediadesk::auth::{Role, Scope};
use mediadesk::domain::{AuditAction, AuditFilter, MediaKind, Owner};
use mediadesk::media::{Actor, MediaSettings, Upload};
use serde_json::{Value, json};

use crate::common::server::{Page, TestServer, html_unescape};
use crate::common::tus::Tus;
use crate::common::*;

backend_tests!(
    a_token_of_upload_and_edit_replaces_a_file,
    a_refused_replace_leaves_everything_as_it_was,
    an_edit_token_turns_a_photo
);

async fn upload(s: &TestServer, actor: &Actor, owner: Owner, name: &str, fixture: &str) -> (String, i64) {
    let item = s.env.media.upload(actor, Upload::new(owner, name), fixture_stream(fixture)).await.unwrap();
    (format!("/api/v1/media/{}/{}", item.kind(), item.id()), item.id())
}

/// `PUT`s `bytes` as the item's file, with `headers` besides the token.
async fn put(s: &TestServer, token: &str, path: &str, bytes: Vec<u8>, headers: &[(&str, &str)]) -> Page {
    let mut req = reqwest::Client::new().put(format!("{}{path}/file", s.base)).bearer_auth(token).body(bytes);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    Tus::send(req).await
}

fn body(page: &Page) -> Value {
    serde_json::from_str(&page.body).unwrap_or_else(|_| panic!("JSON: {} {}", page.status, page.body))
}

async fn read(s: &TestServer, token: &str, path: &str) -> Value {
    let page = Tus::send(reqwest::Client::new().get(format!("{}{path}", s.base)).bearer_auth(token)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    body(&page)
}

async fn status_of(url: &str) -> u16 {
    reqwest::get(url).await.unwrap().status().as_u16()
}

async fn a_token_of_upload_and_edit_replaces_a_file(env: TestEnv) {
    let s = env.with_trash(7).start_server().await;
    let (amy_web, amy) = s.signed_in("amy", Role::User).await;
    let a = Actor::user(amy);
    let (photo, photo_id) = upload(&s, &a, Owner::User(amy), "harbour.jpg", "image.jpg").await;
    // Made on the Tokens page, which shows how to replace a file with it.
    let fields =
        [("name", "swapper"), ("scope", "upload"), ("scope", "edit"), ("scope", "read"), ("lifetime", "30")];
    assert_eq!(amy_web.post("/tokens", "/tokens", &fields).await.status, 303);
    let made = amy_web.get("/tokens").await;
    let tok = made.all("id=\"new-token\" readonly value=\"").pop().expect("the new token is shown");
    let example = format!(
        "curl -T harbour.jpg -H \"Authorization: Bearer {tok}\" {}/api/v1/media/image/42/file",
        s.base
    );
    assert!(html_unescape(&made.body).contains(&example), "{}", made.body);
    let patch = reqwest::Client::new().patch(format!("{}{photo}", s.base)).bearer_auth(&tok);
    let change = json!({"alt_text": "Boats at dawn", "tags_add": ["harbour"]});
    let r = Tus::send(patch.header("Content-Type", "application/json").body(change.to_string())).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let before = read(&s, &tok, &photo).await;
    let old_link = before["file_url"].as_str().unwrap().to_owned();
    assert_eq!(status_of(&old_link).await, 200);

    // A PNG in place of the JPEG, named as `curl` names a file with a non-ASCII name.
    let png = fixture_bytes("image.png");
    let named = [
        ("Content-Type", "image/png"),
        ("Content-Disposition", "attachment; filename*=UTF-8''quay%C3%A9.png"),
    ];
    let r = put(&s, &tok, &photo, png.clone(), &named).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let doc = body(&r);
    assert_eq!((doc["id"].as_i64(), doc["api_url"].as_str()), (Some(photo_id), before["api_url"].as_str()));
    assert_eq!(doc["sha256"].as_str(), Some(sha256_hex(&png).as_str()));
    assert_eq!(
        (doc["content_type"].as_str(), doc["filename"].as_str()),
        (Some("image/png"), Some("quayé.png"))
    );
    assert_eq!((doc["alt_text"].as_str(), &doc["tags"]), (Some("Boats at dawn"), &json!(["harbour"])));
    let fetched = reqwest::get(doc["file_url"].as_str().unwrap()).await.unwrap().bytes().await.unwrap();
    assert_eq!(fetched.to_vec(), png, "the new link serves the new file");
    assert_ne!(status_of(&old_link).await, 200, "the old file's link stops working");
    assert_eq!(s.app.media.versions(&a, (MediaKind::Image, photo_id)).await.unwrap().len(), 1);

    // Sent without a name (as `curl -T` does), the item keeps its own.
    let jpeg = fixture_bytes("image.jpg");
    let r = put(&s, &tok, &photo, jpeg.clone(), &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let doc = body(&r);
    assert_eq!(
        (doc["content_type"].as_str(), doc["filename"].as_str()),
        (Some("image/jpeg"), Some("quayé.png"))
    );
    let download = reqwest::get(doc["download_url"].as_str().unwrap()).await.unwrap();
    let disposition = download.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.ends_with("UTF-8''quay%C3%A9.jpg"), "downloads end as the type: {disposition}");
    assert_eq!(s.app.media.versions(&a, (MediaKind::Image, photo_id)).await.unwrap().len(), 2);

    // A session replaces too, with its CSRF token; without it, nothing happens.
    let csrf = amy_web.get("/media").await.csrf();
    let url = format!("{}{photo}/file", s.base);
    let r = Tus::send(amy_web.http.put(&url).body(png.clone())).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (403, Some("page_expired")));
    let r = Tus::send(amy_web.http.put(&url).header("X-CSRF-Token", &csrf).body(png.clone())).await;
    assert_eq!((r.status, body(&r)["sha256"].as_str()), (200, Some(sha256_hex(&png).as_str())));

    // Each replace is in the audit log as Amy's; the token's name their client.
    let filter = AuditFilter { action: Some(AuditAction::Replace), ..AuditFilter::default() };
    let rows = s.app.accounts.audit(None, &filter, None, 50).await.unwrap().entries;
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows.iter().all(|r| r.actor.as_deref() == Some("amy")));
    let by_token =
        rows.iter().filter(|r| r.client.as_deref().is_some_and(|c| c.ends_with("(token “swapper”)")));
    assert_eq!(by_token.count(), 2, "{rows:?}");

    // The files it had, newest first, and a roll back to the first: the one it has now is kept.
    let versions = read(&s, &tok, &format!("{photo}/versions")).await["versions"].clone();
    let names: Vec<_> =
        versions.as_array().unwrap().iter().map(|v| v["filename"].as_str().unwrap()).collect();
    assert_eq!(names, ["quayé.png", "quayé.png", "harbour.jpg"]);
    assert_eq!(
        (versions[2]["how"].as_str(), versions[2]["content_type"].as_str()),
        (Some("replace"), Some("image/jpeg"))
    );
    let first = versions[2]["id"].as_i64().unwrap();
    let back = |t: &str, v: i64| {
        let url = format!("{}{photo}/versions/{v}/restore", s.base);
        Tus::send(reqwest::Client::new().post(url).bearer_auth(t.to_owned()))
    };
    let r = back(&tok, first).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (body(&r)["filename"].as_str(), body(&r)["sha256"].as_str()),
        (Some("harbour.jpg"), Some(sha256_hex(&jpeg).as_str()))
    );
    let versions = read(&s, &tok, &format!("{photo}/versions")).await["versions"].clone();
    assert_eq!((versions.as_array().unwrap().len(), versions[0]["how"].as_str()), (3, Some("roll_back")));
    // A read token cannot roll back, an edit-only one cannot list; an unknown version is 404.
    let (reader, editor) = (s.token(amy, &[Scope::Read], "r").await, s.token(amy, &[Scope::Edit], "e").await);
    let r = back(&reader, versions[0]["id"].as_i64().unwrap()).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (403, Some("token_scope")));
    let listed =
        Tus::send(reqwest::Client::new().get(format!("{}{photo}/versions", s.base)).bearer_auth(&editor))
            .await;
    assert_eq!(listed.status, 403);
    assert_eq!(back(&editor, 999_999).await.status, 404);
}

async fn a_refused_replace_leaves_everything_as_it_was(env: TestEnv) {
    let (store, switch) = env.faulty_store().await;
    let mut env = env;
    let settings = MediaSettings { trash_days: 7, max_upload_bytes: 20_000, ..env.settings() };
    env.media = env.media_with(store.clone(), settings);
    env.store = store;
    let s = env.start_server().await;
    let amy = s.account("amy", Role::User).await;
    let ben = s.account("ben", Role::User).await;
    let sue = s.account("sue", Role::Staff).await;
    let a = Actor::user(amy);
    let (photo, photo_id) = upload(&s, &a, Owner::User(amy), "harbour.jpg", "image.jpg").await;
    let (bens, _) = upload(&s, &Actor::user(ben), Owner::User(ben), "ben.png", "image.png").await;
    let (logo, _) = upload(&s, &Actor::staff(sue), Owner::System, "logo.png", "image.png").await;
    let tok = s.token(amy, &[Scope::Upload, Scope::Edit, Scope::Read], "swapper").await;
    let edit_only = s.token(amy, &[Scope::Edit, Scope::Read], "swapper").await;
    let upload_only = s.token(amy, &[Scope::Upload], "swapper").await;
    let before = read(&s, &tok, &photo).await;
    let objects = s.env.objects().await;

    let png = fixture_bytes("image.png");
    let over = vec![0u8; 20_001];
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (&edit_only, &photo, png.clone(), 403, "token_scope"),
        (&upload_only, &photo, png.clone(), 403, "token_scope"),
        (&tok, &photo, fixture_bytes("tone-mono-8k.wav"), 415, "type"),
        (&tok, &photo, fixture_bytes("not-an-image.jpg"), 415, "type"),
        (&tok, &photo, Vec::new(), 400, "empty"),
        (&tok, &photo, over, 413, "size"),
        (&tok, &bens, png.clone(), 404, "not_found"),
        (&tok, &logo, png.clone(), 403, "forbidden"),
        (&tok, "/api/v1/media/image/999999", png.clone(), 404, "not_found"),
        (&tok, "/api/v1/media/video/1", png.clone(), 404, "not_found"),
    ];
    for (t, path, bytes, status, code) in cases {
        let r = put(&s, t, path, bytes, &[("Content-Disposition", "attachment; filename=\"x.png\"")]).await;
        assert_eq!((r.status, body(&r)["code"].as_str()), (status, Some(code)), "{path}: {}", r.body);
    }

    // The store is down: refused as unavailable, and nothing changed once it is back.
    switch.down();
    let r = put(&s, &tok, &photo, png.clone(), &[]).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (503, Some("unavailable")), "{}", r.body);
    switch.up();

    let after = read(&s, &tok, &photo).await;
    let same = ["sha256", "filename", "content_type", "byte_size", "alt_text", "tags"];
    for k in same {
        assert_eq!(after[k], before[k], "{k}");
    }
    assert!(s.app.media.versions(&a, (MediaKind::Image, photo_id)).await.unwrap().is_empty());
    assert_eq!(s.env.objects().await, objects, "no object left behind");
}

async fn an_edit_token_turns_a_photo(env: TestEnv) {
    let s = env.with_trash(7).start_server().await;
    let amy = s.account("amy", Role::User).await;
    let a = Actor::user(amy);
    let (photo, photo_id) = upload(&s, &a, Owner::User(amy), "harbour.jpg", "image.jpg").await;
    let (spin, _) = upload(&s, &a, Owner::User(amy), "spin.webp", "image-anim.webp").await;
    let (clip, _) = upload(&s, &a, Owner::User(amy), "gulls.flac", "tone.flac").await;
    let editor = s.token(amy, &[Scope::Edit], "swapper").await;
    let reader = s.token(amy, &[Scope::Read], "swapper").await;
    let turn = async |t: &str, path: &str, body: Value| {
        let req = reqwest::Client::new().post(format!("{}{path}/turn", s.base)).bearer_auth(t);
        Tus::send(req.header("Content-Type", "application/json").body(body.to_string())).await
    };

    let r = turn(&editor, &photo, json!({"turn": "right"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let doc = body(&r);
    assert_eq!((doc["width"].as_i64(), doc["height"].as_i64()), (Some(48), Some(64)));
    assert_eq!(s.app.media.versions(&a, (MediaKind::Image, photo_id)).await.unwrap().len(), 1);

    let refused = [
        (&reader, &photo, json!({"turn": "left"}), 403, "token_scope"),
        (&editor, &photo, json!({"turn": "sideways"}), 400, "bad_request"),
        (&editor, &photo, json!({"turn": "left", "by": 90}), 400, "bad_request"),
        (&editor, &photo, json!(["left"]), 400, "bad_request"),
        (&editor, &spin, json!({"turn": "left"}), 400, "invalid"),
        (&editor, &clip, json!({"turn": "left"}), 400, "invalid"),
    ];
    for (t, path, b, status, code) in refused {
        let r = turn(t, path, b.clone()).await;
        assert_eq!((r.status, body(&r)["code"].as_str()), (status, Some(code)), "{b}: {}", r.body);
    }
    let doc = read(&s, &s.token(amy, &[Scope::Read], "swapper").await, &photo).await;
    assert_eq!(
        (doc["width"].as_i64(), doc["height"].as_i64()),
        (Some(48), Some(64)),
        "refusals turn nothing"
    );
    assert_eq!(s.app.media.versions(&a, (MediaKind::Image, photo_id)).await.unwrap().len(), 1);
}

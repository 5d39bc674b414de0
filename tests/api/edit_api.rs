//! Changing an item through the JSON API, on both backends: a token of the edit scope (or a
//! session sending its CSRF token) sets any of the description's fields, the transcript, and
//! tags to add and take off, in one `PATCH`; a field left out is kept, `null` or `""` clears;
//! the answer is the item's document, and the audit log names the token. A refusal (a field too
//! long, one the kind lacks, a tag unfit, too many, unknown fields, not JSON) and a database
//! failure keep none of the change; another account's item is 404, system media 403 to a user;
//! a read token cannot change and an edit token cannot read. A delete token sends an item to the
//! trash (restored from there or through the API), and only its account's; a failed delete
//! keeps the item.

use mediadesk::auth::{Role, Scope};
use mediadesk::domain::{AuditAction, AuditFilter, MediaKind, Owner};
use mediadesk::media::{Actor, Upload};
use serde_json::{Value, json};

use crate::common::server::{Page, TestServer};
use crate::common::tus::Tus;
use crate::common::*;

backend_tests!(
    an_edit_token_describes_and_tags_in_one_change,
    a_refused_or_failed_change_keeps_nothing,
    a_delete_token_sends_an_item_to_the_trash
);

async fn upload(s: &TestServer, actor: &Actor, owner: Owner, name: &str, fixture: &str) -> String {
    let item = s.env.media.upload(actor, Upload::new(owner, name), fixture_stream(fixture)).await.unwrap();
    format!("/api/v1/media/{}/{}", item.kind(), item.id())
}

fn with_json(req: reqwest::RequestBuilder, body: &Value) -> reqwest::RequestBuilder {
    req.header("Content-Type", "application/json").body(body.to_string())
}

/// Amy's photo and clip, Ben's image and Sue's system logo (their API addresses).
struct Library {
    photo: String,
    clip: String,
    bens: String,
    logo: String,
    ben: i64,
    sue: i64,
}

async fn library(s: &TestServer, amy: i64) -> Library {
    let ben = s.account("ben", Role::User).await;
    let sue = s.account("sue", Role::Staff).await;
    let a = Actor::user(amy);
    Library {
        photo: upload(s, &a, Owner::User(amy), "harbour.jpg", "image.jpg").await,
        clip: upload(s, &a, Owner::User(amy), "gulls.wav", "tone-mono-8k.wav").await,
        bens: upload(s, &Actor::user(ben), Owner::User(ben), "ben.png", "image.png").await,
        logo: upload(s, &Actor::staff(sue), Owner::System, "logo.png", "image.png").await,
        ben,
        sue,
    }
}

async fn patch(s: &TestServer, token: &str, path: &str, body: &Value) -> Page {
    let req = reqwest::Client::new().patch(format!("{}{path}", s.base)).bearer_auth(token);
    Tus::send(with_json(req, body)).await
}

async fn read(s: &TestServer, token: &str, path: &str) -> Value {
    let page = Tus::send(reqwest::Client::new().get(format!("{}{path}", s.base)).bearer_auth(token)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    serde_json::from_str(&page.body).unwrap()
}

/// What a change may touch of an item's document (its links are signed anew on every read).
fn facts(doc: &Value) -> Value {
    let keys = ["title", "alt_text", "caption", "credit", "transcript", "tags", "collections"];
    keys.iter().map(|k| (k.to_string(), doc[k].clone())).collect::<serde_json::Map<_, _>>().into()
}

fn body(page: &Page) -> Value {
    serde_json::from_str(&page.body).unwrap_or_else(|_| panic!("JSON: {} {}", page.status, page.body))
}

async fn changed(s: &TestServer, token: &str, path: &str, change: Value) -> Value {
    let page = patch(s, token, path, &change).await;
    assert_eq!(page.status, 200, "{change}: {}", page.body);
    body(&page)
}

async fn an_edit_token_describes_and_tags_in_one_change(env: TestEnv) {
    let s = env.start_server().await;
    let (amy_web, amy) = s.signed_in("amy", Role::User).await;
    let a = Actor::user(amy);
    let photo = upload(&s, &a, Owner::User(amy), "harbour.jpg", "image.jpg").await;
    let clip = upload(&s, &a, Owner::User(amy), "gulls.wav", "tone-mono-8k.wav").await;
    let both = s.token(amy, &[Scope::Read, Scope::Edit], "alt-bot").await;
    let missing = read(&s, &both, "/api/v1/media?only=missing-alt").await;
    assert_eq!(missing["total"], 1);

    let doc = changed(
        &s,
        &both,
        &photo,
        json!({"title": "Harbour", "alt_text": "Boats at dawn", "tags_add": ["harbour", "Dawn"]}),
    )
    .await;
    assert_eq!((doc["title"].as_str(), doc["alt_text"].as_str()), (Some("Harbour"), Some("Boats at dawn")));
    assert_eq!(doc["tags"], json!(["Dawn", "harbour"]), "the answer is the item's document");
    // A field left out is kept; null and "" clear.
    let doc = changed(&s, &both, &photo, json!({"caption": "  Low tide  ", "credit": "Amy"})).await;
    assert_eq!((doc["title"].as_str(), doc["caption"].as_str()), (Some("Harbour"), Some("Low tide")));
    let doc =
        changed(&s, &both, &photo, json!({"title": null, "credit": "", "tags_remove": ["DAWN", "never"]}))
            .await;
    assert_eq!((doc["title"].as_str(), doc["credit"].as_str()), (None, None));
    assert_eq!((doc["alt_text"].as_str(), doc["tags"].clone()), (Some("Boats at dawn"), json!(["harbour"])));
    assert_eq!(read(&s, &both, "/api/v1/media?only=missing-alt").await["total"], 0);
    // Filed in a collection and taken out again.
    let album = s.app.media.create_collection(&a, Owner::User(amy), None, "Coast").await.unwrap();
    let doc = changed(&s, &both, &photo, json!({"collections_add": [album.id, album.id]})).await;
    assert_eq!(doc["collections"][0]["name"], "Coast");
    let inside = read(&s, &both, &format!("/api/v1/media?collection={}", album.id)).await;
    assert_eq!(inside["total"], 1);
    let doc = changed(&s, &both, &photo, json!({"collections_remove": [album.id]})).await;
    assert_eq!(doc["collections"], json!([]));
    assert!(
        amy_web.get(&photo.replace("/api/v1", "")).await.body.contains("Boats at dawn"),
        "the page shows it"
    );

    let doc =
        changed(&s, &both, &clip, json!({"transcript": "Gulls over the quay.", "title": "Gulls"})).await;
    assert_eq!(
        (doc["transcript"].as_str(), doc["title"].as_str()),
        (Some("Gulls over the quay."), Some("Gulls"))
    );
    let doc = changed(&s, &both, &clip, json!({"transcript": null})).await;
    assert_eq!(doc["transcript"], Value::Null);

    // An edit-only token changes, and its answer shows the item, but it cannot list or read.
    let edit = s.token(amy, &[Scope::Edit], "alt-bot").await;
    assert_eq!(changed(&s, &edit, &photo, json!({"title": "Quay"})).await["title"], "Quay");
    let r = Tus::send(reqwest::Client::new().get(format!("{}{photo}", s.base)).bearer_auth(&edit)).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (403, Some("token_scope")));

    // A page's script changes with the session and its CSRF token; the cookie alone does not.
    let csrf = amy_web.get("/media").await.csrf();
    let url = amy_web.url(&photo);
    let with = with_json(amy_web.http.patch(&url).header("X-CSRF-Token", &csrf), &json!({"credit": "A. B."}));
    let r = Tus::send(with).await;
    assert_eq!((r.status, body(&r)["credit"].as_str()), (200, Some("A. B.")));
    let r = Tus::send(with_json(amy_web.http.patch(&url), &json!({"credit": "forged"}))).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (403, Some("page_expired")));

    // Every change is in the audit log, as Amy's, naming the token.
    let filter = AuditFilter { action: Some(AuditAction::Edit), ..AuditFilter::default() };
    let rows = s.app.accounts.audit(None, &filter, None, 50).await.unwrap().entries;
    assert!(rows.iter().all(|r| r.actor.as_deref() == Some("amy")));
    let by_token =
        rows.iter().filter(|r| r.client.as_deref().is_some_and(|c| c.ends_with("(token “alt-bot”)")));
    assert!(by_token.count() >= 8, "{rows:?}");
    assert!(rows.iter().any(|r| r.detail.as_deref() == Some("untag Dawn")));
}

async fn a_refused_or_failed_change_keeps_nothing(env: TestEnv) {
    let s = env.start_server().await;
    let amy = s.account("amy", Role::User).await;
    let Library { photo, clip, bens, logo, ben, sue } = library(&s, amy).await;
    let tok = s.token(amy, &[Scope::Read, Scope::Edit], "alt-bot").await;
    let bens_album =
        s.app.media.create_collection(&Actor::user(ben), Owner::User(ben), None, "Ben's").await.unwrap().id;
    changed(&s, &tok, &photo, json!({"alt_text": "Boats", "tags_add": ["harbour"]})).await;
    let before = facts(&read(&s, &tok, &photo).await);

    let long = "x".repeat(1001);
    let tags: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
    for (change, says) in [
        (json!({"alt_text": long, "tags_add": ["quay"]}), "at most 1000 characters"),
        (json!({"title": "ok", "tags_add": ["a,b"]}), "commas"),
        (json!({"title": "ok", "tags_add": tags}), "at most 50 tags"),
        (json!({"title": "ok", "transcript": "words"}), "an image has no transcript"),
        (json!({"title": "ok", "collections_add": [bens_album]}), "no collection you manage"),
        (json!({"title": "ok", "collections_remove": [999999]}), "no collection you manage"),
        (json!({"title": "ok", "colour": "red"}), "unknown field `colour`"),
        (json!({"title": 5}), "invalid type"),
        (json!(["title"]), "send an object"),
    ] {
        let r = patch(&s, &tok, &photo, &change).await;
        assert_eq!(r.status, 400, "{change}: {}", r.body);
        assert!(body(&r)["message"].as_str().unwrap().contains(says), "{change}: {}", r.body);
    }
    let r = patch(&s, &tok, &clip, &json!({"alt_text": "a clip", "title": "Gulls"})).await;
    assert!(r.status == 400 && r.body.contains("audio has no alt text"), "{}", r.body);
    let not_json = reqwest::Client::new()
        .patch(format!("{}{photo}", s.base))
        .bearer_auth(&tok)
        .header("Content-Type", "text/plain")
        .body("title=x");
    let r = Tus::send(not_json).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (400, Some("bad_request")));
    assert_eq!(facts(&read(&s, &tok, &photo).await), before, "nothing of a refused change is kept");
    assert_eq!(read(&s, &tok, &clip).await["title"], Value::Null);

    // Whose the item is.
    let r = patch(&s, &tok, &bens, &json!({"title": "mine now"})).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (404, Some("not_found")));
    let r = patch(&s, &tok, &logo, &json!({"title": "mine now"})).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (403, Some("forbidden")));
    let staff = s.token(sue, &[Scope::Edit], "alt-bot").await;
    assert_eq!(changed(&s, &staff, &bens, json!({"alt_text": "A boat"})).await["alt_text"], "A boat");
    let reader = s.token(amy, &[Scope::Read], "alt-bot").await;
    let r = patch(&s, &reader, &photo, &json!({"title": "x"})).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (403, Some("token_scope")));

    // The database fails part-way (putting the tag on, after the description and its audit row
    // are written and the new tag name made): none of it is kept, and the same change goes
    // through once the database does.
    let change = json!({"title": "Harbour", "tags_add": ["quay"], "tags_remove": ["harbour"]});
    let edits = format!("audit_log WHERE action = '{}'", AuditAction::Edit.as_str());
    let logged = s.env.count_rows(&edits).await;
    s.env.inject_db_failure("item_tags", "INSERT").await;
    let r = patch(&s, &tok, &photo, &change).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (503, Some("unavailable")), "{}", r.body);
    s.env.clear_db_failure("item_tags", "INSERT").await;
    assert_eq!(facts(&read(&s, &tok, &photo).await), before);
    assert_eq!(s.env.count_rows("tags WHERE name = 'quay'").await, 0, "not even the new name");
    assert_eq!(s.env.count_rows(&edits).await, logged, "nor its audit rows");
    let doc = changed(&s, &tok, &photo, change).await;
    assert_eq!((doc["title"].as_str(), doc["tags"].clone()), (Some("Harbour"), json!(["quay"])));
    let id = photo.rsplit('/').next().unwrap();
    let kind = MediaKind::Image.as_str();
    assert_eq!(s.env.count_rows(&format!("item_tags WHERE kind = '{kind}' AND item_id = {id}")).await, 1);
}

async fn delete(s: &TestServer, token: &str, path: &str) -> Page {
    Tus::send(reqwest::Client::new().delete(format!("{}{path}", s.base)).bearer_auth(token)).await
}

async fn a_delete_token_sends_an_item_to_the_trash(env: TestEnv) {
    let s = env.with_trash(30).start_server().await;
    let (amy_web, amy) = s.signed_in("amy", Role::User).await;
    let Library { photo, clip, bens, logo, .. } = library(&s, amy).await;
    let deleter = s.token(amy, &[Scope::Delete], "alt-bot").await;
    let reader = s.token(amy, &[Scope::Read, Scope::Edit], "alt-bot").await;

    // Not hers, not hers to delete, not its scope: refused, and every item still there.
    let r = delete(&s, &deleter, &bens).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (404, Some("not_found")));
    let r = delete(&s, &deleter, &logo).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (403, Some("forbidden")));
    let r = delete(&s, &reader, &photo).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (403, Some("token_scope")));
    let r = Tus::send(reqwest::Client::new().get(format!("{}{photo}", s.base)).bearer_auth(&deleter)).await;
    assert_eq!(r.status, 403, "a delete token cannot read");
    // A failure keeps the item, and leaves no object behind.
    let objects = s.env.objects().await;
    s.env.inject_db_failure("audit_log", "INSERT").await;
    let r = delete(&s, &deleter, &photo).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (503, Some("unavailable")), "{}", r.body);
    s.env.clear_db_failure("audit_log", "INSERT").await;
    assert_eq!(read(&s, &reader, "/api/v1/media").await["total"], 3, "Amy's two and the logo");
    assert_eq!(s.env.objects().await, objects, "no copy in the trash's keys, nothing removed");

    // To the trash, until a date; gone from the API; restored from the trash page.
    let r = delete(&s, &deleter, &photo).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let done = body(&r);
    assert_eq!((done["kind"].as_str(), done["trashed"].as_bool()), (Some("image"), Some(true)));
    assert!(done["trashed_until"].as_str().unwrap().ends_with('Z'));
    let r = Tus::send(reqwest::Client::new().get(format!("{}{photo}", s.base)).bearer_auth(&reader)).await;
    assert_eq!(r.status, 404);
    assert_eq!(delete(&s, &deleter, &photo).await.status, 404, "once");
    let id = photo.rsplit('/').next().unwrap();
    let back =
        amy_web.post("/trash", "/trash", &[("action", "restore"), ("item", &format!("image:{id}"))]).await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert_eq!(read(&s, &reader, &photo).await["filename"], "harbour.jpg");

    // A session deletes with its CSRF token, not with the cookie alone.
    let url = amy_web.url(&clip);
    let r = Tus::send(amy_web.http.delete(&url)).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (403, Some("page_expired")));
    let csrf = amy_web.get("/media").await.csrf();
    let r = Tus::send(amy_web.http.delete(&url).header("X-CSRF-Token", csrf)).await;
    assert_eq!((r.status, body(&r)["trashed"].as_bool()), (200, Some(true)));
    // And back, through the API: the answer is its document; not twice; not by a reader.
    let back = |t: &str| {
        let req = reqwest::Client::new().post(format!("{}{clip}/restore", s.base)).bearer_auth(t);
        Tus::send(req)
    };
    let r = back(&reader).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (403, Some("token_scope")));
    let r = back(&deleter).await;
    assert_eq!((r.status, body(&r)["filename"].as_str()), (200, Some("gulls.wav")), "{}", r.body);
    assert_eq!(back(&deleter).await.status, 404, "no longer in the trash");
    assert_eq!(read(&s, &reader, &clip).await["filename"], "gulls.wav");
    let trashed = format!("audit_log WHERE action = '{}'", AuditAction::Trash.as_str());
    assert_eq!(s.env.count_rows(&trashed).await, 2, "each delete is in the log");
}

//! The JSON API on both backends: a token of the read scope (or a session) lists what its
//! account may see with the galleries' filters and keyset pages, reads one item whole with its
//! tags, collections, regions and signed links (whose bytes are the file's), and lists
//! collections; another account's item is 404, another's listing 403; a parameter it does not
//! know or a value out of its list is a 400 naming it; a token of another scope, or none, is
//! refused in JSON; a trashed item is gone; a database failure answers 503 in JSON.

use std::collections::BTreeSet;

use mediadesk::auth::{Role, Scope};
use mediadesk::domain::{MediaKind, Owner};
use mediadesk::media::{Actor, RegionInput, Upload};
use serde_json::Value;

use crate::common::server::{Page, TestServer, html_unescape};
use crate::common::tus::Tus;
use crate::common::*;

backend_tests!(
    a_read_token_lists_and_reads_what_its_account_sees,
    listings_filter_and_page_like_the_galleries,
    api_refusals_are_json_and_name_the_parameter,
    a_database_failure_is_a_json_503
);

async fn token(s: &TestServer, user: i64, scope: Scope) -> String {
    let account = s.app.accounts.by_id(user).await.unwrap();
    s.app.accounts.create_token(None, &account, "api", scope.into(), None).await.unwrap().secret
}

/// GETs `path` (relative, or an absolute link the API gave) with `token` and nothing else.
async fn get(s: &TestServer, token: &str, path: &str) -> Page {
    let url = if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", s.base) };
    Tus::send(reqwest::Client::new().get(url).bearer_auth(token)).await
}

fn json(page: &Page) -> Value {
    assert!(page.header("content-type").starts_with("application/json"), "{}", page.body);
    serde_json::from_str(&page.body).unwrap_or_else(|_| panic!("JSON: {} {}", page.status, page.body))
}

async fn ok(s: &TestServer, token: &str, path: &str) -> Value {
    let page = get(s, token, path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    json(&page)
}

fn names(list: &Value) -> BTreeSet<String> {
    list["items"].as_array().unwrap().iter().map(|i| i["filename"].as_str().unwrap().to_owned()).collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

async fn upload(s: &TestServer, actor: &Actor, owner: Owner, name: &str, fixture: &str) -> (MediaKind, i64) {
    let item = s.env.media.upload(actor, Upload::new(owner, name), fixture_stream(fixture)).await.unwrap();
    (item.kind(), item.id())
}

/// The bytes a signed link the API gave serves, to a client with no credentials.
async fn fetched(url: &str) -> (u16, String, Vec<u8>) {
    let resp = reqwest::get(url).await.expect("GET a file link");
    let status = resp.status().as_u16();
    let disposition =
        resp.headers().get("content-disposition").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, disposition, resp.bytes().await.unwrap().to_vec())
}

async fn a_read_token_lists_and_reads_what_its_account_sees(env: TestEnv) {
    let s = env.start_server().await;
    let (amy_web, amy) = s.signed_in("amy", Role::User).await;
    let ben = s.account("ben", Role::User).await;
    let sue = s.account("sue", Role::Staff).await;
    let (amy_a, ben_a, sue_a) = (Actor::user(amy), Actor::user(ben), Actor::staff(sue));
    let photo = upload(&s, &amy_a, Owner::User(amy), "harbour.jpg", "image.jpg").await;
    let clip = upload(&s, &amy_a, Owner::User(amy), "gulls.flac", "tone.flac").await;
    let bens = upload(&s, &ben_a, Owner::User(ben), "ben.png", "image.png").await;
    upload(&s, &sue_a, Owner::System, "logo.png", "image.png").await;
    s.app.media.tag_item(&amy_a, photo, "harbour, dawn").await.unwrap();
    let region = RegionInput { label: "Gull".into(), start: "0.5".into(), end: "1.25".into() };
    s.app.media.add_region(&amy_a, clip.1, &region).await.unwrap();
    let album = s.app.media.create_collection(&amy_a, Owner::User(amy), None, "Coast").await.unwrap();
    s.app.media.add_to_collection(&amy_a, album.id, photo).await.unwrap();
    // Made on the Tokens page, which shows how to call the API with it.
    let fields = [("name", "site"), ("scope", "read"), ("lifetime", "30")];
    assert_eq!(amy_web.post("/tokens", "/tokens", &fields).await.status, 303);
    let made = amy_web.get("/tokens").await;
    let read = made.all("id=\"new-token\" readonly value=\"").pop().expect("the new token is shown");
    let example = format!("curl -H \"Authorization: Bearer {read}\" {}/api/v1/media", s.base);
    assert!(html_unescape(&made.body).contains(&example), "{}", made.body);
    assert!(made.body.contains("Read media (API)"), "its scope");

    // The listing: Amy's and system media, newest first, not Ben's.
    let list = ok(&s, &read, "/api/v1/media").await;
    assert_eq!(names(&list), set(&["harbour.jpg", "gulls.flac", "logo.png"]));
    assert_eq!((list["total"].as_i64(), list["next"].as_str()), (Some(3), None));
    assert_eq!(list["items"][0]["filename"], "logo.png", "newest first");
    let items = list["items"].as_array().unwrap();
    let find = |name: &str| items.iter().find(|i| i["filename"] == name).unwrap().clone();
    let (jpg, flac, logo) = (find("harbour.jpg"), find("gulls.flac"), find("logo.png"));
    assert_eq!(jpg["url"], format!("{}/media/image/{}", s.base, photo.1));
    assert_eq!(jpg["api_url"], format!("{}/api/v1/media/image/{}", s.base, photo.1));
    assert_eq!(jpg["owner"], serde_json::json!({"id": amy, "username": "amy"}));
    assert_eq!(logo["owner"], Value::Null, "system media");
    assert_eq!((jpg["kind"].as_str(), jpg["content_type"].as_str()), (Some("image"), Some("image/jpeg")));
    assert!(jpg["width"].as_i64().unwrap() > 0 && jpg["frames"] == 1 && jpg["loudness"].is_null());
    assert!(jpg["created_at"].as_str().unwrap().ends_with('Z'), "RFC 3339, UTC");
    let (status, _, thumb) = fetched(jpg["thumbnail_url"].as_str().unwrap()).await;
    assert!(status == 200 && thumb.starts_with(&[0xFF, 0xD8]), "a JPEG thumbnail anyone with the link gets");
    assert_eq!((flac["kind"].as_str(), flac["thumbnail_url"].as_str()), (Some("audio"), None));
    assert!(flac["duration_ms"].as_i64().unwrap() > 0 && flac["frames"].is_null());
    assert!(flac["loudness"]["integrated_lufs"].as_f64().is_some(), "{}", flac["loudness"]);
    let (status, _, played) = fetched(flac["play_url"].as_str().unwrap()).await;
    assert_eq!((status, played), (200, fixture_bytes("tone.flac")));

    // One item, whole: its bytes, tags, collections and regions.
    let doc = ok(&s, &read, jpg["api_url"].as_str().unwrap()).await;
    assert_eq!(doc["sha256"], sha256_hex(&fixture_bytes("image.jpg")));
    assert_eq!(doc["tags"], serde_json::json!(["dawn", "harbour"]));
    assert_eq!(doc["collections"][0]["name"], "Coast");
    assert_eq!(
        doc["collections"][0]["media_url"],
        format!("{}/api/v1/media?collection={}", s.base, album.id)
    );
    assert_eq!((doc["has_location"].as_bool(), doc["codec"].as_str()), (Some(false), None));
    let (status, disposition, bytes) = fetched(doc["download_url"].as_str().unwrap()).await;
    assert_eq!((status, bytes), (200, fixture_bytes("image.jpg")));
    assert!(disposition.starts_with("attachment") && disposition.contains("harbour.jpg"), "{disposition}");
    assert_eq!(fetched(doc["file_url"].as_str().unwrap()).await.2, fixture_bytes("image.jpg"));
    let doc = ok(&s, &read, flac["api_url"].as_str().unwrap()).await;
    assert_eq!((doc["codec"].as_str(), doc["channels"].as_i64()), (Some("flac"), Some(2)));
    assert!(doc["loudness"]["silence_start_ms"].is_i64() && doc["loudness"].get("range_lu").is_some());
    let gull = &doc["regions"][0];
    assert_eq!(
        (gull["label"].as_str(), gull["start_ms"].as_i64(), gull["end_ms"].as_i64()),
        (Some("Gull"), Some(500), Some(1250))
    );
    assert_eq!(gull["url"], format!("{}/media/audio/{}#t=0.5,1.25", s.base, clip.1));

    // Another account's item is not there for Amy; another account's listing is refused.
    let theirs = get(&s, &read, &format!("/api/v1/media/image/{}", bens.1)).await;
    assert_eq!((theirs.status, json(&theirs)["code"].as_str()), (404, Some("not_found")));
    let listing = get(&s, &read, &format!("/api/v1/media?owner={ben}")).await;
    assert_eq!((listing.status, json(&listing)["code"].as_str()), (403, Some("forbidden")));
    assert_eq!(
        names(&ok(&s, &read, &format!("/api/v1/media?owner={amy}")).await),
        set(&["harbour.jpg", "gulls.flac"])
    );

    // The tags on what Amy sees, not Ben's private ones.
    s.app.media.tag_item(&ben_a, bens, "ben's secret").await.unwrap();
    assert_eq!(ok(&s, &read, "/api/v1/tags").await["tags"], serde_json::json!(["dawn", "harbour"]));

    // The collections Amy sees, each with its items' listing.
    let listed = ok(&s, &read, "/api/v1/collections").await;
    assert_eq!(listed["collections"].as_array().unwrap().len(), 1);
    assert_eq!(
        (listed["collections"][0]["name"].as_str(), listed["collections"][0]["items"].as_i64()),
        (Some("Coast"), Some(1))
    );
    let inside = ok(&s, &read, listed["collections"][0]["media_url"].as_str().unwrap()).await;
    assert_eq!(names(&inside), set(&["harbour.jpg"]));

    // Staff see every account's media, named.
    let staff = token(&s, sue, Scope::Read).await;
    let all = ok(&s, &staff, "/api/v1/media").await;
    assert_eq!(all["total"], 4);
    let b = all["items"].as_array().unwrap().iter().find(|i| i["filename"] == "ben.png").unwrap().clone();
    assert_eq!(b["owner"], serde_json::json!({"id": ben, "username": "ben"}));
    assert_eq!(names(&ok(&s, &staff, &format!("/api/v1/media?owner={ben}")).await), set(&["ben.png"]));
    assert_eq!(
        ok(&s, &staff, "/api/v1/tags").await["tags"],
        serde_json::json!(["ben's secret", "dawn", "harbour"])
    );

    // A page's script reads it with the session; without either, a JSON 401.
    let by_session = amy_web.get("/api/v1/media?type=image").await;
    assert_eq!(names(&json(&by_session)), set(&["harbour.jpg", "logo.png"]));
    let nobody = s.client().get("/api/v1/media").await;
    assert_eq!((nobody.status, json(&nobody)["code"].as_str()), (401, Some("signed_out")));
    // Reading writes no audit rows, but the token's "last used".
    assert!(amy_web.get("/tokens").await.body.contains("last used"));
}

async fn listings_filter_and_page_like_the_galleries(env: TestEnv) {
    let s = env.start_server().await;
    let amy = s.account("amy", Role::User).await;
    let a = Actor::user(amy);
    let mut all = Vec::new();
    for i in 0..7 {
        let (name, fixture) = if i % 3 == 2 {
            (format!("clip {i}.wav"), "tone-mono-8k.wav")
        } else {
            (format!("photo {i}.png"), "image.png")
        };
        let item = upload(&s, &a, Owner::User(amy), &name, fixture).await;
        if i < 2 {
            s.app.media.tag_item(&a, item, "pier").await.unwrap();
        }
        all.push(name);
    }
    let read = token(&s, amy, Scope::Read).await;

    // Two at a time, following `next` with every filter kept: each item once, in order.
    let mut seen = Vec::new();
    let mut at = "/api/v1/media?per=2&sort=name".to_owned();
    loop {
        let page = ok(&s, &read, &at).await;
        assert_eq!(page["total"], 7);
        assert!(page["items"].as_array().unwrap().len() <= 2);
        seen.extend(
            page["items"].as_array().unwrap().iter().map(|i| i["filename"].as_str().unwrap().to_owned()),
        );
        match page["next"].as_str() {
            Some(next) => {
                assert!(next.contains("sort=name") && next.contains("per=2"), "{next}");
                assert_eq!(page["next_cursor"].as_str().map(|c| next.contains(c)), Some(true));
                at = next.to_owned();
            }
            None => break,
        }
    }
    all.sort();
    assert_eq!(seen, all, "every item once, by name");

    let audio = ok(&s, &read, "/api/v1/media?type=audio").await;
    assert_eq!(names(&audio), set(&["clip 2.wav", "clip 5.wav"]));
    assert_eq!(names(&ok(&s, &read, "/api/v1/media?tags=pier").await), set(&["photo 0.png", "photo 1.png"]));
    assert_eq!(names(&ok(&s, &read, "/api/v1/media?tags=nowhere").await), set(&[]));
    let found = ok(&s, &read, "/api/v1/media?q=clip%205").await;
    assert_eq!(found["items"][0]["filename"], "clip 5.wav", "best match first");
    let biggest = ok(&s, &read, "/api/v1/media?sort=size&per=1").await;
    let sizes: Vec<i64> = ok(&s, &read, "/api/v1/media").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["byte_size"].as_i64().unwrap())
        .collect();
    assert_eq!(biggest["items"][0]["byte_size"].as_i64(), sizes.iter().max().copied());
    let missing = ok(&s, &read, "/api/v1/media?only=missing-alt").await;
    assert_eq!(missing["total"], 5, "the images without alt text");
}

async fn api_refusals_are_json_and_name_the_parameter(env: TestEnv) {
    let s = env.start_server().await;
    let amy = s.account("amy", Role::User).await;
    let a = Actor::user(amy);
    let photo = upload(&s, &a, Owner::User(amy), "harbour.jpg", "image.jpg").await;
    let read = token(&s, amy, Scope::Read).await;
    let up = token(&s, amy, Scope::Upload).await;

    for (query, names) in [
        ("typ=image", "typ"),
        ("type=video", "type"),
        ("sort=biggest", "sort"),
        ("sort=relevance", "relevance"),
        ("only=blurry", "only"),
        ("owner=someone", "owner"),
        ("per=0", "per"),
        ("per=101", "per"),
        ("collection=x", "collection"),
    ] {
        let r = get(&s, &read, &format!("/api/v1/media?{query}")).await;
        assert_eq!(r.status, 400, "{query}: {}", r.body);
        let body = json(&r);
        assert_eq!(body["code"], "bad_request", "{query}");
        assert!(body["message"].as_str().unwrap().contains(names), "{query}: {}", body["message"]);
    }
    let r = get(&s, &read, "/api/v1/media?after=garbage").await;
    assert_eq!((r.status, json(&r)["code"].as_str()), (400, Some("invalid")));
    for path in ["/api/v1/nothing", "/api/v1/media/video/1", "/api/v1/media/image/999999"] {
        let r = get(&s, &read, path).await;
        assert_eq!((r.status, json(&r)["code"].as_str()), (404, Some("not_found")), "{path}");
    }

    // Each scope reaches its own addresses only.
    let r = get(&s, &up, "/api/v1/media").await;
    assert_eq!((r.status, json(&r)["code"].as_str()), (403, Some("token_scope")));
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(fixture_bytes("image.jpg")).file_name("a.jpg"));
    let posted = Tus::send(
        reqwest::Client::new().post(format!("{}/upload", s.base)).bearer_auth(&read).multipart(form),
    )
    .await;
    assert_eq!((posted.status, json(&posted)["code"].as_str()), (403, Some("token_scope")));
    let tus = Tus::send(
        reqwest::Client::new()
            .post(format!("{}/uploads/tus", s.base))
            .bearer_auth(&read)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", "10"),
    )
    .await;
    assert_eq!(tus.status, 403, "{}", tus.body);
    let page = get(&s, &read, "/media").await;
    assert_eq!((page.status, json(&page)["code"].as_str()), (403, Some("token_scope")));
    assert_eq!(s.env.count_rows("images").await, 1, "nothing uploaded");

    // A trashed item is gone from the API; a revoked token is a 401.
    let api_url = format!("/api/v1/media/image/{}", photo.1);
    assert_eq!(get(&s, &read, &api_url).await.status, 200);
    s.app.media.delete(&a, photo.0, photo.1).await.unwrap();
    assert_eq!(get(&s, &read, &api_url).await.status, 404);
    assert_eq!(ok(&s, &read, "/api/v1/media").await["total"], 0);
    let account = s.app.accounts.by_id(amy).await.unwrap();
    let id =
        s.app.accounts.tokens(amy).await.unwrap().iter().find(|t| t.scopes.contains(Scope::Read)).unwrap().id;
    s.app.accounts.revoke_token(None, &account, id).await.unwrap();
    let r = get(&s, &read, "/api/v1/media").await;
    assert_eq!((r.status, json(&r)["code"].as_str()), (401, Some("token")));
    assert!(r.header("www-authenticate").starts_with("Bearer"));
}

/// The token's "last used" cannot be written: the read is refused as unavailable, in JSON, and
/// works again once the database does.
async fn a_database_failure_is_a_json_503(env: TestEnv) {
    let s = env.start_server().await;
    let amy = s.account("amy", Role::User).await;
    upload(&s, &Actor::user(amy), Owner::User(amy), "harbour.jpg", "image.jpg").await;
    let read = token(&s, amy, Scope::Read).await;
    s.env.inject_db_failure("access_tokens", "UPDATE").await;
    let r = get(&s, &read, "/api/v1/media").await;
    assert_eq!((r.status, json(&r)["code"].as_str()), (503, Some("unavailable")), "{}", r.body);
    s.env.clear_db_failure("access_tokens", "UPDATE").await;
    assert_eq!(ok(&s, &read, "/api/v1/media").await["total"], 1);
}

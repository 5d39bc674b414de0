//! Collections through the JSON API, on both backends. An edit token makes collections (at the
//! top, inside another, the system's for staff), renames and moves them (either or both in one
//! change), files an item into one and deletes one with its sub-collections while the media
//! stay; a session does the same with its CSRF token only. Refused: other scopes, empty, long
//! and taken names, a parent of another account or none, an unknown owner or field, an array,
//! a circle, another account's collection — and a change whose rename is refused keeps its
//! move too.

use mediadesk::auth::{Role, Scope};
use mediadesk::domain::Owner;
use mediadesk::media::{Actor, Upload};
use serde_json::{Value, json};

use crate::common::server::{Page, TestServer};
use crate::common::tus::Tus;
use crate::common::*;

backend_tests!(an_edit_token_keeps_collections, refused_collection_changes_keep_everything);

fn body(page: &Page) -> Value {
    serde_json::from_str(&page.body).unwrap_or_else(|_| panic!("JSON: {} {}", page.status, page.body))
}

async fn send(s: &TestServer, token: &str, method: &str, path: &str, b: Option<Value>) -> Page {
    let mut req = reqwest::Client::new().request(method.parse().unwrap(), format!("{}{path}", s.base));
    req = req.bearer_auth(token);
    if let Some(b) = b {
        req = req.header("Content-Type", "application/json").body(b.to_string());
    }
    Tus::send(req).await
}

/// Makes a collection; its id.
async fn made(s: &TestServer, token: &str, b: Value) -> i64 {
    let r = send(s, token, "POST", "/api/v1/collections", Some(b)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    body(&r)["id"].as_i64().unwrap()
}

/// The account's collections as the API lists them: (name, parent's name, items).
async fn tree(s: &TestServer, token: &str) -> Vec<(String, Option<String>, i64)> {
    let all = body(&send(s, token, "GET", "/api/v1/collections", None).await)["collections"].clone();
    let all = all.as_array().unwrap().clone();
    let name_of =
        |id: &Value| all.iter().find(|c| c["id"] == *id).map(|c| c["name"].as_str().unwrap().to_owned());
    let mut out: Vec<_> = all
        .iter()
        .map(|c| {
            (c["name"].as_str().unwrap().to_owned(), name_of(&c["parent_id"]), c["items"].as_i64().unwrap())
        })
        .collect();
    out.sort();
    out
}

/// A request (token, method, address, body) and its refusal (status, code).
type Case<'a> = (&'a str, &'a str, &'a String, Option<Value>, u16, &'a str);

fn c(name: &str, parent: Option<&str>, items: i64) -> (String, Option<String>, i64) {
    (name.to_owned(), parent.map(str::to_owned), items)
}

async fn an_edit_token_keeps_collections(env: TestEnv) {
    let s = env.start_server().await;
    let (amy_web, amy) = s.signed_in("amy", Role::User).await;
    let sue = s.account("sue", Role::Staff).await;
    let tok = s.token(amy, &[Scope::Read, Scope::Edit], "sorter").await;
    let a = Actor::user(amy);
    let item =
        s.env.media.upload(&a, Upload::new(Owner::User(amy), "harbour.jpg"), fixture_stream("image.jpg"));
    let photo = format!("/api/v1/media/image/{}", item.await.unwrap().id());

    let r = send(&s, &tok, "POST", "/api/v1/collections", Some(json!({"name": "Coast"}))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let coast = body(&r);
    assert_eq!((coast["owner"]["id"].as_i64(), coast["parent_id"].is_null()), (Some(amy), true));
    assert_eq!(
        (coast["items"].as_i64(), coast["url"].as_str().map(|u| u.starts_with(&s.base))),
        (Some(0), Some(true))
    );
    let coast = coast["id"].as_i64().unwrap();
    let gulls = made(&s, &tok, json!({"name": "Gulls", "parent_id": coast})).await;

    // Renamed, moved to the top, then both at once.
    let gulls_at = format!("/api/v1/collections/{gulls}");
    let change = |b: Value| send(&s, &tok, "PATCH", &gulls_at, Some(b));
    let r = change(json!({"name": "Seabirds"})).await;
    assert_eq!(
        (r.status, body(&r)["name"].as_str(), body(&r)["parent_id"].as_i64()),
        (200, Some("Seabirds"), Some(coast))
    );
    let r = change(json!({"parent_id": null})).await;
    assert_eq!((r.status, body(&r)["parent_id"].is_null()), (200, true));
    let r = change(json!({"name": "Birds", "parent_id": coast})).await;
    assert_eq!(
        (r.status, body(&r)["name"].as_str(), body(&r)["parent_id"].as_i64()),
        (200, Some("Birds"), Some(coast))
    );

    // An item filed into it counts; deleting Coast takes Birds with it, and the photo stays.
    let r = send(&s, &tok, "PATCH", &photo, Some(json!({"collections_add": [gulls]}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(tree(&s, &tok).await, [c("Birds", Some("Coast"), 1), c("Coast", None, 0)]);
    // One read whole, with where it sits and what is under it; another's is not there.
    let r = send(&s, &tok, "GET", &format!("/api/v1/collections/{coast}"), None).await;
    let one = body(&r);
    assert_eq!((r.status, one["name"].as_str(), &one["path"]), (200, Some("Coast"), &json!([])));
    assert_eq!(
        (one["children"][0]["name"].as_str(), one["children"][0]["items"].as_i64()),
        (Some("Birds"), Some(1))
    );
    let one = body(&send(&s, &tok, "GET", &gulls_at, None).await);
    assert_eq!((one["path"][0]["id"].as_i64(), &one["children"]), (Some(coast), &json!([])));
    let bob = s.account("bob", Role::User).await;
    let peek = s.token(bob, &[Scope::Read], "peek").await;
    let r = send(&s, &peek, "GET", &gulls_at, None).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (404, Some("not_found")));
    let r = send(&s, &s.token(amy, &[Scope::Edit], "no read").await, "GET", &gulls_at, None).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (403, Some("token_scope")));
    let r = send(&s, &tok, "DELETE", &format!("/api/v1/collections/{coast}"), None).await;
    assert_eq!((r.status, body(&r)), (200, json!({"id": coast, "deleted": true})));
    assert_eq!(tree(&s, &tok).await, []);
    let r = send(&s, &tok, "GET", &photo, None).await;
    assert_eq!((r.status, &body(&r)["collections"]), (200, &json!([])));

    // The system's collections are staff's to make.
    let r = send(&s, &tok, "POST", "/api/v1/collections", Some(json!({"name": "Brand", "owner": "system"})))
        .await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (403, Some("forbidden")));
    let staff = s.token(sue, &[Scope::Edit], "sorter").await;
    let r =
        send(&s, &staff, "POST", "/api/v1/collections", Some(json!({"name": "Brand", "owner": "system"})))
            .await;
    assert_eq!((r.status, body(&r)["owner"].is_null()), (201, true));

    // A session, with its CSRF token only.
    let csrf = amy_web.get("/media").await.csrf();
    let post =
        || amy_web.http.post(amy_web.url("/api/v1/collections")).header("Content-Type", "application/json");
    let r = Tus::send(post().body(json!({"name": "Quay"}).to_string())).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (403, Some("page_expired")));
    let r = Tus::send(post().header("X-CSRF-Token", &csrf).body(json!({"name": "Quay"}).to_string())).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(tree(&s, &tok).await, [c("Brand", None, 0), c("Quay", None, 0)]);
}

async fn refused_collection_changes_keep_everything(env: TestEnv) {
    let s = env.start_server().await;
    let amy = s.account("amy", Role::User).await;
    let ben = s.account("ben", Role::User).await;
    let tok = s.token(amy, &[Scope::Read, Scope::Edit], "sorter").await;
    let reader = s.token(amy, &[Scope::Read, Scope::Upload, Scope::Delete, Scope::Share], "sorter").await;
    let coast = made(&s, &tok, json!({"name": "Coast"})).await;
    made(&s, &tok, json!({"name": "Harbour"})).await;
    let gulls = made(&s, &tok, json!({"name": "Gulls", "parent_id": coast})).await;
    let bens = made(&s, &s.token(ben, &[Scope::Edit], "sorter").await, json!({"name": "Ben's"})).await;
    let before = tree(&s, &tok).await;
    assert_eq!(before, [c("Coast", None, 0), c("Gulls", Some("Coast"), 0), c("Harbour", None, 0)]);

    let (list, gulls_at, coast_at) = (
        "/api/v1/collections".to_owned(),
        format!("/api/v1/collections/{gulls}"),
        format!("/api/v1/collections/{coast}"),
    );
    let (bens_at, unknown) = (format!("/api/v1/collections/{bens}"), "/api/v1/collections/999999".to_owned());
    let cases: Vec<Case> = vec![
        (&reader, "POST", &list, Some(json!({"name": "Quay"})), 403, "token_scope"),
        (&reader, "PATCH", &gulls_at, Some(json!({"name": "Quay"})), 403, "token_scope"),
        (&reader, "DELETE", &gulls_at, None, 403, "token_scope"),
        (&tok, "POST", &list, Some(json!({"name": "  "})), 400, "invalid"),
        (&tok, "POST", &list, Some(json!({"name": "n".repeat(101)})), 400, "invalid"),
        (&tok, "POST", &list, Some(json!({"name": "coast"})), 400, "invalid"),
        (&tok, "POST", &list, Some(json!({"name": "Quay", "parent_id": bens})), 404, "not_found"),
        (&tok, "POST", &list, Some(json!({"name": "Quay", "parent_id": 999_999})), 404, "not_found"),
        (&tok, "POST", &list, Some(json!({"name": "Quay", "owner": "everyone"})), 400, "bad_request"),
        (&tok, "POST", &list, Some(json!({"name": "Quay", "colour": "red"})), 400, "bad_request"),
        (&tok, "POST", &list, Some(json!(["Quay"])), 400, "bad_request"),
        // Moved to the top, then renamed as the top's Harbour: neither is kept.
        (&tok, "PATCH", &gulls_at, Some(json!({"parent_id": null, "name": "harbour"})), 400, "invalid"),
        (&tok, "PATCH", &coast_at, Some(json!({"parent_id": gulls})), 400, "invalid"),
        (&tok, "PATCH", &gulls_at, Some(json!({"name": ""})), 400, "invalid"),
        (&tok, "PATCH", &bens_at, Some(json!({"name": "Mine"})), 404, "not_found"),
        (&tok, "DELETE", &bens_at, None, 404, "not_found"),
        (&tok, "DELETE", &unknown, None, 404, "not_found"),
    ];
    for (t, method, path, b, status, code) in cases {
        let r = send(&s, t, method, path, b.clone()).await;
        assert_eq!(
            (r.status, body(&r)["code"].as_str()),
            (status, Some(code)),
            "{method} {path} {b:?}: {}",
            r.body
        );
    }
    assert_eq!(tree(&s, &tok).await, before, "nothing made, renamed, moved or deleted");
    let bens_tree = tree(&s, &s.token(ben, &[Scope::Read], "sorter").await).await;
    assert_eq!(bens_tree, [c("Ben's", None, 0)]);
}

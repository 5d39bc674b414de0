//! Share links through the JSON API, on both backends. A token of the share scope, made on the
//! Tokens page (which shows how), makes links to an item (a lifetime in seconds, a week when
//! left out, until revoked with `null`; a password, the download, a note), each answered once
//! with its address, which opens without signing in; lists them without their addresses; and
//! revokes one, which then stops opening. Each is an audit row naming the token. A session
//! lists without its CSRF token and makes links only with it. Other scopes, lifetimes out of
//! bounds or beyond the admins' cap, a note too long, an unknown field, an array, another
//! account's item or link, and unknown ones are refused and make or end nothing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use mediadesk::auth::{AuditEntry, Role, Scope};
use mediadesk::domain::{AuditAction, AuditFilter, MediaKind, Owner};
use mediadesk::media::{Actor, MediaSettings, ShareRequest, Upload};
use serde_json::{Value, json};

use crate::common::server::{Page, TestServer, html_unescape};
use crate::common::tus::Tus;
use crate::common::*;

backend_tests!(a_share_token_makes_lists_and_revokes_links, refused_links_make_and_end_nothing);

async fn upload(s: &TestServer, actor: &Actor, owner: Owner, name: &str) -> String {
    let item =
        s.env.media.upload(actor, Upload::new(owner, name), fixture_stream("image.jpg")).await.unwrap();
    format!("/api/v1/media/{}/{}", item.kind(), item.id())
}

fn body(page: &Page) -> Value {
    serde_json::from_str(&page.body).unwrap_or_else(|_| panic!("JSON: {} {}", page.status, page.body))
}

async fn make(s: &TestServer, token: &str, item: &str, link: Value) -> Page {
    let req = reqwest::Client::new().post(format!("{}{item}/shares", s.base)).bearer_auth(token);
    Tus::send(req.header("Content-Type", "application/json").body(link.to_string())).await
}

async fn listed(s: &TestServer, token: &str, item: &str) -> Page {
    Tus::send(reqwest::Client::new().get(format!("{}{item}/shares", s.base)).bearer_auth(token)).await
}

async fn revoke(s: &TestServer, token: &str, id: i64) -> Page {
    Tus::send(reqwest::Client::new().delete(format!("{}/api/v1/shares/{id}", s.base)).bearer_auth(token))
        .await
}

/// Seconds from now to a document's time.
fn from_now(at: &Value) -> i64 {
    let at: DateTime<Utc> = at.as_str().unwrap().parse().unwrap();
    (at - Utc::now()).num_seconds()
}

async fn a_share_token_makes_lists_and_revokes_links(env: TestEnv) {
    let s = env.start_server().await;
    let (amy_web, amy) = s.signed_in("amy", Role::User).await;
    let photo = upload(&s, &Actor::user(amy), Owner::User(amy), "harbour.jpg").await;
    let fields = [("name", "press-bot"), ("scope", "share"), ("lifetime", "30")];
    assert_eq!(amy_web.post("/tokens", "/tokens", &fields).await.status, 303);
    let made = amy_web.get("/tokens").await;
    let tok = made.all("id=\"new-token\" readonly value=\"").pop().expect("the new token is shown");
    let example = format!("-d '{{\"expires_in_seconds\": 86400}}' {}/api/v1/media/image/42/shares", s.base);
    assert!(html_unescape(&made.body).contains(&example), "{}", made.body);

    // A day, with the download and a note: its address opens without signing in.
    let day = json!({"expires_in_seconds": 86400, "allow_download": true, "note": "For the press"});
    let r = make(&s, &tok, &photo, day).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let first = body(&r);
    let url = first["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/s/", s.base)), "{url}");
    assert_eq!((first["state"].as_str(), first["allow_download"].as_bool()), (Some("live"), Some(true)));
    assert!((86_390..=86_400).contains(&from_now(&first["expires_at"])), "{}", first["expires_at"]);
    let visitor = s.client();
    let opened = visitor.get(&url).await;
    assert!(opened.status == 200 && opened.body.contains("For the press"), "{}", opened.body);

    // Left out, a week; `null`, until revoked, here behind a password.
    let week = body(&make(&s, &tok, &photo, json!({})).await);
    assert!((604_790..=604_800).contains(&from_now(&week["expires_at"])), "{}", week["expires_at"]);
    let r = make(&s, &tok, &photo, json!({"expires_in_seconds": null, "password": "lighthouse"})).await;
    let kept = body(&r);
    assert_eq!(
        (r.status, kept["expires_at"].is_null(), kept["has_password"].as_bool()),
        (201, true, Some(true))
    );
    let asked = visitor.get(kept["url"].as_str().unwrap()).await;
    assert!(asked.body.contains("needs a password") && !asked.body.contains("For the press"));

    // Listed newest first, never with their addresses.
    let list = body(&listed(&s, &tok, &photo).await);
    let ids: Vec<i64> =
        list["shares"].as_array().unwrap().iter().map(|l| l["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [&kept, &week, &first].map(|l| l["id"].as_i64().unwrap()));
    assert!(!list.to_string().contains("/s/"), "{list}");

    // Revoked: the address stops opening, the list says so, and a second revoke changes nothing.
    let id = first["id"].as_i64().unwrap();
    let r = revoke(&s, &tok, id).await;
    assert_eq!((r.status, body(&r)["revoked"].as_bool()), (200, Some(true)));
    assert_eq!(visitor.get(&url).await.status, 404);
    let list = body(&listed(&s, &tok, &photo).await);
    assert_eq!(list["shares"][2]["state"], "revoked");
    assert_eq!(revoke(&s, &tok, id).await.status, 200);

    // A session lists freely, and makes a link only with its CSRF token.
    let csrf = amy_web.get("/media").await.csrf();
    assert_eq!(Tus::send(amy_web.http.get(amy_web.url(&format!("{photo}/shares")))).await.status, 200);
    let post = || {
        amy_web.http.post(amy_web.url(&format!("{photo}/shares"))).header("Content-Type", "application/json")
    };
    let r = Tus::send(post().body("{}")).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (403, Some("page_expired")));
    assert_eq!(Tus::send(post().header("X-CSRF-Token", &csrf).body("{}")).await.status, 201);

    // All of Amy's links, live ones unless asked, fifty a page; only staff read everyone's.
    let page = |q: &str| {
        let url = if q.starts_with("http") { q.to_owned() } else { format!("{}/api/v1/shares{q}", s.base) };
        Tus::send(reqwest::Client::new().get(url).bearer_auth(&tok))
    };
    let live = body(&page("").await);
    assert_eq!((live["shares"].as_array().unwrap().len(), &live["next"]), (3, &Value::Null), "{live}");
    assert_eq!(body(&page("?ended=true").await)["shares"].as_array().unwrap().len(), 4);
    for (q, status) in [("?whose=all", 403), ("?colour=red", 400), ("?ended=yes", 400), ("?after=x", 400)] {
        assert_eq!(page(q).await.status, status, "{q}");
    }
    let (kind, id) = (MediaKind::Image, photo.rsplit('/').next().unwrap().parse().unwrap());
    for _ in 0..48 {
        let hour = ShareRequest { lifetime: Some(Duration::from_secs(3600)), ..ShareRequest::default() };
        s.app.media.create_share(&Actor::user(amy), kind, id, hour).await.unwrap();
    }
    let first_page = body(&page("").await);
    assert_eq!(first_page["shares"].as_array().unwrap().len(), 50);
    let rest = body(&page(first_page["next"].as_str().unwrap()).await);
    assert_eq!((rest["shares"].as_array().unwrap().len(), &rest["next"]), (1, &Value::Null));

    // The audit log has each, as Amy's, naming the token.
    let rows = |action| {
        let filter = AuditFilter { action: Some(action), ..AuditFilter::default() };
        let accounts = s.app.accounts.clone();
        async move { accounts.audit(None, &filter, None, 100).await.unwrap().entries }
    };
    let made = rows(AuditAction::Share).await;
    let by_token = |r: &&AuditEntry| r.client.as_deref().is_some_and(|c| c.ends_with("“press-bot”)"));
    assert_eq!((made.len(), made.iter().filter(by_token).count()), (52, 3), "{made:?}");
    let ended = rows(AuditAction::Unshare).await;
    assert_eq!((ended.len(), ended.iter().filter(by_token).count()), (1, 1), "{ended:?}");
}

async fn refused_links_make_and_end_nothing(mut env: TestEnv) {
    // Admins cap lifetimes at two days here.
    let settings =
        MediaSettings { share_max_lifetime: Some(Duration::from_secs(2 * 86_400)), ..env.settings() };
    env.media = env.media_with(env.store.clone(), settings);
    let s = env.start_server().await;
    let amy = s.account("amy", Role::User).await;
    let ben = s.account("ben", Role::User).await;
    let photo = upload(&s, &Actor::user(amy), Owner::User(amy), "harbour.jpg").await;
    let bens = upload(&s, &Actor::user(ben), Owner::User(ben), "ben.jpg").await;
    let bens_id: i64 = bens.rsplit('/').next().unwrap().parse().unwrap();
    let request = ShareRequest { lifetime: Some(Duration::from_secs(3600)), ..ShareRequest::default() };
    let ben_a = Actor::user(ben);
    let bens_link = s.app.media.create_share(&ben_a, MediaKind::Image, bens_id, request).await.unwrap();
    let tok = s.token(amy, &[Scope::Share], "press-bot").await;
    let others = s.token(amy, &[Scope::Upload, Scope::Read, Scope::Edit, Scope::Delete], "press-bot").await;

    for (t, item, link, status, code) in [
        (&others, &photo, json!({}), 403, "token_scope"),
        (&tok, &photo, json!({"expires_in_seconds": 60}), 400, "invalid"),
        (&tok, &photo, json!({"expires_in_seconds": 3 * 86_400}), 400, "invalid"),
        (&tok, &photo, json!({"expires_in_seconds": null}), 400, "invalid"),
        (&tok, &photo, json!({"expires_in_seconds": -5}), 400, "bad_request"),
        (&tok, &photo, json!({"note": "n".repeat(501)}), 400, "invalid"),
        (&tok, &photo, json!({"lifetime": 3600}), 400, "bad_request"),
        (&tok, &photo, json!([3600]), 400, "bad_request"),
        (&tok, &bens, json!({}), 404, "not_found"),
        (&tok, &"/api/v1/media/image/999999".to_owned(), json!({}), 404, "not_found"),
    ] {
        let r = make(&s, t, item, link.clone()).await;
        assert_eq!((r.status, body(&r)["code"].as_str()), (status, Some(code)), "{link}: {}", r.body);
    }
    let r = listed(&s, &others, &photo).await;
    assert_eq!((r.status, body(&r)["code"].as_str()), (403, Some("token_scope")));
    assert_eq!(listed(&s, &tok, &bens).await.status, 404);
    let bens_id = bens_link.share.id;
    assert_eq!(revoke(&s, &others, bens_id).await.status, 403);
    assert_eq!(revoke(&s, &tok, bens_id).await.status, 404, "another account's link");
    assert_eq!(revoke(&s, &tok, 999_999).await.status, 404);

    assert_eq!(body(&listed(&s, &tok, &photo).await)["shares"], json!([]), "no link made");
    let bens_token = s.token(ben, &[Scope::Share], "press-bot").await;
    let bens_list = body(&listed(&s, &bens_token, &bens).await);
    assert_eq!(bens_list["shares"][0]["state"], "live", "Ben's link still opens");
    // Within the cap, a link made without a lifetime lives the cap.
    let capped = body(&make(&s, &tok, &photo, json!({})).await);
    assert!((172_790..=172_800).contains(&from_now(&capped["expires_at"])), "{capped}");
}

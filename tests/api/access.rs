//! Who may do what, route by route: a matrix of role × route × owner, checked over HTTP.

use mediadesk::auth::Role;

use crate::common::server::*;
use crate::common::*;

async fn upload(c: &TestClient, name: &str, owner: Option<&str>) -> String {
    let page = c.upload(&[(name, fixture_bytes(name))], owner, false).await;
    assert!(page.body.contains("1 accepted"), "{}", page.body);
    page.all("href=\"/media/")
        .into_iter()
        .find(|h| h.starts_with("audio/"))
        .map(|h| format!("/media/{h}"))
        .unwrap()
}

/// Status of each route for an item: view, confirm delete, transcript, share.
async fn statuses(c: &TestClient, item: &str) -> [u16; 4] {
    [
        c.get(item).await.status,
        c.get(&format!("{item}/delete")).await.status,
        c.post("/media", &format!("{item}/transcript"), &[("transcript", "t")]).await.status,
        c.post("/media", &format!("{item}/share"), &[("lifetime", "300")]).await.status,
    ]
}

backend_tests!(
    every_role_gets_exactly_its_rights_on_every_route,
    downloads_name_the_file_safely,
    a_deleted_items_links_die_with_its_row_even_when_its_file_cannot_go_yet
);

/// Storage refuses every delete: the item goes, its removal is owed, the page says so, and the
/// app's own links to its file stop at once. (S3's presigned links are the store's to answer:
/// they live out their lifetime, at most the signed-URL TTL; README says so.)
async fn a_deleted_items_links_die_with_its_row_even_when_its_file_cannot_go_yet(mut env: TestEnv) {
    env.media = env.media_with(env.store_refusing_deletes(), env.settings());
    let app_links = env.s3.is_none();
    let s = env.start_server().await;
    let (c, _) = s.signed_in("amy", Role::User).await;
    let up = c.upload(&[("gone.png", fixture_bytes("image.png"))], None, true).await;
    let url = serde_json::from_str::<serde_json::Value>(&up.body).unwrap()["results"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let detail = c.get(&url).await;
    let link = html_unescape(
        detail
            .body
            .split("id=\"preview\"")
            .next()
            .unwrap()
            .rsplit("src=\"")
            .next()
            .unwrap()
            .split('"')
            .next()
            .unwrap(),
    );
    assert_eq!(c.get_bytes(&link, None).await.0, 200, "the link works while the item lives");
    let token = c.get(&format!("{url}/delete")).await.csrf();
    let done = c.post_raw(&format!("{url}/delete"), &[("csrf_token", &token)]).await;
    assert_eq!(done.status, 303);
    let page = c.get(done.location()).await;
    assert!(page.body.contains("removed from storage when it answers again"), "{}", page.body);
    assert_eq!(s.env.objects().await.len(), 2, "the objects are still there, owed a delete");
    if app_links {
        assert_eq!(c.get_bytes(&link, None).await.0, 404, "the app's link died with the row");
    }
}

async fn every_role_gets_exactly_its_rights_on_every_route(env: TestEnv) {
    let s = env.start_server().await;
    let (amy, amy_id) = s.signed_in("amy", Role::User).await;
    let (ben, _) = s.signed_in("ben", Role::User).await;
    let (sam, _) = s.signed_in("sam", Role::Staff).await;
    let (ada, _) = s.signed_in("ada", Role::Admin).await;
    let anon = s.client();
    let amys = upload(&amy, "tone-mono-8k.wav", None).await;
    let system = upload(&sam, "tone-mono-8k.wav", Some("system")).await;

    const MANAGE: [u16; 4] = [200, 200, 303, 303];
    const HIDDEN: [u16; 4] = [404, 404, 404, 404];
    const READ_ONLY: [u16; 4] = [200, 403, 403, 303];
    let matrix: [(&str, &TestClient, [u16; 4], [u16; 4]); 4] = [
        ("owner", &amy, MANAGE, READ_ONLY),
        ("other user", &ben, HIDDEN, READ_ONLY),
        ("staff", &sam, MANAGE, MANAGE),
        ("admin", &ada, MANAGE, MANAGE),
    ];
    for (who, client, on_amys, on_system) in matrix {
        assert_eq!(statuses(client, &amys).await, on_amys, "{who} on amy's item");
        assert_eq!(statuses(client, &system).await, on_system, "{who} on system media");
    }
    for item in [&amys, &system] {
        let p = anon.get(item).await;
        assert_eq!((p.status, p.location().starts_with("/signin")), (303, true), "anonymous on {item}");
        assert_eq!(anon.post_raw(&format!("{item}/delete"), &[("csrf_token", "x")]).await.status, 303);
    }
    // Galleries and administration.
    let user_gallery = format!("/media/users/{amy_id}");
    for (who, client, gallery, admin) in [
        ("owner", &amy, 200, 403),
        ("other user", &ben, 404, 403),
        ("staff", &sam, 200, 403),
        ("admin", &ada, 200, 200),
    ] {
        assert_eq!(client.get(&user_gallery).await.status, gallery, "{who} on amy's gallery");
        assert_eq!(client.get("/admin/users").await.status, admin, "{who} on /admin/users");
        assert_eq!(client.get("/media/system").await.status, 200, "{who} on system media");
    }
    // Deleting, last because it changes the state.
    assert_eq!(ben.post("/media", &format!("{amys}/delete"), &[]).await.status, 404);
    assert_eq!(amy.post("/media", &format!("{system}/delete"), &[]).await.status, 403);
    assert_eq!(ben.post("/media", &format!("{system}/delete"), &[]).await.status, 403);
    assert_eq!(sam.post("/media", &format!("{system}/delete"), &[]).await.status, 303);
    assert_eq!(amy.post("/media", &format!("{amys}/delete"), &[]).await.status, 303);
    assert_eq!(ada.get(&amys).await.status, 404);
}

async fn downloads_name_the_file_safely(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("dan", Role::User).await;
    let page = c.upload(&[("na\"me é <x>.wav", fixture_bytes("tone-mono-8k.wav"))], None, false).await;
    let item = page
        .all("href=\"/media/")
        .into_iter()
        .find(|h| h.starts_with("audio/"))
        .map(|h| format!("/media/{h}"))
        .unwrap();
    let detail = c.get(&item).await;
    let url = detail
        .all("<a href=\"")
        .into_iter()
        .find(|h| h.contains("name=") || h.contains("response-content-disposition"))
        .expect("a download link");
    let (status, headers, body) = c.get_bytes(&url, None).await;
    assert_eq!(status, 200);
    assert_eq!(body.len(), fixture_bytes("tone-mono-8k.wav").len());
    let cd = headers.get("content-disposition").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert!(
        cd.starts_with(
            "attachment; filename=\"na_me _ <x>.wav\"; filename*=UTF-8''na%22me%20%C3%A9%20%3Cx%3E.wav"
        ),
        "{cd}"
    );
    assert_eq!(headers["content-type"], "audio/wav", "the sniffed type, not a declared one");
}

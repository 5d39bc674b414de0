//! Work posted after the session ended is not lost: sign-in returns to the page it came from,
//! with the text back in its form and a message, for the same account only, and only for
//! posts from this site's own pages. Scripts get JSON they can act on.

use mediadesk::auth::Role;
use mediadesk::http_text::percent_encode;
use mediadesk::media::RegionInput;

use crate::common::server::*;
use crate::common::*;

backend_tests!(
    a_transcript_posted_after_the_session_ended_comes_back_after_sign_in,
    kept_work_goes_back_to_its_own_account_only,
    posts_from_other_sites_and_uploads_are_not_kept_but_said,
    a_bulk_selection_and_an_account_form_come_back,
    scripts_get_json_errors_they_can_act_on,
    a_region_posted_after_the_session_ended_comes_back_after_sign_in,
    a_description_and_queue_text_posted_after_the_session_ended_come_back,
    a_region_change_tags_and_collection_names_come_back
);

const IDLE: i64 = 2 * 3600;

fn work_cookie(p: &Page) -> Option<String> {
    p.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("mediadesk_work="))
        .map(str::to_owned)
}

async fn audio_item(s: &TestServer, c: &TestClient) -> String {
    let up = c.upload(&[("talk.flac", fixture_bytes("tone.flac"))], None, false).await;
    assert_eq!(up.status, 200, "{}", up.body);
    let page = c.get("/media?type=audio").await;
    page.all("href=\"/media/audio/")
        .first()
        .map(|h| format!("/media/audio/{}", h.split('?').next().unwrap()))
        .expect(&s.base)
}

async fn a_transcript_posted_after_the_session_ended_comes_back_after_sign_in(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("ann", Role::User).await;
    let item = audio_item(&s, &c).await;
    let page = format!("{item}?back=%2Fmedia%3Fq%3Dtalk");
    let token = c.get(&page).await.csrf();
    s.clock.advance(IDLE);
    let text = "Twenty minutes of careful typing: «ümlauts», & <angle brackets>.";
    let fields = [("csrf_token", token.as_str()), ("transcript", text), ("back", "/media?q=talk")];
    let post = c.post_from(&page, &format!("{item}/transcript"), &fields).await;
    assert_eq!(post.status, 303);
    assert_eq!(post.location(), format!("/signin?next={}", percent_encode(&page)), "back to the page");
    let cookie = work_cookie(&post).expect("the work is kept");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    // Nothing was saved.
    let signin = c.get(post.location()).await;
    assert_eq!(signin.status, 200);
    let token = signin.csrf();
    let form =
        [("csrf_token", token.as_str()), ("username", "ann"), ("password", "password-ann"), ("next", &page)];
    let done = c.post_raw("/signin", &form).await;
    assert_eq!((done.status, done.location()), (303, page.as_str()));
    let back = c.get(&page).await;
    assert!(back.body.contains("signed out before your transcript was saved"), "{}", back.body);
    let textarea = back.body.split("name=\"transcript\"").nth(1).unwrap();
    let shown =
        html_unescape(&textarea[textarea.find('>').unwrap() + 1..textarea.find("</textarea>").unwrap()]);
    assert_eq!(shown, text, "the text is back in the box");
    assert!(
        back.body.contains("No transcript") || !back.body.contains("<p class=\"transcript\">"),
        "unsaved"
    );
    assert!(work_cookie(&back).is_some_and(|c| c.contains("Max-Age=0")), "the cookie is removed");
    // Restored once: a reload shows the saved state.
    let again = c.get(&page).await;
    assert!(!again.body.contains("careful typing"), "restored once only");
    // Saved for real now.
    let token = again.csrf();
    let fields = [("csrf_token", token.as_str()), ("transcript", text)];
    assert_eq!(c.post_from(&page, &format!("{item}/transcript"), &fields).await.status, 303);
    assert!(html_unescape(&c.get(&item).await.body).contains("careful typing"));
}

async fn kept_work_goes_back_to_its_own_account_only(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("ann", Role::Staff).await;
    s.account("bob", Role::Staff).await;
    let item = audio_item(&s, &c).await;
    let token = c.get(&item).await.csrf();
    s.clock.advance(IDLE);
    let fields = [("csrf_token", token.as_str()), ("transcript", "ann's private notes")];
    let post = c.post_from(&item, &format!("{item}/transcript"), &fields).await;
    assert!(work_cookie(&post).is_some());
    // Bob signs in on the same browser: he is not shown Ann's text, and it is gone.
    let token = c.get("/signin").await.csrf();
    let form =
        [("csrf_token", token.as_str()), ("username", "bob"), ("password", "password-bob"), ("next", &item)];
    let done = c.post_raw("/signin", &form).await;
    assert_eq!(done.status, 303);
    assert!(work_cookie(&done).is_some_and(|c| c.contains("Max-Age=0")), "dropped at sign-in");
    let page = c.get(&item).await;
    assert!(
        !page.body.contains("private notes") && !page.body.contains("signed out before"),
        "{}",
        page.body
    );
}

async fn posts_from_other_sites_and_uploads_are_not_kept_but_said(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("ann", Role::User).await;
    let item = audio_item(&s, &c).await;
    s.clock.advance(IDLE);
    // Another site posting into this browser plants nothing.
    let req = c.http.post(c.url(&format!("{item}/transcript"))).form(&[("transcript", "planted")]);
    let req = req.header("Origin", "http://evil.example").header("Referer", "http://evil.example/x");
    let p = req.send().await.unwrap();
    assert_eq!(p.status(), 303);
    assert_eq!(p.headers()["location"], "/signin?next=%2Fmedia", "not back to another site's page");
    assert!(
        p.headers().get_all("set-cookie").iter().all(|v| !v.to_str().unwrap().starts_with("mediadesk_work"))
    );
    // An upload without the script: its files cannot wait, and sign-in says so.
    let token = c.get("/signin").await.csrf();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .part("file", reqwest::multipart::Part::bytes(fixture_bytes("image.png")).file_name("a.png"));
    let req = c.http.post(c.url("/upload")).multipart(form);
    let req = req.header("Referer", c.url("/upload")).header("Origin", c.base.clone());
    let p = req.send().await.unwrap();
    assert_eq!(
        (p.status().as_u16(), p.headers()["location"].to_str().unwrap()),
        (303, "/signin?next=%2Fupload")
    );
    let done = c.sign_in("ann", "password-ann").await;
    assert_eq!(done.status, 303);
    let upload = c.get("/upload").await;
    assert!(upload.body.contains("before the upload arrived, so nothing was stored"), "{}", upload.body);
    assert_eq!(s.env.count_rows("images").await, 0);
}

async fn a_bulk_selection_and_an_account_form_come_back(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("root", Role::Admin).await;
    for name in ["one.png", "two.png", "three.png"] {
        assert_eq!(c.upload(&[(name, fixture_bytes("image.png"))], None, false).await.status, 200);
    }
    let gallery = c.get("/media").await;
    let picks = gallery.all("name=\"item\" value=\"");
    assert_eq!(picks.len(), 3);
    let token = gallery.csrf();
    s.clock.advance(IDLE);
    let fields = [
        ("csrf_token", token.as_str()),
        ("item", picks[0].as_str()),
        ("item", picks[2].as_str()),
        ("back", "/media"),
    ];
    let post = c.post_from("/media", "/media/bulk", &fields).await;
    assert_eq!(post.location(), "/signin?next=%2Fmedia");
    assert_eq!(c.sign_in("root", "password-root").await.status, 303);
    let back = c.get("/media").await;
    assert!(back.body.contains("nothing was deleted. Your selection is ticked again"), "{}", back.body);
    let ticked: Vec<String> = back
        .body
        .split("<input type=\"checkbox\"")
        .skip(1)
        .filter(|i| i[..i.find('>').unwrap()].contains(" checked"))
        .map(|i| i.split("value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned())
        .collect();
    assert_eq!(ticked, vec![picks[0].clone(), picks[2].clone()]);
    assert_eq!(s.env.count_rows("images").await, 3, "nothing deleted");
    // The create-account form: what was typed comes back, the password does not.
    let token = c.get("/admin/users").await.csrf();
    s.clock.advance(IDLE);
    let fields = [
        ("csrf_token", token.as_str()),
        ("username", "newcomer"),
        ("password", "s3cret-pass"),
        ("role", "staff"),
    ];
    let post = c.post_from("/admin/users", "/admin/users", &fields).await;
    assert_eq!(post.location(), "/signin?next=%2Fadmin%2Fusers");
    assert_eq!(c.sign_in("root", "password-root").await.status, 303);
    let back = c.get("/admin/users").await;
    assert!(back.body.contains("value=\"newcomer\""), "{}", back.body);
    assert!(!back.body.contains("s3cret-pass"));
    let role = back.body.split("id=\"new-role\"").nth(1).unwrap().split("</select>").next().unwrap();
    assert!(role.contains("<option value=\"staff\" selected"), "the role too: {role}");
}

async fn scripts_get_json_errors_they_can_act_on(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("ann", Role::User).await;
    let expired =
        c.upload_with_token("not-the-token", &[("a.png", fixture_bytes("image.png"))], None, true).await;
    assert_eq!(expired.status, 403);
    let body: serde_json::Value = serde_json::from_str(&expired.body).unwrap();
    assert_eq!(body["code"], "page_expired", "{body}");
    let token = c.get("/upload").await.csrf();
    s.clock.advance(IDLE);
    let out = c.upload_with_token(&token, &[("a.png", fixture_bytes("image.png"))], None, true).await;
    assert_eq!(out.status, 401);
    let body: serde_json::Value = serde_json::from_str(&out.body).unwrap();
    assert_eq!(body["code"], "signed_out", "{body}");
    assert!(body["sign_in"].as_str().unwrap().starts_with("/signin?next="));
    let missing = c.get_with("/media/image/424242", &[("Accept", "application/json")]).await;
    assert_eq!(missing.status, 401, "signed out still");
    assert_eq!(c.sign_in("ann", "password-ann").await.status, 303);
    let missing = c.get_with("/media/image/424242", &[("Accept", "application/json")]).await;
    let body: serde_json::Value = serde_json::from_str(&missing.body).unwrap();
    assert_eq!((missing.status, body["code"].as_str()), (404, Some("not_found")));
}

async fn a_region_posted_after_the_session_ended_comes_back_after_sign_in(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("ann", Role::User).await;
    let item = audio_item(&s, &c).await;
    let token = c.get(&item).await.csrf();
    s.clock.advance(IDLE);
    let fields =
        [("csrf_token", token.as_str()), ("label", "Gulls & waves"), ("start", "0.2"), ("end", "0.4")];
    let post = c.post_from(&item, &format!("{item}/regions"), &fields).await;
    assert_eq!(post.status, 303);
    assert!(work_cookie(&post).is_some(), "the work is kept");
    let token = c.get(post.location()).await.csrf();
    let form =
        [("csrf_token", token.as_str()), ("username", "ann"), ("password", "password-ann"), ("next", &item)];
    assert_eq!(c.post_raw("/signin", &form).await.location(), item);
    let back = c.get(&item).await;
    assert!(back.body.contains("signed out before this region was saved"), "{}", back.body);
    let shown = html_unescape(&back.body);
    assert!(shown.contains("value=\"Gulls & waves\"") && shown.contains("value=\"0.4\""), "{shown}");
    assert!(!back.body.contains("class=\"region-play\""), "nothing was saved");
}

/// Posts `fields` from `page` to `action` after the session ended, signs in again and returns
/// the page sign-in goes back to.
async fn post_then_sign_in(
    s: &TestServer,
    c: &TestClient,
    (page, action): (&str, &str),
    fields: &[(&str, &str)],
) -> Page {
    let post = post_after_the_end(s, c, (page, action), fields).await;
    sign_in_back(c, &post, page).await
}

/// Posts `fields` from `page` to `action` after the session ended; returns the answer.
async fn post_after_the_end(
    s: &TestServer,
    c: &TestClient,
    (page, action): (&str, &str),
    fields: &[(&str, &str)],
) -> Page {
    let token = c.get(page).await.csrf();
    s.clock.advance(IDLE);
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    let post = c.post_from(page, action, &all).await;
    assert_eq!(post.status, 303);
    assert!(work_cookie(&post).is_some(), "the work is kept");
    post
}

/// Signs in from the page `post` was sent to; returns `page`, where sign-in goes back to.
async fn sign_in_back(c: &TestClient, post: &Page, page: &str) -> Page {
    let token = c.get(post.location()).await.csrf();
    let form =
        [("csrf_token", token.as_str()), ("username", "ann"), ("password", "password-ann"), ("next", page)];
    let done = c.post_raw("/signin", &form).await;
    assert_eq!((done.status, done.location()), (303, page));
    c.get(page).await
}

async fn a_description_and_queue_text_posted_after_the_session_ended_come_back(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("ann", Role::User).await;
    let up = c.upload(&[("dawn.png", fixture_bytes("image.png"))], None, false).await;
    assert!(up.body.contains("1 accepted"), "{}", up.body);
    let item = c.get("/media").await.all("<a class=\"name\" href=\"").remove(0);
    let item = item.split('?').next().unwrap().to_owned();

    let fields = [("title", "Harbour at dawn"), ("caption", "A long, careful caption.")];
    let back = post_then_sign_in(&s, &c, (&item, &format!("{item}/describe")), &fields).await;
    let body = html_unescape(&back.body);
    assert!(body.contains("signed out before the description was saved"), "{body}");
    assert!(
        body.contains("value=\"Harbour at dawn\"") && body.contains("A long, careful caption.</textarea>")
    );
    assert!(work_cookie(&back).is_some_and(|c| c.contains("Max-Age=0")), "the cookie is removed");
    assert!(!c.get(&item).await.body.contains("careful caption"), "restored once, not saved");

    // The describing queue: the text comes back into the same image's field.
    let queue = "/describe?kind=image";
    let id = item.rsplit('/').next().unwrap();
    let fields = [("kind", "image"), ("id", id), ("text", "Boats at a quay in the mist")];
    let back = post_then_sign_in(&s, &c, (queue, "/describe"), &fields).await;
    let body = html_unescape(&back.body);
    assert!(body.contains("signed out before your text was saved"), "{body}");
    assert!(body.contains("value=\"Boats at a quay in the mist\""), "{body}");
    assert!(work_cookie(&back).is_some_and(|c| c.contains("Max-Age=0")), "the cookie is removed");
    // Refused for its own reason, the item shown first: the text in its field, with why.
    let long = "x".repeat(1001);
    let refused = c.post(queue, "/describe", &[("kind", "image"), ("id", id), ("text", &long)]).await;
    assert_eq!(refused.status, 400);
    let body = html_unescape(&refused.body);
    assert!(body.contains(&format!("value=\"{long}\" autofocus")) && body.contains("aria-invalid=\"true\""));
    assert!(body.contains("at most 1000 characters") && !body.contains("Open that item"), "{body}");
}

async fn a_region_change_tags_and_collection_names_come_back(env: TestEnv) {
    let s = env.start_server().await;
    let (c, ann_id) = s.signed_in("ann", Role::User).await;
    let item = audio_item(&s, &c).await;
    let id: i64 = item.rsplit('/').next().unwrap().parse().unwrap();
    let ann = mediadesk::media::Actor::user(ann_id);
    let input =
        mediadesk::media::RegionInput { label: "Gulls".into(), start: "0.1".into(), end: "0.3".into() };
    let r = s.app.media.add_region(&ann, id, &input).await.unwrap();

    // A change to a region: back in that region's own form, open, nothing saved, with the
    // fingerprint of the region it was typed over: one someone changed meanwhile still clashes.
    let seen = r.seen();
    let action = format!("{item}/regions/{}", r.id);
    let fields = [("label", "Gulls & waves"), ("start", "0.1"), ("end", "0.5"), ("seen", seen.as_str())];
    let post = post_after_the_end(&s, &c, (&item, &action), &fields).await;
    s.app
        .media
        .update_region(&ann, (id, r.id), &RegionInput { label: "Terns".into(), ..input }, None)
        .await
        .unwrap();
    let back = sign_in_back(&c, &post, &item).await;
    let body = html_unescape(&back.body);
    assert!(body.contains("signed out before your change to the region was saved"), "{body}");
    assert!(body.contains("signed out before this change was saved; save it again."), "{body}");
    assert!(back.body.contains("<details open>"), "its form is open");
    let label =
        format!("id=\"label-{}\" name=\"label\" type=\"text\" maxlength=\"200\" required value=\"", r.id);
    assert!(body.contains(&format!("{label}Gulls & waves\"")), "{body}");
    assert!(body.contains(&format!("name=\"seen\" value=\"{seen}\"")));
    assert!(work_cookie(&back).is_some_and(|c| c.contains("Max-Age=0")), "the cookie is removed");
    assert_eq!(s.app.media.regions(&ann, id).await.unwrap()[0].label, "Terns", "not saved");
    let again = c.post(&item, &action, &fields).await;
    assert_eq!(again.status, 409, "Terns was not seen: {}", again.body);

    // Tags typed into the item's field.
    let back =
        post_then_sign_in(&s, &c, (&item, &format!("{item}/tags")), &[("tags", "harbour, night shift")])
            .await;
    let body = html_unescape(&back.body);
    assert!(body.contains("signed out before the tags were added"), "{body}");
    assert!(body.contains("name=\"tags\" type=\"text\" value=\"harbour, night shift\""), "{body}");
    assert!(!body.contains("href=\"/media?tags=harbour\""), "not added");

    // A link's lifetime, download choice and note (its password is never kept).
    let fields =
        [("lifetime", "86400"), ("download", "1"), ("note", "For the quay"), ("password", "hunter22")];
    let back = post_then_sign_in(&s, &c, (&item, &format!("{item}/share")), &fields).await;
    assert_eq!(back.status, 200);
    let body = html_unescape(&back.body);
    assert!(body.contains("signed out before the link was made"), "{body}");
    assert!(body.contains("value=\"For the quay\"") && body.contains("<option value=\"86400\" selected>"));
    assert!(body.contains("name=\"download\" value=\"1\" checked>") && !body.contains("hunter22"));
    assert_eq!(s.env.count_rows("shares").await, 0, "no link was made");

    // A new collection's name, and its place.
    let made = c.post("/collections", "/collections", &[("name", "Harbour"), ("parent", "")]).await;
    let harbour = made.location().trim_start_matches("/collections/").to_owned();
    let fields = [("name", "Night <shift>"), ("parent", harbour.as_str())];
    let back = post_then_sign_in(&s, &c, ("/collections", "/collections"), &fields).await;
    let body = html_unescape(&back.body);
    assert!(body.contains("signed out before the collection was made"), "{body}");
    assert!(body.contains("value=\"Night <shift>\""), "{body}");
    assert!(back.body.contains(&format!("<option value=\"{harbour}\" selected>")), "{}", back.body);
    assert!(!body.contains("Night <shift></a>"), "not made");

    // A rename, with the fingerprint of the name it was typed over.
    let edit = format!("/collections/{harbour}/edit");
    let seen = mediadesk::media::fingerprint(Some("Harbour"));
    let fields = [("name", "Harbour & quay"), ("seen_name", seen.as_str())];
    let back = post_then_sign_in(&s, &c, (&edit, &format!("/collections/{harbour}/rename")), &fields).await;
    let body = html_unescape(&back.body);
    assert!(body.contains("signed out before the collection was renamed"), "{body}");
    assert!(
        body.contains("value=\"Harbour & quay\"") && body.contains(&format!("value=\"{seen}\"")),
        "{body}"
    );
    assert!(work_cookie(&back).is_some_and(|c| c.contains("Max-Age=0")), "the cookie is removed");
    assert!(html_unescape(&c.get("/collections").await.body).contains(">Harbour</a>"), "not renamed");
}

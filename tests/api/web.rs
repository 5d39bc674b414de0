//! The web admin over HTTP, against the real app on a real port: every route, the role rules,
//! CSRF, sessions, uploads, signed file links, error pages and headers.

use chrono::{TimeDelta, Utc};
use mediadesk::auth::{Role, Scope};
use mediadesk::db::repo::ImageRepo;
use mediadesk::db::rows::NewImage;
use mediadesk::storage::{SignedUrlOptions, StorageKey};

use crate::common::server::*;
use crate::common::*;

/// Uploads one fixture through the form and returns its detail page path.
async fn upload_one(c: &TestClient, name: &str, owner: Option<&str>) -> String {
    let page = c.upload(&[(name, fixture_bytes(name))], owner, false).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("1 accepted, 0 refused"), "{name}: {}", page.body);
    page.all("href=\"/media/")
        .into_iter()
        .find(|h| h.starts_with("image/") || h.starts_with("audio/"))
        .map(|h| format!("/media/{h}"))
        .expect("link to the new item")
}

backend_tests!(
    anonymous_visitors_are_sent_to_sign_in,
    the_sign_in_page_tells_a_newcomer_how_to_create_the_first_admin,
    sign_in_sign_out_and_session_rotation,
    wrong_passwords_are_refused_then_throttled,
    guessing_one_account_from_many_addresses_is_throttled_too,
    forms_without_this_sessions_csrf_token_are_refused,
    uploads_report_each_file_and_one_bad_file_sinks_nothing,
    the_size_limit_is_enforced_while_reading_and_spares_the_other_files,
    the_script_uploaders_announced_size_is_held_to,
    users_upload_only_for_themselves_and_staff_choose_the_owner,
    everyone_sees_whose_each_item_is_and_staff_upload_for_themselves_by_default,
    other_peoples_media_is_invisible_and_system_media_read_only,
    detail_transcript_share_and_delete,
    bulk_delete_confirms_then_deletes,
    actions_come_back_to_the_gallery_view_they_started_from,
    flashes_stay_small_whatever_a_bulk_action_reports,
    bulk_delete_tolerates_a_stale_selection_and_says_whose_items_go,
    gallery_filters_search_sort_and_pages_by_keyset,
    signed_file_links_serve_ranges_and_refuse_tampering,
    accounts_are_managed_by_admins_only,
    requests_carry_an_id_and_metrics_count_them,
    readiness_names_the_service_that_is_down,
    metrics_are_off_unless_switched_on,
    error_pages_and_security_headers,
    sign_in_sends_back_only_to_paths_on_this_site,
    sessions_end_when_idle_and_after_their_lifetime_whatever_the_cookie_says,
    signed_in_pages_are_never_cached,
    error_pages_keep_the_navigation_and_who_is_signed_in,
    bodies_that_stop_arriving_end_their_request_and_leave_nothing
);

async fn anonymous_visitors_are_sent_to_sign_in(env: TestEnv) {
    let s = env.start_server().await;
    let c = s.client();
    for path in ["/media", "/media/system", "/upload", "/admin/users", "/media/image/1", "/media/users/1"] {
        let p = c.get(path).await;
        assert_eq!(p.status, 303, "{path}");
        assert!(p.location().starts_with("/signin?next="), "{path} → {}", p.location());
    }
    let p = c.post_raw("/media/image/1/delete", &[("csrf_token", "x")]).await;
    assert_eq!(p.status, 303);
    assert_eq!(c.get("/").await.location(), "/media");
}

async fn the_sign_in_page_tells_a_newcomer_how_to_create_the_first_admin(env: TestEnv) {
    let s = env.start_server().await;
    let page = s.client().get("/signin").await;
    assert!(page.body.contains("mediadesk user add NAME --role admin --password-stdin"), "{}", page.body);
    s.account("root", Role::Admin).await;
    assert!(!s.client().get("/signin").await.body.contains("No account exists yet"));
}

async fn sign_in_sign_out_and_session_rotation(env: TestEnv) {
    let s = env.start_server().await;
    s.account("ann", Role::User).await;
    let c = s.client();
    let before = c.get("/signin").await;
    let anon_cookie = before.header("set-cookie").to_owned();
    let token = before.csrf();
    let ok = c
        .post_raw(
            "/signin",
            &[("csrf_token", &token), ("username", "ann"), ("password", "password-ann"), ("next", "/upload")],
        )
        .await;
    assert_eq!((ok.status, ok.location()), (303, "/upload"));
    let session_cookie = ok.header("set-cookie").split(';').next().unwrap().to_owned();
    assert_ne!(anon_cookie.split(';').next().unwrap(), session_cookie, "the session is renewed on sign-in");
    assert!(ok.header("set-cookie").contains("HttpOnly") && ok.header("set-cookie").contains("SameSite=Lax"));
    assert_eq!(c.get("/media").await.status, 200);
    // Off-site `next` values are ignored.
    let c2 = s.client();
    let t = c2.get("/signin").await.csrf();
    let p = c2
        .post_raw(
            "/signin",
            &[
                ("csrf_token", &t),
                ("username", "ann"),
                ("password", "password-ann"),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(p.location(), "/media");
    // Sign-out ends the session everywhere: the old cookie no longer works.
    let out = c.post("/media", "/signout", &[]).await;
    assert_eq!((out.status, out.location()), (303, "/signin"));
    let replay = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = replay.get(format!("{}/media", s.base)).header("Cookie", &session_cookie).send().await.unwrap();
    assert_eq!(r.status(), 303, "a signed-out session cookie must be dead");
    assert_eq!(c2.get("/media").await.status, 303, "sign-out ends the account's other sessions too");
}

async fn wrong_passwords_are_refused_then_throttled(env: TestEnv) {
    let s = env.start_server().await;
    s.account("bob", Role::User).await;
    let c = s.client();
    let p = c.sign_in("bob", "nope-nope").await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains("wrong username or password"));
    let unknown = c.sign_in("nobody", "nope-nope").await;
    assert!(unknown.body.contains("wrong username or password"), "an unknown name reads the same");
    for _ in 0..4 {
        c.sign_in("bob", "nope-nope").await;
    }
    let throttled = c.sign_in("bob", "password-bob").await;
    assert_eq!(throttled.status, 429, "even the right password waits after 5 failures");
    assert!(throttled.body.contains("too many failed sign-ins"));
}

async fn guessing_one_account_from_many_addresses_is_throttled_too(env: TestEnv) {
    let s = env.start_server_configured(|w| w.trust_forwarded = true).await;
    s.account("carl", Role::User).await;
    let from = |i: u32, password: &str| {
        let c = s.client();
        let password = password.to_owned();
        async move {
            let address = format!("198.51.100.{i}");
            let token = c.get("/signin").await.csrf();
            let fields =
                [("csrf_token", token.as_str()), ("username", "carl"), ("password", password.as_str())];
            let resp = c.http.post(c.url("/signin")).header("X-Forwarded-For", address).form(&fields).send();
            resp.await.unwrap().status().as_u16()
        }
    };
    // Two wrong guesses from each of ten addresses: each address stays under its own limits.
    for i in 1..=10 {
        assert_eq!(from(i, "wrong-wrong-1").await, 401);
        assert_eq!(from(i, "wrong-wrong-2").await, 401);
    }
    assert_eq!(from(11, "password-carl").await, 429, "20 failures anywhere hold the account");
    // Other accounts are not affected.
    s.account("dora", Role::User).await;
    assert_eq!(s.client().sign_in("dora", "password-dora").await.status, 303);
}

async fn forms_without_this_sessions_csrf_token_are_refused(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("cat", Role::Admin).await;
    let (other, _) = s.signed_in("dog", Role::Admin).await;
    let foreign = other.get("/upload").await.csrf();
    let path = upload_one(&c, "image.png", Some("system")).await;
    for token in ["", "0000", foreign.as_str()] {
        let p = c.post_raw(&format!("{path}/delete"), &[("csrf_token", token)]).await;
        assert_eq!(p.status, 403, "token {token:?}");
        assert!(p.body.contains("This form has expired"));
        let p = c.upload_with_token(token, &[("a.png", fixture_bytes("image.png"))], None, false).await;
        assert_eq!(p.status, 403);
        let p = c
            .post_raw(
                "/admin/users",
                &[
                    ("csrf_token", token),
                    ("username", "eve"),
                    ("password", "password-eve"),
                    ("role", "admin"),
                ],
            )
            .await;
        assert_eq!(p.status, 403);
        let p = c.post_raw("/signout", &[("csrf_token", token)]).await;
        assert_eq!(p.status, 403);
    }
    assert_eq!(c.get(&path).await.status, 200, "nothing was deleted");
    assert!(!c.get("/admin/users").await.body.contains(">eve<"));
}

async fn uploads_report_each_file_and_one_bad_file_sinks_nothing(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("ed", Role::User).await;
    let page = c
        .upload(
            &[
                ("photo.jpg", fixture_bytes("image.jpg")),
                ("evil.png", fixture_bytes("elf-renamed.png")),
                ("song.mp3", fixture_bytes("tone-cbr.mp3")),
                ("bomb.png", fixture_bytes("pixel-flood.png")),
                ("empty.wav", Vec::new()),
            ],
            None,
            false,
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("2 accepted, 3 refused"), "{}", page.body);
    assert!(
        page.body.contains("not an accepted type")
            && page.body.contains("megapixels")
            && page.body.contains("empty")
    );
    let gallery = c.get("/media").await;
    assert!(
        gallery.body.contains("Showing 1–2 of 2")
            && gallery.body.contains("photo.jpg")
            && gallery.body.contains("song.mp3")
    );
    // The JavaScript path gets the same per-file results as JSON.
    let json = c.upload(&[("x.gif", fixture_bytes("image-anim.gif"))], None, true).await;
    assert_eq!(json.header("content-type"), "application/json");
    assert!(
        json.body.contains("\"ok\":true") && json.body.contains("\"url\":\"/media/image/"),
        "{}",
        json.body
    );
    let json = c.upload(&[("x.html", b"<html></html>".to_vec())], None, true).await;
    assert_eq!(json.status, 415, "one refused file answers its refusal: {}", json.body);
    assert!(json.body.contains("\"code\":\"type\""), "{}", json.body);
    // Nothing chosen.
    let none = c.upload(&[], None, false).await;
    assert_eq!(none.status, 400);
    assert!(none.body.contains("Choose at least one file"));
}

async fn the_size_limit_is_enforced_while_reading_and_spares_the_other_files(env: TestEnv) {
    let s = env.start_server_with_limit(64 * 1024).await;
    let (c, _) = s.signed_in("max", Role::User).await;
    let mut big = wav_bytes(1);
    big.truncate(64 * 1024 + 1);
    let page = c.upload(&[("big.wav", big), ("ok.png", fixture_bytes("image.png"))], None, false).await;
    assert!(
        page.body.contains("1 accepted, 1 refused") && page.body.contains("larger than the 64 KiB limit"),
        "{}",
        page.body
    );
    assert!(c.get("/upload").await.body.contains("up to 64 KiB each"));
    assert_eq!(s.env.settled_spool().await, 0);
    // An oversized ordinary form gets the 413 page.
    let audio = upload_one(&c, "tone-mono-8k.wav", None).await;
    let huge = "x".repeat(2 * 1024 * 1024);
    let p = c.post(&audio, &format!("{audio}/transcript"), &[("transcript", &huge)]).await;
    assert_eq!(p.status, 413);
    assert!(p.body.contains("413 ·") && p.body.contains("too large"));
}

async fn the_script_uploaders_announced_size_is_held_to(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("ann", Role::User).await;
    let wav = wav_bytes(30);
    let post = |size: u64| {
        let (c, wav) = (c.clone(), wav.clone());
        async move {
            let token = c.get("/upload").await.csrf();
            let form = reqwest::multipart::Form::new()
                .text("csrf_token", token)
                .text("size", size.to_string())
                .part("file", reqwest::multipart::Part::bytes(wav).file_name("a.wav"));
            c.http
                .post(c.url("/upload"))
                .header("Accept", "application/json")
                .multipart(form)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let ok = post(wav.len() as u64).await;
    assert!(ok.contains("\"ok\":true"), "{ok}");
    let short = post(wav.len() as u64 - 1).await;
    assert!(short.contains("\"code\":\"invalid\"") && short.contains("announced"), "{short}");
    let huge = post(1 << 40).await;
    assert!(huge.contains("\"code\":\"size\"") && huge.contains("limit"), "{huge}");
    assert_eq!(s.env.count_rows("audios").await, 1);
    assert_eq!(s.env.objects().await.len(), 1);
}

async fn users_upload_only_for_themselves_and_staff_choose_the_owner(env: TestEnv) {
    let s = env.start_server().await;
    let (user, uid) = s.signed_in("fay", Role::User).await;
    let page = user.upload(&[("a.png", fixture_bytes("image.png"))], Some("system"), false).await;
    assert!(page.status == 403 && page.body.contains("not allowed"), "{}", page.body);
    assert!(!user.get("/upload").await.body.contains("id=\"owner\""), "users get no owner chooser");
    let (staff, _) = s.signed_in("gus", Role::Staff).await;
    assert!(staff.get("/upload").await.body.contains("id=\"owner\""));
    let path = upload_one(&staff, "image.png", Some(&uid.to_string())).await;
    assert_eq!(user.get(&path).await.status, 200, "the item belongs to fay");
    assert!(user.get("/media").await.body.contains("image.png"));
}

async fn everyone_sees_whose_each_item_is_and_staff_upload_for_themselves_by_default(env: TestEnv) {
    let s = env.start_server().await;
    let (staff, _) = s.signed_in("hal", Role::Staff).await;
    let form = staff.get("/upload").await;
    assert!(form.body.contains("<option value=\"\" selected>Me (hal)</option>"), "{}", form.body);
    // No owner chosen: the staff member's own gallery, never the system's.
    let mine = upload_one(&staff, "image.png", None).await;
    assert!(staff.get(&mine).await.body.contains("<dd>hal</dd>"), "owned by hal");
    // The chooser remembers the last choice.
    upload_one(&staff, "image.webp", Some("system")).await;
    let again = staff.get("/upload").await;
    assert!(again.body.contains("<option value=\"system\" selected>"), "{}", again.body);
    // A user sees whose each card is, a "My media" link and an owner filter.
    let (user, _) = s.signed_in("ivy", Role::User).await;
    upload_one(&user, "tone-mono-8k.wav", None).await;
    let all = user.get("/media").await;
    assert!(all.body.contains("href=\"/media?owner=mine\""), "a My media link");
    assert!(all.body.contains("<span class=\"owner\">Mine</span>"));
    assert!(all.body.contains("<span class=\"owner\">System</span>"));
    assert!(all.body.contains("<option value=\"mine\""), "the owner filter");
    let own = user.get("/media?owner=mine").await;
    assert!(own.body.contains("tone-mono-8k.wav") && !own.body.contains("image.webp"));
    assert!(own.body.contains("aria-current=\"page\">My media"));
    let system = user.get("/media?owner=system").await;
    assert!(system.body.contains("image.webp") && !system.body.contains("tone-mono-8k.wav"));
    // Another account's id is not a way in: it is everything ivy may see, hal's own item not.
    let other = user.get("/media?owner=1").await;
    assert!(!other.body.contains(">image.png<"), "hal's item stays invisible");
}

async fn other_peoples_media_is_invisible_and_system_media_read_only(env: TestEnv) {
    let s = env.start_server().await;
    let (a, _) = s.signed_in("amy", Role::User).await;
    let (b, bid) = s.signed_in("ben", Role::User).await;
    let (staff, _) = s.signed_in("sue", Role::Staff).await;
    let amys = upload_one(&a, "image.png", None).await;
    let system = upload_one(&staff, "tone-cbr.mp3", Some("system")).await;
    // Ben: Amy's item does not exist for him.
    assert_eq!(b.get(&amys).await.status, 404);
    assert_eq!(b.get(&format!("{amys}/delete")).await.status, 404);
    assert_eq!(b.post("/media", &format!("{amys}/delete"), &[]).await.status, 404);
    assert_eq!(b.post("/media", &format!("{amys}/share"), &[("lifetime", "300")]).await.status, 404);
    assert!(!b.get("/media").await.body.contains("image.png"));
    assert_eq!(b.get(&format!("/media/users/{bid}")).await.status, 200);
    assert_eq!(b.get(&format!("/media/users/{}", bid - 1)).await.status, 404, "another user's gallery");
    let bulk = b
        .post(
            "/media",
            "/media/bulk",
            &[("item", &amys.trim_start_matches("/media/").replace('/', ":")), ("step", "delete")],
        )
        .await;
    assert_eq!(bulk.status, 303);
    assert_eq!(a.get(&amys).await.status, 200, "bulk delete of someone else's item deleted nothing");
    // System media: visible, not deletable by users.
    assert_eq!(b.get(&system).await.status, 200);
    assert!(b.get("/media").await.body.contains("tone-cbr.mp3"));
    assert_eq!(b.post("/media", &format!("{system}/delete"), &[]).await.status, 403);
    assert_eq!(b.post("/media", &format!("{system}/transcript"), &[("transcript", "x")]).await.status, 403);
    assert!(!b.get(&system).await.body.contains("Delete this"));
    // Staff manage everything.
    assert_eq!(staff.post("/media", &format!("{amys}/delete"), &[]).await.status, 303);
    assert_eq!(a.get(&amys).await.status, 404);
}

async fn detail_transcript_share_and_delete(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("hal", Role::User).await;
    let audio = upload_one(&c, "tone.flac", None).await;
    let page = c.get(&audio).await;
    assert!(
        page.body.contains("<audio")
            && page.body.contains("48000 Hz")
            && page.body.contains("stereo")
            && page.body.contains("0:02")
    );
    assert!(
        page.body.contains("<svg class=\"wave\" id=\"wave\"")
            && page.body.contains("aria-label=\"Waveform of tone.flac\"")
    );
    assert!(c.get("/media").await.body.contains("class=\"mini-wave\""), "gallery rows show a mini waveform");
    assert!(c.get("/media?q=hello").await.body.contains("0 items"));
    let saved = c.post(&audio, &format!("{audio}/transcript"), &[("transcript", "Hello <b>world</b>")]).await;
    assert_eq!((saved.status, saved.location()), (303, audio.as_str()));
    let page = c.get(&audio).await;
    assert!(
        page.body.contains("Transcript saved.") && page.body.contains("Hello &#60;b&#62;world&#60;/b&#62;"),
        "escaped: {}",
        page.body
    );
    assert!(c.get("/media?q=hello").await.body.contains("Showing 1–1 of 1"), "transcripts are searched");
    // A share link with a chosen lifetime works without a session; the post answers with a
    // redirect, so a reload does not post again, and the page shows the link once.
    let shared = c.post(&audio, &format!("{audio}/share"), &[("lifetime", "300")]).await;
    assert_eq!((shared.status, shared.location()), (303, format!("{audio}#shares").as_str()));
    let shared = c.get(&audio).await;
    let link = shared.all("id=\"share-url\" readonly value=\"").remove(0);
    assert!(link.starts_with("http") && link.contains("/s/"), "{link}");
    assert!(c.get(&audio).await.all("id=\"share-url\"").is_empty(), "shown once");
    let anon = reqwest::get(&link).await.unwrap();
    assert_eq!(anon.status(), 200);
    let bytes = reqwest::get(format!("{link}/file")).await.unwrap();
    assert_eq!(bytes.status(), 200);
    assert_eq!(bytes.bytes().await.unwrap().len(), fixture_bytes("tone.flac").len());
    assert_eq!(c.post(&audio, &format!("{audio}/share"), &[("lifetime", "999999999")]).await.status, 400);
    // Delete asks first, then removes the item and the link stops working.
    let confirm = c.get(&format!("{audio}/delete")).await;
    assert!(confirm.body.contains("Delete 1 item?") && confirm.body.contains("tone.flac"));
    let done = c.post(&format!("{audio}/delete"), &format!("{audio}/delete"), &[("step", "delete")]).await;
    assert_eq!((done.status, done.location()), (303, "/media"));
    assert!(c.get("/media").await.body.contains("Deleted tone.flac."));
    assert_eq!(c.get(&audio).await.status, 404);
    assert_eq!(reqwest::get(&link).await.unwrap().status(), 404, "the share died with the item");
}

async fn actions_come_back_to_the_gallery_view_they_started_from(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("joe", Role::User).await;
    for name in ["image.png", "image.jpg", "image.webp", "tone-mono-8k.wav"] {
        upload_one(&c, name, None).await;
    }
    // A filtered, sorted second page.
    let first = c.get("/media?type=image&sort=name&per=1").await;
    let next = first.rel("next").unwrap();
    let view = next;
    let page = c.get(&view).await;
    let detail = page.all("<a class=\"name\" href=\"").remove(0);
    assert!(detail.contains("back="), "{detail}");
    // The detail page goes back to exactly that view, and so does a delete from it.
    let item = c.get(&detail).await;
    let gallery_link = item
        .body
        .split("\" id=\"to-gallery\">Gallery</a>")
        .next()
        .unwrap()
        .rsplit("<a href=\"")
        .next()
        .unwrap();
    assert_eq!(html_unescape(gallery_link), view);
    let item_path = detail.split('?').next().unwrap().to_owned();
    let confirm = c.get(&item.all("class=\"button danger\" href=\"").remove(0)).await;
    assert_eq!(confirm.status, 200);
    let token = confirm.csrf();
    let back_field = confirm.all("name=\"back\" value=\"").remove(0);
    assert_eq!(back_field, view);
    let done =
        c.post_raw(&format!("{item_path}/delete"), &[("csrf_token", &token), ("back", &back_field)]).await;
    assert_eq!((done.status, done.location()), (303, view.as_str()));
    // Bulk delete from the same view comes back to it.
    let page = c.get(&view).await;
    let pick = page.all("name=\"item\" value=\"").remove(0);
    let bulk_back = page.all("name=\"back\" value=\"").remove(0);
    assert_eq!(bulk_back, view);
    let confirm = c
        .post_raw(
            "/media/bulk",
            &[("csrf_token", &page.csrf()), ("step", "confirm"), ("item", &pick), ("back", &bulk_back)],
        )
        .await;
    let done = c
        .post_raw(
            "/media/bulk",
            &[("csrf_token", &confirm.csrf()), ("step", "delete"), ("item", &pick), ("back", &bulk_back)],
        )
        .await;
    assert_eq!((done.status, done.location()), (303, view.as_str()));
    // A return path that is not a gallery view is not followed.
    let evil = c
        .post_raw(
            "/media/bulk",
            &[("csrf_token", &page.csrf()), ("step", "delete"), ("back", "//evil.example")],
        )
        .await;
    assert_eq!(evil.location(), "/media");
    // GET of an address forms post to goes to its page instead of a 404.
    assert_eq!(c.get("/media/bulk").await.location(), "/media");
    let audio = c.get("/media?type=audio").await.all("<a class=\"name\" href=\"").remove(0);
    let audio = audio.split('?').next().unwrap().to_owned();
    assert_eq!(c.get(&format!("{audio}/share")).await.location(), audio);
    assert_eq!(c.get(&format!("{audio}/transcript")).await.location(), audio);
    assert_eq!(c.get("/signout").await.status, 303);
    assert_eq!(c.get("/media").await.status, 200, "a GET does not sign out");
}

async fn bulk_delete_confirms_then_deletes(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("ida", Role::Staff).await;
    let one = upload_one(&c, "image.png", Some("system")).await;
    let two = upload_one(&c, "tone-mono-8k.wav", Some("system")).await;
    let items: Vec<String> =
        [&one, &two].iter().map(|p| p.trim_start_matches("/media/").replace('/', ":")).collect();
    let confirm = c
        .post("/media", "/media/bulk", &[("step", "confirm"), ("item", &items[0]), ("item", &items[1])])
        .await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Delete 2 items?"));
    let token = confirm.csrf();
    let done = c
        .post_raw(
            "/media/bulk",
            &[("csrf_token", &token), ("step", "delete"), ("item", &items[0]), ("item", &items[1])],
        )
        .await;
    assert_eq!(done.status, 303);
    let gallery = c.get("/media").await;
    assert!(gallery.body.contains("Deleted 2 items.") && gallery.body.contains("Nothing here yet"));
    assert!(!gallery.body.contains("Delete selected"), "no bulk button with nothing to select");
    let none = c.post("/media", "/media/bulk", &[("step", "confirm")]).await;
    assert_eq!(none.status, 303, "nothing selected goes back with a message");
}

async fn bulk_delete_tolerates_a_stale_selection_and_says_whose_items_go(env: TestEnv) {
    let s = env.start_server().await;
    let (amy, _) = s.signed_in("amy", Role::User).await;
    let picks: Vec<String> = {
        let mut v = Vec::new();
        for name in ["image.png", "image.jpg", "tone-mono-8k.wav"] {
            v.push(upload_one(&amy, name, None).await.trim_start_matches("/media/").replace('/', ":"));
        }
        v
    };
    // Staff see whose the items are, with thumbnails.
    let (sue, _) = s.signed_in("sue", Role::Staff).await;
    let fields: Vec<(&str, &str)> = picks.iter().map(|p| ("item", p.as_str())).collect();
    let confirm = sue.post("/media", "/media/bulk", &[&[("step", "confirm")][..], &fields].concat()).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("3 of these belong to amy."), "{}", confirm.body);
    assert_eq!(confirm.all("<img src=\"").len(), 2, "a thumbnail for each image");
    // Amy deletes one of them in another tab; the selection goes on without it.
    let first = picks[0].replace(':', "/");
    assert_eq!(amy.post("/media", &format!("/media/{first}/delete"), &[]).await.status, 303);
    let confirm = amy.post("/media", "/media/bulk", &[&[("step", "confirm")][..], &fields].concat()).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Delete 2 items?") && confirm.body.contains("2 of these are yours."));
    assert!(confirm.body.contains("1 item was gone since you chose it and left out."));
    let token = confirm.csrf();
    let done = amy
        .post_raw(
            "/media/bulk",
            &[&[("csrf_token", token.as_str()), ("step", "delete")][..], &fields].concat(),
        )
        .await;
    assert_eq!(done.status, 303);
    let gallery = amy.get("/media").await;
    assert!(gallery.body.contains("Deleted 2 items.") && gallery.body.contains("1 item was already gone."));
    assert!(gallery.body.contains("flash-note"), "what was gone is a note, not a success or an error");
    // Nothing left to delete: no green message, no confirmation page.
    let again = amy.post("/media", "/media/bulk", &[&[("step", "confirm")][..], &fields].concat()).await;
    assert_eq!(again.status, 303);
    let after = amy.get("/media").await;
    assert!(after.body.contains("Nothing to delete") && !after.body.contains("flash-ok"));
}

async fn flashes_stay_small_whatever_a_bulk_action_reports(env: TestEnv) {
    let s = env.start_server().await;
    // 150 system items a user may see but not delete: 150 refusals to report.
    let mut pooled = s.env.db.get().await.unwrap();
    let mut picks = Vec::new();
    for i in 0..150 {
        let (name, key) = (format!("sys-{i:03}.jpg"), format!("system/sys-{i:03}.jpg"));
        let new = NewImage {
            owner_id: None,
            uploader_id: None,
            original_filename: &name,
            content_type: "image/jpeg",
            byte_size: 10,
            sha256: "0",
            storage_key: &key,
            thumbnail_key: None,
            display_key: None,
            thumbnail_bytes: 0,
            has_location: false,
            has_device_data: false,
            private_key: None,
            private_bytes: 0,
            placeholder: None,
            look: None,
            shot: None,
            source_link: None,
            frame_count: 1,
            width: 1,
            height: 1,
            created_at: Utc::now().naive_utc(),
        };
        picks.push(format!("image:{}", ImageRepo::create(&mut pooled.conn(), &new).await.unwrap().id));
    }
    drop(pooled);
    let (c, _) = s.signed_in("ida", Role::User).await;
    let token = c.get("/media").await.csrf();
    let mut fields = vec![("csrf_token", token.as_str()), ("step", "delete")];
    fields.extend(picks.iter().map(|g| ("item", g.as_str())));
    let done = c.post_raw("/media/bulk", &fields).await;
    assert_eq!(done.status, 303);
    let cookie = done.header("set-cookie");
    assert!(!cookie.is_empty() && cookie.len() < 4096, "{} bytes", cookie.len());
    let gallery = c.get("/media").await;
    assert_eq!(gallery.status, 200);
    assert!(gallery.body.contains("Not deleted: 150 items") && gallery.body.contains("and 147 more"));
    assert!(
        !gallery.body.contains("Deleted 0") && !gallery.body.contains("flash-ok"),
        "nothing deleted is no success"
    );
}

async fn gallery_filters_search_sort_and_pages_by_keyset(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("joe", Role::Staff).await;
    upload_one(&c, "tone-cbr.mp3", Some("system")).await;
    // 120 image rows straight into the database: paging is about rows, not bytes.
    let mut pooled = s.env.db.get().await.unwrap();
    let now = Utc::now().naive_utc();
    for i in 0..120 {
        let key = format!("system/{i:04}.jpg");
        let name = format!("pic-{i:04}.jpg");
        let new = NewImage {
            owner_id: None,
            uploader_id: None,
            original_filename: &name,
            content_type: "image/jpeg",
            byte_size: 1000 + i,
            sha256: "0",
            storage_key: &key,
            thumbnail_key: None,
            display_key: None,
            thumbnail_bytes: 0,
            has_location: false,
            has_device_data: false,
            private_key: None,
            private_bytes: 0,
            placeholder: None,
            look: None,
            shot: None,
            source_link: None,
            frame_count: 1,
            width: 10,
            height: 10,
            created_at: now - TimeDelta::seconds(i),
        };
        ImageRepo::create(&mut pooled.conn(), &new).await.unwrap();
    }
    drop(pooled);
    let names = |p: &Page| p.all("class=\"name\" href=\"").len();
    let first = c.get("/media?type=image").await;
    assert!(first.body.contains("Showing 1–48 of 120"), "{}", first.body);
    assert_eq!(names(&first), 48);
    assert!(first.all("rel=\"prev\"").is_empty());
    // Another page size sticks to the links and the filter form.
    let fifty = c.get("/media?type=image&per=50").await;
    assert_eq!(names(&fifty), 50);
    let next = fifty.rel("next").unwrap();
    assert!(next.contains("per=50"), "{next}");
    assert!(fifty.body.contains("name=\"per\" value=\"50\""));
    assert_eq!(names(&c.get(&next).await), 50);
    assert_eq!(names(&c.get("/media?type=image&per=100000").await), 120, "at most 200 a page");
    // Walk forward to the end, collecting every name once, newest first.
    let mut seen = Vec::new();
    let mut page = first;
    loop {
        for n in page.all("<a class=\"name\" href=\"/media/image/") {
            seen.push(n);
        }
        match page.rel("next") {
            Some(u) => page = c.get(&u).await,
            None => break,
        }
    }
    assert_eq!(seen.len(), 120);
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), 120, "no item twice, none skipped");
    // "Last" is the page "Next" ends on (24 items), and "previous" from there goes back a full
    // page, with the positions shown.
    let last_url = c.get("/media?type=image").await.rel("last").unwrap();
    assert!(last_url.contains("last=24"), "{last_url}");
    let last = c.get(&last_url).await;
    assert_eq!(names(&last), 24);
    assert!(
        last.body.contains("pic-0119.jpg")
            && last.body.contains("pic-0096.jpg")
            && !last.body.contains("pic-0095.jpg")
    );
    assert!(last.body.contains("Showing 97–120 of 120"));
    assert_eq!(last.rel("next"), None, "no next page after the last");
    let prev_url = last.rel("prev").unwrap();
    let prev = c.get(&prev_url).await;
    assert!(prev.body.contains("pic-0095.jpg") && prev.body.contains("pic-0048.jpg"));
    assert!(!prev.body.contains("pic-0047.jpg") && prev.body.contains("Showing 49–96 of 120"));
    // Filters: type, search (escaped wildcards), sort.
    assert!(c.get("/media?type=audio").await.body.contains("Showing 1–1 of 1"));
    assert!(c.get("/media?q=PIC-001").await.body.contains("Showing 1–10 of 10"), "case-insensitive");
    let none = c.get("/media?q=%25&type=image").await;
    assert!(none.body.contains("0 items") && none.body.contains("No match for “%”."), "% is literal");
    assert!(none.body.contains("href=\"/media?type=image\">Clear the search"), "keeps the other filters");
    let by_name = c.get("/media?type=image&sort=name").await;
    assert!(by_name.body.find("pic-0000.jpg").unwrap() < by_name.body.find("pic-0001.jpg").unwrap());
    let by_size = c.get("/media?type=image&sort=size").await;
    assert!(by_size.body.find("pic-0119.jpg").unwrap() < by_size.body.find("pic-0118.jpg").unwrap());
    assert!(c.get("/media/system").await.body.contains("of 121"));
    assert_eq!(c.get("/media?after=garbage").await.status, 400);
}

async fn signed_file_links_serve_ranges_and_refuse_tampering(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("kim", Role::User).await;
    let audio = upload_one(&c, "tone-cbr.mp3", None).await;
    let url = audio_url(&c, &audio).await;
    check_ranges(&c, &url).await;
    if s.env.s3.is_none() {
        check_app_file_route(&s, &c, &url).await;
    } else {
        assert!(url.starts_with("http://127.0.0.1") && url.contains("X-Amz-Signature="), "{url}");
    }
}

async fn accounts_are_managed_by_admins_only(env: TestEnv) {
    let s = env.start_server().await;
    let (admin, admin_id) = s.signed_in("root", Role::Admin).await;
    let (staff, _) = s.signed_in("stan", Role::Staff).await;
    assert_eq!(staff.get("/admin/users").await.status, 403);
    assert_eq!(
        staff
            .post(
                "/media",
                "/admin/users",
                &[("username", "x1"), ("password", "password-x1"), ("role", "user")]
            )
            .await
            .status,
        403
    );
    let created = admin
        .post(
            "/admin/users",
            "/admin/users",
            &[("username", "newbie"), ("password", "password-newbie"), ("role", "user")],
        )
        .await;
    assert_eq!(created.status, 303);
    let list = admin.get("/admin/users").await;
    assert!(list.body.contains("Created newbie.") && list.body.contains(">newbie<"));
    // A refused create says why and keeps what was typed (but the password).
    let short = admin
        .post("/admin/users", "/admin/users", &[("username", "x2"), ("password", "short"), ("role", "staff")])
        .await;
    assert_eq!(short.status, 400);
    assert!(short.body.contains("at least 8 characters"), "{}", short.body);
    assert!(short.body.contains("name=\"username\" required autocomplete=\"off\" value=\"x2\""));
    assert!(short.body.contains("<option value=\"staff\" selected>"));
    assert!(!short.body.contains("value=\"short\""), "the password is not sent back");
    // Dates and item counts per account.
    assert!(
        list.body.contains("Last sign-in") && list.body.contains(">never<") && list.body.contains("0 items")
    );
    let newbie_id = s.app.accounts.by_username("newbie").await.unwrap().id;
    // The new account works; a password reset and a disable end its sessions.
    let n = s.client();
    assert_eq!(n.sign_in("newbie", "password-newbie").await.status, 303);
    // A password reset asks first; the confirmed post resets.
    let reset = &format!("/admin/users/{newbie_id}/password");
    let ask = admin.post("/admin/users", reset, &[("password", "another-password")]).await;
    assert_eq!(ask.status, 200);
    assert!(ask.body.contains("Reset the password of newbie?"));
    assert_eq!(n.get("/media").await.status, 200, "nothing happened before the confirmation");
    let token = ask.csrf();
    let fields = [("csrf_token", token.as_str()), ("confirmed", "yes"), ("password", "another-password")];
    assert_eq!(admin.post_raw(reset, &fields).await.status, 303);
    assert_eq!(n.get("/media").await.status, 303, "reset ends sessions");
    assert_eq!(n.sign_in("newbie", "another-password").await.status, 303);
    assert_eq!(
        admin
            .post("/admin/users", &format!("/admin/users/{newbie_id}/role"), &[("role", "staff")])
            .await
            .status,
        303
    );
    assert!(n.get("/upload").await.body.contains("id=\"owner\""), "the new role applies at once");
    // Disabling asks first too.
    let disable = &format!("/admin/users/{newbie_id}/disable");
    let ask = admin.post("/admin/users", disable, &[]).await;
    assert!(ask.status == 200 && ask.body.contains("Disable newbie?"));
    assert_eq!(n.get("/media").await.status, 200, "nothing happened before the confirmation");
    assert_eq!(admin.post("/admin/users", disable, &[("confirmed", "yes")]).await.status, 303);
    assert_eq!(n.get("/media").await.status, 303, "disable ends sessions");
    let refused = n.sign_in("newbie", "another-password").await;
    assert!(refused.body.contains("disabled"));
    assert_eq!(
        admin.post("/admin/users", &format!("/admin/users/{newbie_id}/enable"), &[]).await.status,
        303
    );
    assert_eq!(n.sign_in("newbie", "another-password").await.status, 303);
    // The last admin stays an admin.
    admin.post("/admin/users", &format!("/admin/users/{admin_id}/role"), &[("role", "user")]).await;
    assert!(admin.get("/admin/users").await.body.contains("last active admin"));
    admin.post("/admin/users", &format!("/admin/users/{admin_id}/disable"), &[("confirmed", "yes")]).await;
    assert!(admin.get("/admin/users").await.body.contains("cannot disable your own account"));
    let list = admin.get("/admin/users").await;
    assert!(!list.body.contains(">never<"), "every account here has signed in");
}

async fn requests_carry_an_id_and_metrics_count_them(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("ned", Role::User).await;
    let p = c.get("/nope").await;
    let id = p.header("x-request-id").to_owned();
    assert_eq!(id.len(), 16);
    assert!(p.body.contains(&format!("Reference: <code>{id}</code>")), "the error page names the request");
    let echoed = c.get_with("/media", &[("X-Request-Id", "lb-1234567890")]).await;
    assert_eq!(echoed.header("x-request-id"), "lb-1234567890");
    let junk = c.get_with("/media", &[("X-Request-Id", "<script>")]).await;
    assert_ne!(junk.header("x-request-id"), "<script>");
    upload_one(&c, "image.png", None).await;
    // Metrics are for the scraper that bears the token; a signed-in session is not enough.
    for auth in [None, Some("Bearer wrong-token-wrong-token"), Some(METRICS_TOKEN)] {
        let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
        let refused = c.get_with("/metrics", &headers).await;
        assert_eq!(refused.status, 401, "{auth:?}");
        assert!(refused.header("www-authenticate").starts_with("Bearer"));
    }
    let bearer = format!("Bearer {METRICS_TOKEN}");
    let m = c.get_with("/metrics", &[("Authorization", &bearer)]).await;
    assert_eq!(m.status, 200);
    for needle in [
        "mediadesk_http_responses_total{class=\"4xx\"}",
        "mediadesk_uploads_total{result=\"accepted\"}",
        "mediadesk_thumbnail_seconds_count",
        "mediadesk_http_request_duration_seconds_bucket{le=\"+Inf\"}",
    ] {
        assert!(m.body.contains(needle), "{needle} in {}", m.body);
    }
    let accepted: u64 = m
        .body
        .lines()
        .find(|l| l.starts_with("mediadesk_uploads_total{result=\"accepted\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(accepted >= 1);
}

async fn readiness_names_the_service_that_is_down(env: TestEnv) {
    let mut env = env;
    let (store, switch) = env.faulty_store().await;
    env.media = env.media_with(store.clone(), env.settings());
    env.store = store;
    let s = env.start_server().await;
    let c = s.client();
    assert_eq!(c.get("/readyz").await.status, 200);
    switch.down();
    let down = c.get("/readyz").await;
    assert_eq!(down.status, 503);
    // Which dependency, never why: the error text stays in the log.
    assert_eq!(down.body, "database: ok\nstorage: unavailable\n");
    assert_eq!(c.get("/healthz").await.status, 200, "alive even when a dependency is not");
    switch.up();
    assert_eq!(c.get("/readyz").await.status, 200, "recovers by itself");
}

async fn metrics_are_off_unless_switched_on(env: TestEnv) {
    let s = env.start_server_configured(|w| w.metrics = false).await;
    assert_eq!(s.client().get("/metrics").await.status, 404);
}

async fn error_pages_and_security_headers(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("lou", Role::User).await;
    for (path, status) in
        [("/nope", 404), ("/media/image/999999", 404), ("/media/video/1", 404), ("/media/image/abc", 404)]
    {
        let p = c.get(path).await;
        assert_eq!(p.status, status, "{path}");
        assert!(p.body.contains("<html") && p.body.contains(&format!("{status} ·")), "{path}: {}", p.body);
        assert!(!p.body.contains("panicked") && !p.body.contains("DbError"));
    }
    let p = c.get("/media").await;
    let csp = p.header("content-security-policy");
    assert!(
        csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
            && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(p.header("x-content-type-options"), "nosniff");
    assert_eq!(p.header("x-frame-options"), "DENY");
    assert!(!p.body.contains("<script>"), "no inline script");
    let css = c.get("/static/app.css").await;
    assert_eq!(css.status, 200);
    assert!(
        css.header("cache-control").contains("max-age") && css.header("content-type").starts_with("text/css")
    );
    assert_eq!(c.get("/static/app.js").await.header("content-type"), "text/javascript; charset=utf-8");
    assert_eq!(c.get("/static/nope.js").await.status, 404);
    assert_eq!(c.get("/healthz").await.status, 200);
    let ready = c.get("/readyz").await;
    assert_eq!(ready.status, 200);
    assert!(ready.body.contains("database: ok") && ready.body.contains("storage: ok"));
}

async fn sign_in_sends_back_only_to_paths_on_this_site(env: TestEnv) {
    let s = env.start_server().await;
    s.account("ann", Role::User).await;
    // `next` as the server reads it (a form field or a query value, already decoded once).
    let bad = [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\nSet-Cookie: x=1",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "/a b",
    ];
    let good = "/media/system?q=a%20b&sort=name";
    for next in bad.into_iter().chain([good]) {
        let want = if next == good { good } else { "/media" };
        let c = s.client();
        let token = c.get("/signin").await.csrf();
        let fields = [("csrf_token", token.as_str()), ("username", "ann"), ("password", "password-ann")];
        let p = c.post_raw("/signin", &[&fields[..], &[("next", next)]].concat()).await;
        assert_eq!((p.status, p.location()), (303, want), "{next:?}");
        // Already signed in, the sign-in page sends straight on: a clean redirect, never a 500.
        let p = c.get(&format!("/signin?next={}", mediadesk::http_text::percent_encode(next))).await;
        assert_eq!((p.status, p.location()), (303, want), "{next:?}");
    }
}

async fn sessions_end_when_idle_and_after_their_lifetime_whatever_the_cookie_says(env: TestEnv) {
    let s = env.start_server().await;
    s.account("eve", Role::User).await;
    let (hour, minute) = (3600, 60);
    // Idle: two hours without a request end the session, even for a copy of its cookie.
    let c = s.client();
    assert_eq!(c.sign_in("eve", "password-eve").await.status, 303);
    s.clock.advance(2 * hour - minute);
    assert_eq!(c.get("/media").await.status, 200, "used within the idle time");
    s.clock.advance(2 * hour - minute);
    assert_eq!(c.get("/media").await.status, 200, "the last request counts, not the sign-in");
    s.clock.advance(2 * hour);
    let idle = c.get("/media").await;
    assert_eq!((idle.status, idle.location()), (303, "/signin?next=%2Fmedia"), "idle for two hours");
    // Lifetime: twelve hours after sign-in the session ends, however busy.
    let c = s.client();
    assert_eq!(c.sign_in("eve", "password-eve").await.status, 303);
    for _ in 0..11 {
        s.clock.advance(hour);
        assert_eq!(c.get("/media").await.status, 200);
    }
    s.clock.advance(hour);
    assert_eq!(c.get("/media").await.status, 303, "twelve hours after sign-in");
    assert_eq!(c.get("/upload").await.status, 303, "and it stays ended");
}

async fn error_pages_keep_the_navigation_and_who_is_signed_in(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("kay", Role::User).await;
    for path in ["/media/image/999999", "/no-such-page"] {
        let p = c.get(path).await;
        assert_eq!(p.status, 404, "{path}");
        assert!(
            p.body.contains("href=\"/media?owner=mine\"") && p.body.contains("kay <small>"),
            "{path}: {}",
            p.body
        );
        assert!(p.body.contains("action=\"/signout\""), "{path}: sign-out works from an error page");
    }
    let anon = s.client().get("/no-such-page").await;
    assert!(anon.status == 404 && !anon.body.contains("/signout"), "nobody signed in: no account shown");
    let icon = c.get("/favicon.ico").await;
    assert_eq!((icon.status, icon.location()), (303, "/static/favicon.svg"));
    assert_eq!(c.get("/static/favicon.svg").await.header("content-type"), "image/svg+xml");
}

/// Writes `head` and the first bytes of a body on a raw connection, then nothing more, and
/// returns what the server answered and after how long (or `None` if it never did in 10 s).
async fn trickle(base: &str, head: &str, first: &[u8]) -> (Option<String>, std::time::Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(first).await.unwrap();
    let started = std::time::Instant::now();
    let mut buf = vec![0u8; 4096];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), sock.read(&mut buf)).await;
    let answer = match read {
        Ok(Ok(n)) if n > 0 => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
        _ => None,
    };
    (answer, started.elapsed())
}

async fn bodies_that_stop_arriving_end_their_request_and_leave_nothing(env: TestEnv) {
    let s = env
        .start_server_configured(|w| {
            w.body_idle = std::time::Duration::from_secs(1);
            w.max_anonymous_per_address = 4;
        })
        .await;
    // A sign-in form that sends one byte of the hundred it announced, then nothing.
    let head = "POST /signin HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                Content-Length: 100\r\n\r\n";
    let (answer, after) = trickle(&s.base, head, b"c").await;
    let answer = answer.expect("the server answers instead of waiting forever");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(after < std::time::Duration::from_secs(5), "{after:?}");
    // An upload that stops half-way: refused, and its spool file is gone.
    let liz = s.account("liz", Role::User).await;
    let c = s.client();
    let signed = c.sign_in("liz", "password-liz").await;
    let jar_cookie = signed.header("set-cookie").split(';').next().unwrap().to_owned();
    let token = c.get("/upload").await.csrf();
    let wav = fixture_bytes("tone-mono-8k.wav");
    let part = format!(
        "--b0undary\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.wav\"\r\n\
         Content-Type: audio/wav\r\n\r\n"
    );
    let mut first = part.into_bytes();
    first.extend_from_slice(&wav[..wav.len() / 2]);
    let head = format!(
        "POST /upload HTTP/1.1\r\nHost: t\r\nCookie: {jar_cookie}\r\n\
         Content-Type: multipart/form-data; boundary=b0undary\r\nContent-Length: {}\r\n\r\n",
        first.len() + wav.len()
    );
    let (answer, _) = trickle(&s.base, &head, &first).await;
    let answer = answer.expect("the server answers");
    assert!(answer.starts_with("HTTP/1.1 408") || answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert_eq!(s.env.settled_spool().await, 0, "the half upload's spool file is removed");
    assert_eq!(s.env.count_rows("audios").await, 0);
    // Before signing in, one address gets four requests at once; the fifth waits its turn.
    let held: Vec<_> = (0..4)
        .map(|_| {
            let base = s.base.clone();
            tokio::spawn(async move {
                let head = "POST /signin HTTP/1.1\r\nHost: t\r\n\
                            Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 50\r\n\r\n";
                trickle(&base, head, b"u").await
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let crowded = s.client().get("/signin").await;
    assert_eq!(crowded.status, 429, "{}", crowded.body);
    let script = s.client().get("/api/v1/media").await;
    let answer: serde_json::Value = serde_json::from_str(&script.body).expect("a script's 429 is JSON");
    assert_eq!((script.status, answer["code"].as_str()), (429, Some("too_many_requests")));
    assert_eq!(c.get("/media").await.status, 200, "signed-in requests are not counted");
    assert_eq!(s.client().get("/healthz").await.status, 200, "nor health checks");
    // Nor a script's with a live token; one with a made-up token is a stranger's.
    let read = format!("Bearer {}", s.token(liz, &[Scope::Read], "script").await);
    let by_token = s.client().get_with("/api/v1/media", &[("Authorization", &read)]).await;
    assert_eq!(by_token.status, 200, "{}", by_token.body);
    let bogus = [("Authorization", "Bearer mdk_unknown")];
    let by_bogus = s.client().get_with("/api/v1/media", &bogus).await;
    assert_eq!(by_bogus.status, 429, "{}", by_bogus.body);
    for h in held {
        let (answer, _) = h.await.unwrap();
        assert!(answer.unwrap_or_default().starts_with("HTTP/1.1 408"));
    }
    assert_eq!(s.client().get("/signin").await.status, 200, "free again once they are cut off");
    // A script's five slow uploads at once take none of the strangers' places.
    let upload = s.token(liz, &[Scope::Upload], "script").await;
    let held: Vec<_> = (0..5)
        .map(|_| {
            let (base, upload) = (s.base.clone(), upload.clone());
            tokio::spawn(async move {
                let head = format!(
                    "POST /upload HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {upload}\r\n\
                     Content-Type: multipart/form-data; boundary=b0undary\r\nContent-Length: 500\r\n\r\n"
                );
                trickle(&base, &head, b"--b0undary\r\n").await
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(s.client().get("/signin").await.status, 200, "the uploads are not counted");
    assert_eq!(s.client().get_with("/api/v1/media", &bogus).await.status, 401, "a place was free for it");
    for h in held {
        let (answer, _) = h.await.unwrap();
        let answer = answer.unwrap_or_default();
        assert!(answer.starts_with("HTTP/1.1 408") || answer.starts_with("HTTP/1.1 400"), "{answer}");
    }
}

async fn signed_in_pages_are_never_cached(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("ann", Role::User).await;
    let detail = upload_one(&c, "image.png", None).await;
    for path in ["/media", "/upload", detail.as_str(), "/media/image/999999", "/signin"] {
        assert_eq!(c.get(path).await.header("cache-control"), "no-store", "{path}");
    }
    let moved = c.post("/media", "/signout", &[]).await;
    assert_eq!(moved.header("cache-control"), "no-store");
    // What may be cached says so itself.
    assert!(c.get("/static/app.css").await.header("cache-control").starts_with("public"));
}

async fn audio_url(c: &TestClient, detail: &str) -> String {
    c.get(detail).await.all("<audio controls preload=\"metadata\" src=\"").remove(0)
}

/// The link serves the whole file and byte ranges of it (`tone-cbr.mp3`).
async fn check_ranges(c: &TestClient, url: &str) {
    let bytes = fixture_bytes("tone-cbr.mp3");
    let (status, headers, body) = c.get_bytes(url, Some("bytes=100-199")).await;
    assert_eq!(status, 206);
    assert_eq!(body, &bytes[100..200]);
    assert!(headers["content-range"].to_str().unwrap().starts_with("bytes 100-199/"));
    let (status, _, body) = c.get_bytes(url, None).await;
    assert_eq!((status, body.len()), (200, bytes.len()));
}

/// The app's own file route: right type from the sniffed kind, ranges, nosniff, and refusals
/// for tampered, widened and expired links.
async fn check_app_file_route(s: &TestServer, c: &TestClient, url: &str) {
    assert!(url.starts_with("/files/"), "{url}");
    let (_, headers, _) = c.get_bytes(url, None).await;
    assert_eq!(headers["content-type"], "audio/mpeg");
    assert_eq!(headers["accept-ranges"], "bytes");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let (status, headers, _) = c.get_bytes(url, Some("bytes=99999999-")).await;
    assert_eq!(status, 416);
    assert!(headers["content-range"].to_str().unwrap().starts_with("bytes */"));
    let tampered = url.replace("sig=", "sig=0");
    assert_eq!(c.get_bytes(&tampered, None).await.0, 403);
    let other_key = url.replacen("/files/u", "/files/x", 1);
    assert_eq!(c.get_bytes(&other_key, None).await.0, 403);
    // An expired link.
    let key = StorageKey::parse(url.trim_start_matches("/files/").split('?').next().unwrap()).unwrap();
    let past = SignedUrlOptions {
        ttl: std::time::Duration::from_secs(1),
        content_type: None,
        download_name: None,
        issued_at: Some(Utc::now().timestamp() - 60),
    };
    let expired = s.env.store.signed_url(&key, &past).await.unwrap();
    let p = c.get(&expired).await;
    assert_eq!(p.status, 403);
    assert!(p.body.contains("This link has expired"));
}

/// `MEDIADESK_S3_DELIVERY=app`: the bucket stays private to the app, browsers get app-signed
/// links, and the bytes come with the app's headers (`nosniff`, the sniffed type).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_delivered_through_the_app_gets_the_app_headers() {
    let mut env = TestEnv::postgres_s3().await;
    let (target, bucket) = env.s3.clone().unwrap();
    let store = mediadesk::storage::S3Store::new(&target.settings(&target.endpoint, &bucket))
        .served_by_app(mediadesk::storage::UrlSigner::new(TEST_SIGNING_KEY, "/files"));
    env.store = std::sync::Arc::new(store);
    env.media = env.media_with(env.store.clone(), env.settings());
    let s = env.start_server_configured(|w| w.media_origins.clear()).await;
    let (c, _) = s.signed_in("kim", Role::User).await;
    let audio = upload_one(&c, "tone-cbr.mp3", None).await;
    let url = audio_url(&c, &audio).await;
    check_ranges(&c, &url).await;
    check_app_file_route(&s, &c, &url).await;
    let csp = c.get(&audio).await.header("content-security-policy").to_owned();
    assert!(!csp.contains(&target.endpoint), "the bucket is not a media origin: {csp}");
}

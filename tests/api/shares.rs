//! Share links on both backends: made on an item's page with a lifetime, a password, the
//! download allowed or not and a note; listed on the item, on Shares (one's own, everyone's for
//! staff) with opens; revoked one by one, per item, per account, and by trashing or deleting
//! the item or disabling the account; the public page without a session, its headers, its
//! byte URLs living at most the configured seconds (a revoked link's last URL dies with its
//! lifetime, on S3 too); passwords asked and throttled; unknown, expired and revoked tokens
//! answered alike.

use std::time::{Duration, Instant};

use mediadesk::auth::Role;
use mediadesk::domain::{AuditAction, AuditFilter};
use mediadesk::media::{Actor, ShareRequest};

use crate::common::server::{TestClient, html_unescape};
use crate::common::*;

backend_tests!(
    links_are_listed_opened_and_revoked,
    trash_delete_and_disable_revoke,
    passwords_are_asked_and_throttled,
    a_revoked_links_last_url_dies_with_its_lifetime,
    unknown_expired_and_revoked_answer_alike,
    lifetimes_are_bounded_and_capped,
    a_refused_link_comes_back_with_its_choices,
    a_link_made_while_its_item_is_deleted_is_not_made,
    a_link_unfurls_in_chat_apps,
    deleting_says_which_items_have_live_links
);

/// The item page of `name`, uploaded by `c`.
async fn upload_item(c: &TestClient, name: &str, fixture: &str) -> String {
    c.upload_one(name, fixture_bytes(fixture)).await
}

/// Makes a link to `item` and returns its address (shown once) as a path, `/s/{token}`.
pub(crate) async fn share(c: &TestClient, item: &str, fields: &[(&str, &str)]) -> String {
    let made = c.post(item, &format!("{item}/share"), fields).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let page = c.get(item).await;
    let url = page.all("id=\"share-url\" readonly value=\"").pop().expect("the new link is shown");
    url[url.find("/s/").expect("an app link")..].to_owned()
}

/// The ids of the revoke buttons on a page, in order.
fn revoke_ids(page: &str) -> Vec<String> {
    page.split("action=\"/shares/")
        .skip(1)
        .filter_map(|rest| rest.split_once("/revoke\"").map(|(id, _)| id.to_owned()))
        .collect()
}

/// Where `/s/…/file` or `/download` sends a browser, and whether it answered 303.
async fn bytes_url(c: &TestClient, path: &str) -> Option<String> {
    let r = c.get(path).await;
    (r.status == 303).then(|| r.location().to_owned())
}

/// Seconds a signed URL has left: the app's `exp=` or S3's `X-Amz-Expires=`.
fn url_lifetime(url: &str) -> i64 {
    let q = |name: &str| {
        url.split(['?', '&']).find_map(|p| p.strip_prefix(name)).map(|v| v.parse::<i64>().expect("a number"))
    };
    match (q("exp="), q("X-Amz-Expires=")) {
        (Some(exp), _) => exp - chrono::Utc::now().timestamp(),
        (None, Some(secs)) => secs,
        _ => panic!("not a signed URL: {url}"),
    }
}

async fn links_are_listed_opened_and_revoked(env: TestEnv) {
    let s = env.start_server().await;
    let (amy, amy_id) = s.signed_in("amy", Role::User).await;
    let (ben, _) = s.signed_in("ben", Role::User).await;
    let (sue, _) = s.signed_in("sue", Role::Staff).await;
    let photo = upload_item(&amy, "harbour.jpg", "image.jpg").await;
    let clip = upload_item(&amy, "gulls.flac", "tone.flac").await;
    let link =
        share(&amy, &photo, &[("lifetime", "3600"), ("download", "1"), ("note", "For the <press>")]).await;
    let view_only = share(&amy, &clip, &[("lifetime", "never")]).await;

    // Anyone with the link, nobody signed in: the page, without the admin's chrome.
    let anon = s.client();
    let page = anon.get(&link).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.header("referrer-policy"), "no-referrer");
    assert_eq!(page.header("x-robots-tag"), "noindex, nofollow");
    assert!(page.body.contains("<meta name=\"robots\" content=\"noindex, nofollow\">"));
    assert!(page.body.contains(&format!("src=\"{link}/file\"")), "{}", page.body);
    assert!(page.body.contains("For the &#60;press&#62;"), "the note, escaped: {}", page.body);
    assert!(page.body.contains(&format!("href=\"{link}/download\"")));
    assert!(!page.body.contains("Sign out") && !page.body.contains("href=\"/media\""), "no admin chrome");
    // The bytes: a fresh signed URL per request, living at most a minute, never cached on the way.
    let shown = anon.get(&format!("{link}/file")).await;
    assert_eq!((shown.status, shown.header("cache-control")), (303, "no-store"));
    let lifetime = url_lifetime(shown.location());
    assert!((55..=60).contains(&lifetime), "a byte URL lives {lifetime} s");
    let (status, _, bytes) = anon.get_bytes(shown.location(), None).await;
    assert_eq!((status, bytes.len()), (200, fixture_bytes("image.jpg").len()));
    let download = bytes_url(&anon, &format!("{link}/download")).await.expect("download allowed");
    let (status, headers, bytes) = anon.get_bytes(&download, None).await;
    assert_eq!((status, bytes), (200, fixture_bytes("image.jpg")));
    let disposition = headers.get("content-disposition").map(|v| v.to_str().unwrap().to_owned());
    assert!(disposition.is_some_and(|d| d.contains("attachment") && d.contains("harbour.jpg")));
    // A view-only link plays its audio but has no download.
    let page = anon.get(&view_only).await;
    assert!(page.body.contains("<audio") && page.body.contains("id=\"wave\""), "player and waveform");
    assert!(!page.body.contains("/download"));
    assert_eq!(anon.get(&format!("{view_only}/download")).await.status, 404);
    let (status, _, bytes) =
        anon.get_bytes(&bytes_url(&anon, &format!("{view_only}/file")).await.unwrap(), None).await;
    assert_eq!((status, bytes.len()), (200, fixture_bytes("tone.flac").len()));
    anon.get(&view_only).await;

    // Listed with its opens: on the item's page, on Amy's Shares, on staff's everyone's.
    let item_page = amy.get(&photo).await;
    assert!(item_page.body.contains("opened 1 time, last"), "{}", item_page.body);
    assert!(item_page.body.contains("download allowed") && item_page.body.contains("Live"));
    let mine = amy.get("/shares").await;
    assert!(mine.body.contains("harbour.jpg") && mine.body.contains("gulls.flac"));
    assert!(mine.body.contains("opened 2 times"), "the clip was opened twice");
    assert!(!ben.get("/shares").await.body.contains("harbour.jpg"), "Ben's are his own");
    assert_eq!(ben.get("/shares?whose=all").await.status, 403, "everyone's is for staff");
    let everyone = sue.get("/shares?whose=all").await;
    assert!(everyone.body.contains("harbour.jpg") && everyone.body.contains("made"));
    assert!(sue.get(&format!("/shares?whose={amy_id}")).await.body.contains("gulls.flac"));

    // Ben cannot revoke Amy's link (he cannot see her item); Amy can.
    let ids = revoke_ids(&amy.get(&photo).await.body);
    assert_eq!(ids.len(), 1);
    let revoke = format!("/shares/{}/revoke", ids[0]);
    assert_eq!(ben.post("/shares", &revoke, &[]).await.status, 404);
    assert_eq!(anon.get(&link).await.status, 200, "still live");
    let done = amy.post(&photo, &revoke, &[("back", &photo)]).await;
    assert_eq!((done.status, done.location()), (303, photo.as_str()));
    assert_eq!(anon.get(&link).await.status, 404);
    assert_eq!(anon.get(&format!("{link}/file")).await.status, 404);
    assert_eq!(anon.get(&format!("{link}/download")).await.status, 404);
    let item_page = amy.get(&photo).await;
    assert!(item_page.body.contains("Revoked") && revoke_ids(&item_page.body).is_empty());
    assert!(!amy.get("/shares").await.body.contains("harbour.jpg"), "live only by default");
    assert!(amy.get("/shares?ended=1").await.body.contains("harbour.jpg"));

    // Revoke all: per item, then per account.
    let a = share(&amy, &photo, &[("lifetime", "300")]).await;
    let b = share(&amy, &photo, &[("lifetime", "300")]).await;
    let done = amy.post(&photo, &format!("{photo}/shares/revoke"), &[]).await;
    assert_eq!(done.status, 303);
    assert_eq!((anon.get(&a).await.status, anon.get(&b).await.status), (404, 404));
    assert_eq!(anon.get(&view_only).await.status, 200, "another item's link lives");
    let c = share(&amy, &photo, &[("lifetime", "300")]).await;
    assert_eq!(ben.post("/shares", "/shares/revoke-all", &[("user", &amy_id.to_string())]).await.status, 403);
    let done = amy.post("/shares", "/shares/revoke-all", &[]).await;
    assert_eq!(done.status, 303);
    assert!(amy.get("/shares").await.body.contains("2 links revoked."));
    assert_eq!((anon.get(&c).await.status, anon.get(&view_only).await.status), (404, 404));

    // Each is in the audit log.
    let rows = s
        .app
        .accounts
        .audit(None, &AuditFilter { action: Some(AuditAction::Unshare), ..AuditFilter::default() }, None, 50)
        .await
        .unwrap();
    assert_eq!(rows.entries.len(), 3, "one, all of an item, all of an account");
    let made = s
        .app
        .accounts
        .audit(None, &AuditFilter { action: Some(AuditAction::Share), ..AuditFilter::default() }, None, 50)
        .await
        .unwrap();
    assert_eq!(made.entries.len(), 5);
}

async fn trash_delete_and_disable_revoke(env: TestEnv) {
    let s = env.with_trash(30).start_server().await;
    let (admin, _) = s.signed_in("root", Role::Admin).await;
    let (amy, amy_id) = s.signed_in("amy", Role::User).await;
    let (ben, ben_id) = s.signed_in("ben", Role::User).await;
    let anon = s.client();
    let photo = upload_item(&amy, "harbour.png", "image.png").await;
    let clip = upload_item(&amy, "gulls.mp3", "tone-cbr.mp3").await;
    let trashed = share(&amy, &photo, &[("lifetime", "3600")]).await;
    let deleted = share(&amy, &clip, &[("lifetime", "3600")]).await;
    // Ben shares a system item he can see; his links die with his account.
    let (staff, _) = s.signed_in("sue", Role::Staff).await;
    let system = {
        let page =
            staff.upload(&[("bell.wav", fixture_bytes("tone-mono-8k.wav"))], Some("system"), true).await;
        let v: serde_json::Value = serde_json::from_str(&page.body).unwrap();
        v["results"][0]["url"].as_str().unwrap().to_owned()
    };
    let bens = share(&ben, &system, &[("lifetime", "3600")]).await;
    for l in [&trashed, &deleted, &bens] {
        assert_eq!(anon.get(l).await.status, 200);
    }

    amy.post(&photo, &format!("{photo}/delete"), &[("confirmed", "yes")]).await;
    assert_eq!(anon.get(&trashed).await.status, 404, "trashed");
    amy.post(
        "/trash",
        "/trash",
        &[("action", "restore"), ("item", &photo.replace("/media/", "").replace('/', ":"))],
    )
    .await;
    assert_eq!(amy.get(&photo).await.status, 200, "restored");
    assert_eq!(anon.get(&trashed).await.status, 404, "a restored item's links stay revoked");
    assert!(amy.get(&photo).await.body.contains("Revoked"));

    let with_trash_off = s.env.media.settings().trash_days;
    assert_eq!(with_trash_off, 30);
    amy.post(&clip, &format!("{clip}/delete"), &[("confirmed", "yes")]).await;
    amy.post(
        "/trash",
        "/trash",
        &[
            ("action", "purge"),
            ("item", &clip.replace("/media/", "").replace('/', ":")),
            ("confirmed", "yes"),
        ],
    )
    .await;
    assert_eq!(anon.get(&deleted).await.status, 404, "deleted for good");
    assert!(amy.get("/shares?ended=1").await.body.contains("(gone)"), "listed with its item gone");

    let disable = format!("/admin/users/{ben_id}/disable");
    let done = admin.post("/admin/users", &disable, &[("confirmed", "yes")]).await;
    assert_eq!(done.status, 303);
    assert_eq!(anon.get(&bens).await.status, 404, "disabled account");
    admin.post("/admin/users", &format!("/admin/users/{ben_id}/enable"), &[]).await;
    assert_eq!(anon.get(&bens).await.status, 404, "enabling again does not bring links back");
    let _ = amy_id;
}

async fn passwords_are_asked_and_throttled(env: TestEnv) {
    let s = env.start_server().await;
    let (amy, _) = s.signed_in("amy", Role::User).await;
    let photo = upload_item(&amy, "harbour.png", "image.png").await;
    let link = share(&amy, &photo, &[("lifetime", "3600"), ("password", "lighthouse")]).await;
    let visitor = s.client();
    let asked = visitor.get(&link).await;
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains("needs a password") && !asked.body.contains("/file"), "{}", asked.body);
    assert!(
        !asked.body.contains("og:") && !asked.body.contains("harbour"),
        "nothing unfurls: {}",
        asked.body
    );
    assert_eq!(visitor.get(&format!("{link}/file")).await.status, 404, "no bytes before the password");
    let wrong = visitor.post_raw(&link, &[("password", "lamppost")]).await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("That is not the password"));
    let right = visitor.post_raw(&link, &[("password", "lighthouse")]).await;
    assert_eq!((right.status, right.location()), (303, link.as_str()));
    let cookie = right.header("set-cookie").to_owned();
    assert!(cookie.contains(&format!("Path={link}")) && cookie.contains("HttpOnly"), "{cookie}");
    let page = visitor.get(&link).await;
    assert!(page.body.contains(&format!("src=\"{link}/file\"")), "opened: {}", page.body);
    assert!(page.body.contains("property=\"og:image\""), "open, it unfurls: {}", page.body);
    assert_eq!(visitor.get(&format!("{link}/file")).await.status, 303);
    // Another browser is asked again; a forged cookie opens nothing.
    let other = s.client();
    assert!(other.get(&link).await.body.contains("needs a password"));
    let forged = other
        .get_with(&link, &[("cookie", &format!("mediadesk_share={}.{}", i64::MAX, "00".repeat(32)))])
        .await;
    assert!(forged.body.contains("needs a password"));

    // Guessing is throttled like sign-in: after 5 wrong ones, even the right one waits.
    let guesser = s.client();
    for _ in 0..5 {
        assert_eq!(guesser.post_raw(&link, &[("password", "guess")]).await.status, 401);
    }
    let throttled = guesser.post_raw(&link, &[("password", "lighthouse")]).await;
    assert_eq!(throttled.status, 429);
    assert!(throttled.body.contains("Too many wrong passwords"));
    // Counted like sign-ins (the right password cleared this address's earlier one).
    assert_eq!(s.env.count_rows("sign_in_failures").await, 5);
    // A password that is too short is refused when the link is made.
    assert_eq!(
        amy.post(&photo, &format!("{photo}/share"), &[("lifetime", "300"), ("password", "abc")]).await.status,
        400
    );
}

async fn a_revoked_links_last_url_dies_with_its_lifetime(mut env: TestEnv) {
    let mut settings = env.settings();
    settings.share_url_ttl = Duration::from_secs(2);
    env.media = env.media_with(env.store.clone(), settings);
    let s = env.start_server().await;
    let (amy, _) = s.signed_in("amy", Role::User).await;
    let clip = upload_item(&amy, "gulls.flac", "tone.flac").await;
    let link = share(&amy, &clip, &[("lifetime", "300")]).await;
    let anon = s.client();
    let url = bytes_url(&anon, &format!("{link}/file")).await.unwrap();
    assert!(url_lifetime(&url) <= 2);
    assert_eq!(anon.get_bytes(&url, Some("bytes=0-99")).await.0, 206, "the store serves it now");
    let id = revoke_ids(&amy.get(&clip).await.body).remove(0);
    amy.post(&clip, &format!("/shares/{id}/revoke"), &[]).await;
    assert_eq!(anon.get(&format!("{link}/file")).await.status, 404, "no new URL after revoking");
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let status = anon.get_bytes(&url, Some("bytes=0-99")).await.0;
    assert!(status == 403, "the last URL handed out answers {status} once its lifetime is over");
}

/// The median time of `n` GETs of each path, taken in turns so that whatever else loads the
/// machine meanwhile weighs on each alike.
async fn median_times(c: &TestClient, paths: &[&str], n: usize) -> Vec<Duration> {
    let mut times = vec![Vec::with_capacity(n); paths.len()];
    for _ in 0..n {
        for (path, t) in paths.iter().zip(times.iter_mut()) {
            let started = Instant::now();
            assert_eq!(c.get(path).await.status, 404);
            t.push(started.elapsed());
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort();
            t[n / 2]
        })
        .collect()
}

async fn unknown_expired_and_revoked_answer_alike(env: TestEnv) {
    let s = env.start_server().await;
    let (amy, _) = s.signed_in("amy", Role::User).await;
    let photo = upload_item(&amy, "harbour.png", "image.png").await;
    let revoked = share(&amy, &photo, &[("lifetime", "300")]).await;
    let id = revoke_ids(&amy.get(&photo).await.body).remove(0);
    amy.post(&photo, &format!("/shares/{id}/revoke"), &[]).await;
    let expired = share(&amy, &photo, &[("lifetime", "300")]).await;
    s.env
        .db
        .batch_execute("UPDATE shares SET expires_at = created_at WHERE revoked_at IS NULL")
        .await
        .unwrap();
    let unknown = format!("/s/{}", "A".repeat(22));
    let anon = s.client();
    let short = "/s/short".to_owned();
    let mut bodies = Vec::new();
    for path in [&unknown, &expired, &revoked, &short] {
        let p = anon.get(path).await;
        assert_eq!(p.status, 404);
        assert_eq!(p.header("referrer-policy"), "no-referrer");
        bodies.push(p.body);
    }
    assert!(bodies.iter().all(|b| *b == bodies[0]), "one page for every dead link");
    assert!(amy.get("/shares?ended=1").await.body.contains("Expired"));
    // Same work, same time: medians within noise of each other (an argon2 check or a second
    // query for one kind of dead link would stand out by far more).
    let _ = median_times(&anon, &[&unknown], 5).await;
    let medians = median_times(&anon, &[&unknown, &expired, &revoked], 41).await;
    let (lo, hi) = (*medians.iter().min().unwrap(), *medians.iter().max().unwrap());
    assert!(
        hi - lo < Duration::from_millis(5).max(lo / 2),
        "unknown, expired, revoked: {medians:?}: a token's state shows in the time"
    );
}

async fn lifetimes_are_bounded_and_capped(mut env: TestEnv) {
    let amy = Actor::user(env.user("amy", "user").await);
    let (kind, id) = env.upload_own(&amy, "harbour.png", "image.png").await;
    let make = |secs: Option<u64>| ShareRequest {
        lifetime: secs.map(Duration::from_secs),
        ..ShareRequest::default()
    };
    for refused in [Some(60), Some(31 * 86_400)] {
        let e = env.media.create_share(&amy, kind, id, make(refused)).await.unwrap_err();
        assert!(e.to_string().contains("a link lives from 5 minutes to 30 days"), "{e}");
    }
    let made = env.media.create_share(&amy, kind, id, make(None)).await.unwrap();
    assert!(made.share.expires_at.is_none() && made.token.len() >= 22, "128 bits, until revoked");
    assert_eq!(env.count_rows("shares").await, 1);
    // Admins cap lifetimes: then every link expires, within the cap.
    let mut settings = env.settings();
    settings.share_max_lifetime = Some(Duration::from_secs(86_400));
    env.media = env.media_with(env.store.clone(), settings);
    for refused in [None, Some(7 * 86_400)] {
        assert!(env.media.create_share(&amy, kind, id, make(refused)).await.is_err());
    }
    assert!(env.media.create_share(&amy, kind, id, make(Some(3600))).await.is_ok());
    assert_eq!(env.media.share_lifetimes(), (false, Duration::from_secs(86_400)));
    // Someone who cannot see the item cannot share it.
    let ben = Actor::user(env.user("ben", "user").await);
    assert!(matches!(
        env.media.create_share(&ben, kind, id, make(Some(3600))).await,
        Err(mediadesk::media::MediaError::NotFound)
    ));
    assert_eq!(env.count_rows("shares").await, 2);
}

/// A link the app refuses (a lifetime it does not offer, a note too long) makes nothing; the
/// item page comes back, 400, with the lifetime, download choice and note as chosen and why,
/// and asks for a typed password again (it is never sent back).
async fn a_refused_link_comes_back_with_its_choices(env: TestEnv) {
    let s = env.start_server().await;
    let (ann, _) = s.signed_in("ann", Role::User).await;
    let item = upload_item(&ann, "harbour.png", "image.png").await;
    let action = format!("{item}/share");
    let note = "For the press office, until Friday";
    for (lifetime, note, why) in [
        ("60", note, "a link lives from 5 minutes to 30 days"),
        ("soon", note, "choose one of the offered lifetimes"),
        ("3600", &*"n".repeat(501), "the note is longer than 500 characters"),
    ] {
        let fields = [("lifetime", lifetime), ("download", "1"), ("note", note), ("password", "hunter22")];
        let refused = ann.post(&item, &action, &fields).await;
        assert_eq!(refused.status, 400, "{lifetime}: {}", refused.body);
        let body = html_unescape(&refused.body);
        assert!(body.contains(&format!("{why}. Type the password again: it is never sent back.")), "{body}");
        assert!(
            body.contains(&format!("id=\"share-note\" name=\"note\" maxlength=\"500\" value=\"{note}\""))
        );
        assert!(body.contains("name=\"download\" value=\"1\" checked>"), "{body}");
        assert!(!body.contains("hunter22"), "the password is not sent back");
    }
    // The lifetime chosen stays chosen; without a password nothing is said of one.
    let refused = ann.post(&item, &action, &[("lifetime", "86400"), ("note", &"n".repeat(501))]).await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("<option value=\"86400\" selected>"), "{}", refused.body);
    assert!(!refused.body.contains("name=\"download\" value=\"1\" checked"));
    assert!(!refused.body.contains("Type the password again"));
    assert_eq!(s.env.count_rows("shares").await, 0, "no link was made");
    // And one that is fine is made.
    share(&ann, &item, &[("lifetime", "3600"), ("note", note)]).await;
    assert_eq!(s.env.count_rows("shares").await, 1);
}

/// A link asked for while its item is being deleted (written, not committed) waits for it and
/// finds the item gone: no link is made that the trash did not revoke (checked: without the
/// item's lock it is made, on both backends).
async fn a_link_made_while_its_item_is_deleted_is_not_made(env: TestEnv) {
    let amy = Actor::user(env.user("amy", "user").await);
    let (kind, id) = env.upload_own(&amy, "harbour.png", "image.png").await;
    let held = env.hold(&format!("DELETE FROM images WHERE id = {id}")).await;
    let late = tokio::spawn({
        let media = env.media.clone();
        let request = ShareRequest { lifetime: Some(Duration::from_secs(3600)), ..ShareRequest::default() };
        async move { media.create_share(&amy, kind, id, request).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    held.commit().await;
    let got = late.await.unwrap();
    assert!(matches!(got, Err(mediadesk::media::MediaError::NotFound)), "{:?}", got.map(|c| c.share));
    assert_eq!(env.count_rows("shares").await, 0);
}

/// A link pasted in a chat or mail app unfurls: its page names the picture (`og:title`, its
/// caption as `og:description`), points at it absolutely with its size and alt text, which
/// fetched as a crawler would (no cookie) gives the picture; a sound's names it without a
/// picture. A link behind a password unfurls nothing (`passwords_are_asked_and_throttled`).
async fn a_link_unfurls_in_chat_apps(env: TestEnv) {
    let s = env.start_server().await;
    let (amy, _) = s.signed_in("amy", Role::User).await;
    let photo = upload_item(&amy, "harbour.png", "image.png").await;
    let fields = [("title", "Harbour at dawn"), ("alt_text", "Boats & gulls"), ("caption", "Low tide")];
    assert_eq!(amy.post(&photo, &format!("{photo}/describe"), &fields).await.status, 303);
    let link = share(&amy, &photo, &[("lifetime", "3600")]).await;
    let crawler = s.client();
    let page = crawler.get(&link).await.body;
    let absolute = format!("{}{link}", s.base);
    for meta in [
        format!("<meta property=\"og:url\" content=\"{absolute}\">"),
        "<meta property=\"og:title\" content=\"Harbour at dawn\">".to_owned(),
        "<meta property=\"og:description\" content=\"Low tide\">".to_owned(),
        format!("<meta property=\"og:image\" content=\"{absolute}/file\">"),
        "<meta property=\"og:image:alt\" content=\"Boats &#38; gulls\">".to_owned(),
        "<meta property=\"og:image:width\" content=\"64\">".to_owned(),
        "<meta property=\"og:image:height\" content=\"48\">".to_owned(),
        "<meta name=\"twitter:card\" content=\"summary_large_image\">".to_owned(),
    ] {
        assert!(page.contains(&meta), "{meta} in {page}");
    }
    let signed = bytes_url(&crawler, &format!("{link}/file")).await.expect("the picture's address");
    let picture = reqwest::get(signed.clone()).await.expect("fetch the picture");
    assert_eq!(picture.status(), 200, "{signed}");
    assert_eq!(picture.bytes().await.unwrap().as_ref(), fixture_bytes("image.png").as_slice());

    let clip = upload_item(&amy, "gulls.flac", "tone.flac").await;
    let sound = crawler.get(&share(&amy, &clip, &[("lifetime", "3600")]).await).await.body;
    assert!(sound.contains("<meta property=\"og:title\" content=\"gulls.flac\">"), "{sound}");
    assert!(sound.contains("content=\"summary\"") && !sound.contains("og:image"), "{sound}");
}

/// A delete's question says which items are shared and what their links will do; revoked links
/// are not counted. With a trash it says a restore does not bring them back.
async fn deleting_says_which_items_have_live_links(env: TestEnv) {
    let trash = env.backend == "postgres_s3";
    let s = if trash { env.with_trash(7) } else { env }.start_server().await;
    let (amy, _) = s.signed_in("amy", Role::User).await;
    let photo = upload_item(&amy, "harbour.png", "image.png").await;
    let clip = upload_item(&amy, "gulls.mp3", "tone-cbr.mp3").await;
    let quiet = upload_item(&amy, "bell.wav", "tone-mono-8k.wav").await;
    share(&amy, &photo, &[("lifetime", "3600")]).await;
    share(&amy, &photo, &[("lifetime", "3600")]).await;
    share(&amy, &clip, &[("lifetime", "3600")]).await;
    // The clip's second link is revoked: not counted.
    share(&amy, &clip, &[("lifetime", "3600")]).await;
    let page = amy.get(&clip).await.body;
    let newest = revoke_ids(&page)[0].clone();
    let revoked = amy.post(&clip, &format!("/shares/{newest}/revoke"), &[]).await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    let after = if trash { " Restoring from the trash does not bring them back." } else { "" };

    let one = amy.get(&format!("{photo}/delete")).await;
    let said = format!(
        "It has 2 live share links: they are revoked, and whoever holds them will be told they no \
         longer work.{after}"
    );
    assert!(one.body.contains(&said), "{}", one.body);
    assert!(one.body.contains("<small class=\"shared-count\">shared · 2 live links</small>"));
    let clip_page = amy.get(&format!("{clip}/delete")).await;
    assert!(
        clip_page.body.contains(
            "It has 1 live share link: it is revoked, and whoever holds it will be told it no longer works."
        ),
        "{}",
        clip_page.body
    );
    let none = amy.get(&format!("{quiet}/delete")).await;
    assert!(!none.body.contains("live share link") && !none.body.contains("shared-count"), "{}", none.body);

    let item = |p: &str| p.trim_start_matches("/media/").split('?').next().unwrap().replace('/', ":");
    let (a, b, c) = (item(&photo), item(&clip), item(&quiet));
    let fields = [("step", "confirm"), ("item", a.as_str()), ("item", b.as_str()), ("item", c.as_str())];
    let bulk = amy.post("/media", "/media/bulk", &fields).await;
    assert_eq!(bulk.status, 200);
    let said = "2 of these have 3 live share links between them: they are revoked, and whoever holds them";
    assert!(bulk.body.contains(said), "{}", bulk.body);
    let fields = [("step", "confirm"), ("item", c.as_str()), ("item", b.as_str())];
    let bulk = amy.post("/media", "/media/bulk", &fields).await;
    assert!(bulk.body.contains("1 of these has 1 live share link: it is revoked"), "{}", bulk.body);
    // So does the question before deleting a whole view.
    let fields = [("step", "confirm"), ("scope", "view"), ("back", "/media?per=1")];
    let view = html_unescape(&amy.post("/media", "/media/bulk", &fields).await.body);
    let said = format!(
        "Every item you may delete in this view: 3 items. {} 2 of these have 3 live share links between \
         them: they are revoked, and whoever holds them will be told they no longer work.{after}",
        if trash {
            "They stay in the Trash for 7 days, where each can be restored."
        } else {
            "This cannot be undone."
        }
    );
    assert!(view.contains(&said), "{view}");
    // Another account's items are not counted for it: not its to delete.
    let (ben, _) = s.signed_in("ben", Role::User).await;
    assert_eq!(ben.get(&format!("{photo}/delete")).await.status, 404);
    // The shares unreadable: no question that hides what deleting ends, a clear 503 instead,
    // and nothing deleted; the question is back with the table.
    s.env.db.batch_execute("ALTER TABLE shares RENAME TO shares_gone").await.unwrap();
    for page in [
        amy.get(&format!("{photo}/delete")).await,
        amy.post("/media", "/media/bulk", &[("step", "confirm"), ("item", a.as_str())]).await,
    ] {
        assert_eq!(page.status, 503, "{}", page.body);
        assert!(
            page.body.contains("Nothing was changed") && page.body.contains("Reference:"),
            "{}",
            page.body
        );
    }
    s.env.db.batch_execute("ALTER TABLE shares_gone RENAME TO shares").await.unwrap();
    assert!(amy.get(&format!("{photo}/delete")).await.body.contains("It has 2 live share links"));
}

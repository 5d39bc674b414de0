//! Walking a gallery view from an item's page: previous and next in the view's own filters and
//! order, across page boundaries, without JavaScript (links) and with it (arrow keys, Esc, e).

use fantoccini::key::Key;
use mediadesk::auth::Role;

use crate::common::browser::{Browser, PATIENCE, poll};
use crate::common::server::{TestClient, TestServer, html_unescape};
use crate::common::*;

backend_tests!(
    an_item_page_walks_its_gallery_view,
    the_full_window_viewer_walks_a_search_and_closes,
    browser_walks_the_view_with_the_keyboard,
    browser_fetches_the_next_picture_ahead,
    browser_swipes_through_the_viewer_at_390_px,
    the_browser_may_keep_what_a_page_shows
);

fn link(page: &str, id: &str) -> Option<String> {
    let marker = format!("\" rel=\"{}\" id=\"{id}\"", if id == "previous" { "prev" } else { "next" });
    page.split(&marker).next().filter(|before| before.len() < page.len()).map(|before| {
        html_unescape(before.rsplit("<a href=\"").next().unwrap()).split('?').next().unwrap().to_owned()
    })
}

/// The address a link with this id goes to, whole.
fn href(page: &str, id: &str) -> Option<String> {
    let marker = format!("\" id=\"{id}\"");
    let (before, _) = page.split_once(&marker)?;
    let start = before.rfind("href=\"")? + "href=\"".len();
    let address = before[start..].split('"').next()?;
    Some(html_unescape(address))
}

/// Ann, signed in, with a PNG and a JPEG of her own (a.png, b.jpg).
async fn two_pictures(server: &TestServer) -> TestClient {
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let files = vec![("a.png", fixture_bytes("image.png")), ("b.jpg", fixture_bytes("image.jpg"))];
    assert!(ann.upload(&files, None, false).await.body.contains("2 accepted"));
    ann
}

async fn cards(c: &TestClient, view: &str) -> Vec<String> {
    c.get(view).await.all("<a class=\"name\" href=\"").into_iter().map(|h| html_unescape(&h)).collect()
}

async fn an_item_page_walks_its_gallery_view(env: TestEnv) {
    let server = env.start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let files: Vec<(String, Vec<u8>)> =
        (1..=5).map(|i| (format!("p{i}.png"), fixture_bytes("image.png"))).collect();
    let files: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    assert!(ann.upload(&files, None, false).await.body.contains("5 accepted"));

    // Two per page, by name: p2 is last on page one; its next, p3, is on page two.
    let first_page = cards(&ann, "/media?type=image&sort=name&per=2").await;
    let p2 = ann.get(&first_page[1]).await.body;
    let all = cards(&ann, "/media?type=image&sort=name&per=200").await;
    let path = |i: usize| all[i].split('?').next().unwrap().to_owned();
    assert_eq!(link(&p2, "previous"), Some(path(0)));
    assert_eq!(link(&p2, "next"), Some(path(2)));
    // The links carry the view, so the walk goes on in it, to the end.
    let mut at =
        html_unescape(p2.split("\" rel=\"next\"").next().unwrap().rsplit("<a href=\"").next().unwrap());
    for expected in [3, 4] {
        let page = ann.get(&at).await.body;
        assert_eq!(at.split('?').next().unwrap(), path(expected - 1));
        match link(&page, "next") {
            Some(_) => {
                at = html_unescape(
                    page.split("\" rel=\"next\"").next().unwrap().rsplit("<a href=\"").next().unwrap(),
                )
            }
            None => panic!("p{expected} has a next"),
        }
    }
    let last = ann.get(&at).await.body;
    assert_eq!(link(&last, "next"), None, "the last item has no next");

    // A tag filter: only the tagged items are walked.
    for i in [0, 3] {
        ann.post(&path(i), &format!("{}/tags", path(i)), &[("tags", "pick")]).await;
    }
    let tagged = cards(&ann, "/media?tags=pick&sort=name").await;
    let page = ann.get(&tagged[0]).await.body;
    assert_eq!((link(&page, "previous"), link(&page, "next")), (None, Some(path(3))));

    // Within a collection opened from its page: its items only, and "Gallery" goes back to it.
    let made = ann.post("/collections", "/collections", &[("name", "Two")]).await;
    let id = made.location().trim_start_matches("/collections/").to_owned();
    for i in [1, 4] {
        ann.post(&path(i), &format!("{}/collections", path(i)), &[("collection", &id)]).await;
    }
    let inside = cards(&ann, &format!("{}?sort=name", made.location())).await;
    let page = ann.get(&inside[0]).await.body;
    assert_eq!((link(&page, "previous"), link(&page, "next")), (None, Some(path(4))));
    assert!(
        html_unescape(&page)
            .contains(&format!("<a href=\"{}?sort=name\" id=\"to-gallery\">", made.location()))
    );

    // Another user's collection named in the address walks nothing.
    let (bob, _) = server.signed_in("bob", Role::User).await;
    let theirs = bob.post("/collections", "/collections", &[("name", "Bob's")]).await;
    let sneaky = format!("{}?back={}", path(1), theirs.location());
    let page = ann.get(&sneaky).await.body;
    assert_eq!((link(&page, "previous"), link(&page, "next")), (None, None));
}

async fn browser_walks_the_view_with_the_keyboard(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("a.png", fixture_bytes("image.png")),
        ("b.png", fixture_bytes("image.png")),
        ("c.png", fixture_bytes("image.png")),
    ];
    assert!(ann.upload(&files, None, false).await.body.contains("3 accepted"));
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.sign_in("ann").await;
        b.goto("/media?sort=name").await;
        b.find_link("a.png").await.click().await.expect("open a.png");
        b.wait_for_heading("a.png").await;
        b.find("body").await.send_keys(&Key::Right.to_string()).await.expect("→");
        b.wait_for_heading("b.png").await;
        b.find("body").await.send_keys(&Key::Right.to_string()).await.expect("→");
        b.wait_for_heading("c.png").await;
        b.find("body").await.send_keys(&Key::Left.to_string()).await.expect("←");
        b.wait_for_heading("b.png").await;
        // e: to the description; typing there does not walk.
        b.find("body").await.send_keys("e").await.expect("e");
        let focused = b.js("return document.activeElement.id;").await;
        assert_eq!(focused, "alt_text");
        b.find("#alt_text").await.send_keys(&Key::Right.to_string()).await.ok();
        b.wait_for_heading("b.png").await;
        b.js("document.activeElement.blur(); return 1;").await;
        b.find("body").await.send_keys(&Key::Escape.to_string()).await.expect("Esc");
        b.wait_for_path("/media").await;
        assert!(
            b.js("return location.search;").await.as_str().unwrap().contains("sort=name"),
            "back to the same view"
        );
    })
    .await;
}

/// The viewer, opened from a gallery's thumbnail: the item filling the window, walked in the
/// view's order (here a search's best-match order, across pages), Close back to the view, Edit
/// to the item's fields; an audio item plays in it; another account's item is not there.
async fn the_full_window_viewer_walks_a_search_and_closes(env: TestEnv) {
    let server = env.start_server().await;
    let (ann, me) = server.signed_in("ann", Role::User).await;
    let kim = mediadesk::media::Actor::user(me);
    let files: Vec<(&str, Vec<u8>)> = ["quay-a.png", "quay-b.png", "quay-c.png"]
        .into_iter()
        .map(|n| (n, fixture_bytes("image.png")))
        .chain([("harbour-song.mp3", fixture_bytes("tone-cbr.mp3"))])
        .collect();
    assert!(ann.upload(&files, None, false).await.body.contains("4 accepted"));
    let by_name = cards(&ann, "/media?sort=name&type=image").await;
    let path = |i: usize| by_name[i].split('?').next().unwrap().to_owned();
    let item = |i: usize| {
        let id = path(i).rsplit('/').next().unwrap().parse::<i64>().unwrap();
        (mediadesk::domain::MediaKind::Image, id)
    };
    // quay-c has "harbour" in its title, the others only in their captions: it matches best,
    // and the other two tie (then the newer first).
    let described =
        |title: Option<&str>, alt: Option<&str>, caption: Option<&str>| mediadesk::media::Description {
            title: title.map(str::to_owned),
            alt_text: alt.map(str::to_owned),
            caption: caption.map(str::to_owned),
            credit: None,
        };
    let media = &server.env.media;
    media
        .describe(&kim, item(2), &described(Some("Harbour"), Some("Three boats at a quay"), None), None)
        .await
        .unwrap();
    for i in [0, 1] {
        media
            .describe(&kim, item(i), &described(None, None, Some("The harbour at noon")), None)
            .await
            .unwrap();
    }

    // The gallery's thumbnails open the viewer, carrying the view.
    let view = "/media?q=harbour&type=image&per=1";
    let gallery = ann.get(view).await;
    let thumb = html_unescape(&gallery.all("<a class=\"thumb\" href=\"")[0]);
    assert_eq!(thumb.split('?').next().unwrap(), format!("{}/view", path(2)), "best match first");
    let c = ann.get(&thumb).await;
    assert_eq!(c.status, 200);
    assert!(c.body.contains("class=\"viewer-mode\"") && c.body.contains("alt=\"Three boats at a quay\""));
    assert!(c.body.contains("<h1>Harbour</h1>"), "the title heads it");
    let walk = |page: &str, id: &str| href(page, id).map(|h| h.split('?').next().unwrap().to_owned());
    assert_eq!(walk(&c.body, "previous"), None);
    assert_eq!(href(&c.body, "to-gallery").as_deref(), Some(view), "Close goes back to the view");
    let edit = href(&c.body, "edit").unwrap();
    let to_fields = format!("{}?edit=1&back=", path(2));
    assert!(edit.starts_with(&to_fields), "{edit}");
    let fields = ann.get(&edit).await.body;
    assert!(fields.contains("id=\"alt_text\" name=\"alt_text\" rows=\"2\" maxlength=\"1000\" autofocus"));
    // Next, on the view's second page (one per page), then the last: of the two that tie,
    // the newer first.
    let (newer, older) = if item(1).1 > item(0).1 { (1, 0) } else { (0, 1) };
    assert_eq!(walk(&c.body, "next"), Some(format!("{}/view", path(newer))));
    let b = ann.get(&href(&c.body, "next").unwrap()).await.body;
    assert_eq!(walk(&b, "previous"), Some(format!("{}/view", path(2))));
    assert_eq!(walk(&b, "next"), Some(format!("{}/view", path(older))));
    let a = ann.get(&href(&b, "next").unwrap()).await.body;
    assert_eq!(walk(&a, "next"), None, "the last match");
    assert!(a.contains(&format!("alt=\"quay-{}.png\"", ["a", "b"][older])), "no alt text: the file name");

    // Audio plays in it.
    let song = cards(&ann, "/media?type=audio").await;
    let song_view = format!("{}/view", song[0].split('?').next().unwrap());
    let page = ann.get(&song_view).await.body;
    assert!(page.contains("<audio controls") && page.contains("id=\"player\""));

    // Another account's item: not found, as its page is.
    let (bob, _) = server.signed_in("bob", Role::User).await;
    assert_eq!(bob.get(&song_view).await.status, 404);
}

/// The item's page and the viewer name the next item's picture by the very URL its own page
/// will give (links are issued on a round time, so a page fetched twice gives the same ones
/// and the browser keeps what it fetched); the script fetches it once the shown picture has
/// come, so → shows it from the cache (the app's own file links say how long to keep them; an
/// S3 server's answers say what they say, so there only the fetch ahead is checked).
async fn browser_fetches_the_next_picture_ahead(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    let ann = two_pictures(&server).await;
    let view = "/media?sort=name";
    let names = cards(&ann, view).await;
    let (first, second) = (names[0].clone(), names[1].clone());
    let picture = |page: &str| {
        let at = page.find("id=\"preview\"").expect("a picture");
        let before = &page[..at];
        html_unescape(before[before.rfind("src=\"").unwrap() + 5..].split('"').next().unwrap())
    };
    let ahead = |page: &str| {
        page.split("data-next-picture=\"").nth(1).map(|rest| html_unescape(rest.split('"').next().unwrap()))
    };
    for page in [first.clone(), format!("{}/view", first.split('?').next().unwrap())] {
        let with_back =
            if page.contains('?') { page.clone() } else { format!("{page}?back=%2Fmedia%3Fsort%3Dname") };
        let once = ann.get(&with_back).await.body;
        assert_eq!(picture(&once), picture(&ann.get(&with_back).await.body), "{page}: the same link twice");
        let next = ahead(&once).unwrap_or_else(|| panic!("{page} names the next picture: {once}"));
        let second_page = ann.get(&second).await.body;
        assert_eq!(next, picture(&second_page), "{page}: the next page's own link");
        assert_eq!(ahead(&second_page), None, "the last has none ahead");
    }

    let base = server.base.clone();
    Browser::run(backend, &base, |br| async move {
        br.sign_in("ann").await;
        br.goto(&first).await;
        let next = br.js("return document.querySelector('nav.walk').dataset.nextPicture;").await;
        let next = next.as_str().expect("a picture ahead").to_owned();
        let fetched = format!(
            "return performance.getEntriesByType('resource').filter(e => e.name.endsWith({next:?})) \
             .map(e => e.transferSize);"
        );
        poll("the next picture fetched ahead", PATIENCE, async || {
            let sizes = br.js(&fetched).await;
            if sizes.as_array().is_some_and(|s| !s.is_empty()) { Ok(()) } else { Err(sizes.to_string()) }
        })
        .await;
        br.find("body").await.send_keys(&Key::Right.to_string()).await.expect("→");
        poll("on the next page", PATIENCE, async || {
            let src = br.js("return document.getElementById('preview').getAttribute('src');").await;
            if src == next.as_str() { Ok(()) } else { Err(src.to_string()) }
        })
        .await;
        let loaded = "const i = document.getElementById('preview'); return new Promise(r => { \
            if (i.complete) r(i.naturalWidth); else i.onload = () => r(i.naturalWidth); });";
        assert!(br.js(loaded).await.as_u64().unwrap() > 0);
        if backend == "sqlite_local" {
            let sizes = br.js(&fetched).await;
            let cached = sizes.as_array().unwrap().iter().all(|size| size == 0);
            assert!(cached, "shown from the cache, nothing fetched again: {sizes}");
        }
    })
    .await;
}

/// On a phone (390 px, a finger through WebDriver's touch actions) the viewer walks by swiping:
/// right to left to the next item, left to right back; a mostly upright move does not walk.
async fn browser_swipes_through_the_viewer_at_390_px(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    let ann = two_pictures(&server).await;
    let first = cards(&ann, "/media?sort=name").await[0].clone();
    let (path, back) = first.split_once('?').expect("the view to walk");
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.resize(390, 844).await;
        b.sign_in("ann").await;
        b.goto(&format!("{path}/view?{back}")).await;
        b.wait_for_heading("a.png").await;
        b.swipe(".viewer-stage", (0.0, 0.0), (0.0, 120.0)).await;
        b.swipe(".viewer-stage", (80.0, 0.0), (-60.0, 120.0)).await;
        assert_eq!(
            b.js("return document.querySelector('h1').textContent;").await,
            "a.png",
            "upright: no walk"
        );
        b.swipe(".viewer-stage", (100.0, 0.0), (-100.0, 10.0)).await;
        b.wait_for_heading("b.jpg").await;
        b.assert_fits("the viewer fits 390 px").await;
        b.swipe(".viewer-stage", (-100.0, 0.0), (100.0, 0.0)).await;
        b.wait_for_heading("a.png").await;
    })
    .await;
}

/// What a page shows may be kept by the browser that fetched it (so walking back and forth
/// does not fetch a picture again), by no shared cache, and not past its link's life: on the
/// local folder the app says so, on S3 the bucket does, for an upload's file and thumbnail and
/// for a file back from the trash (a copy in the bucket).
async fn the_browser_may_keep_what_a_page_shows(env: TestEnv) {
    let s3 = env.s3.is_some();
    let server = env.with_trash(30).start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let item = ann.upload_one("quay.jpg", fixture_bytes("image.jpg")).await;
    let kept = async |url: &str| {
        let (status, headers, _) = ann.get_bytes(url, None).await;
        assert_eq!(status, 200, "{url}");
        let advice = headers.get("cache-control").expect("caching advice").to_str().unwrap().to_owned();
        if s3 {
            assert_eq!(advice, "private, max-age=3600", "{url}");
        } else {
            let age: i64 = advice.strip_prefix("private, max-age=").expect(&advice).parse().unwrap();
            let exp: i64 = url.split("exp=").nth(1).unwrap().split('&').next().unwrap().parse().unwrap();
            // Read a moment after the server answered: a second may have gone by.
            let left = exp - chrono::Utc::now().timestamp() + 1;
            assert!(age > 0 && age <= left.min(3600), "max-age {age} with {left} s of the link left");
        }
    };
    let file = ann.get(&item).await.open_full_size();
    kept(&file).await;
    let thumbs = ann.get("/media").await.all("<img src=\"");
    let thumb = thumbs.iter().find(|t| t.contains("thumb")).expect("a thumbnail");
    kept(thumb).await;

    let id = item.rsplit('/').next().unwrap();
    let deleted = ann.post(&format!("{item}/delete"), &format!("{item}/delete"), &[("step", "delete")]).await;
    assert_eq!(deleted.status, 303);
    let fields = [("action", "restore"), ("item", &format!("image:{id}")), ("then", "item")];
    assert_eq!(ann.post(&item, "/trash", &fields).await.status, 303);
    let restored = ann.get(&item).await.open_full_size();
    assert_ne!(restored, file, "a new name after the trash");
    kept(&restored).await;
}

//! Two people on one item's description, one of them in Chromium: what the browser sends for
//! the fields she left alone (a caption with line breaks comes back as CRLF) is no change, so
//! someone else's edit of them stands; a caption both changed comes back refused with her text
//! in the field and theirs beside it, and her second save, by keyboard, lands. A region and a
//! collection name changed by someone else meanwhile come back the same way, and the pages
//! fit a phone even with names of one long word.

use fantoccini::key::Key;
use mediadesk::auth::Role;
use mediadesk::media::{Actor, RegionInput};

use crate::common::browser::{Browser, PATIENCE, poll};
use crate::common::server::{TestClient, html_unescape};
use crate::common::*;
use crate::edits::form;

backend_tests!(browser_keeps_both_editors_text, browser_shows_other_editors_changes_at_a_phones_width);

/// Sam saves `changes` over the item's description as his page shows it now.
async fn sam_saves(sam: &TestClient, item: &str, changes: &[(&str, &str)]) {
    let fields = form(&sam.get(item).await.body, changes);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = sam.post(item, &format!("{item}/describe"), &fields).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
}

/// Waits until the item's page, as Sam sees it, holds `text`.
async fn saved(sam: &TestClient, item: &str, text: &str) -> String {
    poll(&format!("{text} saved"), PATIENCE, async || {
        let page = html_unescape(&sam.get(item).await.body);
        if page.contains(text) { Ok(page) } else { Err("not saved yet".to_owned()) }
    })
    .await
}

async fn browser_keeps_both_editors_text(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let (sam, _) = server.signed_in("sam", Role::Staff).await;
    assert!(
        ann.upload(&[("dawn.png", fixture_bytes("image.png"))], None, false)
            .await
            .body
            .contains("1 accepted")
    );
    let item = ann.get("/media").await.all("<a class=\"name\" href=\"").remove(0);
    let item = item.split('?').next().unwrap().to_owned();
    sam_saves(&sam, &item, &[("caption", "Line one\nline two")]).await;
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.sign_in("ann").await;
        b.goto(&item).await;
        b.find("#title").await.send_keys("Harbour").await.expect("type a title");
        // Meanwhile Sam rewrites the caption Ann did not touch.
        sam_saves(&sam, &item, &[("caption", "Sam's caption"), ("credit", "© Sam")]).await;
        b.find("form[action$='/describe'] button[type=submit]").await.click().await.expect("save");
        // Her page comes back before the next one opens: a late answer would replace it.
        b.wait_for_heading("Harbour").await;
        let page = saved(&sam, &item, "<h1 class=\"filename\">Harbour</h1>").await;
        assert!(page.contains("Sam's caption") && page.contains("© Sam"), "his caption and credit stand");

        // Now both change the caption.
        b.goto(&item).await;
        let caption = b.find("#caption").await;
        caption.clear().await.expect("clear the caption");
        caption.send_keys("Ann's caption").await.expect("type a caption");
        sam_saves(&sam, &item, &[("caption", "Sam again")]).await;
        b.find("form[action$='/describe'] button[type=submit]").await.click().await.expect("save");
        let error = b.wait_for_text("#description-error", "someone else changed the caption").await;
        assert!(error.contains("Sam again"), "{error}");
        let mine = b.js("return document.getElementById('caption').value;").await;
        assert_eq!(mine.as_str(), Some("Ann's caption"), "her text is still in the field");
        let credit = b.js("return document.getElementById('credit').value;").await;
        assert_eq!(credit.as_str(), Some("© Sam"));
        // At a phone's width the refusal fits.
        b.resize(390, 844).await;
        b.assert_fits("no sideways scrolling at 390 px").await;

        // Saving again, by keyboard, puts hers in its place.
        b.find("#credit").await.send_keys(&Key::Enter.to_string()).await.expect("Enter saves");
        let page = saved(&sam, &item, "Ann's caption").await;
        assert!(page.contains("© Sam") && !page.contains("Sam again"), "{page}");
    })
    .await;
}

async fn browser_shows_other_editors_changes_at_a_phones_width(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    let (ann, ann_id) = server.signed_in("ann", Role::User).await;
    let (_, sam_id) = server.signed_in("sam", Role::Staff).await;
    let item = ann.upload_one("talk.flac", fixture_bytes("tone.flac")).await;
    let id: i64 = item.rsplit('/').next().unwrap().parse().unwrap();
    let media = server.app.media.clone();
    let (ann_a, sam_a) = (Actor::user(ann_id), Actor::staff(sam_id));
    // Names of one long word: nothing may push the page sideways.
    let word = |c: &str, n: usize| c.repeat(n);
    let input = |label: String| RegionInput { label, start: "0.1".into(), end: "0.3".into() };
    let r = media.add_region(&ann_a, id, &input(word("a", 200))).await.unwrap();
    let owner = mediadesk::domain::Owner::User(ann_id);
    let c = media.create_collection(&ann_a, owner, None, &word("c", 100)).await.unwrap();
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.sign_in("ann").await;
        b.resize(390, 844).await;
        b.goto(&item).await;
        b.assert_fits("a long region name fits at 390 px").await;

        // Ann opens the region's form and renames it; meanwhile Sam renames it too.
        b.find(&format!("#region-{} summary", r.id)).await.click().await.expect("open its form");
        let label = b.find(&format!("#label-{}", r.id)).await;
        label.clear().await.expect("clear");
        label.send_keys("Intro").await.expect("type a name");
        media.update_region(&sam_a, (id, r.id), &input(word("b", 200)), None).await.unwrap();
        label.send_keys(&Key::Enter.to_string()).await.expect("Enter saves");
        let error = b.wait_for_text("#region-error", "Someone changed this region").await;
        assert!(error.contains(&word("b", 200)), "{error}");
        let mine = b.js(&format!("return document.getElementById('label-{}').value;", r.id)).await;
        assert_eq!(mine.as_str(), Some("Intro"), "her name is still in the field");
        b.assert_fits("the refusal fits at 390 px").await;
        b.js("document.getElementById('region-error').scrollIntoView(); return 1;").await;
        b.screenshot("region-clash-390").await;
        // Saving again, by keyboard, puts hers in its place.
        b.find(&format!("#label-{}", r.id)).await.send_keys(&Key::Enter.to_string()).await.expect("Enter");
        b.wait_for_flash("Region saved.").await;
        poll("Intro saved", PATIENCE, async || {
            let now = media.regions(&ann_a, id).await.unwrap().remove(0).label;
            if now == "Intro" { Ok(()) } else { Err(now) }
        })
        .await;

        // A collection renamed meanwhile.
        b.goto(&format!("/collections/{}/edit", c.id)).await;
        b.assert_fits("a long collection name fits at 390 px").await;
        let name = b.find("#name").await;
        name.clear().await.expect("clear");
        name.send_keys("Harbour").await.expect("type a name");
        media.rename_collection(&sam_a, c.id, &word("d", 100), None).await.unwrap();
        name.send_keys(&Key::Enter.to_string()).await.expect("Enter renames");
        b.wait_for_text(".form-error", &word("d", 100)).await;
        let mine = b.js("return document.getElementById('name').value;").await;
        assert_eq!(mine.as_str(), Some("Harbour"));
        b.assert_fits("the refusal fits at 390 px").await;
        b.screenshot("rename-clash-390").await;
    })
    .await;
}

//! Two people on one item's description, one of them in Chromium: what the browser sends for
//! the fields she left alone (a caption with line breaks comes back as CRLF) is no change, so
//! someone else's edit of them stands; a caption both changed comes back refused with her text
//! in the field and theirs beside it, and her second save, by keyboard, lands.

use fantoccini::key::Key;
use mediadesk::auth::Role;

use crate::common::browser::{Browser, PATIENCE, poll};
use crate::common::server::{TestClient, html_unescape};
use crate::common::*;
use crate::edits::form;

backend_tests!(browser_keeps_both_editors_text);

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
        let page = saved(&sam, &item, "<h1 class=\"filename\">Harbour</h1>").await;
        assert!(page.contains("Sam's caption") && page.contains("© Sam"), "his caption and credit stand");

        // Now both change the caption.
        b.goto(&item).await;
        let caption = b.find("#caption").await;
        caption.clear().await.expect("clear the caption");
        caption.send_keys("Ann's caption").await.expect("type a caption");
        sam_saves(&sam, &item, &[("caption", "Sam again")]).await;
        b.find("form[action$='/describe'] button[type=submit]").await.click().await.expect("save");
        let error = poll("the refusal", PATIENCE, async || {
            let text =
                b.js("const e = document.getElementById('description-error'); return e && e.innerText;");
            match text.await.as_str() {
                Some(t) => Ok(t.to_owned()),
                None => Err("no #description-error yet".to_owned()),
            }
        })
        .await;
        assert!(error.contains("someone else changed the caption") && error.contains("Sam again"), "{error}");
        let mine = b.js("return document.getElementById('caption').value;").await;
        assert_eq!(mine.as_str(), Some("Ann's caption"), "her text is still in the field");
        let credit = b.js("return document.getElementById('credit').value;").await;
        assert_eq!(credit.as_str(), Some("© Sam"));
        // At a phone's width the refusal fits.
        b.resize(390, 844).await;
        let overflow = "return document.documentElement.scrollWidth - document.documentElement.clientWidth;";
        assert_eq!(b.js(overflow).await.as_i64(), Some(0), "no sideways scrolling at 390 px");

        // Saving again, by keyboard, puts hers in its place.
        b.find("#credit").await.send_keys(&Key::Enter.to_string()).await.expect("Enter saves");
        let page = saved(&sam, &item, "Ann's caption").await;
        assert!(page.contains("© Sam") && !page.contains("Sam again"), "{page}");
    })
    .await;
}

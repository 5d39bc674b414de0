//! Organizing and describing in Chromium, the way a staff member would: make a collection,
//! tag three items at once and put them in it, shorten a refused tag on the summary and apply
//! it again by keyboard, filter by the tag, walk the items with the arrow keys, and write alt
//! text in the describing queue; and move about the gallery's grid with the arrow keys.

use fantoccini::key::Key;
use mediadesk::auth::Role;

use crate::common::browser::{Browser, PATIENCE, poll};
use crate::common::*;

backend_tests!(
    browser_organizes_and_describes,
    browser_arrow_keys_move_about_the_gallery,
    browser_selects_all_or_a_run_of_cards
);

async fn browser_organizes_and_describes(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("boats.jpg", fixture_bytes("image.jpg")),
        ("lighthouse.png", fixture_bytes("image.png")),
        ("quay.webp", fixture_bytes("image.webp")),
        ("gulls.flac", fixture_bytes("tone.flac")),
    ];
    assert!(ann.upload(&files, None, false).await.body.contains("4 accepted"));
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.sign_in("ann").await;

        // A collection.
        b.goto("/collections").await;
        b.find("#name").await.send_keys("Harbour walk").await.expect("name it");
        b.find("form[action='/collections'] button[type=submit]").await.click().await.expect("make it");
        let collection = poll("the collection page", PATIENCE, async || {
            let path = b.path().await;
            if path.starts_with("/collections/") { Ok(path) } else { Err(path) }
        })
        .await;

        // Three images ticked, tagged at once, then put in the collection at once.
        let tick_images = async || {
            b.goto("/media?type=image&sort=name").await;
            for pick in ["boats.jpg", "lighthouse.png", "quay.webp"] {
                b.find("label.pick-label").await; // the cards are there
                b.js(&format!(
                    "const l = [...document.querySelectorAll('label.pick-label')]\
                         .find(l => l.textContent.endsWith('{pick}')); \
                     document.getElementById(l.htmlFor).checked = true; return 1;"
                ))
                .await;
            }
            b.find("details.bulk-edit summary").await.click().await.expect("open Change selected");
        };
        tick_images().await;
        b.find("#bulk-value").await.send_keys("harbour").await.expect("type the tag");
        b.find("button[formaction='/media/bulk/edit']").await.click().await.expect("apply");
        let summary = |want: &'static str| {
            let b = b.clone();
            async move {
                poll(want, PATIENCE, async || {
                    let h1 = b.js("return document.querySelector('h1').textContent;").await;
                    if h1.as_str().is_some_and(|t| t.contains(want)) { Ok(()) } else { Err(h1.to_string()) }
                })
                .await
            }
        };
        summary("3 items tagged").await;
        tick_images().await;
        let action = b.find("#bulk-action").await;
        action.select_by_value("collect").await.expect("choose the collection action");
        b.find("button[formaction='/media/bulk/edit']").await.click().await.expect("apply");
        summary("3 items added to “Harbour walk”").await;

        // A tag too long for them: nothing changes, and the summary offers the three again
        // with the text as pasted, at a phone's width too; shortened there and applied by
        // keyboard, it lands.
        tick_images().await;
        let long = format!("quay {}", "x".repeat(60));
        b.js(&format!("document.getElementById('bulk-value').value = '{long}'; return 1;")).await;
        b.find("button[formaction='/media/bulk/edit']").await.click().await.expect("apply");
        summary("Nothing was changed").await;
        let kept = b.js("return document.getElementById('again-value').value;").await;
        assert_eq!(kept.as_str(), Some(long.as_str()), "the pasted text is in the field");
        b.resize(390, 844).await;
        b.assert_fits("no sideways scrolling at 390 px").await;
        let field = b.find("#again-value").await;
        field.clear().await.expect("clear the text");
        field.send_keys("quay").await.expect("type a shorter one");
        field.send_keys(&Key::Tab.to_string()).await.expect("Tab to the button");
        let focused = b.js("return document.activeElement.textContent;").await;
        assert_eq!(focused.as_str(), Some("Apply to these 3 items again"), "the button is next");
        b.find("#again-form button").await.send_keys(&Key::Enter.to_string()).await.expect("Enter applies");
        summary("3 items tagged “quay”").await;
        b.resize(1280, 900).await;
        b.goto(&collection).await;
        assert_eq!(b.count("ul.grid li.card").await, 3);
        let collection_png = b.screenshot("collection").await;

        // Filter by the tag.
        b.goto("/media").await;
        b.find("#tags").await.send_keys("harbour").await.expect("type the filter");
        b.find("form.filters button[type=submit]").await.click().await.expect("apply the filter");
        poll("the tagged items", PATIENCE, async || {
            let n = b.count("ul.grid li.card").await;
            let search = b.js("return location.search;").await;
            let filtered = search.as_str().unwrap_or("").contains("tags=harbour");
            if n == 3 && filtered { Ok(()) } else { Err(format!("{n} {search}")) }
        })
        .await;

        // Walk them with the arrow keys, from the first by name.
        b.goto("/media?tags=harbour&sort=name").await;
        b.find("ul.grid li.card a.thumb").await.click().await.expect("open the first in the viewer");
        b.wait_for_heading("boats.jpg").await;
        b.find("body").await.send_keys(&Key::Right.to_string()).await.expect("→");
        b.wait_for_heading("lighthouse.png").await;
        let viewer_png = b.screenshot("viewer").await;
        b.find("body").await.send_keys(&Key::Right.to_string()).await.expect("→");
        b.wait_for_heading("quay.webp").await;
        assert_eq!(b.count("#next").await, 0, "the last of the view");
        assert_eq!(b.count("#viewer").await, 1, "in the full-window viewer");
        // e: to the item's fields, the cursor in alt text; then Esc from the viewer: the view.
        b.find("body").await.send_keys("e").await.expect("e");
        poll("the description field", PATIENCE, async || {
            let id = b.js("return document.activeElement && document.activeElement.id;").await;
            if id == "alt_text" { Ok(()) } else { Err(id.to_string()) }
        })
        .await;
        b.js("history.back(); return null;").await;
        b.wait_for_heading("quay.webp").await;
        b.find("body").await.send_keys(&Key::Escape.to_string()).await.expect("Esc");
        poll("the gallery view", PATIENCE, async || {
            let here = b.js("return location.pathname + location.search;").await;
            if here == "/media?tags=harbour&sort=name" { Ok(()) } else { Err(here.to_string()) }
        })
        .await;

        // The describing queue: type, Enter, next.
        b.goto("/describe").await;
        let coverage = b.js("return document.getElementById('coverage').textContent;").await;
        assert_eq!(coverage, "Alt text: 0 % of 3 images");
        let typed = format!("Fishing boats moored at a stone quay{}", Key::Enter);
        b.find("#text").await.send_keys(&typed).await.expect("type and Enter");
        poll("the next image", PATIENCE, async || {
            let c = b.js("return document.getElementById('coverage').textContent;").await;
            if c == "Alt text: 33 % of 3 images" { Ok(()) } else { Err(c.to_string()) }
        })
        .await;
        assert_eq!(b.js("return document.activeElement.id;").await, "text", "ready for the next one");

        if b.backend == "sqlite_local" && std::env::var_os("MEDIADESK_UPDATE_SCREENSHOTS").is_some() {
            crate::e2e::save_doc_screenshot("collection.png", &collection_png);
            crate::e2e::save_doc_screenshot("viewer.png", &viewer_png);
        }
    })
    .await;
}

/// The card the focus is in (its place in the grid) and what in it has the focus.
const FOCUSED: &str = "const a = document.activeElement;
    return [[...document.querySelectorAll('ul.grid > li')].indexOf(a.closest('li')), a.className];";

async fn browser_arrow_keys_move_about_the_gallery(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let names = [
        "image.jpg",
        "image.png",
        "image.webp",
        "image-cmyk.jpg",
        "image-gray16.png",
        "image-lossless.webp",
        "image-anim.gif",
        "tone.flac",
    ];
    let files: Vec<(&str, Vec<u8>)> = names.iter().map(|n| (*n, fixture_bytes(n))).collect();
    let up = ann.upload(&files, None, false).await;
    assert!(up.body.contains("8 accepted"), "{}", up.body);
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.sign_in("ann").await;
        let at = async || -> (i64, String) {
            let v = b.js(FOCUSED).await;
            (v[0].as_i64().unwrap(), v[1].as_str().unwrap().to_owned())
        };
        let (right, left, down, up) =
            (Key::Right.to_string(), Key::Left.to_string(), Key::Down.to_string(), Key::Up.to_string());
        for width in [1280, 390] {
            b.resize(width, 900).await;
            b.goto("/media").await;
            let columns = b
                .js("const grid = document.querySelector('ul.grid');
                     return getComputedStyle(grid).gridTemplateColumns.split(' ').length;")
                .await
                .as_i64()
                .unwrap();
            assert!(columns >= if width == 1280 { 4 } else { 1 }, "{columns} columns at {width} px");
            // From the first card's name: beside, below, above, back.
            b.find("ul.grid > li:first-child a.name").await.send_keys(&right).await.expect("→");
            assert_eq!(at().await, (1, "name".into()), "→ at {width} px");
            b.press(&down).await;
            assert_eq!(at().await, (1 + columns, "name".into()), "↓ at {width} px");
            b.press(&up).await;
            assert_eq!(at().await, (1, "name".into()), "↑ at {width} px");
            b.press(&left).await;
            assert_eq!(at().await, (0, "name".into()), "↑ ← at {width} px");
            b.press(&left).await;
            assert_eq!(at().await, (0, "name".into()), "nothing before the first card");
            // From a checkbox to the next card's checkbox; End and Home.
            b.find("ul.grid > li:first-child input.pick").await.send_keys(&right).await.expect("→");
            assert_eq!(at().await, (1, "pick".into()));
            b.press(&Key::End.to_string()).await;
            assert_eq!(at().await, (7, "pick".into()), "End");
            b.press(&Key::Home.to_string()).await;
            assert_eq!(at().await, (0, "pick".into()), "Home");
            // From a picture's link into the audio card beside it (no picture there): its name.
            let audio = b
                .js("return [...document.querySelectorAll('ul.grid > li')]
                        .indexOf(document.querySelector('ul.grid > li.card-audio'));")
                .await
                .as_i64()
                .unwrap();
            let (from, key) = if audio > 0 { (audio - 1, &right) } else { (audio + 1, &left) };
            let thumb = format!("document.querySelectorAll('ul.grid > li')[{from}].querySelector('a.thumb')");
            b.js(&format!("{thumb}.focus();")).await;
            assert_eq!(at().await, (from, "thumb".into()));
            b.press(key).await;
            assert_eq!(at().await, (audio, "name".into()), "a card without a picture: its name");
            // The seek bar keeps its own arrow keys.
            b.js("document.querySelector('ul.grid input.seek').focus();").await;
            assert_eq!(at().await, (audio, "seek".into()));
            b.press(&right).await;
            assert_eq!(at().await, (audio, "seek".into()), "the player's arrows stay the player's");
        }
    })
    .await;
}

/// Which cards are ticked, in the page's order, and what the bar says.
const TICKED: &str = "return [[...document.querySelectorAll('input.pick')].map(p => p.checked),
    document.querySelector('.picked-count').textContent, document.querySelector('.select-all').textContent];";

/// With the script, "Select all on this page" ticks every card in place (and clears them), a
/// Shift+click ticks the run from the last card clicked, and the bar counts them.
async fn browser_selects_all_or_a_run_of_cards(env: TestEnv) {
    let backend = env.backend;
    let server = env.start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let names = ["image.jpg", "image.png", "image.webp", "image-cmyk.jpg", "tone.flac"];
    let files: Vec<(&str, Vec<u8>)> = names.iter().map(|n| (*n, fixture_bytes(n))).collect();
    assert!(ann.upload(&files, None, false).await.body.contains("5 accepted"));
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.sign_in("ann").await;
        let ticked = async || -> (Vec<bool>, String, String) {
            let v = b.js(TICKED).await;
            let boxes = v[0].as_array().unwrap().iter().map(|t| t.as_bool().unwrap()).collect();
            (boxes, v[1].as_str().unwrap().to_owned(), v[2].as_str().unwrap().to_owned())
        };
        for width in [1280, 390] {
            b.resize(width, 900).await;
            b.goto("/media").await;
            let none = (vec![false; 5], String::new(), "Select all on this page".to_owned());
            assert_eq!(ticked().await, none, "at {width} px");
            // A button now, in place: the page stays where it is.
            b.find("button.select-all").await.click().await.expect("select all");
            assert_eq!(ticked().await, (vec![true; 5], "5 selected".into(), "Clear selection".into()));
            assert_eq!(b.path().await, "/media", "no round trip");
            b.screenshot(&format!("selected-{width}")).await;
            b.find("button.select-all").await.click().await.expect("clear");
            assert_eq!(ticked().await, none);

            // The second card, then Shift on the fourth: the run between, both ends in.
            b.find("ul.grid > li:nth-child(2) input.pick").await.click().await.expect("tick");
            b.shift_click("ul.grid > li:nth-child(4) input.pick").await;
            let run = vec![false, true, true, true, false];
            assert_eq!(ticked().await, (run, "3 selected".into(), "Select all on this page".into()));
            // The first, then Shift on the third, which that clears: the run is cleared.
            b.find("ul.grid > li:nth-child(1) input.pick").await.click().await.expect("tick");
            b.shift_click("ul.grid > li:nth-child(3) input.pick").await;
            let rest = vec![false, false, false, true, false];
            assert_eq!(ticked().await, (rest, "1 selected".into(), "Select all on this page".into()));
        }

        // A view of three pages, at 390 px: the whole view's change, ZIP and delete are
        // offered beside the selection's; the change's question asked and answered.
        b.goto("/media?per=2&sort=name").await;
        b.find("details.bulk-edit summary").await.click().await.expect("open Change selected");
        let bar =
            b.js("return [...document.querySelectorAll('.bulk-bar button')].map(x => x.textContent);").await;
        let bar: Vec<&str> = bar.as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        let offered = |label: &str| bar.contains(&label);
        assert!(offered("Apply to all 5 in this view…"), "{bar:?}");
        assert!(offered("Delete all 5 in this view…"), "{bar:?}");
        assert!(offered("Download all 5 as ZIP"), "{bar:?}");
        b.assert_fits("no sideways scrolling at 390 px").await;
        b.js("document.querySelector('details.bulk-edit').scrollIntoView(); return 1;").await;
        b.screenshot("whole-view-390").await;
        b.js("document.getElementById('bulk-action').value = 'credit'; return 1;").await;
        b.find("#bulk-value").await.send_keys("Ann & Co").await.expect("type the credit");
        let whole = b.find("button[name='scope'][value='view'][formaction='/media/bulk/edit']").await;
        whole.click().await.expect("apply to the whole view");
        let heading = async || b.js("return document.querySelector('h1').textContent;").await;
        poll("the question", PATIENCE, async || match heading().await.as_str() {
            Some("Change 5 items in this view?") => Ok(()),
            other => Err(format!("{other:?}")),
        })
        .await;
        b.assert_fits("the question fits 390 px").await;
        b.find("button.danger").await.click().await.expect("answer");
        poll("the summary", PATIENCE, async || match heading().await.as_str() {
            Some("5 items credited “Ann & Co”") => Ok(()),
            other => Err(format!("{other:?}")),
        })
        .await;
    })
    .await;
}

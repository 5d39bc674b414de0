//! Editing the gallery's selection at once, over HTTP without JavaScript, on both backends: one
//! item that may not be changed never stops the others, and the summary names it and why.

use mediadesk::auth::Role;
use mediadesk::domain::MediaKind;

use crate::common::server::{TestClient, html_unescape};
use crate::common::*;

backend_tests!(
    bulk_edit_changes_what_it_may_and_says_what_it_did_not,
    select_all_ticks_every_card_one_may_change,
    a_whole_view_changes_after_one_question
);

async fn edit(c: &TestClient, items: &[String], fields: &[(&str, &str)]) -> String {
    let mut all: Vec<(&str, &str)> = items.iter().map(|i| ("item", i.as_str())).collect();
    all.extend_from_slice(fields);
    all.push(("back", "/media"));
    let page = c.post("/media", "/media/bulk/edit", &all).await;
    assert_eq!(page.status, 200, "{}", page.body);
    html_unescape(&page.body)
}

async fn bulk_edit_changes_what_it_may_and_says_what_it_did_not(env: TestEnv) {
    let server = env.start_server().await;
    let (staff, _) = server.signed_in("sam", Role::Staff).await;
    let up = staff.upload(&[("press.png", fixture_bytes("image.png"))], Some("system"), false).await;
    assert!(up.body.contains("1 accepted"), "{}", up.body);
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("a.png", fixture_bytes("image.png")),
        ("b.png", fixture_bytes("image.png")),
        ("c.png", fixture_bytes("image.png")),
        ("d.flac", fixture_bytes("tone.flac")),
    ];
    assert!(ann.upload(&files, None, false).await.body.contains("4 accepted"));
    // Every card ann sees: her four and the system's image (read-only for her).
    let listing = ann.get("/media?sort=name").await;
    let picked: Vec<String> = listing.all("name=\"item\" value=\"");
    assert_eq!(picked.len(), 4, "only her own items have checkboxes");
    let press = server
        .app
        .media
        .gallery(
            &mediadesk::media::Actor::staff(0),
            &mediadesk::domain::GalleryQuery::new(mediadesk::domain::OwnerFilter::System),
        )
        .await
        .unwrap()
        .items[0]
        .id;
    let mut selection = picked.clone();
    selection.push(format!("image:{press}"));

    let page = edit(&ann, &selection, &[("action", "tag"), ("value", "harbour, dawn")]).await;
    assert!(page.contains("4 items tagged “harbour, dawn”; 1 not"), "{page}");
    assert!(page.contains("<strong>press.png</strong> — you may not change it"), "{page}");
    let tagged = ann.get("/media?tags=harbour%2Cdawn").await;
    assert_eq!(tagged.all("<a class=\"name\" href=\"").len(), 4);

    // Alt text is for images: the clip is named as not changed, the images are.
    let page = edit(&ann, &picked, &[("action", "alt"), ("value", "Boats at a quay")]).await;
    assert!(page.contains("3 items given this alt text; 1 not"), "{page}");
    assert!(page.contains("<strong>d.flac</strong> — audio has no alt text"), "{page}");
    let page = edit(&ann, &picked[..1], &[("action", "alt-append"), ("value", "at dawn.")]).await;
    assert!(page.contains("1 item given more alt text"), "{page}");
    let first_image = picked.iter().find(|p| p.starts_with("image:")).unwrap();
    let id: i64 = first_image.trim_start_matches("image:").parse().unwrap();
    let item = server.app.media.get(&mediadesk::media::Actor::staff(0), MediaKind::Image, id).await.unwrap();
    assert_eq!(item.description().alt_text.as_deref(), Some("Boats at a quay at dawn."));

    // Refused text (too long) loses nothing: the summary offers the refused images again with
    // the text as typed, to shorten and apply; not the clip (never alt text) nor press.png (not
    // hers to change).
    let long = format!("Boats {}", "x".repeat(mediadesk::media::MAX_ALT_TEXT));
    let page = edit(&ann, &selection, &[("action", "alt"), ("value", &long)]).await;
    assert!(page.contains("Nothing was changed") && page.contains("Try these again"), "{page}");
    assert!(page.contains(&format!("name=\"value\" rows=\"4\">{long}</textarea>")), "{page}");
    let again: Vec<String> = page
        .split("<input type=\"hidden\" name=\"item\" value=\"")
        .skip(1)
        .map(|r| r.split('"').next().unwrap().to_owned())
        .collect();
    let images: Vec<String> = picked.iter().filter(|p| p.starts_with("image:")).cloned().collect();
    assert_eq!(again, images, "{page}");
    assert!(page.contains("Apply to these 3 items again"));
    let page = edit(&ann, &again, &[("action", "alt"), ("value", "Boats at a quay")]).await;
    assert!(page.contains("3 items given this alt text") && !page.contains("Try these again"), "{page}");

    edit(&ann, &picked, &[("action", "credit"), ("value", "© Ann")]).await;
    assert_eq!(
        server
            .app
            .media
            .get(&mediadesk::media::Actor::staff(0), MediaKind::Image, id)
            .await
            .unwrap()
            .description()
            .credit
            .as_deref(),
        Some("© Ann")
    );

    // Into a collection, and out again.
    let made = ann.post("/collections", "/collections", &[("name", "Harbour")]).await;
    let collection = made.location().trim_start_matches("/collections/").to_owned();
    let page = edit(&ann, &picked, &[("action", "collect"), ("collection", &collection)]).await;
    assert!(page.contains("4 items added to “Harbour”"), "{page}");
    assert!(ann.get(made.location()).await.body.contains("Showing 1–4 of 4"));
    edit(&ann, &picked[..2], &[("action", "uncollect"), ("collection", &collection)]).await;
    assert!(ann.get(made.location()).await.body.contains("Showing 1–2 of 2"));

    let page = edit(&ann, &picked, &[("action", "untag"), ("value", "dawn")]).await;
    assert!(page.contains("4 items untagged “dawn”"), "{page}");
    assert!(ann.get("/media?tags=dawn").await.body.contains("Nothing matches these filters"));

    // Another user's selection of ann's items changes nothing.
    let (bob, _) = server.signed_in("bob", Role::User).await;
    let page = edit(&bob, &picked, &[("action", "tag"), ("value", "bob")]).await;
    assert!(page.contains("Nothing was changed") && !page.contains("Try these again"), "{page}");
    assert_eq!(
        bob.post("/media", "/media/bulk/edit", &[("action", "tag"), ("value", "x")]).await.status,
        400
    );
}

/// "Select all on this page" without the script: the same view with every card its reader may
/// change ticked (none other), counted, and a way back; the view's own links stay without it.
async fn select_all_ticks_every_card_one_may_change(env: TestEnv) {
    let server = env.start_server().await;
    let (staff, _) = server.signed_in("sam", Role::Staff).await;
    staff.upload(&[("press.png", fixture_bytes("image.png"))], Some("system"), false).await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let files = vec![("a.png", fixture_bytes("image.png")), ("b.png", fixture_bytes("image.png"))];
    assert!(ann.upload(&files, None, false).await.body.contains("2 accepted"));
    ann.upload(&[("c.flac", fixture_bytes("tone.flac"))], None, false).await;

    let view = ann.get("/media?type=image&sort=name").await;
    assert_eq!(view.all("<a class=\"name\" href=\"").len(), 3, "her two images and the system's");
    assert_eq!(view.all("name=\"item\" value=\"").len(), 2);
    assert!(!view.body.contains(" checked>") && !view.body.contains(" selected</span>"), "{}", view.body);
    let select = view.all("<a class=\"select-all\" href=\"");
    assert_eq!(select, ["/media?type=image&sort=name&select=all"]);
    assert!(view.body.contains(">Select all on this page</a>"));

    let ticked = ann.get(&select[0]).await;
    assert_eq!(ticked.status, 200);
    let boxes: Vec<&str> = ticked.body.split("<input type=\"checkbox\" class=\"pick\"").skip(1).collect();
    assert_eq!(boxes.len(), 2, "press.png is not hers: no box to tick");
    assert!(boxes.iter().all(|b| b.split('>').next().unwrap().ends_with(" checked")), "{}", ticked.body);
    assert!(ticked.body.contains("<span class=\"picked-count\" aria-live=\"polite\">2 selected</span>"));
    assert_eq!(ticked.all("<a class=\"select-all\" href=\""), ["/media?type=image&sort=name"]);
    assert!(ticked.body.contains(">Clear selection</a>"));
    // What the page's links and forms come back to is the view, not the ticking.
    assert_eq!(ticked.all("name=\"back\" value=\""), ["/media?type=image&sort=name"]);
    assert!(!ticked.body.contains("select=all") && !ticked.body.contains("select%3Dall"), "{}", ticked.body);

    // The ticked page's form changes the two.
    let items = ticked.all("name=\"item\" value=\"");
    let page = edit(&ann, &items, &[("action", "credit"), ("value", "Ann")]).await;
    assert!(page.contains("2 items credited “Ann”"), "{page}");
}

/// Asks to change the whole view at `back` and answers the question; the summary page.
async fn change_view(c: &TestClient, back: &str, fields: &[(&str, &str)]) -> (String, String) {
    let mut all = fields.to_vec();
    all.extend([("scope", "view"), ("back", back)]);
    let question = c.post("/media", "/media/bulk/edit", &all).await;
    assert_eq!(question.status, 200, "{}", question.body);
    let answer = question.hidden_fields();
    assert!(answer.contains(&("confirmed".into(), "yes".into())), "{}", question.body);
    let answer: Vec<(&str, &str)> =
        answer.iter().filter(|(k, _)| k != "csrf_token").map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let summary = c.post("/media", "/media/bulk/edit", &answer).await;
    assert_eq!(summary.status, 200, "{}", summary.body);
    (html_unescape(&question.body), html_unescape(&summary.body))
}

/// "Apply to all N in this view": a change reaches every item of the view, across its pages,
/// those its reader may change, after a question that says how many it changes and which it
/// leaves alone and why; nothing changes before the answer; the text typed comes back with it.
async fn a_whole_view_changes_after_one_question(env: TestEnv) {
    let server = env.start_server().await;
    let (sam, _) = server.signed_in("sam", Role::Staff).await;
    sam.upload(&[("press.png", fixture_bytes("image.png"))], Some("system"), false).await;
    let (ann, ann_id) = server.signed_in("ann", Role::User).await;
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("a.png", fixture_bytes("image.png")),
        ("b.png", fixture_bytes("image.png")),
        ("c.png", fixture_bytes("image.png")),
        ("d.png", fixture_bytes("image.png")),
        ("e.flac", fixture_bytes("tone.flac")),
    ];
    assert!(ann.upload(&files, None, false).await.body.contains("5 accepted"));
    let (bob, _) = server.signed_in("bob", Role::User).await;
    assert!(
        bob.upload(&[("bob.png", fixture_bytes("image.png"))], None, false).await.body.contains("1 accepted")
    );
    let tagged = |c: &TestClient, tags: &'static str| {
        let c = c.clone();
        async move {
            let view = c.get(&format!("/media?tags={tags}&per=200")).await;
            view.all("<a class=\"name\" href=\"").len()
        }
    };

    // A view of three pages offers the button on each page; one page does not need it.
    let first = ann.get("/media?sort=name&per=2").await;
    assert!(first.body.contains(">Apply to all 6 in this view…</button>"), "{}", first.body);
    assert!(first.body.contains("name=\"scope\" value=\"view\""));
    assert!(!ann.get("/media?type=audio").await.body.contains("in this view…"));
    let second = first.rel("next").unwrap();
    let back = ann.get(&second).await.all("name=\"back\" value=\"").remove(0);
    assert!(back.contains("after="), "the form comes back to its own page: {back}");

    // The question changes nothing; the answer changes every page's items that are hers.
    let question = ann
        .post(
            "/media",
            "/media/bulk/edit",
            &[("scope", "view"), ("back", &back), ("action", "tag"), ("value", "quay")],
        )
        .await;
    let text = html_unescape(&question.body);
    assert!(text.contains("Change 5 items in this view?"), "{text}");
    assert!(text.contains("All 5 items you may change in this view will be tagged “quay”."), "{text}");
    assert!(text.contains("Left alone: 1 item not yours to change."), "{text}");
    assert!(text.contains(">Change 5 items</button>") && text.contains(&format!("href=\"{back}\">Cancel")));
    assert_eq!(tagged(&ann, "quay").await, 0, "nothing before the answer");
    let (_, summary) = change_view(&ann, &back, &[("action", "tag"), ("value", "quay")]).await;
    assert!(summary.contains("5 items tagged “quay”</h1>"), "{summary}");
    assert!(summary.contains("<p>Left alone: 1 item not yours to change.</p>"), "{summary}");
    assert_eq!(tagged(&ann, "quay").await, 5);
    assert_eq!(tagged(&sam, "quay").await, 5, "the system's image is not hers to tag");

    // Alt text leaves the clip alone and says why; the text typed comes back to the answer.
    let alt = "Boats & “skiffs” <at> the quay";
    let (question, summary) =
        change_view(&ann, "/media?tags=quay&per=2", &[("action", "alt"), ("value", alt)]).await;
    assert!(question.contains("All 4 items you may change"), "{question}");
    assert!(summary.contains("4 items given this alt text"), "{summary}");
    assert!(summary.contains("Left alone: 1 audio item (audio has no alt text)."), "{summary}");
    let found = server
        .app
        .media
        .gallery(
            &mediadesk::media::Actor::staff(0),
            &mediadesk::domain::GalleryQuery::new(mediadesk::domain::OwnerFilter::User(ann_id)),
        )
        .await
        .unwrap();
    let alts: Vec<_> = found.items.iter().map(|i| (i.filename.as_str(), i.alt_text.as_deref())).collect();
    for (name, text) in &alts {
        let expected = if name.ends_with(".png") { Some(alt) } else { None };
        assert_eq!(*text, expected, "{name}: {alts:?}");
    }

    // A collection takes its owner's media and the system's: staff changing the whole gallery
    // put ann's and the system's in her collection, bob's left alone and said so.
    let made = ann.post("/collections", "/collections", &[("name", "Quay")]).await;
    let collection = made.location().trim_start_matches("/collections/").to_owned();
    let (question, summary) =
        change_view(&sam, "/media?per=2", &[("action", "collect"), ("collection", &collection)]).await;
    assert!(question.contains("will be added to “Quay”"), "{question}");
    assert!(summary.contains("6 items added to “Quay”</h1>"), "{summary}");
    assert!(
        summary.contains("Left alone: 1 item of others, which cannot go in this collection."),
        "{summary}"
    );
    assert!(ann.get(made.location()).await.body.contains("Showing 1–6 of 6"));

    // Refused before any question: no tag typed, a view that is not hers, a view with nothing
    // she may change, and (through the service, with a small cap) a view too large.
    let empty_tag = ann
        .post(
            "/media",
            "/media/bulk/edit",
            &[("scope", "view"), ("back", "/media"), ("action", "tag"), ("value", " , ")],
        )
        .await;
    assert_eq!(empty_tag.status, 400, "{}", empty_tag.body);
    assert!(html_unescape(&empty_tag.body).contains("type a tag"), "{}", empty_tag.body);
    let not_hers = format!("/media/users/{ann_id}");
    let refused = bob
        .post(
            "/media",
            "/media/bulk/edit",
            &[("scope", "view"), ("back", &not_hers), ("action", "credit"), ("value", "Bob")],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    let nothing = bob
        .post(
            "/media",
            "/media/bulk/edit",
            &[("scope", "view"), ("back", "/media?type=audio"), ("action", "credit"), ("value", "Bob")],
        )
        .await;
    assert_eq!(nothing.status, 303);
    assert_eq!(nothing.location(), "/media?type=audio");
    assert!(
        html_unescape(&bob.get("/media?type=audio").await.body)
            .contains("Nothing in this view to change: the view is empty.")
    );
    let too_many = server
        .app
        .media
        .view_members(
            &mediadesk::media::Actor::user(ann_id),
            &mediadesk::domain::GalleryQuery::new(mediadesk::domain::OwnerFilter::Visible(ann_id)),
            Some(&mediadesk::media::BulkEdit::Credit("Ann".into())),
            4,
        )
        .await;
    assert!(
        matches!(&too_many, Err(mediadesk::media::MediaError::Invalid(m)) if m.contains("more than 4 items")),
        "{too_many:?}"
    );
    // None of the refusals changed anything.
    for item in &found.items {
        let now = server.app.media.get(&mediadesk::media::Actor::staff(0), item.kind, item.id).await.unwrap();
        assert_eq!(now.description().credit, None, "{}", item.filename);
    }
}

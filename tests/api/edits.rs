//! Two people editing one item's text at once, on both backends: a field only one of them
//! changed keeps that change, a field both changed refuses the later save with what is saved
//! now (nothing written, nothing logged), the page comes back with the person's text in it, and
//! edits racing each other take turns instead of undoing one another.

use futures_util::future::join_all;
use mediadesk::auth::Role;
use mediadesk::domain::MediaKind;
use mediadesk::media::{Actor, BulkEdit, Description, MediaError, Seen, fingerprint};

use crate::common::server::{TestClient, html_unescape};
use crate::common::*;

backend_tests!(
    edits_made_at_once_merge_or_clash,
    racing_edits_take_turns,
    the_pages_keep_the_text_of_a_clashing_save
);

fn text(s: &str) -> Option<String> {
    Some(s.to_owned())
}

async fn description(env: &TestEnv, actor: &Actor, item: (MediaKind, i64)) -> Description {
    env.media.get(actor, item.0, item.1).await.unwrap().description().clone()
}

async fn edits_made_at_once_merge_or_clash(env: TestEnv) {
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let sam = Actor::staff(env.user("sam", "staff").await);
    let photo = env.upload_own(&ann, "p.png", "image.png").await;
    let start = Description { title: text("Dawn"), caption: text("Old caption"), ..Description::default() };
    media.describe(&ann, photo, &start, None).await.unwrap();
    // Both open the page: the same fingerprints.
    let seen = Seen::of(&description(&env, &ann, photo).await);

    // Sam changes the caption; Ann, from her older page, the title: both land.
    let sams = Description { caption: text("Sam's caption"), ..start.clone() };
    media.describe(&sam, photo, &sams, Some(&seen)).await.unwrap();
    let anns = Description { title: text("Harbour at dawn"), ..start.clone() };
    media.describe(&ann, photo, &anns, Some(&seen)).await.unwrap();
    let merged =
        Description { title: text("Harbour at dawn"), caption: text("Sam's caption"), ..start.clone() };
    assert_eq!(description(&env, &ann, photo).await, merged);

    // Ann, still from that page, changes the caption too: refused with Sam's, nothing kept.
    let logged = env.count_rows("audit_log").await;
    let anns = Description { caption: text("Ann's caption"), credit: text("© Ann"), ..start.clone() };
    match media.describe(&ann, photo, &anns, Some(&seen)).await {
        Err(MediaError::EditConflict(clashes)) => {
            assert_eq!(clashes, vec![("caption", text("Sam's caption"))])
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(description(&env, &ann, photo).await, merged, "not even the credit");
    assert_eq!(env.count_rows("audit_log").await, logged, "nothing logged");
    // Having seen Sam's, she saves hers over it.
    let seen = Seen::of(&merged);
    media.describe(&ann, photo, &anns, Some(&seen)).await.unwrap();
    assert_eq!(description(&env, &ann, photo).await.caption, text("Ann's caption"));

    // A transcript, the same way.
    let clip = env.upload_own(&ann, "c.flac", "tone.flac").await;
    let empty = fingerprint(None);
    media.update_transcript(&sam, clip.1, "Sam's words", Some(&empty)).await.unwrap();
    match media.update_transcript(&ann, clip.1, "Ann's words", Some(&empty)).await {
        Err(MediaError::EditConflict(clashes)) => {
            assert_eq!(clashes, vec![("transcript", text("Sam's words"))])
        }
        other => panic!("{other:?}"),
    }
    // The same text typed by both is no clash; a save of what was shown keeps Sam's.
    media.update_transcript(&ann, clip.1, "Sam's words", Some(&empty)).await.unwrap();
    let sams = fingerprint(Some("Sam's words"));
    let saved = media.update_transcript(&ann, clip.1, " Ann's words ", Some(&sams)).await.unwrap();
    assert_eq!(saved.transcript.as_deref(), Some("Ann's words"));
    // Someone else's item is still not Ann's to change, seen or not.
    let bob = Actor::user(env.user("bob", "user").await);
    let refused = media.describe(&bob, photo, &anns, Some(&seen)).await;
    assert!(matches!(refused, Err(MediaError::NotFound)), "{refused:?}");
}

async fn racing_edits_take_turns(env: TestEnv) {
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let photo = env.upload_own(&ann, "p.png", "image.png").await;
    // Twelve appends to one alt text at once: each starts from what the one before it saved.
    let words: Vec<String> = (0..12).map(|i| format!("w{i}")).collect();
    let appends = words.iter().map(|w| {
        let media = media.clone();
        let edit = BulkEdit::AppendAltText(w.clone());
        async move { media.bulk_edit(&ann, &[photo], &edit).await.pop().unwrap().1 }
    });
    for outcome in join_all(appends).await {
        outcome.unwrap();
    }
    let alt = description(&env, &ann, photo).await.alt_text.unwrap();
    let mut got: Vec<&str> = alt.split(' ').collect();
    got.sort();
    let mut want: Vec<&str> = words.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(got, want, "every append kept: {alt}");

    // Eight saves of one caption from the same page at once: one lands, seven clash.
    let seen = Seen::of(&description(&env, &ann, photo).await);
    let saves = (0..8).map(|i| {
        let (media, seen) = (media.clone(), seen.clone());
        let d = Description { caption: Some(format!("caption {i}")), ..Description::default() };
        let d = Description { alt_text: Some(alt.clone()), ..d };
        async move { media.describe(&ann, photo, &d, Some(&seen)).await }
    });
    let outcomes = join_all(saves).await;
    let landed: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert_eq!(landed.len(), 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| matches!(o, Ok(_) | Err(MediaError::EditConflict(_)))), "{outcomes:?}");
    assert_eq!(description(&env, &ann, photo).await.caption, landed[0].description().caption);

    // Sam's caption is being saved (written, not yet committed) when Ann's arrives: hers waits
    // for it and clashes, rather than reading the caption from before and writing over Sam's
    // (checked: without the lock it lands on PostgreSQL, and fails on SQLite's busy snapshot).
    let seen = Seen::of(&description(&env, &ann, photo).await);
    let sams = env.hold(&format!("UPDATE images SET caption = 'Sam''s' WHERE id = {}", photo.1)).await;
    let late = tokio::spawn({
        let (media, seen) = (media.clone(), seen.clone());
        let anns = Description { caption: text("Ann's"), ..description(&env, &ann, photo).await };
        async move { media.describe(&ann, photo, &anns, Some(&seen)).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    sams.commit().await;
    match late.await.unwrap() {
        Err(MediaError::EditConflict(clashes)) => assert_eq!(clashes, vec![("caption", text("Sam's"))]),
        other => panic!("{other:?}"),
    }
}

pub fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    page.split(&marker).nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_owned()
}

/// What the page's description field `name` holds (an input's value, a textarea's text).
pub fn shown(page: &str, name: &str) -> Option<String> {
    let tag = page.split(&format!("name=\"{name}\"")).nth(1)?.split('>').next()?.to_owned();
    let text = match tag.split("value=\"").nth(1) {
        Some(value) => value.split('"').next()?.to_owned(),
        None => page
            .split(&format!("name=\"{name}\""))
            .nth(1)?
            .split_once('>')?
            .1
            .split("</textarea>")
            .next()?
            .to_owned(),
    };
    Some(html_unescape(&text))
}

/// The description form as a browser sends it from `page`, with `changes` typed.
pub fn form(page: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for name in ["title", "alt_text", "caption", "credit"] {
        let typed = changes.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
        if let Some(text) = typed.or_else(|| shown(page, name)) {
            fields.push((name.to_owned(), text));
        }
        fields.push((format!("seen_{name}"), field(page, &format!("seen_{name}"))));
    }
    fields
}

async fn post(c: &TestClient, item: &str, action: &str, fields: &[(String, String)]) -> (u16, String) {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let page = c.post(item, &format!("{item}/{action}"), &fields).await;
    (page.status, html_unescape(&page.body))
}

async fn the_pages_keep_the_text_of_a_clashing_save(env: TestEnv) {
    let server = env.start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let (sam, _) = server.signed_in("sam", Role::Staff).await;
    let files = [("dawn.png", fixture_bytes("image.png")), ("talk.flac", fixture_bytes("tone.flac"))];
    assert!(ann.upload(&files, None, false).await.body.contains("2 accepted"));
    let mut items = Vec::new();
    for kind in ["image", "audio"] {
        let item = ann.get(&format!("/media?type={kind}")).await.all("<a class=\"name\" href=\"").remove(0);
        items.push(item.split('?').next().unwrap().to_owned());
    }
    let (photo, clip) = (items[0].clone(), items[1].clone());

    // Both open the photo's page; Sam saves a caption, then Ann a title from her older page.
    let anns_page = ann.get(&photo).await.body;
    assert_eq!(field(&anns_page, "seen_caption"), fingerprint(None));
    let sams_page = sam.get(&photo).await.body;
    let sams = [("caption", "Sam's caption"), ("credit", "© Sam")];
    let (status, _) = post(&sam, &photo, "describe", &form(&sams_page, &sams)).await;
    assert_eq!(status, 303);
    let (status, _) = post(&ann, &photo, "describe", &form(&anns_page, &[("title", "Harbour")])).await;
    assert_eq!(status, 303);
    let page = html_unescape(&ann.get(&photo).await.body);
    assert!(page.contains("<h1 class=\"filename\">Harbour</h1>") && page.contains("Sam's caption"), "{page}");
    assert!(page.contains("© Sam"), "{page}");

    // Ann, still from that page, types a caption of her own: 409, her text kept, Sam's shown.
    let mine = [("title", "Harbour"), ("caption", "Ann's caption")];
    let (status, body) = post(&ann, &photo, "describe", &form(&anns_page, &mine)).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("someone else changed the caption while you were editing"), "{body}");
    assert!(body.contains("Ann's caption</textarea>"), "her text in the field: {body}");
    assert!(body.contains("<dt>caption</dt><dd>Sam's caption</dd>"), "{body}");
    // The credit she left alone shows Sam's, so saving again keeps it.
    assert_eq!(shown(&body, "credit").as_deref(), Some("© Sam"), "{body}");
    assert!(html_unescape(&ann.get(&photo).await.body).contains("Sam's caption"), "nothing saved");
    // The page she got back has seen Sam's caption: saving it again puts hers in its place.
    assert_eq!(field(&body, "seen_caption"), fingerprint(Some("Sam's caption")));
    let (status, _) = post(&ann, &photo, "describe", &form(&body, &mine)).await;
    assert_eq!(status, 303);
    let page = html_unescape(&ann.get(&photo).await.body);
    assert!(page.contains("Ann's caption") && page.contains("© Sam"), "{page}");

    // The transcript box, the same way; and a too-long one comes back kept with why.
    let anns_page = ann.get(&clip).await.body;
    let sams_page = sam.get(&clip).await.body;
    let seen = |page: &str| ("seen_transcript".to_owned(), field(page, "seen_transcript"));
    let typed = |t: &str| ("transcript".to_owned(), t.to_owned());
    let (status, _) = post(&sam, &clip, "transcript", &[seen(&sams_page), typed("Sam's words")]).await;
    assert_eq!(status, 303);
    let (status, body) = post(&ann, &clip, "transcript", &[seen(&anns_page), typed("Ann's words")]).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("Ann's words</textarea>") && body.contains("Sam's words</blockquote>"), "{body}");
    let long = "a".repeat(mediadesk::media::MAX_TRANSCRIPT_CHARS + 1);
    let (status, body) = post(&ann, &clip, "transcript", &[seen(&body), typed(&long)]).await;
    assert_eq!(status, 400);
    assert!(body.contains("longer than") && body.contains(&format!("{long}</textarea>")));
    assert!(html_unescape(&ann.get(&clip).await.body).contains("Sam's words"), "nothing saved");

    // The queue: Sam describes the image Ann is typing alt text for.
    let queue = html_unescape(&ann.get("/describe?kind=image").await.body);
    let id = field(&queue, "id");
    let sams_page = sam.get(&photo).await.body;
    let (status, _) =
        post(&sam, &photo, "describe", &form(&sams_page, &[("alt_text", "Boats, by Sam")])).await;
    assert_eq!(status, 303);
    let fields =
        [("kind", "image"), ("id", id.as_str()), ("seen", &field(&queue, "seen")), ("text", "Ann's boats")];
    let page = ann.post("/describe", "/describe", &fields).await;
    let body = html_unescape(&page.body);
    assert_eq!(page.status, 409, "{body}");
    assert!(body.contains("Boats, by Sam") && body.contains("Ann's boats"), "both texts: {body}");
    assert!(body.contains(&format!("href=\"{photo}\"")), "{body}");
    assert!(html_unescape(&ann.get(&photo).await.body).contains("alt=\"Boats, by Sam\""));
}

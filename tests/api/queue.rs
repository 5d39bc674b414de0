//! The describing queue over HTTP without JavaScript, on both backends: coverage, one item at a
//! time, save and next, skip, a refused text kept, and an end.

use mediadesk::auth::Role;

use crate::common::server::{Page, TestClient, html_unescape};
use crate::common::*;

backend_tests!(the_queue_walks_what_still_needs_describing);

async fn follow(c: &TestClient, page: Page) -> String {
    assert_eq!(page.status, 303, "{}", page.body);
    html_unescape(&c.get(page.location()).await.body)
}

fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    page.split(&marker).nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_owned()
}

async fn the_queue_walks_what_still_needs_describing(env: TestEnv) {
    let server = env.start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("one.png", fixture_bytes("image.png")),
        ("two.png", fixture_bytes("image.png")),
        ("three.png", fixture_bytes("image.png")),
        ("talk.flac", fixture_bytes("tone.flac")),
    ];
    assert!(ann.upload(&files, None, false).await.body.contains("4 accepted"));

    let page = html_unescape(&ann.get("/describe").await.body);
    assert!(page.contains("Alt text: 0 % of 3 images") && page.contains("3 left"), "{page}");
    assert!(page.contains("autofocus"), "the field is ready for typing");
    let first = field(&page, "id");
    let save = |id: String, after: String, text: &'static str| {
        let c = &ann;
        async move {
            c.post(
                "/describe",
                "/describe",
                &[("kind", "image"), ("id", &id), ("after", &after), ("text", text)],
            )
            .await
        }
    };
    let page =
        follow(&ann, save(first.clone(), field(&page, "after"), "A red kite over a field").await).await;
    assert!(page.contains("Alt text: 33 % of 3 images") && page.contains("2 left"), "{page}");
    let second = field(&page, "id");
    assert_ne!(second, first);

    // Skip the second; the third comes next.
    let skip = page
        .split("href=\"/describe?kind=image&after=")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let page = html_unescape(&ann.get(&format!("/describe?kind=image&after={skip}")).await.body);
    let third = field(&page, "id");
    assert!(third != first && third != second, "{page}");

    // Too long: the same item again, 400, the text kept.
    let long = "x".repeat(1001);
    let refused = ann
        .post("/describe", "/describe", &[("kind", "image"), ("id", &third), ("after", ""), ("text", &long)])
        .await;
    assert_eq!(refused.status, 400);
    let body = html_unescape(&refused.body);
    assert!(body.contains("at most 1000 characters") && body.contains(&long), "{body}");
    // The queue starts again from the top, at the skipped image: the text stays beside it,
    // with a link to its own image, not in the skipped one's field.
    assert_eq!(field(&body, "id"), second);
    assert!(body.contains("id=\"text\" name=\"text\" type=\"text\" maxlength=\"1000\" value=\"\""), "{body}");
    assert!(body.contains(&format!("<a href=\"/media/image/{third}\">Open that item</a>")), "{body}");

    let page = follow(&ann, save(third, field(&page, "after"), "Two boats").await).await;
    assert!(page.contains("67 %"), "{page}");
    let page = follow(&ann, save(second, String::new(), "A quay at dawn").await).await;
    assert!(
        page.contains("Alt text: 100 % of 3 images")
            && page.contains("Every one of your images is described."),
        "{page}"
    );

    // Audio: transcripts.
    let page = html_unescape(&ann.get("/describe?kind=audio").await.body);
    assert!(page.contains("Transcripts: 0 % of 1 audio clips"), "{page}");
    let clip = field(&page, "id");
    let saved = ann
        .post(
            "/describe",
            "/describe",
            &[("kind", "audio"), ("id", &clip), ("after", ""), ("text", "Hello.")],
        )
        .await;
    assert!(follow(&ann, saved).await.contains("Transcripts: 100 %"));

    let (bob, _) = server.signed_in("bob", Role::User).await;
    let theirs =
        bob.post("/describe", "/describe", &[("kind", "image"), ("id", &first), ("text", "mine")]).await;
    assert_eq!(theirs.status, 404);
}

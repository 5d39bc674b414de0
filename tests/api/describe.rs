//! Titles, alt text, captions and credits on both backends: who may write them, how they are
//! tidied, where alt text is used, and a refused description kept on the page.

use mediadesk::auth::Role;
use mediadesk::domain::{MediaKind, Owner};
use mediadesk::media::{Actor, Description, MediaError, MediaRead, Upload};

use crate::common::server::html_unescape;
use crate::common::*;

backend_tests!(descriptions_follow_the_media_rules, descriptions_through_the_pages);

fn text(s: &str) -> Option<String> {
    Some(s.to_owned())
}

async fn descriptions_follow_the_media_rules(env: TestEnv) {
    let media = env.media.clone();
    let (ann, bob) = (Actor::user(env.user("ann", "user").await), Actor::user(env.user("bob", "user").await));
    let staff = Actor::staff(env.user("sam", "staff").await);
    let own = Owner::User(ann.user_id.unwrap());
    let photo = media.upload(&ann, Upload::new(own, "p.png"), fixture_stream("image.png")).await.unwrap();
    let clip = media.upload(&ann, Upload::new(own, "c.flac"), fixture_stream("tone.flac")).await.unwrap();
    let press =
        media.upload(&staff, Upload::new(Owner::System, "s.png"), fixture_stream("image.png")).await.unwrap();
    let photo_ref = (MediaKind::Image, photo.id());

    let d = Description {
        title: text("  Harbour at dawn "),
        alt_text: text("Fishing boats moored at a stone quay, mist over the water"),
        caption: text(""),
        credit: text("© Ann Example"),
    };
    let saved = media.describe(&ann, photo_ref, &d, None).await.unwrap();
    let want = Description {
        title: text("Harbour at dawn"),
        alt_text: text("Fishing boats moored at a stone quay, mist over the water"),
        caption: None,
        credit: text("© Ann Example"),
    };
    assert_eq!(saved.description(), &want, "trimmed; an empty field is cleared");
    assert_eq!(media.get(&staff, MediaKind::Image, photo.id()).await.unwrap().description(), &want);

    // Audio has no alt text; a description of it keeps the rest.
    let MediaRead::Audio(a) = media.describe(&ann, (MediaKind::Audio, clip.id()), &d, None).await.unwrap()
    else {
        panic!("audio")
    };
    assert_eq!((a.description.title.as_deref(), a.description.alt_text), (Some("Harbour at dawn"), None));

    let long = Description { title: Some("t".repeat(201)), ..Description::default() };
    assert!(matches!(media.describe(&ann, photo_ref, &long, None).await, Err(MediaError::Invalid(_))));
    let control = Description { credit: text("a\u{7}b"), ..Description::default() };
    assert!(matches!(media.describe(&ann, photo_ref, &control, None).await, Err(MediaError::Invalid(_))));
    assert!(matches!(media.describe(&bob, photo_ref, &d, None).await, Err(MediaError::NotFound)));
    let system = (MediaKind::Image, press.id());
    assert!(matches!(media.describe(&ann, system, &d, None).await, Err(MediaError::Forbidden)));
    media.describe(&staff, system, &d, None).await.unwrap();
    assert_eq!(
        media.get(&ann, MediaKind::Image, photo.id()).await.unwrap().description(),
        &want,
        "a refusal changes nothing"
    );
}

async fn descriptions_through_the_pages(env: TestEnv) {
    let server = env.start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let up = ann.upload(&[("dawn.png", fixture_bytes("image.png"))], None, false).await;
    assert!(up.body.contains("1 accepted"), "{}", up.body);
    let item = ann.get("/media?type=image").await.all("<a class=\"name\" href=\"").remove(0);
    let item = item.split('?').next().unwrap().to_owned();
    // Without alt text, the file name stands in, and the image is one that needs describing.
    assert!(ann.get("/media").await.body.contains("alt=\"dawn.png\""));
    assert!(ann.get("/media?only=missing-alt").await.body.contains("dawn.png"));

    let fields = [
        ("title", "Harbour at dawn"),
        ("alt_text", "Boats at a quay in \"mist\""),
        ("caption", "Taken from the lighthouse."),
        ("credit", "© Ann"),
    ];
    let saved = ann.post(&item, &format!("{item}/describe"), &fields).await;
    assert_eq!((saved.status, saved.location()), (303, item.as_str()));
    let left = ann.get("/media?only=missing-alt").await.body;
    assert!(!left.contains("dawn.png") && left.contains("Nothing matches these filters"), "{left}");
    let page = html_unescape(&ann.get(&item).await.body);
    assert!(page.contains("<h1 class=\"filename\">Harbour at dawn</h1>"), "{page}");
    assert!(page.contains("alt=\"Boats at a quay in \"mist\"\""), "{page}");
    assert!(page.contains("Taken from the lighthouse.") && page.contains("© Ann"));
    let gallery = ann.get("/media").await.body;
    assert!(
        gallery.contains("alt=\"Boats at a quay in &#34;mist&#34;\"")
            || gallery.contains("alt=\"Boats at a quay in &quot;mist&quot;\""),
        "{gallery}"
    );
    assert!(html_unescape(&gallery).contains("<span class=\"title\">Harbour at dawn</span>"));

    // Too long (a script, past the field's maxlength): 400, the page again, the text kept.
    let long = "a".repeat(1001);
    let refused =
        ann.post(&item, &format!("{item}/describe"), &[("title", "Kept"), ("alt_text", &long)]).await;
    assert_eq!(refused.status, 400);
    let body = html_unescape(&refused.body);
    assert!(body.contains("the alt text has at most 1000 characters"), "{body}");
    assert!(body.contains(&long) && body.contains("value=\"Kept\""), "the typed text is kept");
    assert!(
        html_unescape(&ann.get(&item).await.body).contains("<h1 class=\"filename\">Harbour at dawn</h1>"),
        "nothing saved"
    );
    let (bob, _) = server.signed_in("bob", Role::User).await;
    assert_eq!(bob.post("/media", &format!("{item}/describe"), &[("title", "x")]).await.status, 404);
}

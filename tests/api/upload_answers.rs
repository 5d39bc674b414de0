//! What an upload answers: a refusal's stable code and status (JSON or a styled page for one
//! file, a code on each row of a many-file results page); the bytes deciding the type whatever
//! the name or declared type say, and downloads named for the real type; names as browsers
//! escape them.

use mediadesk::auth::Role;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::common::server::*;
use crate::common::*;

backend_tests!(
    each_refusal_answers_its_code_and_status,
    a_page_of_many_files_marks_each_refused_row_with_its_code,
    the_bytes_decide_the_type_and_the_download_name,
    names_arrive_as_browsers_escape_them,
    animations_record_their_frames,
    uploads_side_by_side_all_land
);

fn json(p: &Page) -> Value {
    serde_json::from_str(&p.body).unwrap_or_else(|e| panic!("{e}: {}", p.body))
}

/// Posts one multipart part as given (no file name when `name` is `None`), the name sent as is.
async fn post_part(c: &TestClient, name: Option<&str>, bytes: Vec<u8>, json: bool) -> Page {
    let token = c.get("/upload").await.csrf();
    let mut part = Part::bytes(bytes);
    if let Some(n) = name {
        part = part.file_name(n.to_owned());
    }
    let form = Form::new().percent_encode_noop().text("csrf_token", token).part("file", part);
    let mut req = c.http.post(c.url("/upload")).multipart(form);
    if json {
        req = req.header("Accept", "application/json");
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    Page { status, headers, body: resp.text().await.unwrap() }
}

async fn each_refusal_answers_its_code_and_status(env: TestEnv) {
    let s = env.start_server_with_limit(64 * 1024).await;
    let (c, _) = s.signed_in("ann", Role::User).await;
    let jpeg = fixture_bytes("image.jpg");
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("notes.png", b"plain text, not an image".repeat(4), 415, "type"),
        ("cut.jpg", jpeg[..jpeg.len() / 2].to_vec(), 422, "malformed"),
        ("flood.png", fixture_bytes("pixel-flood.png"), 422, "limits"),
        ("big.wav", vec![0; 70 * 1024], 413, "size"),
        ("empty.png", Vec::new(), 400, "empty"),
    ];
    for (name, bytes, status, code) in cases {
        let page = c.upload(&[(name, bytes.clone())], None, true).await;
        let answer = json(&page);
        assert_eq!((page.status, answer["code"].as_str()), (status, Some(code)), "{name}: {answer}");
        assert!(!answer["message"].as_str().unwrap().is_empty());
        // Without JavaScript: the same status, on the styled error page.
        let page = c.upload(&[(name, bytes)], None, false).await;
        assert_eq!(page.status, status, "{name}");
        assert!(
            page.body.contains("<nav") && page.body.contains(&format!("{status}")),
            "{name}: styled page"
        );
    }
    let nameless = post_part(&c, None, jpeg.clone(), true).await;
    assert_eq!((nameless.status, json(&nameless)["code"].as_str()), (400, Some("name")));
    assert_eq!(s.env.count_rows("images").await + s.env.count_rows("audios").await, 0);
    assert!(s.env.objects().await.is_empty(), "a refusal leaves nothing");
}

async fn a_page_of_many_files_marks_each_refused_row_with_its_code(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("ann", Role::User).await;
    let files = [
        ("good.png", fixture_bytes("image.png")),
        ("notes.png", b"plain text".repeat(10)),
        ("empty.jpg", Vec::new()),
    ];
    let page = c.upload(&files, None, false).await;
    assert_eq!(page.status, 200, "a results page");
    assert!(page.body.contains("1 accepted, 2 refused"), "{}", page.body);
    assert!(
        page.body.contains("data-code=\"type\"") && page.body.contains("data-code=\"empty\""),
        "{}",
        page.body
    );
    let page = c.upload(&files, None, true).await;
    let codes: Vec<Value> =
        json(&page)["results"].as_array().unwrap().iter().map(|r| r["code"].clone()).collect();
    assert_eq!(codes, vec![Value::Null, "type".into(), "empty".into()]);
}

async fn the_bytes_decide_the_type_and_the_download_name(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("ann", Role::User).await;
    // A JPEG saved as .png, sent as image/png as a browser would (from the extension).
    let token = c.get("/upload").await.csrf();
    let part = Part::bytes(fixture_bytes("image.jpg")).file_name("photo.png").mime_str("image/png").unwrap();
    let form = Form::new().text("csrf_token", token).part("file", part);
    let resp =
        c.http.post(c.url("/upload")).header("Accept", "application/json").multipart(form).send().await;
    let answer: Value = serde_json::from_str(&resp.unwrap().text().await.unwrap()).unwrap();
    assert_eq!(answer["results"][0]["ok"], true, "{answer}");
    let url = answer["results"][0]["url"].as_str().unwrap().to_owned();
    for (name, fixture, want) in
        [("holiday.js", "image.png", "holiday.png"), ("photo.jpg.php", "image.jpg", "photo.jpg")]
    {
        let page = c.upload(&[(name, fixture_bytes(fixture))], None, true).await;
        let item = json(&page)["results"][0]["url"].as_str().unwrap().to_owned();
        let detail = c.get(&item).await;
        let download = detail
            .body
            .split("\" download>Download original")
            .next()
            .unwrap()
            .rsplit("href=\"")
            .next()
            .unwrap();
        let (status, headers, _) = c.get_bytes(&html_unescape(download), None).await;
        let disposition = headers["content-disposition"].to_str().unwrap();
        assert!(
            status == 200 && disposition.contains(&format!("filename=\"{want}\"")),
            "{name}: {disposition}"
        );
    }
    let detail = c.get(&url).await;
    assert!(detail.body.contains("image/jpeg"), "recorded as the JPEG it is");
    assert!(detail.body.contains("photo.png"), "shown under its own name");
    let download =
        detail.body.split("\" download>Download original").next().unwrap().rsplit("href=\"").next().unwrap();
    let (_, headers, bytes) = c.get_bytes(&html_unescape(download), None).await;
    assert!(headers["content-disposition"].to_str().unwrap().contains("filename=\"photo.jpg\""));
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(bytes, fixture_bytes("image.jpg"));
}

async fn names_arrive_as_browsers_escape_them(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("ann", Role::User).await;
    // What Chromium sends for a file named `say "hi"` + CR LF + `.png`; `%41` stays as it is.
    let page =
        post_part(&c, Some("say %22hi%22%0D%0A 100%25 %41.png"), fixture_bytes("image.png"), true).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(json(&page)["results"][0]["filename"], "say \"hi\" 100%25 %41.png");
}

/// Frames as the `image` crate's own animation decoders count them, decoding every frame.
fn decoded_frames(name: &str) -> usize {
    use image::AnimationDecoder;
    let bytes = std::io::Cursor::new(fixture_bytes(name));
    if name.ends_with(".gif") {
        image::codecs::gif::GifDecoder::new(bytes).unwrap().into_frames().count()
    } else {
        image::codecs::webp::WebPDecoder::new(bytes).unwrap().into_frames().count()
    }
}

async fn animations_record_their_frames(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("ann", Role::User).await;
    for name in ["image-anim.gif", "image-anim.webp"] {
        let want = decoded_frames(name);
        assert!(want > 1, "{name} is an animation");
        let page = c.upload(&[(name, fixture_bytes(name))], None, true).await;
        let url = json(&page)["results"][0]["url"].as_str().unwrap().to_owned();
        let detail = c.get(&url).await;
        assert!(detail.body.contains(&format!("animated · {want} frames")), "{name}: {}", detail.body);
        let card = c.get(&format!("/media?q={name}")).await;
        assert!(card.body.contains(&format!("Animated · {want} frames")), "{name}: the gallery badge");
    }
    let still = c.upload(&[("still.gif", fixture_bytes("image-anim.gif")[..0].to_vec())], None, true).await;
    assert_eq!(still.status, 400, "empty, by the way");
    let page = c.upload(&[("photo.png", fixture_bytes("image.png"))], None, true).await;
    let url = json(&page)["results"][0]["url"].as_str().unwrap().to_owned();
    assert!(c.get(&url).await.body.contains("<dd>still</dd>"));
    assert!(!c.get("/media?q=photo").await.body.contains("Animated ·"));
}

/// Thirty-six uploads at once (three people, twelve files each, as the script uploader sends a
/// dropped folder): each is accepted. On SQLite this once lost an upload now and then to
/// "database is locked" (a transaction promoted to writing after another had written);
/// `repo.rs::a_transaction_that_reads_first_still_writes` checks that cause deterministically.
async fn uploads_side_by_side_all_land(env: TestEnv) {
    let s = env.start_server().await;
    let names = [
        "image.jpg",
        "image.png",
        "image.webp",
        "image-cmyk.jpg",
        "image-exif-rot6.jpg",
        "image-gray16.png",
        "image-lossless.webp",
        "image-anim.gif",
        "tone.flac",
        "tone-cbr.mp3",
        "tone-aac.m4a",
        "tone-mono.flac",
    ];
    let mut people = Vec::new();
    for who in ["ann", "bob", "cy"] {
        let (client, _) = s.signed_in(who, Role::User).await;
        let token = client.get("/upload").await.csrf();
        people.push((client, token));
    }
    let uploads = people.iter().flat_map(|(client, token)| {
        names.iter().map(move |name| async move {
            let page = client.upload_with_token(token, &[(name, fixture_bytes(name))], None, true).await;
            (*name, page)
        })
    });
    for (name, page) in futures_util::future::join_all(uploads).await {
        assert_eq!(page.status, 200, "{name}: {}", page.body);
        assert_eq!(json(&page)["results"][0]["ok"], true, "{name}: {}", page.body);
    }
    for (client, _) in &people {
        assert!(client.get("/media").await.body.contains("Showing 1–12 of 12"));
    }
}

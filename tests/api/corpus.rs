//! The hostile-and-odd corpus (made by `tests/corpus/make_corpus.py`) through the real upload
//! form: every case is accepted with the right metadata or refused with its specific reason,
//! the server keeps answering, and nothing of a refused file stays behind.

use mediadesk::auth::Role;
use mediadesk::domain::MediaKind;
use mediadesk::media::{Actor, MediaRead};
use serde_json::Value;

use crate::common::TestEnv;

fn make_corpus(dir: &std::path::Path) -> Vec<Value> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/make_corpus.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(dir)
        .output()
        .expect("python3 runs the corpus script");
    assert!(out.status.success(), "corpus script failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

backend_tests!(every_corpus_case_gets_its_expected_outcome);

async fn every_corpus_case_gets_its_expected_outcome(env: TestEnv) {
    let corpus_dir = env.dir.path().join("corpus");
    let cases = make_corpus(&corpus_dir);
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    let s = env.start_server().await;
    let (c, _) = s.signed_in("uploader", Role::User).await;
    let (mut accepted_images, mut accepted_audio) = (0, 0);
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let bytes = std::fs::read(case["file"].as_str().unwrap()).unwrap();
        let page = c.upload(&[(case["upload_as"].as_str().unwrap(), bytes)], None, true).await;
        let answer: Value = serde_json::from_str(&page.body).unwrap();
        match case["expect"].as_str().unwrap() {
            "refuse" => {
                // A one-file upload that is refused answers its refusal's status and code.
                let code = case["code"].as_str().unwrap();
                let status = match code {
                    "type" => 415,
                    "malformed" | "limits" => 422,
                    "size" => 413,
                    _ => 400,
                };
                assert_eq!((page.status, answer["code"].as_str()), (status, Some(code)), "{name}: {answer}");
                let reason = case["reason"].as_str().unwrap();
                assert!(
                    answer["message"].as_str().unwrap().contains(reason),
                    "{name}: {answer} should mention {reason:?}"
                );
            }
            _ => {
                assert_eq!(page.status, 200, "{name}: {}", page.body);
                let result = answer["results"][0].clone();
                assert_eq!(result["ok"], true, "{name} must be accepted: {result}");
                let url = result["url"].as_str().unwrap();
                let (kind, id) = url.trim_start_matches("/media/").split_once('/').unwrap();
                let kind = if kind == "image" { MediaKind::Image } else { MediaKind::Audio };
                let media = s.app.media.get(&Actor::operator(), kind, id.parse().unwrap()).await.unwrap();
                assert_eq!(media.kind().as_str(), case["kind"].as_str().unwrap(), "{name}");
                if let Some(shown) = case.get("shown_as").and_then(Value::as_str) {
                    assert_eq!(media.filename(), shown, "{name}: the stored display name");
                    let detail = c.get(url).await;
                    if shown.contains('<') {
                        assert!(!detail.body.contains(shown), "{name}: names are escaped on the page");
                        assert!(!c.get("/media").await.body.contains(shown), "{name}: and in the gallery");
                    }
                }
                match &media {
                    MediaRead::Image(i) => {
                        accepted_images += 1;
                        assert_eq!(i.content_type, case["content_type"].as_str().unwrap(), "{name}");
                        assert_eq!(
                            (i.width as i64, i.height as i64),
                            (case["width"].as_i64().unwrap(), case["height"].as_i64().unwrap()),
                            "{name}"
                        );
                    }
                    MediaRead::Audio(a) => {
                        accepted_audio += 1;
                        assert_eq!(a.content_type, case["content_type"].as_str().unwrap(), "{name}");
                        let want = case["duration_ms"].as_i64().unwrap();
                        let tolerance = (want / 1000).max(30);
                        assert!(
                            (a.duration_ms - want).abs() <= tolerance,
                            "{name}: {} ms, want {want}",
                            a.duration_ms
                        );
                    }
                }
            }
        }
        // The server is still fine after every case.
        assert_eq!(c.get("/healthz").await.status, 200, "after {name}");
    }
    assert!(s.env.media.settle(std::time::Duration::from_secs(30)).await);
    assert_eq!(
        env_rows(&s).await,
        (accepted_images, accepted_audio),
        "a row per accepted file, none for refused ones"
    );
    let objects = s.env.objects().await;
    // ALAC plays only in Safari: those get a FLAC copy.
    let copies = objects.iter().filter(|k| k.ends_with(".play.flac")).count() as i64;
    assert_eq!(
        objects.len() as i64,
        accepted_images * 2 + accepted_audio + copies,
        "originals, thumbnails, playable copies, nothing else"
    );
    assert!(copies <= accepted_audio);
    assert_eq!(s.env.settled_spool().await, 0);
}

async fn env_rows(s: &crate::common::server::TestServer) -> (i64, i64) {
    (s.env.count_rows("images").await, s.env.count_rows("audios").await)
}

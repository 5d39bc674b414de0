//! `/api/v1/openapi.json` against the API itself, on both backends: `openapi-spec-validator`
//! (PyPI) finds the document valid OpenAPI 3.1, and `jsonschema` finds every kind of answer
//! the API gives (pages, items of both kinds with their regions and collections, a change, a
//! delete, a restore, the tags, uploads, a replaced file, a turn, share links, collections
//! made, moved and deleted, and each refusal) to be what the document says for its address,
//! method and status, with no field it does not name; a tampered answer is caught, so the
//! check can fail.

use std::process::Stdio;

use mediadesk::auth::{Role, Scope};
use mediadesk::domain::Owner;
use mediadesk::media::{Actor, RegionInput, Upload};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::common::server::TestServer;
use crate::common::tus::Tus;
use crate::common::*;

backend_tests!(every_answer_is_what_the_openapi_document_says);

/// One answer: the path as the document names it, the method, the status and the body.
async fn sample(
    s: &TestServer,
    (template, method, path): (&str, &str, &str),
    token: Option<&str>,
    body: Option<Value>,
) -> Value {
    let mut req = reqwest::Client::new().request(method.parse().unwrap(), format!("{}{path}", s.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = &body {
        req = req.header("Content-Type", "application/json").body(b.to_string());
    }
    let page = Tus::send(req).await;
    let answer: Value = serde_json::from_str(&page.body).unwrap_or_else(|_| panic!("{path}: {}", page.body));
    json!({"path": template, "method": method.to_lowercase(), "status": page.status, "body": answer,
           "request": body})
}

/// A file put in place of an item's (the body is the file, not JSON).
async fn put_sample(s: &TestServer, token: &str, path: &str, fixture: &str) -> Value {
    let req = reqwest::Client::new().put(format!("{}{path}/file", s.base)).bearer_auth(token);
    let page = Tus::send(req.body(fixture_bytes(fixture))).await;
    let answer: Value = serde_json::from_str(&page.body).unwrap_or_else(|_| panic!("put: {}", page.body));
    json!({"path": "/api/v1/media/{kind}/{id}/file", "method": "put", "status": page.status, "body": answer,
           "request": null})
}

/// An upload by the form's post, as a script sends it.
async fn upload_sample(s: &TestServer, token: &str, (name, fixture): (&str, &str), keep: bool) -> Value {
    let mut form = reqwest::multipart::Form::new();
    if keep {
        form = form.text("keep_duplicates", "1");
    }
    let form =
        form.part("file", reqwest::multipart::Part::bytes(fixture_bytes(fixture)).file_name(name.to_owned()));
    let req = reqwest::Client::new().post(format!("{}/upload", s.base)).bearer_auth(token).multipart(form);
    let page = Tus::send(req.header("Accept", "application/json")).await;
    let answer: Value = serde_json::from_str(&page.body).unwrap_or_else(|_| panic!("upload: {}", page.body));
    json!({"path": "/upload", "method": "post", "status": page.status, "body": answer, "request": null})
}

/// A file added from a link, as a script adds it.
async fn link_sample(s: &TestServer, token: &str, link: &str) -> Value {
    let form = [("link", link), ("keep_duplicates", "1")];
    let req = reqwest::Client::new().post(format!("{}/upload/link", s.base)).bearer_auth(token).form(&form);
    let page = Tus::send(req).await;
    let answer: Value = serde_json::from_str(&page.body).unwrap_or_else(|_| panic!("link: {}", page.body));
    json!({"path": "/upload/link", "method": "post", "status": page.status, "body": answer, "request": null})
}

const CHECK: &str = r#"
import copy, json, sys
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
data = json.load(sys.stdin)
spec = data["spec"]
validate(spec)

def against(ref_or_schema, value):
    root = copy.deepcopy(spec)
    root.pop("paths")
    root.update(ref_or_schema)
    return [e.message for e in Draft202012Validator(root).iter_errors(value)]

def answer_schema(s):
    resp = spec["paths"][s["path"]][s["method"]]["responses"][str(s["status"])]
    if "$ref" in resp:
        resp = spec["components"]["responses"][resp["$ref"].rsplit("/", 1)[1]]
    return resp["content"]["application/json"]["schema"]

bad = []
for s in data["samples"]:
    errors = against(answer_schema(s), s["body"])
    op = spec["paths"][s["path"]][s["method"]]
    if s["request"] is not None:
        errors += against(op["requestBody"]["content"]["application/json"]["schema"], s["request"])
    if errors:
        bad.append((s["path"], s["method"], s["status"], errors[:3]))
if bad:
    sys.exit("not as documented: %r" % bad)
# The check can fail: a field the document does not name is caught.
tampered = copy.deepcopy(data["samples"][0])
tampered["body"]["items"][0]["secret"] = 1
if not against(answer_schema(tampered), tampered["body"]):
    sys.exit("an undocumented field went unnoticed")
print(len(data["samples"]))
"#;

async fn every_answer_is_what_the_openapi_document_says(env: TestEnv) {
    let s = env
        .with_trash(7)
        .with_links(Some("127.0.0.1/32"), std::time::Duration::from_secs(5))
        .start_server()
        .await;
    let amy = s.account("amy", Role::User).await;
    let ben = s.account("ben", Role::User).await;
    let a = Actor::user(amy);
    let up = |name: &'static str, fixture: &'static str| {
        let media = s.env.media.clone();
        async move {
            let item =
                media.upload(&a, Upload::new(Owner::User(amy), name), fixture_stream(fixture)).await.unwrap();
            (item.kind(), item.id())
        }
    };
    let photo = up("harbour.jpg", "image.jpg").await;
    let clip = up("gulls.flac", "tone.flac").await;
    let region = RegionInput { label: "Gull".into(), start: "0.5".into(), end: String::new() };
    s.app.media.add_region(&a, clip.1, &region).await.unwrap();
    let album = s.app.media.create_collection(&a, Owner::User(amy), None, "Coast").await.unwrap();
    s.app.media.add_to_collection(&a, album.id, photo).await.unwrap();
    let rw = s.token(amy, &[Scope::Read, Scope::Edit], "spec").await;
    let upload_only = s.token(amy, &[Scope::Upload], "spec").await;
    let (image_path, clip_path) =
        (format!("/api/v1/media/image/{}", photo.1), format!("/api/v1/media/audio/{}", clip.1));
    let (list, item) = ("/api/v1/media", "/api/v1/media/{kind}/{id}");

    let mut samples = vec![
        sample(&s, (list, "GET", "/api/v1/media?per=1"), Some(&rw), None).await,
        sample(&s, (list, "GET", "/api/v1/media"), Some(&rw), None).await,
        sample(&s, (list, "GET", "/api/v1/media?type=video"), Some(&rw), None).await,
        sample(&s, (list, "GET", &format!("/api/v1/media?owner={ben}")), Some(&rw), None).await,
        sample(&s, (list, "GET", "/api/v1/media"), None, None).await,
        sample(&s, (list, "GET", "/api/v1/media"), Some(&upload_only), None).await,
        sample(&s, (list, "GET", "/api/v1/media"), Some("mdk_unknown"), None).await,
        sample(&s, (item, "GET", &image_path), Some(&rw), None).await,
        sample(&s, (item, "GET", &clip_path), Some(&rw), None).await,
        sample(&s, (item, "GET", "/api/v1/media/image/999999"), Some(&rw), None).await,
        sample(&s, ("/api/v1/collections", "GET", "/api/v1/collections"), Some(&rw), None).await,
    ];
    let change = json!({"alt_text": "Boats at dawn", "title": null, "tags_add": ["harbour"],
                        "collections_remove": [album.id]});
    samples.push(sample(&s, (item, "PATCH", &image_path), Some(&rw), Some(change)).await);
    let refused = json!({"transcript": "words", "tags_remove": ["x"]});
    samples.push(sample(&s, (item, "PATCH", &image_path), Some(&rw), Some(refused)).await);
    let deleter = s.token(amy, &[Scope::Delete], "spec").await;
    samples.push(sample(&s, (item, "DELETE", &clip_path), Some(&deleter), None).await);
    samples.push(sample(&s, (item, "DELETE", &clip_path), Some(&deleter), None).await);
    samples.push(sample(&s, ("/api/v1/tags", "GET", "/api/v1/tags"), Some(&rw), None).await);
    let restore = "/api/v1/media/{kind}/{id}/restore";
    samples.push(sample(&s, (restore, "POST", &format!("{image_path}/restore")), Some(&deleter), None).await);
    for (file, fixture, keep) in [
        ("quay.jpg", "image.jpg", true),
        ("notes.jpg", "not-an-image.jpg", true),
        ("again.jpg", "image.jpg", false),
    ] {
        samples.push(upload_sample(&s, &upload_only, (file, fixture), keep).await);
    }
    let swapper = s.token(amy, &[Scope::Upload, Scope::Edit], "spec").await;
    samples.push(put_sample(&s, &swapper, &image_path, "image.png").await);
    samples.push(put_sample(&s, &rw, &image_path, "image.png").await);
    samples.push(put_sample(&s, &swapper, &image_path, "tone.flac").await);
    let turn = "/api/v1/media/{kind}/{id}/turn";
    let right = json!({"turn": "right"});
    samples.push(
        sample(&s, (turn, "POST", &format!("{image_path}/turn")), Some(&rw), Some(right.clone())).await,
    );
    let gone = "/api/v1/media/image/999999/turn";
    samples.push(sample(&s, (turn, "POST", gone), Some(&rw), Some(right)).await);
    let sharer = s.token(amy, &[Scope::Share], "spec").await;
    let (shares, links) = ("/api/v1/media/{kind}/{id}/shares", format!("{image_path}/shares"));
    let link = json!({"expires_in_seconds": 3600, "note": "Press", "allow_download": true});
    samples.push(sample(&s, (shares, "POST", &links), Some(&sharer), Some(link)).await);
    samples.push(sample(&s, (shares, "GET", &links), Some(&sharer), None).await);
    samples.push(sample(&s, (shares, "POST", &links), Some(&rw), Some(json!({}))).await);
    let made = samples[25]["body"]["id"].as_i64().unwrap();
    let one = format!("/api/v1/shares/{made}");
    samples.push(sample(&s, ("/api/v1/shares/{id}", "DELETE", &one), Some(&sharer), None).await);
    let every = "/api/v1/shares?ended=true";
    samples.push(sample(&s, ("/api/v1/shares", "GET", every), Some(&sharer), None).await);
    let (all, one_c) = ("/api/v1/collections", "/api/v1/collections/{id}");
    let gulls = json!({"name": "Gulls", "parent_id": album.id});
    samples.push(sample(&s, (all, "POST", all), Some(&rw), Some(gulls)).await);
    samples.push(sample(&s, (all, "POST", all), Some(&rw), Some(json!({"name": "coast"}))).await);
    let made = samples[30]["body"]["id"].as_i64().unwrap();
    let at = format!("/api/v1/collections/{made}");
    samples.push(sample(&s, (one_c, "PATCH", &at), Some(&rw), Some(json!({"parent_id": null}))).await);
    samples.push(sample(&s, (one_c, "DELETE", &at), Some(&rw), None).await);
    let (versions, back) =
        ("/api/v1/media/{kind}/{id}/versions", "/api/v1/media/{kind}/{id}/versions/{version}/restore");
    samples.push(sample(&s, (versions, "GET", &format!("{image_path}/versions")), Some(&rw), None).await);
    let earliest =
        samples[34]["body"]["versions"].as_array().unwrap().last().unwrap()["id"].as_i64().unwrap();
    let to = format!("{image_path}/versions/{earliest}/restore");
    samples.push(sample(&s, (back, "POST", &to), Some(&rw), None).await);
    let terns = json!({"name": "Terns", "parent_id": album.id});
    samples.push(sample(&s, (all, "POST", all), Some(&rw), Some(terns)).await);
    let terns = samples[36]["body"]["id"].as_i64().unwrap();
    for id in [album.id, terns, made] {
        let path = format!("/api/v1/collections/{id}");
        samples.push(sample(&s, (one_c, "GET", &path), Some(&rw), None).await);
    }
    let (crop, at) = ("/api/v1/media/{kind}/{id}/crop", format!("{image_path}/crop"));
    for rect in [
        json!({"left": 0, "top": 0, "width": 32, "height": 16}),
        json!({"left": 40, "top": 0, "width": 32, "height": 16}),
    ] {
        samples.push(sample(&s, (crop, "POST", &at), Some(&rw), Some(rect)).await);
    }
    let alike = "/api/v1/media/{kind}/{id}/alike";
    samples.push(sample(&s, (alike, "GET", &format!("{image_path}/alike")), Some(&rw), None).await);
    // The clip is deleted by now.
    samples.push(sample(&s, (alike, "GET", &format!("{clip_path}/alike")), Some(&rw), None).await);
    // A copy of the quay kept, so that a group of pictures is among the answers.
    let copy = upload_sample(&s, &upload_only, ("quay-again.jpg", "image.jpg"), true).await;
    assert_eq!(copy["status"], 200, "{copy}");
    let groups = "/api/v1/alike-groups";
    samples.push(sample(&s, (groups, "GET", groups), Some(&rw), None).await);
    let pictures = samples[44]["body"]["groups"].as_array().unwrap().iter().find(|g| g["kind"] == "image");
    let ids: Vec<i64> = pictures.expect("the pictures kept twice")["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    let (apart, again, keep) =
        ("/api/v1/alike-groups/apart", "/api/v1/alike-groups/alike-again", "/api/v1/alike-groups/keep");
    let group = json!({"kind": "image", "items": ids});
    samples.push(sample(&s, (apart, "POST", apart), Some(&rw), Some(group.clone())).await);
    let one = json!({"kind": "image", "items": [ids[0]]});
    samples.push(sample(&s, (apart, "POST", apart), Some(&rw), Some(one)).await);
    samples.push(sample(&s, (again, "POST", again), Some(&rw), Some(group)).await);
    let kept = json!({"kind": "image", "keep": [ids[0]], "items": ids});
    samples.push(sample(&s, (keep, "POST", keep), Some(&rw), Some(kept.clone())).await);
    samples.push(sample(&s, (keep, "POST", keep), Some(&deleter), Some(kept)).await);
    let far = crate::common::far_site::FarSite::start().await;
    samples.push(link_sample(&s, &upload_only, &far.url("/sounds/gulls.flac")).await);
    samples.push(link_sample(&s, &upload_only, "ftp://files.example/quay.jpg").await);
    samples.push(link_sample(&s, &upload_only, &far.url("/missing.jpg")).await);
    let as_json = json!({"link": [far.url("/download")], "owner": null, "keep_duplicates": true});
    samples
        .push(sample(&s, ("/upload/link", "POST", "/upload/link"), Some(&upload_only), Some(as_json)).await);
    let statuses: Vec<u64> = samples.iter().map(|v| v["status"].as_u64().unwrap()).collect();
    let expected =
        [200, 200, 400, 403, 401, 403, 401, 200, 200, 404, 200, 200, 400, 200, 404, 200, 404, 200, 415, 409]
            .into_iter()
            .chain([200, 403, 415, 200, 404, 201, 200, 403, 200, 200, 201, 400, 200, 200, 200, 200])
            .chain([201, 200, 200, 404, 200, 400, 200, 404, 200])
            .chain([200, 400, 200, 403, 200])
            .chain([200, 400, 502, 200])
            .collect::<Vec<_>>();
    assert_eq!(statuses, expected);
    assert_eq!(samples[15]["body"]["tags"], json!(["harbour"]));
    assert!(samples[19]["body"]["existing"].is_string(), "a duplicate names the item that holds it");
    assert!(samples[8]["body"]["regions"][0]["end_ms"].is_null(), "a marker among the samples");
    assert_eq!(samples[23]["body"]["content_type"], "image/png", "turned after its replace");
    assert!(samples[25]["body"]["url"].is_string() && samples[26]["body"]["shares"][0]["url"].is_null());
    assert_eq!(samples[29]["body"]["shares"][0]["state"], "revoked");
    assert_eq!(samples[35]["body"]["content_type"], "image/jpeg", "back to the first file");
    assert_eq!(samples[37]["body"]["children"][0]["name"], "Terns");
    assert_eq!(samples[38]["body"]["path"][0]["id"], album.id);
    assert_eq!(
        (samples[40]["body"]["width"].as_i64(), samples[40]["body"]["height"].as_i64()),
        (Some(32), Some(16))
    );
    assert_eq!(samples[42]["body"]["looked"], true, "{}", samples[42]["body"]);
    assert_eq!(samples[45]["body"]["kept_apart"], true);
    assert!(samples[49]["body"]["gone"].as_array().is_some_and(|g| !g.is_empty()), "{}", samples[49]);

    let spec = Tus::send(reqwest::Client::new().get(format!("{}/api/v1/openapi.json", s.base))).await;
    assert_eq!(spec.status, 200, "no credentials needed");
    let spec: Value = serde_json::from_str(&spec.body).unwrap();
    assert_eq!(spec["servers"][0]["url"], s.base);
    let mut child = tokio::process::Command::new(required_env("MEDIADESK_TEST_PYTHON"))
        .args(["-c", CHECK])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(json!({"spec": spec, "samples": samples}).to_string().as_bytes()).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout.trim(), "54");
}

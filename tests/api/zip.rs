//! ZIP downloads of a gallery selection on both backends, read back by independent readers
//! (Python's `zipfile` and Info-ZIP's `unzip -t`): every file byte for byte under a safe,
//! unique name, STORED, the privacy policy applied as to a download by the same person; an
//! item the person cannot see refuses the whole archive; a client that goes away leaves
//! nothing behind; and a file over 4 GiB (a sparse file in the local folder) makes a ZIP64
//! archive that `zipfile` reads to the end with its CRC checked.

use std::path::Path;
use std::process::Command;

use futures_util::StreamExt;
use mediadesk::auth::Role;
use mediadesk::domain::MediaKind;
use mediadesk::media::Actor;

use crate::common::*;

backend_tests!(a_selection_downloads_as_one_zip, a_client_that_goes_away_leaves_nothing);

mod large {
    use super::*;

    #[tokio::test]
    async fn a_file_over_4_gib_makes_a_zip64_archive() {
        over_4_gib(TestEnv::sqlite_local().await).await;
    }
}

/// What Python's zipfile reads of an archive: each member's name, size, method and bytes'
/// SHA-256, after `testzip` checked every CRC.
fn python_reads(path: &Path) -> serde_json::Value {
    let script = "import hashlib, json, sys, zipfile\n\
                  z = zipfile.ZipFile(sys.argv[1])\n\
                  assert z.testzip() is None\n\
                  print(json.dumps([{'name': i.filename, 'size': i.file_size, 'method': i.compress_type, \
                  'sha': hashlib.sha256(z.read(i)).hexdigest()} for i in z.infolist()]))";
    let out = Command::new("python3").args(["-c", script, path.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "zipfile: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn unzip_tests(path: &Path) {
    let out = Command::new("unzip").args(["-t", path.to_str().unwrap()]).output().unwrap();
    assert!(
        out.status.success(),
        "unzip -t: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn item_of(page_body: &str, n: usize) -> String {
    let v: serde_json::Value = serde_json::from_str(page_body).unwrap();
    let url = v["results"][n]["url"].as_str().unwrap_or_else(|| panic!("upload {n}: {page_body}"));
    url.trim_start_matches("/media/").replace('/', ":")
}

async fn a_selection_downloads_as_one_zip(env: TestEnv) {
    let dir = tempfile::tempdir().unwrap();
    let telling = crate::privacy::telling_fixture(dir.path(), "image.jpg");
    let telling_bytes = std::fs::read(&telling).unwrap();
    let s = env.start_server().await;
    let (amy, amy_id) = s.signed_in("amy", Role::User).await;
    let (ben, _) = s.signed_in("ben", Role::User).await;
    let (sue, _) = s.signed_in("sue", Role::Staff).await;
    let files = [
        ("photo.jpg", fixture_bytes("image.jpg")),
        ("photo.jpg", fixture_bytes("image-exif-rot6.jpg")),
        ("../../evil:name.flac", fixture_bytes("tone.flac")),
        ("dover.jpg", telling_bytes.clone()),
    ];
    let page = amy.upload(&files, None, true).await;
    let items: Vec<String> = (0..files.len()).map(|i| item_of(&page.body, i)).collect();
    let mut form: Vec<(&str, &str)> = items.iter().map(|i| ("item", i.as_str())).collect();
    let zip = amy.post("/media", "/media/zip", &form).await;
    assert_eq!(zip.status, 200, "{}", zip.body);
    assert_eq!(zip.header("content-type"), "application/zip");
    assert!(zip.header("content-disposition").contains("attachment"));
    let (_, _, bytes) = {
        let token = amy.get("/media").await.csrf();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(&form);
        let resp = amy.http.post(amy.url("/media/zip")).form(&all).send().await.unwrap();
        (resp.status(), (), resp.bytes().await.unwrap().to_vec())
    };
    let path = dir.path().join("amy.zip");
    std::fs::write(&path, &bytes).unwrap();
    unzip_tests(&path);
    let read = python_reads(&path);
    let names: Vec<&str> = read.as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["photo.jpg", "photo (2).jpg", "_.._evil_name.flac", "dover.jpg"]);
    for (member, (_, original)) in read.as_array().unwrap().iter().zip(&files) {
        assert_eq!(member["method"], 0, "stored");
        assert_eq!(member["size"], original.len());
        assert_eq!(member["sha"], sha256_hex(original), "{}: the owner's own bytes", member["name"]);
    }

    // Someone who cannot see one of them gets nothing.
    let token = ben.get("/media").await.csrf();
    form.insert(0, ("csrf_token", &token));
    assert_eq!(ben.post_raw("/media/zip", &form).await.status, 404);
    // Nor does a selection naming an item that is no longer there.
    let token = amy.get("/media").await.csrf();
    let gone = [("csrf_token", token.as_str()), ("item", items[0].as_str()), ("item", "audio:999999")];
    assert_eq!(amy.post_raw("/media/zip", &gone).await.status, 404);

    // System media in a user's archive follows the privacy policy: the copy without location.
    let page = sue.upload(&[("cliffs.jpg", telling_bytes.clone())], Some("system"), true).await;
    let system = item_of(&page.body, 0);
    let token = ben.get("/media").await.csrf();
    let resp = ben
        .http
        .post(ben.url("/media/zip"))
        .form(&[("csrf_token", token.as_str()), ("item", system.as_str())])
        .send()
        .await
        .unwrap();
    let path = dir.path().join("ben.zip");
    std::fs::write(&path, resp.bytes().await.unwrap()).unwrap();
    unzip_tests(&path);
    let extracted = dir.path().join("ben");
    let out = Command::new("unzip")
        .args(["-q", path.to_str().unwrap(), "-d", extracted.to_str().unwrap()])
        .output();
    assert!(out.unwrap().status.success());
    let member = extracted.join("cliffs.jpg");
    assert_ne!(std::fs::read(&member).unwrap(), telling_bytes);
    let found = mediadesk::media::file::privacy::scan(&member, mediadesk::media::file::MediaType::Jpeg);
    assert!(!found.any(), "the user's archive holds the copy without location");
    // A whole collection, by name, for whoever may see it.
    let made = amy.post("/collections", "/collections", &[("name", "Harbour / walk"), ("parent", "")]).await;
    let collection = made.location().to_owned();
    for item in [&items[0], &items[2]] {
        let page = format!("/media/{}", item.replace(':', "/"));
        let id = collection.trim_start_matches("/collections/");
        assert_eq!(amy.post(&page, &format!("{page}/collections"), &[("collection", id)]).await.status, 303);
    }
    let (status, headers, bytes) = amy.get_bytes(&format!("{collection}/zip"), None).await;
    assert_eq!(status, 200);
    assert!(headers.get("content-disposition").unwrap().to_str().unwrap().contains("attachment"));
    let path = dir.path().join("collection.zip");
    std::fs::write(&path, bytes).unwrap();
    unzip_tests(&path);
    let names: Vec<String> = python_reads(&path)
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["_.._evil_name.flac", "photo.jpg"], "by name");
    assert_eq!(ben.get_bytes(&format!("{collection}/zip"), None).await.0, 404);
    // A whole view, across its pages: every item amy sees in it, the system's copy without
    // location; a view ben may not see, an empty view and (through the service, with a cap
    // of 4) a view too large are refused.
    let view = amy.get("/media?per=2&sort=name").await;
    assert!(view.body.contains(">Download all 5 as ZIP</button>"), "{}", view.body);
    assert!(!amy.get("/media?type=audio").await.body.contains("Download all"), "one page: no button");
    let token = view.csrf();
    let whole = [("csrf_token", token.as_str()), ("scope", "view"), ("back", "/media?per=2&sort=name")];
    let resp = amy.http.post(amy.url("/media/zip")).form(&whole).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-disposition"].to_str().unwrap().contains("mediadesk-view-"));
    let path = dir.path().join("view.zip");
    std::fs::write(&path, resp.bytes().await.unwrap()).unwrap();
    unzip_tests(&path);
    let read = python_reads(&path);
    let mut names: Vec<&str> = read.as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["_.._evil_name.flac", "cliffs.jpg", "dover.jpg", "photo (2).jpg", "photo.jpg"]);
    let cliffs = read.as_array().unwrap().iter().find(|m| m["name"] == "cliffs.jpg").unwrap();
    assert_ne!(cliffs["sha"], sha256_hex(&telling_bytes), "the system's photo without its location");
    let dover = read.as_array().unwrap().iter().find(|m| m["name"] == "dover.jpg").unwrap();
    assert_eq!(dover["sha"], sha256_hex(&telling_bytes), "her own photo as she uploaded it");
    let token = ben.get("/media").await.csrf();
    let hers = format!("/media/users/{amy_id}");
    let refused = [("csrf_token", token.as_str()), ("scope", "view"), ("back", hers.as_str())];
    assert_eq!(ben.post_raw("/media/zip", &refused).await.status, 400);
    let empty = [("csrf_token", token.as_str()), ("scope", "view"), ("back", "/media?type=audio")];
    let empty = ben.post_raw("/media/zip", &empty).await;
    assert_eq!((empty.status, empty.location()), (303, "/media?type=audio"));
    assert!(ben.get("/media?type=audio").await.body.contains("Nothing in this view to download."));
    let query = mediadesk::domain::GalleryQuery::new(mediadesk::domain::OwnerFilter::Visible(amy_id));
    let too_many = s.app.media.zip_view(&Actor::user(amy_id), &query, 4).await;
    assert!(
        matches!(&too_many, Err(mediadesk::media::MediaError::Invalid(m)) if m.contains("at most 4 items")),
        "{:?}",
        too_many.map(|p| p.len())
    );

    // Nothing picked: back to the gallery with a message.
    let none = amy.post("/media", "/media/zip", &[]).await;
    assert_eq!(none.status, 303);
}

async fn a_client_that_goes_away_leaves_nothing(env: TestEnv) {
    let s = env.start_server().await;
    let (amy, _) = s.signed_in("amy", Role::User).await;
    let big = wav_bytes(60);
    let page = amy.upload(&[("a.wav", big.clone()), ("b.wav", wav_bytes(61))], None, true).await;
    let items = [item_of(&page.body, 0), item_of(&page.body, 1)];
    let token = amy.get("/media").await.csrf();
    let objects_before = s.env.objects().await;
    let resp = amy
        .http
        .post(amy.url("/media/zip"))
        .form(&[("csrf_token", token.as_str()), ("item", &items[0]), ("item", &items[1])])
        .send()
        .await
        .unwrap();
    let mut body = resp.bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    assert_eq!(&first[..4], b"PK\x03\x04");
    drop(body);
    // The server carries on; nothing was written for the archive, nothing is left.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(amy.get("/media").await.status, 200);
    assert_eq!(s.env.objects().await, objects_before);
    assert_eq!(s.env.settled_spool().await, 0);
}

async fn over_4_gib(env: TestEnv) {
    const SIZE: u64 = (4 << 30) + (1 << 20);
    let amy = Actor::user(env.user("amy", "user").await);
    // A sparse file of zeros as the object, and a row naming it.
    let key = format!("u{}/big.wav", amy.user_id.unwrap());
    let file = env.dir.path().join("objects").join(&key);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::File::create(&file).unwrap().set_len(SIZE).unwrap();
    let small = env.upload_own(&amy, "small.png", "image.png").await;
    {
        use mediadesk::db::repo::ImageRepo;
        use mediadesk::db::rows::NewImage;
        let mut pooled = env.db.get().await.unwrap();
        let row = NewImage {
            owner_id: amy.user_id,
            uploader_id: amy.user_id,
            original_filename: "big.jpg",
            content_type: "image/jpeg",
            byte_size: SIZE as i64,
            sha256: "00",
            storage_key: &key,
            thumbnail_key: None,
            display_key: None,
            frame_count: 1,
            thumbnail_bytes: 0,
            has_location: false,
            has_device_data: false,
            private_key: None,
            private_bytes: 0,
            placeholder: None,
            look: None,
            shot: None,
            source_link: None,
            width: 1,
            height: 1,
            created_at: chrono::Utc::now().naive_utc(),
        };
        ImageRepo::create(&mut pooled.conn(), &row).await.unwrap();
    }
    let big_id = small.1 + 1;
    let plan = env.media.zip_plan(&amy, &[(MediaKind::Image, big_id), small]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.zip");
    // The archive is as sparse as its big member: runs of zeros become holes, so the test does
    // not need 4 GiB of free disk (a full disk on CI failed the whole suite).
    let mut out = std::fs::File::create(&path).unwrap();
    let mut stream = env.media.zip_stream(plan);
    let mut written = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        if chunk.iter().all(|&b| b == 0) {
            std::io::Seek::seek(&mut out, std::io::SeekFrom::Current(chunk.len() as i64)).unwrap();
        } else {
            std::io::Write::write_all(&mut out, &chunk).unwrap();
        }
        written += chunk.len() as u64;
    }
    out.set_len(written).unwrap();
    drop(out);
    let script = "import sys, zipfile\n\
                  z = zipfile.ZipFile(sys.argv[1])\n\
                  big, small = z.infolist()\n\
                  assert (big.filename, big.file_size) == ('big.jpg', int(sys.argv[2])), big\n\
                  assert small.header_offset > 0xFFFFFFFF, small.header_offset\n\
                  n = 0\n\
                  with z.open(big) as f:\n\
                  \x20   while True:\n\
                  \x20       b = f.read(1 << 22)\n\
                  \x20       if not b: break\n\
                  \x20       n += len(b)\n\
                  assert n == big.file_size\n\
                  assert z.read(small)[:8] == b'\\x89PNG\\r\\n\\x1a\\n'\n\
                  print('ok')";
    let out = Command::new("python3")
        .args(["-c", script, path.to_str().unwrap(), &SIZE.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "zipfile: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}

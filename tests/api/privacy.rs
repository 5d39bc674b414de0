//! Location and device privacy: fixtures written by exiftool (GPS, serials, owner, a city in
//! XMP, ICC, copyright, credit, orientation) are found out, and their stripped copies, read back
//! by exiftool, have no location or device field left, still have the ICC profile, copyright,
//! credit and orientation, and decode to the very same pixels.

use std::path::{Path, PathBuf};
use std::process::Command;

use mediadesk::media::file::MediaType;
use mediadesk::media::file::privacy::{self, Private};

use mediadesk::auth::Role;

use crate::common::server::html_unescape;
use crate::common::*;

/// A minimal ICC v2 display profile with a description, enough for readers to find one.
pub fn icc_profile() -> Vec<u8> {
    let desc = b"Mediadesk test profile\0";
    let mut tag = Vec::new();
    tag.extend_from_slice(b"desc\0\0\0\0");
    tag.extend_from_slice(&(desc.len() as u32).to_be_bytes());
    tag.extend_from_slice(desc);
    tag.extend_from_slice(&[0; 4 + 4 + 2 + 1 + 67]);
    while tag.len() % 4 != 0 {
        tag.push(0);
    }
    let size = 128 + 4 + 12 + tag.len();
    let mut p = Vec::with_capacity(size);
    p.extend_from_slice(&(size as u32).to_be_bytes());
    p.extend_from_slice(b"none");
    p.extend_from_slice(&[2, 0x10, 0, 0]);
    p.extend_from_slice(b"mntrRGB XYZ ");
    p.extend_from_slice(&[0x07, 0xEA, 0, 12, 0, 1, 0, 0, 0, 0, 0, 0]);
    p.extend_from_slice(b"acspAPPL");
    p.extend_from_slice(&[0; 4 + 4 + 4 + 8 + 4]);
    p.extend_from_slice(&[0, 0, 0xF6, 0xD6, 0, 1, 0, 0, 0, 0, 0xD3, 0x2D]);
    p.extend_from_slice(&[0; 4 + 16 + 28]);
    assert_eq!(p.len(), 128);
    p.extend_from_slice(&1u32.to_be_bytes());
    p.extend_from_slice(b"desc");
    p.extend_from_slice(&144u32.to_be_bytes());
    p.extend_from_slice(&(tag.len() as u32).to_be_bytes());
    p.extend_from_slice(&tag);
    p
}

fn exiftool(args: &[&str]) -> String {
    let out =
        Command::new("exiftool").args(args).output().expect("exiftool runs (scripts/test.sh installs it)");
    assert!(out.status.success(), "exiftool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A copy of fixture `name` with everything private and everything to keep written into it.
pub fn telling_fixture(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("telling-{name}"));
    std::fs::copy(fixture(name), &path).unwrap();
    let icc = dir.join("profile.icc");
    std::fs::write(&icc, icc_profile()).unwrap();
    let p = path.to_str().unwrap();
    exiftool(&[
        "-q",
        "-overwrite_original",
        &format!("-ICC_Profile<={}", icc.display()),
        "-GPSLatitude=51.1279",
        "-GPSLatitudeRef=N",
        "-GPSLongitude=1.3134",
        "-GPSLongitudeRef=E",
        "-SerialNumber=BODY-123456",
        "-LensSerialNumber=LENS-987",
        "-OwnerName=Ann Example",
        "-Copyright=© Harbour Press",
        "-Artist=Ann Example",
        "-Orientation#=6",
        "-XMP-photoshop:Credit=Harbour Press / Ann",
        "-XMP-photoshop:City=Dover",
        "-XMP-dc:Rights=© Harbour Press",
        p,
    ]);
    path
}

/// exiftool's every tag of a file, `Group:Name` = value, one per line.
fn tags(path: &Path) -> String {
    exiftool(&["-a", "-G1", "-s", "-n", path.to_str().unwrap()])
}

fn pixels(path: &Path) -> Vec<u8> {
    image::open(path).expect("decodes").to_rgba8().into_raw()
}

#[test]
fn stripping_keeps_pixels_icc_rights_and_credit_and_drops_location_and_device() {
    let dir = tempfile::tempdir().unwrap();
    for (name, t) in
        [("image.jpg", MediaType::Jpeg), ("image.png", MediaType::Png), ("image.webp", MediaType::Webp)]
    {
        let telling = telling_fixture(dir.path(), name);
        let before = tags(&telling);
        for field in
            ["GPSLatitude", "SerialNumber", "LensSerialNumber", "OwnerName", "City", "ProfileDescription"]
        {
            assert!(before.contains(field), "{name}: exiftool wrote {field}:\n{before}");
        }
        assert_eq!(privacy::scan(&telling, t), Private { location: true, device: true }, "{name}");
        assert_eq!(privacy::scan(&fixture(name), t), Private::default(), "{name}: the plain fixture");

        let stripped = dir.path().join(format!("stripped-{name}"));
        let size = privacy::strip(&telling, t, &stripped).unwrap();
        assert_eq!(size, std::fs::metadata(&stripped).unwrap().len());
        let after = tags(&stripped);
        for gone in ["GPS", "SerialNumber", "OwnerName", "City"] {
            assert!(!after.contains(gone), "{name}: {gone} left after stripping:\n{after}");
        }
        for kept in [
            "ProfileDescription",
            "Mediadesk test profile",
            "Copyright",
            "© Harbour Press",
            "Credit",
            "Harbour Press / Ann",
            "Orientation",
        ] {
            assert!(after.contains(kept), "{name}: {kept} lost:\n{after}");
        }
        assert!(!after.contains("Warning"), "{name}: exiftool warns about the stripped file:\n{after}");
        assert_eq!(privacy::scan(&stripped, t), Private::default(), "{name}: nothing left to find");
        assert_eq!(pixels(&stripped), pixels(&telling), "{name}: the same pixels");
        // Stripping what has nothing private changes nothing that matters either.
        let again = dir.path().join(format!("again-{name}"));
        privacy::strip(&stripped, t, &again).unwrap();
        assert_eq!(pixels(&again), pixels(&telling));
    }
}

/// ImageMagick keeps EXIF in a PNG as hex in a `Raw profile type exif` text chunk; exiftool
/// reads GPS from it, so the scan must too, and stripping must drop it.
#[test]
fn a_png_with_a_raw_exif_profile_is_found_out_and_stripped() {
    let dir = tempfile::tempdir().unwrap();
    let jpg = telling_fixture(dir.path(), "image.jpg");
    let exif = Command::new("exiftool").args(["-b", "-EXIF", jpg.to_str().unwrap()]).output().unwrap().stdout;
    assert!(exif.starts_with(b"MM\0*") || exif.starts_with(b"II*\0"), "exiftool gives the EXIF TIFF");
    let hex: String = hex::encode(&exif);
    let lines: Vec<&str> = hex.as_bytes().chunks(72).map(|c| std::str::from_utf8(c).unwrap()).collect();
    let text = format!("\nexif\n{:8}\n{}\n", exif.len(), lines.join("\n"));
    let mut data = b"Raw profile type exif\0".to_vec();
    data.extend_from_slice(text.as_bytes());
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(b"tEXt");
    chunk.extend_from_slice(&data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(b"tEXt");
    crc.update(&data);
    chunk.extend_from_slice(&crc.finalize().to_be_bytes());
    let png = fixture_bytes("image.png");
    let ihdr_end = 8 + 12 + 13;
    let raw = dir.path().join("raw.png");
    std::fs::write(&raw, [&png[..ihdr_end], &chunk, &png[ihdr_end..]].concat()).unwrap();
    assert!(tags(&raw).contains("GPSLatitude"), "exiftool reads the raw profile:\n{}", tags(&raw));
    assert_eq!(privacy::scan(&raw, MediaType::Png), Private { location: true, device: true });
    let stripped = dir.path().join("raw-stripped.png");
    privacy::strip(&raw, MediaType::Png, &stripped).unwrap();
    let after = tags(&stripped);
    assert!(!after.contains("GPS") && !after.contains("SerialNumber"), "{after}");
    assert_eq!(pixels(&stripped), pixels(&raw));
}

backend_tests!(
    a_telling_upload_is_marked_filtered_and_shared_without_it,
    the_upload_policy_strips_the_stored_original,
    the_never_policy_shares_files_as_they_came
);

/// The item page's "Download original" link.
fn download_link(body: &str) -> String {
    let before = body.split("\" download>Download").next().expect("a download link");
    html_unescape(before.rsplit("href=\"").next().unwrap())
}

/// The bytes a signed URL (or a redirect to one) serves.
async fn fetch(c: &crate::common::server::TestClient, path: &str) -> Vec<u8> {
    let mut path = path.to_owned();
    for _ in 0..3 {
        let (status, headers, bytes) = c.get_bytes(&path, None).await;
        match status {
            200 => return bytes,
            303 | 302 => {
                path = headers.get("location").unwrap().to_str().unwrap().to_owned();
            }
            other => panic!("GET {path}: {other}"),
        }
    }
    panic!("too many redirects")
}

async fn a_telling_upload_is_marked_filtered_and_shared_without_it(env: TestEnv) {
    let dir = tempfile::tempdir().unwrap();
    let telling = telling_fixture(dir.path(), "image.jpg");
    let original = std::fs::read(&telling).unwrap();
    let s = env.with_trash(30).start_server().await;
    let (amy, amy_id) = s.signed_in("amy", Role::User).await;
    let (ben, _) = s.signed_in("ben", Role::User).await;
    let (sue, _) = s.signed_in("sue", Role::Staff).await;
    let page = amy
        .upload(&[("dover.jpg", original.clone()), ("plain.png", fixture_bytes("image.png"))], None, true)
        .await;
    let v: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    let item = v["results"][0]["url"].as_str().unwrap().to_owned();
    let detail = amy.get(&item).await;
    assert!(detail.body.contains("Contains location and camera details"), "{}", detail.body);
    assert!(detail.body.contains("Share links and other people"));
    assert!(!amy.get(v["results"][1]["url"].as_str().unwrap()).await.body.contains("privacy-badge"));
    // The filter finds it and nothing else.
    let filtered = amy.get("/media?only=location").await;
    assert!(filtered.body.contains("dover.jpg") && !filtered.body.contains("plain.png"), "{}", filtered.body);
    // The copy is stored once, beside the original, and counts against Amy's quota.
    let objects = s.env.objects().await;
    assert_eq!(objects.iter().filter(|k| k.contains(".private.")).count(), 1, "{objects:?}");
    s.env.usage_matches(amy_id).await;

    // Amy, the owner, downloads the original byte for byte.
    assert_eq!(fetch(&amy, &download_link(&detail.body)).await, original, "the owner gets the original");

    // A share link serves the copy: exiftool finds no location or device data, but the ICC
    // profile, copyright and credit; the pixels are the original's.
    let made = amy.post(&item, &format!("{item}/share"), &[("lifetime", "3600"), ("download", "1")]).await;
    assert_eq!(made.status, 303);
    let url = amy.get(&item).await.all("id=\"share-url\" readonly value=\"").pop().unwrap();
    let link = &url[url.find("/s/").unwrap()..];
    let anon = s.client();
    for path in [format!("{link}/download"), format!("{link}/file")] {
        let shared = fetch(&anon, &path).await;
        assert_ne!(shared, original);
        let file = dir.path().join("shared.jpg");
        std::fs::write(&file, &shared).unwrap();
        let after = tags(&file);
        for gone in ["GPS", "SerialNumber", "OwnerName", "City"] {
            assert!(!after.contains(gone), "{path}: {gone} in what a share serves:\n{after}");
        }
        for kept in ["Mediadesk test profile", "© Harbour Press", "Harbour Press / Ann", "Orientation"] {
            assert!(after.contains(kept), "{path}: {kept} lost:\n{after}");
        }
        assert_eq!(pixels(&file), pixels(&telling));
    }

    // System media: staff get the original, a user's download the copy.
    let page = sue.upload(&[("cliffs.jpg", original.clone())], Some("system"), true).await;
    let v: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    let system = v["results"][0]["url"].as_str().unwrap().to_owned();
    assert_eq!(fetch(&sue, &download_link(&sue.get(&system).await.body)).await, original);
    let bens = fetch(&ben, &download_link(&ben.get(&system).await.body)).await;
    assert_ne!(bens, original, "another user's download is the copy");
    assert!(
        privacy::scan(
            &{
                let f = dir.path().join("bens.jpg");
                std::fs::write(&f, &bens).unwrap();
                f
            },
            MediaType::Jpeg
        ) == Private::default()
    );

    // Trashed and restored, the copy comes back; deleted for good, it goes with the item.
    amy.post(&item, &format!("{item}/delete"), &[("confirmed", "yes")]).await;
    let value = item.replace("/media/", "").replace('/', ":");
    amy.post("/trash", "/trash", &[("action", "restore"), ("item", &value)]).await;
    assert!(amy.get(&item).await.body.contains("Contains location"));
    s.env.usage_matches(amy_id).await;
    amy.post(&item, &format!("{item}/delete"), &[("confirmed", "yes")]).await;
    amy.post("/trash", "/trash", &[("action", "purge"), ("item", &value), ("confirmed", "yes")]).await;
    s.app.media.retry_pending_deletions(true).await.unwrap();
    let left: Vec<String> = s
        .env
        .objects()
        .await
        .into_iter()
        .filter(|k| k.starts_with(&format!("u{amy_id}/")) || k.contains(&format!("/u{amy_id}/")))
        .collect();
    assert!(left.iter().all(|k| !k.contains(".private.")), "{left:?}");
    s.env.usage_matches(amy_id).await;
}

async fn the_upload_policy_strips_the_stored_original(mut env: TestEnv) {
    let mut settings = env.settings();
    settings.strip_metadata = mediadesk::domain::StripPolicy::Upload;
    env.media = env.media_with(env.store.clone(), settings);
    let dir = tempfile::tempdir().unwrap();
    let telling = telling_fixture(dir.path(), "image.png");
    let amy = mediadesk::media::Actor::user(env.user("amy", "user").await);
    let upload =
        mediadesk::media::Upload::new(mediadesk::domain::Owner::User(amy.user_id.unwrap()), "dover.png");
    let item = env.media.upload(&amy, upload, bytes_stream(std::fs::read(&telling).unwrap())).await.unwrap();
    let mediadesk::media::MediaRead::Image(image) = &item else { panic!("an image") };
    assert!(!image.has_location && !image.has_private_copy, "the stored original has nothing left to tell");
    let objects = env.objects().await;
    let original = objects.iter().find(|k| k.ends_with(".png") && !k.contains(".private.")).unwrap();
    let stored = read_object(env.store.as_ref(), original).await;
    assert_eq!(stored.len() as i64, image.byte_size);
    assert_eq!(sha256_hex(&stored), image.sha256, "size and hash are the stored file's");
    let file = dir.path().join("stored.png");
    std::fs::write(&file, &stored).unwrap();
    let after = tags(&file);
    assert!(
        !after.contains("GPS") && !after.contains("SerialNumber") && after.contains("Harbour Press / Ann"),
        "{after}"
    );
    assert_eq!(pixels(&file), pixels(&telling));
    env.usage_matches(amy.user_id.unwrap()).await;
}

async fn the_never_policy_shares_files_as_they_came(mut env: TestEnv) {
    let mut settings = env.settings();
    settings.strip_metadata = mediadesk::domain::StripPolicy::Never;
    env.media = env.media_with(env.store.clone(), settings);
    let dir = tempfile::tempdir().unwrap();
    let telling = telling_fixture(dir.path(), "image.webp");
    let s = env.start_server().await;
    let (amy, _) = s.signed_in("amy", Role::User).await;
    let item = amy.upload_one("dover.webp", std::fs::read(&telling).unwrap()).await;
    assert!(amy.get(&item).await.body.contains("shared as it is"));
    assert!(!s.env.objects().await.iter().any(|k| k.contains(".private.")));
    amy.post(&item, &format!("{item}/share"), &[("lifetime", "3600"), ("download", "1")]).await;
    let url = amy.get(&item).await.all("id=\"share-url\" readonly value=\"").pop().unwrap();
    let shared = fetch(&s.client(), &format!("{}/download", &url[url.find("/s/").unwrap()..])).await;
    assert_eq!(shared, std::fs::read(&telling).unwrap());
}

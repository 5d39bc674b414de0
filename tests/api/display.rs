//! Large images get a screen-size rendition at upload (JPEG, or WebP when transparent), which
//! the detail page shows instead of the original; it is deleted, refused and reconciled with
//! its item like every other object.

use std::io::Cursor;

use bytes::Bytes;
use image::{ImageFormat, RgbImage, RgbaImage};
use mediadesk::auth::{Role, Scope};
use mediadesk::domain::{MediaKind, Owner};
use mediadesk::media::{Actor, Upload};
use mediadesk::storage::ByteStream;

use crate::common::server::*;
use crate::common::*;

backend_tests!(
    large_images_are_shown_through_a_screen_size_rendition,
    the_rendition_goes_with_its_item_and_reconcile_knows_it,
    a_rendition_that_cannot_be_stored_leaves_the_item_and_no_object_behind,
    a_link_that_allows_downloads_offers_the_screen_size_copy_too
);

const SETTLE: std::time::Duration = std::time::Duration::from_secs(30);

/// A smooth, photo-like picture of `w`×`h` (random noise would make a huge JPEG).
fn photo(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 120]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// A PNG with a transparent half.
fn cutout(w: u32, h: u32) -> Vec<u8> {
    let img = RgbaImage::from_fn(w, h, |x, _| image::Rgba([200, 40, 40, if x < w / 2 { 255 } else { 0 }]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

fn stream(bytes: Vec<u8>) -> ByteStream {
    Box::pin(futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from(bytes))]))
}

/// The API's document of the item whose page is `detail` (`/media/image/{id}`).
async fn api_item(s: &TestServer, token: &str, detail: &str) -> serde_json::Value {
    let url = format!("{}/api/v1{}", s.base, detail.split('?').next().unwrap());
    let resp = reqwest::Client::new().get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap()
}

async fn objects_ending(env: &TestEnv, suffix: &str) -> Vec<String> {
    env.objects().await.into_iter().filter(|k| k.ends_with(suffix)).collect()
}

async fn large_images_are_shown_through_a_screen_size_rendition(env: TestEnv) {
    let s = env.start_server().await;
    let (c, ann) = s.signed_in("ann", Role::User).await;
    let reader = s.token(ann, &[Scope::Read], "sizes").await;
    let files = [("wide.jpg", photo(3000, 2000)), ("cutout.png", cutout(2400, 1200))];
    let up =
        c.upload(&[(files[0].0, files[0].1.clone()), (files[1].0, files[1].1.clone())], None, false).await;
    assert!(up.body.contains("2 accepted"), "{}", up.body);
    assert_eq!(c.upload(&[("small.png", fixture_bytes("image.png"))], None, false).await.status, 200);
    assert!(s.env.media.settle(SETTLE).await, "renditions follow their uploads");
    let jpeg = objects_ending(&s.env, ".display.jpg").await;
    let webp = objects_ending(&s.env, ".display.webp").await;
    assert_eq!((jpeg.len(), webp.len()), (1, 1), "one each, none for the small image");
    assert_eq!(s.env.objects().await.len(), 3 + 3 + 2, "originals, thumbnails and two renditions");

    for (name, want_w, want_h, want_type) in
        [("wide.jpg", 2048, 1365, "image/jpeg"), ("cutout.png", 2048, 1024, "image/webp")]
    {
        let gallery = c.get(&format!("/media?q={name}")).await;
        let detail = gallery.all("<a class=\"name\" href=\"").remove(0);
        let page = c.get(&detail).await;
        let preview = page.body.split("id=\"preview\"").next().unwrap().rsplit("src=\"").next().unwrap();
        let preview = html_unescape(preview.split('"').next().unwrap());
        let original = page.open_full_size();
        assert_ne!(preview, original, "{name}: the page shows the rendition");
        assert!(page.body.contains("shown reduced to fit a screen"));
        let (status, headers, bytes) = c.get_bytes(&preview, None).await;
        assert_eq!((status, headers["content-type"].to_str().unwrap()), (200, want_type), "{name}");
        let shown = image::load_from_memory(&bytes).unwrap();
        assert_eq!((shown.width(), shown.height()), (want_w, want_h), "{name}");
        if want_type == "image/webp" {
            let rgba = shown.to_rgba8();
            assert_eq!(
                (rgba.get_pixel(10, 10)[3], rgba.get_pixel(2000, 10)[3]),
                (255, 0),
                "transparency kept"
            );
        }
        let (status, _, bytes) = c.get_bytes(&original, None).await;
        assert_eq!((status, bytes.len()), (200, files.iter().find(|f| f.0 == name).unwrap().1.len()));
        // The screen-size copy is a download of its own, named for its size.
        let words = format!("id=\"sized-download\">Download at {want_w} × {want_h}</a>");
        assert!(page.body.contains(&words), "{name}: {}", page.body);
        let sized =
            page.body.split(" download id=\"sized-download\"").next().unwrap().rsplit("href=\"").next();
        let sized = html_unescape(sized.unwrap().split('"').next().unwrap());
        let (status, headers, got) = c.get_bytes(&sized, None).await;
        assert_eq!(status, 200, "{name}");
        let (stem, ext) = name.split_once('.').unwrap();
        let ext = if want_type == "image/webp" { "webp" } else { ext };
        let disposition = headers["content-disposition"].to_str().unwrap();
        let want = format!("attachment; filename=\"{stem}-{want_w}x{want_h}.{ext}\"");
        assert!(disposition.starts_with(&want), "{name}: {disposition}");
        let (_, _, shown) = c.get_bytes(&preview, None).await;
        assert_eq!(got, shown, "{name}: the very copy the page shows");
        // The API offers the same download, and says its size.
        let doc = api_item(&s, &reader, &detail).await;
        assert_eq!(
            (doc["display_width"].as_u64(), doc["display_height"].as_u64()),
            (Some(want_w.into()), Some(want_h.into()))
        );
        let sized = reqwest::get(doc["display_download_url"].as_str().unwrap()).await.unwrap();
        let disposition = sized.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert!(disposition.starts_with(&want), "{name}: {disposition}");
        assert_eq!(sized.bytes().await.unwrap().to_vec(), shown, "{name}");
    }
    let small = c.get("/media?q=small").await.all("<a class=\"name\" href=\"").remove(0);
    let page = c.get(&small).await;
    assert!(!page.body.contains("shown reduced"), "a small image is its own preview");
    assert!(!page.body.contains("sized-download"), "and has no smaller copy to download");
    let doc = api_item(&s, &reader, &small).await;
    for field in ["display_url", "display_download_url", "display_width", "display_height"] {
        assert!(doc[field].is_null(), "{field}: {doc}");
    }

    // The describing queue shows each image as large as its page does, not as a thumbnail.
    let mut shown = Vec::new();
    let mut queue = "/describe?kind=image".to_owned();
    for _ in 0..3 {
        let page = html_unescape(&c.get(&queue).await.body);
        let img = page.split("class=\"queue-preview\"").next().unwrap().rsplit("<img src=\"").next().unwrap();
        let (status, _, bytes) = c.get_bytes(img.split('"').next().unwrap(), None).await;
        assert_eq!(status, 200);
        let img = image::load_from_memory(&bytes).unwrap();
        shown.push((img.width(), img.height()));
        let skip =
            page.split("href=\"/describe?kind=image&after=").nth(1).unwrap().split('"').next().unwrap();
        queue = format!("/describe?kind=image&after={skip}");
    }
    shown.sort();
    assert_eq!(shown, [(64, 48), (2048, 1024), (2048, 1365)], "the queue's previews");
}

async fn the_rendition_goes_with_its_item_and_reconcile_knows_it(env: TestEnv) {
    let staff = Actor::operator();
    let a = env
        .media
        .upload(&staff, Upload::new(Owner::System, "a.jpg"), stream(photo(2600, 1000)))
        .await
        .unwrap();
    let b = env
        .media
        .upload(&staff, Upload::new(Owner::System, "b.jpg"), stream(photo(1000, 2600)))
        .await
        .unwrap();
    assert!(env.media.settle(SETTLE).await);
    assert_eq!(env.objects().await.len(), 6);
    assert!(
        env.media.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean(),
        "renditions are known"
    );
    // Deleting the item deletes its rendition.
    env.media.delete(&staff, MediaKind::Image, a.id()).await.unwrap();
    assert_eq!(env.objects().await.len(), 3);
    // A rendition lost from the store: reported, and the fix makes the page use the original.
    let lost = objects_ending(&env, ".display.jpg").await.remove(0);
    env.store.delete(&mediadesk::storage::StorageKey::parse(&lost).unwrap()).await.unwrap();
    let report = env.media.reconcile(false, std::time::Duration::ZERO).await.unwrap();
    assert_eq!(report.missing_derivatives, vec![lost.clone()]);
    env.media.reconcile(true, std::time::Duration::ZERO).await.unwrap();
    assert!(env.media.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());
    let detail = env.media.detail(&staff, MediaKind::Image, b.id()).await.unwrap();
    assert_eq!(detail.display_url, None, "the page falls back to the original");
}

async fn a_rendition_that_cannot_be_stored_leaves_the_item_and_no_object_behind(env: TestEnv) {
    let media = env.media_with(env.store_refusing(".display.jpg"), env.settings());
    let staff = Actor::operator();
    let big =
        media.upload(&staff, Upload::new(Owner::System, "big.jpg"), stream(photo(3000, 2000))).await.unwrap();
    assert!(media.settle(SETTLE).await);
    assert_eq!(env.objects().await.len(), 2, "the original and its thumbnail");
    let detail = media.detail(&staff, MediaKind::Image, big.id()).await.unwrap();
    assert_eq!(detail.display_url, None, "the page shows the original");
    assert!(media.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());
    // Deleted before its rendition is stored: nothing is left either way.
    let gone = env
        .media
        .upload(&staff, Upload::new(Owner::System, "gone.jpg"), stream(photo(3000, 2000)))
        .await
        .unwrap();
    env.media.delete(&staff, MediaKind::Image, gone.id()).await.unwrap();
    assert!(env.media.settle(SETTLE).await);
    assert_eq!(env.objects().await.len(), 2, "{:?}", env.objects().await);
    assert!(env.media.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());
}

/// A share link that allows downloads offers a large image's screen-size copy as a download
/// of its own beside the file; one that does not, or a small image's, offers none and its
/// address is 404.
async fn a_link_that_allows_downloads_offers_the_screen_size_copy_too(env: TestEnv) {
    let s = env.start_server().await;
    let (c, _) = s.signed_in("ann", Role::User).await;
    let wide = c.upload_one("wide.jpg", photo(3000, 2000)).await;
    let small = c.upload_one("small.png", fixture_bytes("image.png")).await;
    assert!(s.env.media.settle(SETTLE).await, "renditions follow their uploads");
    let open = crate::shares::share(&c, &wide, &[("lifetime", "3600"), ("download", "1")]).await;
    let view_only = crate::shares::share(&c, &wide, &[("lifetime", "3600")]).await;
    let small_open = crate::shares::share(&c, &small, &[("lifetime", "3600"), ("download", "1")]).await;

    let anyone = s.client();
    let page = anyone.get(&open).await;
    let link = format!("<a href=\"{open}/download/sized\" class=\"button\" download id=\"sized-download\">");
    assert!(page.body.contains(&format!("{link}Download at 2048 × 1365</a>")), "{}", page.body);
    let to = anyone.get(&format!("{open}/download/sized")).await;
    assert_eq!(to.status, 303);
    let (status, headers, sized) = anyone.get_bytes(to.location(), None).await;
    assert_eq!(status, 200);
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment; filename=\"wide-2048x1365.jpg\""), "{disposition}");
    let shown = anyone.get(&format!("{open}/file")).await;
    let (_, _, shown) = anyone.get_bytes(shown.location(), None).await;
    assert_eq!(sized, shown, "the very copy the page shows");
    let img = image::load_from_memory(&sized).unwrap();
    assert_eq!((img.width(), img.height()), (2048, 1365));

    for (link, why) in [(&view_only, "downloads not allowed"), (&small_open, "a small image has no copy")] {
        assert!(!anyone.get(link).await.body.contains("sized-download"), "{why}");
        assert_eq!(anyone.get(&format!("{link}/download/sized")).await.status, 404, "{why}");
    }
}

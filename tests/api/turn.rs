//! Turning an image, on both backends: a JPEG's orientation changes and not one byte of its
//! compressed pixels does (exiftool reads the orientation back as the judge); a PNG's and a
//! GIF's pixels move, each one where a viewer would show it; the sides swap in the item and its
//! previews; the earlier file is a version to roll back to; the log says "Turned". A WebP is
//! compressed again in its own kind (a lossless one pixel for pixel, a lossy one close to it),
//! its EXIF and XMP kept (exiftool the judge). Animated PNGs and WebPs, other people's items
//! and nonsense are refused and change nothing;
//! the store or the database failing halfway changes nothing either. Then through the pages,
//! for one photo, a selection and a whole view.

use std::process::Command;

use mediadesk::auth::Role;
use mediadesk::domain::{AuditAction, AuditFilter, MediaKind, Turn};
use mediadesk::media::{Actor, MediaError, MediaRead};
use mediadesk::storage::StorageKey;

use crate::common::browser::Browser;
use crate::common::server::html_unescape;
use crate::common::*;
use crate::versions::bytes_of;

backend_tests!(
    a_photo_turns_without_losing_a_pixel,
    a_png_and_a_gif_turn_pixel_for_pixel,
    a_webp_turns_in_its_own_kind_and_keeps_what_it_says,
    an_animation_or_someone_elses_image_does_not_turn,
    failures_while_turning_change_nothing,
    turning_through_the_page,
    a_selection_and_a_whole_view_turn_what_turns,
    browser_turns_a_photo_by_keyboard_at_390_px
);

/// Everything from the start of the scan on: the compressed pixels.
fn scan(jpeg: &[u8]) -> Vec<u8> {
    let at = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).expect("a scan");
    jpeg[at..].to_vec()
}

/// The orientation exiftool reads in `jpeg` (1 to 8), from a file of its own.
fn exiftool_orientation(env: &TestEnv, jpeg: &[u8]) -> u8 {
    let path = env.dir.path().join(format!("judge-{}.jpg", sha256_hex(jpeg)));
    std::fs::write(&path, jpeg).unwrap();
    let out = Command::new("exiftool")
        .args(["-s3", "-n", "-Orientation"])
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("exiftool is required (scripts/test.sh installs it): {e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    // No tag is upright, as EXIF defines.
    let line = text.lines().next().unwrap_or("1").trim();
    line.parse().unwrap_or_else(|_| panic!("no orientation: {text:?}"))
}

async fn turns_logged(env: &TestEnv) -> mediadesk::auth::AccountService {
    mediadesk::auth::AccountService::new(env.db.clone())
}

pub(crate) fn sides(m: &MediaRead) -> (i32, i32) {
    match m {
        MediaRead::Image(i) => (i.width, i.height),
        MediaRead::Audio(_) => panic!("an image"),
    }
}

async fn a_photo_turns_without_losing_a_pixel(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let photo = env.upload_own(&ann, "quay.jpg", "image.jpg").await;
    let original = bytes_of(&env, &ann, photo).await;
    let (w, h) = sides(&media.get(&ann, photo.0, photo.1).await.unwrap());
    assert_ne!(w, h, "a photo whose sides differ");

    let turned = media.turn(&ann, photo, Turn::Right).await.unwrap();
    assert!(turned.kept_version);
    assert_eq!((turned.media.id(), turned.media.filename()), (photo.1, "quay.jpg"));
    assert_eq!(sides(&turned.media), (h, w), "the sides swap");
    let now = bytes_of(&env, &ann, photo).await;
    assert_eq!(exiftool_orientation(&env, &now), 6, "Rotate 90 CW");
    assert_eq!(scan(&now), scan(&original), "not one compressed byte changed");
    // The thumbnail is made again from the turned file: taller than wide now.
    let thumb_key =
        env.objects().await.into_iter().find(|k| k.ends_with(".thumb.jpg") && !k.starts_with("trash/"));
    let thumb = image::load_from_memory(&read_object(env.store.as_ref(), &thumb_key.unwrap()).await).unwrap();
    assert_eq!(thumb.width() > thumb.height(), w < h, "the thumbnail turned too");

    // Three more quarter turns right: upright again, every step a version.
    for expected in [3, 8, 1] {
        media.turn(&ann, photo, Turn::Right).await.unwrap();
        assert_eq!(exiftool_orientation(&env, &bytes_of(&env, &ann, photo).await), expected);
    }
    let versions = media.versions(&ann, photo).await.unwrap();
    assert_eq!(versions.len(), 4);
    assert!(versions.iter().all(|v| v.how == AuditAction::Turn), "each set aside by a turn");
    media.turn(&ann, photo, Turn::Mirror).await.unwrap();
    assert_eq!(exiftool_orientation(&env, &bytes_of(&env, &ann, photo).await), 2, "Mirror horizontal");
    // Rolling back brings the file as it was before the mirror.
    let newest = media.versions(&ann, photo).await.unwrap()[0].id;
    media.restore_version(&ann, photo, newest).await.unwrap();
    assert_eq!(exiftool_orientation(&env, &bytes_of(&env, &ann, photo).await), 1);
    assert_eq!(media.versions(&ann, photo).await.unwrap()[0].how, AuditAction::RollBack);

    // A camera's photo keeps its EXIF, changed in one place; mirroring a photo shown turned
    // right mirrors it first and turns it left (orientation 5).
    let camera = env.upload_own(&ann, "camera.jpg", "image-exif-rot6.jpg").await;
    let before = bytes_of(&env, &ann, camera).await;
    media.turn(&ann, camera, Turn::Mirror).await.unwrap();
    let after = bytes_of(&env, &ann, camera).await;
    assert_eq!(exiftool_orientation(&env, &after), 5);
    assert_eq!(before.iter().zip(&after).filter(|(a, b)| a != b).count(), 1);
    assert_eq!(after.len(), before.len());

    let log = AuditFilter { action: Some(AuditAction::Turn), ..AuditFilter::default() };
    let entries = turns_logged(&env).await.audit(None, &log, None, 50).await.unwrap().entries;
    let details: Vec<&str> = entries.iter().filter_map(|e| e.detail.as_deref()).collect();
    assert_eq!(details[0], "camera.jpg mirrored");
    assert!(details.contains(&"quay.jpg turned right"), "{details:?}");
    assert!(media.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());
    env.usage_matches(ann.user_id.unwrap()).await;
}

/// What exiftool reads as `tag` in `file` (named `name` for its type).
fn exiftool_says(env: &TestEnv, name: &str, file: &[u8], tag: &str) -> String {
    let path = env.dir.path().join(format!("judge-{}-{name}", sha256_hex(file)));
    std::fs::write(&path, file).unwrap();
    let out = Command::new("exiftool")
        .args(["-s3", &format!("-{tag}")])
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("exiftool is required (scripts/test.sh installs it): {e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Every frame of an image as a viewer shows it, as RGBA.
fn frames(file: &[u8]) -> Vec<image::RgbaImage> {
    use image::AnimationDecoder;
    if file.starts_with(b"GIF") {
        let d = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(file)).unwrap();
        d.into_frames().collect_frames().unwrap().into_iter().map(|f| f.into_buffer()).collect()
    } else {
        vec![image::load_from_memory(file).unwrap().into_rgba8()]
    }
}

async fn a_png_and_a_gif_turn_pixel_for_pixel(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let cases = [("map.png", "image.png", Turn::Left), ("spin.gif", "image-anim.gif", Turn::Half)];
    for (name, fixture, turn) in cases {
        let item = env.upload_own(&ann, name, fixture).await;
        let original = bytes_of(&env, &ann, item).await;
        let (w, h) = sides(&media.get(&ann, item.0, item.1).await.unwrap());
        let turned = media.turn(&ann, item, turn).await.unwrap();
        assert!(turned.kept_version);
        let now = bytes_of(&env, &ann, item).await;
        let quarter = turn == Turn::Left;
        let want = if quarter { (h, w) } else { (w, h) };
        assert_eq!(sides(&turned.media), want, "{name}");
        assert_eq!(exiftool_says(&env, name, &now, "ImageSize"), format!("{}x{}", want.0, want.1));
        assert_eq!(
            exiftool_says(&env, name, &now, "FrameCount"),
            exiftool_says(&env, name, &original, "FrameCount"),
            "{name}: every frame kept"
        );
        let (before, after) = (frames(&original), frames(&now));
        assert_eq!(before.len(), after.len());
        for (b, a) in before.iter().zip(&after) {
            let want = if quarter { image::imageops::rotate270(b) } else { image::imageops::rotate180(b) };
            assert!(a.as_raw() == want.as_raw(), "{name}: every pixel where a viewer would show it");
        }
        // Rolled back, the file is the original, byte for byte.
        let version = media.versions(&ann, item).await.unwrap()[0].id;
        media.restore_version(&ann, item, version).await.unwrap();
        assert_eq!(bytes_of(&env, &ann, item).await, original, "{name}");
    }
    let log = AuditFilter { action: Some(AuditAction::Turn), ..AuditFilter::default() };
    let entries = turns_logged(&env).await.audit(None, &log, None, 50).await.unwrap().entries;
    let details: Vec<&str> = entries.iter().filter_map(|e| e.detail.as_deref()).collect();
    assert_eq!(details, ["spin.gif turned upside down", "map.png turned left"]);

    // A whole view's turn counts a large PNG as the several photos' worth of work it is: 5 MP
    // of pixels to move count two, the small PNG and GIF one each.
    let mut wide = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut wide, 2500, 2000);
        enc.set_color(png::ColorType::Grayscale);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&vec![90; 2500 * 2000]).unwrap();
        w.finish().unwrap();
    }
    let owner = mediadesk::domain::Owner::User(ann.user_id.unwrap());
    let upload = mediadesk::media::Upload::new(owner, "wide.png");
    media.upload(&ann, upload, bytes_stream(wide)).await.unwrap();
    let query =
        mediadesk::domain::GalleryQuery::new(mediadesk::domain::OwnerFilter::Visible(ann.user_id.unwrap()));
    let turn = mediadesk::media::BulkEdit::Turn(Turn::Right);
    let err = media.view_members(&ann, &query, Some(&turn), 3).await.unwrap_err();
    assert!(
        matches!(&err, MediaError::Invalid(m) if m.contains("fewer large PNGs, GIFs or WebPs")),
        "{err:?}"
    );
    assert_eq!(media.view_members(&ann, &query, Some(&turn), 4).await.unwrap().items.len(), 3);
    let credit = mediadesk::media::BulkEdit::Credit("Ann".into());
    assert_eq!(media.view_members(&ann, &query, Some(&credit), 3).await.unwrap().items.len(), 3);
    assert!(media.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());
    env.usage_matches(ann.user_id.unwrap()).await;
}

/// A lossy WebP written with an EXIF orientation (shown turned right), a title and an artist.
pub(crate) fn described_webp(env: &TestEnv) -> Vec<u8> {
    let path = env.dir.path().join("described.webp");
    std::fs::write(&path, fixture_bytes("image.webp")).unwrap();
    let out = Command::new("exiftool")
        .args(["-q", "-overwrite_original", "-Orientation#=6", "-XMP-dc:Title=Quay", "-Artist=Ann"])
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("exiftool is required (scripts/test.sh installs it): {e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read(&path).unwrap()
}

/// The mean difference between two images' samples, which must be the same size.
pub(crate) fn mean_difference(a: &image::RgbaImage, b: &image::RgbaImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| u64::from(x.abs_diff(*y))).sum();
    sum as f64 / a.as_raw().len() as f64
}

async fn a_webp_turns_in_its_own_kind_and_keeps_what_it_says(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let has = |file: &[u8], chunk: &[u8]| file.windows(4).any(|w| w == chunk);

    // Lossless: every pixel where a viewer would show it, still lossless.
    let plan = env.upload_own(&ann, "plan.webp", "image-lossless.webp").await;
    let original = bytes_of(&env, &ann, plan).await;
    let (w, h) = sides(&media.get(&ann, plan.0, plan.1).await.unwrap());
    let turned = media.turn(&ann, plan, Turn::Left).await.unwrap();
    assert_eq!(sides(&turned.media), (h, w));
    let now = bytes_of(&env, &ann, plan).await;
    assert!(has(&now, b"VP8L") && !has(&now, b"VP8 "), "compressed without loss again");
    let want = image::imageops::rotate270(&frames(&original)[0]);
    assert!(frames(&now)[0].as_raw() == want.as_raw(), "every pixel where a viewer would show it");

    // Lossy, with EXIF and XMP: the orientation goes into the pixels and the tag is upright;
    // the rest stays; the pixels are close to what they were; the earlier file comes back.
    let owner = mediadesk::domain::Owner::User(ann.user_id.unwrap());
    let described = described_webp(&env);
    let upload = mediadesk::media::Upload::new(owner, "lens.webp");
    let lens = media.upload(&ann, upload, bytes_stream(described.clone())).await.unwrap();
    let lens = (lens.kind(), lens.id());
    let (w, h) = sides(&media.get(&ann, lens.0, lens.1).await.unwrap());
    let turned = media.turn(&ann, lens, Turn::Right).await.unwrap();
    assert_eq!(sides(&turned.media), (h, w));
    let now = bytes_of(&env, &ann, lens).await;
    assert!(has(&now, b"VP8 ") && !has(&now, b"VP8L"), "still lossy");
    assert!(now.len() < 3 * described.len(), "{} bytes from {}", now.len(), described.len());
    let judge = |tag: &str| exiftool_says(&env, "lens.webp", &now, tag);
    assert_eq!(judge("Orientation"), "Horizontal (normal)");
    assert_eq!((judge("Title"), judge("Artist")), ("Quay".to_owned(), "Ann".to_owned()));
    assert_eq!(judge("ImageSize"), format!("{h}x{w}"), "stored as it is shown");
    // Shown turned right, turned right again: upside down.
    let want = image::imageops::rotate180(&frames(&described)[0]);
    let off = mean_difference(&frames(&now)[0], &want);
    assert!(off < 3.0, "on average {off:.2} off");
    let version = media.versions(&ann, lens).await.unwrap()[0].id;
    media.restore_version(&ann, lens, version).await.unwrap();
    assert_eq!(bytes_of(&env, &ann, lens).await, described, "rolled back byte for byte");
    assert!(media.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());
    env.usage_matches(ann.user_id.unwrap()).await;
}

async fn an_animation_or_someone_elses_image_does_not_turn(env: TestEnv) {
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let bob = Actor::user(env.user("bob", "user").await);
    let photo = env.upload_own(&ann, "quay.jpg", "image.jpg").await;
    let before = env.objects().await;
    // Each frame would need turning on its own, placed anew.
    let spin = env.upload_own(&ann, "spin.webp", "image-anim.webp").await;
    let err = media.turn(&ann, spin, Turn::Left).await.unwrap_err();
    assert!(matches!(&err, MediaError::Invalid(m) if m.contains("An animated PNG or WebP")), "{err:?}");
    assert!(media.versions(&ann, spin).await.unwrap().is_empty());
    // An animated PNG: its frames would need turning one by one, each placed anew.
    let mut apng = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut apng, 4, 3);
        enc.set_color(png::ColorType::Rgb);
        enc.set_animated(2, 0).unwrap();
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&[200; 36]).unwrap();
        w.write_image_data(&[20; 36]).unwrap();
        w.finish().unwrap();
    }
    let upload =
        mediadesk::media::Upload::new(mediadesk::domain::Owner::User(ann.user_id.unwrap()), "spin.png");
    let animated = media.upload(&ann, upload, bytes_stream(apng)).await.unwrap();
    assert!(!animated.can_turn(), "its frames, counted at upload, say so: no button, no file read");
    let err = media.turn(&ann, (animated.kind(), animated.id()), Turn::Right).await.unwrap_err();
    assert!(
        matches!(&err, MediaError::Invalid(m) if m.contains("An animated PNG or WebP cannot be turned")),
        "{err:?}"
    );
    let err = media.turn(&bob, photo, Turn::Left).await.unwrap_err();
    assert!(matches!(err, MediaError::Forbidden | MediaError::NotFound), "{err:?}");
    let err = media.turn(&ann, (MediaKind::Audio, photo.1), Turn::Left).await.unwrap_err();
    assert!(matches!(err, MediaError::NotFound | MediaError::Invalid(_)), "{err:?}");
    assert!(env.objects().await.iter().filter(|k| before.contains(k)).count() == before.len());
    assert_eq!(exiftool_orientation(&env, &bytes_of(&env, &ann, photo).await), 1);
}

async fn failures_while_turning_change_nothing(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let photo = env.upload_own(&ann, "quay.jpg", "image.jpg").await;
    let before = env.objects().await;
    let settings = media.settings().clone();

    // The store is down: nothing read, nothing stored.
    let (store, switch) = env.faulty_store().await;
    let faulty = env.media_with(store, settings.clone());
    switch.down();
    let err = faulty.turn(&ann, photo, Turn::Right).await.unwrap_err();
    assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
    switch.up();
    // Setting the old file aside fails at its thumbnail: the turned file goes again.
    let refusing = env.media_with(env.store_refusing("thumb.jpg"), settings);
    let err = refusing.turn(&ann, photo, Turn::Right).await.unwrap_err();
    assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
    assert_eq!(env.objects().await, before);
    // The log's row cannot be written: the photo is as it was.
    env.inject_db_failure("audit_log", "INSERT").await;
    let err = media.turn(&ann, photo, Turn::Right).await.unwrap_err();
    assert!(matches!(err, MediaError::Database(_)), "{err:?}");
    env.clear_db_failure("audit_log", "INSERT").await;
    assert_eq!(env.objects().await, before);
    assert_eq!(env.count_rows("versions").await, 0);
    assert_eq!(exiftool_orientation(&env, &bytes_of(&env, &ann, photo).await), 1);
    env.usage_matches(ann.user_id.unwrap()).await;
    // What the store was down for is owed in doubt: the retry clears it and touches nothing live.
    media.retry_pending_deletions(true).await.unwrap();
    assert_eq!(env.objects().await, before);
    let report = media.reconcile(false, std::time::Duration::ZERO).await.unwrap();
    assert!(report.is_clean(), "{report:?}");

    // A stored PNG that rotted (cut short in its image data): refused as unreadable, and
    // nothing is set aside or stored.
    let map = env.upload_own(&ann, "map.png", "image.png").await;
    let key = env.objects().await.into_iter().find(|k| k.ends_with(".png")).expect("the PNG");
    let rotten = env.dir.path().join("rotten.png");
    let png = fixture_bytes("image.png");
    std::fs::write(&rotten, &png[..png.len() / 2]).unwrap();
    env.store.put_file(&StorageKey::parse(&key).unwrap(), &rotten, "image/png").await.unwrap();
    let before = env.objects().await;
    let err = media.turn(&ann, map, Turn::Left).await.unwrap_err();
    assert!(matches!(err, MediaError::Corrupt(_)), "{err:?}");
    assert_eq!(env.objects().await, before);
    assert_eq!(env.count_rows("versions").await, 0);

    // A WebP is compressed again rather than moved, through the same steps: each failure
    // leaves it as it was, and a stored copy cut short is refused as unreadable.
    let wave = env.upload_own(&ann, "wave.webp", "image.webp").await;
    let webp = bytes_of(&env, &ann, wave).await;
    let (before, held) = (env.objects().await, env.stored_for(ann.user_id.unwrap()).await);
    switch.down();
    let err = faulty.turn(&ann, wave, Turn::Right).await.unwrap_err();
    assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
    switch.up();
    let err = refusing.turn(&ann, wave, Turn::Right).await.unwrap_err();
    assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
    env.inject_db_failure("audit_log", "INSERT").await;
    let err = media.turn(&ann, wave, Turn::Right).await.unwrap_err();
    assert!(matches!(err, MediaError::Database(_)), "{err:?}");
    env.clear_db_failure("audit_log", "INSERT").await;
    media.retry_pending_deletions(true).await.unwrap();
    assert_eq!(env.objects().await, before);
    assert_eq!(env.count_rows("versions").await, 0);
    assert_eq!(bytes_of(&env, &ann, wave).await, webp, "the WebP is byte for byte as it was");
    assert_eq!(env.stored_for(ann.user_id.unwrap()).await, held);
    let key = before.iter().find(|k| k.ends_with(".webp")).expect("the WebP").clone();
    let rotten = env.dir.path().join("rotten.webp");
    std::fs::write(&rotten, &webp[..webp.len() / 2]).unwrap();
    env.store.put_file(&StorageKey::parse(&key).unwrap(), &rotten, "image/webp").await.unwrap();
    let err = media.turn(&ann, wave, Turn::Left).await.unwrap_err();
    assert!(matches!(err, MediaError::Corrupt(_)), "{err:?}");
    assert_eq!(env.objects().await, before);
    assert_eq!(env.count_rows("versions").await, 0);
    let report = media.reconcile(false, std::time::Duration::ZERO).await.unwrap();
    assert!(report.is_clean(), "{report:?}");
}

async fn turning_through_the_page(env: TestEnv) {
    let s = env.with_trash(30).start_server().await;
    let (ann, _) = s.signed_in("ann", Role::User).await;
    let (sam, _) = s.signed_in("sam", Role::Staff).await;
    let up = ann
        .upload(
            &[
                ("quay.jpg", fixture_bytes("image.jpg")),
                ("map.png", fixture_bytes("image.png")),
                ("wave.webp", fixture_bytes("image.webp")),
                ("spin.webp", fixture_bytes("image-anim.webp")),
            ],
            None,
            true,
        )
        .await;
    let v: serde_json::Value = serde_json::from_str(&up.body).unwrap();
    let [jpeg, png, webp, spin] = [0, 1, 2, 3].map(|i| v["results"][i]["url"].as_str().unwrap().to_owned());
    let page = ann.get(&jpeg).await;
    assert!(page.body.contains(&format!("action=\"{jpeg}/turn\"")), "{}", page.body);
    assert!(page.body.contains("aria-label=\"A quarter turn right\""));
    assert!(page.body.contains("not one pixel is re-encoded"), "{}", page.body);
    let png_page = ann.get(&png).await.body;
    assert!(png_page.contains(&format!("action=\"{png}/turn\"")), "{png_page}");
    assert!(png_page.contains("compresses them again without loss"), "{png_page}");
    let webp_page = ann.get(&webp).await.body;
    assert!(webp_page.contains(&format!("action=\"{webp}/turn\"")), "{webp_page}");
    assert!(webp_page.contains("a lossy one is compressed anew at quality 90"), "{webp_page}");
    assert!(!ann.get(&spin).await.body.contains("/turn\""), "an animation offers no turn");

    let done = ann.post(&jpeg, &format!("{jpeg}/turn"), &[("turn", "right")]).await;
    assert_eq!((done.status, done.location()), (303, jpeg.as_str()));
    let said = html_unescape(&ann.get(&jpeg).await.body);
    assert!(said.contains("quay.jpg turned right. The file as it was is listed under File"), "{said}");
    assert!(said.contains("Roll back to this"), "{said}");
    assert!(said.contains("· turned <time"), "the list says what set the file aside: {said}");

    // Staff may turn anyone's photo; nonsense and other formats are refused with a reason.
    assert_eq!(sam.post(&jpeg, &format!("{jpeg}/turn"), &[("turn", "left")]).await.status, 303);
    let odd = ann.post(&jpeg, &format!("{jpeg}/turn"), &[("turn", "sideways")]).await;
    assert_eq!(odd.status, 400);
    assert!(odd.body.contains("left, right, half or mirror"), "{}", odd.body);
    let spin_turn = ann.post(&spin, &format!("{spin}/turn"), &[("turn", "left")]).await;
    assert_eq!(spin_turn.status, 400);
    assert!(
        html_unescape(&spin_turn.body).contains("An animated PNG or WebP cannot be turned here"),
        "{}",
        spin_turn.body
    );
    let done = ann.post(&webp, &format!("{webp}/turn"), &[("turn", "left")]).await;
    assert_eq!((done.status, done.location()), (303, webp.as_str()));
    let done = ann.post(&png, &format!("{png}/turn"), &[("turn", "half")]).await;
    assert_eq!((done.status, done.location()), (303, png.as_str()));
    let (bob, _) = s.signed_in("bob", Role::User).await;
    assert_eq!(bob.post("/media", &format!("{jpeg}/turn"), &[("turn", "left")]).await.status, 404);
    let no_token = ann.post_raw(&format!("{jpeg}/turn"), &[("turn", "left")]).await;
    assert!(matches!(no_token.status, 400 | 403), "refused without the form's token: {}", no_token.status);
    let log = AuditFilter { action: Some(AuditAction::Turn), ..AuditFilter::default() };
    assert_eq!(turns_logged(&s.env).await.audit(None, &log, None, 50).await.unwrap().entries.len(), 4);
}

/// At 390 px the turn buttons fit without sideways scrolling; Enter on the focused "Right"
/// turns the photo, which the browser then shows taller than wide.
async fn browser_turns_a_photo_by_keyboard_at_390_px(env: TestEnv) {
    let backend = env.backend;
    let server = env.with_trash(30).start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let item = ann.upload_one("quay.jpg", fixture_bytes("image.jpg")).await;
    let base = server.base.clone();
    Browser::run(backend, &base, |b| async move {
        b.resize(390, 844).await;
        b.sign_in("ann").await;
        b.goto(&item).await;
        let (w, h) = b.preview_size().await;
        assert!(w > h, "the fixture is wider than tall: {w}×{h}");
        b.assert_fits("no sideways scrolling at 390 px").await;
        b.js("document.querySelector('form.turn button[value=right]').focus(); return 0;").await;
        b.press(&fantoccini::key::Key::Enter.to_string()).await;
        b.wait_for_flash("quay.jpg turned right").await;
        assert_eq!(b.preview_size().await, (h, w), "shown turned");
        b.assert_fits("no sideways scrolling at 390 px").await;
        b.screenshot("turn-390").await;
    })
    .await;
}

/// The gallery's Change selected… turns the JPEGs and the PNG of a selection, four at a time,
/// and names the animated WebP it leaves (not offered again); a whole view asks first, says what
/// it leaves alone, and stops at a cap (the pages pass `MAX_VIEW_TURN`, 300).
async fn a_selection_and_a_whole_view_turn_what_turns(env: TestEnv) {
    let s = env.with_trash(30).start_server().await;
    let (ann, ann_id) = s.signed_in("ann", Role::User).await;
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("a.jpg", fixture_bytes("image.jpg")),
        ("b.jpg", fixture_bytes("image-cmyk.jpg")),
        ("c.jpg", fixture_bytes("image-exif-rot6.jpg")),
        ("d.webp", fixture_bytes("image-anim.webp")),
        ("e.png", fixture_bytes("image.png")),
    ];
    assert!(ann.upload(&files, None, false).await.body.contains("5 accepted"));
    let listing = ann.get("/media?sort=name").await;
    assert!(listing.body.contains("<option value=\"turn-right\">Turn right</option>"));
    let picked: Vec<String> = listing.all("name=\"item\" value=\"");
    let ids: Vec<(MediaKind, i64)> = picked
        .iter()
        .map(|p| {
            let (kind, id) = p.split_once(':').unwrap();
            (kind.parse().unwrap(), id.parse().unwrap())
        })
        .collect();
    let ann_actor = Actor::user(ann_id);
    let orientations = async || {
        let mut all = Vec::new();
        for &item in &ids[..3] {
            all.push(exiftool_orientation(&s.env, &bytes_of(&s.env, &ann_actor, item).await));
        }
        all
    };
    assert_eq!(orientations().await, [1, 1, 6]);

    let mut fields: Vec<(&str, &str)> = picked.iter().map(|p| ("item", p.as_str())).collect();
    fields.extend([("action", "turn-right"), ("back", "/media?sort=name")]);
    let summary = html_unescape(&ann.post("/media", "/media/bulk/edit", &fields).await.body);
    assert!(summary.contains("4 items turned right; 1 not"), "{summary}");
    assert!(
        summary.contains("<strong>d.webp</strong> — an animated PNG or WebP does not turn here"),
        "{summary}"
    );
    assert!(!summary.contains("Try again"), "an animation is not offered again: {summary}");
    let png = s.env.media.get(&ann_actor, ids[4].0, ids[4].1).await.unwrap();
    assert_eq!(sides(&png), (48, 64), "the PNG turned too");
    assert_eq!(orientations().await, [6, 6, 3]);

    // The whole view, two a page: one question, the animation left alone, then each other mirrored.
    let ask = [("scope", "view"), ("back", "/media?sort=name&per=2"), ("action", "mirror")];
    let question = ann.post("/media", "/media/bulk/edit", &ask).await;
    let text = html_unescape(&question.body);
    assert!(text.contains("All 4 items you may change in this view will be mirrored."), "{text}");
    assert!(
        text.contains("Left alone: 1 item (sounds and animated PNGs or WebPs do not turn here)."),
        "{text}"
    );
    assert_eq!(orientations().await, [6, 6, 3], "nothing turned before the answer");
    let mut answer = ask.to_vec();
    answer.push(("confirmed", "yes"));
    let done = html_unescape(&ann.post("/media", "/media/bulk/edit", &answer).await.body);
    assert!(done.contains("4 items mirrored"), "{done}");
    assert_eq!(orientations().await, [5, 5, 4]);
    assert_eq!(s.env.media.versions(&ann_actor, ids[0]).await.unwrap().len(), 2);

    // A view of more photos than a turn reaches is refused before any question.
    let query = mediadesk::domain::GalleryQuery::new(mediadesk::domain::OwnerFilter::Visible(ann_id));
    let edit = mediadesk::media::BulkEdit::Turn(Turn::Left);
    let err = s.env.media.view_members(&ann_actor, &query, Some(&edit), 2).await.unwrap_err();
    assert!(
        matches!(&err, MediaError::Invalid(m) if m.contains("more than one turn reaches (2 photos")),
        "{err:?}"
    );
    assert!(s.env.media.reconcile(false, std::time::Duration::ZERO).await.unwrap().is_clean());
}

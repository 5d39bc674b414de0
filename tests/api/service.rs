//! The media service over both backends: every format, every refusal, the ownership rules.

use std::time::Duration;

use mediadesk::domain::{GalleryQuery, KindFilter, MediaKind, Owner, OwnerFilter};
use mediadesk::media::{Actor, MediaError, MediaRead, Upload};

use crate::common::*;

fn image_create(owner: Owner, name: &str, declared: Option<&str>) -> Upload {
    Upload { declared_type: declared.map(Into::into), ..Upload::new(owner, name) }
}

/// How many items of `kind` the actor's gallery of `owner` holds.
async fn listed(
    env: &TestEnv,
    actor: &Actor,
    owner: OwnerFilter,
    kind: KindFilter,
) -> Result<i64, MediaError> {
    Ok(env.media.gallery(actor, &GalleryQuery { kind, ..GalleryQuery::new(owner) }).await?.total)
}

async fn upload_fixture(
    env: &TestEnv,
    actor: &Actor,
    owner: Owner,
    name: &str,
) -> Result<MediaRead, MediaError> {
    env.media.upload(actor, image_create(owner, name, None), fixture_stream(name)).await
}

/// Asserts that an upload was refused and left nothing behind: no row, no object, no spool file.
async fn assert_refused_cleanly(env: &TestEnv, result: Result<MediaRead, MediaError>) -> MediaError {
    let err = result.expect_err("upload must be refused");
    assert_eq!(env.count_rows("images").await + env.count_rows("audios").await, 0, "no row after {err:?}");
    assert!(env.objects().await.is_empty(), "no object after {err:?}");
    assert_eq!(env.settled_spool().await, 0, "no spool file after {err:?}");
    err
}

fn audio(media: &MediaRead) -> &mediadesk::media::AudioRead {
    match media {
        MediaRead::Audio(a) => a,
        other => panic!("expected audio, got {other:?}"),
    }
}

fn image(media: &MediaRead) -> &mediadesk::media::ImageRead {
    match media {
        MediaRead::Image(i) => i,
        other => panic!("expected image, got {other:?}"),
    }
}

backend_tests!(
    every_image_format_is_stored_with_its_dimensions,
    every_audio_format_is_stored_with_its_metadata,
    vbr_mp3_without_xing_gets_its_exact_duration,
    the_waveform_shows_where_the_track_is_loud,
    the_type_comes_from_the_bytes_not_the_name,
    a_declared_type_that_contradicts_the_bytes_is_corrected,
    files_that_are_not_media_are_refused,
    the_wrong_kind_for_the_call_is_refused,
    truncated_files_are_refused,
    a_file_that_makes_a_decoder_panic_is_refused_as_damaged,
    pixel_flood_headers_are_refused_before_decoding,
    files_over_the_limit_are_refused_while_streaming,
    the_default_limit_is_100_mib,
    users_see_their_own_and_system_media_only,
    staff_upload_for_users_that_exist,
    listings_paginate_with_totals,
    signed_urls_are_issued_with_a_bounded_ttl,
    transcripts_can_be_set_changed_and_cleared_by_those_who_manage,
    delete_removes_row_and_object,
    thumbnails_follow_exif_orientation_and_show_the_first_frame,
    file_names_are_kept_for_display_only_and_tidied
);

async fn every_image_format_is_stored_with_its_dimensions(env: TestEnv) {
    let staff = Actor::staff(env.user("staff", "staff").await);
    for (name, mime, w, h) in [
        ("image.jpg", "image/jpeg", 64, 48),
        ("image-exif-rot6.jpg", "image/jpeg", 48, 64),
        ("image-cmyk.jpg", "image/jpeg", 40, 30),
        ("image.png", "image/png", 64, 48),
        ("image-gray16.png", "image/png", 32, 24),
        ("image-anim.gif", "image/gif", 32, 32),
        ("image.webp", "image/webp", 64, 48),
        ("image-lossless.webp", "image/webp", 64, 48),
    ] {
        let r =
            upload_fixture(&env, &staff, Owner::System, name).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        let i = image(&r);
        assert_eq!((i.content_type.as_str(), i.width, i.height), (mime, w, h), "{name}");
        assert_eq!(i.filename, name);
        assert_eq!(i.byte_size as usize, fixture_bytes(name).len());
        assert_eq!(i.sha256, sha256_hex(&fixture_bytes(name)));
        assert_eq!(i.owner_id, None);
        assert_eq!(i.uploader_id, staff.user_id);
    }
    let objects = env.objects().await;
    assert_eq!(objects.len(), 16, "each image and its thumbnail");
    assert!(objects.iter().all(|k| k.starts_with("system/")), "{objects:?}");
    // Thumbnails are bounded JPEGs of their own, oriented like the original is displayed.
    for key in objects.iter().filter(|k| k.ends_with(".thumb.jpg")) {
        let bytes = read_object(env.store.as_ref(), key).await;
        let thumb = image::load_from_memory(&bytes).expect("thumbnail decodes");
        assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]) && thumb.width() <= 320 && thumb.height() <= 320);
    }
    assert_eq!(env.settled_spool().await, 0);
}

async fn every_audio_format_is_stored_with_its_metadata(env: TestEnv) {
    let alice = env.user("alice", "user").await;
    let actor = Actor::user(alice);
    // name, mime, codec, rate, channels, expected ms, tolerance ms
    for (name, mime, codec, rate, ch, ms, tol) in [
        ("tone-cbr.mp3", "audio/mpeg", "mp3", 44_100, 2, 2000, 30),
        ("tone-vbr-noxing.mp3", "audio/mpeg", "mp3", 44_100, 2, 12_042, 12),
        ("tone-mono-8k.wav", "audio/wav", "pcm_s16le", 8_000, 1, 1000, 0),
        ("tone-192k.wav", "audio/wav", "pcm_s24le", 192_000, 2, 25, 0),
        ("tone.flac", "audio/flac", "flac", 48_000, 2, 2000, 0),
        ("tone-mono.flac", "audio/flac", "flac", 22_050, 1, 1000, 0),
        ("tone-aac.m4a", "audio/mp4", "aac", 44_100, 2, 2000, 50),
        ("tone-aac-moov-end.m4a", "audio/mp4", "aac", 44_100, 2, 2000, 50),
        ("tone-alac.m4a", "audio/mp4", "alac", 44_100, 2, 1000, 0),
    ] {
        let r = upload_fixture(&env, &actor, Owner::User(alice), name)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let a = audio(&r);
        assert_eq!((a.content_type.as_str(), a.sample_rate, a.channels), (mime, rate, ch), "{name}");
        assert!(a.codec.starts_with(codec), "{name}: codec {}", a.codec);
        assert!((a.duration_ms - ms).abs() <= tol, "{name}: {} ms, expected {ms} ± {tol}", a.duration_ms);
        let expected_bitrate = fixture_bytes(name).len() as f64 * 8.0 / (a.duration_ms as f64 / 1000.0);
        assert!(
            (a.bitrate as f64 - expected_bitrate).abs() / expected_bitrate < 0.01,
            "{name}: bitrate {}",
            a.bitrate
        );
        assert_eq!(a.owner_id, Some(alice));
        let peaks = a.peaks.as_deref().unwrap_or_else(|| panic!("{name}: no waveform"));
        assert_eq!(peaks.len(), 2 * mediadesk::media::file::waveform::BINS, "{name}");
        assert!(peaks.iter().any(|b| *b != 0), "{name}: a tone is not silence");
    }
    assert!(env.objects().await.iter().all(|k| k.starts_with(&format!("u{alice}/"))));
}

async fn vbr_mp3_without_xing_gets_its_exact_duration(env: TestEnv) {
    // ffprobe estimates 15.43 s for this file; the decoded length is 531072 samples.
    let staff = Actor::operator();
    let r = upload_fixture(&env, &staff, Owner::System, "tone-vbr-noxing.mp3").await.unwrap();
    let exact = 531_072.0 * 1000.0 / 44_100.0;
    let got = audio(&r).duration_ms as f64;
    assert!((got - exact).abs() / exact < 0.001, "{got} ms vs {exact} ms");
}

async fn the_waveform_shows_where_the_track_is_loud(env: TestEnv) {
    // 10 s near silence, then 2 s of loud noise: the last sixth of the picture is tall.
    let r = upload_fixture(&env, &Actor::operator(), Owner::System, "tone-vbr-noxing.mp3").await.unwrap();
    let peaks = audio(&r).peaks.clone().unwrap();
    let pairs = mediadesk::media::file::waveform::pairs(&peaks, 12);
    assert!(pairs[..9].iter().all(|(lo, hi)| hi - lo < 0.1), "quiet part: {pairs:?}");
    assert!(pairs[11].1 - pairs[11].0 > 0.8, "loud end kept (no early trim): {pairs:?}");
}

async fn the_type_comes_from_the_bytes_not_the_name(env: TestEnv) {
    let staff = Actor::operator();
    let bytes = fixture_bytes("image.png");
    let r = env
        .media
        .upload(&staff, image_create(Owner::System, "holiday.mp3", None), bytes_stream(bytes))
        .await
        .unwrap();
    assert_eq!(image(&r).content_type, "image/png");
    let key = env.objects().await.remove(0);
    assert!(key.ends_with(".png") && !key.contains("holiday"), "{key}");
    // A generic declared type is no claim at all.
    let r = env
        .media
        .upload(
            &staff,
            image_create(Owner::System, "x", Some("application/octet-stream")),
            fixture_stream("image.jpg"),
        )
        .await;
    assert!(r.is_ok());
}

async fn a_declared_type_that_contradicts_the_bytes_is_corrected(env: TestEnv) {
    let staff = Actor::operator();
    // Bytes that are no accepted type are refused whatever is declared.
    let r = env
        .media
        .upload(
            &staff,
            image_create(Owner::System, "a.png", Some("image/png")),
            fixture_stream("not-an-image.jpg"),
        )
        .await;
    assert!(matches!(assert_refused_cleanly(&env, r).await, MediaError::UnsupportedType(_)));
    // The bytes decide within the accepted types: a JPEG declared as PNG (a browser's guess from
    // a `.png` name) or as HTML is recorded as the JPEG it is.
    for declared in ["image/png", "text/html", "audio/mp3"] {
        let r = env
            .media
            .upload(&staff, image_create(Owner::System, "a.png", Some(declared)), fixture_stream("image.jpg"))
            .await
            .unwrap();
        assert_eq!(image(&r).content_type, "image/jpeg", "declared {declared}");
    }
}

async fn files_that_are_not_media_are_refused(env: TestEnv) {
    let staff = Actor::operator();
    for name in ["not-an-image.jpg", "elf-renamed.png"] {
        let err = assert_refused_cleanly(&env, upload_fixture(&env, &staff, Owner::System, name).await).await;
        assert!(
            matches!(&err, MediaError::UnsupportedType(m) if m.contains("not an accepted type")),
            "{name}: {err}"
        );
    }
    let err = assert_refused_cleanly(
        &env,
        env.media.upload(&staff, image_create(Owner::System, "e.png", None), bytes_stream(vec![])).await,
    )
    .await;
    assert!(matches!(&err, MediaError::Empty(m) if m.contains("empty")), "{err}");
}

async fn the_wrong_kind_for_the_call_is_refused(env: TestEnv) {
    let staff = Actor::operator();
    let upload = Upload { expected_kind: Some(MediaKind::Image), ..Upload::new(Owner::System, "a.mp3") };
    let r = env.media.upload(&staff, upload, fixture_stream("tone-cbr.mp3")).await;
    let err = assert_refused_cleanly(&env, r).await;
    assert!(matches!(&err, MediaError::UnsupportedType(m) if m.contains("expected an image")), "{err}");
    let upload = Upload { expected_kind: Some(MediaKind::Audio), ..Upload::new(Owner::System, "a.png") };
    let r = env.media.upload(&staff, upload, fixture_stream("image.png")).await;
    assert!(matches!(assert_refused_cleanly(&env, r).await, MediaError::UnsupportedType(_)));
}

async fn truncated_files_are_refused(env: TestEnv) {
    let staff = Actor::operator();
    for (name, keep) in [
        ("image.jpg", 0.6),
        ("image.png", 0.5),
        ("tone.flac", 0.5),
        ("tone-aac.m4a", 0.5),
        ("image.webp", 0.5),
        ("tone-alac.m4a", 0.6),
    ] {
        let mut bytes = fixture_bytes(name);
        bytes.truncate((bytes.len() as f64 * keep) as usize);
        let r = env.media.upload(&staff, image_create(Owner::System, name, None), bytes_stream(bytes)).await;
        let err = assert_refused_cleanly(&env, r).await;
        assert!(matches!(err, MediaError::Corrupt(_)), "{name}: {err:?}");
    }
}

async fn a_file_that_makes_a_decoder_panic_is_refused_as_damaged(env: TestEnv) {
    // Found by fuzz/probe_audio: symphonia's MP4 reader overflows on its timing table.
    let staff = Actor::operator();
    let name = "fuzz-m4a-stts-overflow.m4a";
    let err = assert_refused_cleanly(&env, upload_fixture(&env, &staff, Owner::System, name).await).await;
    assert!(matches!(&err, MediaError::Corrupt(m) if m.contains("could not be read")), "{err:?}");
    // The one-file path the `probe` and `waveform` commands take gives the same answer.
    let path = fixture(name);
    use mediadesk::media::file::probe_audio::Wanted;
    let err = mediadesk::media::file::probe_audio::analyse_audio(
        &path,
        mediadesk::media::file::MediaType::M4a,
        0,
        Wanted::ALL,
    )
    .unwrap_err();
    assert!(matches!(err, mediadesk::media::file::FileError::Corrupt(_)), "{err:?}");
}

async fn pixel_flood_headers_are_refused_before_decoding(env: TestEnv) {
    let staff = Actor::operator();
    for name in ["pixel-flood.png", "pixel-flood.gif", "pixel-flood.jpg", "pixel-flood.webp"] {
        let err = assert_refused_cleanly(&env, upload_fixture(&env, &staff, Owner::System, name).await).await;
        assert!(matches!(&err, MediaError::Limits(m) if m.contains("pixels")), "{name}: {err:?}");
    }
}

async fn files_over_the_limit_are_refused_while_streaming(env: TestEnv) {
    let mut settings = env.settings();
    settings.max_upload_bytes = 1000;
    let media = env.media_with(env.store.clone(), settings);
    let staff = Actor::operator();
    // 1001 bytes: one over.
    let mut over = fixture_bytes("image.png");
    over.truncate(1001);
    let err = assert_refused_cleanly(
        &env,
        media.upload(&staff, image_create(Owner::System, "a.png", None), bytes_stream(over)).await,
    )
    .await;
    assert!(matches!(&err, MediaError::TooLarge(m) if m.contains("1000 bytes")), "{err}");
    // A "body" of 50 GiB is refused after reading just past the limit, never buffered.
    let r = media
        .upload(&staff, image_create(Owner::System, "huge.png", None), generated_stream(50 << 30, 0))
        .await;
    assert!(matches!(assert_refused_cleanly(&env, r).await, MediaError::TooLarge(_)));
    // Exactly at the limit is fine.
    let small = fixture_bytes("image.jpg");
    let mut s = env.settings();
    s.max_upload_bytes = small.len() as u64;
    assert!(
        env.media_with(env.store.clone(), s)
            .upload(&staff, image_create(Owner::System, "a.jpg", None), bytes_stream(small))
            .await
            .is_ok()
    );
}

async fn the_default_limit_is_100_mib(env: TestEnv) {
    assert_eq!(env.media.settings().max_upload_bytes, 100 * 1024 * 1024);
}

async fn users_see_their_own_and_system_media_only(env: TestEnv) {
    let alice = env.user("alice", "user").await;
    let bob = env.user("bob", "user").await;
    let (a, b) = (Actor::user(alice), Actor::user(bob));
    let staff = Actor::staff(env.user("sam", "staff").await);
    let mine = upload_fixture(&env, &a, Owner::User(alice), "image.png").await.unwrap().id();
    let sys = upload_fixture(&env, &staff, Owner::System, "image.jpg").await.unwrap().id();

    // Bob: Alice's item does not exist for him, in every operation.
    assert!(matches!(env.media.get(&b, MediaKind::Image, mine).await, Err(MediaError::NotFound)));
    assert!(matches!(
        env.media.signed_url(&b, MediaKind::Image, mine, None, false).await,
        Err(MediaError::NotFound)
    ));
    assert!(matches!(env.media.delete(&b, MediaKind::Image, mine).await, Err(MediaError::NotFound)));
    assert!(matches!(
        listed(&env, &b, OwnerFilter::User(alice), KindFilter::Image).await,
        Err(MediaError::Forbidden)
    ));
    assert!(matches!(
        listed(&env, &b, OwnerFilter::Any, KindFilter::Image).await,
        Err(MediaError::Forbidden)
    ));
    // System media: everyone sees it, only staff may change it.
    assert!(env.media.get(&b, MediaKind::Image, sys).await.is_ok());
    assert!(env.media.signed_url(&b, MediaKind::Image, sys, None, false).await.is_ok());
    assert!(matches!(env.media.delete(&b, MediaKind::Image, sys).await, Err(MediaError::Forbidden)));
    assert_eq!(listed(&env, &b, OwnerFilter::System, KindFilter::Image).await.unwrap(), 1);
    // Users upload only for themselves.
    assert!(matches!(
        upload_fixture(&env, &b, Owner::User(alice), "image.png").await,
        Err(MediaError::Forbidden)
    ));
    assert!(matches!(upload_fixture(&env, &b, Owner::System, "image.png").await, Err(MediaError::Forbidden)));
    // Alice and staff see and manage Alice's item.
    assert!(env.media.get(&a, MediaKind::Image, mine).await.is_ok());
    assert_eq!(listed(&env, &a, OwnerFilter::User(alice), KindFilter::Image).await.unwrap(), 1);
    assert_eq!(listed(&env, &staff, OwnerFilter::Any, KindFilter::Image).await.unwrap(), 2);
    env.media.delete(&staff, MediaKind::Image, sys).await.unwrap();
    env.media.delete(&a, MediaKind::Image, mine).await.unwrap();
    assert!(env.objects().await.is_empty());
}

async fn staff_upload_for_users_that_exist(env: TestEnv) {
    let staff = Actor::staff(env.user("sam", "staff").await);
    let alice = env.user("alice", "user").await;
    let r = upload_fixture(&env, &staff, Owner::User(alice), "image-anim.gif").await.unwrap();
    assert_eq!(image(&r).owner_id, Some(alice));
    let err =
        assert_refused_any(&env, upload_fixture(&env, &staff, Owner::User(9999), "image-anim.gif").await)
            .await;
    assert!(matches!(&err, MediaError::Invalid(m) if m.contains("owner")), "{err}");
}

async fn listings_paginate_with_totals(env: TestEnv) {
    let alice = env.user("alice", "user").await;
    let a = Actor::user(alice);
    for _ in 0..5 {
        upload_fixture(&env, &a, Owner::User(alice), "tone-mono-8k.wav").await.unwrap();
    }
    let query =
        GalleryQuery { kind: KindFilter::Audio, per_page: 2, ..GalleryQuery::new(OwnerFilter::User(alice)) };
    let first = env.media.gallery(&a, &query).await.unwrap();
    assert_eq!((first.items.len(), first.total, first.prev_cursor.is_some()), (2, 5, false));
    let second = GalleryQuery { cursor: first.next_cursor.clone(), ..query.clone() };
    let second = env.media.gallery(&a, &second).await.unwrap();
    assert_eq!(
        (second.items.len(), second.prev_cursor.is_some(), second.next_cursor.is_some()),
        (2, true, true)
    );
    let third = GalleryQuery { cursor: second.next_cursor.clone(), ..query.clone() };
    let third = env.media.gallery(&a, &third).await.unwrap();
    assert_eq!((third.items.len(), third.next_cursor), (1, None));
    let clamped = GalleryQuery { per_page: 100_000, ..query.clone() };
    assert_eq!(env.media.gallery(&a, &clamped).await.unwrap().items.len(), 5);
}

async fn signed_urls_are_issued_with_a_bounded_ttl(env: TestEnv) {
    let staff = Actor::operator();
    let r = env
        .media
        .upload(&staff, Upload::new(Owner::System, "a.png"), fixture_stream("image.png"))
        .await
        .unwrap();
    let now = chrono::Utc::now().naive_utc();
    let s = env
        .media
        .signed_url(&staff, MediaKind::Image, r.id(), Some(Duration::from_secs(300)), false)
        .await
        .unwrap();
    assert!((s.expires_at - now).num_seconds().abs_diff(300) <= 2);
    let capped = env
        .media
        .signed_url(&staff, MediaKind::Image, r.id(), Some(Duration::from_secs(30 * 86_400)), true)
        .await
        .unwrap();
    assert!((capped.expires_at - now).num_days() <= 7);
    assert!(matches!(
        env.media.signed_url(&staff, MediaKind::Audio, r.id(), None, false).await,
        Err(MediaError::NotFound)
    ));
}

async fn transcripts_can_be_set_changed_and_cleared_by_those_who_manage(env: TestEnv) {
    let alice = env.user("alice", "user").await;
    let bob = env.user("bob", "user").await;
    let upload = Upload { transcript: Some("first".into()), ..Upload::new(Owner::User(alice), "a.flac") };
    let r = env.media.upload(&Actor::user(alice), upload, fixture_stream("tone.flac")).await.unwrap();
    let id = r.id();
    assert_eq!(audio(&r).transcript.as_deref(), Some("first"));
    let a = env.media.update_transcript(&Actor::user(alice), id, "  second  ", None).await.unwrap();
    assert_eq!(a.transcript.as_deref(), Some("second"));
    assert!(matches!(
        env.media.update_transcript(&Actor::user(bob), id, "mine now", None).await,
        Err(MediaError::NotFound)
    ));
    let too_long = "x".repeat(mediadesk::media::MAX_TRANSCRIPT_CHARS + 1);
    assert!(matches!(
        env.media.update_transcript(&Actor::user(alice), id, &too_long, None).await,
        Err(MediaError::Invalid(_))
    ));
    let cleared = env.media.update_transcript(&Actor::user(alice), id, "", None).await.unwrap();
    assert_eq!(cleared.transcript, None);
}

async fn delete_removes_row_and_object(env: TestEnv) {
    let alice = env.user("alice", "user").await;
    let a = Actor::user(alice);
    let img = upload_fixture(&env, &a, Owner::User(alice), "image.webp").await.unwrap().id();
    let aud = upload_fixture(&env, &a, Owner::User(alice), "tone-cbr.mp3").await.unwrap().id();
    assert_eq!(env.objects().await.len(), 3, "image, thumbnail, audio");
    env.media.delete(&a, MediaKind::Image, img).await.unwrap();
    env.media.delete(&a, MediaKind::Audio, aud).await.unwrap();
    assert!(env.objects().await.is_empty());
    assert!(matches!(env.media.get(&a, MediaKind::Image, img).await, Err(MediaError::NotFound)));
    assert!(matches!(
        env.media.signed_url(&a, MediaKind::Audio, aud, None, false).await,
        Err(MediaError::NotFound)
    ));
    assert!(matches!(env.media.delete(&a, MediaKind::Audio, aud).await, Err(MediaError::NotFound)));
    assert!(env.media.pending_deletions().await.unwrap().is_empty());
}

async fn thumbnails_follow_exif_orientation_and_show_the_first_frame(env: TestEnv) {
    let staff = Actor::operator();
    let r = upload_fixture(&env, &staff, Owner::System, "image-exif-rot6.jpg").await.unwrap();
    assert_eq!((image(&r).width, image(&r).height), (48, 64));
    let thumb_key = env.objects().await.into_iter().find(|k| k.ends_with(".thumb.jpg")).unwrap();
    let thumb = image::load_from_memory(&read_object(env.store.as_ref(), &thumb_key).await).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (48, 64), "rotated like the original is shown");
    let gif = upload_fixture(&env, &staff, Owner::System, "image-anim.gif").await.unwrap();
    let gif_thumb = env
        .objects()
        .await
        .into_iter()
        .filter(|k| k.ends_with(".thumb.jpg"))
        .find(|k| k != &thumb_key)
        .unwrap();
    let frame =
        image::load_from_memory(&read_object(env.store.as_ref(), &gif_thumb).await).unwrap().to_rgb8();
    let p = frame.get_pixel(16, 16).0;
    assert!(p[0] > 200 && p[1] < 60 && p[2] < 60, "the first frame is red, got {p:?} for {:?}", gif.id());
}

async fn file_names_are_kept_for_display_only_and_tidied(env: TestEnv) {
    let staff = Actor::operator();
    let r = env
        .media
        .upload(
            &staff,
            image_create(Owner::System, "../../etc/\u{202E}gnp.evil.png", None),
            fixture_stream("image.png"),
        )
        .await
        .unwrap();
    assert_eq!(r.filename(), "../../etc/gnp.evil.png", "only the bidi override goes");
    let name = "C:\\Users\\ann\\My Pictures\\rock\\roll.png";
    let r = env.media.upload(&staff, image_create(Owner::System, name, None), fixture_stream("image.png"));
    assert_eq!(r.await.unwrap().filename(), "roll.png", "a full Windows path is cut to its file name");
    assert!(!env.objects().await[0].contains("evil"));
}

async fn assert_refused_any(env: &TestEnv, result: Result<MediaRead, MediaError>) -> MediaError {
    let err = result.expect_err("refused");
    assert_eq!(env.settled_spool().await, 0);
    err
}

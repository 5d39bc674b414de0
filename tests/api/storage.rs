//! The object-store contract, held by both the local folder and S3.

use futures_util::StreamExt;
use mediadesk::storage::{ByteRange, SignedUrlOptions, StorageError, StorageKey};

use crate::common::*;

fn key(s: &str) -> StorageKey {
    StorageKey::parse(s).expect("valid key")
}

async fn read_range(
    env: &TestEnv,
    k: &str,
    range: ByteRange,
) -> Result<(Vec<u8>, Option<(u64, u64)>, u64), StorageError> {
    let mut got = env.store.get(&key(k), Some(range)).await?;
    let mut out = Vec::new();
    while let Some(c) = got.body.next().await {
        out.extend_from_slice(&c.expect("chunk"));
    }
    assert_eq!(out.len() as u64, got.content_length, "content_length matches the body");
    Ok((out, got.range, got.total_size))
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

backend_tests!(
    put_file_and_read_back,
    byte_ranges_are_served_exactly,
    missing_objects_are_reported_not_found,
    delete_removes_the_object,
    list_filters_by_prefix_in_key_order,
    large_stream_goes_up_in_parts_and_comes_back_whole,
    large_file_goes_up_in_parts_and_comes_back_whole,
    put_replaces_an_existing_object,
    signed_urls_carry_an_expiry_and_signature,
    store_is_reachable
);

async fn put_file_and_read_back(env: TestEnv) {
    let path = fixture("image.png");
    env.store.put_file(&key("u1/a.png"), &path, "image/png").await.unwrap();
    assert_eq!(read_object(env.store.as_ref(), "u1/a.png").await, fixture_bytes("image.png"));
    let meta = env.store.head(&key("u1/a.png")).await.unwrap().expect("exists");
    assert_eq!(meta.size, fixture_bytes("image.png").len() as u64);
}

async fn byte_ranges_are_served_exactly(env: TestEnv) {
    let data = pattern(1000);
    env.store
        .put_stream(&key("system/r.bin"), bytes_stream(data.clone()), "application/octet-stream")
        .await
        .unwrap();
    let (body, range, total) = read_range(&env, "system/r.bin", ByteRange::FromTo(100, 199)).await.unwrap();
    assert_eq!((body.as_slice(), range, total), (&data[100..200], Some((100, 199)), 1000));
    let (body, range, _) = read_range(&env, "system/r.bin", ByteRange::From(990)).await.unwrap();
    assert_eq!((body.as_slice(), range), (&data[990..], Some((990, 999))));
    let (body, range, _) = read_range(&env, "system/r.bin", ByteRange::Suffix(10)).await.unwrap();
    assert_eq!((body.as_slice(), range), (&data[990..], Some((990, 999))));
    let (body, _, _) = read_range(&env, "system/r.bin", ByteRange::FromTo(995, 5000)).await.unwrap();
    assert_eq!(body.as_slice(), &data[995..]);
    let past_end = read_range(&env, "system/r.bin", ByteRange::From(1000)).await;
    assert!(matches!(past_end, Err(StorageError::InvalidRange)), "got {:?}", past_end.err());
}

async fn missing_objects_are_reported_not_found(env: TestEnv) {
    assert!(env.store.head(&key("u1/none.png")).await.unwrap().is_none());
    assert!(matches!(env.store.get(&key("u1/none.png"), None).await, Err(StorageError::NotFound)));
    // Deleting what is not there succeeds: deletes are retried and must be idempotent.
    env.store.delete(&key("u1/none.png")).await.unwrap();
}

async fn delete_removes_the_object(env: TestEnv) {
    env.store
        .put_stream(&key("u2/x.bin"), bytes_stream(vec![1, 2, 3]), "application/octet-stream")
        .await
        .unwrap();
    env.store.delete(&key("u2/x.bin")).await.unwrap();
    assert!(env.store.head(&key("u2/x.bin")).await.unwrap().is_none());
    assert!(env.objects().await.is_empty());
}

async fn list_filters_by_prefix_in_key_order(env: TestEnv) {
    for k in ["u1/b.bin", "u1/a.bin", "u2/c.bin", "system/d.bin"] {
        env.store
            .put_stream(&key(k), bytes_stream(k.as_bytes().to_vec()), "application/octet-stream")
            .await
            .unwrap();
    }
    let u1: Vec<_> = env.store.list("u1/").await.unwrap().into_iter().map(|o| (o.key, o.size)).collect();
    assert_eq!(u1, vec![("u1/a.bin".to_owned(), 8), ("u1/b.bin".to_owned(), 8)]);
    assert_eq!(env.store.list("").await.unwrap().len(), 4);
    assert!(env.store.list("u9/").await.unwrap().is_empty());
}

async fn large_stream_goes_up_in_parts_and_comes_back_whole(env: TestEnv) {
    // 20 MiB + 3 bytes: three multipart parts on S3, a temp file + rename locally.
    let len = 20 * 1024 * 1024 + 3;
    let written = env
        .store
        .put_stream(&key("u1/big.bin"), generated_stream(len, 0xAB), "application/octet-stream")
        .await
        .unwrap();
    assert_eq!(written, len);
    let back = read_object(env.store.as_ref(), "u1/big.bin").await;
    assert_eq!(back.len() as u64, len);
    assert!(back.iter().all(|b| *b == 0xAB));
}

async fn large_file_goes_up_in_parts_and_comes_back_whole(env: TestEnv) {
    let data = pattern(17 * 1024 * 1024 + 11);
    let path = env.dir.path().join("big.bin");
    std::fs::write(&path, &data).unwrap();
    env.store.put_file(&key("u3/big.bin"), &path, "application/octet-stream").await.unwrap();
    let back = read_object(env.store.as_ref(), "u3/big.bin").await;
    assert_eq!(sha256_hex(&back), sha256_hex(&data));
    let (tail, _, total) = read_range(&env, "u3/big.bin", ByteRange::Suffix(5)).await.unwrap();
    assert_eq!((tail.as_slice(), total), (&data[data.len() - 5..], data.len() as u64));
}

async fn put_replaces_an_existing_object(env: TestEnv) {
    env.store
        .put_stream(&key("u1/r.bin"), bytes_stream(vec![1; 10]), "application/octet-stream")
        .await
        .unwrap();
    env.store
        .put_stream(&key("u1/r.bin"), bytes_stream(vec![2; 4]), "application/octet-stream")
        .await
        .unwrap();
    assert_eq!(read_object(env.store.as_ref(), "u1/r.bin").await, vec![2; 4]);
}

async fn signed_urls_carry_an_expiry_and_signature(env: TestEnv) {
    env.store
        .put_stream(&key("u1/s.bin"), bytes_stream(vec![9; 10]), "application/octet-stream")
        .await
        .unwrap();
    let opts = SignedUrlOptions {
        ttl: std::time::Duration::from_secs(300),
        content_type: Some("audio/mpeg".into()),
        download_name: None,
        issued_at: None,
    };
    let url = env.store.signed_url(&key("u1/s.bin"), &opts).await.unwrap();
    if env.s3.is_some() {
        assert!(url.contains("X-Amz-Signature=") && url.contains("X-Amz-Expires=300"), "{url}");
    } else {
        assert!(url.starts_with("/files/u1/s.bin?exp=") && url.contains("&sig="), "{url}");
    }
}

async fn store_is_reachable(env: TestEnv) {
    env.store.ping().await.unwrap();
}

#[tokio::test]
async fn local_store_keeps_nothing_outside_its_root_and_no_temp_files() {
    use mediadesk::storage::{LocalStore, ObjectStore, UrlSigner};
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path().join("objects"), UrlSigner::new(TEST_SIGNING_KEY, "/files"))
        .await
        .unwrap();
    store.put_stream(&key("u1/a.bin"), bytes_stream(vec![1; 100]), "x").await.unwrap();
    // A failing body leaves no object and no temp file behind.
    let failing: mediadesk::storage::ByteStream = Box::pin(futures_util::stream::iter(vec![
        Ok(bytes::Bytes::from_static(b"partial")),
        Err(std::io::Error::other("client went away")),
    ]));
    assert!(store.put_stream(&key("u1/b.bin"), failing, "x").await.is_err());
    assert!(store.head(&key("u1/b.bin")).await.unwrap().is_none());
    assert_eq!(std::fs::read_dir(dir.path().join("objects/.tmp")).unwrap().count(), 0);
    let keys: Vec<_> = store.list("").await.unwrap().into_iter().map(|o| o.key).collect();
    assert_eq!(keys, vec!["u1/a.bin"]);
    // Nothing was written next to the root.
    let top: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(top, vec![std::ffi::OsString::from("objects")]);
}

#[test]
fn keys_that_could_escape_a_folder_are_refused() {
    for bad in
        ["../etc/passwd", "/abs", "a//b", "a/../b", ".hidden", "a/.b", "a\\b", "ü/x", "a b", "", "a/", "./a"]
    {
        assert!(StorageKey::parse(bad).is_err(), "{bad:?} must be refused");
    }
    for good in ["u1/abc.jpg", "system/0f.mp3", "u12/x.thumb.webp"] {
        assert!(StorageKey::parse(good).is_ok(), "{good:?} must be accepted");
    }
}

#[test]
fn generated_keys_name_the_owner_never_the_file() {
    let user = StorageKey::generate(Some(42), "jpg");
    let system = StorageKey::generate(None, "mp3");
    assert!(user.as_str().starts_with("u42/") && user.as_str().ends_with(".jpg"));
    assert!(system.as_str().starts_with("system/") && system.as_str().ends_with(".mp3"));
    assert_ne!(StorageKey::generate(Some(1), "png"), StorageKey::generate(Some(1), "png"));
    assert_eq!(user.derived("thumb.webp").as_str(), user.as_str().replace(".jpg", ".thumb.webp"));
    assert!(StorageKey::parse(user.as_str()).is_ok());
}

/// However a picture went into the bucket (one PUT, parts, a server-side copy), a signed link to
/// it comes back with advice that lets the browser that fetched it keep it, and no shared cache;
/// a sound comes back without (a trashed clip's old link must stop playing in that browser too).
#[tokio::test]
async fn s3_pictures_come_back_with_private_caching_advice_however_they_went_in() {
    let env = TestEnv::postgres_s3().await;
    let small = env.dir.path().join("small.bin");
    std::fs::write(&small, pattern(1000)).unwrap();
    env.store.put_file(&key("u1/one-put.bin"), &small, "image/png").await.unwrap();
    let big = env.dir.path().join("big.bin");
    std::fs::write(&big, pattern(9 * 1024 * 1024)).unwrap();
    env.store.put_file(&key("u1/parts.bin"), &big, "image/png").await.unwrap();
    env.store.put_stream(&key("u1/stream.bin"), bytes_stream(pattern(1000)), "image/png").await.unwrap();
    let long = generated_stream(9 * 1024 * 1024, 7);
    env.store.put_stream(&key("u1/stream-parts.bin"), long, "image/png").await.unwrap();
    env.store.copy(&key("u1/one-put.bin"), &key("trash/u1/copied.bin")).await.unwrap();
    let options = SignedUrlOptions {
        ttl: std::time::Duration::from_secs(300),
        content_type: Some("image/png".into()),
        download_name: None,
        issued_at: None,
    };
    env.store.put_file(&key("u1/clip.flac"), &small, "audio/flac").await.unwrap();
    env.store
        .put_stream(&key("u1/clip-parts.flac"), generated_stream(9 << 20, 3), "audio/flac")
        .await
        .unwrap();
    let advice = async |k: &str| {
        let url = env.store.signed_url(&key(k), &options).await.unwrap();
        let resp = reqwest::get(&url).await.unwrap();
        assert_eq!(resp.status(), 200, "{k}");
        resp.headers().get("cache-control").map(|v| v.to_str().unwrap().to_owned())
    };
    for k in ["u1/one-put.bin", "u1/parts.bin", "u1/stream.bin", "u1/stream-parts.bin", "trash/u1/copied.bin"]
    {
        assert_eq!(advice(k).await.as_deref(), Some("private, max-age=3600"), "{k}");
    }
    for k in ["u1/clip.flac", "u1/clip-parts.flac"] {
        assert_eq!(advice(k).await, None, "{k}");
    }
}

/// The bucket reached as an older Mediadesk reached it: the SDK alone, objects put with a type
/// and metadata of their own and no caching advice.
fn raw_bucket(env: &TestEnv) -> (aws_sdk_s3::Client, String) {
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region, RequestChecksumCalculation};
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let (target, bucket) = env.s3.as_ref().expect("an S3 test");
    let http = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring));
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(&target.access_key, &target.secret_key, None, None, "test"))
        .endpoint_url(&target.endpoint)
        .force_path_style(true)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .http_client(http.build_https())
        .build();
    (aws_sdk_s3::Client::from_conf(config), bucket.clone())
}

#[tokio::test]
async fn backfill_gives_older_s3_pictures_their_caching_advice() {
    let env = TestEnv::postgres_s3().await;
    let (s3, bucket) = raw_bucket(&env);
    let photo = fixture_bytes("image.jpg");
    let older = [
        ("u1/old.jpg", "image/jpeg", photo.clone()),
        ("trash/u1/old-thumb.jpg", "image/jpeg", photo[..500].to_vec()),
        ("u1/old.flac", "audio/flac", pattern(1000)),
    ];
    for (k, content_type, body) in &older {
        let put = s3.put_object().bucket(&bucket).key(*k).content_type(*content_type);
        put.metadata("kept", "yes").body(body.clone().into()).send().await.unwrap();
    }
    let small = env.dir.path().join("small.png");
    std::fs::write(&small, pattern(1000)).unwrap();
    env.store.put_file(&key("u1/new.png"), &small, "image/png").await.unwrap();
    let head = async |k: &str| s3.head_object().bucket(&bucket).key(k).send().await.unwrap();
    assert_eq!(head("u1/old.jpg").await.cache_control(), None, "written as an older version wrote it");

    let done = env.media.backfill().await.unwrap();
    assert_eq!(done.advised, 2, "the two older pictures, not the sound, not the new picture");
    assert!(done.failed.is_empty(), "{:?}", done.failed);
    for (k, content_type, body) in &older {
        let h = head(k).await;
        let want = content_type.starts_with("image/").then_some("private, max-age=3600");
        assert_eq!(h.cache_control(), want, "{k}");
        assert_eq!(h.content_type(), Some(*content_type), "{k}: its type is kept");
        assert_eq!(h.metadata().and_then(|m| m.get("kept")).map(String::as_str), Some("yes"), "{k}");
        let (bytes, _, _) = read_range(&env, k, ByteRange::From(0)).await.unwrap();
        assert_eq!(&bytes, body, "{k}: its bytes are kept");
    }
    assert_eq!(env.media.backfill().await.unwrap().advised, 0, "a second run changes nothing");

    // The store down: the backfill says so and may be run again.
    let (store, switch) = env.faulty_store().await;
    switch.down();
    let faulty = env.media_with(store, env.media.settings().clone());
    assert!(faulty.backfill().await.is_err());
}

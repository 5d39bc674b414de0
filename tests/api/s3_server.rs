//! Proof that the S3 server used in tests really checks what production S3 checks, so the
//! PostgreSQL + S3 suite means something: signatures, presigned expiry, ranges.

use std::time::Duration;

use mediadesk::storage::{ObjectStore, S3Store, SignedUrlOptions, StorageError, StorageKey};

use crate::common::*;

async fn store_with_object() -> (S3Store, S3Target, StorageKey) {
    let target = S3Target::from_env();
    let bucket = format!("mdtest-{}", uuid::Uuid::new_v4().simple());
    let store = S3Store::new(&target.settings(&target.endpoint, &bucket));
    store.ensure_bucket().await.unwrap();
    let key = StorageKey::parse("u1/clip.mp3").unwrap();
    store.put_file(&key, &fixture("tone-cbr.mp3"), "audio/mpeg").await.unwrap();
    (store, target, key)
}

fn opts(ttl: u64) -> SignedUrlOptions {
    SignedUrlOptions {
        ttl: Duration::from_secs(ttl),
        content_type: Some("audio/mpeg".into()),
        download_name: None,
        issued_at: None,
    }
}

#[tokio::test]
async fn presigned_get_works_with_ranges() {
    let (store, _, key) = store_with_object().await;
    let url = store.signed_url(&key, &opts(300)).await.unwrap();
    let client = reqwest::Client::new();
    let full = client.get(&url).send().await.unwrap();
    assert_eq!(full.status(), 200);
    assert_eq!(full.headers()["content-type"], "audio/mpeg");
    assert_eq!(full.bytes().await.unwrap().as_ref(), fixture_bytes("tone-cbr.mp3").as_slice());
    let part = client.get(&url).header("Range", "bytes=100-199").send().await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap().as_ref(), &fixture_bytes("tone-cbr.mp3")[100..200]);
}

#[tokio::test]
async fn tampered_presigned_urls_are_refused() {
    let (store, _, key) = store_with_object().await;
    let url = store.signed_url(&key, &opts(300)).await.unwrap();
    let client = reqwest::Client::new();
    let tampered_sig = {
        let last = url.chars().last().unwrap();
        format!("{}{}", &url[..url.len() - 1], if last == '0' { '1' } else { '0' })
    };
    let tampered_expiry = url.replace("X-Amz-Expires=300", "X-Amz-Expires=3000");
    let other_key = url.replace("/u1/clip.mp3", "/u2/clip.mp3");
    for bad in [tampered_sig, tampered_expiry, other_key] {
        assert_eq!(client.get(&bad).send().await.unwrap().status(), 403, "{bad}");
    }
}

#[tokio::test]
async fn expired_presigned_urls_are_refused() {
    let (store, _, key) = store_with_object().await;
    let url = store.signed_url(&key, &opts(1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn a_wrong_secret_key_is_refused() {
    let (_, target, key) = store_with_object().await;
    let mut wrong = target.settings(&target.endpoint, "mdtest-any");
    wrong.secret_key = "not-the-secret".into();
    let store = S3Store::new(&wrong);
    let err = store.head(&key).await.unwrap_err();
    assert!(matches!(err, StorageError::Backend(_)), "{err:?}");
    let err = store.put_file(&key, &fixture("image.png"), "image/png").await.unwrap_err();
    assert!(format!("{err}").contains("SignatureDoesNotMatch"), "{err}");
    assert!(!format!("{err}").contains("not-the-secret"), "errors never echo the secret");
}

#[tokio::test]
async fn a_dead_endpoint_fails_fast_as_unavailable() {
    let target = S3Target::from_env();
    let store = S3Store::new(&target.settings("http://127.0.0.1:1", "mdtest-dead"));
    let started = std::time::Instant::now();
    let err = store.ping().await.unwrap_err();
    assert!(matches!(err, StorageError::Unavailable(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test]
async fn presigned_urls_can_name_the_endpoint_browsers_use() {
    let (_, target, key) = store_with_object().await;
    let port = target.endpoint.rsplit(':').next().unwrap();
    let bucket = format!("mdtest-{}", uuid::Uuid::new_v4().simple());
    let mut settings = target.settings(&target.endpoint, &bucket);
    settings.public_endpoint = Some(format!("http://localhost:{port}"));
    let store = S3Store::new(&settings);
    store.ensure_bucket().await.unwrap();
    store.put_file(&key, &fixture("tone-cbr.mp3"), "audio/mpeg").await.unwrap();
    let url = store.signed_url(&key, &opts(60)).await.unwrap();
    assert!(url.starts_with(&format!("http://localhost:{port}/")), "{url}");
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 200, "the signature covers the public host");
}

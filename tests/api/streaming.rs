//! The upload pipeline stores a large file while it is still arriving (S3 parts, a staged copy
//! in the local folder) and makes it visible only once it has been checked: a file refused late,
//! cut off mid-way or refused early leaves no object, no open multipart upload, no spool file.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use futures_util::StreamExt;
use mediadesk::domain::Owner;
use mediadesk::media::{Actor, MediaError, Upload};
use mediadesk::storage::ByteStream;

use crate::common::*;

fn create(name: &str) -> Upload {
    Upload::new(Owner::System, name)
}

/// `data` in 64 KiB chunks, then an error instead of the end.
fn cut_off_stream(data: Vec<u8>) -> ByteStream {
    let mut chunks: Vec<Result<Bytes, std::io::Error>> =
        data.chunks(64 * 1024).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    chunks.push(Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "client went away")));
    Box::pin(futures_util::stream::iter(chunks))
}

async fn assert_nothing_left(env: &TestEnv) {
    assert_eq!(env.count_rows("images").await + env.count_rows("audios").await, 0);
    assert!(env.objects().await.is_empty(), "{:?}", env.objects().await);
    assert_eq!(env.settled_half_written().await, 0, "no write left open");
    assert_eq!(env.settled_spool().await, 0);
}

backend_tests!(
    a_large_upload_is_stored_byte_for_byte,
    a_large_file_refused_after_it_began_storing_leaves_nothing,
    an_upload_cut_off_mid_way_leaves_nothing,
    a_large_upload_that_is_not_media_is_refused_before_it_is_all_read
);

async fn a_large_upload_is_stored_byte_for_byte(env: TestEnv) {
    let wav = wav_bytes(150); // ≈ 26 MB: several S3 parts
    let r =
        env.media.upload(&Actor::operator(), create("long.wav"), bytes_stream(wav.clone())).await.unwrap();
    let keys = env.objects().await;
    assert_eq!(keys.len(), 1);
    assert_eq!(read_object(env.store.as_ref(), &keys[0]).await, wav);
    assert_eq!(r.filename(), "long.wav");
    assert_eq!(env.half_written(), 0);
    assert_eq!(env.settled_spool().await, 0);
}

async fn a_large_file_refused_after_it_began_storing_leaves_nothing(env: TestEnv) {
    // A WAV whose header promises twice the samples it holds: only the full decode, after
    // the parts went up, finds out.
    let mut wav = wav_bytes(150);
    let promised = ((wav.len() - 44) as u32 * 2).to_le_bytes();
    wav[40..44].copy_from_slice(&promised);
    let err = env.media.upload(&Actor::operator(), create("lying.wav"), bytes_stream(wav)).await.unwrap_err();
    assert!(err.is_client_error(), "refused as a bad file: {err:?}");
    assert_nothing_left(&env).await;
}

async fn an_upload_cut_off_mid_way_leaves_nothing(env: TestEnv) {
    let mut wav = wav_bytes(150);
    wav.truncate(20 * 1024 * 1024);
    let err = env.media.upload(&Actor::operator(), create("cut.wav"), cut_off_stream(wav)).await.unwrap_err();
    assert!(matches!(err, MediaError::Invalid(ref m) if m.contains("interrupted")), "{err:?}");
    assert_nothing_left(&env).await;
}

async fn a_large_upload_that_is_not_media_is_refused_before_it_is_all_read(env: TestEnv) {
    let pulled = Arc::new(AtomicU64::new(0));
    let counter = pulled.clone();
    let page = Bytes::from_static(b"<!doctype html><html><body>not a picture</body></html>\n");
    let body: ByteStream = Box::pin(futures_util::stream::unfold(0u64, move |sent| {
        let (page, counter) = (page.clone(), counter.clone());
        async move {
            (sent < 50 * 1024 * 1024).then(|| {
                let chunk = page.repeat(1000);
                counter.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                (Ok(Bytes::from(chunk)), sent + page.len() as u64 * 1000)
            })
        }
    }));
    let err = env.media.upload(&Actor::operator(), create("page.jpg"), body).await.unwrap_err();
    assert!(matches!(err, MediaError::UnsupportedType(_)), "{err:?}");
    let read = pulled.load(Ordering::SeqCst);
    assert!(read < 4 * 1024 * 1024, "refused after {read} of 50 MiB");
    assert_nothing_left(&env).await;
}

/// Uploads whose size the client announced first (the JavaScript uploader does): one streaming
/// write on S3, the same guarantees.
mod announced {
    use super::*;

    backend_tests!(
        an_announced_upload_is_stored_byte_for_byte,
        bytes_that_disagree_with_the_announcement_are_refused,
        an_announced_size_over_the_limit_is_refused_before_reading,
        an_announced_file_refused_by_its_check_leaves_nothing,
        an_announced_upload_cut_off_mid_way_leaves_nothing
    );

    async fn an_announced_upload_is_stored_byte_for_byte(env: TestEnv) {
        let wav = wav_bytes(150);
        let size = wav.len() as u64;
        env.media
            .upload(
                &Actor::operator(),
                Upload { announced_size: Some(size), ..create("long.wav") },
                bytes_stream(wav.clone()),
            )
            .await
            .unwrap();
        let keys = env.objects().await;
        assert_eq!(keys.len(), 1);
        assert_eq!(read_object(env.store.as_ref(), &keys[0]).await, wav);
        assert_eq!(env.settled_spool().await, 0);
    }

    async fn bytes_that_disagree_with_the_announcement_are_refused(env: TestEnv) {
        let wav = wav_bytes(60);
        let size = wav.len() as u64;
        for announced in [size - 1000, size + 1000, size / 2] {
            let err = env
                .media
                .upload(
                    &Actor::operator(),
                    Upload { announced_size: Some(announced), ..create("a.wav") },
                    bytes_stream(wav.clone()),
                )
                .await
                .unwrap_err();
            assert!(
                matches!(&err, MediaError::Invalid(m) if m.contains("announced")),
                "{announced}: {err:?}"
            );
            assert_nothing_left(&env).await;
        }
    }

    async fn an_announced_size_over_the_limit_is_refused_before_reading(env: TestEnv) {
        let pulled = Arc::new(AtomicU64::new(0));
        let counter = pulled.clone();
        let body: ByteStream = Box::pin(futures_util::stream::iter(0..1).map(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok::<_, std::io::Error>(Bytes::from_static(b"x"))
        }));
        let err = env
            .media
            .upload(&Actor::operator(), Upload { announced_size: Some(200 << 20), ..create("big.wav") }, body)
            .await
            .unwrap_err();
        assert!(matches!(err, MediaError::TooLarge(_)), "{err:?}");
        assert_eq!(pulled.load(Ordering::SeqCst), 0, "not a byte read");
        assert_nothing_left(&env).await;
    }

    async fn an_announced_file_refused_by_its_check_leaves_nothing(env: TestEnv) {
        let mut wav = wav_bytes(150);
        let promised = ((wav.len() - 44) as u32 * 2).to_le_bytes();
        wav[40..44].copy_from_slice(&promised);
        let size = wav.len() as u64;
        let err = env
            .media
            .upload(
                &Actor::operator(),
                Upload { announced_size: Some(size), ..create("lying.wav") },
                bytes_stream(wav),
            )
            .await
            .unwrap_err();
        assert!(err.is_client_error(), "{err:?}");
        assert_nothing_left(&env).await;
    }

    async fn an_announced_upload_cut_off_mid_way_leaves_nothing(env: TestEnv) {
        let wav = wav_bytes(150);
        let size = wav.len() as u64;
        let mut part = wav;
        part.truncate(20 * 1024 * 1024);
        let err = env
            .media
            .upload(
                &Actor::operator(),
                Upload { announced_size: Some(size), ..create("cut.wav") },
                cut_off_stream(part),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, MediaError::Invalid(ref m) if m.contains("interrupted")), "{err:?}");
        assert_nothing_left(&env).await;
    }
}

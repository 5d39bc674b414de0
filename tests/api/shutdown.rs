//! SIGTERM with an upload on the wire, against the real binary: an upload that can finish within
//! the shutdown timeout is finished and kept; one that stalls past it is dropped and leaves no
//! row, no object and no spool file.

use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::common::served::Served;
use crate::common::server::{Page, TestClient, password_of};
use crate::common::*;

/// Starts an upload whose body arrives only as fast as the test sends it.
async fn streaming_upload(
    c: &TestClient,
    name: &str,
) -> (mpsc::Sender<Result<Bytes, std::io::Error>>, tokio::task::JoinHandle<Result<Page, String>>) {
    let token = c.get("/upload").await.csrf();
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    let part = reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(body)).file_name(name.to_owned());
    let form = reqwest::multipart::Form::new().text("csrf_token", token).part("file", part);
    let request = c.http.post(c.url("/upload")).multipart(form);
    let handle = tokio::spawn(async move {
        let resp = request.send().await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        Ok(Page { status, headers, body: resp.text().await.map_err(|e| e.to_string())? })
    });
    (tx, handle)
}

async fn signed_in(env: &TestEnv, server: &Served) -> TestClient {
    let add =
        env.cli(&["user", "add", "ann", "--role", "user", "--password-stdin"], Some(&password_of("ann")));
    assert_eq!(add.code, 0, "{}", add.stderr);
    let c = TestClient {
        base: server.base.clone(),
        http: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    };
    assert_eq!(c.sign_in("ann", &password_of("ann")).await.status, 303);
    c
}

/// Until the server has started spooling the upload.
async fn wait_for_spool_file(env: &TestEnv) {
    let started = Instant::now();
    while env.spooled_files() == 0 {
        assert!(started.elapsed() < Duration::from_secs(10), "the upload never reached the spool folder");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

backend_tests!(sigterm_lets_an_upload_in_flight_finish, sigterm_drops_a_stalled_upload_and_leaves_nothing);

async fn sigterm_lets_an_upload_in_flight_finish(env: TestEnv) {
    let server = Served::start(&env, &[("MEDIADESK_SHUTDOWN_TIMEOUT_SECS", "20")]).await;
    let c = signed_in(&env, &server).await;
    let wav = wav_bytes(20); // ≈3.4 MB
    let (tx, response) = streaming_upload(&c, "in-flight.wav").await;
    let (first, rest) = wav.split_at(wav.len() / 2);
    tx.send(Ok(Bytes::copy_from_slice(first))).await.unwrap();
    wait_for_spool_file(&env).await;

    server.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        reqwest::get(format!("{}/healthz", server.base)).await.is_err(),
        "no new connections after SIGTERM"
    );
    for chunk in rest.chunks(256 * 1024) {
        tx.send(Ok(Bytes::copy_from_slice(chunk))).await.unwrap();
    }
    drop(tx);
    let page = response.await.unwrap().expect("the upload in flight gets its answer");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("1 accepted"), "{}", page.body);
    assert_eq!(server.exit_code().await, Some(0), "a clean stop once the upload is done");
    assert_eq!(env.count_rows("audios").await, 1);
    assert_eq!(env.objects().await.len(), 1);
    assert_eq!(env.settled_spool().await, 0);
}

async fn sigterm_drops_a_stalled_upload_and_leaves_nothing(env: TestEnv) {
    let server = Served::start(&env, &[("MEDIADESK_SHUTDOWN_TIMEOUT_SECS", "1")]).await;
    let c = signed_in(&env, &server).await;
    let wav = wav_bytes(20);
    let (tx, response) = streaming_upload(&c, "stalled.wav").await;
    tx.send(Ok(Bytes::copy_from_slice(&wav[..wav.len() / 2]))).await.unwrap();
    wait_for_spool_file(&env).await;

    let asked = Instant::now();
    server.terminate();
    // The rest of the body never comes: the server waits out its timeout, then drops it.
    assert_eq!(server.exit_code().await, Some(0));
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "stopped after its 1 s timeout: {:?}",
        asked.elapsed()
    );
    drop(tx);
    let outcome = response.await.unwrap();
    assert!(
        outcome.is_err() || outcome.as_ref().is_ok_and(|p| p.status >= 500),
        "{:?}",
        outcome.map(|p| p.status)
    );
    assert_eq!(env.count_rows("audios").await, 0);
    assert!(env.objects().await.is_empty());
    assert_eq!(env.settled_spool().await, 0, "the half-received file is removed");
}

//! The upload page's script sends a large file in pieces (tus) and rides out a connection cut
//! in the middle of a piece: it asks the server where to go on from and finishes the file.

use std::time::Duration;

use mediadesk::auth::Role;

use crate::common::browser::{Browser, PATIENCE, poll};
use crate::common::proxy::FaultProxy;
use crate::common::server::password_of;
use crate::common::*;

const MIB: usize = 1024 * 1024;

backend_tests!(browser_uploads_in_pieces_through_a_cut_connection);

async fn browser_uploads_in_pieces_through_a_cut_connection(env: TestEnv) {
    let backend = env.backend;
    let server = env
        .start_server_configured(|s| {
            s.resumable_above = MIB as u64;
            s.piece_bytes = MIB as u64;
        })
        .await;
    server.account("ann", Role::User).await;
    let upstream = server.base.trim_start_matches("http://").parse().expect("the server's address");
    let proxy = FaultProxy::start(upstream).await;
    let wav = wav_bytes(25); // ≈4.4 MB: five pieces
    let file = server.env.dir.path().join("interview.wav");
    std::fs::write(&file, &wav).unwrap();

    let base = proxy.endpoint();
    let cut = proxy.clone();
    Browser::run(backend, &base, |b| async move {
        b.goto("/signin").await;
        b.find("#username").await.send_keys("ann").await.expect("type username");
        b.find("#password").await.send_keys(&password_of("ann")).await.expect("type password");
        b.find("form[action='/signin'] button[type=submit]").await.click().await.expect("submit sign-in");
        b.wait_for_path("/media").await;
        b.goto("/upload").await;
        b.find("#files").await.send_keys(file.to_str().unwrap()).await.expect("choose the file");
        // The connection breaks halfway through the third piece.
        cut.cut_after((2 * MIB + MIB / 2) as i64);
        b.find("#upload-form button[type=submit]").await.click().await.expect("submit upload");
        poll(
            "the connection to be cut",
            PATIENCE,
            async || if cut.is_down() { Ok(()) } else { Err("up".to_owned()) },
        )
        .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        cut.up();
        let link = poll("the upload to finish", PATIENCE, async || {
            let state = b
                .js("const r = document.getElementById('results');
                     const a = r.querySelector('li.result-ok a');
                     return { ok: a && a.getAttribute('href'),
                              refused: r.querySelectorAll('li.result-refused').length, text: r.innerText };")
                .await;
            assert_eq!(state["refused"], 0, "refused: {}", state["text"]);
            state["ok"].as_str().map(str::to_owned).ok_or(state.to_string())
        })
        .await;
        assert!(link.starts_with("/media/audio/"), "{link}");
        b.screenshot("upload-resumed").await;
    })
    .await;

    let env = &server.env;
    assert_eq!(env.count_rows("audios").await, 1);
    assert_eq!(env.count_rows("resumable_uploads").await, 0);
    let originals = env.objects().await;
    assert_eq!(originals.len(), 1, "{originals:?}");
    assert_eq!(read_object(env.store.as_ref(), &originals[0]).await, wav, "the file arrived whole");
}

//! A web site on loopback that link imports fetch from: a few files, and the ways a real site
//! goes wrong (a redirect loop, a redirect inside, an error, a file too large, an answer cut
//! off or stalled). It counts the requests it got, so a test can tell that a refused link was
//! never fetched. It speaks https too, with a certificate the real binary is told to trust.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::fixture_bytes;

pub struct FarSite {
    pub addr: SocketAddr,
    requests: Arc<AtomicUsize>,
}

impl FarSite {
    pub async fn start() -> FarSite {
        Self::serve(None).await
    }

    /// The same site over https, as `https://localhost:{port}`; its CA's certificate is written
    /// into `dir` (the path returned).
    pub async fn start_tls(dir: &Path) -> (FarSite, PathBuf) {
        let (acceptor, roots) = super::tls::localhost(dir);
        (Self::serve(Some(acceptor)).await, roots)
    }

    async fn serve(tls: Option<TlsAcceptor>) -> FarSite {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the far site");
        let site = FarSite { addr: listener.local_addr().unwrap(), requests: Arc::default() };
        let (requests, port) = (site.requests.clone(), site.addr.port());
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                requests.fetch_add(1, Ordering::SeqCst);
                match tls.clone() {
                    None => drop(tokio::spawn(answer(conn, port))),
                    Some(acceptor) => drop(tokio::spawn(async move {
                        if let Ok(conn) = acceptor.accept(conn).await {
                            answer(conn, port).await;
                        }
                    })),
                }
            }
        });
        site
    }

    /// `http://127.0.0.1:{port}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

async fn answer(mut conn: impl AsyncRead + AsyncWrite + Unpin, port: u16) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let file = |ctype: &str, fixture: &str, extra: &str| {
        let body = fixture_bytes(fixture);
        let length = body.len();
        let head =
            format!("HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {length}\r\n{extra}\r\n");
        [head.into_bytes(), body].concat()
    };
    let moved = |to: &str| {
        format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .into_bytes()
    };
    let reply = match path.split('?').next().unwrap_or("") {
        "/photos/harbour.jpg" => file("image/jpeg", "image.jpg", ""),
        "/download" => file(
            "application/octet-stream",
            "image.png",
            concat!(
                "Content-Disposition: attachment; filename=\"x.png\"; ",
                "filename*=UTF-8''H%C3%A4fen%20am%20Meer.png\r\n"
            ),
        ),
        "/sounds/gulls.flac" => file("audio/flac", "tone.flac", ""),
        "/moved" => moved("/sounds/gulls.flac"),
        "/loop" => moved("/loop"),
        "/inside" => moved(&format!("http://127.0.0.2:{port}/photos/harbour.jpg")),
        "/notes.txt" => file("text/plain", "not-an-image.jpg", ""),
        "/huge.wav" => {
            b"HTTP/1.1 200 OK\r\nContent-Type: audio/wav\r\nContent-Length: 10737418240\r\n\r\n".to_vec()
        }
        "/cut.jpg" => {
            // Says the whole photo, sends half of it and hangs up.
            let body = fixture_bytes("image-exif-rot6.jpg");
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            [head.into_bytes(), body[..body.len() / 2].to_vec()].concat()
        }
        "/stall.jpg" => {
            let body = fixture_bytes("image.webp");
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/webp\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(&[head.into_bytes(), body[..64].to_vec()].concat()).await;
            tokio::time::sleep(Duration::from_secs(60)).await;
            return;
        }
        _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found".to_vec(),
    };
    let _ = conn.write_all(&reply).await;
    let _ = conn.shutdown().await;
}

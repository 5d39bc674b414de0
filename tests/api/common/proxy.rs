//! A loopback TCP proxy in front of a real server (the S3 server, PostgreSQL) that a test can
//! take down, slow down, make answer with HTTP errors, or make cut a connection after some
//! bytes: the way to make a shared server fail "mid-upload" without killing its process.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU16, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const UP: u8 = 0;
const DOWN: u8 = 1;
const FAILING: u8 = 2;

#[derive(Clone)]
pub struct FaultProxy {
    pub addr: SocketAddr,
    mode: Arc<AtomicU8>,
    /// Bumped whenever the mode changes: connections from an earlier generation are torn down,
    /// so kept-alive connections cannot carry requests past an outage.
    generation: Arc<AtomicU64>,
    /// Bytes the client may still send before the proxy goes down; negative = unlimited.
    budget: Arc<AtomicI64>,
    /// Added before every chunk forwarded in either direction, in milliseconds.
    delay_ms: Arc<AtomicU64>,
    /// The HTTP status a failing proxy answers with.
    fail_status: Arc<AtomicU16>,
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let proxy = FaultProxy {
            addr: listener.local_addr().expect("addr"),
            mode: Arc::new(AtomicU8::new(UP)),
            generation: Arc::new(AtomicU64::new(0)),
            budget: Arc::new(AtomicI64::new(-1)),
            delay_ms: Arc::new(AtomicU64::new(0)),
            fail_status: Arc::new(AtomicU16::new(503)),
        };
        let p = proxy.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let p = p.clone();
                match p.mode.load(Ordering::SeqCst) {
                    DOWN => drop(client), // connection reset: the server is "down"
                    FAILING => {
                        tokio::spawn(async move { p.answer_with_error(client).await });
                    }
                    _ => {
                        tokio::spawn(async move { p.pipe(client, upstream).await });
                    }
                }
            }
        });
        proxy
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn set_mode(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    pub fn down(&self) {
        self.set_mode(DOWN);
    }

    /// Back to normal: no outage, no delay, no byte budget.
    pub fn up(&self) {
        self.budget.store(-1, Ordering::SeqCst);
        self.delay_ms.store(0, Ordering::SeqCst);
        self.set_mode(UP);
    }

    /// Lets `bytes` more request bytes through, then goes down for good (until `up`).
    pub fn cut_after(&self, bytes: i64) {
        self.budget.store(bytes, Ordering::SeqCst);
    }

    /// Whether the proxy is down (say, after a `cut_after` budget ran out).
    pub fn is_down(&self) -> bool {
        self.mode.load(Ordering::SeqCst) == DOWN
    }

    /// Forwards everything, but each chunk only after `delay`: a slow or overloaded server.
    pub fn slow(&self, delay: Duration) {
        self.delay_ms.store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// Answers every request itself with `status` and an S3-style error body, as an overloaded
    /// or broken S3 server does.
    pub fn fail_with(&self, status: u16) {
        self.fail_status.store(status, Ordering::SeqCst);
        self.set_mode(FAILING);
    }

    async fn answer_with_error(self, mut client: TcpStream) {
        // Read the request head; the body (if any) is not waited for, as servers that give up
        // early do not wait either.
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
            match client.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let status = self.fail_status.load(Ordering::SeqCst);
        let (code, reason) = match status {
            500 => ("InternalError", "Internal Server Error"),
            503 => ("SlowDown", "Service Unavailable"),
            _ => ("ServiceUnavailable", "Error"),
        };
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>injected by the \
                test proxy</Message></Error>"
        );
        let response = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\nContent-Length: \
                {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = client.write_all(response.as_bytes()).await;
        let _ = client.shutdown().await;
    }

    fn forwarding(&self, generation: u64) -> bool {
        self.mode.load(Ordering::SeqCst) == UP && self.generation.load(Ordering::SeqCst) == generation
    }

    async fn delay(&self) {
        let ms = self.delay_ms.load(Ordering::SeqCst);
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }

    async fn pipe(self, mut client: TcpStream, upstream: SocketAddr) {
        let generation = self.generation.load(Ordering::SeqCst);
        let Ok(mut server) = TcpStream::connect(upstream).await else {
            return;
        };
        let (mut cr, mut cw) = client.split();
        let (mut sr, mut sw) = server.split();
        let to_server = async {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match cr.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if !self.forwarding(generation) {
                    return;
                }
                let budget = self.budget.load(Ordering::SeqCst);
                if budget >= 0 {
                    let left = budget - n as i64;
                    if left <= 0 {
                        self.budget.store(0, Ordering::SeqCst);
                        self.down();
                        return;
                    }
                    self.budget.store(left, Ordering::SeqCst);
                }
                self.delay().await;
                if sw.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        };
        let to_client = async {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match sr.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                self.delay().await;
                if !self.forwarding(generation) || cw.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        };
        // Whichever direction ends first tears the connection down.
        tokio::select! {
            _ = to_server => {}
            _ = to_client => {}
        }
    }
}

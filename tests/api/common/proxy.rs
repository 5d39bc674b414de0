//! A loopback TCP proxy in front of the real S3 server that a test can take down or make cut
//! a connection after some bytes: the way to stop the server "mid-upload" without killing the
//! shared server process.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone)]
pub struct FaultProxy {
    pub addr: SocketAddr,
    up: Arc<AtomicBool>,
    /// Bytes the client may still send before the proxy goes down; negative = unlimited.
    budget: Arc<AtomicI64>,
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let proxy = FaultProxy {
            addr: listener.local_addr().expect("addr"),
            up: Arc::new(AtomicBool::new(true)),
            budget: Arc::new(AtomicI64::new(-1)),
        };
        let p = proxy.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if !p.up.load(Ordering::SeqCst) {
                    drop(client); // connection reset: the server is "down"
                    continue;
                }
                let p = p.clone();
                tokio::spawn(async move { p.pipe(client, upstream).await });
            }
        });
        proxy
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
    }

    pub fn up(&self) {
        self.budget.store(-1, Ordering::SeqCst);
        self.up.store(true, Ordering::SeqCst);
    }

    /// Lets `bytes` more request bytes through, then goes down for good (until `up`).
    pub fn cut_after(&self, bytes: i64) {
        self.budget.store(bytes, Ordering::SeqCst);
    }

    async fn pipe(self, mut client: TcpStream, upstream: SocketAddr) {
        let Ok(mut server) = TcpStream::connect(upstream).await else {
            return;
        };
        let (mut cr, mut cw) = client.split();
        let (mut sr, mut sw) = server.split();
        let to_server = async {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                if !self.up.load(Ordering::SeqCst) {
                    return;
                }
                let n = match cr.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                // Kept-alive connections from before the outage must not carry new requests.
                if !self.up.load(Ordering::SeqCst) {
                    return;
                }
                let budget = self.budget.load(Ordering::SeqCst);
                if budget >= 0 {
                    let left = budget - n as i64;
                    if left <= 0 {
                        self.budget.store(0, Ordering::SeqCst);
                        self.up.store(false, Ordering::SeqCst);
                        return;
                    }
                    self.budget.store(left, Ordering::SeqCst);
                }
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
                if !self.up.load(Ordering::SeqCst) || cw.write_all(&buf[..n]).await.is_err() {
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

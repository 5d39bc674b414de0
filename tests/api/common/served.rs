//! The real binary serving a test's database and store, to be stopped like a deployment's.
//!
//! It listens on port 0 and the test reads the port the system chose from its first screen: a
//! port picked by the test and freed before the start could be taken by another test's server
//! in between, whose `/healthz` would then answer for it.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::TestEnv;

/// What `mediadesk serve` printed on standard output, read as it comes.
pub struct Screen {
    text: Arc<Mutex<String>>,
    reader: std::thread::JoinHandle<()>,
}

impl Screen {
    /// The first line that starts with `prefix` (after indentation), once printed, without it.
    pub async fn line(&self, prefix: &str) -> String {
        for _ in 0..100 {
            let text = self.text.lock().unwrap().clone();
            if let Some(rest) = text.lines().find_map(|l| l.trim_start().strip_prefix(prefix)) {
                return rest.to_owned();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no line {prefix:?} on the screen: {}", self.text.lock().unwrap())
    }

    /// Everything printed, once the process has exited.
    pub fn text(self) -> String {
        self.reader.join().expect("the screen's reader");
        Arc::try_unwrap(self.text).expect("read to the end").into_inner().unwrap()
    }
}

/// Starts `cmd` (a `mediadesk serve` with its environment; standard error as the caller
/// wants it) on 127.0.0.1 and waits until it answers `/healthz`: the process, its port and
/// its screen; `None`, with the process stopped, when it did not come up.
pub async fn start_serve(cmd: &mut Command) -> Option<(Child, u16, Screen)> {
    let mut child = cmd.env("MEDIADESK_BIND", "127.0.0.1:0").stdout(Stdio::piped()).spawn().unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let (port_tx, port_rx) = tokio::sync::oneshot::channel();
    let text = Arc::new(Mutex::new(String::new()));
    let read = text.clone();
    let reader = std::thread::spawn(move || {
        let mut port_tx = Some(port_tx);
        for line in stdout.lines().map_while(Result::ok) {
            let port = line
                .split_once("Open http://127.0.0.1:")
                .and_then(|(_, p)| p.trim_end_matches('/').parse::<u16>().ok());
            let mut text = read.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
            drop(text);
            if let Some((port, tx)) = port.and_then(|p| Some((p, port_tx.take()?))) {
                let _ = tx.send(port);
            }
        }
    });
    let screen = Screen { text, reader };
    // Generous: on a loaded two-core machine a start has taken over ten seconds.
    let port: Option<u16> = match tokio::time::timeout(Duration::from_secs(60), port_rx).await {
        Ok(Ok(port)) => Some(port),
        _ => None,
    };
    if let Some(port) = port {
        for _ in 0..300 {
            let health = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await;
            if health.is_ok_and(|r| r.status() == 200) {
                return Some((child, port, screen));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

pub struct Served {
    pub child: Child,
    pub base: String,
}

impl Served {
    /// Starts `mediadesk serve` on this test's database and store, with `vars` added.
    pub async fn start(env: &TestEnv, vars: &[(&str, &str)]) -> Served {
        let mut cmd = env.command();
        cmd.arg("serve").envs(vars.iter().copied()).stderr(Stdio::null());
        let (child, port, _) = start_serve(&mut cmd).await.expect("the server came up");
        Served { child, base: format!("http://127.0.0.1:{port}") }
    }

    pub fn terminate(&self) {
        let term = std::process::Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        assert!(term.unwrap().success());
    }

    /// Waits for the process to exit; its exit code.
    pub async fn exit_code(self) -> Option<i32> {
        let mut child = self.child;
        tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap().code()
    }
}

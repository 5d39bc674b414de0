//! The real binary serving a test's database and store, to be stopped like a deployment's.

use std::process::{Child, Stdio};
use std::time::Duration;

use super::TestEnv;

pub struct Served {
    pub child: Child,
    pub base: String,
}

impl Served {
    /// Starts `mediadesk serve` on this test's database and store, with `vars` added.
    pub async fn start(env: &TestEnv, vars: &[(&str, &str)]) -> Served {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = env
            .command()
            .arg("serve")
            .env("MEDIADESK_BIND", format!("127.0.0.1:{port}"))
            .envs(vars.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if reqwest::get(format!("{base}/healthz")).await.is_ok_and(|r| r.status() == 200) {
                return Served { child, base };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the server did not come up");
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

//! A headless Chromium driven over WebDriver, for end-to-end tests of the real pages with
//! JavaScript on. `scripts/test.sh` starts chromedriver and sets `MEDIADESK_TEST_WEBDRIVER`;
//! without it these tests fail instead of skipping.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tempfile::TempDir;

/// How long a page may take to reach an expected state (two cores, many tests in parallel).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// One browser session on one test server.
#[derive(Clone)]
pub struct Browser {
    pub client: Client,
    /// The app's origin, e.g. `http://127.0.0.1:41234`.
    pub base: String,
    /// `sqlite_local` or `postgres_s3`: prefixes screenshot names.
    pub backend: &'static str,
}

/// A Chrome DevTools command, through chromedriver's own endpoint for them.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()))
    }
}

/// Where screenshots go: `MEDIADESK_TEST_ARTIFACTS`, else `target/e2e-screenshots`.
pub fn artifacts_dir() -> PathBuf {
    std::env::var_os("MEDIADESK_TEST_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/e2e-screenshots"))
}

fn capabilities(profile: &std::path::Path, page_load: &str) -> fantoccini::wd::Capabilities {
    let args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--autoplay-policy=no-user-gesture-required",
        "--window-size=1280,900",
    ]
    .iter()
    .map(|a| a.to_string())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect::<Vec<_>>();
    let caps = json!({
        "browserName": "chrome",
        "pageLoadStrategy": page_load,
        "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": args },
    });
    match caps {
        Value::Object(map) => map,
        _ => unreachable!(),
    }
}

impl Browser {
    /// Opens a browser for `base`, runs `body`, and closes the browser whether `body` passed or
    /// panicked (a panic is re-raised after a `{backend}-failure.png` screenshot).
    pub async fn run<F, Fut>(backend: &'static str, base: &str, body: F)
    where
        F: FnOnce(Browser) -> Fut,
        Fut: Future<Output = ()>,
    {
        Self::run_loading(backend, base, "normal", body).await
    }

    /// As [`Browser::run`], but a page counts as opened once its document is read and its
    /// scripts ran, before its pictures have come: to see a page while they are on their way.
    pub async fn run_eager<F, Fut>(backend: &'static str, base: &str, body: F)
    where
        F: FnOnce(Browser) -> Fut,
        Fut: Future<Output = ()>,
    {
        Self::run_loading(backend, base, "eager", body).await
    }

    async fn run_loading<F, Fut>(backend: &'static str, base: &str, page_load: &str, body: F)
    where
        F: FnOnce(Browser) -> Fut,
        Fut: Future<Output = ()>,
    {
        let webdriver = std::env::var("MEDIADESK_TEST_WEBDRIVER").unwrap_or_else(|_| {
            panic!(
                "MEDIADESK_TEST_WEBDRIVER is not set: run scripts/test.sh, which starts the chromedriver \
                    these browser tests need"
            )
        });
        let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities(profile.path(), page_load))
            .connect(&webdriver)
            .await
            .unwrap_or_else(|e| panic!("cannot start Chromium through chromedriver at {webdriver}: {e}"));
        let browser = Browser { client: client.clone(), base: base.to_owned(), backend };

        let outcome = AssertUnwindSafe(body(browser.clone())).catch_unwind().await;
        if outcome.is_err() {
            let url = client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
            eprintln!("[{backend}] browser test failed on {url}");
            if let Ok(png) = client.screenshot().await {
                browser.save_png("failure", &png);
            }
        }
        drop(browser);
        let closed = client.close().await;
        close_profile(profile);
        match outcome {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => closed.expect("browser session closes"),
        }
    }

    /// Signs `name` in through the sign-in form (password `password-{name}`) and waits for the
    /// gallery.
    pub async fn sign_in(&self, name: &str) {
        self.goto("/signin").await;
        self.find("#username").await.send_keys(name).await.expect("type username");
        let password = super::server::password_of(name);
        self.find("#password").await.send_keys(&password).await.expect("type password");
        self.find("form[action='/signin'] button[type=submit]").await.click().await.expect("submit sign-in");
        self.wait_for_path("/media").await;
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.base) }
    }

    /// Resizes the window (headless: the viewport) to `width`×`height` CSS pixels.
    pub async fn resize(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.expect("resize the window");
    }

    pub async fn goto(&self, path: &str) {
        let url = self.url(path);
        self.client.goto(&url).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// The path of the current page, e.g. `/media`.
    pub async fn path(&self) -> String {
        self.client.current_url().await.expect("current url").path().to_owned()
    }

    /// Waits until the current page's path is `path`.
    pub async fn wait_for_path(&self, path: &str) {
        poll(&format!("the browser to reach {path}"), PATIENCE, async || {
            let now = self.path().await;
            if now == path { Ok(()) } else { Err(format!("at {now}")) }
        })
        .await
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("find {css}: {e}"))
    }

    pub async fn find_link(&self, text: &str) -> Element {
        self.client.find(Locator::LinkText(text)).await.unwrap_or_else(|e| panic!("find link {text:?}: {e}"))
    }

    /// Types `keys` into whatever has the focus now (a key as `Key::Right.to_string()`).
    pub async fn press(&self, keys: &str) {
        let focused = self.client.active_element().await.expect("the focused element");
        focused.send_keys(keys).await.unwrap_or_else(|e| panic!("press {keys:?}: {e}"));
    }

    /// Makes the page's clock read in `zone` (an IANA name), as a reader there sees it; it holds
    /// for this session's later pages.
    pub async fn time_zone(&self, zone: &str) {
        let set = Cdp { cmd: "Emulation.setTimezoneOverride", params: json!({ "timezoneId": zone }) };
        self.client.issue_cmd(set).await.unwrap_or_else(|e| panic!("time zone {zone}: {e}"));
    }

    /// Clicks the element matching `css` with Shift held, as a mouse does.
    pub async fn shift_click(&self, css: &str) {
        use fantoccini::actions::{
            Actions, InputSource, KeyAction, KeyActions, MOUSE_BUTTON_LEFT, MouseActions, PointerAction,
        };
        use fantoccini::key::Key;
        let element = self.find(css).await;
        let wait = Duration::ZERO;
        // One tick a column: Shift goes down, the pointer moves, presses and lets go, Shift up.
        let keys = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: Key::Shift.into() })
            .then(KeyAction::Pause { duration: wait })
            .then(KeyAction::Pause { duration: wait })
            .then(KeyAction::Pause { duration: wait })
            .then(KeyAction::Up { value: Key::Shift.into() });
        let mouse = MouseActions::new("mouse".into())
            .then(PointerAction::Pause { duration: wait })
            .then(PointerAction::MoveToElement { element, duration: None, x: 0.0, y: 0.0 })
            .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
            .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT })
            .then(PointerAction::Pause { duration: wait });
        let actions = Actions::from(keys).and(mouse);
        self.client.perform_actions(actions).await.unwrap_or_else(|e| panic!("shift-click {css}: {e}"));
        self.client.release_actions().await.expect("release the keys and the pointer");
    }

    /// Drags a mouse over the element matching `css`, pressed at `from` and let go at `to`
    /// (offsets from its centre, in CSS pixels), through a point between.
    pub async fn drag(&self, css: &str, from: (f64, f64), to: (f64, f64)) {
        use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
        let element = self.find(css).await;
        let at = |(x, y): (f64, f64)| PointerAction::MoveToElement {
            element: element.clone(),
            duration: None,
            x,
            y,
        };
        let mouse = MouseActions::new("mouse".into())
            .then(at(from))
            .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
            .then(at(((from.0 + to.0) / 2.0, (from.1 + to.1) / 2.0)))
            .then(at(to))
            .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
        self.client.perform_actions(mouse).await.unwrap_or_else(|e| panic!("drag over {css}: {e}"));
        self.client.release_actions().await.expect("release the pointer");
    }

    /// A finger put down at `from` and lifted at `to` (from the centre of the element `css`),
    /// moving over a quarter second: a swipe.
    pub async fn swipe(&self, css: &str, from: (f64, f64), to: (f64, f64)) {
        use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, PointerAction, TouchActions};
        let element = self.find(css).await;
        let at = |(x, y): (f64, f64), ms: u64| PointerAction::MoveToElement {
            element: element.clone(),
            duration: Some(std::time::Duration::from_millis(ms)),
            x,
            y,
        };
        let finger = TouchActions::new("finger".into())
            .then(at(from, 0))
            .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
            .then(at(to, 250))
            .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
        self.client.perform_actions(finger).await.unwrap_or_else(|e| panic!("swipe over {css}: {e}"));
        self.client.release_actions().await.expect("lift the finger");
    }

    /// A click at `at` from the centre of the element `css` (a drag that does not move).
    pub async fn click_at(&self, css: &str, at: (f64, f64)) {
        self.drag(css, at, at).await;
    }

    /// Waits until the page's green message says `words`.
    pub async fn wait_for_flash(&self, words: &str) {
        self.wait_for_text(".flash-ok", words).await;
    }

    /// Waits until the page's heading says `name` (the item walked to has opened).
    pub async fn wait_for_heading(&self, name: &str) {
        poll(name, PATIENCE, async || {
            let h1 = self.loaded_text("h1").await?;
            if h1 == name { Ok(()) } else { Err(h1) }
        })
        .await;
    }

    /// Waits until a page has fully loaded whose first `css` element's text holds `words`, and
    /// gives that text.
    pub async fn wait_for_text(&self, css: &str, words: &str) -> String {
        poll(&format!("{words:?} in {css}"), PATIENCE, async || {
            let text = self.loaded_text(css).await?;
            if text.contains(words) { Ok(text) } else { Err(text) }
        })
        .await
    }

    /// The text of the first `css` element (empty if none) of a page that has finished loading. A
    /// submitted form's answer may still be arriving, or replacing the page, while a test looks:
    /// that, and a script cut off by the navigation, is "not yet", for `poll` to try again.
    async fn loaded_text(&self, css: &str) -> Result<String, String> {
        let script = "if (document.readyState !== 'complete') return null; \
            const e = document.querySelector(arguments[0]); return e ? e.textContent : '';";
        let text =
            self.client.execute(script, vec![json!(css)]).await.map_err(|e| format!("script failed: {e}"))?;
        text.as_str().map(str::to_owned).ok_or_else(|| "the page is still loading".to_owned())
    }

    /// How many elements match `css` right now.
    pub async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.unwrap_or_else(|e| panic!("find all {css}: {e}")).len()
    }

    /// How far the page scrolls sideways, in CSS pixels (0: it fits the window's width).
    pub async fn sideways(&self) -> i64 {
        let script = "return document.documentElement.scrollWidth - document.documentElement.clientWidth;";
        self.js(script).await.as_i64().expect("a width")
    }

    /// Fails with `what` when the page scrolls sideways.
    pub async fn assert_fits(&self, what: &str) {
        assert_eq!(self.sideways().await, 0, "{what}");
    }

    /// The item page's picture's size in pixels, once it has loaded.
    pub async fn preview_size(&self) -> (i64, i64) {
        let script = "const i = document.getElementById('preview'); return new Promise(r => { \
            const s = () => r([i.naturalWidth, i.naturalHeight]); \
            if (i.complete) s(); else i.onload = s; });";
        let size = self.js(script).await;
        (size[0].as_i64().expect("a width"), size[1].as_i64().expect("a height"))
    }

    /// Runs a script (its `return` value comes back as JSON; a returned promise is awaited).
    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Saves a screenshot of the viewport as `{artifacts}/{backend}-{page}.png` and returns the PNG.
    pub async fn screenshot(&self, page: &str) -> Vec<u8> {
        let png = self.client.screenshot().await.expect("screenshot");
        self.save_png(page, &png);
        png
    }

    fn save_png(&self, page: &str, png: &[u8]) {
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        let file = dir.join(format!("{}-{page}.png", self.backend));
        std::fs::write(&file, png).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
    }
}

/// Chromium may still be flushing its profile for a moment after the session closes.
fn close_profile(profile: TempDir) {
    let path = profile.path().to_owned();
    if profile.close().is_err() {
        std::thread::sleep(Duration::from_millis(500));
        let _ = std::fs::remove_dir_all(path);
    }
}

/// Calls `check` every 100 ms until it gives `Ok`, or panics after `timeout` with what the last
/// attempt saw.
pub async fn poll<T>(what: &str, timeout: Duration, mut check: impl AsyncFnMut() -> Result<T, String>) -> T {
    let start = Instant::now();
    loop {
        match check().await {
            Ok(v) => return v,
            Err(seen) if start.elapsed() >= timeout => {
                panic!("timed out after {timeout:?} waiting for {what}; last seen: {seen}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

//! A real OpenID Connect provider (see `oidc_provider.mjs`) in a node process of its own, and a
//! person signing in there as a browser without JavaScript would: its sign-in and consent forms.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use mediadesk::auth::oidc::SignOnConfig;

use super::required_env;
use super::server::TestClient;

pub const CLIENT_ID: &str = "mediadesk";
pub const CLIENT_SECRET: &str = "mediadesk-test-client-secret-0123456789";

pub struct OidcProvider {
    pub issuer: String,
    /// How the provider takes the client's secret: `client_secret_basic` unless changed.
    pub auth_method: &'static str,
    /// Where it puts the scopes' claims (groups, quota): `id-token` unless changed; `userinfo`
    /// only in its userinfo endpoint's answer; `broken-userinfo` only there, which answers 500.
    pub claims_in: &'static str,
    port: u16,
    child: Option<Child>,
    /// Each login's groups, as the provider reads them (see [`OidcProvider::set_groups`]).
    groups: tempfile::NamedTempFile,
    /// What it says on standard error (its development-mode warnings, or why it stopped).
    log: tempfile::NamedTempFile,
    /// A key it publishes (`kid` [`TEST_KEY_ID`]), for tests to sign logout tokens with, and
    /// the file it reads it from.
    test_key: rcgen::KeyPair,
    test_key_file: tempfile::NamedTempFile,
}

/// The `kid` of the key the provider publishes for the tests' own logout tokens.
pub const TEST_KEY_ID: &str = "tests-ec";

impl Drop for OidcProvider {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl OidcProvider {
    /// A provider's address, not started yet: the app must know its issuer before it starts,
    /// and the provider the app's address.
    pub fn reserve() -> OidcProvider {
        let test_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("a key");
        let port = port_for_later();
        OidcProvider {
            issuer: format!("http://127.0.0.1:{port}"),
            auth_method: "client_secret_basic",
            claims_in: "id-token",
            port,
            child: None,
            groups: groups_file("{}"),
            log: tempfile::NamedTempFile::new().expect("a temporary file"),
            test_key_file: groups_file(&test_key.serialize_pem()),
            test_key,
        }
    }

    /// A JWT of `claims` signed ES256 with the key the provider publishes for the tests.
    pub fn sign(&self, claims: &serde_json::Value) -> String {
        es256(&self.test_key, TEST_KEY_ID, claims)
    }

    pub fn config(&self, create_accounts: bool) -> SignOnConfig {
        SignOnConfig {
            issuer: self.issuer.clone(),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            label: "Acme ID".into(),
            create_accounts,
            scopes: Vec::new(),
            roles: None,
            quota_claim: None,
            auto_sign_in: false,
        }
    }

    /// Starts it, sending people back to the app at `app_base`; waits until it answers.
    pub async fn start(&mut self, app_base: &str) {
        let dir = required_env("MEDIADESK_TEST_OIDC_PROVIDER");
        let module = format!("{dir}/node_modules/oidc-provider/lib/index.js");
        assert!(std::path::Path::new(&module).exists(), "oidc-provider is not installed at {dir}");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/common/oidc_provider.mjs");
        let child = Command::new("node")
            .args([script, &self.port.to_string(), CLIENT_ID, CLIENT_SECRET])
            .arg(format!("{app_base}/signin/sso/done"))
            .arg(&module)
            .arg(self.auth_method)
            .arg(self.groups.path())
            .arg(self.claims_in)
            .arg(self.test_key_file.path())
            .stdout(Stdio::null())
            .stderr(self.log.reopen().expect("its log"))
            .spawn()
            .expect("node runs (the test script installs it)");
        self.child = Some(child);
        let discovery = format!("{}/.well-known/openid-configuration", self.issuer);
        for _ in 0..200 {
            if reqwest::get(&discovery).await.is_ok_and(|r| r.status() == 200) {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                let log = std::fs::read_to_string(self.log.path()).unwrap_or_default();
                panic!("the OpenID provider exited: {status}\n{log}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let log = std::fs::read_to_string(self.log.path()).unwrap_or_default();
        panic!("the OpenID provider did not answer at {discovery}\n{log}");
    }

    /// The groups each login belongs to from the next sign-in on, as JSON
    /// (`{"olga": ["media-admins"]}`); a login not named gets no groups claim. An object
    /// instead of a list gives the login those claims (`{"olga": {"mediadesk_quota": "5 GiB"}}`).
    pub fn set_groups(&self, json: &str) {
        std::fs::write(self.groups.path(), json).expect("groups written");
    }

    /// Stops it (to see the app cope with a provider that is gone).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A free port for a process started later, below the ports the system hands out for port 0
/// (Linux: from 32768), so that no other test's server can be given it in between; taken from
/// one counter, so that no two providers of this run share one.
fn port_for_later() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = std::process::id() % 10_000;
    loop {
        let port = 20_000 + (start + NEXT.fetch_add(1, Ordering::Relaxed)) % 12_000;
        let port = u16::try_from(port).expect("below 32000");
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A JWT of `claims` signed ES256 with `key`, its header naming `kid`.
pub fn es256(key: &rcgen::KeyPair, kid: &str, claims: &serde_json::Value) -> String {
    use base64::Engine;
    use rcgen::SigningKey;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let header = serde_json::json!({"alg": "ES256", "kid": kid, "typ": "logout+jwt"});
    let message = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let der = key.sign(message.as_bytes()).expect("signed");
    format!("{message}.{}", b64(&fixed_signature(&der)))
}

/// An ECDSA P-256 signature as JWS writes it (r and s, 32 bytes each) from its DER form
/// (`SEQUENCE { INTEGER r, INTEGER s }`), as rcgen gives it.
fn fixed_signature(der: &[u8]) -> Vec<u8> {
    assert_eq!(der[0], 0x30, "a DER sequence");
    let mut at = 2;
    let mut out = Vec::with_capacity(64);
    for _ in 0..2 {
        assert_eq!(der[at], 0x02, "a DER integer");
        let len = der[at + 1] as usize;
        let int = &der[at + 2..at + 2 + len];
        let int = &int[int.len().saturating_sub(32)..];
        out.extend(std::iter::repeat_n(0, 32 - int.len()));
        out.extend_from_slice(int);
        at += 2 + len;
    }
    out
}

fn groups_file(json: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::io::Write::write_all(&mut file, json.as_bytes()).expect("groups written");
    file
}

/// What came of going to the provider.
pub enum AtProvider {
    /// It sent the browser back to the app: this address (path and query) on the app.
    Back(String),
    /// It answered something else (status, body).
    Stopped(u16, String),
}

/// Follows the app's `/signin/sso` answer (`to`: the provider's address) through the provider:
/// signs in there as `login` and consents, or `abort`s at the sign-in form.
pub async fn at_provider(app: &TestClient, to: &str, login: &str, abort: bool) -> AtProvider {
    at_provider_in(&provider_browser(), app, to, login, abort).await
}

/// A browser's cookies at the provider, kept across visits there.
pub fn provider_browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// [`at_provider`] in `http`, whose cookies at the provider then hold the person's session there.
pub async fn at_provider_in(
    http: &reqwest::Client,
    app: &TestClient,
    to: &str,
    login: &str,
    abort: bool,
) -> AtProvider {
    let mut url = reqwest::Url::parse(to).expect("an absolute address");
    let mut form: Option<Vec<(&str, String)>> = None;
    for _ in 0..20 {
        let r = match form.take() {
            Some(fields) => http.post(url.clone()).form(&fields).send().await.unwrap(),
            None => http.get(url.clone()).send().await.unwrap(),
        };
        let status = r.status().as_u16();
        if let Some(loc) = r.headers().get("location") {
            let next = url.join(loc.to_str().unwrap()).unwrap();
            if let Some(rest) = next.as_str().strip_prefix(&app.base) {
                return AtProvider::Back(rest.to_owned());
            }
            url = next;
            continue;
        }
        let body = r.text().await.unwrap();
        let action = body.split("action=\"").nth(1).and_then(|a| a.split('"').next()).map(str::to_owned);
        match action {
            Some(action) if body.contains("value=\"login\"") => {
                if abort {
                    let cancel = body.find("\">[ Cancel ]").expect("a Cancel link");
                    let from = body[..cancel].rfind("href=\"").unwrap() + "href=\"".len();
                    url = url.join(&body[from..cancel]).unwrap();
                } else {
                    url = url.join(&action).unwrap();
                    form = Some(vec![
                        ("prompt", "login".into()),
                        ("login", login.into()),
                        ("password", "anything".into()),
                    ]);
                }
            }
            Some(action) if body.contains("value=\"consent\"") => {
                url = url.join(&action).unwrap();
                form = Some(vec![("prompt", "consent".into())]);
            }
            _ => return AtProvider::Stopped(status, body),
        }
    }
    panic!("the provider kept redirecting");
}

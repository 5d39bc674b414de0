//! A real OpenID Connect provider (see `oidc_provider.mjs`) in a node process of its own, and a
//! person signing in there as a browser without JavaScript would: its sign-in and consent forms.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

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
}

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
        let port = TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().unwrap().port();
        OidcProvider {
            issuer: format!("http://127.0.0.1:{port}"),
            auth_method: "client_secret_basic",
            claims_in: "id-token",
            port,
            child: None,
            groups: groups_file("{}"),
            log: tempfile::NamedTempFile::new().expect("a temporary file"),
        }
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
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
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

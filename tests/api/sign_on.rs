//! Single sign-on through a real OpenID Connect provider (panva's oidc-provider, in node), on
//! both backends: a new person gets an account only when the deployment allows, and never an
//! existing account by its name; an unlinked person is linked by a password sign-in or from
//! the Tokens page, and unlinked there; an answer this browser did not ask for, a refusal, a
//! wrong client secret, a disabled account, a provider that is down and a database that fails
//! each get a clear page and change nothing.

use std::sync::Arc;

use mediadesk::auth::oidc::{Person, SignOn, SignOnConfig};
use mediadesk::auth::{AuthError, Role};
use mediadesk::domain::{AuditAction, AuditFilter};

use crate::common::browser::{Browser, PATIENCE, poll};
use crate::common::oidc::{AtProvider, OidcProvider, at_provider};
use crate::common::server::{Page, TestClient, TestServer, password_of};
use crate::common::*;

backend_tests!(
    a_new_person_gets_an_account_of_their_own,
    an_unlinked_person_is_linked_by_a_password_sign_in,
    an_account_links_and_unlinks_from_the_tokens_page,
    refused_and_broken_sign_ons_change_nothing,
    passwords_can_be_turned_off,
    automatic_sign_in_goes_straight_to_the_provider,
    a_provider_that_is_down_or_a_database_that_fails_changes_nothing,
    browser_links_and_signs_on_by_keyboard_at_390_px,
);

async fn start(env: TestEnv, create_accounts: bool) -> (TestServer, OidcProvider) {
    let mut provider = OidcProvider::reserve();
    let config = provider.config(create_accounts);
    let s = env.start_server_configured(|w| w.sign_on = Some(provider_of(config))).await;
    provider.start(&s.base).await;
    (s, provider)
}

pub(crate) fn provider_of(config: SignOnConfig) -> Arc<SignOn> {
    Arc::new(SignOn::new(config).expect("a valid issuer"))
}

/// Leaves for the provider from the sign-in page and comes back signed in there as `login`:
/// the app's answer to the provider's.
pub(crate) async fn sign_on(c: &TestClient, login: &str, next: &str) -> Page {
    let back = go_to_provider(c, &format!("/signin/sso?next={next}"), login).await;
    c.get(&back).await
}

/// The address the provider sends the browser back to, after `login` signed in there.
async fn go_to_provider(c: &TestClient, from: &str, login: &str) -> String {
    let away = c.get(from).await;
    assert_eq!(away.status, 303, "{}", away.body);
    match at_provider(c, away.location(), login, false).await {
        AtProvider::Back(path) => {
            assert!(path.starts_with("/signin/sso/done?code="), "{path}");
            path
        }
        AtProvider::Stopped(status, body) => panic!("the provider stopped at {status}: {body}"),
    }
}

pub(crate) async fn audit(s: &TestServer, action: AuditAction) -> Vec<mediadesk::auth::AuditEntry> {
    let filter = AuditFilter { action: Some(action), ..AuditFilter::default() };
    s.app.accounts.audit(None, &filter, None, 50).await.unwrap().entries
}

async fn who(c: &TestClient) -> String {
    let page = c.get("/media").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let at = page.body.find("<span class=\"who\">").expect("signed in") + "<span class=\"who\">".len();
    page.body[at..].split(' ').next().unwrap().to_owned()
}

async fn a_new_person_gets_an_account_of_their_own(env: TestEnv) {
    let (s, provider) = start(env, true).await;
    s.account("dave", Role::Staff).await;
    let c = s.client();
    let page = c.get("/signin?next=/media/system").await;
    let button = "<a class=\"button\" href=\"/signin/sso?next=%2Fmedia%2Fsystem\">Sign in with Acme ID</a>";
    assert!(page.body.contains(button), "a link, with where to go after: {}", page.body);
    let csp = page.header("content-security-policy");
    assert!(csp.ends_with("form-action 'self'"), "no form goes to the provider: {csp}");

    let back = sign_on(&c, "Carol Smith", "/media/system").await;
    assert_eq!((back.status, back.location()), (303, "/media/system"), "{}", back.body);
    assert_eq!(who(&c).await, "carol-smith");
    let carol = s.app.accounts.by_username("carol-smith").await.unwrap();
    assert_eq!(carol.role, Role::User, "a new account is a user's, whatever the provider says");

    let made = audit(&s, AuditAction::CreateAccount).await;
    assert_eq!(made[0].subject.as_deref(), Some("carol-smith"));
    assert_eq!(made[0].detail.as_deref(), Some("role user, by single sign-on as Carol Smith"));
    let signed = audit(&s, AuditAction::SignIn).await;
    assert_eq!((signed[0].outcome.as_str(), signed[0].actor.as_deref()), ("ok", Some("carol-smith")));

    // Signing out of a session the provider signed in signs out there too, and comes back.
    let csrf = c.get("/media").await.csrf();
    let out = c.post_raw("/signout", &[("csrf_token", &csrf)]).await;
    let after = format!("{}/signin", s.base).replace(':', "%3A").replace('/', "%2F");
    let end = format!("{}/session/end?client_id=mediadesk&post_logout_redirect_uri={after}", provider.issuer);
    assert_eq!(out.status, 200, "a page of ours sends the browser on: {}", out.body);
    let end_html = end.replace('&', "&#38;");
    let meta =
        out.body.split("<meta http-equiv=\"refresh\"").nth(1).unwrap_or_default().split('>').next().unwrap();
    assert_eq!(meta, format!(" content=\"0; url={end_html}\""));
    assert!(out.body.contains(&format!("href=\"{end_html}\" id=\"sign-out-there\">Sign out at Acme ID</a>")));
    assert_eq!(c.get("/media").await.status, 303, "signed out here at once");
    let at = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none());
    let at = at.build().unwrap();
    let question = at.get(&end).send().await.unwrap().text().await.unwrap();
    let form = question.split("action=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let xsrf = question.split("name=\"xsrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let form = reqwest::Url::parse(&provider.issuer).unwrap().join(&form).unwrap();
    let done = at.post(form).form(&[("xsrf", xsrf.as_str()), ("logout", "yes")]).send().await.unwrap();
    let back = done.headers()["location"].to_str().unwrap();
    assert!(back.starts_with(&format!("{}/signin", s.base)), "{back}");
    let (dave, _) = s.signed_in("erik", Role::User).await;
    let csrf = dave.get("/media").await.csrf();
    let local = dave.post_raw("/signout", &[("csrf_token", &csrf)]).await;
    assert_eq!(local.location(), "/signin", "a password's session signs out here only");

    // The same person again, in another browser: the same account, none made.
    let accounts = s.app.accounts.count().await.unwrap();
    let other = s.client();
    assert_eq!(sign_on(&other, "Carol Smith", "/media").await.status, 303);
    assert_eq!(who(&other).await, "carol-smith");
    assert_eq!(s.app.accounts.count().await.unwrap(), accounts);
    // Its password is nobody's.
    assert_eq!(s.client().sign_in("carol-smith", &password_of("carol-smith")).await.status, 401);

    // A person whose name is an account's gets an account of their own, never that one.
    let third = s.client();
    assert_eq!(sign_on(&third, "dave", "/media").await.status, 303);
    assert_eq!(who(&third).await, "dave-2");
    let dave = s.app.accounts.by_username("dave").await.unwrap();
    assert!(s.app.accounts.sign_ons(dave.id).await.unwrap().is_empty());
    // Roles and quotas are kept here: the accounts page says nothing of the provider's.
    let (root, _) = s.signed_in("root", Role::Admin).await;
    let page = root.get("/admin/users").await.body;
    assert!(page.contains("<h1>Accounts</h1>") && !page.contains("id=\"from-provider\""), "{page}");
}

async fn an_unlinked_person_is_linked_by_a_password_sign_in(env: TestEnv) {
    let (s, _provider) = start(env, false).await;
    let erin = s.account("erin", Role::User).await;
    let accounts = s.app.accounts.count().await.unwrap();
    let c = s.client();
    let refused = sign_on(&c, "erin.at.acme", "/media").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let flash = refused.body.split("role=\"alert\">").nth(1).unwrap_or_default().split('<').next().unwrap();
    assert!(flash.starts_with("No account here is linked to erin.at.acme at Acme ID."), "{flash}");
    assert!(refused.body.contains("<span>Link <strong>erin.at.acme</strong> at Acme ID to my account"));
    assert_eq!(s.app.accounts.count().await.unwrap(), accounts, "no account made");
    let failed = audit(&s, AuditAction::SignIn).await;
    assert_eq!((failed[0].outcome.as_str(), failed[0].subject.as_deref()), ("failed", Some("erin.at.acme")));

    // Signing in with the password from that page links the person.
    assert!(refused.body.contains("<input type=\"checkbox\" name=\"link_sign_on\" value=\"1\">"));
    let password = password_of("erin");
    let csrf = refused.csrf();
    let form =
        [("csrf_token", csrf.as_str()), ("link_sign_on", "1"), ("username", "erin"), ("password", &password)];
    let signed = c.post_raw("/signin", &form).await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    let tokens = c.get("/tokens").await;
    assert!(tokens.body.contains("Linked: from now on you can sign in with Acme ID as erin.at.acme."));
    assert!(tokens.body.contains("<span class=\"confirm-name\">erin.at.acme</span>"), "{}", tokens.body);
    assert_eq!(audit(&s, AuditAction::LinkSignOn).await[0].detail.as_deref(), Some("as erin.at.acme"));

    // From then on the provider signs in to erin's account.
    let other = s.client();
    assert_eq!(sign_on(&other, "erin.at.acme", "/media").await.status, 303);
    assert_eq!(who(&other).await, "erin");
    let links = s.app.accounts.sign_ons(erin).await.unwrap();
    assert!(links[0].last_used_at.is_some());

    // A password sign-in without the box ticked links nothing; nor, ten minutes on, with it.
    let late = s.client();
    assert_eq!(sign_on(&late, "late.at.acme", "/media").await.status, 403);
    s.clock.advance(601);
    assert!(!late.get("/signin").await.body.contains("id=\"linking\""), "no longer offered");
    let csrf = late.get("/signin").await.csrf();
    let form =
        [("csrf_token", csrf.as_str()), ("link_sign_on", "1"), ("username", "erin"), ("password", &password)];
    assert_eq!(late.post_raw("/signin", &form).await.status, 303);
    assert_eq!(s.app.accounts.sign_ons(erin).await.unwrap().len(), 1, "only erin.at.acme");
    let third = s.client();
    assert_eq!(sign_on(&third, "someone-else", "/media").await.status, 403);
    assert_eq!(third.sign_in("erin", &password).await.status, 303);
    assert_eq!(s.app.accounts.sign_ons(erin).await.unwrap().len(), 1);
}

async fn an_account_links_and_unlinks_from_the_tokens_page(env: TestEnv) {
    let (s, _provider) = start(env, false).await;
    let (frank, frank_id) = s.signed_in("frank", Role::User).await;
    let page = frank.get("/tokens").await;
    assert!(
        page.body.contains("<h2 id=\"sign-on\">Single sign-on</h2>") && page.body.contains("Not linked.")
    );
    assert!(
        page.body.contains("id=\"link-sign-on\" href=\"/tokens/sign-on?csrf_token="),
        "a link, not a form"
    );
    let csrf = page.csrf();
    let away = frank.get(&format!("/tokens/sign-on?csrf_token={csrf}")).await;
    assert_eq!(away.status, 303);
    let AtProvider::Back(back) = at_provider(&frank, away.location(), "f.acme", false).await else {
        panic!("the provider sends frank back")
    };
    let done = frank.get(&back).await;
    assert_eq!((done.status, done.location()), (303, "/tokens#sign-on"));
    let page = frank.get("/tokens").await;
    assert!(page.body.contains("<span class=\"confirm-name\">f.acme</span>"), "{}", page.body);
    assert!(page.body.contains("Link another Acme ID sign-in"));

    // Another account cannot take the same person, nor unlink frank's link.
    let (grace, _) = s.signed_in("grace", Role::Admin).await;
    let csrf = grace.get("/tokens").await.csrf();
    let away = grace.get(&format!("/tokens/sign-on?csrf_token={csrf}")).await;
    let AtProvider::Back(back) = at_provider(&grace, away.location(), "f.acme", false).await else {
        panic!("the provider sends grace back")
    };
    assert_eq!(grace.get(&back).await.location(), "/tokens#sign-on");
    let page = grace.get("/tokens").await;
    assert!(page.body.contains("f.acme at the sign-on provider is already linked to another account"));
    assert!(page.body.contains("Not linked."));
    let link = s.app.accounts.sign_ons(frank_id).await.unwrap()[0].id;
    let csrf = page.csrf();
    let theirs = grace.post_raw(&format!("/tokens/sign-on/{link}/unlink"), &[("csrf_token", &csrf)]).await;
    assert_eq!(theirs.status, 404);
    assert_eq!(s.app.accounts.sign_ons(frank_id).await.unwrap().len(), 1);

    // Frank unlinks it: the person signs in to nothing any more.
    let csrf = frank.get("/tokens").await.csrf();
    let gone = frank.post_raw(&format!("/tokens/sign-on/{link}/unlink"), &[("csrf_token", &csrf)]).await;
    assert_eq!((gone.status, gone.location()), (303, "/tokens#sign-on"));
    assert!(frank.get("/tokens").await.body.contains("Unlinked: f.acme no longer signs in to this account."));
    assert_eq!(audit(&s, AuditAction::UnlinkSignOn).await[0].actor.as_deref(), Some("frank"));
    assert_eq!(sign_on(&s.client(), "f.acme", "/media").await.status, 403);
    // An admin sees who an account signs on as, and unlinks them all.
    let csrf = frank.get("/tokens").await.csrf();
    let away = frank.get(&format!("/tokens/sign-on?csrf_token={csrf}")).await;
    let AtProvider::Back(back) = at_provider(&frank, away.location(), "f.acme", false).await else {
        panic!("the provider sends frank back")
    };
    assert_eq!(frank.get(&back).await.location(), "/tokens#sign-on");
    let accounts = grace.get("/admin/users").await;
    assert!(accounts.body.contains("<small>signs on as f.acme</small>"), "{}", accounts.body);
    let csrf = accounts.csrf();
    let unlinked =
        grace.post_raw(&format!("/admin/users/{frank_id}/sign-on/unlink"), &[("csrf_token", &csrf)]).await;
    assert_eq!(unlinked.status, 303);
    assert!(grace.get("/admin/users").await.body.contains("frank no longer signs on through the provider."));
    assert!(s.app.accounts.sign_ons(frank_id).await.unwrap().is_empty());
    let by_admin = audit(&s, AuditAction::UnlinkSignOn).await;
    assert_eq!((by_admin[0].actor.as_deref(), by_admin[0].detail.as_deref()), (Some("grace"), Some("all 1")));
    let (user, _) = s.signed_in("hal", Role::Staff).await;
    let csrf = user.get("/media").await.csrf();
    let refused =
        user.post_raw(&format!("/admin/users/{frank_id}/sign-on/unlink"), &[("csrf_token", &csrf)]).await;
    assert_eq!(refused.status, 403, "only admins");

    // Without a form token, no link is started.
    assert_eq!(frank.get("/tokens/sign-on?csrf_token=forged").await.status, 403);
    assert_eq!(frank.get("/tokens/sign-on").await.status, 400, "no token at all");
}

async fn passwords_can_be_turned_off(env: TestEnv) {
    let mut provider = OidcProvider::reserve();
    let config = provider.config(false);
    let s = env
        .start_server_configured(|w| {
            w.sign_on = Some(provider_of(config));
            w.password_sign_in = false;
        })
        .await;
    provider.start(&s.base).await;
    let nina = s.account("nina", Role::Admin).await;
    let c = s.client();
    let page = c.get("/signin").await;
    assert!(page.body.contains("Sign in with Acme ID"));
    assert!(!page.body.contains("name=\"password\"") && !page.body.contains("or with a password"));

    // Nobody linked: the page says to ask an admin, and offers no password.
    let unlinked = sign_on(&c, "nina.acme", "/media").await;
    assert_eq!(unlinked.status, 403);
    let says = "No account here is linked to nina.acme at Acme ID. Ask an admin for an account.";
    assert!(unlinked.body.contains(says), "{}", unlinked.body);
    assert!(!unlinked.body.contains("id=\"linking\"") && !unlinked.body.contains("name=\"password\""));

    // Linked (as from the Tokens page while passwords were on), the provider lets nina in.
    let account = s.app.accounts.by_id(nina).await.unwrap();
    let person = Person {
        issuer: provider.issuer.clone(),
        subject: "nina.acme".into(),
        known_as: "nina.acme".into(),
        role: None,
        quota: None,
    };
    s.app.accounts.link_sign_on(&account, &person).await.unwrap();
    assert_eq!(sign_on(&c, "nina.acme", "/media").await.location(), "/media");
    assert_eq!(who(&c).await, "nina");

    // nina's right password, with a good form token, is refused before it is checked.
    let signins = audit(&s, AuditAction::SignIn).await.len();
    let csrf = c.get("/media").await.csrf();
    let other = s.client();
    let form = [("csrf_token", csrf.as_str()), ("username", "nina"), ("password", &password_of("nina"))];
    let refused = c.post_raw("/signin", &form).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("Passwords are turned off here: sign in with Acme ID."));
    assert_eq!(audit(&s, AuditAction::SignIn).await.len(), signins, "no password was checked");

    // The provider gone: no "or sign in with your password" either.
    let back = go_to_provider(&other, "/signin/sso", "nina.acme").await;
    provider.stop();
    let down = other.get(&back).await;
    assert_eq!(down.status, 503);
    assert!(down.body.contains("Acme ID could not be reached. Try again shortly."), "{}", down.body);
}

/// With automatic sign-in the sign-in page sends a browser straight on to the provider, but
/// stays when asked for itself (the way to the password form), when a person waits to be
/// linked by a password, and right after signing out (saying so).
async fn automatic_sign_in_goes_straight_to_the_provider(env: TestEnv) {
    let mut provider = OidcProvider::reserve();
    let mut config = provider.config(false);
    config.auto_sign_in = true;
    let s = env.start_server_configured(|w| w.sign_on = Some(provider_of(config))).await;
    provider.start(&s.base).await;
    s.account("erin", Role::User).await;
    let c = s.client();
    let away = c.get("/signin?next=/media/system").await;
    assert_eq!((away.status, away.location()), (303, "/signin/sso?next=%2Fmedia%2Fsystem"));
    assert_eq!(c.get("/media").await.location(), "/signin?next=%2Fmedia", "a page signed out goes there");
    let page = c.get("/signin?manual").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("name=\"password\"") && page.body.contains("Sign in with Acme ID"));

    // Nobody is linked to erin.at.acme yet: the page that offers linking stays on reload.
    assert_eq!(sign_on(&c, "erin.at.acme", "/media").await.status, 403);
    let again = c.get("/signin").await;
    assert_eq!(again.status, 200);
    assert!(again.body.contains("id=\"linking\""), "{}", again.body);
    let csrf = again.csrf();
    let password = password_of("erin");
    let form =
        [("csrf_token", csrf.as_str()), ("link_sign_on", "1"), ("username", "erin"), ("password", &password)];
    assert_eq!(c.post_raw("/signin", &form).await.status, 303);
    assert_eq!(c.get("/signin").await.location(), "/media", "signed in: on");

    // Signed out (here by a password's session): the page says so and stays, once.
    let csrf = c.get("/media").await.csrf();
    assert_eq!(c.post_raw("/signout", &[("csrf_token", &csrf)]).await.location(), "/signin");
    let out = c.get("/signin").await;
    assert_eq!(out.status, 200);
    assert!(out.body.contains("Signed out. To sign in again, choose Sign in with Acme ID."), "{}", out.body);
    assert_eq!(c.get("/media").await.status, 303, "signed out");
    assert_eq!(c.get("/signin").await.location(), "/signin/sso?next=%2Fmedia");

    // Signed on through the provider and out again: the page that sends the browser to the
    // provider's end-session address, and back on the sign-in page the message.
    assert_eq!(sign_on(&c, "erin.at.acme", "/media").await.status, 303);
    let csrf = c.get("/media").await.csrf();
    let out = c.post_raw("/signout", &[("csrf_token", &csrf)]).await;
    assert_eq!(out.status, 200, "{}", out.body);
    assert!(out.body.contains("id=\"sign-out-there\""), "{}", out.body);
    let back = c.get("/signin").await;
    assert!(back.body.contains("Signed out. To sign in again"), "{}", back.body);
}

async fn refused_and_broken_sign_ons_change_nothing(env: TestEnv) {
    let (s, _provider) = start(env, true).await;
    let accounts = s.app.accounts.count().await.unwrap();
    let c = s.client();

    // An answer for a sign-on this browser never started (or already used).
    let stray = c.get("/signin/sso/done?code=abc&state=xyz").await;
    assert_eq!(stray.status, 400);
    assert!(stray.body.contains("for a sign-in this browser did not start, or has already used"));
    let back = go_to_provider(&c, "/signin/sso", "henry").await;
    let forged = back.replace("state=", "state=x");
    assert_eq!(c.get(&forged).await.status, 400, "another state");
    assert_eq!(c.get(&back).await.status, 400, "the sign-on it was for was used up by the forged answer");
    let back = go_to_provider(&c, "/signin/sso", "henry").await;
    assert_eq!(c.get(&back).await.status, 303);
    let again = s.client();
    let replayed = again.get(&back).await;
    assert_eq!(replayed.status, 400, "a code replayed in another browser");

    // Cancelled at the provider.
    let d = s.client();
    let away = d.get("/signin/sso").await;
    let AtProvider::Back(back) = at_provider(&d, away.location(), "", true).await else {
        panic!("sent back")
    };
    let cancelled = d.get(&back).await;
    assert_eq!(cancelled.status, 401, "{}", cancelled.body);
    let flash = cancelled.body.split("role=\"alert\">").nth(1).unwrap_or_default().split('<').next().unwrap();
    assert_eq!(flash, "Acme ID did not sign you in: it answered “End-User aborted interaction”.");
    assert!(cancelled.body.contains("<form method=\"post\" action=\"/signin\""), "the page to try again");

    // A disabled account's person is refused.
    let henry = s.app.accounts.by_username("henry").await.unwrap();
    s.app.accounts.set_disabled(None, henry.id, true).await.unwrap();
    let refused = sign_on(&s.client(), "henry", "/media").await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("This account is disabled."));
    assert_eq!(s.app.accounts.count().await.unwrap(), accounts + 1, "henry only");
}

async fn a_provider_that_is_down_or_a_database_that_fails_changes_nothing(env: TestEnv) {
    let (s, mut provider) = start(env, true).await;
    let c = s.client();
    let accounts = s.app.accounts.count().await.unwrap();

    // The database fails while making the account: no account, no link, a clear page.
    for table in ["sign_ons", "audit_log"] {
        s.env.inject_db_failure(table, "INSERT").await;
        let failed = sign_on(&c, "ivy", "/media").await;
        s.env.clear_db_failure(table, "INSERT").await;
        assert_eq!(failed.status, 503, "{table}: {}", failed.body);
        assert_eq!(s.app.accounts.count().await.unwrap(), accounts, "{table}");
        assert_eq!(s.env.count_rows("sign_ons").await, 0, "{table}");
    }
    assert_eq!(sign_on(&c, "ivy", "/media").await.status, 303, "and then it works");

    // The database fails while a password sign-in links a person: signed in, nothing linked.
    let (mia, mia_id) = s.signed_in("mia", Role::User).await;
    let csrf = mia.get("/tokens").await.csrf();
    let away = mia.get(&format!("/tokens/sign-on?csrf_token={csrf}")).await;
    let AtProvider::Back(back) = at_provider(&mia, away.location(), "mia.acme", false).await else {
        panic!("the provider sends mia back")
    };
    s.env.inject_db_failure("sign_ons", "INSERT").await;
    let failed = mia.get(&back).await;
    s.env.clear_db_failure("sign_ons", "INSERT").await;
    assert_eq!((failed.status, failed.location()), (303, "/tokens#sign-on"));
    let page = mia.get("/tokens").await;
    assert!(
        page.body.contains("mia.acme could not be linked just now: nothing was linked."),
        "{}",
        page.body
    );
    assert!(s.app.accounts.sign_ons(mia_id).await.unwrap().is_empty());

    // A wrong client secret: the provider refuses to trade the code.
    let mut other = OidcProvider::reserve();
    let mut config = other.config(true);
    config.client_secret = "not-the-secret".into();
    let s2 = TestEnv::sqlite_local()
        .await
        .start_server_configured(|w| w.sign_on = Some(provider_of(config)))
        .await;
    other.start(&s2.base).await;
    let refused = sign_on(&s2.client(), "kim", "/media").await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert!(
        refused.body.contains("Acme ID did not sign you in: the provider refused the code: invalid_client")
    );
    assert!(matches!(s2.app.accounts.by_username("kim").await, Err(AuthError::NotFound)));

    // A provider that takes the secret only in the form is sent it there.
    let mut in_form = OidcProvider::reserve();
    in_form.auth_method = "client_secret_post";
    let config = in_form.config(true);
    let s3 = TestEnv::sqlite_local()
        .await
        .start_server_configured(|w| w.sign_on = Some(provider_of(config)))
        .await;
    in_form.start(&s3.base).await;
    let discovery = format!("{}/.well-known/openid-configuration", in_form.issuer);
    let metadata: serde_json::Value =
        serde_json::from_str(&reqwest::get(discovery).await.unwrap().text().await.unwrap()).unwrap();
    let methods = metadata["token_endpoint_auth_methods_supported"].clone();
    assert_eq!(methods, serde_json::json!(["client_secret_post"]));
    assert_eq!(sign_on(&s3.client(), "lou", "/media").await.status, 303);
    assert!(s3.app.accounts.by_username("lou").await.is_ok());

    // The provider goes away between sending the browser back and the code's exchange.
    let d = s.client();
    let back = go_to_provider(&d, "/signin/sso", "jack").await;
    provider.stop();
    let down = d.get(&back).await;
    assert_eq!(down.status, 503, "{}", down.body);
    assert!(
        down.body.contains("Acme ID could not be reached. Try again shortly, or sign in with your password.")
    );
    assert!(matches!(s.app.accounts.by_username("jack").await, Err(AuthError::NotFound)));

    // A provider that was never there: the sign-in page says so, with the password form.
    let nowhere = OidcProvider::reserve();
    let s4 = TestEnv::sqlite_local()
        .await
        .start_server_configured(|w| {
            w.sign_on = Some(provider_of(nowhere.config(true)));
        })
        .await;
    let page = s4.client().get("/signin/sso").await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(page.body.contains("could not be reached") && page.body.contains("name=\"password\""));
}

/// At the provider's pages in the browser: signs in as `login` by keyboard and consents, as far
/// as the provider asks (it remembers a person it signed in before), until back at `base`.
async fn through_provider(b: &Browser, base: &str, login: &str) {
    let enter = fantoccini::key::Key::Enter.to_string();
    let tab = fantoccini::key::Key::Tab.to_string();
    poll("back from the provider", PATIENCE, async || {
        let url = b.js("return location.href;").await.as_str().unwrap_or_default().to_owned();
        if url.starts_with(base) {
            return Ok(());
        }
        let prompt =
            b.js("const p = document.querySelector('input[name=prompt]'); return p ? p.value : '';").await;
        match prompt.as_str() {
            Some("login") => {
                b.js("document.querySelector('input[name=login]').focus(); return 0;").await;
                b.press(&format!("{login}{tab}anything{enter}")).await;
            }
            Some("consent") => {
                b.js("document.querySelector('button[type=submit]').focus(); return 0;").await;
                b.press(&enter).await;
            }
            _ => {}
        }
        Err(format!("at {url}"))
    })
    .await;
}

async fn browser_links_and_signs_on_by_keyboard_at_390_px(env: TestEnv) {
    let backend = env.backend;
    let (s, _provider) = start(env, false).await;
    s.account("lena", Role::User).await;
    let base = s.base.clone();
    let back_at = base.clone();
    let accounts = s.app.accounts.clone();
    Browser::run(backend, &base, |b| async move {
        let base = back_at;
        let enter = fantoccini::key::Key::Enter.to_string();
        let tab = fantoccini::key::Key::Tab.to_string();
        b.resize(390, 844).await;
        b.goto("/signin").await;
        b.assert_fits("the sign-in page fits at 390 px").await;
        b.js("document.querySelector('.sign-on a').focus(); return 0;").await;
        b.press(&enter).await;
        through_provider(&b, &base, "lena.acme").await;

        // Nobody is linked to lena.acme: the page says so and offers the password form.
        poll("the offer to link", PATIENCE, async || {
            let n = b.count("#linking").await;
            if n == 1 { Ok(()) } else { Err(format!("{n}")) }
        })
        .await;
        b.assert_fits("the offer fits at 390 px").await;
        b.screenshot("sign-on-link-390").await;
        b.js("document.getElementById('username').focus(); return 0;").await;
        b.press(&format!("lena{tab}{}{tab} {tab}", password_of("lena"))).await;
        let at = "return document.activeElement.textContent + ' ' \
            + document.querySelector('#linking input').checked;";
        assert_eq!(b.js(at).await, "Sign in true", "ticked by Space; the button next");
        b.press(&enter).await;
        b.wait_for_path("/media").await;
        b.wait_for_flash("Linked: from now on you can sign in with Acme ID as lena.acme.").await;

        b.goto("/tokens").await;
        b.assert_fits("the Tokens page with its sign-on fits at 390 px").await;
        let listed = "return [...document.querySelectorAll('#sign-on + p + ul .confirm-name')]\
            .map(e => e.textContent);";
        assert_eq!(b.js(listed).await, serde_json::json!(["lena.acme"]));
        let unlink =
            "return document.querySelector('form[action$=\"/unlink\"] button').getAttribute('aria-label');";
        assert_eq!(b.js(unlink).await, "Unlink lena.acme");

        // Signed out, the button alone signs lena in.
        b.js("document.querySelector('form.signout button').focus(); return 0;").await;
        b.press(&enter).await;
        b.wait_for_path("/signin").await;
        b.js("document.querySelector('.sign-on a').focus(); return 0;").await;
        b.press(&enter).await;
        through_provider(&b, &base, "lena.acme").await;
        b.wait_for_path("/media").await;
        let who = b.js("return document.querySelector('.who').textContent;").await;
        assert!(who.as_str().is_some_and(|w| w.starts_with("lena ")), "{who}");
        let lena = accounts.by_username("lena").await.unwrap();
        assert!(accounts.sign_ons(lena.id).await.unwrap()[0].last_used_at.is_some());

        // Signed in by the provider, signing out signs out there too (after its question):
        // the next sign-on asks for the login again.
        b.js("document.querySelector('form.signout button').focus(); return 0;").await;
        b.press(&enter).await;
        poll("the provider's sign-out question", PATIENCE, async || {
            let q = b.js("const f = document.getElementById('op.logoutForm'); return !!f;").await;
            if q == true { Ok(()) } else { Err(b.js("return location.href;").await.to_string()) }
        })
        .await;
        b.js("document.querySelector('button[name=logout]').focus(); return 0;").await;
        b.press(&enter).await;
        b.wait_for_path("/signin").await;
        b.js("document.querySelector('.sign-on a').focus(); return 0;").await;
        b.press(&enter).await;
        poll("the provider asks who it is", PATIENCE, async || {
            let p = b
                .js("const p = document.querySelector('input[name=prompt]'); return p ? p.value : '';")
                .await;
            if p == "login" { Ok(()) } else { Err(p.to_string()) }
        })
        .await;
        through_provider(&b, &base, "lena.acme").await;
        b.wait_for_path("/media").await;
    })
    .await;
}

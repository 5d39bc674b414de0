//! Back-channel logout from a real OpenID Connect provider (panva's oidc-provider): a person
//! who signs out there loses every session here at once, told server to server; logout
//! tokens that do not hold (their signature, issuer, audience, age, event, nonce, subject)
//! are refused with the standard's 400 and end nothing, on both backends.

use mediadesk::auth::Role;
use mediadesk::domain::AuditAction;
use serde_json::{Value, json};

use crate::common::oidc::{AtProvider, OidcProvider, TEST_KEY_ID, at_provider_in, es256, provider_browser};
use crate::common::server::TestServer;
use crate::common::*;
use crate::sign_on::{audit, provider_of, sign_on};

backend_tests!(
    the_provider_signs_a_person_out_over_the_back_channel,
    logout_tokens_that_do_not_hold_are_refused,
    without_single_sign_on_there_is_no_logout_address,
);

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

async fn start(env: TestEnv) -> (TestServer, OidcProvider) {
    let mut provider = OidcProvider::reserve();
    let config = provider.config(true);
    let s = env.start_server_configured(|w| w.sign_on = Some(provider_of(config))).await;
    provider.start(&s.base).await;
    (s, provider)
}

/// Posts a logout token as the provider does: its status and JSON answer.
async fn post_logout(s: &TestServer, token: Option<&str>) -> (u16, Value) {
    let form: Vec<(&str, &str)> = token.map(|t| vec![("logout_token", t)]).unwrap_or_default();
    let url = format!("{}/signin/sso/logout", s.base);
    let r = reqwest::Client::new().post(url).form(&form).send().await.unwrap();
    let status = r.status().as_u16();
    assert_eq!(r.headers()["cache-control"], "no-store");
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status} not JSON ({e}): {text}")))
}

async fn the_provider_signs_a_person_out_over_the_back_channel(env: TestEnv) {
    let (s, provider) = start(env).await;
    // olga signs on in a browser whose cookies at the provider are kept, and in another one.
    let at = provider_browser();
    let c = s.client();
    let away = c.get("/signin/sso?next=/media").await;
    let AtProvider::Back(back) = at_provider_in(&at, &c, away.location(), "olga", false).await else {
        panic!("the provider sent the browser back")
    };
    assert_eq!(c.get(&back).await.status, 303);
    assert_eq!(c.get("/media").await.status, 200);
    let other = s.client();
    assert_eq!(sign_on(&other, "olga", "/media").await.status, 303);
    let (pete, _) = s.signed_in("pete", Role::User).await;

    // She signs out at the provider, which tells the app before it answers her.
    let end = format!("{}/session/end?client_id=mediadesk", provider.issuer);
    let question = at.get(&end).send().await.unwrap().text().await.unwrap();
    let form = question.split("action=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let xsrf = question.split("name=\"xsrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let form = reqwest::Url::parse(&provider.issuer).unwrap().join(&form).unwrap();
    let done = at.post(form).form(&[("xsrf", xsrf.as_str()), ("logout", "yes")]).send().await.unwrap();
    assert!(done.status().is_redirection() || done.status().is_success(), "{}", done.status());
    assert_eq!(c.get("/media").await.status, 303, "signed out here too");
    assert_eq!(other.get("/media").await.status, 303, "in every browser");
    assert_eq!(pete.get("/media").await.status, 200, "nobody else");
    let out = audit(&s, AuditAction::SignOut).await;
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!((out[0].subject.as_deref(), out[0].actor.as_deref()), (Some("olga"), None));
    assert_eq!(out[0].detail.as_deref(), Some("signed out at the sign-on provider as olga"));
    // She signs on again: a new session works.
    assert_eq!(sign_on(&c, "olga", "/media").await.status, 303);
    assert_eq!(c.get("/media").await.status, 200);
}

async fn logout_tokens_that_do_not_hold_are_refused(env: TestEnv) {
    let (s, provider) = start(env).await;
    let c = s.client();
    assert_eq!(sign_on(&c, "olga", "/media").await.status, 303);
    let now = chrono::Utc::now().timestamp();
    let good = json!({
        "iss": provider.issuer, "aud": "mediadesk", "iat": now, "jti": "a1", "sub": "olga",
        "events": {EVENT: {}}
    });
    let with = |change: &dyn Fn(&mut Value)| {
        let mut claims = good.clone();
        change(&mut claims);
        provider.sign(&claims)
    };
    let b64 = |v: &Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let unsigned = format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&good));
    let hmac = format!("{}.{}.c2lnbmF0dXJl", b64(&json!({"alg": "HS256"})), b64(&good));
    let stranger = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    // A token the provider signed, its subject changed afterwards.
    let tampered = {
        let token = provider.sign(&good);
        let mut claims = good.clone();
        claims["sub"] = json!("pete");
        let body = b64(&claims);
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[1] = &body;
        parts.join(".")
    };
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "no logout_token"),
        (Some("abc".into()), "three parts"),
        (Some("a.b.c".into()), "not base64url"),
        (Some(unsigned), "not signed with the provider's public keys"),
        (Some(hmac), "not signed with the provider's public keys"),
        (Some(es256(&stranger, TEST_KEY_ID, &good)), "no key of the provider's verifies its signature"),
        (Some(tampered), "no key of the provider's verifies its signature"),
        (Some(with(&|c| c["iss"] = json!("https://id.example.org"))), "not this deployment's provider"),
        (Some(with(&|c| c["aud"] = json!(["another-app"]))), "issued to another client"),
        (Some(with(&|c| c["iat"] = json!(now - 3600))), "issued too long ago, or in the future"),
        (Some(with(&|c| c["iat"] = json!(now + 3600))), "issued too long ago, or in the future"),
        (Some(with(&|c| c["exp"] = json!(now - 600))), "expired"),
        (Some(with(&|c| c["events"] = json!({}))), "no back-channel logout event"),
        (Some(with(&|c| c["nonce"] = json!("n-0S6_WzA2Mj"))), "it carries a nonce"),
        (Some(with(&|c| drop(c.as_object_mut().unwrap().remove("jti")))), "no token id (jti)"),
        (
            Some(with(&|c| {
                c.as_object_mut().unwrap().remove("sub");
                c["sid"] = json!("08a5019c-17e1-4977-8f42-65a12843ea02");
            })),
            "it names no subject (sub)",
        ),
    ];
    for (token, says) in cases {
        let (status, body) = post_logout(&s, token.as_deref()).await;
        assert_eq!(status, 400, "{says}: {body}");
        assert_eq!(body["error"], "invalid_request");
        let why = body["error_description"].as_str().unwrap();
        assert!(why.contains(says), "{says}: {why}");
        assert_eq!(c.get("/media").await.status, 200, "{says}: her session stands");
    }
    assert!(audit(&s, AuditAction::SignOut).await.is_empty(), "nobody signed out");

    // Somebody nobody here is linked to: done, and nothing ends.
    let zed = with(&|c| {
        c["sub"] = json!("zed");
        c["jti"] = json!("z1");
    });
    let (status, _) = post_logout(&s, Some(&zed)).await;
    assert_eq!(status, 200);
    assert_eq!(c.get("/media").await.status, 200);
    // The database fails writing the audit row: an error for the provider to retry, and her
    // session stands (the epoch's change went back with the row).
    s.env.inject_db_failure("audit_log", "INSERT").await;
    let r = reqwest::Client::new()
        .post(format!("{}/signin/sso/logout", s.base))
        .form(&[("logout_token", provider.sign(&good))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503, "the database failed: try again");
    s.env.clear_db_failure("audit_log", "INSERT").await;
    assert_eq!(c.get("/media").await.status, 200, "nothing half done");
    // A token that holds, with the audience in a list — the one that failed, as the provider
    // retries it: her session ends.
    let retried = with(&|c| c["aud"] = json!(["other", "mediadesk"]));
    let (status, body) = post_logout(&s, Some(&retried)).await;
    assert_eq!((status, body), (200, json!({})));
    assert_eq!(c.get("/media").await.status, 303);
    assert_eq!(audit(&s, AuditAction::SignOut).await.len(), 1);
    // Sent again (copied off the wire, say) once she signed on anew: refused, her new session
    // stands.
    assert_eq!(sign_on(&c, "olga", "/media").await.status, 303);
    for replayed in [retried, zed] {
        let (status, body) = post_logout(&s, Some(&replayed)).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["error_description"].as_str().unwrap().contains("already received (jti "), "{body}");
    }
    assert_eq!(c.get("/media").await.status, 200, "the new session stands");
    assert_eq!(audit(&s, AuditAction::SignOut).await.len(), 1);
}

async fn without_single_sign_on_there_is_no_logout_address(env: TestEnv) {
    let s = env.start_server().await;
    let url = format!("{}/signin/sso/logout", s.base);
    let r = reqwest::Client::new().post(url).form(&[("logout_token", "a.b.c")]).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

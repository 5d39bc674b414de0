//! What the sign-on provider says about a person, through a real OpenID Connect provider on
//! both backends: the role their groups name and the quota a claim sets, at creation and at
//! every sign-on, read from the ID token or else the userinfo answer; a claim missing,
//! unreadable or unreachable changes nobody, and the accounts page says what the provider sets.

use mediadesk::auth::Role;
use mediadesk::auth::oidc::GroupRoles;
use mediadesk::domain::{AuditAction, Quota};

use crate::common::oidc::OidcProvider;
use crate::common::*;
use crate::sign_on::{audit, provider_of, sign_on};

backend_tests!(
    roles_follow_the_providers_groups,
    quotas_follow_the_providers_claim,
    claims_only_in_userinfo_are_read_there,
    a_failing_userinfo_changes_nothing,
    groups_found_at_a_path,
    groups_found_as_an_objects_keys,
);

async fn roles_follow_the_providers_groups(env: TestEnv) {
    let mut provider = OidcProvider::reserve();
    let mut config = provider.config(true);
    config.roles = Some(GroupRoles {
        claim: "groups".into(),
        admin: vec!["media-admins".into()],
        staff: vec!["media-staff".into(), "editors".into()],
    });
    let s = env.start_server_configured(|w| w.sign_on = Some(provider_of(config))).await;
    provider.start(&s.base).await;
    let role_of = async |name: &str| s.app.accounts.by_username(name).await.unwrap().role;
    provider.set_groups(r#"{"olga": ["everyone", "media-admins"], "pete": ["editors"], "quinn": []}"#);
    for name in ["olga", "pete", "quinn", "ruth"] {
        assert_eq!(sign_on(&s.client(), name, "/media").await.status, 303, "{name}");
    }
    assert_eq!(role_of("olga").await, Role::Admin, "a new account gets its groups' role");
    assert_eq!(role_of("pete").await, Role::Staff);
    assert_eq!(role_of("quinn").await, Role::User, "in no group named");
    assert_eq!(role_of("ruth").await, Role::User, "no groups claim");
    let made = audit(&s, AuditAction::CreateAccount).await;
    assert!(made.iter().any(|e| e.detail.as_deref() == Some("role admin, by single sign-on as olga")));

    // The groups change at the provider: the next sign-in changes the role, and says so.
    provider.set_groups(r#"{"olga": ["everyone"], "pete": ["media-admins"], "quinn": ["media-staff"]}"#);
    let pete = s.client();
    assert_eq!(sign_on(&pete, "pete", "/media").await.status, 303);
    assert_eq!(role_of("pete").await, Role::Admin);
    assert_eq!(pete.get("/admin/users").await.status, 200, "at once");
    assert_eq!(sign_on(&s.client(), "quinn", "/media").await.status, 303);
    assert_eq!(role_of("quinn").await, Role::Staff);
    let changed = audit(&s, AuditAction::Role).await;
    assert_eq!(changed[0].subject.as_deref(), Some("quinn"));
    assert_eq!(changed[0].detail.as_deref(), Some("user → staff, from the provider's groups"));
    assert_eq!((changed[0].actor.as_deref(), changed[0].outcome.as_str()), (None, "ok"));
    assert_eq!(sign_on(&s.client(), "olga", "/media").await.status, 303);
    assert_eq!(role_of("olga").await, Role::User, "out of the admins' group, out of admin");

    // The last active admin is not demoted by a group change; a missing claim changes nobody.
    provider.set_groups(r#"{"pete": []}"#);
    assert_eq!(sign_on(&s.client(), "pete", "/media").await.status, 303);
    assert_eq!(role_of("pete").await, Role::Admin);
    let kept = audit(&s, AuditAction::Role).await;
    assert_eq!(kept[0].outcome, "failed");
    assert_eq!(
        kept[0].detail.as_deref(),
        Some("admin → user, from the provider's groups: kept, the last active admin")
    );
    assert_eq!(sign_on(&s.client(), "quinn", "/media").await.status, 303);
    assert_eq!(role_of("quinn").await, Role::Staff, "no groups claim: the role stays");
    // The accounts page says a role set there lasts until the next sign-on.
    let (root, _) = s.signed_in("root", Role::Admin).await;
    let page = root.get("/admin/users").await.body;
    let note = "For accounts linked to Acme ID, the role follows their groups there at each sign-on: \
                a change made here lasts until their next sign-on.";
    assert!(page.contains(note), "{page}");
}

/// With a quota claim configured, every sign-on gives the account the quota the claim names
/// (in words, or a number of GiB), over what an admin set; a claim missing or unreadable
/// changes nothing, and the same quota again writes no audit row.
async fn quotas_follow_the_providers_claim(env: TestEnv) {
    let mut provider = OidcProvider::reserve();
    let mut config = provider.config(true);
    config.quota_claim = Some("mediadesk_quota".into());
    let s = env.start_server_configured(|w| w.sign_on = Some(provider_of(config))).await;
    provider.start(&s.base).await;
    let quota_of = async |name: &str| s.app.accounts.by_username(name).await.unwrap().quota;
    provider.set_groups(
        r#"{"olga": {"mediadesk_quota": "5 GiB"}, "pete": {"mediadesk_quota": 2.5},
            "quinn": {"mediadesk_quota": "lots"}, "ruth": {"mediadesk_quota": -1}}"#,
    );
    for name in ["olga", "pete", "quinn", "ruth", "sam"] {
        assert_eq!(sign_on(&s.client(), name, "/media").await.status, 303, "{name}");
    }
    assert_eq!(quota_of("olga").await, Quota::Bytes(5 << 30), "a new account gets the claim's quota");
    assert_eq!(quota_of("pete").await, Quota::Bytes(5 << 29), "a number is GiB");
    for name in ["quinn", "ruth", "sam"] {
        assert_eq!(quota_of(name).await, Quota::Default, "{name}: unreadable or no claim, the default");
    }
    let set = audit(&s, AuditAction::Quota).await;
    assert_eq!(set.len(), 2, "{set:?}");
    let olga = set.iter().find(|e| e.subject.as_deref() == Some("olga")).expect("olga's");
    assert_eq!(olga.detail.as_deref(), Some("default → 5368709120 bytes, from the provider's claim"));
    assert_eq!((olga.actor.as_deref(), olga.outcome.as_str()), (None, "ok"));

    // An admin's quota gives way to the claim at the next sign-on; without a readable claim
    // it stays; the same quota again changes nothing.
    for name in ["pete", "quinn"] {
        let id = s.app.accounts.by_username(name).await.unwrap().id;
        s.app.accounts.set_quota(None, id, Quota::Bytes(1 << 30)).await.unwrap();
    }
    provider.set_groups(
        r#"{"olga": {"mediadesk_quota": "unlimited"}, "pete": {"mediadesk_quota": 2.5},
            "quinn": {"mediadesk_quota": ["5 GiB"]}}"#,
    );
    for name in ["olga", "pete", "quinn"] {
        assert_eq!(sign_on(&s.client(), name, "/media").await.status, 303, "{name}");
    }
    assert_eq!(quota_of("olga").await, Quota::Unlimited);
    assert_eq!(quota_of("pete").await, Quota::Bytes(5 << 29), "the provider's, over the admin's");
    assert_eq!(quota_of("quinn").await, Quota::Bytes(1 << 30), "a list is no quota: the admin's stays");
    let rows = audit(&s, AuditAction::Quota).await.len();
    assert_eq!(sign_on(&s.client(), "pete", "/media").await.status, 303);
    assert_eq!(audit(&s, AuditAction::Quota).await.len(), rows, "the same quota again: no row");
    // The person sees the provider's quota at once.
    let pete = s.client();
    assert_eq!(sign_on(&pete, "pete", "/media").await.status, 303);
    let upload = pete.get("/upload").await;
    assert!(upload.body.contains("of 2.5 GiB"), "{}", upload.body);
    let (root, _) = s.signed_in("root", Role::Admin).await;
    let page = root.get("/admin/users").await.body;
    assert!(page.contains("Acme ID, the quota follows their quota claim there at each sign-on"), "{page}");
}

/// A provider that puts groups and quota only in its userinfo answer (Authelia's default) is
/// asked there.
async fn claims_only_in_userinfo_are_read_there(env: TestEnv) {
    let olga = olga_signs_on_with_claims_in(env, "userinfo").await;
    assert_eq!((olga.role, olga.quota), (Role::Admin, Quota::Bytes(5 << 30)), "read from userinfo");
}

/// A provider whose userinfo endpoint fails still lets the person in, and changes nobody's
/// role or quota.
async fn a_failing_userinfo_changes_nothing(env: TestEnv) {
    let olga = olga_signs_on_with_claims_in(env, "broken-userinfo").await;
    assert_eq!((olga.role, olga.quota), (Role::User, Quota::Default), "nothing to read");
}

/// A new account for olga, whose groups name her admin and whose quota claim says 5 GiB, from a
/// provider that puts those claims `claims_in`.
async fn olga_signs_on_with_claims_in(env: TestEnv, claims_in: &'static str) -> mediadesk::auth::Account {
    let mut provider = OidcProvider::reserve();
    provider.claims_in = claims_in;
    let mut config = provider.config(true);
    config.roles =
        Some(GroupRoles { claim: "groups".into(), admin: vec!["media-admins".into()], staff: Vec::new() });
    config.quota_claim = Some("mediadesk_quota".into());
    let s = env.start_server_configured(|w| w.sign_on = Some(provider_of(config))).await;
    provider.start(&s.base).await;
    provider.set_groups(r#"{"olga": {"groups": ["media-admins"], "mediadesk_quota": "5 GiB"}}"#);
    assert_eq!(sign_on(&s.client(), "olga", "/media").await.status, 303);
    s.app.accounts.by_username("olga").await.unwrap()
}

/// Keycloak's roles at a path inside an object (`realm_access.roles`) name groups as a list
/// does.
async fn groups_found_at_a_path(env: TestEnv) {
    let mut provider = OidcProvider::reserve();
    let mut config = provider.config(true);
    config.roles = Some(GroupRoles {
        claim: "realm_access.roles".into(),
        admin: vec!["media-admins".into()],
        staff: vec!["media-staff".into()],
    });
    let s = env.start_server_configured(|w| w.sign_on = Some(provider_of(config))).await;
    provider.start(&s.base).await;
    provider.set_groups(
        r#"{"olga": {"realm_access": {"roles": ["offline_access", "media-admins"]}},
            "pete": {"realm_access": {"roles": ["media-staff"]}},
            "quinn": {"realm_access": {}}}"#,
    );
    for name in ["olga", "pete", "quinn"] {
        assert_eq!(sign_on(&s.client(), name, "/media").await.status, 303, "{name}");
    }
    let role_of = async |name: &str| s.app.accounts.by_username(name).await.unwrap().role;
    assert_eq!(role_of("olga").await, Role::Admin);
    assert_eq!(role_of("pete").await, Role::Staff);
    assert_eq!(role_of("quinn").await, Role::User, "nothing at the path: a new account's role");
}

/// Zitadel's roles claim, an object whose keys are the roles, names groups by its keys.
async fn groups_found_as_an_objects_keys(env: TestEnv) {
    let mut provider = OidcProvider::reserve();
    let mut config = provider.config(true);
    let claim = "urn:zitadel:iam:org:project:roles";
    config.roles = Some(GroupRoles { claim: claim.into(), admin: vec!["admin".into()], staff: Vec::new() });
    let s = env.start_server_configured(|w| w.sign_on = Some(provider_of(config))).await;
    provider.start(&s.base).await;
    let roles = serde_json::json!({"rita": {claim: {"admin": {"2937": "acme.zitadel.cloud"}}}});
    provider.set_groups(&roles.to_string());
    assert_eq!(sign_on(&s.client(), "rita", "/media").await.status, 303);
    assert_eq!(s.app.accounts.by_username("rita").await.unwrap().role, Role::Admin);
}

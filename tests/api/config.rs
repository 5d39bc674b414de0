//! Configuration from the environment: embedded defaults, switches, clear one-line errors.

use std::collections::HashMap;

use mediadesk::auth::Role;
use mediadesk::config::{Config, StorageConfig, redact_url};

fn config(vars: &[(&str, &str)]) -> Result<Config, String> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    Config::from_lookup(|k| map.get(k).cloned()).map_err(|e| e.to_string())
}

#[test]
fn nothing_set_means_sqlite_and_a_local_folder_under_data() {
    let c = config(&[]).unwrap();
    assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(c.database_url, "./data/mediadesk.db");
    assert!(matches!(&c.storage, StorageConfig::Local { root } if root.ends_with("data/objects")));
    assert_eq!(c.max_upload_bytes, 100 * 1024 * 1024);
    assert_eq!(c.url_ttl.as_secs(), 3600);
    assert!(!c.metrics && !c.trust_forwarded);
    assert_eq!(c.public_url, "http://127.0.0.1:8080");
    let token = ("MEDIADESK_METRICS_TOKEN", "0123456789abcdef");
    let with_token = config(&[("MEDIADESK_METRICS", "true"), token]).unwrap();
    assert!(with_token.metrics && with_token.metrics_token.as_deref() == Some(token.1));
    assert!(config(&[token]).unwrap().metrics, "a token alone switches them on");
    let bound = config(&[("MEDIADESK_METRICS_BIND", "127.0.0.1:9090")]).unwrap();
    assert!(bound.metrics && bound.metrics_bind.is_some_and(|a| a.port() == 9090));
    assert!(!c.s3_via_app && config(&[("MEDIADESK_S3_DELIVERY", "app")]).unwrap().s3_via_app);
    assert_eq!(c.shutdown_timeout.as_secs(), 30);
    assert_eq!((c.session_lifetime.as_secs(), c.session_idle.as_secs()), (12 * 3600, 2 * 3600));
    assert_eq!((c.body_idle.as_secs(), c.max_anonymous_per_address), (60, 32));
    let short =
        config(&[("MEDIADESK_SESSION_HOURS", "1"), ("MEDIADESK_SESSION_IDLE_MINUTES", "15")]).unwrap();
    assert_eq!((short.session_lifetime.as_secs(), short.session_idle.as_secs()), (3600, 900));
    assert_eq!((c.default_quota, c.audit_days), (None, 365));
    assert_eq!(config(&[("MEDIADESK_DEFAULT_QUOTA", "5 GiB")]).unwrap().default_quota, Some(5 << 30));
    assert_eq!(config(&[("MEDIADESK_DEFAULT_QUOTA", "unlimited")]).unwrap().default_quota, None);
}

/// Port 0 lets the system pick: links then name the port picked, unless a public URL was set.
#[test]
fn the_public_url_follows_the_port_the_system_picked() {
    let picked: std::net::SocketAddr = "127.0.0.1:41234".parse().unwrap();
    let mut c = config(&[("MEDIADESK_BIND", "127.0.0.1:0")]).unwrap();
    c.listening_on(picked);
    assert_eq!((c.bind, c.public_url.as_str()), (picked, "http://127.0.0.1:41234"));
    let mut set =
        config(&[("MEDIADESK_BIND", "127.0.0.1:0"), ("MEDIADESK_PUBLIC_URL", "https://media.example")])
            .unwrap();
    set.listening_on(picked);
    assert_eq!(set.public_url, "https://media.example", "a public URL set stays");
}

#[test]
fn the_data_dir_moves_both_defaults() {
    let c = config(&[("MEDIADESK_DATA_DIR", "/srv/md")]).unwrap();
    assert_eq!(c.database_url, "/srv/md/mediadesk.db");
    assert!(matches!(&c.storage, StorageConfig::Local { root } if root.to_str() == Some("/srv/md/objects")));
}

#[test]
fn postgres_and_s3_are_switched_on_by_their_variables() {
    let c = config(&[
        ("DATABASE_URL", "postgres://md:pw@db:5432/md"),
        ("MEDIADESK_S3_BUCKET", "media"),
        ("MEDIADESK_S3_ENDPOINT", "http://minio:9000"),
        ("AWS_REGION", "eu-central-1"),
        ("AWS_ACCESS_KEY_ID", "AKIA"),
        ("AWS_SECRET_ACCESS_KEY", "very-secret"),
    ])
    .unwrap();
    assert_eq!(mediadesk::db::Backend::from_url(&c.database_url), mediadesk::db::Backend::Postgres);
    let StorageConfig::S3(s3) = &c.storage else { panic!("S3 expected") };
    assert_eq!((s3.bucket.as_str(), s3.region.as_str(), s3.path_style), ("media", "eu-central-1", true));
    let shown = format!("{c:?}");
    assert!(!shown.contains("very-secret") && !shown.contains(":pw@"), "{shown}");
}

#[test]
fn bad_values_fail_with_the_variable_named() {
    for (vars, var) in [
        (vec![("MEDIADESK_BIND", "localhost")], "MEDIADESK_BIND"),
        (vec![("MEDIADESK_MAX_UPLOAD_BYTES", "lots")], "MEDIADESK_MAX_UPLOAD_BYTES"),
        (vec![("MEDIADESK_URL_TTL_SECS", "0")], "MEDIADESK_URL_TTL_SECS"),
        (vec![("DATABASE_URL", "mysql://x")], "DATABASE_URL"),
        (vec![("MEDIADESK_S3_BUCKET", "b")], "AWS_ACCESS_KEY_ID"),
        (vec![("MEDIADESK_S3_BUCKET", "b"), ("AWS_ACCESS_KEY_ID", "a")], "AWS_SECRET_ACCESS_KEY"),
        (
            vec![
                ("MEDIADESK_S3_BUCKET", "b"),
                ("AWS_ACCESS_KEY_ID", "a"),
                ("AWS_SECRET_ACCESS_KEY", "s"),
                ("MEDIADESK_S3_ENDPOINT", "minio:9000"),
            ],
            "MEDIADESK_S3_ENDPOINT",
        ),
        (vec![("MEDIADESK_URL_SIGNING_KEY", "short")], "MEDIADESK_URL_SIGNING_KEY"),
        (vec![("MEDIADESK_SESSION_KEY", "short")], "MEDIADESK_SESSION_KEY"),
        (vec![("MEDIADESK_PUBLIC_URL", "example.com")], "MEDIADESK_PUBLIC_URL"),
        (vec![("MEDIADESK_METRICS", "maybe")], "MEDIADESK_METRICS"),
        (vec![("MEDIADESK_METRICS", "true")], "MEDIADESK_METRICS"),
        (vec![("MEDIADESK_SESSION_HOURS", "0")], "MEDIADESK_SESSION_HOURS"),
        (vec![("MEDIADESK_BODY_IDLE_SECS", "0")], "MEDIADESK_BODY_IDLE_SECS"),
        (
            vec![("MEDIADESK_ANONYMOUS_REQUESTS_PER_ADDRESS", "lots")],
            "MEDIADESK_ANONYMOUS_REQUESTS_PER_ADDRESS",
        ),
        (vec![("MEDIADESK_SESSION_IDLE_MINUTES", "soon")], "MEDIADESK_SESSION_IDLE_MINUTES"),
        (vec![("MEDIADESK_METRICS_TOKEN", "short")], "MEDIADESK_METRICS_TOKEN"),
        (vec![("MEDIADESK_METRICS_BIND", "9090")], "MEDIADESK_METRICS_BIND"),
        (vec![("MEDIADESK_S3_DELIVERY", "cdn")], "MEDIADESK_S3_DELIVERY"),
        (vec![("MEDIADESK_DEFAULT_QUOTA", "lots")], "MEDIADESK_DEFAULT_QUOTA"),
        (vec![("MEDIADESK_AUDIT_DAYS", "0")], "MEDIADESK_AUDIT_DAYS"),
        (vec![("MEDIADESK_SHUTDOWN_TIMEOUT_SECS", "soon")], "MEDIADESK_SHUTDOWN_TIMEOUT_SECS"),
        (
            vec![
                ("MEDIADESK_S3_BUCKET", "b"),
                ("AWS_ACCESS_KEY_ID", "a"),
                ("AWS_SECRET_ACCESS_KEY", "s"),
                ("MEDIADESK_S3_PUBLIC_ENDPOINT", "s3.example.com"),
            ],
            "MEDIADESK_S3_PUBLIC_ENDPOINT",
        ),
    ] {
        let err = config(&vars).unwrap_err();
        assert!(err.starts_with(var) && !err.contains('\n'), "{err}");
    }
}

#[test]
fn passwords_are_redacted_from_database_urls() {
    assert_eq!(redact_url("postgres://md:s3cr3t@db:5432/md?sslmode=require"), "postgres://md:***@db:5432/md");
    assert_eq!(redact_url("postgres://db/md"), "postgres://db/md");
    assert_eq!(redact_url("postgres://db/md?password=s3@cr3t"), "postgres://db/md");
    assert_eq!(redact_url("./data/mediadesk.db"), "./data/mediadesk.db");
    assert_eq!(
        redact_url("postgres://md:s3cr3t@localhost/md?password=x&host=/run/postgresql"),
        "postgres://md:***@localhost/md (Unix socket in /run/postgresql)"
    );
}

#[test]
fn webhooks_need_a_url_and_a_strong_secret() {
    let secret = ("MEDIADESK_WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    let url = ("MEDIADESK_WEBHOOK_URL", "https://hooks.example.org/mediadesk");
    assert!(config(&[]).unwrap().webhook.is_none());
    let w = config(&[url, secret]).unwrap().webhook.expect("configured");
    assert_eq!((w.url.as_str(), w.key.len()), (url.1, 24));
    assert_eq!(w.actions.len(), 17, "what happens to media and collections, by default");
    let all = config(&[url, secret, ("MEDIADESK_WEBHOOK_EVENTS", "all")]).unwrap().webhook.unwrap();
    assert_eq!(all.actions.len(), mediadesk::domain::AuditAction::ALL.len());
    let some = config(&[url, secret, ("MEDIADESK_WEBHOOK_EVENTS", "upload, delete")]).unwrap();
    assert_eq!(some.webhook.unwrap().actions.len(), 2);
    for (vars, says) in [
        (vec![url], "MEDIADESK_WEBHOOK_SECRET: required with a webhook URL"),
        (vec![url, ("MEDIADESK_WEBHOOK_SECRET", "hunter2hunter2hunter2hunter2")], "whsec_"),
        (vec![url, ("MEDIADESK_WEBHOOK_SECRET", "whsec_c2hvcnQ=")], "at least 24 random bytes"),
        (vec![secret], "MEDIADESK_WEBHOOK_URL: a webhook secret is set but no URL"),
        (vec![("MEDIADESK_WEBHOOK_URL", "hooks.example.org"), secret], "must start with http"),
        (vec![url, secret, ("MEDIADESK_WEBHOOK_EVENTS", "upload,uplaod")], "not an audit action: \"uplaod\""),
    ] {
        let e = config(&vars).err().unwrap_or_else(|| panic!("{vars:?} accepted"));
        assert!(e.contains(says), "{e}");
    }
    let shown = format!("{:?}", config(&[url, secret]).unwrap());
    assert!(shown.contains(url.1) && !shown.contains("MfKQ9r8"), "the secret is never printed: {shown}");
}

#[test]
fn single_sign_on_needs_an_issuer_a_client_and_its_secret() {
    let issuer = ("MEDIADESK_OIDC_ISSUER", "https://id.example.org/realms/staff");
    let id = ("MEDIADESK_OIDC_CLIENT_ID", "mediadesk");
    let secret = ("MEDIADESK_OIDC_CLIENT_SECRET", "s3cr3t-0f-th3-cl13nt");
    assert!(config(&[]).unwrap().sign_on.is_none(), "off unless configured");
    let on = config(&[issuer, id, secret]).unwrap().sign_on.expect("configured");
    assert_eq!((on.issuer.as_str(), on.client_id.as_str()), (issuer.1, id.1));
    assert_eq!((on.label.as_str(), on.create_accounts), ("single sign-on", false), "no account made unasked");
    let named = config(&[
        ("MEDIADESK_OIDC_ISSUER", "https://id.example.org/"),
        id,
        secret,
        ("MEDIADESK_OIDC_LABEL", "Acme ID"),
        ("MEDIADESK_OIDC_CREATE_ACCOUNTS", "true"),
    ])
    .unwrap()
    .sign_on
    .unwrap();
    assert_eq!(named.issuer, "https://id.example.org/", "as given: the provider's iss must match it");
    assert_eq!((named.label.as_str(), named.create_accounts), ("Acme ID", true));
    for (vars, says) in [
        (vec![issuer, secret], "MEDIADESK_OIDC_CLIENT_ID: required with MEDIADESK_OIDC_ISSUER"),
        (vec![issuer, id], "MEDIADESK_OIDC_CLIENT_SECRET: required with MEDIADESK_OIDC_ISSUER"),
        (vec![id, secret], "MEDIADESK_OIDC_ISSUER: MEDIADESK_OIDC_CLIENT_ID is set but no provider"),
        (vec![secret], "MEDIADESK_OIDC_ISSUER: MEDIADESK_OIDC_CLIENT_SECRET is set but no provider"),
        (vec![("MEDIADESK_OIDC_ISSUER", "id.example.org"), id, secret], "must start with https://"),
        (vec![issuer, id, secret, ("MEDIADESK_OIDC_CREATE_ACCOUNTS", "maybe")], "must be true or false"),
        (vec![issuer, id, secret, ("MEDIADESK_OIDC_AUTO_SIGN_IN", "yes please")], "must be true or false"),
        (vec![("MEDIADESK_OIDC_AUTO_SIGN_IN", "true")], "MEDIADESK_OIDC_AUTO_SIGN_IN is set but no provider"),
        (vec![issuer, id, secret, ("MEDIADESK_OIDC_LABEL", &"x".repeat(61))], "at most 60 characters"),
    ] {
        let e = config(&vars).err().unwrap_or_else(|| panic!("{vars:?} accepted"));
        assert!(e.contains(says), "{e}");
    }
    assert!(on.scopes.is_empty() && on.roles.is_none(), "roles are kept in Mediadesk unless asked");
    let grouped = config(&[
        issuer,
        id,
        secret,
        ("MEDIADESK_OIDC_SCOPES", "groups offline_access"),
        ("MEDIADESK_OIDC_ADMIN_GROUPS", "media-admins"),
        ("MEDIADESK_OIDC_STAFF_GROUPS", "media-staff, editors"),
    ])
    .unwrap()
    .sign_on
    .unwrap();
    assert_eq!(grouped.scopes, ["groups", "offline_access"]);
    let roles = grouped.roles.expect("roles from groups");
    assert_eq!((roles.claim.as_str(), roles.admin.len(), roles.staff.len()), ("groups", 1, 2));
    assert_eq!(roles.role(&["editors".into()]), Role::Staff);
    assert_eq!(roles.role(&["editors".into(), "media-admins".into()]), Role::Admin);
    assert_eq!(roles.role(&[]), Role::User);
    let claim = ("MEDIADESK_OIDC_GROUPS_CLAIM", "roles");
    let staff = ("MEDIADESK_OIDC_STAFF_GROUPS", "editors");
    let named = config(&[issuer, id, secret, claim, staff]).unwrap().sign_on.unwrap().roles.unwrap();
    assert_eq!(named.claim, "roles");
    let lone = config(&[issuer, id, secret, claim]).err().unwrap();
    assert!(lone.contains("MEDIADESK_OIDC_GROUPS_CLAIM: set MEDIADESK_OIDC_ADMIN_GROUPS"), "{lone}");
    assert_eq!(on.quota_claim, None, "quotas are kept in Mediadesk unless asked");
    assert!(!on.auto_sign_in, "the sign-in page is shown unless asked");
    let auto = config(&[issuer, id, secret, ("MEDIADESK_OIDC_AUTO_SIGN_IN", "true")]).unwrap();
    assert!(auto.sign_on.unwrap().auto_sign_in);
    let quota = ("MEDIADESK_OIDC_QUOTA_CLAIM", "mediadesk_quota");
    let quotas = config(&[issuer, id, secret, quota]).unwrap().sign_on.unwrap();
    assert_eq!(quotas.quota_claim.as_deref(), Some("mediadesk_quota"));
    let quoted = config(&[issuer, id, secret, ("MEDIADESK_OIDC_SCOPES", "groups \"x\"")]).err().unwrap();
    assert!(quoted.contains("MEDIADESK_OIDC_SCOPES: scope names are printable ASCII"), "{quoted}");
    assert!(config(&[]).unwrap().password_sign_in, "passwords on by default");
    let off = ("MEDIADESK_PASSWORD_SIGN_IN", "false");
    assert!(!config(&[issuer, id, secret, off]).unwrap().password_sign_in);
    let alone = config(&[off]).err().unwrap();
    assert!(alone.contains("MEDIADESK_PASSWORD_SIGN_IN: false leaves no way to sign in"), "{alone}");
    let shown = format!("{:?}", config(&[issuer, id, secret]).unwrap());
    assert!(shown.contains(issuer.1) && !shown.contains(secret.1), "the secret is never printed: {shown}");
}

#[test]
fn api_origins_are_origins_or_a_star() {
    assert!(config(&[]).unwrap().api_origins.is_empty(), "no site by default");
    let two = config(&[("MEDIADESK_API_ORIGINS", "https://site.example, http://127.0.0.1:3000/")]).unwrap();
    assert_eq!(two.api_origins, ["https://site.example", "http://127.0.0.1:3000"]);
    assert_eq!(config(&[("MEDIADESK_API_ORIGINS", "*")]).unwrap().api_origins, ["*"]);
    for bad in ["site.example", "https://site.example/path", "*, https://site.example", "https://*.example"] {
        let e = config(&[("MEDIADESK_API_ORIGINS", bad)]).err().unwrap_or_else(|| panic!("{bad} accepted"));
        assert!(e.starts_with("MEDIADESK_API_ORIGINS:") && e.contains("is not an origin"), "{e}");
    }
}

#[test]
fn link_imports_reach_public_addresses_and_the_networks_an_operator_names() {
    let c = config(&[]).unwrap().link_import;
    assert!(c.enabled && c.reachable.allowed.is_empty(), "on, public addresses only");
    assert!(!c.reachable.admits("127.0.0.1".parse().unwrap()));
    let c = config(&[("MEDIADESK_LINK_IMPORT_ALLOW", "10.8.0.0/16, 192.168.1.20")]).unwrap().link_import;
    assert!(
        c.reachable.admits("10.8.1.2".parse().unwrap())
            && c.reachable.admits("192.168.1.20".parse().unwrap())
    );
    assert!(!c.reachable.admits("192.168.1.21".parse().unwrap()));
    assert!(!config(&[("MEDIADESK_LINK_IMPORT", "false")]).unwrap().link_import.enabled);
    let e = config(&[("MEDIADESK_LINK_IMPORT_ALLOW", "intranet")]).err().unwrap();
    assert!(e.starts_with("MEDIADESK_LINK_IMPORT_ALLOW: \"intranet\" is not a network"), "{e}");
    let e = config(&[("MEDIADESK_LINK_IMPORT", "maybe")]).err().unwrap();
    assert!(e.starts_with("MEDIADESK_LINK_IMPORT: must be true or false"), "{e}");
    assert_eq!(config(&[]).unwrap().link_import.concurrency, 4);
    let eight = config(&[("MEDIADESK_LINK_IMPORT_CONCURRENCY", "8")]).unwrap();
    assert_eq!(eight.link_import.concurrency, 8);
    let e = config(&[("MEDIADESK_LINK_IMPORT_CONCURRENCY", "0")]).err().unwrap();
    assert!(e.starts_with("MEDIADESK_LINK_IMPORT_CONCURRENCY"), "{e}");
}

/// Listening on every address (the container's `0.0.0.0`), links name `localhost` rather than
/// an address no browser should be sent to, and the first screen asks for the public URL.
#[test]
fn every_address_is_not_where_links_point() {
    let c = config(&[("MEDIADESK_BIND", "0.0.0.0:8080")]).unwrap();
    assert_eq!(c.public_url, "http://localhost:8080");
    let mut c = config(&[("MEDIADESK_BIND", "[::]:0")]).unwrap();
    c.listening_on("[::]:41000".parse().unwrap());
    assert_eq!(c.public_url, "http://localhost:41000");
    let screen =
        |c: &Config| mediadesk::first_screen(c, &mediadesk::Bound { web: c.bind, metrics: None }, false);
    let shown = screen(&c);
    assert!(shown.contains("Open http://localhost:41000/"), "{shown}");
    assert!(
        shown.contains(
            "  links:       http://localhost:41000 (set MEDIADESK_PUBLIC_URL to the address people use"
        ),
        "{shown}"
    );
    let set =
        config(&[("MEDIADESK_BIND", "0.0.0.0:8080"), ("MEDIADESK_PUBLIC_URL", "https://media.example")])
            .unwrap();
    assert!(!screen(&set).contains("links:"), "a public URL set needs no word");
    assert!(!screen(&config(&[]).unwrap()).contains("links:"), "nor a local run");
}

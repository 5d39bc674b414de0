//! Webhooks on both backends, to a real HTTP receiver on loopback: what happens to an item
//! arrives as signed events, in order, with its link and who did it; a receiver that refuses
//! gets the same event again (same id) until it takes it, and nothing after it comes first; two
//! app processes send each event once; sign-ins are not sent. The signatures are checked by the
//! Standard Webhooks reference library (Python `standardwebhooks`), not only by this code.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use mediadesk::auth::Role;
use mediadesk::webhooks::{Deliverer, WebhookSettings};

use crate::common::browser::poll;
use crate::common::*;

backend_tests!(
    events_arrive_signed_in_order_through_an_outage,
    two_processes_send_each_event_once,
    a_receiver_nobody_answers_for_holds_the_event,
    a_database_failure_loses_no_event,
    the_server_sends_over_https_to_a_receiver_it_trusts
);

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[derive(Clone, Debug, serde::Serialize)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

/// An HTTP server on loopback that keeps what it is sent, and refuses (503) the next `refuse`.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    refuse: Arc<AtomicUsize>,
}

impl Receiver {
    fn start() -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let refuse = Arc::new(AtomicUsize::new(0));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let (g, r) = (got.clone(), refuse.clone());
        let server = actix_web::HttpServer::new(move || {
            let (g, r) = (g.clone(), r.clone());
            actix_web::App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (g, r) = (g.clone(), r.clone());
                async move {
                    let h =
                        |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                    g.lock().unwrap().push(Received {
                        id: h("webhook-id"),
                        timestamp: h("webhook-timestamp"),
                        signature: h("webhook-signature"),
                        body: String::from_utf8_lossy(&body).into_owned(),
                    });
                    if r.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
                        HttpResponse::ServiceUnavailable().finish()
                    } else {
                        HttpResponse::NoContent().finish()
                    }
                }
            }))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Receiver { url, got, refuse }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// The events taken (each once, the last delivery of an id), in the order they came.
    fn events(&self) -> Vec<serde_json::Value> {
        let all = self.received();
        let mut out: Vec<serde_json::Value> = Vec::new();
        for r in all {
            let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            if out.last().is_some_and(|l| l["id"] == v["id"]) {
                continue;
            }
            out.push(v);
        }
        out
    }
}

fn settings(receiver: &Receiver, public_url: &str) -> WebhookSettings {
    let config = mediadesk::config::Config::from_lookup(|k| match k {
        "MEDIADESK_WEBHOOK_URL" => Some(receiver.url.clone()),
        "MEDIADESK_WEBHOOK_SECRET" => Some(SECRET.into()),
        _ => None,
    })
    .unwrap();
    WebhookSettings {
        poll: Duration::from_millis(50),
        settle: Duration::from_millis(200),
        first_wait: Duration::from_millis(200),
        max_wait: Duration::from_millis(400),
        // The lease is three of these: a stopped process's runs out in 1.5 s.
        timeout: Duration::from_millis(500),
        ..WebhookSettings::new(config.webhook.as_ref().unwrap(), public_url)
    }
}

/// Has the Standard Webhooks library verify every delivery the receiver got.
async fn verified_by_the_reference_library(received: &[Received]) {
    let script = r#"
import json, sys
from standardwebhooks.webhooks import Webhook
wh = Webhook(sys.argv[1])
for m in json.load(sys.stdin):
    wh.verify(m["body"], {"webhook-id": m["id"], "webhook-timestamp": m["timestamp"],
                          "webhook-signature": m["signature"]})
print(len(json.load(open(sys.argv[2]))) if len(sys.argv) > 2 else "ok")
"#;
    let mut child = tokio::process::Command::new(required_env("MEDIADESK_TEST_PYTHON"))
        .args(["-c", script, SECRET])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    use tokio::io::AsyncWriteExt;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&serde_json::to_vec(received).unwrap()).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success(), "standardwebhooks: {}", String::from_utf8_lossy(&out.stderr));
    // A tampered body is refused by it, so the check above could fail.
    let mut forged = received[0].clone();
    forged.body = forged.body.replace("\"upload\"", "\"delete\"");
    let mut child = tokio::process::Command::new(required_env("MEDIADESK_TEST_PYTHON"))
        .args(["-c", script, SECRET])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&serde_json::to_vec(&[forged]).unwrap()).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("WebhookVerificationError")
    );
}

async fn events_arrive_signed_in_order_through_an_outage(env: TestEnv) {
    let receiver = Receiver::start();
    let url = receiver.url.clone();
    let s = env.with_trash(30).start_server_configured(|w| w.webhook_url = Some(url)).await;
    let (amy, amy_id) = s.signed_in("amy", Role::User).await;
    let (root, _) = s.signed_in("root", Role::Admin).await;
    let deliverer = Deliverer::new(s.env.db.clone(), settings(&receiver, &s.base))
        .unwrap()
        .with_links(s.app.media.clone());
    // The first pass starts at the log's end: the sign-in above is history, not sent.
    assert_eq!(deliverer.pass().await.unwrap().sent, 0);
    // With nothing new, a pass only reads: the cursor is not even claimed.
    assert_eq!(deliverer.pass().await.unwrap(), mediadesk::webhooks::Pass::default());
    assert_eq!(s.env.count_rows("webhook_cursor WHERE holder IS NULL").await, 1);
    receiver.refuse.store(2, Ordering::SeqCst);
    let running = tokio::spawn(deliverer.run());

    let up = amy.upload(&[("harbour.jpg", fixture_bytes("image.jpg"))], None, true).await;
    let item = serde_json::from_str::<serde_json::Value>(&up.body).unwrap()["results"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let edited = amy.post(&item, &format!("{item}/describe"), &[("title", "Harbour at dawn")]).await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    assert_eq!(amy.post(&item, &format!("{item}/delete"), &[("confirmed", "yes")]).await.status, 303);
    let (kind, id) = item.trim_start_matches("/media/").split_once('/').unwrap();
    let restored =
        amy.post("/trash", "/trash", &[("action", "restore"), ("item", &format!("{kind}:{id}"))]).await;
    assert_eq!(restored.status, 303, "{}", restored.body);

    let events = poll("four events taken", Duration::from_secs(30), async || {
        let e = receiver.events();
        if e.len() >= 4 && receiver.refuse.load(Ordering::SeqCst) == 0 {
            Ok(e)
        } else {
            Err(format!("{e:?}"))
        }
    })
    .await;
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["upload", "edit", "trash", "restore"], "in order; the sign-ins not sent");
    let ids: Vec<i64> = events
        .iter()
        .map(|e| e["id"].as_str().unwrap().trim_start_matches("evt_").parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let upload = &events[0];
    assert_eq!(upload["item"]["url"], format!("{}{item}", s.base));
    let api = upload["item"]["api_url"].as_str().expect("its API document").to_owned();
    assert_eq!(api, format!("{}/api/v1{item}", s.base));
    let doc: serde_json::Value = serde_json::from_str(&amy.get(&api).await.body).unwrap();
    assert_eq!(doc["title"], "Harbour at dawn", "what a receiver reads there");
    assert_eq!(
        (upload["item"]["kind"].as_str(), upload["item"]["id"].as_i64()),
        (Some(kind), id.parse().ok())
    );
    assert_eq!(upload["actor"]["id"].as_i64(), Some(amy_id));
    assert_eq!(upload["actor"]["username"], "amy");
    assert_eq!((upload["outcome"].as_str(), upload["detail"].as_str()), (Some("ok"), Some("harbour.jpg")));
    assert!(upload["at"].as_str().unwrap().ends_with('Z'));
    // A download link signed when the event is sent: the original's bytes (none while the item
    // is in the trash: below).
    let link = events[3]["item"]["download_url"].as_str().expect("a link once restored").to_owned();
    let (status, _, bytes) = s.client().get_bytes(&link, None).await;
    assert_eq!((status, bytes), (200, fixture_bytes("image.jpg")));
    // The outage: the upload was sent three times with one id, and nothing overtook it.
    let raw = receiver.received();
    assert_eq!(raw.iter().filter(|r| r.id == format!("evt_{}", ids[0])).count(), 3);
    assert!(raw.iter().take(3).all(|r| r.id == raw[0].id), "nothing after it came first");
    verified_by_the_reference_library(&raw).await;

    // The audit page says how delivery stands: refused, and then through again.
    let page = root.get("/admin/audit").await;
    assert!(page.body.contains(&format!("Webhooks to <code>{}</code>", receiver.url)), "{}", page.body);
    receiver.refuse.store(1000, Ordering::SeqCst);
    let later = amy.upload(&[("later.jpg", fixture_bytes("image.jpg"))], None, true).await;
    let later = serde_json::from_str::<serde_json::Value>(&later.body).unwrap()["results"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    poll("the page says it is refused", Duration::from_secs(30), async || {
        let b = root.get("/admin/audit").await.body;
        if b.contains("The next event was refused") && b.contains("answered 503") { Ok(()) } else { Err(b) }
    })
    .await;
    receiver.refuse.store(0, Ordering::SeqCst);
    poll("the page says it is through", Duration::from_secs(30), async || {
        let b = root.get("/admin/audit").await.body;
        let through = b.contains("Delivered in order up to event") && !b.contains("was refused");
        if through && receiver.events().len() == 5 { Ok(()) } else { Err(b) }
    })
    .await;
    assert_eq!(amy.post(&later, &format!("{later}/delete"), &[("confirmed", "yes")]).await.status, 303);
    let trashed = poll("the trash event", Duration::from_secs(30), async || {
        let e = receiver.events();
        if e.len() == 6 { Ok(e[5].clone()) } else { Err(format!("{e:?}")) }
    })
    .await;
    assert_eq!(trashed["type"], "trash");
    assert!(trashed["item"]["download_url"].is_null(), "no link to what is in the trash: {trashed}");

    // The command line says where delivery stands, and sends from an event on again.
    let last = receiver.events().last().unwrap()["id"].as_str().unwrap().to_owned();
    let shown = s.env.cli(&["webhooks"], None);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(shown.stdout.contains(&format!("delivered through {last}")), "{}", shown.stdout);
    let again = s.env.cli(&["webhooks", "--from", &ids[1].to_string()], None);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains(&format!("events from evt_{} on will be sent again", ids[1])));
    let kinds = poll("sent again", Duration::from_secs(30), async || {
        let all: Vec<String> =
            receiver.events().iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect();
        if all.len() >= 11 { Ok(all) } else { Err(format!("{all:?}")) }
    })
    .await;
    assert_eq!(kinds[6..], ["edit", "trash", "restore", "upload", "trash"], "{kinds:?}");
    assert_eq!(s.env.cli(&["webhooks", "--from", "0"], None).code, 1);

    // A collection's events name it; an item put in one names both.
    let amy_actor = mediadesk::media::Actor::user(amy_id);
    let amy_owner = mediadesk::domain::Owner::User(amy_id);
    let made = s.app.media.create_collection(&amy_actor, amy_owner, None, "Harbours").await.unwrap();
    let item_id: i64 = id.parse().unwrap();
    let into = (mediadesk::domain::MediaKind::Image, item_id);
    assert!(s.app.media.add_to_collection(&amy_actor, made.id, into).await.unwrap());
    let events = poll("the collection's events", Duration::from_secs(30), async || {
        let e = receiver.events();
        if e.len() >= 13 { Ok(e[11..].to_vec()) } else { Err(format!("{e:?}")) }
    })
    .await;
    let collection = serde_json::json!({
        "id": made.id, "name": "Harbours", "url": format!("{}/collections/{}", s.base, made.id),
        "api_url": format!("{}/api/v1/collections/{}", s.base, made.id)
    });
    assert_eq!(
        (events[0]["type"].as_str(), &events[0]["collection"]),
        (Some("create_collection"), &collection)
    );
    assert!(events[0]["item"].is_null(), "{}", events[0]);
    assert_eq!(
        (events[1]["type"].as_str(), &events[1]["collection"]),
        (Some("add_to_collection"), &collection)
    );
    assert_eq!(
        (events[1]["item"]["kind"].as_str(), events[1]["item"]["id"].as_i64()),
        (Some(kind), Some(item_id))
    );
    assert!(events[2..].is_empty() && receiver.events()[5]["collection"].is_null());
    running.abort();
}

async fn two_processes_send_each_event_once(env: TestEnv) {
    let s = env.start_server().await;
    let (amy, _) = s.signed_in("amy", Role::User).await;
    let receiver = Receiver::start();
    let one = Deliverer::new(s.env.db.clone(), settings(&receiver, &s.base)).unwrap();
    one.pass().await.unwrap();
    let two = Deliverer::new(s.env.db.clone(), settings(&receiver, &s.base)).unwrap();
    let (a, b) = (tokio::spawn(one.run()), tokio::spawn(two.run()));
    for i in 0..8 {
        let up = amy.upload(&[(&format!("p{i}.png"), fixture_bytes("image.png"))], None, true).await;
        assert_eq!(up.status, 200);
    }
    poll("eight events", Duration::from_secs(30), async || {
        let n = receiver.received().len();
        if n >= 8 { Ok(()) } else { Err(n.to_string()) }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let raw = receiver.received();
    let names: Vec<String> = raw
        .iter()
        .map(|r| {
            serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["detail"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(names, (0..8).map(|i| format!("p{i}.png")).collect::<Vec<_>>(), "each once, in order");
    // Both stop (one held the lease); a third process takes over once the lease runs out, and
    // goes on from the cursor.
    a.abort();
    b.abort();
    for i in 8..10 {
        amy.upload(&[(&format!("p{i}.png"), fixture_bytes("image.png"))], None, true).await;
    }
    let three = Deliverer::new(s.env.db.clone(), settings(&receiver, &s.base)).unwrap();
    let c = tokio::spawn(three.run());
    poll("ten events", Duration::from_secs(30), async || {
        let n = receiver.received().len();
        if n >= 10 { Ok(()) } else { Err(n.to_string()) }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let details: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| {
            serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["detail"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(details, (0..10).map(|i| format!("p{i}.png")).collect::<Vec<_>>());
    c.abort();
}

/// An https URL where nothing listens: the event is held (a refusal recorded, with why and when
/// it is tried again), the process goes on, and the event is still there to send.
async fn a_receiver_nobody_answers_for_holds_the_event(env: TestEnv) {
    let s = env.start_server().await;
    let (amy, _) = s.signed_in("amy", Role::User).await;
    let receiver = Receiver::start();
    let settings =
        WebhookSettings { url: "https://127.0.0.1:9/hooks".into(), ..settings(&receiver, &s.base) };
    let deliverer = Deliverer::new(s.env.db.clone(), settings).unwrap();
    deliverer.pass().await.unwrap();
    amy.upload(&[("harbour.jpg", fixture_bytes("image.jpg"))], None, true).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pass = deliverer.pass().await.unwrap();
    assert_eq!(pass, mediadesk::webhooks::Pass { sent: 0, stopped: true });
    let status = mediadesk::webhooks::status(&s.env.db).await.unwrap().expect("a cursor");
    let (attempts, why, at) = status.failing.expect("held");
    assert_eq!(attempts, 1);
    assert!(why.starts_with("no answer"), "{why}");
    assert!(at > mediadesk::db::now(), "tried again later");
    assert_eq!(
        deliverer.pass().await.unwrap(),
        mediadesk::webhooks::Pass { sent: 0, stopped: true },
        "not yet"
    );
    assert!(receiver.received().is_empty());

    // A receiver down for longer than the log keeps its rows: what is yet to be sent outlives
    // the retention, what was sent (the sign-in before the first pass) does not.
    // (A retention of 0 days: every row is past it; the log refuses rows being aged by hand.)
    let held = "audit_log WHERE id > (SELECT delivered_through FROM webhook_cursor)";
    let (all, pending) = (s.env.count_rows("audit_log").await, s.env.count_rows(held).await);
    assert!(pending >= 1 && all > pending, "{pending} of {all}");
    let pruned = s.app.accounts.prune_audit(0, true).await.unwrap();
    assert_eq!((pruned as i64, s.env.count_rows("audit_log").await), (all - pending, pending));
    let upload = format!("audit_log WHERE action = '{}'", mediadesk::domain::AuditAction::Upload.as_str());
    assert_eq!(s.env.count_rows(&upload).await, 1, "the held event is kept");
    assert_eq!(
        s.app.accounts.prune_audit(0, false).await.unwrap() as i64,
        pending,
        "without webhooks, it goes"
    );
}

/// A receiver over TLS with a certificate from a CA made here: each request's body, answered 204.
async fn tls_receiver(dir: &std::path::Path) -> (u16, std::path::PathBuf, Arc<Mutex<Vec<Received>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (acceptor, roots) = crate::common::tls::localhost(dir);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let kept = got.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, kept) = (acceptor.clone(), kept.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head, body) = loop {
                    let n = tls.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).into_owned();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let length = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().to_owned())
                            })
                            .and_then(|v| v.parse::<usize>().ok())
                            .unwrap_or(0);
                        if body.len() >= length {
                            break (head.to_owned(), body[..length].to_owned());
                        }
                    }
                };
                let h = |name: &str| {
                    head.lines()
                        .find_map(|l| {
                            l.split_once(':')
                                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                                .map(|(_, v)| v.trim().to_owned())
                        })
                        .unwrap_or_default()
                };
                kept.lock().unwrap().push(Received {
                    id: h("webhook-id"),
                    timestamp: h("webhook-timestamp"),
                    signature: h("webhook-signature"),
                    body,
                });
                let _ = tls.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n").await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, roots, got)
}

/// The real binary, configured by its environment, sends an upload's event over https to a
/// receiver whose CA it trusts (`SSL_CERT_FILE`, as the system's certificates would be).
async fn the_server_sends_over_https_to_a_receiver_it_trusts(env: TestEnv) {
    let (port, roots, got) = tls_receiver(env.dir.path()).await;
    let url = format!("https://localhost:{port}/hooks");
    let vars = [
        ("MEDIADESK_WEBHOOK_URL", url.as_str()),
        ("MEDIADESK_WEBHOOK_SECRET", SECRET),
        ("SSL_CERT_FILE", roots.to_str().unwrap()),
    ];
    let served = crate::common::served::Served::start(&env, &vars).await;
    poll("the cursor made", Duration::from_secs(30), async || {
        if env.count_rows("webhook_cursor").await == 1 { Ok(()) } else { Err("none".to_owned()) }
    })
    .await;
    let folder = env.dir.path().join("incoming");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("harbour.jpg"), fixture_bytes("image.jpg")).unwrap();
    let import = env.cli(&["import", folder.to_str().unwrap(), "--owner", "system"], None);
    assert_eq!(import.code, 0, "{}", import.stderr);
    let received = poll("the event over https", Duration::from_secs(30), async || {
        let r = got.lock().unwrap().clone();
        if r.is_empty() { Err("nothing yet".to_owned()) } else { Ok(r) }
    })
    .await;
    let event: serde_json::Value = serde_json::from_str(&received[0].body).unwrap();
    assert_eq!((event["type"].as_str(), event["detail"].as_str()), (Some("upload"), Some("harbour.jpg")));
    assert!(event["item"]["url"].as_str().unwrap().starts_with("http://127.0.0.1:"), "{event}");
    let link = event["item"]["download_url"].as_str().expect("a signed link").to_owned();
    let bytes = reqwest::get(&link).await.unwrap().bytes().await.unwrap();
    assert_eq!(bytes.to_vec(), fixture_bytes("image.jpg"), "the original, from {link}");
    verified_by_the_reference_library(&received).await;
    served.terminate();
    assert_eq!(served.exit_code().await, Some(0));
}

/// The cursor cannot be written (the database refuses): the pass fails, nothing is sent or
/// skipped, and the next pass once it can sends the event.
async fn a_database_failure_loses_no_event(env: TestEnv) {
    let s = env.start_server().await;
    let (amy, _) = s.signed_in("amy", Role::User).await;
    let receiver = Receiver::start();
    let deliverer = Deliverer::new(s.env.db.clone(), settings(&receiver, &s.base)).unwrap();
    deliverer.pass().await.unwrap();
    amy.upload(&[("harbour.jpg", fixture_bytes("image.jpg"))], None, true).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    s.env.inject_db_failure("webhook_cursor", "UPDATE").await;
    assert!(deliverer.pass().await.is_err());
    assert!(receiver.received().is_empty());
    s.env.clear_db_failure("webhook_cursor", "UPDATE").await;
    assert_eq!(deliverer.pass().await.unwrap().sent, 1);
    let events = receiver.events();
    assert_eq!((events.len(), events[0]["type"].as_str()), (1, Some("upload")));
}

//! The audit log on both backends: each action writes its row in its own transaction (an
//! action whose row cannot be written does not happen), with actor, item, outcome and the
//! client's address; the app cannot change a row; admins read it filtered and paged; the
//! command line prints it as text and JSON.

use diesel_async::RunQueryDsl;
use mediadesk::auth::Role;
use mediadesk::domain::{AuditAction, AuditFilter, MediaKind, Owner};
use mediadesk::media::{Actor, Upload};

use crate::common::*;

backend_tests!(
    actions_are_recorded_with_who_what_and_where,
    no_action_without_its_row_and_rows_never_change,
    throttled_sign_ins_and_old_rows,
    the_command_line_prints_the_log,
    days_are_read_in_the_readers_zone,
    collection_changes_are_recorded
);

async fn actions_are_recorded_with_who_what_and_where(env: TestEnv) {
    let s = env.with_trash(30).start_server().await;
    let (admin, _) = s.signed_in("root", Role::Admin).await;
    let ann_id = s.account("ann", Role::User).await;
    let ann = s.client();
    // A wrong password, then the right one.
    assert!(ann.sign_in("ann", "not-the-password").await.status >= 400);
    ann.sign_in("ann", &crate::common::server::password_of("ann")).await;
    let page = ann.upload(&[("a.png", fixture_bytes("image.png"))], None, false).await;
    assert!(page.body.contains("1 accepted"), "{}", page.body);
    let item = "/media/image/1";
    ann.post(item, &format!("{item}/describe"), &[("title", "Harbour"), ("alt_text", "Boats")]).await;
    ann.post_file(item, &format!("{item}/replace"), "b.jpg", fixture_bytes("image.jpg")).await;
    ann.post(item, &format!("{item}/delete"), &[("confirmed", "yes")]).await;
    ann.post("/trash", "/trash", &[("action", "restore"), ("item", "image:1")]).await;
    admin.post("/admin/users", &format!("/admin/users/{ann_id}/quota"), &[("quota", "5 GiB")]).await;
    admin.post("/admin/users", &format!("/admin/users/{ann_id}/role"), &[("role", "staff")]).await;
    ann.post(item, "/signout", &[]).await;

    let page = admin.get("/admin/audit").await;
    assert_eq!(page.status, 200);
    let rows = |body: &str| {
        body.split("<tbody>").nth(1).unwrap_or("").split("</tbody>").next().unwrap_or("").to_owned()
    };
    for words in [
        "Sign-in",
        "failed",
        "wrong password",
        "Upload",
        "a.png",
        "Edit",
        "description",
        "Replaced the file",
        "Moved to the trash",
        "Restored",
        "Quota changed",
        "5368709120 bytes",
        "Role changed",
        "user → staff",
        "Sign-out",
        "127.0.0.1",
    ] {
        assert!(rows(&page.body).contains(words), "{words:?} missing: {}", page.body);
    }
    // Filters: by action, by account, by item, by day.
    let found = rows(&admin.get("/admin/audit?action=trash").await.body);
    assert!(found.contains("Moved to the trash") && !found.contains("Restored"), "{found}");
    let found = rows(&admin.get("/admin/audit?actor=root").await.body);
    assert!(found.contains("Quota changed") && !found.contains("Moved to the trash"), "{found}");
    let found = rows(&admin.get("/admin/audit?item=image:1").await.body);
    assert!(found.contains("Restored") && !found.contains("Quota changed"), "{found}");
    let page = admin.get("/admin/audit?since=2000-01-01&until=2000-01-02").await;
    assert!(page.body.contains("Nothing recorded matches."));
    assert_eq!(admin.get("/admin/audit?item=nonsense").await.status, 400);
    // Only admins.
    assert_eq!(ann.get("/admin/audit").await.status, 303, "signed out");
    let (bob, _) = s.signed_in("bob", Role::Staff).await;
    assert_eq!(bob.get("/admin/audit").await.status, 403);

    // Keyset pages, newest first, each row once.
    let accounts = &s.app.accounts;
    let all = accounts.audit(None, &AuditFilter::default(), None, 1000).await.unwrap().entries;
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = accounts.audit(None, &AuditFilter::default(), after.as_deref(), 3).await.unwrap();
        seen.extend(page.entries.iter().map(|e| e.id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, all.iter().map(|e| e.id).collect::<Vec<_>>());
    assert!(all.windows(2).all(|w| w[0].at >= w[1].at));
}

async fn no_action_without_its_row_and_rows_never_change(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let photo = env.upload_own(&ann, "a.png", "image.png").await;
    let objects = env.objects().await;
    let rows = env.count_rows("audit_log").await;

    // The log refuses: the upload, the trash and the edit do not happen.
    env.inject_db_failure("audit_log", "INSERT").await;
    let upload = Upload::new(Owner::User(ann.user_id.unwrap()), "b.png");
    assert!(media.upload(&ann, upload, fixture_stream("image.jpg")).await.is_err());
    assert!(media.delete(&ann, photo.0, photo.1).await.is_err());
    let d = mediadesk::media::Description { title: Some("x".into()), ..Default::default() };
    assert!(media.describe(&ann, photo, &d, None).await.is_err());
    media.retry_pending_deletions(true).await.unwrap();
    assert_eq!(env.objects().await, objects, "no object of the refused upload, none moved");
    assert_eq!(env.count_rows("images").await, 1);
    assert_eq!(env.count_rows("trash").await, 0);
    match media.get(&ann, MediaKind::Image, photo.1).await.unwrap() {
        mediadesk::media::MediaRead::Image(i) => {
            assert_eq!(i.description.title, None, "the edit did not happen")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(env.count_rows("audit_log").await, rows);
    env.clear_db_failure("audit_log", "INSERT").await;
    media.delete(&ann, photo.0, photo.1).await.unwrap();
    assert_eq!(env.count_rows("audit_log").await, rows + 1);

    // The app cannot change a row.
    let mut pooled = env.db.get().await.unwrap();
    let changed = match &mut pooled.conn() {
        mediadesk::db::DbConn::Pg(c) => {
            diesel::sql_query("UPDATE audit_log SET outcome = 'ok'").execute(&mut **c).await.map(|_| ())
        }
        mediadesk::db::DbConn::Sqlite(c) => {
            diesel::sql_query("UPDATE audit_log SET outcome = 'ok'").execute(&mut **c).await.map(|_| ())
        }
    };
    let err = changed.expect_err("append-only");
    assert!(err.to_string().contains("append-only"), "{err}");
    let last = env.count_rows("audit_log").await;
    assert_eq!(last, rows + 1);
    let filter = AuditFilter { action: Some(AuditAction::Trash), ..AuditFilter::default() };
    let page = mediadesk::auth::AccountService::new(env.db.clone()).audit(None, &filter, None, 10).await;
    let entries = page.unwrap().entries;
    assert_eq!(entries.len(), 1);
    assert_eq!((entries[0].actor.as_deref(), entries[0].item.as_deref()), (Some("ann"), Some("image:1")));
}

async fn throttled_sign_ins_and_old_rows(env: TestEnv) {
    let accounts = mediadesk::auth::AccountService::new(env.db.clone());
    env.user("ann", "user").await;
    for _ in 0..5 {
        assert!(accounts.authenticate("ann", "wrong-password", "10.0.0.7").await.is_err());
    }
    let throttled = accounts.authenticate("ann", "wrong-password", "10.0.0.7").await;
    assert!(matches!(throttled, Err(mediadesk::auth::AuthError::Throttled { .. })), "{throttled:?}");
    let sign_ins = AuditFilter { action: Some(AuditAction::SignIn), ..AuditFilter::default() };
    let entries = accounts.audit(None, &sign_ins, None, 100).await.unwrap().entries;
    let outcomes: Vec<&str> = entries.iter().map(|e| e.outcome.as_str()).collect();
    assert_eq!(outcomes, ["throttled", "failed", "failed", "failed", "failed", "failed"]);
    assert!(entries.iter().all(|e| e.subject.as_deref() == Some("ann")));

    // Rows past MEDIADESK_AUDIT_DAYS go; younger ones stay.
    let mut pooled = env.db.get().await.unwrap();
    let old = mediadesk::db::rows::NewAudit {
        at: chrono::Utc::now().naive_utc() - chrono::TimeDelta::days(400),
        action: "upload",
        outcome: "ok",
        ..Default::default()
    };
    mediadesk::db::repo::AuditRepo::add(&mut pooled.conn(), &old).await.unwrap();
    drop(pooled);
    assert_eq!(accounts.prune_audit(365, false).await.unwrap(), 1);
    assert_eq!(env.count_rows("audit_log").await, 6);
}

async fn the_command_line_prints_the_log(env: TestEnv) {
    let ann = Actor::user(env.user("ann", "user").await);
    env.upload_own(&ann, "a.png", "image.png").await;
    let r = env.cli(&["audit", "--since", "1d"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("upload") && r.stdout.contains("ann") && r.stdout.contains("a.png"),
        "{}",
        r.stdout
    );
    let r = env.cli(&["audit", "--since", "2000-01-01", "--action", "upload", "--json"], None);
    let line: serde_json::Value = serde_json::from_str(r.stdout.lines().next().expect("a line")).unwrap();
    assert_eq!((line["action"].as_str(), line["actor"].as_str()), (Some("upload"), Some("ann")));
    assert_eq!(line["item"].as_str(), Some("image:1"));
    let r = env.cli(&["audit", "--until", "2000-01-01"], None);
    assert!(r.code == 0 && r.stdout.is_empty(), "{}", r.stdout);
    let r = env.cli(&["audit", "--since", "yesterday"], None);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("not a time"), "{}", r.stderr);

    // Shown and read in another zone: a row at 20:00 UTC on 4 March is early on 5 March in
    // India; without --offset, the 5th (UTC) does not hold it.
    let mut pooled = env.db.get().await.unwrap();
    let evening = chrono::NaiveDate::from_ymd_opt(2026, 3, 4).unwrap().and_hms_opt(20, 0, 0).unwrap();
    let row =
        mediadesk::db::rows::NewAudit { at: evening, action: "upload", outcome: "ok", ..Default::default() };
    mediadesk::db::repo::AuditRepo::add(&mut pooled.conn(), &row).await.unwrap();
    drop(pooled);
    let fifth = ["audit", "--since", "2026-03-05", "--until", "2026-03-05T23:59"];
    let r = env.cli(&[&fifth[..], &["--offset", "+05:30"]].concat(), None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("2026-03-05 01:30:00+05:30  upload"), "{}", r.stdout);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    let r = env.cli(&fifth, None);
    assert!(r.code == 0 && r.stdout.is_empty(), "{}", r.stdout);
    let r = env.cli(&["audit", "--since", "2026-03-04", "--until", "2026-03-05"], None);
    assert!(r.stdout.starts_with("2026-03-04 20:00:00+00:00  upload"), "UTC by default: {}", r.stdout);
    let r = env.cli(&["audit", "--offset", "sideways"], None);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--offset: not an offset"), "{}", r.stderr);
}

/// The log's days are UTC unless the page sends the reader's offset (the script does): a row
/// written at 20:00 UTC on 4 March is on 5 March in India (UTC+5:30). Pages of older entries
/// keep the offset; a nonsense one is refused.
async fn days_are_read_in_the_readers_zone(env: TestEnv) {
    let s = env.start_server().await;
    let (admin, _) = s.signed_in("root", Role::Admin).await;
    let mut pooled = s.env.db.get().await.unwrap();
    let day =
        |d: u32, h: u32| chrono::NaiveDate::from_ymd_opt(2026, 3, d).unwrap().and_hms_opt(h, 0, 0).unwrap();
    let mut rows = vec![(day(4, 20), "fourth-late".to_owned()), (day(5, 20), "fifth-late".to_owned())];
    rows.extend((0..mediadesk::auth::AUDIT_PAGE).map(|i| (day(5, 12), format!("noon-{i}"))));
    for (at, name) in rows {
        let row = mediadesk::db::rows::NewAudit {
            at,
            action: "sign_in",
            outcome: "ok",
            subject_name: Some(name),
            ..Default::default()
        };
        mediadesk::db::repo::AuditRepo::add(&mut pooled.conn(), &row).await.unwrap();
    }
    drop(pooled);
    let shown = |page: &str, name: &str| page.contains(&format!(">{name}</td>"));

    let utc = admin.get("/admin/audit?since=2026-03-05&until=2026-03-05").await;
    assert!(utc.body.contains("Days and times are UTC."), "{}", utc.body);
    assert!(shown(&utc.body, "fifth-late") && !shown(&utc.body, "fourth-late"), "{}", utc.body);
    let mut india = admin.get("/admin/audit?since=2026-03-05&until=2026-03-05&offset=330").await;
    assert!(!shown(&india.body, "fifth-late"), "{}", india.body);
    let older = india.rel("next").expect("a page of older entries");
    assert!(older.contains("offset=330"), "{older}");
    india = admin.get(&older).await;
    assert!(shown(&india.body, "fourth-late") && !shown(&india.body, "fifth-late"), "{}", india.body);
    for bad in ["abc", "900", "-841"] {
        let page = admin.get(&format!("/admin/audit?since=2026-03-05&offset={bad}")).await;
        assert_eq!(page.status, 400, "{bad}");
        assert!(page.body.contains("minutes east of UTC"), "{}", page.body);
    }
}

/// A collection made, renamed, moved and deleted, and items put in and taken out, each write a
/// row naming the collection (its id, and its name as the change left it); a change that
/// changes nothing writes none, a refused one none, and one whose row cannot be written does not
/// happen. The admins' page links a collection's rows to it.
async fn collection_changes_are_recorded(env: TestEnv) {
    let s = env.start_server().await;
    let (admin, _) = s.signed_in("root", Role::Admin).await;
    let (media, env) = (s.app.media.clone(), &s.env);
    let ann = Actor::user(s.account("ann", Role::User).await);
    let owner = Owner::User(ann.user_id.unwrap());
    let photo = env.upload_own(&ann, "a.png", "image.png").await;
    let trips = media.create_collection(&ann, owner, None, "Trips").await.unwrap();
    let rome = media.create_collection(&ann, owner, Some(trips.id), "Rome").await.unwrap();
    media.rename_collection(&ann, rome.id, "Roma", None).await.unwrap();
    media.rename_collection(&ann, rome.id, "Roma", None).await.unwrap();
    media.move_collection(&ann, rome.id, None).await.unwrap();
    media.move_collection(&ann, rome.id, None).await.unwrap();
    media.change_collection(&ann, rome.id, Some("Rome"), Some(Some(trips.id))).await.unwrap();
    let paris = media.create_collection(&ann, owner, Some(trips.id), "Paris").await.unwrap();
    assert!(media.change_collection(&ann, paris.id, Some("rome"), None).await.is_err(), "taken");
    assert!(media.add_to_collection(&ann, trips.id, photo).await.unwrap());
    assert!(!media.add_to_collection(&ann, trips.id, photo).await.unwrap(), "in already");
    assert!(media.remove_from_collection(&ann, trips.id, photo).await.unwrap());
    assert!(!media.remove_from_collection(&ann, trips.id, photo).await.unwrap(), "out already");
    media.delete_collection(&ann, trips.id).await.unwrap();

    let all = s.app.accounts.audit(None, &AuditFilter::default(), None, 100).await.unwrap().entries;
    let rows: Vec<_> = all
        .iter()
        .rev()
        .filter(|e| e.action.parse::<AuditAction>().is_ok_and(AuditAction::concerns_collection))
        .map(|e| {
            assert_eq!(e.actor.as_deref(), Some("ann"));
            let item = e.item.as_deref().unwrap_or("");
            (e.action.as_str(), e.collection, e.subject.as_deref().unwrap(), item, e.detail.as_deref())
        })
        .collect();
    let (t, r, p) = (Some(trips.id), Some(rome.id), Some(paris.id));
    assert_eq!(
        rows,
        [
            ("create_collection", t, "Trips", "", None),
            ("create_collection", r, "Rome", "", Some("in “Trips”")),
            ("change_collection", r, "Roma", "", Some("renamed from “Rome”")),
            ("change_collection", r, "Roma", "", Some("moved to the top")),
            ("change_collection", r, "Rome", "", Some("moved into “Trips”; renamed from “Roma”")),
            ("create_collection", p, "Paris", "", Some("in “Trips”")),
            ("add_to_collection", t, "Trips", "image:1", Some("into “Trips”")),
            ("remove_from_collection", t, "Trips", "image:1", Some("out of “Trips”")),
            ("delete_collection", t, "Trips", "", None),
        ]
    );
    let page = admin.get("/admin/audit?action=delete_collection").await;
    assert!(page.body.contains(&format!("<a href=\"/collections/{}\">Trips</a>", trips.id)), "{}", page.body);
    assert!(page.body.contains("Collection deleted"), "{}", page.body);
    let page = admin.get("/admin/audit?action=add_to_collection").await;
    assert!(page.body.contains("<a href=\"/media/image/1\">image:1</a>"), "{}", page.body);

    // The log refuses: none of these happens.
    let kept = media.create_collection(&ann, owner, None, "Kept").await.unwrap();
    let (rows, collections) = (env.count_rows("audit_log").await, env.count_rows("collections").await);
    env.inject_db_failure("audit_log", "INSERT").await;
    assert!(media.create_collection(&ann, owner, None, "Lost").await.is_err());
    assert!(media.rename_collection(&ann, kept.id, "Renamed", None).await.is_err());
    assert!(media.change_collection(&ann, kept.id, None, Some(Some(rome.id))).await.is_err());
    assert!(media.add_to_collection(&ann, kept.id, photo).await.is_err());
    assert!(media.delete_collection(&ann, kept.id).await.is_err());
    env.clear_db_failure("audit_log", "INSERT").await;
    assert_eq!((env.count_rows("audit_log").await, env.count_rows("collections").await), (rows, collections));
    let now = media.collection(&ann, kept.id).await.unwrap();
    assert_eq!(
        (now.collection.name.as_str(), now.collection.parent_id, now.collection.items),
        ("Kept", None, 0)
    );
    media.add_to_collection(&ann, kept.id, photo).await.unwrap();
    env.inject_db_failure("audit_log", "INSERT").await;
    assert!(media.remove_from_collection(&ann, kept.id, photo).await.is_err());
    env.clear_db_failure("audit_log", "INSERT").await;
    assert_eq!(media.collection(&ann, kept.id).await.unwrap().collection.items, 1, "still in");
}

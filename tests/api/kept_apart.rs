//! "Not duplicates" made whole, on both backends: saying a group is not duplicates is audited,
//! can be taken back (the groups page's Undo, each item's page, the API), and survives the
//! trash: a restored item is kept apart again from the items still there, and a failed write
//! restores nothing.

use mediadesk::auth::{AccountService, Role, Scope};
use mediadesk::domain::{AuditAction, AuditFilter, MediaKind, Owner};
use mediadesk::media::{Actor, Alike, MediaError};
use serde_json::{Value, json};

use crate::alike::pictures;
use crate::common::tus::Tus;
use crate::common::*;

backend_tests!(kept_apart_is_audited_undone_and_survives_the_trash, kept_apart_through_the_pages);

const IMAGE: MediaKind = MediaKind::Image;

async fn groups(env: &TestEnv, who: &Actor) -> Vec<Vec<i64>> {
    let found = env.media.alike_groups(who).await.expect("alike groups");
    found.into_iter().map(|g| g.items.iter().map(|i| i.id).collect()).collect()
}

/// The `detail` of each audit row of `action`, newest first.
async fn logged(env: &TestEnv, action: AuditAction) -> Vec<String> {
    let log = AuditFilter { action: Some(action), ..AuditFilter::default() };
    let rows = AccountService::new(env.db.clone()).audit(None, &log, None, 50).await.unwrap();
    rows.entries
        .into_iter()
        .map(|e| format!("{} {}", e.item.unwrap_or_default(), e.detail.unwrap_or_default()))
        .collect()
}

/// Whether item `id`'s own list marks each other item it names as kept apart.
async fn marked(env: &TestEnv, who: &Actor, id: i64) -> Vec<(i64, bool)> {
    match env.media.look_alikes(who, IMAGE, id).await.unwrap() {
        Alike::Found(found) => found.iter().map(|a| (a.id, a.kept_apart)).collect(),
        other => panic!("{other:?}"),
    }
}

async fn kept_apart_is_audited_undone_and_survives_the_trash(env: TestEnv) {
    let env = env.with_trash(30);
    let ann = Actor::user(env.user("ann", "user").await);
    let bob = Actor::user(env.user("bob", "user").await);
    let mine = Owner::User(ann.user_id.unwrap());
    let [photo, small, bright, _] = pictures();
    let photo = crate::alike::put(&env, &ann, mine, photo).await;
    let small = crate::alike::put(&env, &ann, mine, small).await;
    let bright = crate::alike::put(&env, &ann, mine, bright).await;
    let all = [photo, small, bright];
    assert_eq!(groups(&env, &ann).await.len(), 1);

    // Said once: three pairs, one audit row an item naming the other two; said again: nothing new.
    assert_eq!(env.media.keep_all_alike(&ann, IMAGE, &all).await.unwrap(), 3);
    assert_eq!(groups(&env, &ann).await, Vec::<Vec<i64>>::new());
    assert_eq!(env.count_rows("kept_apart_images").await, 3);
    let rows = logged(&env, AuditAction::KeepApart).await;
    assert_eq!(rows.len(), 3, "{rows:?}");
    let of_photo = format!("image:{photo} not duplicates of #{small}, #{bright}");
    assert!(rows.contains(&of_photo), "{rows:?}");
    env.media.keep_all_alike(&ann, IMAGE, &[photo, small]).await.unwrap();
    assert_eq!(logged(&env, AuditAction::KeepApart).await.len(), 3, "no pair newly kept apart");
    let mut marks = marked(&env, &ann, photo).await;
    marks.sort();
    assert_eq!(marks, vec![(small, true), (bright, true)], "its own page marks both");

    // The trash keeps the pairs with the item; a restore brings back those whose other item is
    // there, and the other's restore the rest.
    env.media.delete(&ann, IMAGE, small).await.unwrap();
    assert_eq!(env.count_rows("kept_apart_images").await, 1, "the photo and the brighter one");
    env.media.restore(&ann, IMAGE, small).await.unwrap();
    assert_eq!(env.count_rows("kept_apart_images").await, 3);
    env.media.delete(&ann, IMAGE, small).await.unwrap();
    env.media.delete(&ann, IMAGE, bright).await.unwrap();
    assert_eq!(env.count_rows("kept_apart_images").await, 0);
    env.media.restore(&ann, IMAGE, bright).await.unwrap();
    assert_eq!(env.count_rows("kept_apart_images").await, 1, "the small one is still in the trash");
    // A failed write of the pairs restores nothing: the item stays in the trash, whole.
    env.inject_db_failure("kept_apart_images", "INSERT").await;
    let err = env.media.restore(&ann, IMAGE, small).await.unwrap_err();
    assert!(matches!(err, MediaError::Database(_)), "{err:?}");
    env.clear_db_failure("kept_apart_images", "INSERT").await;
    assert!(env.media.in_trash(&ann, IMAGE, small).await.unwrap());
    env.media.restore(&ann, IMAGE, small).await.unwrap();
    assert_eq!(env.count_rows("kept_apart_images").await, 3);
    assert_eq!(groups(&env, &ann).await, Vec::<Vec<i64>>::new(), "still kept apart after the trash");

    // Taken back: only by the items' manager, of two or more; a failed audit row forgets nothing.
    let err = env.media.alike_again(&bob, IMAGE, &[photo, small]).await.unwrap_err();
    assert!(matches!(err, MediaError::NotFound), "{err:?}");
    let err = env.media.alike_again(&ann, IMAGE, &[photo]).await.unwrap_err();
    assert!(matches!(err, MediaError::Invalid(_)), "{err:?}");
    env.inject_db_failure("audit_log", "INSERT").await;
    let err = env.media.alike_again(&ann, IMAGE, &all).await.unwrap_err();
    assert!(matches!(err, MediaError::Database(_)), "{err:?}");
    env.clear_db_failure("audit_log", "INSERT").await;
    assert_eq!(env.count_rows("kept_apart_images").await, 3, "nothing forgotten");
    assert_eq!(env.media.alike_again(&ann, IMAGE, &[small, photo]).await.unwrap(), 2);
    assert_eq!(env.count_rows("kept_apart_images").await, 2);
    let rows = logged(&env, AuditAction::AlikeAgain).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.contains(&format!("image:{small} shown alike again with #{photo}")), "{rows:?}");
    env.media.alike_again(&ann, IMAGE, &all).await.unwrap();
    assert_eq!(env.count_rows("kept_apart_images").await, 0);
    assert_eq!(groups(&env, &ann).await.len(), 1, "one group again");
    assert!(marked(&env, &ann, photo).await.iter().all(|(_, apart)| !apart));
}

fn id_of(upload: &str, n: usize) -> String {
    let v: Value = serde_json::from_str(upload).unwrap();
    v["results"][n]["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned()
}

async fn kept_apart_through_the_pages(env: TestEnv) {
    let s = env.with_trash(30).start_server().await;
    let (ann, ann_id) = s.signed_in("ann", Role::User).await;
    let (bob, _) = s.signed_in("bob", Role::User).await;
    let [photo, small, _, _] = pictures();
    let up = ann.upload(&[photo, small], None, true).await.body;
    let (photo, small) = (id_of(&up, 0), id_of(&up, 1));
    let at = format!("/media/image/{photo}");
    let mark = format!("{at}/alike");

    // Each item's page: "Not a duplicate" beside each alike, for a manager of both.
    let page = ann.get(&at).await.body;
    assert!(page.contains(&format!("<form method=\"post\" action=\"{mark}\" class=\"inline\">")), "{page}");
    assert!(
        page.contains("aria-label=\"Mark harbour-small.png as not a duplicate\">Not a duplicate</button>"),
        "{page}"
    );
    assert_eq!(bob.post("/media", &mark, &[("other", &small), ("action", "apart")]).await.status, 404);
    let r = ann.post(&at, &mark, &[("other", &small), ("action", "apart")]).await;
    assert_eq!(r.location(), format!("{at}#alike"));
    let page = ann.get(&at).await.body;
    assert!(
        page.contains("Marked as not a duplicate: the look- and sound-alike groups keep the two apart."),
        "{page}"
    );
    assert!(page.contains(" · marked not a duplicate</small>"), "{page}");
    assert!(page.contains(">Alike again</button>"), "{page}");
    assert!(ann.get("/duplicates/alike").await.body.contains("No look-alikes or sound-alikes."));
    let refused = ann.post(&at, &mark, &[("other", &small), ("action", "maybe")]).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    let r = ann.post(&at, &mark, &[("other", &small), ("action", "again")]).await;
    assert_eq!(r.location(), format!("{at}#alike"));
    let page = ann.get(&at).await.body;
    assert!(page.contains("The two are shown as alike again.") && !page.contains("marked not a"), "{page}");

    // The groups page: "Not duplicates", then its Undo (shown once, on the next page).
    let group = [("kind", "image"), ("action", "apart"), ("item", photo.as_str()), ("item", small.as_str())];
    let r = ann.post("/duplicates/alike", "/duplicates/alike", &group).await;
    assert_eq!(r.location(), "/duplicates/alike");
    let page = ann.get("/duplicates/alike").await.body;
    assert!(page.contains("No look-alikes or sound-alikes."), "{page}");
    assert!(page.contains("<input type=\"hidden\" name=\"action\" value=\"again\">"), "{page}");
    assert!(page.contains(&format!("<input type=\"hidden\" name=\"item\" value=\"{small}\">")), "{page}");
    assert!(!ann.get("/duplicates/alike").await.body.contains("value=\"again\""), "offered once");
    let undo = [("kind", "image"), ("action", "again"), ("item", photo.as_str()), ("item", small.as_str())];
    let r = ann.post("/duplicates/alike", "/duplicates/alike", &undo).await;
    assert_eq!(r.location(), "/duplicates/alike");
    let page = ann.get("/duplicates/alike").await.body;
    assert!(
        page.contains("2 items are shown as alike again.") && page.contains("2 pictures look alike"),
        "{page}"
    );

    // A script: edit scope to keep apart, and each item's alikes say so.
    let api = |path: &str, token: &str, body: Value| {
        let req = reqwest::Client::new().post(format!("{}{path}", s.base)).bearer_auth(token);
        Tus::send(req.header("Content-Type", "application/json").body(body.to_string()))
    };
    let (photo_id, small_id): (i64, i64) = (photo.parse().unwrap(), small.parse().unwrap());
    let body = json!({"kind": "image", "items": [photo_id, small_id]});
    let reader = s.token(ann_id, &[Scope::Read], "read").await;
    let refused = api("/api/v1/alike-groups/apart", &reader, body.clone()).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let editor = s.token(ann_id, &[Scope::Read, Scope::Edit], "edit").await;
    let done = api("/api/v1/alike-groups/apart", &editor, body.clone()).await;
    assert_eq!(done.body, r#"{"kind":"image","items":2,"kept_apart":true}"#);
    let alike = ann.get(&format!("/api/v1/media/image/{photo}/alike")).await.body;
    assert!(alike.contains("\"kept_apart\":true"), "{alike}");
    let bad = api("/api/v1/alike-groups/apart", &editor, json!({"kind": "image", "items": [photo_id]})).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let kept_too = json!({"kind": "image", "items": [photo_id, small_id], "keep": [photo_id]});
    let bad = api("/api/v1/alike-groups/apart", &editor, kept_too).await;
    assert!(bad.status == 400 && bad.body.contains("keeps all its items"), "{}", bad.body);
    let done = api("/api/v1/alike-groups/alike-again", &editor, body).await;
    assert_eq!(done.body, r#"{"kind":"image","items":2,"kept_apart":false}"#);
    // Keeping one through the API trashes the other; the read and edit token may not.
    let keep = json!({"kind": "image", "keep": [photo_id], "items": [photo_id, small_id]});
    assert_eq!(api("/api/v1/alike-groups/keep", &editor, keep.clone()).await.status, 403);
    let deleter = s.token(ann_id, &[Scope::Delete], "delete").await;
    let kept = api("/api/v1/alike-groups/keep", &deleter, keep).await;
    assert_eq!(kept.body, format!(r#"{{"gone":[{small_id}],"left":0,"in_trash":true}}"#));
    assert_eq!(ann.get(&format!("/media/image/{small}")).await.status, 404, "in the trash");
}

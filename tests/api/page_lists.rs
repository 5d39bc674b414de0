//! The lists every page shows beside its items — collection pickers, tag suggestions, account
//! names — are kept for a moment (`mediadesk::memo`), yet follow a change made through the app
//! at once and stay per account; on both backends.

use mediadesk::auth::{AccountService, Role};
use mediadesk::domain::{MediaKind, Owner};
use mediadesk::media::{Actor, CollectionRead, Upload};

use crate::common::*;

backend_tests!(page_lists_follow_changes_at_once);

async fn upload(env: &TestEnv, actor: &Actor, owner: Owner, name: &str) -> (MediaKind, i64) {
    let item = env.media.upload(actor, Upload::new(owner, name), fixture_stream("image.png")).await.unwrap();
    (item.kind(), item.id())
}

fn tree(list: &[CollectionRead]) -> Vec<(String, usize)> {
    list.iter().map(|c| (c.name.clone(), c.depth)).collect()
}

async fn page_lists_follow_changes_at_once(env: TestEnv) {
    let media = env.media.clone();
    let (ann_id, bob_id) = (env.user("ann", "user").await, env.user("bob", "user").await);
    let (ann, bob) = (Actor::user(ann_id), Actor::user(bob_id));
    let staff = Actor::staff(env.user("sam", "staff").await);
    let mine = Owner::User(ann_id);

    // Collections: each list is read first (and so kept), then changed and read again.
    let choices = |actor: Actor| {
        let media = media.clone();
        async move { tree(&media.collection_choices(&actor, 101).await.unwrap()) }
    };
    assert!(choices(ann).await.is_empty());
    assert!(choices(staff).await.is_empty());
    let harbour = media.create_collection(&ann, mine, None, "Harbour").await.unwrap();
    assert_eq!(choices(ann).await, [("Harbour".into(), 0)]);
    assert_eq!(choices(staff).await, [("Harbour".into(), 0)], "every scope forgets");
    media.rename_collection(&ann, harbour.id, "Quay", None).await.unwrap();
    assert_eq!(choices(ann).await, [("Quay".into(), 0)]);
    let boats = media.create_collection(&ann, mine, None, "Boats").await.unwrap();
    assert_eq!(choices(ann).await, [("Boats".into(), 0), ("Quay".into(), 0)]);
    media.move_collection(&ann, boats.id, Some(harbour.id)).await.unwrap();
    assert_eq!(choices(ann).await, [("Quay".into(), 0), ("Boats".into(), 1)]);
    assert!(choices(bob).await.is_empty(), "another account's collections are not in its list");
    media.delete_collection(&ann, harbour.id).await.unwrap();
    assert!(choices(ann).await.is_empty(), "deleted with its sub-collection");

    // Tags: suggestions are per scope, and a tag's first and last use show at once.
    let boat = upload(&env, &ann, mine, "boat.png").await;
    let secret = upload(&env, &bob, Owner::User(bob_id), "secret.png").await;
    let suggested = |actor: Actor| {
        let media = media.clone();
        async move { media.tag_suggestions(&actor).await.unwrap().to_vec() }
    };
    assert!(suggested(ann).await.is_empty());
    media.tag_item(&ann, boat, "night").await.unwrap();
    assert_eq!(suggested(ann).await, ["night"]);
    media.tag_item(&bob, secret, "private").await.unwrap();
    assert_eq!(suggested(ann).await, ["night"], "bob's tag is not suggested to ann");
    assert_eq!(suggested(bob).await, ["private"], "nor ann's to bob");
    assert_eq!(suggested(staff).await, ["night", "private"]);
    assert!(media.untag_item(&ann, boat, "night").await.unwrap());
    assert!(suggested(ann).await.is_empty());
    assert_eq!(suggested(staff).await, ["private"]);

    // Account names: a new account is named on the next page.
    let accounts = AccountService::new(env.db.clone());
    let names = accounts.usernames().await.unwrap();
    assert_eq!(names.get(&ann_id).map(String::as_str), Some("ann"));
    assert!(!names.values().any(|n| n == "newcomer"));
    let newcomer = accounts.create("newcomer", "a long enough passphrase", Role::User).await.unwrap();
    let names = accounts.usernames().await.unwrap();
    assert_eq!(names.get(&newcomer.id).map(String::as_str), Some("newcomer"));
}

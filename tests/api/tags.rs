//! Tags on both backends: names compared as people read them, who may tag what, suggestions
//! that never show another account's private tags, the all-of filter, and the pages without
//! JavaScript (a refused tag comes back in its field).

use mediadesk::auth::Role;
use mediadesk::domain::{GalleryQuery, MediaKind, Owner, OwnerFilter};
use mediadesk::media::{Actor, MediaError, Upload};

use crate::common::server::html_unescape;
use crate::common::*;

backend_tests!(
    tags_follow_the_media_rules,
    tags_through_the_pages,
    a_filter_finds_a_tag_made_after_it_asked,
    a_failed_tagging_keeps_none_of_its_tags,
    an_item_deleted_meanwhile_gets_no_stray_tag_or_place,
    a_tag_written_as_its_item_is_trashed_comes_back_with_it
);

async fn upload(env: &TestEnv, actor: &Actor, owner: Owner, name: &str) -> (MediaKind, i64) {
    let item = env.media.upload(actor, Upload::new(owner, name), fixture_stream("image.png")).await.unwrap();
    (item.kind(), item.id())
}

async fn tags_follow_the_media_rules(env: TestEnv) {
    let media = env.media.clone();
    let (ann, bob) = (Actor::user(env.user("ann", "user").await), Actor::user(env.user("bob", "user").await));
    let staff = Actor::staff(env.user("sam", "staff").await);
    let boat = upload(&env, &ann, Owner::User(ann.user_id.unwrap()), "boat.png").await;
    let quay = upload(&env, &ann, Owner::User(ann.user_id.unwrap()), "quay.png").await;
    let press = upload(&env, &staff, Owner::System, "press.png").await;
    let secret = upload(&env, &bob, Owner::User(bob.user_id.unwrap()), "bob.png").await;

    let added = media.tag_item(&ann, boat, "  Harbour   Night , Café,").await.unwrap();
    assert_eq!(added, ["Harbour Night", "Café"], "trimmed, inner spaces collapsed");
    // The same tags however they are written: case, spacing, composed or decomposed accents.
    assert!(media.tag_item(&ann, boat, "harbour night, CAFE\u{301}").await.unwrap().is_empty());
    assert_eq!(media.tags_of(&ann, boat).await.unwrap(), ["Café", "Harbour Night"]);
    media.tag_item(&ann, quay, "harbour night").await.unwrap();
    assert!(
        matches!(media.tag_item(&ann, press, "x").await, Err(MediaError::Forbidden)),
        "system media is read-only"
    );
    assert!(matches!(media.tag_item(&ann, secret, "x").await, Err(MediaError::NotFound)));
    assert!(matches!(media.tag_item(&ann, boat, &"y".repeat(51)).await, Err(MediaError::Invalid(_))));
    assert!(matches!(media.tag_item(&ann, boat, " , ").await, Err(MediaError::Invalid(_))));
    media.tag_item(&staff, press, "harbour night, press").await.unwrap();
    media.tag_item(&bob, secret, "bob's private matter").await.unwrap();
    env.kept_counts_agree().await;

    // Suggestions: tags on what the asker can see.
    let for_ann = media.tag_suggestions(&ann).await.unwrap();
    assert!(for_ann.contains(&"Harbour Night".to_owned()) && for_ann.contains(&"press".to_owned()));
    assert!(!for_ann.iter().any(|t| t.contains("bob")), "{for_ann:?}");
    assert!(media.tag_suggestions(&staff).await.unwrap().iter().any(|t| t.contains("bob")));

    // All of the tags: boat has both, quay and the press photo only one.
    let filter = |tags: &str| {
        let media = media.clone();
        let tags = tags.to_owned();
        async move {
            let ids = media.tag_filter(&tags).await.unwrap();
            let q =
                GalleryQuery { tags: ids, ..GalleryQuery::new(OwnerFilter::Visible(ann.user_id.unwrap())) };
            let page = media.gallery(&ann, &q).await.unwrap();
            let mut names: Vec<String> = page.items.into_iter().map(|i| i.filename).collect();
            names.sort();
            (names, page.total)
        }
    };
    assert_eq!(
        filter("HARBOUR night").await,
        (vec!["boat.png".into(), "press.png".into(), "quay.png".into()], 3)
    );
    assert_eq!(filter("harbour night, café").await, (vec!["boat.png".into()], 1));
    assert_eq!(filter("harbour night, no such tag").await, (vec![], 0), "an unknown tag matches nothing");
    assert_eq!(filter("bob's private matter").await, (vec![], 0), "another account's items stay out");

    assert!(media.untag_item(&ann, boat, "CAFÉ").await.unwrap());
    assert!(!media.untag_item(&ann, boat, "café").await.unwrap());
    media.delete(&ann, quay.0, quay.1).await.unwrap();
    assert_eq!(filter("harbour night").await.1, 2, "a deleted item loses its tags");
    env.kept_counts_agree().await;
}

async fn tags_through_the_pages(env: TestEnv) {
    let server = env.start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let up = ann
        .upload(
            &[("boat.png", fixture_bytes("image.png")), ("quay.png", fixture_bytes("image.png"))],
            None,
            false,
        )
        .await;
    assert!(up.body.contains("2 accepted"), "{}", up.body);
    let links = ann.get("/media?type=image&sort=name").await.all("<a class=\"name\" href=\"");
    let (boat, quay) =
        (links[0].split('?').next().unwrap().to_owned(), links[1].split('?').next().unwrap().to_owned());

    let tagged = ann.post(&boat, &format!("{boat}/tags"), &[("tags", "harbour, night")]).await;
    assert_eq!((tagged.status, tagged.location()), (303, boat.as_str()));
    let page = html_unescape(&ann.get(&boat).await.body);
    assert!(page.contains("Tagged harbour, night."), "{page}");
    assert!(page.contains("<a href=\"/media?tags=harbour\">harbour</a>"), "{page}");
    ann.post(&quay, &format!("{quay}/tags"), &[("tags", "Harbour")]).await;

    // The gallery's filter: all of the tags; the field suggests the tags in use.
    let both = html_unescape(&ann.get("/media?tags=harbour%2C%20night").await.body);
    assert!(both.contains("boat.png") && !both.contains("quay.png"), "{both}");
    assert!(both.contains("<option value=\"night\">"), "suggestions: {both}");
    let one = ann.get("/media?tags=HARBOUR").await.body;
    assert!(one.contains("boat.png") && one.contains("quay.png"));
    let none = ann.get("/media?tags=nowhere").await.body;
    assert!(none.contains("Nothing matches these filters"), "{none}");

    // A refused tag comes back in its field, with why.
    let long = "z".repeat(60);
    let refused = ann.post(&boat, &format!("{boat}/tags"), &[("tags", &format!("ok, {long}"))]).await;
    assert_eq!(refused.status, 303);
    let back = html_unescape(&ann.get(refused.location()).await.body);
    assert!(back.contains("at most 50 characters"), "{back}");
    assert!(back.contains(&format!("value=\"ok, {long}\"")), "the typed text is kept: {back}");

    let removed = ann.post(&boat, &format!("{boat}/tags/remove"), &[("tag", "night")]).await;
    assert_eq!(removed.status, 303);
    assert!(!ann.get("/media?tags=night").await.body.contains("boat.png"));
    let (bob, _) = server.signed_in("bob", Role::User).await;
    assert_eq!(bob.post("/media", &format!("{boat}/tags"), &[("tags", "mine")]).await.status, 404);
}

/// Tags named in one request land together or not at all: a failure on the second leaves no
/// trace of the first, not even its name in the vocabulary; sent again, both land, in the
/// order typed.
async fn a_failed_tagging_keeps_none_of_its_tags(env: TestEnv) {
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let boat = upload(&env, &ann, Owner::User(ann.user_id.unwrap()), "boat.png").await;
    media.tag_item(&ann, boat, "harbour").await.unwrap();
    let (tags, taggings, log) =
        (env.count_rows("tags").await, env.count_rows("item_tags").await, env.count_rows("audit_log").await);

    // The request's second audit entry (zephyr's: new tags are written in key order) fails.
    env.db.batch_execute(&fail_second_audit_entry(&env)).await.unwrap();
    let failed = media.tag_item(&ann, boat, "Zephyr, Quay, harbour").await;
    assert!(failed.is_err(), "{failed:?}");
    env.db.batch_execute(&drop_failure(&env)).await.unwrap();
    assert_eq!(
        (env.count_rows("tags").await, env.count_rows("item_tags").await, env.count_rows("audit_log").await),
        (tags, taggings, log),
        "nothing of the failed request is kept"
    );
    assert_eq!(media.tags_of(&ann, boat).await.unwrap(), ["harbour"]);
    assert_eq!(media.tag_filter("quay").await.unwrap(), [0], "no such tag");

    let added = media.tag_item(&ann, boat, "Zephyr, Quay, harbour").await.unwrap();
    assert_eq!(added, ["Zephyr", "Quay"], "as typed; harbour was on already");
    assert_eq!(media.tags_of(&ann, boat).await.unwrap(), ["harbour", "Quay", "Zephyr"]);
    assert_eq!(env.count_rows("audit_log").await, log + 2);
}

/// A trigger that refuses the second audit entry written after it is installed.
fn fail_second_audit_entry(env: &TestEnv) -> String {
    if env.db.backend() == mediadesk::db::Backend::Postgres {
        "CREATE TABLE audit_seen (n int); \
         CREATE OR REPLACE FUNCTION fail_second() RETURNS trigger AS $$ BEGIN \
            INSERT INTO audit_seen VALUES (1); \
            IF (SELECT count(*) FROM audit_seen) >= 2 THEN RAISE EXCEPTION 'injected failure'; END IF; \
            RETURN NEW; END $$ LANGUAGE plpgsql; \
         CREATE TRIGGER fail_second BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION fail_second();"
            .into()
    } else {
        "CREATE TABLE audit_seen (n int); \
         CREATE TRIGGER fail_second BEFORE INSERT ON audit_log BEGIN \
            SELECT RAISE(ABORT, 'injected failure') WHERE (SELECT count(*) FROM audit_seen) >= 1; \
            INSERT INTO audit_seen VALUES (1); END;"
            .into()
    }
}

fn drop_failure(env: &TestEnv) -> String {
    if env.db.backend() == mediadesk::db::Backend::Postgres {
        "DROP TRIGGER fail_second ON audit_log; DROP TABLE audit_seen;".into()
    } else {
        "DROP TRIGGER fail_second; DROP TABLE audit_seen;".into()
    }
}

/// The filter keeps the ids of the tags it found (a tag is never deleted or renamed), but not
/// the names it did not: a tag made a moment after a filter asked for it is found at once.
async fn a_filter_finds_a_tag_made_after_it_asked(env: TestEnv) {
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let boat = upload(&env, &ann, Owner::User(ann.user_id.unwrap()), "boat.png").await;
    assert_eq!(media.tag_filter("Harbour").await.unwrap(), [0], "no such tag yet: matches nothing");
    media.tag_item(&ann, boat, "harbour").await.unwrap();
    let harbour = media.tag_filter("HARBOUR").await.unwrap();
    assert!(harbour.len() == 1 && harbour[0] > 0, "{harbour:?}");
    assert_eq!(media.tag_filter("harbour").await.unwrap(), harbour, "the same id, kept");
    assert_eq!(media.tag_filter("harbour, quay").await.unwrap(), [0, harbour[0]]);
    let query = GalleryQuery {
        tags: harbour.clone(),
        ..GalleryQuery::new(OwnerFilter::Visible(ann.user_id.unwrap()))
    };
    let page = media.gallery(&ann, &query).await.unwrap();
    assert_eq!(page.items.iter().map(|i| (i.kind, i.id)).collect::<Vec<_>>(), [boat]);
}

/// A tag or a collection given to an item while its row is being deleted (the trash's delete,
/// written and not yet committed): the tagging waits for it and finds the item gone, instead of
/// leaving a tag row or a collection place behind for an item that is no more (checked:
/// without the item's lock both land on PostgreSQL, and SQLite fails on the stale read).
async fn an_item_deleted_meanwhile_gets_no_stray_tag_or_place(env: TestEnv) {
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let owner = Owner::User(ann.user_id.unwrap());
    let places = media.create_collection(&ann, owner, None, "Harbour").await.unwrap();
    for collect in [false, true] {
        let (kind, id) = upload(&env, &ann, owner, "p.png").await;
        let held = env.hold(&format!("DELETE FROM images WHERE id = {id}")).await;
        let late = tokio::spawn({
            let media = media.clone();
            async move {
                if collect {
                    media.add_to_collection(&ann, places.id, (kind, id)).await.map(drop)
                } else {
                    media.tag_item(&ann, (kind, id), "quay").await.map(drop)
                }
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        held.commit().await;
        let got = late.await.unwrap();
        assert!(matches!(got, Err(MediaError::NotFound)), "collect {collect}: {got:?}");
        assert_eq!(env.count_rows("item_tags").await, 0, "no stray tag");
        assert_eq!(env.count_rows("collection_items").await, 0, "no stray place");
    }
}

/// The other order: a tag is being written beside the item (its row locked, the tag row written,
/// not yet committed) when the item goes to the trash. The trash waits for it, so the tag is in
/// what it keeps and comes back on restore (checked: without the trash's lock the snapshot is
/// read before the tag lands and the restored item has none on PostgreSQL; on SQLite the
/// trashing itself fails on the stale read).
async fn a_tag_written_as_its_item_is_trashed_comes_back_with_it(env: TestEnv) {
    let env = env.with_trash(30);
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let owner = Owner::User(ann.user_id.unwrap());
    let (kind, id) = upload(&env, &ann, owner, "p.png").await;
    let other = upload(&env, &ann, owner, "q.png").await;
    media.tag_item(&ann, other, "quay").await.unwrap();
    let held = env
        .hold(&format!(
            "UPDATE images SET id = id WHERE id = {id};
             INSERT INTO item_tags (tag_id, kind, item_id, owner_id, created_at, original_filename, byte_size)
             SELECT t.id, 'image', i.id, i.owner_id, i.created_at, i.original_filename, i.byte_size
             FROM images i, tags t WHERE i.id = {id} AND t.key = 'quay'"
        ))
        .await;
    let trashing = tokio::spawn({
        let media = media.clone();
        async move { media.delete(&ann, kind, id).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    held.commit().await;
    trashing.await.unwrap().unwrap();
    media.restore(&ann, kind, id).await.unwrap();
    assert_eq!(media.tags_of(&ann, (kind, id)).await.unwrap(), ["quay"]);
}

//! Collections on both backends: who sees and changes which, nesting without circles, names
//! compared as people read them, what may go in, and that deleting a collection or an item
//! never takes the other with it; then the same through the pages, without JavaScript. A
//! rename from a page that showed the name before someone else changed it is refused.

use mediadesk::auth::Role;
use mediadesk::domain::{GalleryQuery, KindFilter, MediaKind, Owner, OwnerFilter};
use mediadesk::media::{Actor, MediaError, Upload};

use crate::common::server::html_unescape;
use crate::common::*;

backend_tests!(
    collections_follow_the_media_rules,
    collections_through_the_pages,
    the_gallery_filters_pick_a_collection,
    a_collection_page_totals_as_the_gallery_does,
    a_rename_made_meanwhile_is_not_overwritten,
    changes_to_the_tree_take_turns
);

async fn upload(env: &TestEnv, actor: &Actor, owner: Owner, name: &str) -> (MediaKind, i64) {
    let item = env.media.upload(actor, Upload::new(owner, name), fixture_stream("image.png")).await.unwrap();
    (item.kind(), item.id())
}

fn invalid(r: Result<impl std::fmt::Debug, MediaError>, needle: &str) {
    match r {
        Err(MediaError::Invalid(m)) => assert!(m.contains(needle), "{m}"),
        other => panic!("expected a refusal about {needle:?}, got {other:?}"),
    }
}

async fn collections_follow_the_media_rules(env: TestEnv) {
    let media = env.media.clone();
    let (ann, bob) = (Actor::user(env.user("ann", "user").await), Actor::user(env.user("bob", "user").await));
    let staff = Actor::staff(env.user("sam", "staff").await);
    let ann_owner = Owner::User(ann.user_id.unwrap());

    let trips = media.create_collection(&ann, ann_owner, None, "  Trips ").await.unwrap();
    assert_eq!(trips.name, "Trips", "trimmed");
    let year = media.create_collection(&ann, ann_owner, Some(trips.id), "2024").await.unwrap();
    invalid(media.create_collection(&ann, ann_owner, None, "TRIPS").await, "already");
    // The same name in another place is fine; composed and decomposed accents are one name.
    media.create_collection(&ann, ann_owner, Some(trips.id), "Café").await.unwrap();
    invalid(media.create_collection(&ann, ann_owner, Some(trips.id), "Cafe\u{301}").await, "already");
    invalid(media.create_collection(&ann, ann_owner, None, " ").await, "name");
    invalid(media.create_collection(&ann, ann_owner, None, &"x".repeat(101)).await, "at most");

    // No circles: not into itself, not into its own sub-collection.
    invalid(media.move_collection(&ann, trips.id, Some(trips.id)).await, "inside itself");
    invalid(media.move_collection(&ann, trips.id, Some(year.id)).await, "inside itself");
    media.move_collection(&ann, year.id, None).await.unwrap();
    media.move_collection(&ann, year.id, Some(trips.id)).await.unwrap();

    // Another user's collection does not exist for bob; the system's is read-only for users.
    assert!(matches!(media.collection(&bob, trips.id).await, Err(MediaError::NotFound)));
    assert!(matches!(media.rename_collection(&bob, trips.id, "Mine", None).await, Err(MediaError::NotFound)));
    assert!(matches!(media.delete_collection(&bob, trips.id).await, Err(MediaError::NotFound)));
    assert!(matches!(
        media.create_collection(&ann, Owner::System, None, "Press").await,
        Err(MediaError::Forbidden)
    ));
    let press = media.create_collection(&staff, Owner::System, None, "Press").await.unwrap();
    assert!(media.collections(&ann).await.unwrap().iter().any(|c| c.id == press.id), "ann sees the system's");
    assert!(
        !media.collections(&bob).await.unwrap().iter().any(|c| c.id == trips.id),
        "bob does not see ann's"
    );
    assert!(matches!(
        media.rename_collection(&ann, press.id, "Mine", None).await,
        Err(MediaError::Forbidden)
    ));
    assert!(matches!(
        media.create_collection(&ann, ann_owner, Some(press.id), "Inside").await,
        Err(MediaError::Forbidden)
    ));
    invalid(media.create_collection(&staff, Owner::System, Some(trips.id), "Inside").await, "same owner");

    // What may go in: one's own and the system's media; what the owner cannot see may not.
    let ann_photo = upload(&env, &ann, ann_owner, "ann.png").await;
    let system_photo = upload(&env, &staff, Owner::System, "system.png").await;
    let bob_photo = upload(&env, &bob, Owner::User(bob.user_id.unwrap()), "bob.png").await;
    assert!(media.add_to_collection(&ann, trips.id, ann_photo).await.unwrap());
    assert!(!media.add_to_collection(&ann, trips.id, ann_photo).await.unwrap(), "already in");
    assert!(media.add_to_collection(&ann, trips.id, system_photo).await.unwrap());
    assert!(matches!(media.add_to_collection(&ann, trips.id, bob_photo).await, Err(MediaError::NotFound)));
    invalid(media.add_to_collection(&staff, trips.id, bob_photo).await, "owner");
    invalid(media.add_to_collection(&staff, press.id, ann_photo).await, "owner");
    assert!(matches!(media.add_to_collection(&bob, trips.id, bob_photo).await, Err(MediaError::NotFound)));
    let listed = media.collections(&ann).await.unwrap();
    let row = listed.iter().find(|c| c.id == trips.id).unwrap();
    assert_eq!((row.items, row.depth), (2, 0));
    env.kept_counts_agree().await;
    // The gallery's total reads the kept counts: owners as the viewer sees them, kinds as asked.
    let total = |actor: Actor, owner: OwnerFilter, kind: KindFilter| {
        let media = media.clone();
        async move {
            let q = GalleryQuery { collection: Some(trips.id), kind, ..GalleryQuery::new(owner) };
            media.gallery(&actor, &q).await.unwrap().total
        }
    };
    let ann_sees = OwnerFilter::Visible(ann.user_id.unwrap());
    assert_eq!(total(ann, ann_sees, KindFilter::Any).await, 2);
    assert_eq!(total(ann, OwnerFilter::System, KindFilter::Any).await, 1);
    assert_eq!(total(ann, ann_sees, KindFilter::Audio).await, 0);
    assert_eq!(total(staff, OwnerFilter::Any, KindFilter::Image).await, 2);
    assert_eq!(listed.iter().find(|c| c.id == year.id).unwrap().depth, 1, "a tree");
    let names: Vec<String> =
        media.collections_of(&ann, ann_photo).await.unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["Trips"]);

    // An item that is deleted leaves its collections; a deleted collection leaves its media.
    media.delete(&ann, ann_photo.0, ann_photo.1).await.unwrap();
    assert!(media.collections_of(&staff, ann_photo).await.unwrap().is_empty());
    assert_eq!(env.count_rows("collection_items").await, 1);
    media.delete_collection(&ann, trips.id).await.unwrap();
    assert!(
        matches!(media.collection(&ann, year.id).await, Err(MediaError::NotFound)),
        "its sub-collections go too"
    );
    assert_eq!(env.count_rows("collection_items").await, 0);
    assert_eq!(env.count_rows("images").await, 2, "the media stay");
    env.kept_counts_agree().await;
    assert!(media.remove_from_collection(&ann, trips.id, system_photo).await.is_err());
}

async fn collections_through_the_pages(env: TestEnv) {
    let server = env.start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let (bob, _) = server.signed_in("bob", Role::User).await;

    let list = ann.get("/collections").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("No collections yet"));
    // A refused name comes back with what was typed and why.
    let refused = ann.post("/collections", "/collections", &[("name", "  "), ("parent", "")]).await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("give the collection a name"), "{}", refused.body);
    let made = ann.post("/collections", "/collections", &[("name", "Harbour <walk>"), ("parent", "")]).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let page = made.location().to_owned();
    assert!(page.starts_with("/collections/"), "{page}");
    let again = ann.post("/collections", "/collections", &[("name", "harbour <WALK>"), ("parent", "")]).await;
    assert_eq!(again.status, 400);
    let text = html_unescape(&again.body);
    assert!(text.contains("already a collection named “harbour <WALK>”"), "{text}");
    let shown = ann.get(&page).await;
    assert_eq!(shown.status, 200);
    assert!(
        shown.body.contains("<h1>Harbour &lt;walk&gt;</h1>")
            || shown.body.contains("<h1>Harbour &#60;walk&#62;</h1>"),
        "escaped: {}",
        shown.body
    );
    assert!(shown.body.contains("Nothing in this collection yet"));
    assert_eq!(bob.get(&page).await.status, 404, "another user's collection does not exist for bob");

    // Add an item from its page; the collection's gallery shows it, the item's page names it.
    let up = ann.upload(&[("boat.png", fixture_bytes("image.png"))], None, false).await;
    assert!(up.body.contains("1 accepted"), "{}", up.body);
    let item = ann.get("/media?type=image").await.all("<a class=\"name\" href=\"").remove(0);
    let item = item.split('?').next().unwrap().to_owned();
    let id = page.trim_start_matches("/collections/");
    let added = ann.post(&item, &format!("{item}/collections"), &[("collection", id), ("back", &item)]).await;
    assert_eq!((added.status, added.location()), (303, item.as_str()));
    let shown = ann.get(&page).await;
    assert!(shown.body.contains("boat.png") && shown.body.contains("Showing 1–1 of 1"), "{}", shown.body);
    let detail = ann.get(&item).await;
    assert!(
        html_unescape(&detail.body).contains(&format!("<a href=\"{page}\">Harbour <walk></a>")),
        "{}",
        detail.body
    );
    assert_eq!(
        bob.post("/collections", &format!("{item}/collections"), &[("collection", id)]).await.status,
        404
    );

    // A sub-collection; moving the parent into it is refused on the edit page.
    let sub = ann.post("/collections", "/collections", &[("name", "Boats"), ("parent", id)]).await;
    let sub_id = sub.location().trim_start_matches("/collections/").to_owned();
    let edit = format!("{page}/edit");
    let circle = ann.post(&edit, &format!("{page}/move"), &[("parent", &sub_id)]).await;
    assert_eq!(circle.status, 400);
    assert!(circle.body.contains("cannot go inside itself"), "{}", circle.body);
    let renamed = ann.post(&edit, &format!("{page}/rename"), &[("name", "Quay")]).await;
    assert_eq!(renamed.status, 303);
    assert!(ann.get("/collections").await.body.contains("Quay"));

    // Delete: asked first; the collection and its sub-collection go, the item stays.
    let ask = ann.get(&format!("{page}/delete")).await;
    assert!(ask.status == 200 && ask.body.contains("and the collection inside it"), "{}", ask.body);
    let gone = ann.post(&format!("{page}/delete"), &format!("{page}/delete"), &[]).await;
    assert_eq!((gone.status, gone.location()), (303, "/collections"));
    assert_eq!(ann.get(&page).await.status, 404);
    assert_eq!(ann.get(&format!("/collections/{sub_id}")).await.status, 404);
    assert_eq!(ann.get(&item).await.status, 200, "the item stays");
}

/// The gallery's filter form picks a collection (without JavaScript: the form's GET answers
/// with the collection's page, the other filters kept); "Any" goes back to the whole gallery.
/// Another account's collections are not offered, and naming one shows nothing of it.
async fn the_gallery_filters_pick_a_collection(env: TestEnv) {
    let server = env.start_server().await;
    let (ann, _) = server.signed_in("ann", Role::User).await;
    let (bob, _) = server.signed_in("bob", Role::User).await;
    let mine = ann.post("/collections", "/collections", &[("name", "Harbour walk")]).await;
    let id = mine.location().trim_start_matches("/collections/").to_owned();
    let theirs = bob.post("/collections", "/collections", &[("name", "Bob private")]).await;
    let their_id = theirs.location().trim_start_matches("/collections/").to_owned();

    let gallery = ann.get("/media").await;
    assert!(gallery.body.contains(&format!("<option value=\"{id}\">Harbour walk</option>")));
    assert!(!gallery.body.contains("Bob private"), "only collections the user may see");
    let picked = ann.get(&format!("/media?q=boat&type=image&collection={id}&sort=name&after=x")).await;
    assert_eq!(picked.status, 303);
    assert_eq!(picked.location(), format!("/collections/{id}?q=boat&type=image&sort=name"));
    let page = ann.get(picked.location()).await;
    assert!(page.body.contains(&format!("<option value=\"{id}\" selected>Harbour walk</option>")));
    let any = ann.get(&format!("/collections/{id}?q=boat&collection=")).await;
    assert_eq!((any.status, any.location()), (303, "/media?q=boat"));
    // The same collection named again is just its page.
    assert_eq!(ann.get(&format!("/collections/{id}?collection={id}")).await.status, 200);
    let sneaky = ann.get(&format!("/media?collection={their_id}")).await;
    assert_eq!(ann.get(sneaky.location()).await.status, 404, "another account's collection");
}

/// A collection's page takes its total from the header's count when the view is the whole
/// collection (staff, no filter) instead of counting again: it must say what the gallery's own
/// count says, for every owner and kind, with items of a user and of the system, of both kinds,
/// on every page.
async fn a_collection_page_totals_as_the_gallery_does(env: TestEnv) {
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let staff = Actor::staff(env.user("sam", "staff").await);
    // Ann's: her own media and the system's may go in it.
    let press =
        media.create_collection(&ann, Owner::User(ann.user_id.unwrap()), None, "Press").await.unwrap();
    let mut items = Vec::new();
    for (actor, owner, name) in [
        (&staff, Owner::System, "image.png"),
        (&staff, Owner::System, "image.jpg"),
        (&ann, Owner::User(ann.user_id.unwrap()), "image.webp"),
        (&staff, Owner::System, "tone.flac"),
    ] {
        let item = media.upload(actor, Upload::new(owner, name), fixture_stream(name)).await.unwrap();
        items.push((item.kind(), item.id()));
    }
    // One more in the library, not in the collection.
    media
        .upload(&staff, Upload::new(Owner::System, "tone-cbr.mp3"), fixture_stream("tone-cbr.mp3"))
        .await
        .unwrap();
    for item in &items {
        media.add_to_collection(&staff, press.id, *item).await.unwrap();
    }
    let ann_sees = OwnerFilter::Visible(ann.user_id.unwrap());
    for (actor, owners) in [
        (&staff, vec![OwnerFilter::Any, OwnerFilter::System, OwnerFilter::User(ann.user_id.unwrap())]),
        (&ann, vec![ann_sees, OwnerFilter::System]),
    ] {
        let seen = media.collection(actor, press.id).await.unwrap();
        for owner in owners {
            for kind in [KindFilter::Any, KindFilter::Image, KindFilter::Audio] {
                let q = GalleryQuery {
                    collection: Some(press.id),
                    kind,
                    per_page: 3,
                    ..GalleryQuery::new(owner)
                };
                let counted = media.gallery(actor, &q).await.unwrap();
                let page = media.collection_gallery(actor, &seen, &q).await.unwrap();
                assert_eq!(page.total, counted.total, "{owner:?} {kind:?}");
                assert!(!page.total_is_lower_bound);
                let ids =
                    |p: &mediadesk::media::GalleryPage| p.items.iter().map(|i| i.id).collect::<Vec<_>>();
                assert_eq!(ids(&page), ids(&counted), "{owner:?} {kind:?}");
                if let Some(next) = page.next_cursor.clone() {
                    let q = GalleryQuery { cursor: Some(next), ..q };
                    let rest = media.collection_gallery(actor, &seen, &q).await.unwrap();
                    assert_eq!(rest.total, page.total);
                    assert_eq!(
                        page.items.len() + rest.items.len(),
                        page.total as usize,
                        "{owner:?} {kind:?}"
                    );
                }
            }
        }
    }
    let whole = GalleryQuery { per_page: 3, ..GalleryQuery::new(OwnerFilter::Any) };
    let page =
        media.collection_gallery(&staff, &media.collection(&staff, press.id).await.unwrap(), &whole).await;
    assert_eq!(page.unwrap().total, 4, "the whole collection, not the library");
}

async fn a_rename_made_meanwhile_is_not_overwritten(env: TestEnv) {
    let server = env.start_server().await;
    let (ann, ann_id) = server.signed_in("ann", Role::User).await;
    let (_, sam_id) = server.signed_in("sam", Role::Staff).await;
    let media = &server.app.media;
    let (ann_a, sam_a) = (Actor::user(ann_id), Actor::staff(sam_id));
    let trips = media.create_collection(&ann_a, Owner::User(ann_id), None, "Trips").await.unwrap();
    let name = |id: i64| async move { media.collection(&ann_a, id).await.unwrap().collection.name };
    let shown = mediadesk::media::fingerprint(Some("Trips"));
    let clash = |got: Result<(), MediaError>, theirs: &str| match got {
        Err(MediaError::EditConflict(c)) => assert_eq!(c, vec![("name", Some(theirs.to_owned()))]),
        other => panic!("{other:?}"),
    };

    // Sam renames it; Ann, from the page she opened before, is refused; the same name is no
    // clash; after seeing Sam's, hers lands.
    media.rename_collection(&sam_a, trips.id, "Travel", Some(&shown)).await.unwrap();
    clash(media.rename_collection(&ann_a, trips.id, "Journeys", Some(&shown)).await, "Travel");
    assert_eq!(name(trips.id).await, "Travel");
    media.rename_collection(&ann_a, trips.id, " Travel ", Some(&shown)).await.unwrap();
    let seen = mediadesk::media::fingerprint(Some("Travel"));
    media.rename_collection(&ann_a, trips.id, "Journeys", Some(&seen)).await.unwrap();
    // A taken name is still refused as such, inside the same transaction.
    media.create_collection(&ann_a, Owner::User(ann_id), None, "Holidays").await.unwrap();
    let seen = mediadesk::media::fingerprint(Some("Journeys"));
    invalid(media.rename_collection(&ann_a, trips.id, "holidays", Some(&seen)).await, "already");

    // Sam's rename is being saved when Ann's arrives: hers waits for it and is refused (checked:
    // without the lock it lands on PostgreSQL and fails with a database error on SQLite).
    let held = format!("UPDATE collections SET name = 'Sam''s', name_key = 'sam''s' WHERE id = {}", trips.id);
    let sams = server.env.hold(&held).await;
    let late = tokio::spawn({
        let (media, ann_a, seen) = (media.clone(), ann_a, seen.clone());
        async move { media.rename_collection(&ann_a, trips.id, "Ann's", Some(&seen)).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    sams.commit().await;
    clash(late.await.unwrap(), "Sam's");

    // Through the edit page: 409, Ann's name kept in the field, Sam's named; the form now
    // carries Sam's, so renaming again replaces it. A refused name keeps the older fingerprint.
    let edit = format!("/collections/{}/edit", trips.id);
    let action = format!("/collections/{}/rename", trips.id);
    let page = ann.get(&edit).await.body;
    let seen =
        page.split("name=\"seen_name\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let too_long = "x".repeat(101);
    let refused = ann.post(&edit, &action, &[("name", &too_long), ("seen_name", &seen)]).await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains(&format!("value=\"{seen}\"")), "the fingerprint she saw goes back");
    media.rename_collection(&sam_a, trips.id, "Sam <again>", None).await.unwrap();
    let late = ann.post(&edit, &action, &[("name", "Ann & co"), ("seen_name", &seen)]).await;
    assert_eq!(late.status, 409, "{}", late.body);
    let text = html_unescape(&late.body);
    assert!(
        text.contains("Someone renamed this collection to “Sam <again>” while you were editing"),
        "{text}"
    );
    assert!(text.contains("value=\"Ann & co\""), "her name is kept: {text}");
    let now = late.body.split("name=\"seen_name\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    assert_ne!(now, seen);
    let again = ann.post(&edit, &action, &[("name", "Ann & co"), ("seen_name", now)]).await;
    assert_eq!(again.status, 303);
    assert_eq!(name(trips.id).await, "Ann & co");
}

async fn changes_to_the_tree_take_turns(env: TestEnv) {
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let owner = Owner::User(ann.user_id.unwrap());
    let x = media.create_collection(&ann, owner, None, "X").await.unwrap();
    let y = media.create_collection(&ann, owner, None, "Y").await.unwrap();

    // Someone is moving Y into X (written, not yet committed) when Ann moves X into Y: hers
    // waits for it, then finds the circle it would close (checked: without the turns it lands
    // on PostgreSQL, and X and Y, each inside the other, vanish from the list; on SQLite it
    // fails on the stale read).
    let held = env.hold(&format!("UPDATE collections SET parent_id = {} WHERE id = {}", x.id, y.id)).await;
    let late = tokio::spawn({
        let media = media.clone();
        async move { media.move_collection(&ann, x.id, Some(y.id)).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    held.commit().await;
    invalid(late.await.unwrap(), "inside itself or one of its own sub-collections");
    let listed: Vec<String> = media.collections(&ann).await.unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(listed, ["X", "Y"], "Y inside X, both listed");

    // A collection made inside one being deleted (written, not committed) finds it gone: 404,
    // not a failed insert (checked: without the turn it is a database error on both backends).
    let held = env.hold(&format!("DELETE FROM collections WHERE id = {}", x.id)).await;
    let late = tokio::spawn({
        let media = media.clone();
        async move { media.create_collection(&ann, owner, Some(x.id), "Inside").await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    held.commit().await;
    let got = late.await.unwrap();
    assert!(matches!(got, Err(MediaError::NotFound)), "{got:?}");
    assert!(media.collections(&ann).await.unwrap().is_empty(), "X went, with Y inside it");

    // And an item put into a collection being deleted: 404, no place left behind.
    let z = media.create_collection(&ann, owner, None, "Z").await.unwrap();
    let photo = upload(&env, &ann, owner, "p.png").await;
    let held = env.hold(&format!("DELETE FROM collections WHERE id = {}", z.id)).await;
    let late = tokio::spawn({
        let media = media.clone();
        async move { media.add_to_collection(&ann, z.id, photo).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    held.commit().await;
    let got = late.await.unwrap();
    assert!(matches!(got, Err(MediaError::NotFound)), "{got:?}");
    assert_eq!(env.count_rows("collection_items").await, 0);
}

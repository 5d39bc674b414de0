//! Regions on both backends: made, changed and removed through the item page's forms (no
//! JavaScript), refused with the typed text kept, seen but not changed by those who only see
//! the item, 404 for those who do not, in the audit log, kept by the trash, trimmed by a
//! shorter replacement file, listed with their range links on the share page; a change or
//! delete from a page that showed the region before someone else changed it is refused with
//! the typed text kept.

use std::path::Path;
use std::process::Command;

use mediadesk::auth::Role;
use mediadesk::domain::Owner;
use mediadesk::media::{Actor, MediaError, RegionInput, Upload};

use crate::common::server::html_unescape;
use crate::common::*;

backend_tests!(
    regions_through_the_forms,
    who_may_see_and_change_regions,
    a_region_is_kept_with_its_audit_row_or_not_at_all,
    one_region_changed_by_two_at_once
);

/// A WAV of `seconds` of tone, made by ffmpeg.
fn tone(dir: &Path, seconds: u32) -> Vec<u8> {
    let path = dir.join(format!("tone-{seconds}.wav"));
    let made = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("sine=frequency=330:sample_rate=22050:duration={seconds}"))
        .arg(&path)
        .status()
        .expect("ffmpeg runs");
    assert!(made.success());
    std::fs::read(path).unwrap()
}

/// Ten seconds of tone, as an upload's body.
fn wav_stream(dir: &tempfile::TempDir) -> mediadesk::storage::ByteStream {
    bytes_stream(tone(dir.path(), 10))
}

fn input(label: &str, start: &str, end: &str) -> RegionInput {
    RegionInput { label: label.into(), start: start.into(), end: end.into() }
}

async fn regions_through_the_forms(env: TestEnv) {
    let dir = tempfile::tempdir().unwrap();
    let s = env.with_trash(30).start_server().await;
    let (ann, _) = s.signed_in("ann", Role::User).await;
    let (sue, _) = s.signed_in("sue", Role::Admin).await;
    let item = ann.upload_one("talk.wav", tone(dir.path(), 20)).await;
    let add = format!("{item}/regions");

    let done = ann.post(&item, &add, &[("label", "Intro"), ("start", "1.5"), ("end", "0:04")]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(done.location().ends_with("#regions"), "{}", done.location());
    let done = ann.post(&item, &add, &[("label", "Beat"), ("start", "7"), ("end", "")]).await;
    assert_eq!(done.status, 303);
    let body = ann.get(&item).await.body;
    assert!(body.contains("href=\"#t=1.5,4\">Intro</a>"), "{body}");
    assert!(body.contains("0:01.5–0:04.0"));
    assert!(body.contains("href=\"#t=7\">Beat</a>") && body.contains("· marker"));
    assert!(body.contains("class=\"region\" x=\"750.0\""), "drawn on the waveform: {body}");

    // Refused: the page answers 400, says why and keeps what was typed.
    for (fields, why) in [
        ([("label", "Outro"), ("start", "9"), ("end", "8")], "the end comes before the start"),
        ([("label", "Outro"), ("start", "25"), ("end", "")], "past the end of the clip (0:20.0)"),
        ([("label", "Outro"), ("start", "soon"), ("end", "")], "is not a time"),
        ([("label", "  "), ("start", "3"), ("end", "")], "a region needs a name"),
    ] {
        let refused = ann.post(&item, &add, &fields).await;
        assert_eq!(refused.status, 400, "{fields:?}");
        let text = html_unescape(&refused.body);
        assert!(text.contains(why), "{fields:?}: {text}");
        assert!(refused.body.contains(&format!("value=\"{}\"", fields[1].1)), "the typed start is kept");
    }

    // Changed and removed through each line's own forms.
    let id = body.split("id=\"region-").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let changed = ann
        .post(&item, &format!("{item}/regions/{id}"), &[("label", "Welcome"), ("start", "1.5"), ("end", "5")])
        .await;
    assert_eq!(changed.status, 303);
    let refused = ann
        .post(&item, &format!("{item}/regions/{id}"), &[("label", "Welcome"), ("start", "6"), ("end", "5")])
        .await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("<details open>\n        <summary>Edit"), "the line's form stays open");
    let body = ann.get(&item).await.body;
    assert!(body.contains("href=\"#t=1.5,5\">Welcome</a>") && !body.contains(">Intro</a>"));

    // The audit log lists them.
    let audit = html_unescape(&sue.get("/admin/audit").await.body);
    for line in [
        "region added: Intro 0:01.5–0:04.0",
        "region changed: Welcome 0:01.5–0:05.0",
        "region added: Beat 0:07.0",
    ] {
        assert!(audit.contains(line), "{line}: {audit}");
    }

    // The share page lists them with their links.
    ann.post(&item, &format!("{item}/share"), &[("lifetime", "3600")]).await;
    let url = ann.get(&item).await.all("id=\"share-url\" readonly value=\"").pop().unwrap();
    let shared = s.client().get(&url[url.find("/s/").unwrap()..]).await.body;
    assert!(
        shared.contains("href=\"#t=1.5,5\">Welcome</a>") && shared.contains("href=\"#t=7\">Beat</a>"),
        "{shared}"
    );

    // The trash keeps them; a shorter file keeps only those that still fit.
    ann.post(&item, &format!("{item}/delete"), &[("confirmed", "yes")]).await;
    let value = item.replace("/media/", "").replace('/', ":");
    ann.post("/trash", "/trash", &[("action", "restore"), ("item", &value)]).await;
    let body = ann.get(&item).await.body;
    assert!(body.contains(">Welcome</a>") && body.contains(">Beat</a>"), "{body}");
    let replaced = ann.post_file(&item, &format!("{item}/replace"), "short.wav", tone(dir.path(), 6)).await;
    assert!(replaced.status < 400, "{}", replaced.body);
    let body = ann.get(&item).await.body;
    assert!(body.contains(">Welcome</a>") && !body.contains(">Beat</a>"), "{body}");
    assert!(
        html_unescape(&sue.get("/admin/audit").await.body)
            .contains("region removed, past the new file's end: Beat")
    );

    let delete = format!("{item}/regions/{id}/delete");
    assert_eq!(ann.post(&item, &delete, &[]).await.status, 303);
    assert!(!ann.get(&item).await.body.contains(">Welcome</a>"));
    let again = ann.post(&item, &delete, &[]).await;
    assert_eq!(again.status, 303, "already gone: done, and said so");
    assert!(ann.get(again.location()).await.body.contains("That region was already deleted."));
    // A change to the region someone deleted meanwhile: 409, what was typed in the add form.
    let stale =
        ann.post(&item, &format!("{item}/regions/{id}"), &[("label", "Welcome back"), ("start", "2")]).await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    let body = html_unescape(&stale.body);
    assert!(body.contains("Someone deleted this region meanwhile"), "{body}");
    assert!(body.contains(
        "id=\"region-label\" name=\"label\" type=\"text\" maxlength=\"200\" required value=\"Welcome back\""
    ));
    // And one that is refused as well (an end before its start): 400, kept the same way.
    let both = ann
        .post(&item, &format!("{item}/regions/{id}"), &[("label", "Late"), ("start", "6"), ("end", "5")])
        .await;
    assert_eq!(both.status, 400);
    assert!(both.body.contains(
        "id=\"region-label\" name=\"label\" type=\"text\" maxlength=\"200\" required value=\"Late\""
    ));
}

async fn who_may_see_and_change_regions(env: TestEnv) {
    let dir = tempfile::tempdir().unwrap();
    let s = env.start_server().await;
    let (ann, ann_id) = s.signed_in("ann", Role::User).await;
    let (ben, ben_id) = s.signed_in("ben", Role::User).await;
    let (sue, sue_id) = s.signed_in("sue", Role::Staff).await;
    let id_of = |page: &crate::common::server::Page| -> i64 {
        let v: serde_json::Value = serde_json::from_str(&page.body).unwrap();
        v["results"][0]["url"].as_str().unwrap().rsplit('/').next().unwrap().parse().unwrap()
    };
    let anns = id_of(&ann.upload(&[("a.wav", tone(dir.path(), 10))], None, true).await);
    let system = id_of(&sue.upload(&[("s.wav", tone(dir.path(), 10))], Some("system"), true).await);
    let media = &s.app.media;
    let (ann_a, ben_a, sue_a) = (Actor::user(ann_id), Actor::user(ben_id), Actor::staff(sue_id));
    let r = media.add_region(&ann_a, anns, &input("Ann's", "1", "2")).await.unwrap();

    // Another user's item: 404 for reading and writing, as for the item itself.
    assert!(matches!(media.regions(&ben_a, anns).await, Err(MediaError::NotFound)));
    assert!(matches!(media.add_region(&ben_a, anns, &input("x", "1", "")).await, Err(MediaError::NotFound)));
    assert!(matches!(media.delete_region(&ben_a, (anns, r.id), None).await, Err(MediaError::NotFound)));
    let form =
        ben.post("/media", &format!("/media/audio/{anns}/regions"), &[("label", "x"), ("start", "1")]).await;
    assert_eq!(form.status, 404);
    // System media: everyone sees its regions, only staff change them.
    media.add_region(&sue_a, system, &input("Staff's", "3", "")).await.unwrap();
    assert_eq!(media.regions(&ben_a, system).await.unwrap().len(), 1);
    assert!(matches!(
        media.add_region(&ben_a, system, &input("x", "1", "")).await,
        Err(MediaError::Forbidden)
    ));
    assert!(!ben.get(&format!("/media/audio/{system}")).await.body.contains("id=\"region-form\""));
    // Staff manage anyone's; a region is only reached through its own item.
    media.update_region(&sue_a, (anns, r.id), &input("Renamed", "1", "3"), None).await.unwrap();
    assert!(matches!(
        media.update_region(&sue_a, (system, r.id), &input("x", "1", ""), None).await,
        Err(MediaError::NotFound)
    ));
    assert_eq!(media.regions(&ann_a, anns).await.unwrap()[0].label, "Renamed");
    // Images have none.
    let image = id_of(&ann.upload(&[("p.png", fixture_bytes("image.png"))], None, true).await);
    let form =
        ann.post("/media", &format!("/media/image/{image}/regions"), &[("label", "x"), ("start", "1")]).await;
    assert_eq!(form.status, 404);
}

async fn a_region_is_kept_with_its_audit_row_or_not_at_all(env: TestEnv) {
    let dir = tempfile::tempdir().unwrap();
    let s = env.start_server().await;
    let (ann, ann_id) = s.signed_in("ann", Role::User).await;
    let item = ann.upload_one("a.wav", tone(dir.path(), 10)).await;
    let id: i64 = item.rsplit('/').next().unwrap().parse().unwrap();
    let media = &s.app.media;
    let ann_a = Actor::user(ann_id);
    let kept = media.add_region(&ann_a, id, &input("Kept", "1", "2")).await.unwrap();
    let rows = s.env.count_rows("audit_log").await;

    // The audit log refuses: no region is made, changed or removed, and the page says so.
    s.env.inject_db_failure("audit_log", "INSERT").await;
    assert!(media.add_region(&ann_a, id, &input("New", "3", "")).await.is_err());
    assert!(media.update_region(&ann_a, (id, kept.id), &input("Changed", "1", "4"), None).await.is_err());
    assert!(media.delete_region(&ann_a, (id, kept.id), None).await.is_err());
    let form = ann.post(&item, &format!("{item}/regions"), &[("label", "New"), ("start", "3")]).await;
    assert!(form.status >= 500 && form.body.contains("<h1>"), "{}: {}", form.status, form.body);
    s.env.clear_db_failure("audit_log", "INSERT").await;
    assert_eq!(media.regions(&ann_a, id).await.unwrap(), vec![kept.clone()]);
    assert_eq!(s.env.count_rows("audit_log").await, rows);

    // The regions table refuses: nothing is written to the log either.
    s.env.inject_db_failure("audio_regions", "INSERT").await;
    assert!(media.add_region(&ann_a, id, &input("New", "3", "")).await.is_err());
    s.env.clear_db_failure("audio_regions", "INSERT").await;
    assert_eq!(s.env.count_rows("audit_log").await, rows);
    assert_eq!(media.regions(&ann_a, id).await.unwrap().len(), 1);
}

/// A change refused because the region is now `want`.
fn conflict<T: std::fmt::Debug>(got: Result<T, MediaError>, want: &str) {
    match got {
        Err(MediaError::EditConflict(clashes)) => {
            assert_eq!(clashes, vec![("region", Some(want.to_owned()))])
        }
        other => panic!("{other:?}"),
    }
}

/// What region `id`'s edit form shows in field `name`.
fn region_field(page: &str, name: &str, id: i64) -> String {
    let tag = page.split(&format!("id=\"{name}-{id}\"")).nth(1).unwrap().split('>').next().unwrap();
    html_unescape(tag.split("value=\"").nth(1).unwrap().split('"').next().unwrap())
}

/// The fingerprint in region `id`'s forms on an item page.
fn region_seen(page: &str, id: i64) -> String {
    let form = page.split(&format!("id=\"region-{id}\"")).nth(1).unwrap();
    form.split("name=\"seen\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
}

async fn one_region_changed_by_two_at_once(env: TestEnv) {
    let dir = tempfile::tempdir().unwrap();
    let s = env.start_server().await;
    let (ann, ann_id) = s.signed_in("ann", Role::User).await;
    let (_, sue_id) = s.signed_in("sue", Role::Staff).await;
    let item = ann.upload_one("a.wav", tone(dir.path(), 20)).await;
    let id: i64 = item.rsplit('/').next().unwrap().parse().unwrap();
    let media = &s.app.media;
    let (ann_a, sue_a) = (Actor::user(ann_id), Actor::staff(sue_id));
    let r = media.add_region(&ann_a, id, &input("Verse", "1", "3")).await.unwrap();
    let shown = r.seen();
    // Sue changes it; Ann's change from the page she opened before is refused, nothing written
    // or logged; the same change as Sue's is no clash; one made after seeing hers lands.
    media.update_region(&sue_a, (id, r.id), &input("Chorus", "1", "4"), Some(&shown)).await.unwrap();
    let logged = s.env.count_rows("audit_log").await;
    let anns = input("Verse one", "1", "3");
    let late = media.update_region(&ann_a, (id, r.id), &anns, Some(&shown)).await;
    conflict(late, "“Chorus” 0:01.0–0:04.0");
    assert_eq!(media.regions(&ann_a, id).await.unwrap()[0].label, "Chorus");
    assert_eq!(s.env.count_rows("audit_log").await, logged, "nothing logged");
    media.update_region(&ann_a, (id, r.id), &input("Chorus", "1", "4"), Some(&shown)).await.unwrap();
    let now = media.regions(&ann_a, id).await.unwrap().remove(0);
    media.update_region(&ann_a, (id, r.id), &anns, Some(&now.seen())).await.unwrap();
    // A delete from a page that showed Chorus: refused, the region stays.
    let late = media.delete_region(&sue_a, (id, r.id), Some(&now.seen())).await;
    conflict(late, "“Verse one” 0:01.0–0:03.0");
    assert_eq!(media.regions(&ann_a, id).await.unwrap().len(), 1);

    // Sue's change is being saved (her row written, not yet committed) when Ann's arrives:
    // Ann's waits for it and is refused, rather than reading the region from before and then
    // writing over Sue's (checked: without the lock it lands on PostgreSQL, and fails with a
    // database error on SQLite).
    let now = media.regions(&ann_a, id).await.unwrap().remove(0);
    let sues =
        s.env.hold(&format!("UPDATE audio_regions SET label = 'Sue''s take' WHERE id = {}", r.id)).await;
    let late = tokio::spawn({
        let (media, ann_a, seen) = (media.clone(), ann_a, now.seen());
        let anns = input("Ann's take", "1", "3");
        async move { media.update_region(&ann_a, (id, r.id), &anns, Some(&seen)).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    sues.commit().await;
    conflict(late.await.unwrap(), "“Sue's take” 0:01.0–0:03.0");
    let saved = media.regions(&ann_a, id).await.unwrap().remove(0);
    assert_eq!(saved.label, "Sue's take");
    assert_eq!(s.env.count_rows("audit_log").await, logged + 2, "Ann's two saves before");

    // A region added while the item is being deleted (written, not committed) waits for it and
    // finds the item gone: 404, not a database error.
    let other = s
        .app
        .media
        .upload(&ann_a, Upload::new(Owner::User(ann_id), "b.wav"), wav_stream(&dir))
        .await
        .unwrap();
    let held = s.env.hold(&format!("DELETE FROM audios WHERE id = {}", other.id())).await;
    let late = tokio::spawn({
        let (media, other) = (media.clone(), other.id());
        async move { media.add_region(&ann_a, other, &input("Late", "1", "2")).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    held.commit().await;
    let got = late.await.unwrap();
    assert!(matches!(got, Err(MediaError::NotFound)), "{got:?}");

    // Through the page: Ann's form is overtaken by Sue's change; 409, her text in the line's
    // own form with why, Sue's named; saving again puts hers in its place.
    let before = ann.get(&item).await.body;
    let anns_seen = region_seen(&before, r.id);
    assert_eq!(anns_seen, saved.seen());
    media.update_region(&sue_a, (id, r.id), &input("Bridge", "6", "9"), None).await.unwrap();
    let action = format!("{item}/regions/{}", r.id);
    let fields = [("label", "Ann's take"), ("start", "2"), ("end", "5.5"), ("seen", anns_seen.as_str())];
    let refused = ann.post(&item, &action, &fields).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    let text = html_unescape(&refused.body);
    let why = "Someone changed this region while you were editing; it is now “Bridge” 0:06.0–0:09.0.";
    assert!(text.contains(why), "{text}");
    assert!(refused.body.contains("<details open>\n        <summary>Edit"), "the line's form is open");
    assert_eq!(region_field(&refused.body, "label", r.id), "Ann's take");
    assert_eq!(region_field(&refused.body, "end", r.id), "5.5");
    let again_seen = region_seen(&refused.body, r.id);
    assert_ne!(again_seen, anns_seen, "the form now carries Sue's");
    let fields = [("label", "Ann's take"), ("start", "2"), ("end", "5.5"), ("seen", again_seen.as_str())];
    assert_eq!(ann.post(&item, &action, &fields).await.status, 303);
    assert_eq!(media.regions(&ann_a, id).await.unwrap()[0].label, "Ann's take");

    // A refused change (end before start) keeps the fingerprint Ann's page carried: after Sue's
    // change meanwhile, Ann's corrected save is still refused rather than replacing Sue's.
    let shown = region_seen(&ann.get(&item).await.body, r.id);
    let fields = [("label", "Ann's"), ("start", "6"), ("end", "5"), ("seen", shown.as_str())];
    let bad = ann.post(&item, &action, &fields).await;
    assert_eq!(bad.status, 400);
    media.update_region(&sue_a, (id, r.id), &input("Sue's", "1", "2"), None).await.unwrap();
    assert_eq!(region_seen(&bad.body, r.id), shown);
    let fields = [("label", "Ann's"), ("start", "6"), ("end", "7"), ("seen", shown.as_str())];
    assert_eq!(ann.post(&item, &action, &fields).await.status, 409);

    // A delete from a page that showed an older region: 409, the region stays and its form shows
    // it as it is now; deleting again from there deletes it.
    let delete = format!("{action}/delete");
    let refused = ann.post(&item, &delete, &[("seen", shown.as_str())]).await;
    assert_eq!(refused.status, 409);
    let text = html_unescape(&refused.body);
    assert!(text.contains("it is now “Sue's” 0:01.0–0:02.0. It was not deleted"), "{text}");
    assert_eq!(region_field(&refused.body, "label", r.id), "Sue's");
    let now = region_seen(&refused.body, r.id);
    assert_eq!(ann.post(&item, &delete, &[("seen", now.as_str())]).await.status, 303);
    assert!(media.regions(&ann_a, id).await.unwrap().is_empty());
}

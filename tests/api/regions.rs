//! Regions on both backends: made, changed and removed through the item page's forms (no
//! JavaScript), refused with the typed text kept, seen but not changed by those who only see
//! the item, 404 for those who do not, in the audit log, kept by the trash, trimmed by a
//! shorter replacement file, listed with their range links on the share page.

use std::path::Path;
use std::process::Command;

use mediadesk::auth::Role;
use mediadesk::media::{Actor, MediaError, RegionInput};

use crate::common::server::html_unescape;
use crate::common::*;

backend_tests!(
    regions_through_the_forms,
    who_may_see_and_change_regions,
    a_region_is_kept_with_its_audit_row_or_not_at_all
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

fn input(label: &str, start: &str, end: &str) -> RegionInput {
    RegionInput { label: label.into(), start: start.into(), end: end.into() }
}

async fn regions_through_the_forms(env: TestEnv) {
    let dir = tempfile::tempdir().unwrap();
    let s = env.with_trash(30).start_server().await;
    let (ann, _) = s.signed_in("ann", Role::User).await;
    let (sue, _) = s.signed_in("sue", Role::Admin).await;
    let page = ann.upload(&[("talk.wav", tone(dir.path(), 20))], None, true).await;
    let v: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    let item = v["results"][0]["url"].as_str().unwrap().to_owned();
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
    assert_eq!(ann.post(&item, &delete, &[]).await.status, 404, "already gone");
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
    assert!(matches!(media.delete_region(&ben_a, (anns, r.id)).await, Err(MediaError::NotFound)));
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
    media.update_region(&sue_a, (anns, r.id), &input("Renamed", "1", "3")).await.unwrap();
    assert!(matches!(
        media.update_region(&sue_a, (system, r.id), &input("x", "1", "")).await,
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
    let page = ann.upload(&[("a.wav", tone(dir.path(), 10))], None, true).await;
    let v: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    let item = v["results"][0]["url"].as_str().unwrap().to_owned();
    let id: i64 = item.rsplit('/').next().unwrap().parse().unwrap();
    let media = &s.app.media;
    let ann_a = Actor::user(ann_id);
    let kept = media.add_region(&ann_a, id, &input("Kept", "1", "2")).await.unwrap();
    let rows = s.env.count_rows("audit_log").await;

    // The audit log refuses: no region is made, changed or removed, and the page says so.
    s.env.inject_db_failure("audit_log", "INSERT").await;
    assert!(media.add_region(&ann_a, id, &input("New", "3", "")).await.is_err());
    assert!(media.update_region(&ann_a, (id, kept.id), &input("Changed", "1", "4")).await.is_err());
    assert!(media.delete_region(&ann_a, (id, kept.id)).await.is_err());
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

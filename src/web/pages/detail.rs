//! One item: preview or player, metadata, transcript, share link, delete.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::confirm::{ConfirmDeletePage, ConfirmItem, DELETE_DEFERRED};
use super::focal::FocalView;
pub use super::item_path::MediaPath;
use super::shares::{self, NewShareView, ShareLine};
use super::signin::see_other;
use crate::app::App;
use crate::auth::session;
use crate::domain::{AuditAction, Focal, MediaKind, Shot, StripPolicy};
use crate::media::RegionInput;
use crate::media::file::waveform;
use crate::media::{
    Clash, Description, MAX_ALT_TEXT, MAX_CAPTION, MAX_CREDIT, MAX_TITLE, MediaRead, Seen, fingerprint,
    merge_description,
};
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::sound::RegionView;
use crate::web::view::{self, Choice, Escaped, Layout, Moment, PreviewPlaceholder};
use crate::web::{WebSettings, back, sound, stash};

#[derive(Template)]
#[template(path = "detail.html")]
struct DetailPage {
    layout: Layout,
    kind: &'static str,
    filename: String,
    self_url: String,
    /// The original.
    media_url: String,
    /// What the page shows: a large image's display rendition, else the original.
    preview_url: String,
    /// Whether the preview is a reduced rendition.
    reduced: bool,
    /// The preview's placeholder: the thumbnail's ThumbHash and the picture's size as shown.
    placeholder: Option<PreviewPlaceholder>,
    download_url: String,
    /// A large image's screen-size copy as a download, and its link's words.
    sized_download: Option<(String, String)>,
    duration_ms: i64,
    /// What the player plays: audio's playable rendition, else the original.
    play_url: String,
    /// The matched-loudness gain, dB (empty: not measured).
    gain_db: String,
    /// "Quiet", "Clipped", "Mostly silence".
    sound_badges: Vec<&'static str>,
    wave_path: Option<String>,
    wave_box: String,
    /// Escaped once: "Uploaded" is a `<time>`.
    facts: Vec<(&'static str, Escaped)>,
    transcript: String,
    can_manage: bool,
    /// What a turn does to this file, when the reader may turn it (without loss).
    turn_note: Option<&'static str>,
    /// The crop form, when the reader may crop it (without loss).
    crop: Option<CropView>,
    /// The focal point form and mark, when the reader manages the image.
    focal: Option<FocalView>,
    /// "Download original", or what it is when this person gets the copy without location data.
    download_label: &'static str,
    /// Whether the file tells where it was taken or what took it, and what the app does about it.
    privacy: Option<(&'static str, String)>,
    /// Lifetimes a new share link may be given.
    lifetimes: Vec<Choice>,
    /// The "Create link" form's download box and note (a refused one's, kept), and why.
    share_download: bool,
    share_note: String,
    share_error: Option<String>,
    /// The link just made (its address is shown this once), and until when it works.
    new_share: Option<NewShareView>,
    shares: Vec<ShareLine>,
    /// Share lines name no item here; a revoke comes back to this page.
    show_item: bool,
    revoke_back: String,
    /// The gallery view this page was opened from ("Gallery" goes there, and the forms carry it).
    back: String,
    /// `?back=…` for links to this item's own pages; empty for the plain gallery.
    back_query: String,
    /// This item in the full-window viewer, walking the same view.
    viewer_url: String,
    /// The items before and after this one in the gallery view it came from.
    previous_url: Option<String>,
    next_url: Option<String>,
    /// The next item's picture, fetched ahead by the script.
    next_picture: Option<String>,
    /// The title, else the file name.
    heading: String,
    /// Alt text, else the file name.
    alt: String,
    caption: Option<String>,
    credit: Option<String>,
    /// Audio's regions, listed under the player and drawn on the waveform.
    regions: Vec<RegionView>,
    /// A refused region: which (`None`: the add form), what its form shows, and why.
    region_editing: Option<i64>,
    region_draft: RegionInput,
    region_error: Option<String>,
    /// The fingerprint the refused region's form carries again.
    region_seen: String,
    /// What the description form shows (a refused one, kept).
    description: Description,
    description_error: Option<String>,
    /// The fingerprints of what the form shows as saved (`seen_…` fields).
    seen: Vec<(&'static str, String)>,
    /// Fields someone else changed meanwhile: the field and what is saved now.
    clashes: Vec<(&'static str, String)>,
    transcript_seen: String,
    transcript_error: Option<String>,
    /// A transcript someone else saved meanwhile, as saved now.
    transcript_clash: Option<String>,
    /// Longest title, alt text, caption, credit.
    limits: (usize, usize, usize, usize),
    tags: Vec<String>,
    /// A refused tag field, shown again.
    tag_draft: String,
    tag_suggestions: std::sync::Arc<Vec<String>>,
    /// An image's look-alikes, a sound's sound-alikes.
    alike: super::alike::AlikeView,
    /// The collections it is in: (id, name, whether the user may take it out).
    in_collections: Vec<(i64, String, bool)>,
    /// The collections the user may put it in.
    collection_choices: Vec<Choice>,
    /// The cursor starts in the description.
    edit: bool,
    /// Earlier files, the most recent first.
    versions: Vec<VersionLine>,
    /// A replaced file is kept as a version (for `trash_days`).
    versions_kept: bool,
    trash_days: u32,
    /// The "Replace from a link" form (where links may be added): the link typed, and why it
    /// did not replace the file.
    replace_link: Option<(String, Option<String>)>,
}

/// An earlier file as the page lists it.
struct VersionLine {
    id: i64,
    name: String,
    /// Its type and size.
    facts: String,
    replaced: Moment,
    /// What set it aside: "replaced", "turned", "rolled back".
    how: &'static str,
    /// Who replaced it.
    by: String,
    purge: Moment,
}

impl DetailPage {
    /// Whether region `id`'s edit form shows a refused change.
    fn editing(&self, id: &i64) -> bool {
        self.region_editing == Some(*id)
    }

    /// The fingerprint region `r`'s forms carry: as the person saw it when their change was
    /// refused, else as saved now.
    fn region_seen<'a>(&'a self, r: &'a RegionView) -> &'a str {
        if self.editing(&r.id) { &self.region_seen } else { &r.seen }
    }
}

/// The crop form: what it does to this file, the image's size as shown, and the numbers it
/// holds (the whole image, or those of a refused crop).
struct CropView {
    note: &'static str,
    width: u32,
    height: u32,
    values: [String; 4],
    /// The shapes offered, and the focal point (percent) they are cut around.
    shapes: &'static [(&'static str, &'static str)],
    /// The shape a refused crop had chosen ("" none).
    shape: &'static str,
    focal: Option<(f64, f64)>,
}

impl CropView {
    fn chosen(&self, shape: &str) -> bool {
        self.shape == shape
    }
}

/// What a detail address may carry: the gallery view to return to, and more.
#[derive(Deserialize, Default)]
pub struct DetailQuery {
    pub(super) back: Option<String>,
    /// A tag field that was refused, to be shown again.
    tags: Option<String>,
    /// Opened to edit (the viewer's Edit): the cursor starts in the description.
    edit: Option<u8>,
    /// A refused crop's numbers, to be shown again (see `crop.rs`).
    crop: Option<String>,
    /// A refused focal point's numbers (see `focal.rs`).
    focal: Option<String>,
}

/// What the page's fields show instead of what is saved: text that was not saved.
#[derive(Default)]
pub(super) struct Drafts {
    pub(super) transcript: Option<String>,
    pub(super) crop: Option<super::crop::CropDraft>,
    pub(super) focal: Option<[String; 2]>,
    pub(super) tags: String,
    /// A description that was not saved, and why (the page then answers 400).
    pub(super) description: Option<(Description, Option<String>)>,
    /// The fingerprints its form carried (`None`: those of what is saved).
    pub(super) description_seen: Option<Seen>,
    /// Fields someone else changed meanwhile, as saved now (the page then answers 409).
    pub(super) clashes: Vec<Clash>,
    /// Why the transcript in the box was not saved (the page then answers 400).
    pub(super) transcript_error: Option<String>,
    /// The transcript form's fingerprint (`None`: of what is saved).
    pub(super) transcript_seen: Option<String>,
    /// A transcript someone else saved meanwhile (the box keeps this person's).
    pub(super) transcript_clash: Option<Option<String>>,
    /// The cursor starts in the description's first field.
    pub(super) edit: bool,
    /// A region change that was not made.
    pub(super) region: Option<RegionDraft>,
    /// A link that was not made.
    pub(super) share: Option<ShareDraft>,
    /// A link whose answer did not replace the file.
    pub(super) replace_link: Option<LinkDraft>,
    /// What was not saved was overtaken by someone else's change (the page answers 409).
    pub(super) conflict: bool,
}

/// The "Create link" form as it was sent, and why no link was made (its password is never
/// sent back).
pub(super) struct ShareDraft {
    pub(super) lifetime: String,
    pub(super) download: bool,
    pub(super) note: String,
    pub(super) why: String,
}

/// The "Replace from a link" form as it was sent, why the file was not replaced, and the
/// status the page answers with (that of the refusal).
pub(super) struct LinkDraft {
    pub(super) link: String,
    pub(super) why: String,
    pub(super) status: StatusCode,
}

/// A region form that comes back with why its change was not made.
pub(super) struct RegionDraft {
    /// Which region's form (`None`: the add form).
    pub(super) which: Option<i64>,
    /// What was typed (`None`: the region as saved now).
    pub(super) input: Option<RegionInput>,
    pub(super) why: String,
    /// The fingerprint the form carried (`None`: that of the region as saved now).
    pub(super) seen: Option<String>,
}

/// The item's page.
pub(super) async fn render(
    app: &App,
    settings: &WebSettings,
    user: &CurrentUser,
    path: MediaPath,
    back: String,
    drafts: Drafts,
) -> Result<HttpResponse, WebError> {
    let actor = user.actor();
    let detail = app.media.detail(&actor, path.kind, path.id).await?;
    let media = &detail.media;
    let owner_id = media.owner_id();
    let owner = match owner_id {
        None => "System".to_owned(),
        Some(oid) => {
            app.accounts.by_id(oid).await.map(|a| a.username).unwrap_or_else(|_| format!("user {oid}"))
        }
    };
    let wave_path = match media {
        MediaRead::Audio(a) => a.peaks.as_deref().map(|p| waveform::svg_path(p, waveform::BINS)),
        MediaRead::Image(_) => None,
    };
    let (facts, transcript, duration_ms) = match media {
        MediaRead::Image(i) => (
            listed(
                vec![
                    ("Type", i.content_type.clone()),
                    ("Dimensions", format!("{} × {} px", i.width, i.height)),
                    (
                        "Frames",
                        if i.frames > 1 {
                            format!("animated · {} frames", i.frames)
                        } else {
                            "still".into()
                        },
                    ),
                    ("Size", view::human_size(i.byte_size)),
                    ("Owner", owner),
                ],
                (i.created_at, i.source_link.as_deref()),
                shot_facts(i.shot.as_ref()).into_iter().chain([("SHA-256", i.sha256.clone())]),
            ),
            String::new(),
            0,
        ),
        MediaRead::Audio(a) => (
            listed(
                vec![
                    ("Type", format!("{} ({})", a.content_type, a.codec)),
                    ("Duration", view::duration(a.duration_ms)),
                    ("Bitrate", format!("{} kbit/s", (a.bitrate + 500) / 1000)),
                    ("Sample rate", format!("{} Hz", a.sample_rate)),
                    (
                        "Channels",
                        match a.channels {
                            1 => "mono".to_owned(),
                            2 => "stereo".to_owned(),
                            n => n.to_string(),
                        },
                    ),
                    ("Size", view::human_size(a.byte_size)),
                    ("Owner", owner),
                ],
                (a.created_at, a.source_link.as_deref()),
                [("SHA-256", a.sha256.clone())].into_iter().chain(sound::facts(a)),
            ),
            drafts.transcript.clone().unwrap_or_else(|| a.transcript.clone().unwrap_or_default()),
            a.duration_ms,
        ),
    };
    let new_share = shares::take_new_share(&user.session, settings, (path.kind, path.id));
    let shares = app.media.item_shares(&actor, path.kind, path.id).await?;
    let names = shares::account_names(app).await?;
    let shares = shares.into_iter().map(|s| ShareLine::of(s, &names)).collect();
    let item = (path.kind, path.id);
    let in_collections: Vec<(i64, String, bool)> = app
        .media
        .collections_of(&actor, item)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name, c.can_manage))
        .collect();
    // Where it may go: collections the user manages whose owner can see it, not already holding it.
    let collection_choices = app
        .media
        .collection_choices(&actor, super::gallery::MAX_COLLECTION_CHOICES)
        .await?
        .iter()
        .filter(|c| c.can_manage && (owner_id.is_none() || c.owner.id() == owner_id))
        .filter(|c| !in_collections.iter().any(|(id, _, _)| *id == c.id))
        .map(|c| Choice {
            value: c.id.to_string(),
            label: format!("{}{}", "— ".repeat(c.depth), c.name),
            selected: false,
        })
        .collect();
    // The items before and after this one in the gallery view it was opened from.
    let around = super::gallery::walk(app, user, &back, item).await?;
    let walk =
        |n: Option<(MediaKind, i64)>| n.map(|(k, id)| back::with_back(&format!("/media/{k}/{id}"), &back));
    let saved = media.description().clone();
    let (description, description_error, seen) = match drafts.description {
        // Refused for a clash: the fields this person left alone show what is saved now, so
        // that saving again keeps them; they have now seen all of it.
        Some((d, why)) if !drafts.clashes.is_empty() => {
            let d = match &drafts.description_seen {
                Some(seen) => merge_description(seen, d, saved.clone()).0,
                None => d,
            };
            (d, why, Seen::of(&saved))
        }
        Some((d, why)) => (d, why, drafts.description_seen.unwrap_or_else(|| Seen::of(&saved))),
        None => (saved.clone(), None, Seen::of(&saved)),
    };
    let seen = [
        ("title", seen.title),
        ("alt_text", seen.alt_text),
        ("caption", seen.caption),
        ("credit", seen.credit),
    ]
    .into_iter()
    .filter_map(|(name, fp)| Some((name, fp?)))
    .collect();
    let shown = |t: Option<String>| t.unwrap_or_else(|| "(empty)".to_owned());
    let clashes: Vec<_> = drafts.clashes.into_iter().map(|(name, now)| (name, shown(now))).collect();
    let transcript_clash = drafts.transcript_clash.map(shown);
    let refused = description_error.is_some()
        || drafts.region.is_some()
        || drafts.transcript_error.is_some()
        || drafts.share.is_some();
    let status = if let Some(d) = &drafts.replace_link {
        d.status
    } else if drafts.conflict || !clashes.is_empty() || transcript_clash.is_some() {
        StatusCode::CONFLICT
    } else if refused {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let regions = match media {
        MediaRead::Audio(a) => sound::region_views(&app.media.regions(&actor, a.id).await?, a.duration_ms),
        MediaRead::Image(_) => Vec::new(),
    };
    let (region_editing, region_draft, region_error, region_seen) = match drafts.region {
        Some(d) => {
            // A refused change of a region that is gone meanwhile comes back in the add form.
            let shown = regions.iter().find(|v| Some(v.id) == d.which);
            let input = d.input.or_else(|| {
                shown.map(|v| RegionInput {
                    label: v.label.clone(),
                    start: v.start.clone(),
                    end: v.end.clone(),
                })
            });
            let seen = d.seen.or_else(|| shown.map(|v| v.seen.clone()));
            (shown.map(|v| v.id), input.unwrap_or_default(), Some(d.why), seen.unwrap_or_default())
        }
        None => (None, RegionInput::default(), None, String::new()),
    };
    let mut versions = Vec::new();
    for v in app.media.versions(&actor, item).await? {
        let who = match v.replaced_by {
            Some(id) if id == user.account.id => "you".to_owned(),
            Some(id) => {
                app.accounts.by_id(id).await.map(|a| a.username).unwrap_or_else(|_| format!("user {id}"))
            }
            None => "the operator".to_owned(),
        };
        versions.push(VersionLine {
            id: v.id,
            facts: format!("{} · {}", v.content_type, view::human_size(v.byte_size)),
            name: v.filename,
            replaced: Moment(v.replaced_at),
            how: match v.how {
                AuditAction::Turn => "turned",
                AuditAction::Crop => "cropped",
                AuditAction::RollBack => "rolled back",
                _ => "replaced",
            },
            by: who,
            purge: Moment(v.purge_at),
        });
    }
    let body = DetailPage {
        viewer_url: back::with_back(&format!("{}/view", path.url()), &back),
        previous_url: walk(around.previous),
        next_url: walk(around.next),
        next_picture: around.next_picture,
        heading: saved.title.clone().unwrap_or_else(|| media.filename().to_owned()),
        alt: saved.alt_text.clone().unwrap_or_else(|| media.filename().to_owned()),
        caption: saved.caption.clone(),
        credit: saved.credit.clone(),
        description,
        description_error,
        seen,
        clashes,
        transcript_seen: match (drafts.transcript_seen, media) {
            (Some(seen), _) => seen,
            (None, MediaRead::Audio(a)) => fingerprint(a.transcript.as_deref()),
            (None, MediaRead::Image(_)) => String::new(),
        },
        transcript_clash,
        transcript_error: drafts.transcript_error,
        regions,
        region_editing,
        region_draft,
        region_error,
        region_seen,
        limits: (MAX_TITLE, MAX_ALT_TEXT, MAX_CAPTION, MAX_CREDIT),
        tags: app.media.tags_of(&actor, item).await?,
        tag_draft: drafts.tags,
        edit: drafts.edit,
        tag_suggestions: app.media.tag_suggestions(&actor).await?,
        alike: super::alike::view(app, user, path.kind, path.id).await?,
        in_collections,
        collection_choices,
        layout: Layout::new(&user.session, Some(&user.account), "gallery"),
        kind: path.kind.as_str(),
        filename: media.filename().to_owned(),
        self_url: path.url(),
        media_url: detail.view_url.clone(),
        preview_url: detail.shown_url().to_owned(),
        reduced: detail.display_url.is_some(),
        placeholder: PreviewPlaceholder::of(&detail.media, detail.shown_size),
        download_url: detail.download_url.clone(),
        sized_download: detail
            .display_download
            .clone()
            .map(|(url, (w, h))| (url, format!("Download at {w} × {h}"))),
        duration_ms,
        play_url: detail.play_url.clone().unwrap_or_else(|| detail.view_url.clone()),
        gain_db: match media {
            MediaRead::Audio(a) => sound::gain_attr(&a.health),
            MediaRead::Image(_) => String::new(),
        },
        sound_badges: match media {
            MediaRead::Audio(a) => sound::badges(&a.health),
            MediaRead::Image(_) => Vec::new(),
        },
        wave_path,
        wave_box: waveform::svg_view_box(waveform::BINS),
        facts,
        transcript,
        can_manage: actor.can_manage(owner_id),
        turn_note: (actor.can_manage(owner_id) && media.can_turn()).then(|| turn_note(media.content_type())),
        crop: match media {
            MediaRead::Image(i) if actor.can_manage(owner_id) && media.can_crop() => {
                let (width, height) = (i.width as u32, i.height as u32);
                let whole = || ["0".into(), "0".into(), width.to_string(), height.to_string()];
                let (values, shape) = drafts.crop.map_or_else(|| (whole(), ""), |d| (d.values, d.shape));
                Some(CropView {
                    note: crop_note(&i.content_type),
                    width,
                    height,
                    values,
                    shape,
                    shapes: &super::crop::SHAPES,
                    focal: i.focal.map(Focal::percent),
                })
            }
            _ => None,
        },
        focal: match media {
            MediaRead::Image(i) if actor.can_manage(owner_id) => Some(FocalView::of(i, drafts.focal)),
            _ => None,
        },
        download_label: match media {
            MediaRead::Image(i)
                if i.has_private_copy
                    && !actor.can_manage(owner_id)
                    && app.media.settings().strip_metadata == StripPolicy::Shares =>
            {
                "Download (without location and camera details)"
            }
            _ => "Download original",
        },
        privacy: privacy_note(media, app.media.settings().strip_metadata),
        lifetimes: shares::lifetime_choices(app, drafts.share.as_ref().map(|d| d.lifetime.as_str())),
        share_download: drafts.share.as_ref().is_some_and(|d| d.download),
        share_note: drafts.share.as_ref().map(|d| d.note.clone()).unwrap_or_default(),
        share_error: drafts.share.map(|d| d.why),
        new_share,
        shares,
        show_item: false,
        revoke_back: format!("{}{}#shares", path.url(), back::with_back("", &back)),
        back_query: back::with_back("", &back),
        back,
        versions,
        versions_kept: app.media.keeps_trash(),
        trash_days: app.media.settings().trash_days,
        replace_link: app.media.settings().link_import.enabled.then(|| match drafts.replace_link {
            Some(d) => (d.link, Some(d.why)),
            None => (String::new(), None),
        }),
    }
    .render()?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
}

/// An item's facts as its page lists them, escaped once: when it was uploaded is a `<time>`.
fn listed(
    about: Vec<(&'static str, String)>,
    (uploaded, from): (chrono::NaiveDateTime, Option<&str>),
    rest: impl IntoIterator<Item = (&'static str, String)>,
) -> Vec<(&'static str, Escaped)> {
    let text = |(name, value): (&'static str, String)| (name, Escaped::of(&value));
    about
        .into_iter()
        .map(text)
        .chain([("Uploaded", Moment(uploaded).into())])
        .chain(from.map(|link| ("Added from", Escaped::link(link))))
        .chain(rest.into_iter().map(text))
        .collect()
}

/// How a photo was taken, as far as it says: when, with what, and how.
fn shot_facts(shot: Option<&Shot>) -> Vec<(&'static str, String)> {
    let Some(shot) = shot else { return Vec::new() };
    [
        ("Taken", shot.taken_text()),
        ("Camera", shot.camera()),
        ("Lens", shot.lens.clone()),
        ("Exposure", shot.exposure()),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name, value?)))
    .collect()
}

/// The badge and sentence for an image whose metadata says where it was taken or what took it.
fn privacy_note(media: &MediaRead, policy: StripPolicy) -> Option<(&'static str, String)> {
    let MediaRead::Image(i) = media else { return None };
    let badge = match (i.has_location, i.has_device_data) {
        (true, true) => "Contains location and camera details",
        (true, false) => "Contains location",
        (false, true) => "Contains camera details",
        (false, false) => return None,
    };
    let what = match (i.has_location, i.has_device_data) {
        (true, true) => "where it was taken and the camera's serial numbers or owner",
        (true, false) => "where it was taken",
        _ => "the camera's serial numbers, owner or maker notes",
    };
    let done = match (policy, i.has_private_copy) {
        (StripPolicy::Shares, true) => {
            "Share links and other people's downloads get a copy without it; you and staff get the original."
        }
        (StripPolicy::Never, _) => "It is shared as it is (MEDIADESK_STRIP_METADATA=never).",
        _ => "It is shared as it is: it was uploaded before copies without it were made.",
    };
    Some((badge, format!("The file's metadata says {what}. {done}")))
}

/// Text posted to this item's forms after the session ended, put back into them unsaved: a
/// transcript, a description, tags, a link's choices, a new region or a change to one (its
/// address names which). Says whether there was any (taken out: it comes back once).
fn restored(settings: &WebSettings, req: &HttpRequest, user: &CurrentUser, url: &str) -> (Drafts, bool) {
    let (now, me) = (settings.clock.now(), user.account.id);
    let take = |action: String| settings.work.take(req, now, me, &action);
    let kept = take(format!("{url}/transcript"));
    let kept_description = take(format!("{url}/describe"));
    let kept_tags = take(format!("{url}/tags"));
    let kept_share = take(format!("{url}/share"));
    let kept_region = take(format!("{url}/regions"));
    let kept_link = take(format!("{url}/replace/link"));
    let changed = settings
        .work
        .peek(req, now)
        .and_then(|k| k.action.strip_prefix(&format!("{url}/regions/"))?.parse::<i64>().ok());
    let kept_change = changed.and_then(|r| Some((r, take(format!("{url}/regions/{r}"))?)));
    let region = |k: &stash::Kept| {
        let f = |name: &str| k.field(name).unwrap_or_default().to_owned();
        RegionInput { label: f("label"), start: f("start"), end: f("end") }
    };
    let drafts = Drafts {
        transcript: kept.as_ref().and_then(|k| k.field("transcript")).map(str::to_owned),
        transcript_seen: kept.as_ref().and_then(|k| k.field("seen_transcript")).map(str::to_owned),
        tags: kept_tags.as_ref().and_then(|k| k.field("tags")).unwrap_or_default().to_owned(),
        share: kept_share.as_ref().map(|k| ShareDraft {
            lifetime: k.field("lifetime").unwrap_or_default().to_owned(),
            download: k.field("download").is_some(),
            note: k.field("note").unwrap_or_default().to_owned(),
            why: "You were signed out before the link was made; make it again (type its password again \
                  if it had one)."
                .to_owned(),
        }),
        region: match (&kept_region, &kept_change) {
            (Some(k), _) => {
                let why = "You were signed out before this region was saved; add it again.".to_owned();
                Some(RegionDraft { which: None, input: Some(region(k)), why, seen: None })
            }
            (None, Some((r, k))) => {
                let why = "You were signed out before this change was saved; save it again.".to_owned();
                let seen = k.field("seen").map(str::to_owned);
                Some(RegionDraft { which: Some(*r), input: Some(region(k)), why, seen })
            }
            (None, None) => None,
        },
        description: kept_description.as_ref().map(|k| {
            let f = |name: &str| k.field(name).map(str::to_owned);
            (
                Description {
                    title: f("title"),
                    alt_text: f("alt_text"),
                    caption: f("caption"),
                    credit: f("credit"),
                },
                Some("You were signed out before this was saved; save it again.".to_owned()),
            )
        }),
        description_seen: kept_description.as_ref().and_then(|k| {
            let f = |name: &str| k.field(name).map(str::to_owned);
            carried(Seen {
                title: f("seen_title"),
                alt_text: f("seen_alt_text"),
                caption: f("seen_caption"),
                credit: f("seen_credit"),
            })
        }),
        replace_link: kept_link.as_ref().map(|k| LinkDraft {
            link: k.field("link").unwrap_or_default().to_owned(),
            why: "You were signed out before the file was replaced; replace it again.".to_owned(),
            status: StatusCode::OK,
        }),
        ..Drafts::default()
    };
    let kept =
        [kept, kept_description, kept_tags, kept_share, kept_region, kept_link, kept_change.map(|(_, k)| k)];
    (drafts, kept.into_iter().flatten().next().is_some())
}

pub async fn show(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    req: HttpRequest,
    path: web::Path<MediaPath>,
    q: web::Query<DetailQuery>,
) -> Result<HttpResponse, WebError> {
    let back = back::gallery_view(q.back.as_deref());
    let path = path.into_inner();
    let (mut drafts, kept) = restored(&settings, &req, &user, &path.url());
    // A refused tag field comes back in the address (see `tags.rs`).
    if let (true, Some(tags)) = (drafts.tags.is_empty(), &q.tags) {
        drafts.tags = tags.clone();
    }
    drafts.edit = q.edit.is_some();
    drafts.crop = q.crop.as_deref().and_then(super::crop::typed_back);
    drafts.focal = q.focal.as_deref().and_then(super::focal::typed_back);
    let (kind, id) = (path.kind, path.id);
    let res = match render(&app, &settings, &user, path, back, drafts).await {
        Err(WebError::NotFound) if app.media.in_trash(&user.actor(), kind, id).await? => {
            return super::trash::in_trash_page(&user, kind, id);
        }
        other => other?,
    };
    Ok(if kept { stash::handed_back(res) } else { res })
}

/// The fingerprints a form carried; `None` from a form without any (a page from before they
/// existed, a script), whose description then replaces what is saved.
pub(super) fn carried(seen: Seen) -> Option<Seen> {
    (seen != Seen::default()).then_some(seen)
}

/// A GET of an address forms post to (a bookmark, a reload after a redirect): the item's page.
pub async fn to_item(path: web::Path<MediaPath>) -> HttpResponse {
    see_other(&path.into_inner().url())
}

pub async fn confirm_delete(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<MediaPath>,
    q: web::Query<DetailQuery>,
) -> Result<HttpResponse, WebError> {
    let path = path.into_inner();
    let back = back::gallery_view(q.back.as_deref());
    let actor = user.actor();
    let selected = app.media.selection(&actor, &[(path.kind, path.id)]).await?.items.pop();
    let item = selected.ok_or(WebError::NotFound)?;
    if !item.can_manage {
        return Err(crate::media::MediaError::Forbidden.into());
    }
    let items = vec![ConfirmItem {
        value: format!("{}:{}", path.kind, path.id),
        filename: item.filename,
        owner_label: String::new(),
        thumb_url: item.thumb_url,
        live_shares: item.live_shares,
    }];
    let trash_days = app.media.settings().trash_days;
    let notes = super::confirm::shares_note(&items, trash_days).into_iter().collect();
    let body = ConfirmDeletePage {
        layout: Layout::new(&user.session, Some(&user.account), "gallery"),
        items,
        notes,
        action: format!("{}/delete", path.url()),
        cancel_url: back::with_back(&path.url(), &back),
        back,
        trash_days,
    }
    .render()?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    csrf_token: String,
    back: Option<String>,
}

pub async fn delete(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<MediaPath>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let MediaPath { kind, id } = path.into_inner();
    let deleted = app.media.delete(&user.actor(), kind, id).await?;
    let name = deleted.media.filename();
    let back = back::gallery_view(form.back.as_deref());
    match deleted.trashed_until {
        Some(until) => {
            session::flash(&user.session, "ok", super::confirm::moved_to_trash(name, until));
            session::offer_undo(&user.session, &[format!("{kind}:{id}")], &back);
        }
        None => session::flash(&user.session, "ok", format!("Deleted {name}.")),
    }
    if deleted.removal_deferred {
        session::flash(&user.session, "note", DELETE_DEFERRED);
    }
    Ok(see_other(&back))
}

fn crop_note(content_type: &str) -> &'static str {
    match content_type {
        "image/jpeg" => {
            "A JPEG crop keeps the compressed picture inside as it is: nothing is re-encoded. The \
             photo is stored in blocks of 8 or 16 pixels, so the crop's left or top edge (as \
             stored; either side once turned) may take in up to 15 more pixels."
        }
        "image/gif" => {
            "Cropping cuts every frame and compresses it again without loss (GIF is lossless); \
             timing, loop and colour profile are kept, comments are not."
        }
        "image/webp" => {
            "A lossless WebP keeps every pixel inside exactly; a lossy one is compressed anew at \
             quality 90, which may lose a little. The colour profile, EXIF and XMP are kept."
        }
        _ => {
            "Cropping keeps every pixel inside exactly (PNG is lossless); the colour profile, text \
             and EXIF are kept."
        }
    }
}

fn turn_note(content_type: &str) -> &'static str {
    match content_type {
        "image/jpeg" => {
            "Turning changes only how the photo is shown (its EXIF orientation): not one pixel is \
             re-encoded, so turning loses nothing."
        }
        "image/gif" => {
            "Turning moves every frame's pixels and compresses them again without loss (GIF is \
             lossless); timing, loop and colour profile are kept, comments are not."
        }
        "image/webp" => {
            "Turning moves the pixels: a lossless WebP loses nothing; a lossy one is compressed \
             anew at quality 90, which may lose a little. The colour profile, EXIF and XMP are \
             kept."
        }
        _ => {
            "Turning moves the pixels and compresses them again without loss (PNG is lossless); \
             the colour profile, text and EXIF are kept."
        }
    }
}

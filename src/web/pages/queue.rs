//! The describing queue: one item at a time that still needs alt text (images) or a transcript
//! (audio), keyboard first — type, Enter, next. How far the library is along is shown on top.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::signin::see_other;
use crate::app::App;
use crate::auth::session;
use crate::domain::{GalleryQuery, KindFilter, MediaKind, Only, OwnerFilter};
use crate::media::{Description, GalleryItem, MAX_ALT_TEXT, MediaError, Seen, fingerprint};
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;
use crate::web::view::{self, Layout};
use crate::web::{WebSettings, stash};

#[derive(Template)]
#[template(path = "describe_queue.html")]
struct QueuePage {
    layout: Layout,
    kind: &'static str,
    coverage: String,
    item: Option<GalleryItem>,
    /// The image as large as its page shows it (its screen-size rendition, or the original when
    /// that is small): a 320 px thumbnail hides what the text has to say.
    preview: Option<String>,
    /// Where the queue goes on from (past this item), for "Skip" and after saving.
    after: String,
    left: String,
    /// Text for this item that was not saved, and why.
    draft: String,
    error: Option<String>,
    done: String,
    max_alt: usize,
    /// The fingerprint of the empty text an item in the queue has (`seen`).
    seen: String,
    /// Text for another item than the one shown that was not saved: why, and both texts.
    elsewhere: Option<Elsewhere>,
}

/// Unsaved text for an item the queue no longer shows first (someone else described it
/// meanwhile, or it was skipped earlier): the item's page to save it on, and what it holds.
struct Elsewhere {
    why: String,
    url: String,
    theirs: Option<String>,
    yours: String,
}

/// Text typed for item `id` that was not saved, and why.
struct Draft {
    id: i64,
    text: String,
    why: Option<String>,
    /// What someone else saved for it meanwhile.
    theirs: Option<String>,
}

#[derive(Deserialize)]
pub struct QueueQuery {
    kind: Option<String>,
    after: Option<String>,
}

#[derive(Deserialize)]
pub struct SaveForm {
    csrf_token: String,
    kind: String,
    id: i64,
    text: String,
    /// The fingerprint of the text the form showed; the queue only shows empty ones.
    seen: Option<String>,
    #[serde(default)]
    after: String,
}

fn kind_of(s: Option<&str>) -> MediaKind {
    s.and_then(|k| k.parse().ok()).unwrap_or(MediaKind::Image)
}

async fn page(
    app: &App,
    user: &CurrentUser,
    (kind, after): (MediaKind, Option<String>),
    draft: Option<Draft>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let actor = user.actor();
    // What this person may describe: their own media (staff: all of it).
    let scope =
        if user.account.role.is_staff() { OwnerFilter::Any } else { OwnerFilter::User(user.account.id) };
    let only = match kind {
        MediaKind::Image => Only::MissingAltText,
        MediaKind::Audio => Only::MissingTranscript,
    };
    let kinds = match kind {
        MediaKind::Image => KindFilter::Image,
        MediaKind::Audio => KindFilter::Audio,
    };
    let all = GalleryQuery { kind: kinds, per_page: 1, ..GalleryQuery::new(scope) };
    let total = app.media.gallery(&actor, &all).await?.total;
    let missing = GalleryQuery { only: Some(only), ..all.clone() };
    let left = app.media.gallery(&actor, &missing).await?.total;
    let next = GalleryQuery { cursor: after.clone(), ..missing };
    let found = match app.media.gallery(&actor, &next).await {
        Ok(p) => p,
        // A stale link: start from the top.
        Err(MediaError::Invalid(_)) => {
            app.media.gallery(&actor, &GalleryQuery { cursor: None, ..next }).await?
        }
        Err(e) => return Err(e.into()),
    };
    let (what, things) = match kind {
        MediaKind::Image => ("Alt text", "images"),
        MediaKind::Audio => ("Transcripts", "audio clips"),
    };
    let coverage = if total == 0 {
        format!("No {things} yet.")
    } else {
        // Rounded, but never "100 %" while something is left.
        let pct = ((total - left) * 200 + total) / (2 * total);
        let pct = if left > 0 { pct.min(99) } else { pct };
        format!("{what}: {pct} % of {} {things}", view::count(total))
    };
    let done = if left == 0 {
        format!("Every one of your {things} is described.")
    } else {
        format!(
            "Nothing left after the ones you skipped. {} still to do — start again from the top.",
            view::count(left)
        )
    };
    let item = found.items.into_iter().next();
    let preview = match &item {
        Some(i) if kind == MediaKind::Image => {
            match app.media.shown_url(&actor, kind, i.id).await {
                Ok(shown) => Some(shown),
                // Deleted since the queue found it: its thumbnail's link still answers a while.
                Err(MediaError::NotFound) => i.thumb_url.clone(),
                Err(e) => return Err(e.into()),
            }
        }
        _ => None,
    };
    let after = found.next_cursor.or_else(|| item.as_ref().and(after)).unwrap_or_default();
    // The text goes back into the field when its item is the one shown, else beside it.
    let (draft, elsewhere) = match draft {
        Some(d) if d.theirs.is_none() && item.as_ref().is_some_and(|i| i.id == d.id) => (Some(d), None),
        Some(d) => {
            let why = match (&d.theirs, &d.why) {
                (Some(_), _) => {
                    "Someone else described that item while you were typing, so yours was not saved."
                        .to_owned()
                }
                (None, Some(why)) => format!("What you typed for that item was not saved: {why}."),
                (None, None) => {
                    "You were signed out before what you typed for that item was saved.".to_owned()
                }
            };
            let url = format!("/media/{kind}/{}", d.id);
            (None, Some(Elsewhere { why, url, theirs: d.theirs, yours: d.text }))
        }
        None => (None, None),
    };
    let body = QueuePage {
        layout: Layout::new(&user.session, Some(&user.account), "describe"),
        kind: kind.as_str(),
        coverage,
        after,
        left: if left == 1 { "1 left".into() } else { format!("{} left", view::count(left)) },
        item,
        preview,
        error: draft.as_ref().and_then(|d| d.why.clone()),
        draft: draft.map(|d| d.text).unwrap_or_default(),
        done,
        max_alt: MAX_ALT_TEXT,
        seen: fingerprint(None),
        elsewhere,
    }
    .render()?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
}

pub async fn show(
    app: web::Data<App>,
    settings: web::Data<WebSettings>,
    user: CurrentUser,
    req: HttpRequest,
    q: web::Query<QueueQuery>,
) -> Result<HttpResponse, WebError> {
    let q = q.into_inner();
    let after = q.after.filter(|a| !a.is_empty());
    // Text posted after the session ended comes back into its item's field (sign-in said so).
    let kept = settings.work.take(&req, settings.clock.now(), user.account.id, "/describe");
    let draft = kept.as_ref().and_then(|k| {
        let id = k.field("id")?.parse().ok()?;
        Some(Draft { id, text: k.field("text")?.to_owned(), why: None, theirs: None })
    });
    let kind = kind_of(kept.as_ref().and_then(|k| k.field("kind")).or(q.kind.as_deref()));
    let res = page(&app, &user, (kind, after), draft, StatusCode::OK).await?;
    Ok(if kept.is_some() { stash::handed_back(res) } else { res })
}

pub async fn save(
    app: web::Data<App>,
    user: CurrentUser,
    form: web::Form<SaveForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let form = form.into_inner();
    let kind = kind_of(Some(&form.kind));
    let actor = user.actor();
    let seen = form.seen.clone().unwrap_or_else(|| fingerprint(None));
    let saved = match kind {
        MediaKind::Image => {
            let d = Description { alt_text: Some(form.text.clone()), ..Description::default() };
            let seen = Seen { alt_text: Some(seen), ..Seen::default() };
            app.media.describe(&actor, (kind, form.id), &d, Some(&seen)).await.map(drop)
        }
        MediaKind::Audio => {
            app.media.update_transcript(&actor, form.id, &form.text, Some(&seen)).await.map(drop)
        }
    };
    match saved {
        Ok(()) => {
            session::flash(&user.session, "ok", "Saved.");
            let after = if form.after.is_empty() {
                String::new()
            } else {
                format!("&after={}", crate::http_text::percent_encode(&form.after))
            };
            Ok(see_other(&format!("/describe?kind={kind}{after}")))
        }
        Err(MediaError::Invalid(why)) => {
            // The same item again (the queue walks on from before it), with the text kept.
            let draft = Draft { id: form.id, text: form.text, why: Some(why), theirs: None };
            page(&app, &user, (kind, None), Some(draft), StatusCode::BAD_REQUEST).await
        }
        // Described by someone else meanwhile, so no longer in the queue: the next item, with
        // both texts shown and a link to choose on the item's page.
        Err(MediaError::EditConflict(mut clashes)) => {
            let theirs = Some(clashes.pop().and_then(|(_, now)| now).unwrap_or_default());
            let draft = Draft { id: form.id, text: form.text, why: None, theirs };
            page(&app, &user, (kind, None), Some(draft), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

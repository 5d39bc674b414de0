//! Work posted after the session ended: a transcript typed for twenty minutes must not be lost
//! because the session timed out meanwhile. The post's text fields are kept here (never its
//! token or a password), a cookie in that browser names them, and after sign-in the page the
//! person was on puts them back into its form, with a message, for them to check and save.
//!
//! Kept in memory, in the process that took the post: a restart loses what is waiting, which
//! costs the same as before this existed. Bounded in count, size and age, because anyone can
//! post while signed out; and only posts from our own pages are kept (a browser says where a
//! post comes from), so another site cannot plant text in someone's form.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

/// The cookie naming what is kept for this browser.
pub const COOKIE: &str = "mediadesk_work";
/// How long kept work waits for its sign-in, in seconds.
pub const KEEP_SECS: i64 = 3600;
/// The largest post kept; a longer one is dropped (it would be refused anyway).
pub const MAX_BODY: usize = 256 * 1024;
/// All kept work together; the oldest goes first.
const MAX_TOTAL: usize = 16 * 1024 * 1024;

/// A post that arrived after its session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// The account of the ended session, when the cookie still said; another account signing
    /// in does not see it.
    pub user_id: Option<i64>,
    /// Where it was posted.
    pub action: String,
    /// Its fields, without the token and passwords.
    pub fields: Vec<(String, String)>,
    at: i64,
}

impl Kept {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn size(&self) -> usize {
        self.action.len() + self.fields.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>()
    }
}

#[derive(Default)]
pub struct WorkStash {
    entries: Mutex<HashMap<String, Kept>>,
}

impl WorkStash {
    /// Keeps a post; returns the id its cookie carries.
    pub fn keep(
        &self,
        now: i64,
        user_id: Option<i64>,
        action: &str,
        fields: Vec<(String, String)>,
    ) -> String {
        let fields =
            fields.into_iter().filter(|(k, _)| k != "csrf_token" && !k.contains("password")).collect();
        let kept = Kept { user_id, action: action.to_owned(), fields, at: now };
        let id = uuid::Uuid::new_v4().simple().to_string();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|_, k| now - k.at < KEEP_SECS);
        let mut total: usize = entries.values().map(Kept::size).sum::<usize>() + kept.size();
        while total > MAX_TOTAL {
            let Some(oldest) = entries.iter().min_by_key(|(_, k)| k.at).map(|(id, _)| id.clone()) else {
                break;
            };
            total -= entries.remove(&oldest).map_or(0, |k| k.size());
        }
        entries.insert(id.clone(), kept);
        id
    }

    /// What this browser's cookie names, if still kept.
    pub fn peek(&self, req: &HttpRequest, now: i64) -> Option<Kept> {
        let id = req.cookie(COOKIE)?;
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(id.value()).filter(|k| now - k.at < KEEP_SECS).cloned()
    }

    /// What this browser's cookie names, if it was posted to `action` by `user_id` (or by a
    /// session that no longer said whose it was); taken out, so it is restored once.
    pub fn take(&self, req: &HttpRequest, now: i64, user_id: i64, action: &str) -> Option<Kept> {
        let kept = self.peek(req, now)?;
        if kept.action != action || kept.user_id.is_some_and(|u| u != user_id) {
            return None;
        }
        self.forget(req);
        Some(kept)
    }

    /// Removes what this browser's cookie names.
    pub fn forget(&self, req: &HttpRequest) {
        if let Some(id) = req.cookie(COOKIE) {
            self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(id.value());
        }
    }
}

/// What sign-in tells the person about work kept from before, and whether the page they
/// return to puts it back into its form (or they have to do it again).
pub fn note(kept: &Kept) -> (&'static str, bool) {
    if kept.action.ends_with("/transcript") {
        let note = "You were signed out before your transcript was saved. It is back in the box \
                    below: check it and save it again.";
        (note, true)
    } else if kept.action.starts_with("/media/") && kept.action.ends_with("/describe") {
        let note = "You were signed out before the description was saved. It is back in the form \
                    below: check it and save it again.";
        (note, true)
    } else if kept.action == "/describe" {
        let note = "You were signed out before your text was saved. It is back below: check it and \
                    save it again.";
        (note, true)
    } else if kept.action.ends_with("/regions") {
        let note = "You were signed out before the region was added. What you typed is back in the \
                    form below: add it again.";
        (note, true)
    } else if is_region_change(&kept.action) {
        let note = "You were signed out before your change to the region was saved. It is back in \
                    its form below: save it again.";
        (note, true)
    } else if kept.action.starts_with("/media/") && kept.action.ends_with("/tags") {
        let note = "You were signed out before the tags were added. They are back in the field \
                    below: add them again.";
        (note, true)
    } else if kept.action.starts_with("/media/") && kept.action.ends_with("/share") {
        let note = "You were signed out before the link was made. Its lifetime, download choice and \
                    note are back in the form below (type a password again): make it again.";
        (note, true)
    } else if kept.action.starts_with("/media/") && kept.action.ends_with("/replace/link") {
        let note = "You were signed out before the file was replaced, so nothing was changed. The \
                    link is back in its field below: replace it again.";
        (note, true)
    } else if kept.action == "/collections" {
        let note = "You were signed out before the collection was made. Its name is back in the \
                    form below: make it again.";
        (note, true)
    } else if kept.action.starts_with("/collections/") && kept.action.ends_with("/rename") {
        let note = "You were signed out before the collection was renamed. The name you typed is \
                    back in the form below: rename it again.";
        (note, true)
    } else if kept.action == "/media/bulk" {
        let note = "You were signed out before the bulk action ran, so nothing was deleted. Your \
                    selection is ticked again below.";
        (note, true)
    } else if kept.action == "/admin/users" {
        let note = "You were signed out before the account was created. What you typed is back \
                    (type the password again).";
        (note, true)
    } else if kept.action == "/upload/link" {
        let note = "You were signed out before the links were fetched, so nothing was stored. They \
                    are back in their field below: add them again.";
        (note, true)
    } else if kept.action == "/upload" {
        (
            "You were signed out before the upload arrived, so nothing was stored. Choose the files again.",
            false,
        )
    } else {
        ("You were signed out before that was done, so nothing was changed. Do it again.", false)
    }
}

/// `/media/audio/1/regions/2`: a change to a region (its delete has nothing typed to keep).
fn is_region_change(action: &str) -> bool {
    action.starts_with("/media/")
        && action
            .rsplit_once("/regions/")
            .is_some_and(|(_, r)| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
}

/// The cookie that names kept work.
pub fn cookie(id: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE, id.to_owned())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(KEEP_SECS))
        .finish()
}

/// A page that put kept work back into its form: the page itself is fine (200, whatever a
/// refusal it re-renders would say) and the cookie goes, so the work comes back once.
pub fn handed_back(mut res: HttpResponse) -> HttpResponse {
    *res.status_mut() = StatusCode::OK;
    let _ = res.add_cookie(&removal());
    res
}

/// The cookie that removes the one above.
pub fn removal() -> Cookie<'static> {
    let mut c = Cookie::build(COOKIE, "").path("/").finish();
    c.make_removal();
    c
}

/// Whether a post comes from a page of this site, as the browser says: `Sec-Fetch-Site`, or
/// else an `Origin` whose host is the one asked for. A post that says neither is not kept.
pub fn from_this_site(req: &HttpRequest) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return site == "same-origin";
    }
    let (Some(origin), Some(host)) = (header("origin"), header("host")) else { return false };
    origin.split_once("://").is_some_and(|(_, h)| h == host)
}

/// The page a post was sent from, if it is a page of this site: the path and query of its
/// `Referer`.
pub fn sent_from(req: &HttpRequest) -> Option<String> {
    let referer = req.headers().get("referer")?.to_str().ok()?;
    let host = req.headers().get("host")?.to_str().ok()?;
    let (_, rest) = referer.split_once("://")?;
    let path = rest.strip_prefix(host)?;
    let path = path.split('#').next().unwrap_or("");
    super::back::is_local_path(path).then(|| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn tokens_and_passwords_are_never_kept() {
        let stash = WorkStash::default();
        let id = stash.keep(
            0,
            Some(1),
            "/admin/users",
            fields(&[("csrf_token", "t"), ("username", "ann"), ("password", "secret"), ("role", "user")]),
        );
        let entries = stash.entries.lock().unwrap();
        assert_eq!(entries[&id].fields, fields(&[("username", "ann"), ("role", "user")]));
    }

    #[test]
    fn old_work_expires_and_the_total_stays_bounded() {
        let stash = WorkStash::default();
        let first = stash.keep(0, None, "/a", fields(&[("t", "x")]));
        stash.keep(KEEP_SECS, None, "/a", fields(&[("t", "y")]));
        assert!(!stash.entries.lock().unwrap().contains_key(&first), "expired");
        let big = "x".repeat(MAX_BODY);
        for i in 0..(MAX_TOTAL / MAX_BODY + 10) {
            stash.keep(KEEP_SECS + i as i64, None, "/a", fields(&[("t", &big)]));
        }
        let total: usize = stash.entries.lock().unwrap().values().map(Kept::size).sum();
        assert!(total <= MAX_TOTAL, "{total}");
    }

    #[test]
    fn sign_in_says_which_kept_text_comes_back() {
        let said = |action: &str| note(&Kept { user_id: None, action: action.into(), fields: vec![], at: 0 });
        assert!(said("/media/audio/1/regions/2").0.contains("change to the region"));
        assert!(said("/media/audio/1/regions").0.contains("region was added"));
        assert!(!said("/media/audio/1/regions/2/delete").1, "a delete has nothing to put back");
        assert!(!said("/media/audio/1/regions/").1);
        assert!(said("/media/image/1/tags").1 && !said("/media/image/1/tags/remove").1);
        assert!(said("/media/image/1/share").1 && !said("/media/image/1/shares/revoke").1);
        assert!(said("/collections").1 && said("/collections/3/rename").1 && !said("/collections/3/move").1);
        assert!(said("/media/image/1/replace/link").0.contains("link is back"));
        assert!(!said("/media/image/1/replace").1, "a file is not kept");
    }
}

//! What every page shares (the signed-in user, the CSRF token, flashes) and small formatters.

use actix_session::Session;

use crate::auth::session::{Flash, take_flashes, take_undo};
use crate::auth::{Account, csrf};

/// Bumped with the static files so browsers fetch new versions despite long cache lifetimes.
pub const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");

pub struct LayoutUser {
    pub username: String,
    pub role: &'static str,
    pub is_admin: bool,
}

/// Data `base.html` needs.
pub struct Layout {
    pub user: Option<LayoutUser>,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    /// Items just moved to the trash that an Undo button restores (`kind:id`), and the gallery
    /// view it returns to.
    pub undo: Vec<String>,
    pub undo_back: String,
    /// Which nav entry is current.
    pub section: &'static str,
    pub asset_version: &'static str,
}

impl Layout {
    pub fn new(session: &Session, account: Option<&Account>, section: &'static str) -> Layout {
        let (undo, undo_back) = take_undo(session);
        Layout {
            user: account.map(|a| LayoutUser {
                username: a.username.clone(),
                role: a.role.as_str(),
                is_admin: a.role.is_admin(),
            }),
            csrf: csrf::token(session),
            flashes: take_flashes(session),
            undo,
            undo_back,
            section,
            asset_version: ASSET_VERSION,
        }
    }

    /// For error pages, which render without the session: the signed-in account if the request
    /// got as far as knowing it.
    pub fn for_error() -> Layout {
        let who = super::context::signed_in();
        Layout {
            csrf: who.as_ref().map(|w| csrf::token(&w.session)).unwrap_or_default(),
            user: who.map(|w| LayoutUser {
                role: w.account.role.as_str(),
                is_admin: w.account.role.is_admin(),
                username: w.account.username,
            }),
            flashes: Vec::new(),
            undo: Vec::new(),
            undo_back: String::new(),
            section: "",
            asset_version: ASSET_VERSION,
        }
    }
}

/// A collection as a list shows it.
pub struct Listed {
    pub id: i64,
    pub name: String,
    /// `depth-0` … `depth-16`, for the indent (styles, as the policy allows no inline ones).
    pub depth_class: String,
    pub facts: String,
}

/// An `<option>` of a chooser (an owner, a collection).
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// An account's storage as a page shows it: words, and a meter when there is a limit.
pub struct UsageView {
    pub label: String,
    pub used: u64,
    /// 0: no limit (no meter).
    pub limit: u64,
    pub full: bool,
}

impl From<crate::media::Usage> for UsageView {
    fn from(u: crate::media::Usage) -> Self {
        UsageView {
            label: u.label(),
            used: u.used,
            limit: u.limit.unwrap_or(0),
            full: u.limit.is_some_and(|l| u.used >= l),
        }
    }
}

pub fn human_size(bytes: i64) -> String {
    crate::domain::human_size(bytes.max(0) as u64)
}

/// `75_300` → `1:15`; `3_725_000` → `1:02:05`.
pub fn duration(ms: i64) -> String {
    let total = (ms.max(0) + 500) / 1000;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}") }
}

/// `2026-11-24 09:51` (UTC).
pub fn date(t: chrono::NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    format!("{:04}-{:02}-{:02} {:02}:{:02}", t.year(), t.month(), t.day(), t.hour(), t.minute())
}

/// A moment as a page shows it, `2026-11-24 09:51 UTC` in a `<time>` that the script writes
/// again in the reader's own time zone (staff rarely work in UTC; without the script the page
/// still says which zone it means). Digits only: nothing to escape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moment(pub chrono::NaiveDateTime);

impl Moment {
    /// As plain text, for an attribute: `2026-11-24 09:51 UTC`.
    pub fn text(&self) -> String {
        format!("{} UTC", date(self.0))
    }

    /// Without the zone's name, where room is short (a gallery card's facts); the script still
    /// writes it in the reader's zone.
    pub fn compact(self) -> CompactMoment {
        CompactMoment(self)
    }

    /// To the second, with the zone's name, where the order of close events matters (the
    /// audit log); the script keeps the seconds.
    pub fn to_the_second(self) -> SecondMoment {
        SecondMoment(self)
    }

    /// Digits put in place rather than formatted: a gallery page writes fifty of these, twelve
    /// padded integers each through `write!` otherwise, on the page's hot path.
    fn write(&self, f: &mut std::fmt::Formatter<'_>, zone: &str, seconds: bool) -> std::fmt::Result {
        use chrono::{Datelike, Timelike};
        let t = self.0;
        let mut iso = *b"0000-00-00T00:00:00Z";
        let year = t.year().clamp(0, 9999) as u32;
        let (month, day, hour, minute, second) = (t.month(), t.day(), t.hour(), t.minute(), t.second());
        for (at, len, mut n) in
            [(0, 4, year), (5, 2, month), (8, 2, day), (11, 2, hour), (14, 2, minute), (17, 2, second)]
        {
            for b in iso[at..at + len].iter_mut().rev() {
                *b = b'0' + (n % 10) as u8;
                n /= 10;
            }
        }
        let iso = std::str::from_utf8(&iso).map_err(|_| std::fmt::Error)?;
        let clock = if seconds { &iso[11..19] } else { &iso[11..16] };
        for part in ["<time datetime=\"", iso, "\">", &iso[..10], " ", clock, zone, "</time>"] {
            f.write_str(part)?;
        }
        Ok(())
    }
}

impl std::fmt::Display for Moment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.write(f, " UTC", false)
    }
}

impl askama::filters::HtmlSafe for Moment {}

/// See [`Moment::compact`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompactMoment(Moment);

impl std::fmt::Display for CompactMoment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.write(f, "", false)
    }
}

impl askama::filters::HtmlSafe for CompactMoment {}

/// See [`Moment::to_the_second`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SecondMoment(Moment);

impl std::fmt::Display for SecondMoment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.write(f, " UTC", true)
    }
}

impl askama::filters::HtmlSafe for SecondMoment {}

/// Text escaped for HTML once, when it is made, which templates then write as it is: a
/// signed link is 400 characters with a few `&`, and askama's escaping looks at one byte
/// after another, twice per link on each gallery row.
pub struct Escaped(String);

impl Escaped {
    /// Escapes what askama escapes (`&<>"'`) the way it does.
    pub fn of(text: &str) -> Escaped {
        let special = |b: u8| matches!(b, b'<' | b'>' | b'"' | b'\'');
        // A pass that any CPU does many bytes at a time, then `replace`'s search for `&`.
        if !text.bytes().fold(false, |seen, b| seen | special(b)) {
            return Escaped(text.replace('&', "&#38;"));
        }
        // The rare text holding the others goes through askama's own escaper.
        let mut out = String::with_capacity(text.len() + 32);
        let _ = askama::filters::Escaper::write_escaped_str(&askama::filters::Html, &mut out, text);
        Escaped(out)
    }

    /// A link to an `http(s)://` address that the page's reader may follow without telling
    /// the site where from; anything else is text.
    pub fn link(address: &str) -> Escaped {
        let text = Escaped::of(address);
        if !(address.starts_with("https://") || address.starts_with("http://")) {
            return text;
        }
        Escaped(format!("<a href=\"{text}\" rel=\"noreferrer nofollow\">{text}</a>"))
    }
}

impl std::fmt::Display for Escaped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Moment> for Escaped {
    fn from(moment: Moment) -> Escaped {
        Escaped(moment.to_string())
    }
}

/// Only [`Escaped::of`] and a [`Moment`] make one.
impl askama::filters::HtmlSafe for Escaped {}

#[cfg(test)]
mod tests {
    #[test]
    fn a_moment_is_a_time_element_in_utc() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap().and_hms_opt(3, 4, 5).unwrap();
        let at = super::Moment(t);
        assert_eq!(at.to_string(), "<time datetime=\"2026-01-02T03:04:05Z\">2026-01-02 03:04 UTC</time>");
        assert_eq!(
            at.compact().to_string(),
            "<time datetime=\"2026-01-02T03:04:05Z\">2026-01-02 03:04</time>"
        );
        assert_eq!(at.text(), "2026-01-02 03:04 UTC");
    }

    #[test]
    fn escaped_text_reads_as_askama_writes_it() {
        use askama::Template;
        #[derive(Template)]
        #[template(source = "{{ a }}|{{ b }}", ext = "html")]
        struct Both<'a> {
            a: &'a str,
            b: super::Escaped,
        }
        let html = "<a href=\"x\">it's & more</a>";
        let texts = ["", "plain", "https://x/y?a=1&b=2&c=%2F", html, "é & ü > ✓"];
        for text in texts {
            let page = Both { a: text, b: super::Escaped::of(text) }.render().unwrap();
            let (askama, ours) = page.split_once('|').unwrap();
            assert_eq!(ours, askama, "{text}");
        }
    }

    #[test]
    fn dates_read_to_the_minute() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 3, 4).unwrap().and_hms_opt(5, 6, 59).unwrap();
        assert_eq!(super::date(t), "2026-03-04 05:06");
        let at = "<time datetime=\"2026-03-04T05:06:59Z\">2026-03-04 05:06";
        assert_eq!(super::Moment(t).to_string(), format!("{at} UTC</time>"));
        assert_eq!(super::Moment(t).compact().to_string(), format!("{at}</time>"));
        assert_eq!(super::Moment(t).to_the_second().to_string(), format!("{at}:59 UTC</time>"));
    }

    #[test]
    fn durations_read_like_a_player() {
        assert_eq!(super::duration(0), "0:00");
        assert_eq!(super::duration(75_300), "1:15");
        assert_eq!(super::duration(3_725_000), "1:02:05");
    }
}

/// What a page showing an item's picture (its page, its viewer, its share link's) needs to
/// paint the picture's placeholder before the picture loads: the thumbnail's ThumbHash and the
/// size the picture is shown at.
pub struct PreviewPlaceholder {
    pub hash: String,
    pub width: u32,
    pub height: u32,
}

impl PreviewPlaceholder {
    pub fn of(media: &crate::media::MediaRead, shown: Option<(u32, u32)>) -> Option<PreviewPlaceholder> {
        let crate::media::MediaRead::Image(image) = media else { return None };
        let (width, height) = shown?;
        Some(PreviewPlaceholder { hash: image.placeholder.clone()?, width, height })
    }
}

/// "1 item", "3 items".
pub fn items(n: usize) -> String {
    if n == 1 { "1 item".into() } else { format!("{n} items") }
}

/// "1 item", "1 234 items": a count of `noun`s, grouped by thousands.
pub fn counted(n: usize, noun: &str) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("{} {noun}{s}", count(n as i64))
}

/// `100000` → `100 000`, groups of three split by a narrow no-break space (SI style).
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202F}');
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod count_tests {
    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(super::count(0), "0");
        assert_eq!(super::count(999), "999");
        assert_eq!(super::count(1000), "1\u{202F}000");
        assert_eq!(super::count(100_000), "100\u{202F}000");
        assert_eq!(super::count(1_234_567), "1\u{202F}234\u{202F}567");
    }
}

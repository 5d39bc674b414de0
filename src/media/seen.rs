//! Two people editing one item's text at once. A form carries a fingerprint of each field as it
//! was shown; a save then tells the fields this person changed from those someone else changed
//! meanwhile. A field only one of them changed keeps that change (so one person's caption and
//! another's alt text both land); a field both changed, differently, refuses the whole save
//! with what is saved now, and the form comes back with the person's text in it. Nothing typed
//! is lost and nobody overwrites what they never saw.

use sha2::{Digest, Sha256};

use super::dto::Description;

/// Fingerprints of the fields a form was filled from. A field without one was not on the form:
/// what is saved is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    pub title: Option<String>,
    pub alt_text: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
}

impl Seen {
    /// What a form showing `d` carries.
    pub fn of(d: &Description) -> Seen {
        Seen {
            title: Some(fingerprint(d.title.as_deref())),
            alt_text: Some(fingerprint(d.alt_text.as_deref())),
            caption: Some(fingerprint(d.caption.as_deref())),
            credit: Some(fingerprint(d.credit.as_deref())),
        }
    }
}

/// A field someone else saved, differently, while this person was editing it: its name and
/// what is saved now.
pub type Clash = (&'static str, Option<String>);

/// A text as a form compares it: browsers send a textarea's line breaks as CRLF whatever was
/// stored, and a field is trimmed when saved.
fn normal(text: Option<&str>) -> String {
    text.unwrap_or("").replace("\r\n", "\n").trim().to_owned()
}

/// A short, stable fingerprint of a field's text (empty and missing are the same).
pub fn fingerprint(text: Option<&str>) -> String {
    let digest = Sha256::digest(normal(text).as_bytes());
    hex::encode(&digest[..8])
}

/// One field after a save: `mine` as the person sent it, `now` as saved, `seen` its fingerprint
/// when the form was shown (`None`: not on the form). A clash is noted in `clashes`.
pub fn merge(
    name: &'static str,
    (seen, mine, now): (Option<&str>, Option<String>, Option<String>),
    clashes: &mut Vec<Clash>,
) -> Option<String> {
    let Some(seen) = seen else { return now };
    if fingerprint(mine.as_deref()) == seen {
        return now;
    }
    if fingerprint(now.as_deref()) != seen && normal(now.as_deref()) != normal(mine.as_deref()) {
        clashes.push((name, now));
    }
    mine
}

/// A description after a save of `mine` over `now` by a form that showed `seen`.
pub fn merge_description(seen: &Seen, mine: Description, now: Description) -> (Description, Vec<Clash>) {
    let mut clashes = Vec::new();
    let merged = Description {
        title: merge("title", (seen.title.as_deref(), mine.title, now.title), &mut clashes),
        alt_text: merge("alt text", (seen.alt_text.as_deref(), mine.alt_text, now.alt_text), &mut clashes),
        caption: merge("caption", (seen.caption.as_deref(), mine.caption, now.caption), &mut clashes),
        credit: merge("credit", (seen.credit.as_deref(), mine.credit, now.credit), &mut clashes),
    };
    (merged, clashes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> Option<String> {
        Some(t.to_owned())
    }

    #[test]
    fn each_field_keeps_whoever_changed_it() {
        let shown = Description { title: s("Dawn"), caption: s("Old"), ..Description::default() };
        let seen = Seen::of(&shown);
        // This person changed the title; someone else meanwhile the caption and the credit.
        let mine = Description { title: s("Harbour at dawn"), ..shown.clone() };
        let now = Description { caption: s("New caption"), credit: s("© Sam"), ..shown.clone() };
        let (merged, clashes) = merge_description(&seen, mine, now);
        assert_eq!(clashes, vec![]);
        let want = Description {
            title: s("Harbour at dawn"),
            caption: s("New caption"),
            credit: s("© Sam"),
            alt_text: None,
        };
        assert_eq!(merged, want);
    }

    #[test]
    fn the_same_field_changed_twice_clashes_unless_both_wrote_the_same() {
        let shown = Description { caption: s("Old"), ..Description::default() };
        let seen = Seen::of(&shown);
        let mine = Description { caption: s("Mine"), ..shown.clone() };
        let now = Description { caption: s("Theirs"), ..shown.clone() };
        let (_, clashes) = merge_description(&seen, mine.clone(), now);
        assert_eq!(clashes, vec![("caption", s("Theirs"))]);
        let (merged, clashes) = merge_description(&seen, mine.clone(), mine.clone());
        assert_eq!((merged, clashes), (mine.clone(), vec![]));
        // Cleared by the other person: a clash too (their clearing was not seen).
        let (_, clashes) = merge_description(&seen, mine, Description::default());
        assert_eq!(clashes, vec![("caption", None)]);
    }

    #[test]
    fn line_breaks_and_spaces_as_a_browser_sends_them_are_no_change() {
        let shown = Description { caption: s("one\ntwo"), ..Description::default() };
        let seen = Seen::of(&shown);
        let mine = Description { caption: s(" one\r\ntwo\r\n"), ..Description::default() };
        let now = Description { caption: s("changed"), ..Description::default() };
        let (merged, clashes) = merge_description(&seen, mine, now.clone());
        assert_eq!((merged, clashes), (now, vec![]), "not changed here: what is saved stays");
        assert_eq!(fingerprint(None), fingerprint(Some("  ")));
    }

    #[test]
    fn a_field_not_on_the_form_keeps_what_is_saved() {
        let seen = Seen { alt_text: Some(fingerprint(None)), ..Seen::default() };
        let mine = Description { alt_text: s("Boats"), ..Description::default() };
        let now = Description { title: s("Dawn"), ..Description::default() };
        let (merged, clashes) = merge_description(&seen, mine, now);
        assert_eq!(clashes, vec![]);
        assert_eq!(merged, Description { title: s("Dawn"), alt_text: s("Boats"), ..Description::default() });
    }
}

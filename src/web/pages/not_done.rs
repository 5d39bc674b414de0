//! What a bulk action could not do, said in a flash: a few items named with a reason for a
//! person, the rest counted, so that the flash stays small (it lives in the session cookie,
//! beside Undo's list) whatever the selection; what only the server's log needs goes there.

use crate::domain::MediaKind;
use crate::media::MediaError;
use crate::web::view;

/// Items a flash names; the rest are counted.
const NAMED: usize = 3;

/// The items a bulk action could not do: all counted, the first few named with why.
#[derive(Default)]
pub struct Failures {
    count: usize,
    named: Vec<(String, String)>,
}

impl Failures {
    /// Whether the next failure is named: the caller looks its name up only then.
    pub fn names_next(&self) -> bool {
        self.named.len() < NAMED
    }

    /// One more item not `verb`ed ("delete", "restore"), by its file name when it was found.
    pub fn add(&mut self, name: Option<&str>, (kind, id): (MediaKind, i64), e: &MediaError, verb: &str) {
        if self.names_next() {
            let name = name.map_or_else(|| format!("{kind} {id}"), short);
            self.named.push((name, why(e, verb)));
        }
        self.count += 1;
    }

    /// The flash's text under `heading` ("Not deleted"), if anything failed.
    pub fn said(&self, heading: &str) -> Option<String> {
        (self.count > 0).then(|| summary(heading, &self.named, self.count))
    }
}

/// "Not deleted: 5 items (a.png, b.png, c.png and 2 more): why." when they share one reason,
/// else each named with its own.
fn summary(heading: &str, named: &[(String, String)], n: usize) -> String {
    let more = if n > named.len() {
        format!(" and {} more", view::count((n - named.len()) as i64))
    } else {
        String::new()
    };
    let items = view::counted(n, "item");
    match named.first() {
        Some((_, why)) if named.iter().all(|(_, w)| w == why) => {
            let names: Vec<&str> = named.iter().map(|(name, _)| name.as_str()).collect();
            format!("{heading}: {items} ({}{more}): {why}.", names.join(", "))
        }
        _ => {
            let each: Vec<String> = named.iter().map(|(name, why)| format!("{name}: {why}")).collect();
            format!("{heading}: {items} ({}{more}).", each.join("; "))
        }
    }
}

/// A name cut to fit a flash.
fn short(name: &str) -> String {
    const MOST: usize = 40;
    if name.chars().count() <= MOST {
        name.to_owned()
    } else {
        name.chars().take(MOST - 1).chain(['…']).collect()
    }
}

/// Why one item was not `verb`ed ("delete", "restore"), in words for the person.
fn why(e: &MediaError, verb: &str) -> String {
    match e {
        MediaError::Forbidden => format!("not yours to {verb}"),
        MediaError::Storage(_) | MediaError::Database(_) | MediaError::Internal(_) => {
            tracing::error!(error = %e, verb, "an item of a bulk action failed");
            "the server could not do it just now; try again shortly".to_owned()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{short, summary};

    fn named(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, w)| (n.to_string(), w.to_string())).collect()
    }

    #[test]
    fn one_reason_is_said_once_and_the_rest_are_counted() {
        let three = named(&[("a.png", "busy"), ("b.png", "busy"), ("c.png", "busy")]);
        assert_eq!(
            summary("Not deleted", &three, 1204),
            "Not deleted: 1\u{202f}204 items (a.png, b.png, c.png and 1\u{202f}201 more): busy."
        );
        assert_eq!(summary("Not restored", &three[..1], 1), "Not restored: 1 item (a.png): busy.");
        let mixed = named(&[("a.png", "busy"), ("b.png", "not yours to delete")]);
        assert_eq!(
            summary("Not deleted", &mixed, 2),
            "Not deleted: 2 items (a.png: busy; b.png: not yours to delete)."
        );
    }

    #[test]
    fn long_names_are_cut() {
        assert_eq!(short("quay.png"), "quay.png");
        let cut = short(&"x".repeat(300));
        assert_eq!((cut.chars().count(), cut.ends_with('…')), (40, true));
    }
}

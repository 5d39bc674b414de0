//! Where a person goes next: after sign-in, the page they asked for; after an action, the
//! gallery view they came from (its search, filters, sort and page). Both arrive from the
//! client, so both are checked to be a path on this site before a `Location` carries them.

use crate::http_text::percent_encode;

/// A path on this site and nothing else: one `/` followed by anything but `/` or `\` (which
/// browsers read as another host), and no control character, space or backslash anywhere
/// (browsers drop tabs and newlines, so `/\t/evil.example` is `//evil.example` to them, and a
/// header cannot carry them).
pub fn is_local_path(n: &str) -> bool {
    let mut chars = n.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && n.chars().all(|c| !c.is_control() && !c.is_whitespace() && c != '\\')
}

/// Where to go after signing in: the path asked for, or the gallery.
pub fn after_sign_in(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_owned(),
        _ => "/media".to_owned(),
    }
}

/// The gallery view to go back to: one of the galleries (a collection's too), with whatever
/// query it had; anything else is the main gallery.
pub fn gallery_view(back: Option<&str>) -> String {
    match back {
        Some(b) if is_local_path(b) && is_gallery(b.split(['?', '#']).next().unwrap_or("")) => b.to_owned(),
        _ => "/media".to_owned(),
    }
}

/// Where Undo returns: the gallery view it was pressed on, or the look- and sound-alike groups.
pub fn undo_view(back: Option<&str>) -> String {
    match back {
        Some(b @ "/duplicates/alike") => b.to_owned(),
        _ => gallery_view(back),
    }
}

/// A gallery view from its first page: its address without the pairs that say where in it a
/// page stands (a cursor, a position, the last page) or what was ticked.
pub fn first_page(view: &str) -> String {
    let (path, query) = view.split_once('?').unwrap_or((view, ""));
    match without_pairs(query, &["after", "before", "at", "last", "select"]) {
        kept if kept.is_empty() => path.to_owned(),
        kept => format!("{path}?{kept}"),
    }
}

/// A query string without the pairs named by `keys` (each key matched whole).
pub fn without_pairs(query: &str, keys: &[&str]) -> String {
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !keys.contains(&p.split('=').next().unwrap_or("")))
        .collect();
    kept.join("&")
}

fn is_gallery(path: &str) -> bool {
    let numbered = |prefix: &str| {
        path.strip_prefix(prefix).is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
    };
    path == "/media" || path == "/media/system" || numbered("/media/users/") || numbered("/collections/")
}

/// `url` with `back` added to its query, unless `back` is the plain gallery (the default).
pub fn with_back(url: &str, back: &str) -> String {
    if back == "/media" {
        return url.to_owned();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}back={}", percent_encode(back))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_site_are_followed() {
        for good in ["/", "/media", "/media/system?q=a%20b&sort=name", "/media/image/3#top"] {
            assert_eq!(after_sign_in(Some(good)), good);
        }
        let bad = [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/media\r\nSet-Cookie: x=1",
            "/a b",
            "/a\\b",
            "https://evil.example",
            "evil.example",
            "",
            "\t/media",
        ];
        for bad in bad {
            assert_eq!(after_sign_in(Some(bad)), "/media", "{bad:?}");
        }
        assert_eq!(after_sign_in(None), "/media");
    }

    #[test]
    fn only_gallery_views_are_gone_back_to() {
        for good in
            ["/media?q=x&type=image&after=t~image~3~9&at=49", "/media/system", "/media/users/12?sort=size"]
        {
            assert_eq!(gallery_view(Some(good)), good);
        }
        for bad in ["/admin/users", "/media/image/3", "/media/users/", "/media/users/x", "//evil", "/signout"]
        {
            assert_eq!(gallery_view(Some(bad)), "/media", "{bad:?}");
        }
        assert_eq!(undo_view(Some("/duplicates/alike")), "/duplicates/alike");
        assert_eq!(undo_view(Some("/duplicates/alike?x=//evil")), "/media");
        assert_eq!(undo_view(Some("/media/system")), "/media/system");
        assert_eq!(with_back("/media/image/3", "/media?q=a b"), "/media/image/3?back=%2Fmedia%3Fq%3Da%20b");
        assert_eq!(with_back("/media/image/3", "/media"), "/media/image/3");
    }

    #[test]
    fn a_first_page_keeps_the_view_and_drops_its_place() {
        let placed = "/media?q=x&after=t~image~3~9&at=49&type=image&select=all&per=2";
        assert_eq!(first_page(placed), "/media?q=x&type=image&per=2");
        assert_eq!(first_page("/collections/4?last=12&before=n~audio~2~61"), "/collections/4");
        assert_eq!(first_page("/media"), "/media");
        assert_eq!(first_page("/media?attic=1"), "/media?attic=1", "a key is matched whole");
    }
}

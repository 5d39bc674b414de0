//! The shared vocabulary: what kinds of media there are, who owns an item, and how a gallery is
//! asked for. Every layer imports these; each is parsed and printed here and nowhere else.

mod audit;
mod cursor;
mod focal;
mod look_quarters;
pub mod loudness;
mod privacy;
pub mod region;
pub mod shot;
mod size;
mod sound_print;
mod turn;

pub use audit::{AuditAction, AuditFilter, AuditOutcome};
pub use cursor::{decode_time_cursor, encode_time_cursor};
pub use focal::{Aspect, Focal};
pub use look_quarters::{QUARTER_SHIFTS, flat_quarter, quarter, telling_quarters};
pub use privacy::StripPolicy;
pub use shot::Shot;
pub use size::{Quota, human_size, parse_size};
pub use sound_print::{PRINT_KEYS, SILENT_VALUE, print_bytes, print_keys, print_values};
pub use turn::{Crop, Turn};

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Image or audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Image,
    Audio,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Audio => "audio",
        }
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no kind of media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKind;

impl FromStr for MediaKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<MediaKind, UnknownKind> {
        match s {
            "image" => Ok(MediaKind::Image),
            "audio" => Ok(MediaKind::Audio),
            _ => Err(UnknownKind),
        }
    }
}

/// Who an item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// System-wide media, visible to every account.
    System,
    User(i64),
}

impl Owner {
    pub fn id(self) -> Option<i64> {
        match self {
            Owner::System => None,
            Owner::User(id) => Some(id),
        }
    }

    pub fn from_id(id: Option<i64>) -> Owner {
        id.map_or(Owner::System, Owner::User)
    }
}

/// `null` for the system, the account id otherwise.
impl Serialize for Owner {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.id().serialize(s)
    }
}

/// Whose media a listing covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerFilter {
    /// Everything (staff views).
    Any,
    /// System media only.
    System,
    /// One user's media.
    User(i64),
    /// What a user sees: their own media and system media.
    Visible(i64),
}

/// Which kinds a listing covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KindFilter {
    #[default]
    Any,
    Image,
    Audio,
}

impl KindFilter {
    /// Whether items of `kind` are listed.
    pub fn covers(self, kind: MediaKind) -> bool {
        match self {
            KindFilter::Any => true,
            KindFilter::Image => kind == MediaKind::Image,
            KindFilter::Audio => kind == MediaKind::Audio,
        }
    }

    /// The `type=` value in a gallery address; empty for both kinds.
    pub fn as_str(self) -> &'static str {
        match self {
            KindFilter::Any => "",
            KindFilter::Image => "image",
            KindFilter::Audio => "audio",
        }
    }

    /// Anything but a kind's name means both kinds.
    pub fn parse(s: &str) -> KindFilter {
        match s.parse() {
            Ok(MediaKind::Image) => KindFilter::Image,
            Ok(MediaKind::Audio) => KindFilter::Audio,
            Err(_) => KindFilter::Any,
        }
    }
}

/// The gallery's "only" filter: what still needs describing, or animations. Each implies its
/// kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    /// Images without alt text.
    MissingAltText,
    /// Audio without a transcript.
    MissingTranscript,
    /// Animated images.
    Animated,
    /// Images whose metadata says where they were taken.
    Location,
    /// Audio below [`loudness::QUIET_LUFS`].
    Quiet,
    /// Audio with clipped stretches (see [`loudness::judge`]).
    Clipped,
    /// Audio that is more silence than sound.
    MostlySilent,
}

impl Only {
    pub const ALL: [Only; 7] = [
        Only::MissingAltText,
        Only::MissingTranscript,
        Only::Animated,
        Only::Location,
        Only::Quiet,
        Only::Clipped,
        Only::MostlySilent,
    ];

    /// The one kind it covers.
    pub fn kind(self) -> MediaKind {
        match self {
            Only::MissingAltText | Only::Animated | Only::Location => MediaKind::Image,
            Only::MissingTranscript | Only::Quiet | Only::Clipped | Only::MostlySilent => MediaKind::Audio,
        }
    }

    /// The `only=` value in a gallery address.
    pub fn as_str(self) -> &'static str {
        match self {
            Only::MissingAltText => "missing-alt",
            Only::MissingTranscript => "missing-transcript",
            Only::Animated => "animated",
            Only::Location => "location",
            Only::Quiet => "quiet",
            Only::Clipped => "clipped",
            Only::MostlySilent => "mostly-silent",
        }
    }

    /// Anything unknown is no filter.
    pub fn parse(s: &str) -> Option<Only> {
        Only::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// Gallery orders; each has a fixed direction and ties break on (kind, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GallerySort {
    /// Newest first.
    #[default]
    Newest,
    /// File name A→Z.
    Name,
    /// Largest first.
    Size,
    /// Best match first; only while searching (otherwise newest first).
    Relevance,
}

impl GallerySort {
    pub const ALL: [GallerySort; 4] =
        [GallerySort::Newest, GallerySort::Name, GallerySort::Size, GallerySort::Relevance];

    /// Whether the order runs from high values to low.
    pub fn descending(self) -> bool {
        !matches!(self, GallerySort::Name)
    }

    /// The `sort=` value in a gallery address.
    pub fn as_str(self) -> &'static str {
        match self {
            GallerySort::Newest => "newest",
            GallerySort::Name => "name",
            GallerySort::Size => "size",
            GallerySort::Relevance => "relevance",
        }
    }

    /// Anything unknown is the default order.
    pub fn parse(s: &str) -> GallerySort {
        GallerySort::ALL.into_iter().find(|sort| sort.as_str() == s).unwrap_or_default()
    }

    /// The order of a gallery address whose `sort=` is `s` (or absent): a search is ranked by
    /// relevance unless another order is asked for; without one, relevance means nothing.
    pub fn for_view(s: Option<&str>, searching: bool) -> GallerySort {
        match (s.map(GallerySort::parse), searching) {
            (None, true) => GallerySort::Relevance,
            (Some(GallerySort::Relevance) | None, false) => GallerySort::Newest,
            (Some(sort), _) => sort,
        }
    }
}

/// A search uses its first this many distinct words.
pub const MAX_SEARCH_WORDS: usize = 8;
/// A longer word is cut to this many characters (an index has no longer words to find).
pub const MAX_SEARCH_WORD_CHARS: usize = 64;

/// Largest gallery page anyone may ask for.
pub const MAX_PER_PAGE: u32 = 200;

/// One page of a gallery, as asked for: by a web page, the CLI or a test alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GalleryQuery {
    pub owner: OwnerFilter,
    pub kind: KindFilter,
    /// Only the items in this collection (whose visibility the owner filter still decides).
    pub collection: Option<i64>,
    /// Only the items that carry every one of these tags (by id).
    pub tags: Vec<i64>,
    /// Only what still needs describing, or animations.
    pub only: Option<Only>,
    /// Words matched (each as a word's start, case-insensitively) against file names, titles,
    /// tags, alt text, captions and transcripts; blank means none.
    pub search: Option<String>,
    pub sort: GallerySort,
    /// An opaque cursor from a previous page.
    pub cursor: Option<String>,
    /// Walk against the sort order (the "previous" and "last" links).
    pub backwards: bool,
    /// Clamped to 1..=[`MAX_PER_PAGE`].
    pub per_page: u32,
}

impl GalleryQuery {
    /// The first page of everything `owner` covers, newest first.
    pub fn new(owner: OwnerFilter) -> GalleryQuery {
        GalleryQuery {
            owner,
            kind: KindFilter::Any,
            collection: None,
            tags: Vec::new(),
            only: None,
            search: None,
            sort: GallerySort::Newest,
            cursor: None,
            backwards: false,
            per_page: 48,
        }
    }

    /// The search text, trimmed, when there is one.
    pub fn search_text(&self) -> Option<&str> {
        self.search.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }

    /// The words of the search, lower case, at most [`MAX_SEARCH_WORDS`] of them: what is
    /// between the characters that are neither letters nor digits, as both databases' indexes
    /// split text. A search of punctuation alone has no words and matches nothing.
    pub fn search_words(&self) -> Vec<String> {
        let mut words: Vec<String> = Vec::new();
        let text = self.search_text().unwrap_or("");
        for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
            let word: String = word.to_lowercase().chars().take(MAX_SEARCH_WORD_CHARS).collect();
            if !words.contains(&word) && words.len() < MAX_SEARCH_WORDS {
                words.push(word);
            }
        }
        words
    }

    /// The order pages come in: relevance needs a search; without one it is newest first.
    pub fn order(&self) -> GallerySort {
        match self.sort {
            GallerySort::Relevance if self.search_text().is_none() => GallerySort::Newest,
            sort => sort,
        }
    }

    pub fn limit(&self) -> u32 {
        self.per_page.clamp(1, MAX_PER_PAGE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_orders_read_back_what_they_print() {
        for kind in [MediaKind::Image, MediaKind::Audio] {
            assert_eq!(kind.to_string().parse(), Ok(kind));
            assert_eq!(KindFilter::parse(kind.as_str()).as_str(), kind.as_str());
        }
        assert_eq!("video".parse::<MediaKind>(), Err(UnknownKind));
        assert_eq!(KindFilter::parse("video"), KindFilter::Any);
        for sort in GallerySort::ALL {
            assert_eq!(GallerySort::parse(sort.as_str()), sort);
        }
        assert_eq!(GallerySort::parse("random"), GallerySort::Newest);
        assert_eq!(GallerySort::for_view(None, true), GallerySort::Relevance);
        assert_eq!(GallerySort::for_view(Some("relevance"), false), GallerySort::Newest);
        assert_eq!(GallerySort::for_view(Some("name"), true), GallerySort::Name);
        let q = |s: &str| GalleryQuery { search: Some(s.into()), ..GalleryQuery::new(OwnerFilter::Any) };
        assert_eq!(q(" IMG_2024-Hafen.jpg ").search_words(), ["img", "2024", "hafen", "jpg"]);
        assert_eq!(q("Émile émile ÉMILE").search_words(), ["émile"]);
        assert!(q("%_ -- ").search_words().is_empty());
        assert_eq!(q("a b c d e f g h i j").search_words().len(), MAX_SEARCH_WORDS);
        let relevance = GalleryQuery { sort: GallerySort::Relevance, ..GalleryQuery::new(OwnerFilter::Any) };
        assert_eq!(relevance.order(), GallerySort::Newest);
        assert_eq!(serde_json::to_string(&Owner::User(3)).unwrap(), "3");
        assert_eq!(serde_json::to_string(&Owner::System).unwrap(), "null");
        assert_eq!(serde_json::to_string(&MediaKind::Audio).unwrap(), "\"audio\"");
    }
}

//! How staff turn an image (a quarter turn either way, a half turn, or a mirror image) and
//! crop it.

use std::str::FromStr;

/// A turn of the image as it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// A quarter turn anticlockwise.
    Left,
    /// A quarter turn clockwise.
    Right,
    Half,
    /// Left and right swapped.
    Mirror,
}

impl Turn {
    /// What was done, as a sentence's verb phrase: "turned right".
    pub fn done(self) -> &'static str {
        match self {
            Turn::Left => "turned left",
            Turn::Right => "turned right",
            Turn::Half => "turned upside down",
            Turn::Mirror => "mirrored",
        }
    }
}

impl FromStr for Turn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "left" => Ok(Turn::Left),
            "right" => Ok(Turn::Right),
            "half" => Ok(Turn::Half),
            "mirror" => Ok(Turn::Mirror),
            other => Err(format!("left, right, half or mirror, not {other:?}")),
        }
    }
}

/// A rectangle of the image as it is shown (its EXIF orientation applied), in pixels; the API
/// reads it as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crop {
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
}

impl Crop {
    /// Why it is not a crop of a `w`×`h` image: empty, past an edge, or all of it.
    pub fn refused(&self, (w, h): (u32, u32)) -> Option<String> {
        let right = u64::from(self.left) + u64::from(self.width);
        let bottom = u64::from(self.top) + u64::from(self.height);
        if self.width == 0 || self.height == 0 {
            Some("a crop needs a width and a height of at least one pixel".into())
        } else if right > u64::from(w) || bottom > u64::from(h) {
            Some(format!("the crop goes past the image's edge (it is {w}×{h} pixels)"))
        } else if (self.width, self.height) == (w, h) {
            Some("the crop is the whole image; nothing to cut".into())
        } else {
            None
        }
    }

    /// What was done, as a sentence's verb phrase: "cropped to 640×480 from (12, 0)".
    pub fn done(&self) -> String {
        format!("cropped to {}×{} from ({}, {})", self.width, self.height, self.left, self.top)
    }
}

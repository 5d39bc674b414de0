//! How staff turn an image: a quarter turn either way, a half turn, or a mirror image.

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

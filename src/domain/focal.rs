//! An image's focal point: the spot that must stay in view when the picture is cut to another
//! shape (a square tile, a 16:9 banner), so a face or a product is never cropped away. It is
//! kept as fractions of the picture as shown, not pixels, so it means the same at any size and
//! for the thumbnail; a turn or a crop of the file moves it with the picture.

use std::fmt;
use std::str::FromStr;

use super::{Crop, Turn};

/// Steps of a fraction as stored: ten-thousandths, finer than any screen needs.
const STEPS: f64 = 10_000.0;

/// Fractions of the width (`x`, 0 the left edge) and height (`y`, 0 the top) as shown.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Focal {
    pub x: f64,
    pub y: f64,
}

impl Focal {
    /// The point, refused unless both are fractions from 0 to 1.
    pub fn new(x: f64, y: f64) -> Result<Focal, String> {
        let fits = |v: f64| (0.0..=1.0).contains(&v);
        if fits(x) && fits(y) {
            Ok(Focal { x, y }.rounded())
        } else {
            Err("a focal point's x and y are fractions of the picture, from 0 to 1".into())
        }
    }

    /// Checked again: a point read from JSON may hold anything.
    pub fn checked(self) -> Result<Focal, String> {
        Focal::new(self.x, self.y)
    }

    /// The point as stored (ten-thousandths), and back.
    pub fn stored(self) -> (i32, i32) {
        ((self.x * STEPS).round() as i32, (self.y * STEPS).round() as i32)
    }

    pub fn from_stored(x: Option<i32>, y: Option<i32>) -> Option<Focal> {
        Some(Focal { x: f64::from(x?) / STEPS, y: f64::from(y?) / STEPS })
    }

    fn rounded(self) -> Focal {
        let (x, y) = self.stored();
        Focal { x: f64::from(x) / STEPS, y: f64::from(y) / STEPS }
    }

    /// The same spot of the picture once it is turned.
    pub fn turned(self, turn: Turn) -> Focal {
        let Focal { x, y } = self;
        match turn {
            Turn::Right => Focal { x: 1.0 - y, y: x },
            Turn::Left => Focal { x: y, y: 1.0 - x },
            Turn::Half => Focal { x: 1.0 - x, y: 1.0 - y },
            Turn::Mirror => Focal { x: 1.0 - x, y },
        }
        .rounded()
    }

    /// The same spot of a `w`×`h` picture once it is cut to `kept`; `None` when it was cut away.
    pub fn cropped(self, (w, h): (u32, u32), kept: &Crop) -> Option<Focal> {
        let inside = |at: f64, whole: u32, from: u32, size: u32| {
            let v = (at * f64::from(whole) - f64::from(from)) / f64::from(size);
            (0.0..=1.0).contains(&v).then_some(v)
        };
        let x = inside(self.x, w, kept.left, kept.width)?;
        let y = inside(self.y, h, kept.top, kept.height)?;
        Some(Focal { x, y }.rounded())
    }

    /// As percentages, for people: `(37.5, 20)`.
    pub fn percent(self) -> (f64, f64) {
        let p = |v: f64| (v * 1000.0).round() / 10.0;
        (p(self.x), p(self.y))
    }
}

/// A shape to crop to, as width:height ("16:9", "1:1", "4:5").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Aspect {
    pub w: u32,
    pub h: u32,
}

impl FromStr for Aspect {
    type Err = String;
    fn from_str(s: &str) -> Result<Aspect, String> {
        let side = |v: &str| v.trim().parse::<u32>().ok().filter(|n| (1..=100).contains(n));
        match s.split_once(':').map(|(w, h)| (side(w), side(h))) {
            Some((Some(w), Some(h))) => Ok(Aspect { w, h }),
            _ => Err(format!("a shape is width:height in whole numbers from 1 to 100 (\"16:9\"), not {s:?}")),
        }
    }
}

impl TryFrom<String> for Aspect {
    type Error = String;
    fn try_from(s: String) -> Result<Aspect, String> {
        s.parse()
    }
}

impl fmt::Display for Aspect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.w, self.h)
    }
}

impl Aspect {
    /// The largest rectangle of this shape in a `w`×`h` picture, centred on `focal` (else the
    /// middle) as far as the edges allow. The whole picture when it already has the shape.
    pub fn around(self, (w, h): (u32, u32), focal: Option<Focal>) -> Crop {
        let (w, h, aw, ah) = (u64::from(w), u64::from(h), u64::from(self.w), u64::from(self.h));
        // Rounded to the nearest pixel, never past the picture nor below one pixel.
        let (width, height) = if w * ah >= h * aw {
            (((h * aw + ah / 2) / ah).clamp(1, w), h)
        } else {
            (w, ((w * ah + aw / 2) / aw).clamp(1, h))
        };
        let f = focal.unwrap_or(Focal { x: 0.5, y: 0.5 });
        let place = |at: f64, whole: u64, size: u64| {
            (at * whole as f64 - size as f64 / 2.0).round().clamp(0.0, (whole - size) as f64) as u32
        };
        Crop {
            left: place(f.x, w, width),
            top: place(f.y, h, height),
            width: width as u32,
            height: height as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(x: f64, y: f64) -> Focal {
        Focal::new(x, y).unwrap()
    }

    #[test]
    fn refuses_what_is_not_a_fraction() {
        for (x, y) in [(-0.01, 0.5), (0.5, 1.01), (f64::NAN, 0.5), (0.5, f64::INFINITY)] {
            assert!(Focal::new(x, y).is_err(), "{x} {y}");
        }
        assert_eq!(at(0.123_456, 1.0), Focal { x: 0.1235, y: 1.0 });
        assert_eq!(Focal::from_stored(Some(2500), Some(10_000)), Some(at(0.25, 1.0)));
        assert_eq!(Focal::from_stored(Some(2500), None), None);
        assert_eq!(at(0.25, 0.3333).stored(), (2500, 3333));
    }

    #[test]
    fn a_turn_takes_the_point_along() {
        // A 4×2 picture, the point at pixel (3, 0.5): the right part of the top row.
        let p = at(0.75, 0.25);
        // Turned right it is 2×4 and the spot is at (1.5, 3): near the bottom, to the right.
        assert_eq!(p.turned(Turn::Right), at(0.75, 0.75));
        assert_eq!(p.turned(Turn::Left), at(0.25, 0.25));
        assert_eq!(p.turned(Turn::Half), at(0.25, 0.75));
        assert_eq!(p.turned(Turn::Mirror), at(0.25, 0.25));
        for turn in [Turn::Right, Turn::Left, Turn::Half, Turn::Mirror] {
            let back = match turn {
                Turn::Right => Turn::Left,
                Turn::Left => Turn::Right,
                other => other,
            };
            assert_eq!(p.turned(turn).turned(back), p, "{turn:?}");
        }
    }

    #[test]
    fn a_crop_keeps_the_point_where_it_was_or_drops_it() {
        // 200×100; the point at pixel (150, 25).
        let p = at(0.75, 0.25);
        let kept = Crop { left: 100, top: 0, width: 100, height: 50 };
        assert_eq!(p.cropped((200, 100), &kept), Some(at(0.5, 0.5)));
        let away = Crop { left: 0, top: 0, width: 100, height: 100 };
        assert_eq!(p.cropped((200, 100), &away), None);
        let below = Crop { left: 100, top: 50, width: 100, height: 50 };
        assert_eq!(p.cropped((200, 100), &below), None);
        assert_eq!(at(0.375, 0.2).percent(), (37.5, 20.0));
    }

    #[test]
    fn a_shape_is_cut_around_the_point() {
        let square: Aspect = "1:1".parse().unwrap();
        let wide: Aspect = " 16 : 9 ".parse().unwrap();
        assert_eq!(wide.to_string(), "16:9");
        for bad in ["", "16", "16:0", "0:9", "a:b", "101:1", "16:9:1", "-1:2"] {
            assert!(bad.parse::<Aspect>().is_err(), "{bad:?}");
        }
        // The middle of a 200×100 picture, or as near the point as the edges allow.
        assert_eq!(square.around((200, 100), None), Crop { left: 50, top: 0, width: 100, height: 100 });
        assert_eq!(square.around((200, 100), Some(at(0.9, 0.5))).left, 100, "held at the right edge");
        assert_eq!(square.around((200, 100), Some(at(0.3, 0.1))).left, 10);
        // Taller than the shape: the whole width, placed up or down.
        let portrait = wide.around((90, 300), Some(at(0.5, 0.05)));
        assert_eq!(portrait, Crop { left: 0, top: 0, width: 90, height: 51 });
        assert_eq!(wide.around((90, 300), Some(at(0.5, 0.5))).top, 125);
        // Already the shape: all of it (which the crop refuses as nothing to cut).
        assert_eq!(wide.around((1920, 1080), None), Crop { left: 0, top: 0, width: 1920, height: 1080 });
        // A sliver never becomes nothing.
        assert_eq!(wide.around((1, 1000), None).height, 1);
        assert_eq!("1:100".parse::<Aspect>().unwrap().around((1000, 1), None).width, 1);
    }
}

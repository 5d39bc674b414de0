//! An image's focal point: the spot that must stay in view when the picture is cut to another
//! shape (a square tile, a 16:9 banner), so a face or a product is never cropped away. It is
//! kept as fractions of the picture as shown, not pixels, so it means the same at any size and
//! for the thumbnail; a turn or a crop of the file moves it with the picture.

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
}

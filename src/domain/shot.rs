//! How a photo was taken, as its camera wrote it: when (by the camera's clock, with its offset
//! from UTC when the camera recorded one), with what (make, model, lens) and how (aperture,
//! shutter, sensitivity, focal length). Read once at upload and kept as JSON on the image, so
//! a page shows it without opening the file; every value is checked here, whatever the file
//! held, so a page or an API client never sees a date that is no date or an f/0.

use serde::{Deserialize, Serialize};

/// Longest camera, lens or maker name kept (longer is cut at a character boundary).
pub const NAME_CHARS: usize = 100;

/// What a photo says about how it was taken; every field is optional, and `Shot::default()`
/// (a photo that says nothing) is stored too, so that an image read once is never read again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Shot {
    /// The moment, ISO 8601 by the camera's clock: `2024-03-12T14:03:07`, or with the offset
    /// the camera recorded, `2024-03-12T14:03:07+01:00`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taken: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub make: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lens: Option<String>,
    /// The aperture's f-number (2.8 for f/2.8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub f_number: Option<f64>,
    /// The shutter's time, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iso: Option<u32>,
    /// The lens' focal length, in millimetres, and what it is on a 35 mm camera.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focal_mm: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focal_35mm: Option<u32>,
}

impl Shot {
    pub fn is_empty(&self) -> bool {
        *self == Shot::default()
    }

    /// The column's JSON (`{}` for a photo that says nothing).
    pub fn to_column(&self) -> String {
        serde_json::to_string(self).expect("plain data")
    }

    /// `None` for an image not read yet (stored before shots were) or a column that is not
    /// a shot; a value read back is checked again as if it came from a file.
    pub fn from_column(column: Option<&str>) -> Option<Shot> {
        let raw: Shot = serde_json::from_str(column?).ok()?;
        Some(raw.checked())
    }

    /// Only what can be so: a moment that is a date, names without control characters, an
    /// f-number, shutter time, ISO and focal lengths in a camera's ranges, each number to six
    /// significant digits (so it reads back from JSON as it was written).
    pub fn checked(self) -> Shot {
        let mut shot = Shot::default();
        shot.set_taken(self.taken.as_deref().unwrap_or(""), None);
        shot.make = self.make.as_deref().and_then(name);
        shot.model = self.model.as_deref().and_then(name);
        shot.lens = self.lens.as_deref().and_then(name);
        shot.f_number = self.f_number.filter(|f| (0.5..=128.0).contains(f)).map(digits);
        shot.exposure_seconds = self.exposure_seconds.filter(|s| *s > 0.0 && *s <= 86_400.0).map(digits);
        shot.iso = self.iso.filter(|i| (1..=10_000_000).contains(i));
        shot.focal_mm = self.focal_mm.filter(|f| *f > 0.0 && *f <= 10_000.0).map(digits);
        shot.focal_35mm = self.focal_35mm.filter(|f| (1..=10_000).contains(f));
        shot
    }

    /// Sets the moment from EXIF's `YYYY:MM:DD HH:MM:SS` (or ISO 8601's dashes and `T`, as XMP
    /// writes it) and an offset such as `+01:00`; a date that is no date (the `0000:00:00` of
    /// a camera whose clock was never set) leaves it empty, an offset that is none is left out.
    pub fn set_taken(&mut self, when: &str, offset: Option<&str>) {
        let when = when.trim().trim_end_matches('\0');
        let (when, xmp_offset) = split_offset(when);
        let seconds = when.get(..19).unwrap_or(when);
        let parsed = ["%Y:%m:%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"]
            .iter()
            .find_map(|f| chrono::NaiveDateTime::parse_from_str(seconds, f).ok());
        self.taken = parsed.filter(|t| chrono::Datelike::year(t) >= 1826).map(|t| {
            let offset = offset.and_then(|o| tidy_offset(o.trim_end_matches('\0'))).or(xmp_offset);
            format!("{}{}", t.format("%Y-%m-%dT%H:%M:%S"), offset.unwrap_or_default())
        });
    }

    /// The camera by name: the model, with the maker before it unless the model names it
    /// already (`Canon EOS R5`, `NIKON D750`, `Apple iPhone 15`).
    pub fn camera(&self) -> Option<String> {
        let model = self.model.as_deref();
        match (self.make.as_deref(), model) {
            (Some(make), Some(model)) => {
                let brand = make.split_whitespace().next().unwrap_or(make).to_lowercase();
                Some(if model.to_lowercase().starts_with(&brand) {
                    model.to_owned()
                } else {
                    format!("{make} {model}")
                })
            }
            (make, model) => make.or(model).map(str::to_owned),
        }
    }

    /// `f/2.8 · 1/200 s · ISO 400 · 50 mm (75 mm on 35 mm)`: what of it the photo says.
    pub fn exposure(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(f) = self.f_number {
            parts.push(format!("f/{}", short(f)));
        }
        if let Some(s) = self.exposure_seconds {
            parts.push(if s < 0.3 {
                format!("1/{} s", (1.0 / s).round())
            } else {
                format!("{} s", short(s))
            });
        }
        if let Some(iso) = self.iso {
            parts.push(format!("ISO {iso}"));
        }
        match (self.focal_mm, self.focal_35mm) {
            (Some(mm), Some(full)) if (mm - f64::from(full)).abs() >= 0.5 => {
                parts.push(format!("{} mm ({full} mm on 35 mm)", short(mm)))
            }
            (Some(mm), _) => parts.push(format!("{} mm", short(mm))),
            (None, Some(full)) => parts.push(format!("{full} mm on 35 mm")),
            (None, None) => {}
        }
        (!parts.is_empty()).then(|| parts.join(" · "))
    }

    /// The moment as a person reads it: `12 March 2024, 14:03:07`, then `UTC+01:00` or, with
    /// no offset recorded, a word that it is the camera's clock.
    pub fn taken_text(&self) -> Option<String> {
        let taken = self.taken.as_deref()?;
        let t = chrono::NaiveDateTime::parse_from_str(taken.get(..19)?, "%Y-%m-%dT%H:%M:%S").ok()?;
        let zone = match taken.get(19..).filter(|o| !o.is_empty()) {
            Some(offset) => format!("UTC{offset}"),
            None => "by the camera's clock".to_owned(),
        };
        Some(format!("{}, {} ({zone})", t.format("%-d %B %Y"), t.format("%H:%M:%S")))
    }
}

/// `v` to six significant digits.
fn digits(v: f64) -> f64 {
    format!("{v:.5e}").parse().unwrap_or(v)
}

/// A number as short as it reads: `2.8`, `4`, `0.5`.
fn short(v: f64) -> String {
    let v = (v * 10.0).round() / 10.0;
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") }
}

/// A name as a page may show it: no control characters, trimmed, at most [`NAME_CHARS`].
fn name(raw: &str) -> Option<String> {
    let clean: String = raw.chars().filter(|c| !c.is_control()).take(NAME_CHARS).collect();
    let clean = clean.trim();
    (!clean.is_empty()).then(|| clean.to_owned())
}

/// `Z`, `+01:00`, `-0530` as `+00:00`, `+01:00`, `-05:30`; `None` for anything else or past ±14 h.
fn tidy_offset(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw == "Z" {
        return Some("+00:00".into());
    }
    let sign = raw.chars().next().filter(|c| *c == '+' || *c == '-')?;
    let digits: String = raw[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_digit()) || raw.len() > 6 {
        return None;
    }
    let (h, m): (u32, u32) = (digits[..2].parse().ok()?, digits[2..].parse().ok()?);
    (h * 60 + m <= 14 * 60 && m < 60).then(|| format!("{sign}{h:02}:{m:02}"))
}

/// An XMP moment's own offset (`…T14:03:07+01:00`, `…Z`), split from it.
fn split_offset(when: &str) -> (&str, Option<String>) {
    if when.len() <= 16 {
        return (when, None);
    }
    let at = when.char_indices().skip(16).find(|(_, c)| matches!(c, '+' | '-' | 'Z')).map(|(i, _)| i);
    match at {
        Some(i) => (&when[..i], tidy_offset(&when[i..])),
        None => (when, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken(when: &str, offset: Option<&str>) -> Option<String> {
        let mut shot = Shot::default();
        shot.set_taken(when, offset);
        shot.taken
    }

    #[test]
    fn moments_are_read_as_cameras_and_xmp_write_them() {
        assert_eq!(taken("2024:03:12 14:03:07", None).as_deref(), Some("2024-03-12T14:03:07"));
        assert_eq!(
            taken("2024:03:12 14:03:07\0", Some("+01:00")).as_deref(),
            Some("2024-03-12T14:03:07+01:00")
        );
        assert_eq!(taken("2024-03-12T14:03:07.25-05:30", None).as_deref(), Some("2024-03-12T14:03:07-05:30"));
        assert_eq!(taken("2024-03-12T14:03Z", None).as_deref(), Some("2024-03-12T14:03:00+00:00"));
        for none in ["0000:00:00 00:00:00", "    :  :     :  :  ", "", "2024:13:40 25:00:00", "yesterday"] {
            assert_eq!(taken(none, Some("+01:00")), None, "{none}");
        }
        assert_eq!(taken("2024:03:12 14:03:07", Some("+15:00")).as_deref(), Some("2024-03-12T14:03:07"));
        assert_eq!(taken("2024:03:12 14:03:07", Some("   ")).as_deref(), Some("2024-03-12T14:03:07"));
    }

    #[test]
    fn a_shot_reads_as_a_photographer_says_it() {
        let shot = Shot {
            taken: Some("2024-03-12T14:03:07+01:00".into()),
            make: Some("Canon".into()),
            model: Some("Canon EOS R5".into()),
            f_number: Some(2.8),
            exposure_seconds: Some(0.005),
            iso: Some(400),
            focal_mm: Some(50.0),
            focal_35mm: Some(75),
            ..Shot::default()
        };
        assert_eq!(shot.camera().as_deref(), Some("Canon EOS R5"));
        assert_eq!(shot.exposure().as_deref(), Some("f/2.8 · 1/200 s · ISO 400 · 50 mm (75 mm on 35 mm)"));
        assert_eq!(shot.taken_text().as_deref(), Some("12 March 2024, 14:03:07 (UTC+01:00)"));
        let phone = Shot { make: Some("Apple".into()), model: Some("iPhone 15".into()), ..Shot::default() };
        assert_eq!(phone.camera().as_deref(), Some("Apple iPhone 15"));
        let nikon = Shot {
            make: Some("NIKON CORPORATION".into()),
            model: Some("NIKON D750".into()),
            ..Shot::default()
        };
        assert_eq!(nikon.camera().as_deref(), Some("NIKON D750"));
        let long = Shot {
            exposure_seconds: Some(2.5),
            focal_mm: Some(35.0),
            focal_35mm: Some(35),
            ..Shot::default()
        };
        assert_eq!(long.exposure().as_deref(), Some("2.5 s · 35 mm"));
        assert_eq!(
            Shot { taken: Some("2024-03-12T14:03:07".into()), ..Shot::default() }.taken_text().as_deref(),
            Some("12 March 2024, 14:03:07 (by the camera's clock)")
        );
        assert!(Shot::default().camera().is_none() && Shot::default().exposure().is_none());
    }

    #[test]
    fn the_column_reads_back_checked() {
        let shot = Shot { iso: Some(100), lens: Some("RF24-70mm F2.8 L IS USM".into()), ..Shot::default() };
        assert_eq!(Shot::from_column(Some(&shot.to_column())), Some(shot));
        assert_eq!(Shot::default().to_column(), "{}");
        assert_eq!(Shot::from_column(Some("{}")), Some(Shot::default()));
        assert_eq!(Shot::from_column(None), None);
        assert_eq!(Shot::from_column(Some("not json")), None);
        let odd = r#"{"f_number": 0, "iso": 0, "taken": "0000:00:00 00:00:00", "make": " \u0007 "}"#;
        assert_eq!(Shot::from_column(Some(odd)), Some(Shot::default()));
    }
}

//! Cropping a photo from its page: four numbers (JavaScript fills them by dragging over the
//! picture), or a shape cut around the focal point. A refusal comes back to the page with the
//! numbers as they were typed.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::item_path::MediaPath;
use super::signin::see_other;
use crate::app::App;
use crate::auth::session;
use crate::domain::{Aspect, Crop};
use crate::media::MediaError;
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;

const SHAPE: &str = "Choose a shape to crop to (or crop to the numbers).";

/// The shapes the form offers, as (value, label).
pub const SHAPES: [(&str, &str); 6] = [
    ("1:1", "Square (1:1)"),
    ("4:3", "4:3"),
    ("3:2", "3:2"),
    ("16:9", "Wide (16:9)"),
    ("4:5", "Portrait (4:5)"),
    ("9:16", "Tall (9:16)"),
];

#[derive(Deserialize)]
pub struct CropForm {
    csrf_token: String,
    #[serde(default)]
    left: String,
    #[serde(default)]
    top: String,
    #[serde(default)]
    width: String,
    #[serde(default)]
    height: String,
    /// "16:9", "1:1"… or empty (free).
    #[serde(default)]
    shape: String,
    /// The "Crop to the shape" button: the shape decides, not the numbers.
    to_shape: Option<String>,
}

impl CropForm {
    fn typed(&self) -> [&str; 4] {
        [&self.left, &self.top, &self.width, &self.height].map(|v| v.trim())
    }

    /// The numbers and the shape, as [`typed_back`] reads them after a refusal.
    fn as_typed(&self) -> String {
        match self.shape.trim() {
            "" => self.typed().join(","),
            shape => format!("{};{shape}", self.typed().join(",")),
        }
    }

    fn crop(&self) -> Option<Crop> {
        let [left, top, width, height] = self.typed().map(|v| v.parse::<u32>().ok());
        Some(Crop { left: left?, top: top?, width: width?, height: height? })
    }
}

/// A refused crop as the form shows it again: the numbers typed and the shape chosen.
pub struct CropDraft {
    pub values: [String; 4],
    /// One of [`SHAPES`]' values, or empty.
    pub shape: &'static str,
}

/// A page's `crop` parameter read back: left, top, width, height, then after a `;` the shape
/// if one was chosen (only one the form offers).
pub fn typed_back(raw: &str) -> Option<CropDraft> {
    let (numbers, shape) = raw.split_once(';').unwrap_or((raw, ""));
    let parts: Vec<String> = numbers.split(',').map(|p| p.chars().take(12).collect()).collect();
    let shape = SHAPES.iter().find(|(value, _)| *value == shape).map_or("", |(value, _)| value);
    Some(CropDraft { values: parts.try_into().ok()?, shape })
}

/// Cuts a photo to the rectangle typed or dragged (the form under its File section).
pub async fn crop(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<MediaPath>,
    form: web::Form<CropForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let path = path.into_inner();
    let refused = |why: String| path.refused(&user.session, why, "crop", &form.as_typed());
    let item = (path.kind, path.id);
    let done = match (&form.to_shape, form.crop()) {
        (Some(_), _) => match form.shape.parse::<Aspect>() {
            Ok(shape) => app.media.crop_to(&user.actor(), item, shape).await,
            Err(_) => return Ok(refused(SHAPE.into())),
        },
        (None, Some(asked)) => app.media.crop(&user.actor(), item, asked).await,
        (None, None) => {
            return Ok(refused("Give the crop's left, top, width and height in whole pixels.".into()));
        }
    };
    match done {
        Ok((cropped, kept)) => {
            let mut said = format!("{} {}.", cropped.media.filename(), kept.done());
            let asked = form.crop().filter(|_| form.to_shape.is_none());
            if asked.is_some_and(|asked| kept != asked) {
                said.push_str(
                    " A JPEG is stored in blocks of 8 or 16 pixels, so the crop took in the rest of \
                     the blocks at its edge rather than compress the photo again.",
                );
            }
            if cropped.kept_version {
                said.push_str(" The file as it was is listed under File, ready to roll back to.");
            }
            session::flash(&user.session, "ok", said);
            Ok(see_other(&path.url()))
        }
        Err(MediaError::Invalid(why)) => Ok(refused(why)),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::typed_back;

    #[test]
    fn a_refused_crop_reads_back_as_typed() {
        let d = typed_back("4,zero,20,20;16:9").unwrap();
        assert_eq!((d.values, d.shape), (["4", "zero", "20", "20"].map(String::from), "16:9"));
        assert_eq!(typed_back("4,zero,20,20").unwrap().shape, "", "no shape chosen");
        assert_eq!(typed_back("0,0,8,8;7:3").unwrap().shape, "", "only a shape the form offers");
        assert!(typed_back("4,5,0,20,20").is_none(), "not four numbers: the form starts whole");
    }
}

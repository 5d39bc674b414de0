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
use crate::http_text::percent_encode;
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

    fn crop(&self) -> Option<Crop> {
        let [left, top, width, height] = self.typed().map(|v| v.parse::<u32>().ok());
        Some(Crop { left: left?, top: top?, width: width?, height: height? })
    }
}

/// The four numbers as a page's `crop` parameter gives them back: left, top, width, height.
pub fn typed_back(raw: &str) -> Option<[String; 4]> {
    let parts: Vec<String> = raw.split(',').map(|p| p.chars().take(12).collect()).collect();
    parts.try_into().ok()
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
    let refused = |why: String| {
        session::flash(&user.session, "error", why);
        let typed = percent_encode(&form.typed().join(","));
        see_other(&format!("{}?crop={typed}#crop", path.url()))
    };
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

//! Choosing a photo's focal point from its page: two percentages (JavaScript fills them by a
//! click on the picture), or Clear. A refusal comes back with the numbers as typed.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::item_path::MediaPath;
use super::signin::see_other;
use crate::app::App;
use crate::auth::session;
use crate::domain::{Focal, MediaKind};
use crate::media::{ImageRead, MediaError};
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;

const ASK: &str = "Give the focal point as two percentages from 0 to 100: how far across and how \
                   far down the picture it is.";

#[derive(Deserialize)]
pub struct FocalForm {
    csrf_token: String,
    #[serde(default)]
    x: String,
    #[serde(default)]
    y: String,
    /// The Clear button.
    clear: Option<String>,
}

impl FocalForm {
    fn typed(&self) -> [&str; 2] {
        [&self.x, &self.y].map(|v| v.trim())
    }

    /// The point typed; a decimal comma is read as a point.
    fn focal(&self) -> Option<Focal> {
        let [x, y] = self.typed().map(|v| v.replace(',', ".").parse::<f64>().ok());
        Focal::new(x? / 100.0, y? / 100.0).ok()
    }
}

/// The focal point form and the mark on the picture: the numbers it holds (those saved, or
/// those of a refused change) and where the mark is (`None`: no point chosen).
pub struct FocalView {
    pub values: [String; 2],
    pub mark: Option<(f64, f64)>,
}

impl FocalView {
    pub fn of(image: &ImageRead, refused: Option<[String; 2]>) -> FocalView {
        let mark = image.focal.map(Focal::percent);
        let values = refused.unwrap_or_else(|| match mark {
            Some((x, y)) => [x.to_string(), y.to_string()],
            None => [String::new(), String::new()],
        });
        FocalView { values, mark }
    }

    /// Where the mark is drawn, the middle when hidden (JavaScript moves it).
    pub fn at(&self) -> (f64, f64) {
        self.mark.unwrap_or((50.0, 50.0))
    }
}

/// The two numbers as a page's `focal` parameter gives them back.
pub fn typed_back(raw: &str) -> Option<[String; 2]> {
    let parts: Vec<String> = raw.split(';').map(|p| p.chars().take(12).collect()).collect();
    parts.try_into().ok()
}

/// Sets or clears a photo's focal point (the form under its description).
pub async fn focal(
    app: web::Data<App>,
    user: CurrentUser,
    path: web::Path<MediaPath>,
    form: web::Form<FocalForm>,
) -> Result<HttpResponse, WebError> {
    user.check_csrf(&form.csrf_token)?;
    let path = path.into_inner();
    if path.kind != MediaKind::Image {
        return Err(WebError::NotFound);
    }
    // `;` between them: a decimal comma may be in either.
    let refused = |why: String| path.refused(&user.session, why, "focal", &form.typed().join(";"));
    let asked = match (&form.clear, form.focal()) {
        (Some(_), _) => None,
        (None, Some(point)) => Some(point),
        (None, None) => return Ok(refused(ASK.into())),
    };
    match app.media.set_focal(&user.actor(), path.id, asked).await {
        Ok(_) => {
            let said = match asked.map(Focal::percent) {
                Some((x, y)) => format!(
                    "Focal point saved: {x} % across, {y} % down. Crops to other shapes keep it in view."
                ),
                None => "Focal point cleared: crops to other shapes keep the middle.".to_owned(),
            };
            session::flash(&user.session, "ok", said);
            Ok(see_other(&format!("{}#focal", path.url())))
        }
        Err(MediaError::Invalid(why)) => Ok(refused(why)),
        Err(e) => Err(e.into()),
    }
}

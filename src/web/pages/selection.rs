//! Forms that post a selection: ticked checkboxes arrive as repeated `item=kind:id` fields,
//! which serde's form parser cannot collect, next to the CSRF token and the form's own fields.

use crate::domain::MediaKind;
use crate::web::error::WebError;
use crate::web::extract::CurrentUser;

/// A posted selection form whose CSRF token was checked.
pub struct SelectionForm {
    fields: Vec<(String, String)>,
}

impl SelectionForm {
    pub fn read(user: &CurrentUser, body: &[u8]) -> Result<SelectionForm, WebError> {
        let fields: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|e| WebError::BadRequest(e.to_string()))?;
        let form = SelectionForm { fields };
        user.check_csrf(form.field("csrf_token").unwrap_or(""))?;
        Ok(form)
    }

    /// The first value of a field.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every value of a field, in the order they came.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The ticked items, in the order they came; malformed values are left out.
    pub fn items(&self) -> Vec<(MediaKind, i64)> {
        self.values("item").filter_map(parse_item).collect()
    }
}

/// `image:12` → (kind, id).
pub fn parse_item(s: &str) -> Option<(MediaKind, i64)> {
    let (kind, id) = s.split_once(':')?;
    Some((kind.parse().ok()?, id.parse().ok()?))
}

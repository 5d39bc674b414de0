//! Reading a change's JSON body the same way at every address: an object only, its fields
//! checked by serde (`deny_unknown_fields` on each type), and a field sent as `null` told apart
//! from one left out.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::media::bad;
use crate::web::error::WebError;

/// `T` from a JSON object; anything else is a 400 that says what to send (`example`). Serde
/// would also take an array, field by field in order.
pub fn object<T: DeserializeOwned>(body: serde_json::Value, example: &str) -> Result<T, WebError> {
    if !body.is_object() {
        return Err(bad(&format!("The JSON could not be read: send an object, {example}")));
    }
    serde_json::from_value(body).map_err(|e| bad(&format!("The JSON could not be read: {e}")))
}

/// For `deserialize_with`: a field that came, `null` or not (serde reads `null` as absent).
pub fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

//! What the provider's claims about a person mean here: the role their groups name and the
//! storage quota a claim sets. A claim that is missing or unreadable means nothing, so that a
//! provider that stops sending one changes nobody (it must not demote every admin at their
//! next sign-in, or drop every quota to the default).

use std::collections::HashMap;

use serde_json::Value;

use super::Role;
use crate::domain::Quota;

/// Roles from the provider's groups: when set, every sign-on gives the account the role its
/// groups name (admin before staff; in neither, user), so access is managed at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRoles {
    /// The claim listing the person's groups (`groups` unless configured).
    pub claim: String,
    pub admin: Vec<String>,
    pub staff: Vec<String>,
}

impl GroupRoles {
    pub fn role(&self, groups: &[String]) -> Role {
        let member = |of: &[String]| groups.iter().any(|g| of.contains(g));
        if member(&self.admin) {
            Role::Admin
        } else if member(&self.staff) {
            Role::Staff
        } else {
            Role::User
        }
    }

    /// The role the groups in `claims` name, if they list any.
    pub(super) fn read(&self, claims: &HashMap<String, Value>, known_as: &str) -> Option<Role> {
        let listed = claim(claims, &self.claim).and_then(groups);
        if listed.is_none() {
            tracing::warn!(claim = %self.claim, who = %known_as, "the provider lists no groups");
        }
        listed.map(|groups| self.role(&groups))
    }
}

/// The claim `name` in `claims`: the claim of that very name (names may hold dots, as URLs
/// do), else the one a dotted path reaches inside objects (`realm_access.roles`, where
/// Keycloak puts a person's roles).
pub(super) fn claim<'a>(claims: &'a HashMap<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(value) = claims.get(name) {
        return Some(value);
    }
    let mut steps = name.split('.');
    let first = claims.get(steps.next()?)?;
    steps.try_fold(first, |value, step| value.get(step))
}

/// The groups a claim's value names: a list of names, one name (some providers send a lone
/// group so), or an object's keys (Zitadel's roles claim maps each role to where it holds);
/// anything else names none.
fn groups(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(one) => Some(vec![one.clone()]),
        Value::Array(all) => Some(all.iter().filter_map(|g| g.as_str().map(str::to_owned)).collect()),
        Value::Object(map) => Some(map.keys().cloned().collect()),
        _ => None,
    }
}

/// The quota `name` in `claims` sets, if it is there and readable.
pub(super) fn read_quota(claims: &HashMap<String, Value>, name: &str, known_as: &str) -> Option<Quota> {
    match claim(claims, name).map(quota_of) {
        Some(Ok(quota)) => Some(quota),
        Some(Err(e)) => {
            tracing::warn!(claim = %name, who = %known_as, error = %e, "unreadable quota claim");
            None
        }
        None => {
            tracing::warn!(claim = %name, who = %known_as, "the provider sends no quota");
            None
        }
    }
}

/// A quota claim's value: a size in words as an admin types it (`"5 GiB"`, `"500 MB"`,
/// `"unlimited"`, `"default"`), or a number of GiB, 0 for unlimited (as Immich reads its quota
/// claim, so that a provider set up for it serves both).
fn quota_of(value: &Value) -> Result<Quota, String> {
    match value {
        Value::String(words) => Quota::parse(words),
        Value::Number(n) => match n.as_f64() {
            Some(0.0) => Ok(Quota::Unlimited),
            // Up to what the column holds (i64::MAX bytes, 8 EiB).
            Some(gib) if (0.0..(8u64 << 30) as f64).contains(&gib) => {
                Ok(Quota::Bytes((gib * (1u64 << 30) as f64).round() as u64))
            }
            _ => Err(format!("{n} GiB is not a quota")),
        },
        other => Err(format!("{other} is neither a size nor a number of GiB")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_quota_claim_is_words_or_gib() {
        assert_eq!(quota_of(&json!("5 GiB")), Ok(Quota::Bytes(5 << 30)));
        assert_eq!(quota_of(&json!("unlimited")), Ok(Quota::Unlimited));
        assert_eq!(quota_of(&json!("default")), Ok(Quota::Default));
        assert_eq!(quota_of(&json!(0.5)), Ok(Quota::Bytes(1 << 29)));
        assert_eq!(quota_of(&json!(0)), Ok(Quota::Unlimited), "as Immich reads it");
        assert_eq!(quota_of(&json!("0")), Ok(Quota::Bytes(0)), "words as an admin types them");
        for bad in [json!(-1), json!(1e30), json!("lots"), json!(["5 GiB"]), json!(null), json!(true)] {
            assert!(quota_of(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn groups_are_a_list_one_name_or_an_objects_keys() {
        assert_eq!(groups(&json!(["a", 1, "b"])), Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(groups(&json!("a")), Some(vec!["a".to_owned()]));
        assert_eq!(groups(&json!({"a": {"1": "x"}})), Some(vec!["a".to_owned()]));
        assert_eq!(groups(&json!(7)), None);
    }

    #[test]
    fn a_claim_is_found_by_its_name_or_a_dotted_path() {
        let claims: HashMap<String, Value> = serde_json::from_value(json!({
            "groups": ["a"],
            "https://acme.org/roles": ["b"],
            "realm_access": {"roles": ["c"], "deep": {"er": 1}},
        }))
        .unwrap();
        assert_eq!(claim(&claims, "groups"), Some(&json!(["a"])));
        assert_eq!(claim(&claims, "https://acme.org/roles"), Some(&json!(["b"])), "a name with dots");
        assert_eq!(claim(&claims, "realm_access.roles"), Some(&json!(["c"])));
        assert_eq!(claim(&claims, "realm_access.deep.er"), Some(&json!(1)));
        for missing in ["realm_access.nothing", "groups.0", "nothing.at.all", ""] {
            assert_eq!(claim(&claims, missing), None, "{missing}");
        }
    }
}

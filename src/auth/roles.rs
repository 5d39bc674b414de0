use std::fmt;
use std::str::FromStr;

/// What an account may do. `staff` and `admin` manage all media; `admin` also manages accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Staff,
    User,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Staff, Role::User];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::User => "user",
        }
    }

    /// Staff and admins manage every item, system media included.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Staff)
    }

    pub fn is_admin(self) -> bool {
        self == Role::Admin
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "staff" => Ok(Role::Staff),
            "user" => Ok(Role::User),
            other => Err(format!("unknown role {other:?} (admin, staff or user)")),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

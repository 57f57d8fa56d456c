//! Roles: what an account may do. Stored as text in `users.role`; read back only through
//! `Role::from_stored`, so no code compares role strings.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Resident,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resident => "resident",
            Self::Admin => "admin",
        }
    }

    /// The stored text back; anything unknown is a resident (the least power).
    pub fn from_stored(text: &str) -> Self {
        match text {
            "admin" => Self::Admin,
            _ => Self::Resident,
        }
    }

    /// Staff run the campaigns: they never win prizes nor appear on regional boards.
    pub fn is_staff(self) -> bool {
        self != Self::Resident
    }
}

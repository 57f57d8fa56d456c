//! Roles: what an account may do. Stored as text in `users.role`; read back only through
//! `Role::from_stored`, so no code compares role strings.
//!
//! - `admin`: the bureau (司法局): everything.
//! - `township_staff`: one 苏木镇's 司法所: that township's figures only; no bank upload, campaign
//!   edit, draw or account administration.
//! - `village_liaison`: a village's 法律明白人: that village's participation figures only.
//!
//! What data a staff member sees is their `StaffScope` (`scope.rs`), which domain functions take.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Resident,
    Admin,
    TownshipStaff,
    VillageLiaison,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resident => "resident",
            Self::Admin => "admin",
            Self::TownshipStaff => "township_staff",
            Self::VillageLiaison => "village_liaison",
        }
    }

    /// The stored text back; anything unknown is a resident (the least power).
    pub fn from_stored(text: &str) -> Self {
        match text {
            "admin" => Self::Admin,
            "township_staff" => Self::TownshipStaff,
            "village_liaison" => Self::VillageLiaison,
            _ => Self::Resident,
        }
    }

    /// Staff run the campaigns: they never win prizes nor appear on regional boards.
    pub fn is_staff(self) -> bool {
        self != Self::Resident
    }
}

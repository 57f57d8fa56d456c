//! Which residents' data a staff member sees (`StaffScope`), and a role as staff assign it
//! (`RoleAssignment`: a scoped role always names a region of the right level).

use super::regions::Level;
use super::{CurrentUser, Regions, Role};

/// The residents whose figures a staff member may see: everyone (the bureau), one township's, or
/// one village's. Domain functions that report on residents take it, so the filter is a rule of
/// the domain, never of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffScope {
    All,
    Township(String),
    Village(String),
}

impl StaffScope {
    /// The scope of a signed-in user: `None` for a resident, and for a scoped role whose region is
    /// missing (such an account sees nothing rather than everything).
    pub fn of(user: &CurrentUser) -> Option<Self> {
        match (user.role, user.scope_region.clone()) {
            (Role::Admin, _) => Some(Self::All),
            (Role::TownshipStaff, Some(code)) => Some(Self::Township(code)),
            (Role::VillageLiaison, Some(code)) => Some(Self::Village(code)),
            _ => None,
        }
    }

    /// Whether a resident who lives in `village` is within the scope.
    pub fn admits_resident(&self, regions: &Regions, village: &str) -> bool {
        match self {
            Self::All => true,
            Self::Township(township) => regions.get(village).and_then(|r| r.parent).is_some_and(|p| p == *township),
            Self::Village(own) => village == own,
        }
    }

    /// Whether a region's own figures (a township's or a village's row) are within the scope.
    pub fn admits_region(&self, regions: &Regions, code: &str) -> bool {
        match self {
            Self::All => true,
            Self::Township(township) => code == township || self.admits_resident(regions, code),
            Self::Village(own) => code == own,
        }
    }

    pub fn is_all(&self) -> bool {
        *self == Self::All
    }
}

/// A role with the region it needs: the township of `township_staff`, the village of
/// `village_liaison`; the bureau's roles name none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleAssignment {
    Resident,
    Admin,
    TownshipStaff(String),
    VillageLiaison(String),
}

/// Why a role and region do not go together, in the words of the console's form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidAssignment {
    #[error("乡镇工作人员要选一个苏木镇作为负责的地区")]
    NeedsTownship,
    #[error("法律明白人要选一个嘎查/村/社区作为负责的地区")]
    NeedsVillage,
    #[error("居民和管理员不分管地区，请不要选负责的地区")]
    NoRegionWanted,
}

impl RoleAssignment {
    pub fn parse(role: Role, region_code: Option<&str>, regions: &Regions) -> Result<Self, InvalidAssignment> {
        let region = region_code.map(str::trim).filter(|c| !c.is_empty());
        let of_level = |level: Level| region.and_then(|c| regions.get(c)).filter(|r| r.active && r.level == level);
        match role {
            Role::Resident | Role::Admin if region.is_some() => Err(InvalidAssignment::NoRegionWanted),
            Role::Resident => Ok(Self::Resident),
            Role::Admin => Ok(Self::Admin),
            Role::TownshipStaff => {
                of_level(Level::Township).map(|r| Self::TownshipStaff(r.code)).ok_or(InvalidAssignment::NeedsTownship)
            }
            Role::VillageLiaison => {
                of_level(Level::Village).map(|r| Self::VillageLiaison(r.code)).ok_or(InvalidAssignment::NeedsVillage)
            }
        }
    }

    pub fn role(&self) -> Role {
        match self {
            Self::Resident => Role::Resident,
            Self::Admin => Role::Admin,
            Self::TownshipStaff(_) => Role::TownshipStaff,
            Self::VillageLiaison(_) => Role::VillageLiaison,
        }
    }

    /// The region the role is scoped to, as stored in `users.scope_region`.
    pub fn region(&self) -> Option<&str> {
        match self {
            Self::Resident | Self::Admin => None,
            Self::TownshipStaff(code) | Self::VillageLiaison(code) => Some(code),
        }
    }
}

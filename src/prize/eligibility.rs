//! Who may win a prize: the rule, in one place. A candidate is a person on the campaign board
//! (a finished attempt), once, in board order; staff and disabled accounts never win. A lottery
//! then also asks for its minimum score (see `run_draw`).

use std::collections::HashMap;

use super::draw::Eligible;
use crate::accounts::{Role, mask_phone};
use crate::db::entity::user;
use crate::scores::Entry;

/// What the rule needs to know of a person.
#[derive(Debug, Clone)]
pub struct Person {
    pub display_name: String,
    pub phone: String,
    pub role: Role,
    pub disabled: bool,
}

impl Person {
    pub fn from_row(row: user::Model) -> Self {
        Self {
            role: Role::from_stored(&row.role),
            display_name: row.display_name,
            phone: row.phone,
            disabled: row.disabled,
        }
    }

    /// Whether this person may win at all.
    pub fn may_win(&self) -> bool {
        !self.role.is_staff() && !self.disabled
    }
}

/// The candidates of a board in board order: one per person (a board has one row each), only
/// those who may win, shown as the public sees them (masked phone).
pub fn candidates(board: &[(i64, Entry)], people: &HashMap<i64, Person>) -> Vec<Eligible> {
    board
        .iter()
        .filter_map(|(user_id, entry)| {
            let person = people.get(user_id).filter(|p| p.may_win())?;
            Some(Eligible {
                user_id: *user_id,
                display_name: person.display_name.clone(),
                phone_masked: mask_phone(&person.phone),
                score: entry.points,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(role: Role, disabled: bool) -> Person {
        Person { display_name: "x".into(), phone: "13800001111".into(), role, disabled }
    }

    #[test]
    fn staff_and_disabled_accounts_never_win_and_order_is_kept() {
        let entry = |points| Entry { points, duration_ms: 1, at_ms: 1 };
        let board = [(3, entry(100)), (1, entry(90)), (2, entry(80)), (4, entry(70))];
        let people = HashMap::from([
            (1, person(Role::Resident, false)),
            (2, person(Role::Admin, false)),
            (3, person(Role::Resident, false)),
            (4, person(Role::Resident, true)),
        ]);
        let ids: Vec<i64> = candidates(&board, &people).iter().map(|e| e.user_id).collect();
        assert_eq!(ids, [3, 1]);
        assert_eq!(candidates(&board, &people)[0].phone_masked, "138****1111");
    }
}

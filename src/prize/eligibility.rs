//! Who may win a prize: the rule, in one place. A candidate is a person on the campaign board
//! (a finished attempt), once, in board order; staff and disabled accounts never win. A lottery
//! then also asks for its minimum score (see `run_draw`).

use std::collections::HashMap;

use serde::Serialize;

use super::draw::Eligible;
use super::{Prize, PrizeMode};
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

/// Whether one finished attempt takes part in the prize, said in the words a resident reads on the
/// result screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PrizeNote {
    pub eligible: bool,
    pub note: String,
}

impl PrizeNote {
    /// For an attempt that scored `score` with the resident now at `rank` on the board.
    pub fn for_result(prize: &Prize, score: i64, rank: Option<u64>) -> Self {
        match prize.mode {
            PrizeMode::Lottery => {
                let min = i64::from(prize.min_score.unwrap_or(0));
                if score >= min {
                    let how = if prize.per_day.is_some() {
                        "按天抽取幸运奖"
                    } else {
                        "活动结束后统一抽取幸运奖"
                    };
                    Self {
                        eligible: true,
                        note: format!("本次{score}分，达到{min}分，可以参加抽奖（{how}，共{}名）。", prize.winners),
                    }
                } else {
                    Self {
                        eligible: false,
                        note: format!("抽奖要求{min}分以上，本次{score}分，还差{}分。可以再答一次。", min - score),
                    }
                }
            }
            PrizeMode::Top => match rank {
                Some(rank) if rank <= u64::from(prize.winners) => Self {
                    eligible: true,
                    note: format!(
                        "排名前{}名获奖。您现在第{rank}名，在获奖名次内，活动结束时的排名为准。",
                        prize.winners
                    ),
                },
                Some(rank) => Self {
                    eligible: false,
                    note: format!("排名前{}名获奖。您现在第{rank}名，还没进入获奖名次。", prize.winners),
                },
                None => Self {
                    eligible: false,
                    note: format!("排名前{}名获奖。交卷后按最好成绩排名。", prize.winners),
                },
            },
        }
    }
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

    #[test]
    fn a_result_says_whether_it_enters_the_prize_and_why_not() {
        let lottery = Prize { mode: PrizeMode::Lottery, winners: 20, min_score: Some(100), per_day: None };
        assert!(PrizeNote::for_result(&lottery, 100, Some(3)).eligible);
        let short = PrizeNote::for_result(&lottery, 85, Some(3));
        assert!(!short.eligible && short.note.contains("还差15分"), "{}", short.note);
        let top = Prize { mode: PrizeMode::Top, winners: 10, min_score: None, per_day: None };
        assert!(PrizeNote::for_result(&top, 60, Some(10)).eligible);
        assert!(!PrizeNote::for_result(&top, 60, Some(11)).eligible);
    }
}

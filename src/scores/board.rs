//! A resident's standing on a board, from their finished sessions: the best attempt or the sum of
//! all (`Ranking`), and the order of a whole board computed from SQL rows (rebuilds, the prize
//! draw, and tests use it as the oracle). How ties are ordered is `store::board::Entry`'s rule.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::store::board::{Board, Entry};

/// How a resident's attempts make one standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Ranking {
    /// A resident's best finished attempt counts.
    Best,
    /// The points of all attempts add up.
    Total,
}

impl Ranking {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Best => "best",
            Self::Total => "total",
        }
    }

    /// The stored text back; anything unknown is `Best`.
    pub fn parse(text: &str) -> Self {
        if text == "total" { Self::Total } else { Self::Best }
    }
}

/// A finished session as SQL holds it.
#[derive(Debug, Clone)]
pub struct FinishedSession {
    pub user_id: i64,
    pub score: i32,
    pub duration_ms: i64,
    pub finished_at: DateTime<Utc>,
}

/// A user's entry from their finished sessions under `ranking`: the best attempt, or the sum.
pub fn entry_from_sessions<'a>(ranking: Ranking, sessions: impl Iterator<Item = &'a FinishedSession>) -> Option<Entry> {
    let mut result: Option<Entry> = None;
    for s in sessions {
        let entry =
            Entry { points: i64::from(s.score), duration_ms: s.duration_ms, at_ms: s.finished_at.timestamp_millis() };
        result = Some(match (ranking, result) {
            (_, None) => entry,
            (Ranking::Best, Some(current)) => {
                if entry.better_than(&current) {
                    entry
                } else {
                    current
                }
            }
            (Ranking::Total, Some(current)) => Entry {
                points: current.points + entry.points,
                duration_ms: current.duration_ms + entry.duration_ms,
                at_ms: current.at_ms.max(entry.at_ms),
            },
        });
    }
    result
}

/// Every user's entry on one board, from SQL rows (used by rebuilds and by tests as the oracle).
pub fn entries_by_user<'a>(
    ranking: Ranking,
    sessions: impl Iterator<Item = &'a FinishedSession>,
) -> HashMap<i64, Entry> {
    let mut by_user: HashMap<i64, Vec<&FinishedSession>> = HashMap::new();
    for s in sessions {
        by_user.entry(s.user_id).or_default().push(s);
    }
    by_user
        .into_iter()
        .filter_map(|(user, list)| entry_from_sessions(ranking, list.into_iter()).map(|e| (user, e)))
        .collect()
}

/// Sorts (user, entry) pairs into board order.
pub fn board_order(entries: impl IntoIterator<Item = (i64, Entry)>) -> Vec<(i64, Entry)> {
    let mut list: Vec<(i64, Entry)> = entries.into_iter().collect();
    list.sort_by(|(ua, a), (ub, b)| a.score().total_cmp(&b.score()).then_with(|| a.member(*ua).cmp(&b.member(*ub))));
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_board_is_ordered_by_points_then_duration_then_finish() {
        let fast = Entry { points: 90, duration_ms: 61_000, at_ms: 2_000 };
        let slow = Entry { points: 90, duration_ms: 600_000, at_ms: 1_000 };
        let earlier = Entry { points: 90, duration_ms: 61_000, at_ms: 1_999 };
        let more = Entry { points: 95, duration_ms: 599_999, at_ms: 9_999 };
        let order = board_order([(1, slow), (2, fast), (3, more), (4, earlier)]);
        assert_eq!(order.iter().map(|(u, _)| *u).collect::<Vec<_>>(), [3, 4, 2, 1]);
    }

    #[test]
    fn best_takes_the_best_attempt_and_total_adds_them_up() {
        let at = |s| DateTime::from_timestamp(s, 0).expect("time");
        let sessions = [
            FinishedSession { user_id: 1, score: 80, duration_ms: 300_000, finished_at: at(100) },
            FinishedSession { user_id: 1, score: 80, duration_ms: 200_000, finished_at: at(200) },
            FinishedSession { user_id: 1, score: 60, duration_ms: 100_000, finished_at: at(300) },
        ];
        let best = entry_from_sessions(Ranking::Best, sessions.iter()).expect("entry");
        assert_eq!((best.points, best.duration_ms), (80, 200_000));
        let total = entry_from_sessions(Ranking::Total, sessions.iter()).expect("entry");
        assert_eq!((total.points, total.duration_ms, total.at_ms), (220, 600_000, 300_000));
    }
}

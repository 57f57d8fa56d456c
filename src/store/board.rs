//! Board entries and their exact order, as the live store keeps them.
//!
//! Order everywhere: more points, then shorter duration, then earlier finish (then user id, so the
//! order is total). It is kept exact without packing numbers into a float: a sorted-set *score* is
//! `-points` (an integer, exact in a double up to 2^53), and ties are broken by the *member*, a
//! fixed-width decimal string `duration_ms (12) | at_ms (16) | user_id (20)`, which Redis and the
//! in-process store compare byte-wise: for equal widths, byte order is numeric order.

/// One user's standing on one board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    pub points: i64,
    pub duration_ms: i64,
    /// When the entry was reached (finish time, or last answer for a live entry), ms since epoch.
    pub at_ms: i64,
}

impl Entry {
    /// The sorted-set score: lower is better.
    pub fn score(&self) -> f64 {
        -(self.points as f64)
    }

    pub fn member(&self, user_id: i64) -> String {
        format!(
            "{:012}{:016}{:020}",
            self.duration_ms.clamp(0, 999_999_999_999),
            self.at_ms.clamp(0, 9_999_999_999_999_999),
            user_id.max(0)
        )
    }

    /// Reads back a stored (score, member) pair.
    pub fn parse(score: f64, member: &str) -> Option<(i64, Self)> {
        if member.len() != 48 || !member.is_ascii() {
            return None;
        }
        let duration_ms = member[..12].parse().ok()?;
        let at_ms = member[12..28].parse().ok()?;
        let user = member[28..].parse().ok()?;
        Some((user, Self { points: -(score as i64), duration_ms, at_ms }))
    }

    /// Whether `self` ranks above `other` (for the same user, only the sort key matters).
    pub fn better_than(&self, other: &Self) -> bool {
        (std::cmp::Reverse(self.points), self.duration_ms, self.at_ms)
            < (std::cmp::Reverse(other.points), other.duration_ms, other.at_ms)
    }
}

/// Which board of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Board {
    All,
    Township(String),
    Village(String),
    /// Asia/Shanghai day `YYYY-MM-DD`: sessions finished that day.
    Day(String),
    /// Sessions in progress, by their score so far.
    Live,
}

impl Board {
    /// The board's name inside a campaign's keyspace.
    pub fn name(&self) -> String {
        match self {
            Self::All => "all".into(),
            Self::Township(code) => format!("t:{code}"),
            Self::Village(code) => format!("v:{code}"),
            Self::Day(day) => format!("d:{day}"),
            Self::Live => "live".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sorts (user, entry) pairs as a sorted set does: by score, then by member bytes.
    fn sorted(entries: &[(i64, Entry)]) -> Vec<i64> {
        let mut list = entries.to_vec();
        list.sort_by(|(ua, a), (ub, b)| {
            a.score().total_cmp(&b.score()).then_with(|| a.member(*ua).cmp(&b.member(*ub)))
        });
        list.into_iter().map(|(u, _)| u).collect()
    }

    #[test]
    fn member_order_is_duration_then_time_then_user() {
        let fast = Entry { points: 90, duration_ms: 61_000, at_ms: 2_000 };
        let slow = Entry { points: 90, duration_ms: 600_000, at_ms: 1_000 };
        let earlier = Entry { points: 90, duration_ms: 61_000, at_ms: 1_999 };
        let more = Entry { points: 95, duration_ms: 599_999, at_ms: 9_999 };
        assert_eq!(sorted(&[(1, slow), (2, fast), (3, more), (4, earlier)]), [3, 4, 2, 1]);
        assert!(more.better_than(&earlier) && earlier.better_than(&fast) && fast.better_than(&slow));
    }

    #[test]
    fn members_round_trip_and_stay_exact_at_the_limits() {
        let entry = Entry { points: 9_007_199_254_740_991 / 2, duration_ms: 999_999_999_999, at_ms: 4_102_444_800_000 };
        let member = entry.member(i64::MAX);
        assert_eq!(Entry::parse(entry.score(), &member), Some((i64::MAX, entry)));
        // Points up to 2^53 are exact in the double score: neighbours stay distinct.
        let a = Entry { points: (1 << 53) - 1, ..entry };
        let b = Entry { points: (1 << 53) - 2, ..entry };
        assert_ne!(a.score(), b.score());
    }
}

//! Attempt limits, counted one way for both the campaign page ("还可答N次") and the start of an
//! attempt: attempts are counted by the Asia/Shanghai day they started on, and every started attempt
//! counts (finished or not).

/// A resident's attempts at one campaign, as the limits see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts {
    /// Started today (Asia/Shanghai).
    pub today: u32,
    /// Started in all.
    pub total: u32,
    /// How many more may start now.
    pub left: u32,
}

/// Which limit refuses another attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptLimit {
    /// `attempts_per_day` are used up; tomorrow brings more.
    Today,
    /// `max_attempts` are used up for good.
    InAll,
}

impl Attempts {
    /// Counts `started_days` (each attempt's start day, `YYYY-MM-DD`) against the limits;
    /// `max_attempts` 0 means no limit in all.
    pub fn count<'a>(
        started_days: impl IntoIterator<Item = &'a str>,
        today: &str,
        per_day: u32,
        max_attempts: u32,
    ) -> Self {
        let (mut on_day, mut total) = (0u32, 0u32);
        for day in started_days {
            total = total.saturating_add(1);
            if day == today {
                on_day = on_day.saturating_add(1);
            }
        }
        let left_today = per_day.saturating_sub(on_day);
        let left = if max_attempts == 0 { left_today } else { left_today.min(max_attempts.saturating_sub(total)) };
        Self { today: on_day, total, left }
    }

    /// The limit that refuses another attempt now, if any (today's is named first: it passes).
    pub fn refusal(&self, per_day: u32, max_attempts: u32) -> Option<AttemptLimit> {
        if self.today >= per_day {
            Some(AttemptLimit::Today)
        } else if max_attempts != 0 && self.total >= max_attempts {
            Some(AttemptLimit::InAll)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_count_by_start_day_and_both_limits_apply() {
        let days = ["2026-12-01", "2026-12-02", "2026-12-02"];
        let a = Attempts::count(days, "2026-12-02", 3, 0);
        assert_eq!(a, Attempts { today: 2, total: 3, left: 1 });
        assert_eq!(a.refusal(3, 0), None);
        assert_eq!(Attempts::count(days, "2026-12-02", 2, 0).refusal(2, 0), Some(AttemptLimit::Today));
        let capped = Attempts::count(days, "2026-12-03", 3, 3);
        assert_eq!((capped.today, capped.left), (0, 0));
        assert_eq!(capped.refusal(3, 3), Some(AttemptLimit::InAll));
        assert_eq!(Attempts::count([], "2026-12-03", 3, 5).left, 3);
    }
}

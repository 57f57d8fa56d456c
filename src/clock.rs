//! Time enters the domain through a `Clock`, so tests move it instead of sleeping.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock tests set and advance.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) += by;
    }

    /// The time this clock shows (tests use it to build dates relative to "now").
    pub fn now_for_tests(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// China Standard Time: UTC+8 all year (no daylight saving since 1991).
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

/// The Asia/Shanghai calendar day of an instant: days, attempts per day and daily questions follow it.
pub fn shanghai_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&shanghai()).date_naive()
}

/// Midnight starting a Shanghai day, in UTC.
pub fn shanghai_midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(shanghai()).single())
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shanghai_day_turns_at_sixteen_utc() {
        let before = DateTime::parse_from_rfc3339("2026-11-27T15:59:59Z").expect("time").with_timezone(&Utc);
        let after = DateTime::parse_from_rfc3339("2026-11-27T16:00:00Z").expect("time").with_timezone(&Utc);
        assert_eq!(shanghai_day(before).to_string(), "2026-11-27");
        assert_eq!(shanghai_day(after).to_string(), "2026-11-28");
        assert_eq!(shanghai_midnight(shanghai_day(after)), after);
    }
}

//! How fast one resident may send answers: a token bucket per user, kept in this process.
//! A person reads a question before answering; a script firing answers (or a phone stuck in a
//! retry loop) is slowed to the pace a person could keep, without a Redis round trip per answer.
//! With several instances each keeps its own buckets, so the limit is per instance.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

pub(super) struct AnswerPace {
    per_minute: u32,
    buckets: Mutex<HashMap<i64, (f64, Instant)>>,
}

impl AnswerPace {
    /// `per_minute` answers a minute on average, in bursts of up to a third of that; 0: no limit.
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute, buckets: Mutex::default() }
    }

    fn burst(&self) -> f64 {
        (f64::from(self.per_minute) / 3.0).max(1.0)
    }

    /// Takes one answer's token; `Err(seconds)` until the next token comes.
    pub fn take(&self, user_id: i64) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let per_sec = f64::from(self.per_minute) / 60.0;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() > 100_000 {
            // Full buckets are the same as no bucket.
            let burst = self.burst();
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * per_sec < burst);
        }
        let burst = self.burst();
        let (tokens, at) = buckets.entry(user_id).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * per_sec).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / per_sec).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AnswerPace;

    #[test]
    fn a_burst_passes_then_answers_wait_for_the_pace() {
        let pace = AnswerPace::new(120);
        for _ in 0..40 {
            assert_eq!(pace.take(7), Ok(()));
        }
        assert_eq!(pace.take(7), Err(1), "the 41st answer at once waits about half a second");
        assert_eq!(pace.take(8), Ok(()), "another resident has a bucket of their own");
        assert!(AnswerPace::new(0).take(7).is_ok());
    }
}

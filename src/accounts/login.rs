//! Sign-in with a password. Wrong passwords are counted three ways, each in windows of
//! `login_window_secs`:
//! - per phone and client address: after `per_phone` failures that address is refused for that
//!   phone (429 with `Retry-After`);
//! - per client address: after `per_address` failures that address is refused for every phone;
//! - per phone from anywhere: past `SLOW_AFTER` failures each attempt on the phone waits a little
//!   before its check (up to 5 s). A phone attacked from many addresses is slowed, never locked
//!   against its owner, who signs in from an address of their own.
//!
//! The checks of one phone take turns (`PhoneLanes`, first come first served): a flood on one
//! phone holds one hashing slot, not all of them, so the hashing queue never turns its owner (or
//! anyone else) away, and the owner waits at most for the attempts already in line.
//!
//! A disabled account's right password gets the same answer as a wrong one, and counts as one.

use std::net::IpAddr;
use std::time::Duration;

use super::{AccountError, Accounts, Password, Phone, SignedIn, throttle_key};
use crate::store::Counters;

/// Failures on one phone, from all addresses, before its attempts are slowed.
const SLOW_AFTER: u32 = 10;
/// The slowing per failure past `SLOW_AFTER`, and its cap.
const SLOW_STEP: Duration = Duration::from_millis(250);
const SLOW_MOST: Duration = Duration::from_secs(5);

/// How long an attempt on a phone with `failures` from anywhere waits before its check.
pub fn slowing(failures: u32) -> Duration {
    SLOW_STEP.saturating_mul(failures.saturating_sub(SLOW_AFTER)).min(SLOW_MOST)
}

impl Accounts {
    pub async fn login(
        &self,
        phone: &Phone,
        password: &Password,
        address: Option<IpAddr>,
    ) -> Result<SignedIn, AccountError> {
        let address_text = address.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
        let pair_key = throttle_key("pair", &format!("{}|{address_text}", phone.as_str()));
        let address_key = throttle_key("addr", &address_text);
        let phone_key = throttle_key("phone", phone.as_str());
        self.refuse_if_throttled(&pair_key, self.limits.per_phone).await?;
        self.refuse_if_throttled(&address_key, self.limits.per_address).await?;
        let wait = slowing(self.live.peek(&phone_key).await.map_or(0, |c| c.hits));
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }

        let turn = self.lanes.enter(phone.as_str()).await;
        let found = self.find_by_phone(phone).await?;
        let matches = self.hasher.verify(password, found.as_ref().map(|u| u.password_hash.as_str())).await?;
        drop(turn);
        match found {
            Some(user) if matches && !user.disabled && user.erased_at.is_none() => {
                self.live
                    .reset(&pair_key)
                    .await
                    .unwrap_or_else(|e| tracing::warn!(error = %e, "throttle reset failed"));
                self.sign_in(user).await
            }
            _ => {
                for key in [&pair_key, &address_key, &phone_key] {
                    if let Err(e) = self.live.hit(key, self.limits.window_secs).await {
                        tracing::warn!(error = %e, "throttle counter unavailable; sign-in limited by hashing slots only");
                    }
                }
                Err(AccountError::InvalidCredentials)
            }
        }
    }

    async fn refuse_if_throttled(&self, key: &str, limit: u32) -> Result<(), AccountError> {
        match self.live.peek(key).await {
            Ok(count) if count.hits >= limit => {
                Err(AccountError::TooManyAttempts { retry_after_secs: count.resets_in_secs.max(1) })
            }
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::warn!(error = %e, "throttle counter unavailable; allowing the attempt");
                Ok(())
            }
        }
    }
}

/// A line per phone with attempts in flight; a phone's line is dropped when nobody is in it.
#[derive(Default)]
pub struct PhoneLanes {
    lanes: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>,
}

/// A turn at checking one phone's password; the next in line goes when it is dropped.
pub struct Turn<'a> {
    lanes: &'a PhoneLanes,
    phone: String,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl PhoneLanes {
    fn map(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>> {
        self.lanes.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits for this phone's turn (tokio's mutex is fair: first come, first served).
    pub async fn enter(&self, phone: &str) -> Turn<'_> {
        let lane = std::sync::Arc::clone(self.map().entry(phone.to_owned()).or_default());
        let guard = lane.lock_owned().await;
        Turn { lanes: self, phone: phone.to_owned(), guard: Some(guard) }
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.map().is_empty()
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut lanes = self.lanes.map();
        // Only the map holds the lane: nobody is waiting, forget it.
        if lanes.get(&self.phone).is_some_and(|lane| std::sync::Arc::strong_count(lane) == 1) {
            lanes.remove(&self.phone);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_attacked_from_everywhere_is_slowed_a_little_never_locked() {
        assert_eq!(slowing(0), Duration::ZERO);
        assert_eq!(slowing(SLOW_AFTER), Duration::ZERO);
        assert_eq!(slowing(SLOW_AFTER + 4), Duration::from_secs(1));
        assert_eq!(slowing(10_000), SLOW_MOST);
    }

    #[tokio::test]
    async fn a_phones_checks_take_turns_in_order_and_its_line_is_forgotten_when_empty() {
        let lanes = std::sync::Arc::new(PhoneLanes::default());
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let first = lanes.enter("13800000000").await;
        let other_phone = lanes.enter("13900000000").await;
        drop(other_phone);
        let mut waiting = Vec::new();
        for i in 0..5 {
            let (lanes, order) = (std::sync::Arc::clone(&lanes), std::sync::Arc::clone(&order));
            waiting.push(tokio::spawn(async move {
                let _turn = lanes.enter("13800000000").await;
                order.lock().expect("order").push(i);
            }));
            tokio::task::yield_now().await;
        }
        assert!(order.lock().expect("order").is_empty(), "all wait for the first");
        drop(first);
        for task in waiting {
            task.await.expect("task");
        }
        assert_eq!(*order.lock().expect("order"), [0, 1, 2, 3, 4], "first come, first served");
        assert!(lanes.is_empty());
    }
}

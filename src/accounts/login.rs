//! Sign-in with a password. Wrong passwords are counted three ways, each in windows of
//! `login_window_secs`:
//! - per phone and client address: after `per_phone` failures that address is refused for that
//!   phone (429 with `Retry-After`);
//! - per client address: after `per_address` failures that address is refused for every phone;
//! - per phone from anywhere: past `SLOW_AFTER` failures each attempt on the phone waits a little
//!   before its check (up to 5 s). A phone attacked from many addresses is slowed, never locked
//!   against its owner, who signs in from an address of their own.
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

        let found = self.find_by_phone(phone).await?;
        let matches = self.hasher.verify(password, found.as_ref().map(|u| u.password_hash.as_str())).await?;
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
}

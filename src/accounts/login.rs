//! Sign-in with a password, throttled per phone and per client address.

use std::net::IpAddr;

use super::{AccountError, Accounts, Password, Phone, SignedIn, throttle_key};
use crate::store::Counters;

impl Accounts {
    pub async fn login(
        &self,
        phone: &Phone,
        password: &Password,
        address: Option<IpAddr>,
    ) -> Result<SignedIn, AccountError> {
        let phone_key = throttle_key("phone", phone.as_str());
        let address_key = address.map(|a| throttle_key("addr", &a.to_string()));
        self.refuse_if_throttled(&phone_key, self.limits.per_phone).await?;
        if let Some(key) = &address_key {
            self.refuse_if_throttled(key, self.limits.per_address).await?;
        }

        let found = self.find_by_phone(phone).await?;
        let matches = self.hasher.verify(password, found.as_ref().map(|u| u.password_hash.as_str())).await?;
        match found {
            Some(user) if matches => {
                self.live
                    .reset(&phone_key)
                    .await
                    .unwrap_or_else(|e| tracing::warn!(error = %e, "throttle reset failed"));
                if user.disabled {
                    return Err(AccountError::Disabled);
                }
                self.sign_in(user).await
            }
            _ => {
                for key in std::iter::once(&phone_key).chain(address_key.as_ref()) {
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

//! Registration: a resident's phone, nickname, password and village, and their consent to the
//! privacy notice; one account per phone. With an SMS code the account is verified, and the code
//! may claim the number from an account that registered it without one (`verified`).

use std::net::IpAddr;

use super::DisplayName;
use super::privacy::Consent;
use super::{AccountError, Accounts, Password, Phone, Role, SignedIn, insert_user, throttle_key};
use crate::sms::{OneTimeCode, Purpose};
use crate::store::Counters;

/// Everything a registration needs, already parsed.
#[derive(Debug)]
pub struct NewResident {
    pub phone: Phone,
    pub password: Password,
    pub display_name: DisplayName,
    pub region_code: String,
    pub consent: Consent,
    /// An SMS code for `register` sent to `phone`: the account is verified.
    pub code: Option<OneTimeCode>,
}

impl Accounts {
    pub async fn register(&self, new: NewResident, address: Option<IpAddr>) -> Result<SignedIn, AccountError> {
        if let Some(address) = address {
            // Counted before the work: a script creating accounts is stopped before Argon2 runs.
            let key = throttle_key("register", &address.to_string());
            match self.live.hit(&key, 3600).await {
                Ok(count) if count.hits > self.limits.registrations_per_address_per_hour => {
                    return Err(AccountError::TooManyAttempts { retry_after_secs: count.resets_in_secs });
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "registration counter unavailable; allowing it"),
            }
        }
        let region = self.regions.village_for_registration(&new.region_code).ok_or(AccountError::UnknownRegion)?;
        match &new.code {
            Some(code) => {
                self.check_code(&new.phone, Purpose::Register, code).await?;
                self.claim_number(&new.phone).await?;
            }
            None if self.verification.required => return Err(AccountError::CodeRequired),
            None if self.find_by_phone(&new.phone).await?.is_some() => return Err(AccountError::PhoneTaken),
            None => {}
        }
        let hash = self.hasher.hash(&new.password).await?;
        let user = insert_user(
            &self.db,
            &new.phone,
            new.display_name.as_str(),
            &region.code,
            Role::Resident,
            hash,
            Some(&new.consent),
        )
        .await?;
        let user = if new.code.is_some() { self.mark_verified(user).await? } else { user };
        self.sign_in(user).await
    }
}

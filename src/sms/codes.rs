//! The one-time code service: request (limits, send, store) and verify (five tries, one use).

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    TransactionTrait,
};

use super::provider::{Provider, ProviderError, ProviderSettings, SmsSender, hmac_sha256};
use super::quota::{self, Exhausted, Rule};
use super::{MobileNumber, OneTimeCode, Purpose, Secret, SmsError};
use crate::clock::Clock;
use crate::db::entity::sms_code::{self, Column};
use crate::digest::hex;

/// How long a code is valid.
pub const CODE_TTL_SECS: i64 = 5 * 60;
/// The least time between two codes to one phone, whatever their purpose.
pub const RESEND_AFTER_SECS: u64 = 60;
/// Tries a code allows, right or wrong; the fifth wrong one burns it.
pub const MAX_TRIES: i32 = 5;

/// The caps (settings `sms_codes_per_phone_per_day`, `sms_codes_per_address_per_hour`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLimits {
    pub per_phone_per_day: u32,
    pub per_address_per_hour: u32,
}

impl Default for SendLimits {
    fn default() -> Self {
        Self { per_phone_per_day: 10, per_address_per_hour: 30 }
    }
}

/// Everything `Codes` needs from the settings.
#[derive(Debug, Clone)]
pub struct SmsSettings {
    pub provider: ProviderSettings,
    pub limits: SendLimits,
    /// Keys the stored code hashes (`PUFA_SMS_CODE_SECRET`); required for a real provider.
    pub code_secret: Option<Secret>,
}

/// A code went out: the resident may ask for another one after `resend_after_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CodeSent {
    pub resend_after_secs: u64,
}

#[derive(Clone)]
pub struct Codes {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    provider: Provider,
    limits: SendLimits,
    /// Keys the code hashes and the address subjects; never stored.
    secret: Arc<Secret>,
}

impl Codes {
    pub fn new(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        provider: Provider,
        limits: SendLimits,
        secret: Secret,
    ) -> Self {
        Self { db, clock, provider, limits, secret: Arc::new(secret) }
    }

    /// The service as the settings describe it. Without a code secret (the `log` provider in
    /// development) a random one is made, and codes do not outlive the process.
    pub fn from_settings(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        settings: &SmsSettings,
    ) -> Result<Self, ProviderError> {
        let provider = Provider::from_settings(&settings.provider)?;
        let secret = settings.code_secret.clone().unwrap_or_else(|| {
            tracing::warn!("PUFA_SMS_CODE_SECRET is not set: SMS codes are keyed by a random secret of this process");
            Secret::random()
        });
        Ok(Self::new(db, clock, provider, settings.limits, secret))
    }

    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    fn phone_rule(&self) -> Rule {
        Rule {
            window: Duration::days(1),
            cap: self.limits.per_phone_per_day,
            spacing: Duration::seconds(RESEND_AFTER_SECS as i64),
        }
    }

    fn address_rule(&self) -> Rule {
        Rule { window: Duration::hours(1), cap: self.limits.per_address_per_hour, spacing: Duration::zero() }
    }

    /// Sends a new code for `purpose` to `phone` and keeps it for 5 minutes, replacing an older one
    /// of the same purpose. Past a limit, `TooManyRequests`; a provider failure, `Unavailable`, and
    /// then neither the code nor the send is recorded. The answer is the same for every phone.
    /// `client` is the caller's address, for the hourly cap (`None`: not counted).
    pub async fn request(
        &self,
        phone: &MobileNumber,
        purpose: Purpose,
        client: Option<IpAddr>,
    ) -> Result<CodeSent, SmsError> {
        let now = self.clock.now();
        let phone_subject = format!("phone:{}", phone.as_str());
        let address_subject = client.map(|a| self.address_subject(a));
        if let Err(Exhausted { retry_after_secs }) =
            quota::claim(&self.db, &phone_subject, self.phone_rule(), now).await?
        {
            return Err(SmsError::TooManyRequests { retry_after_secs });
        }
        if let Some(subject) = &address_subject
            && let Err(Exhausted { retry_after_secs }) =
                quota::claim(&self.db, subject, self.address_rule(), now).await?
        {
            // The phone's claim goes back: a refusal must not cost the phone its minute.
            quota::release(&self.db, &phone_subject, self.phone_rule(), now).await?;
            return Err(SmsError::TooManyRequests { retry_after_secs });
        }

        let code = OneTimeCode::generate();
        if let Err(err) = self.provider.send(phone, &code).await {
            tracing::warn!(provider = self.provider.name(), phone = %phone.masked(), error = %err, "SMS code not sent");
            self.release(&phone_subject, address_subject.as_deref(), now).await;
            return Err(SmsError::Unavailable(err));
        }
        self.store(phone, purpose, &code, now).await?;
        Ok(CodeSent { resend_after_secs: RESEND_AFTER_SECS })
    }

    /// Gives the claimed sends back; a failure here only leaves the limits stricter.
    async fn release(&self, phone_subject: &str, address_subject: Option<&str>, claimed_at: DateTime<Utc>) {
        let phone = quota::release(&self.db, phone_subject, self.phone_rule(), claimed_at).await;
        let address = match address_subject {
            Some(subject) => quota::release(&self.db, subject, self.address_rule(), claimed_at).await,
            None => Ok(()),
        };
        if let Err(err) = phone.and(address) {
            tracing::warn!(error = %err, "SMS quota not given back after a failed send");
        }
    }

    async fn store(
        &self,
        phone: &MobileNumber,
        purpose: Purpose,
        code: &OneTimeCode,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let txn = self.db.begin().await?;
        sms_code::Entity::delete_many()
            .filter(Column::Phone.eq(phone.as_str()))
            .filter(Column::Purpose.eq(purpose.as_str()))
            .exec(&txn)
            .await?;
        sms_code::ActiveModel {
            phone: Set(phone.as_str().to_owned()),
            purpose: Set(purpose.as_str().to_owned()),
            code_hash: Set(self.code_hash(phone, purpose, code)),
            created_at: Set(now),
            expires_at: Set(now + Duration::seconds(CODE_TTL_SECS)),
            tries: Set(0),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        txn.commit().await
    }

    /// Consumes the code for `purpose` sent to `phone` if `code` is it. Every try counts, right or
    /// wrong, and is counted before the comparison, so racing tries cannot exceed five.
    pub async fn verify(&self, phone: &MobileNumber, purpose: Purpose, code: &OneTimeCode) -> Result<(), SmsError> {
        let now = self.clock.now();
        let live = sms_code::Entity::find()
            .filter(Column::Phone.eq(phone.as_str()))
            .filter(Column::Purpose.eq(purpose.as_str()))
            .filter(Column::ExpiresAt.gt(now))
            .filter(Column::Tries.lt(MAX_TRIES))
            .one(&self.db)
            .await?
            .ok_or(SmsError::NoValidCode)?;
        let counted = sms_code::Entity::update_many()
            .col_expr(Column::Tries, Expr::col(Column::Tries).add(1))
            .filter(Column::Id.eq(live.id))
            .filter(Column::Tries.lt(MAX_TRIES))
            .filter(Column::ExpiresAt.gt(now))
            .exec_with_returning(&self.db)
            .await?;
        let Some(tried) = counted.into_iter().next() else { return Err(SmsError::NoValidCode) };

        if constant_time_eq(self.code_hash(phone, purpose, code).as_bytes(), tried.code_hash.as_bytes()) {
            let used = sms_code::Entity::delete_by_id(tried.id).exec(&self.db).await?;
            // Zero rows: a racing try with the same code consumed it first.
            return if used.rows_affected == 1 { Ok(()) } else { Err(SmsError::NoValidCode) };
        }
        let tries_left = u32::try_from(MAX_TRIES - tried.tries).unwrap_or(0);
        if tries_left == 0 {
            sms_code::Entity::delete_by_id(tried.id).exec(&self.db).await?;
        }
        Err(SmsError::WrongCode { tries_left })
    }

    /// Deletes expired codes and quotas that hold nothing back; for a periodic task.
    pub async fn sweep(&self) -> Result<u64, DbErr> {
        let now = self.clock.now();
        let codes = sms_code::Entity::delete_many().filter(Column::ExpiresAt.lte(now)).exec(&self.db).await?;
        let quotas = quota::sweep(&self.db, Duration::days(1), now).await?;
        Ok(codes.rows_affected + quotas)
    }

    /// HMAC-SHA256 under the server secret of the phone, the purpose and the code: without the
    /// secret a leaked hash cannot be tested against the 10^6 codes.
    fn code_hash(&self, phone: &MobileNumber, purpose: Purpose, code: &OneTimeCode) -> String {
        let message = format!("pufa sms code\n{}\n{}\n{}", phone.as_str(), purpose.as_str(), code.as_str());
        hex(&hmac_sha256(self.secret.expose().as_bytes(), message.as_bytes()))
    }

    /// A client address as a quota subject: keyed, so the table holds no addresses; an IPv6
    /// address counts by its /64, which one subscriber gets whole.
    fn address_subject(&self, address: IpAddr) -> String {
        let network = match address {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.octets().to_vec(),
                None => v6.octets()[..8].to_vec(),
            },
        };
        let mut message = b"pufa sms address\n".to_vec();
        message.extend_from_slice(&network);
        format!("address:{}", hex(&hmac_sha256(self.secret.expose().as_bytes(), &message)[..16]))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

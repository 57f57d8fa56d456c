//! SMS one-time codes (验证码) and the providers that send them.
//!
//! `Codes` is the whole rule: `request` makes a 6-digit code from the CSPRNG, sends it through the
//! provider and stores it for 5 minutes; `verify` consumes it once, and five tries burn it. Limits
//! (`quota.rs`): one code per phone per 60 s, a cap per phone per day and per client address per
//! hour, each refusal carrying the seconds until a retry. The module knows nothing of accounts, so
//! no answer can tell whether a phone is registered.
//!
//! Why SQL for both codes and limits: codes must survive a restart and hold across processes;
//! the limits guard money (every SMS is paid for), so they must survive a restart too (Redis here
//! keeps nothing on disk, the in-process store forgets everything) and be exact across processes
//! (a conditional UPDATE claims a send atomically; two racing requests cannot both pass). A code
//! costs a provider round trip anyway, so a few indexed statements more are nothing. They also
//! follow the injected `Clock`, so tests move time instead of sleeping.
//!
//! Why a pepper and not a salt: a code has only 10^6 values, so with a per-code salt stored next to
//! the hash a database leak gives every code back in a million HMACs. The hash is keyed by a server
//! secret (`PUFA_SMS_CODE_SECRET`) that never enters the database, so the leak alone gives nothing.
//!
//! Providers (`provider.rs`): `log` writes the masked phone and the code to the log (development);
//! `tencent` (TC3-HMAC-SHA256) and `aliyun` (ACS3-HMAC-SHA256) are HTTPS clients of the providers'
//! documented `SendSms`. A provider error or timeout is `SmsError::Unavailable`, and the code is
//! then not recorded as sent: no code is stored and the send does not count against any limit.

mod aliyun;
mod codes;
mod log;
mod provider;
mod quota;
mod tencent;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use self::aliyun::{
    Acs3Request, AliyunClient, AliyunSettings, DEFAULT_ENDPOINT as ALIYUN_ENDPOINT, acs3_authorization, canonical_query,
};
pub use self::codes::{CODE_TTL_SECS, CodeSent, Codes, MAX_TRIES, RESEND_AFTER_SECS, SendLimits, SmsSettings};
pub use self::log::{LogProvider, SentMessage};
pub use self::provider::{Provider, ProviderError, ProviderSettings, SmsSender, is_loopback};
pub use self::tencent::{DEFAULT_ENDPOINT as TENCENT_ENDPOINT, TencentClient, TencentSettings, tc3_authorization};

/// What a code is for; a code requested for one purpose does not serve another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    Register,
    Login,
    Reset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Login => "login",
            Self::Reset => "reset",
        }
    }
}

/// A mainland mobile number: 11 digits, `1[3-9]…`. The SMS module sits below accounts, so the
/// number is its type; `accounts::Phone` wraps it, adding what people type around it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MobileNumber(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("手机号应为11位中国大陆手机号码")]
pub struct InvalidMobileNumber;

impl MobileNumber {
    pub fn parse(digits: &str) -> Result<Self, InvalidMobileNumber> {
        let bytes = digits.as_bytes();
        let valid = bytes.len() == 11
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1])
            && bytes.iter().all(u8::is_ascii_digit);
        if valid { Ok(Self(digits.to_owned())) } else { Err(InvalidMobileNumber) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`: what the log shows.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl fmt::Debug for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MobileNumber({})", self.masked())
    }
}

/// Six ASCII digits, as typed by the resident or made by `OneTimeCode::generate`.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("验证码应为6位数字")]
pub struct MalformedCode;

impl OneTimeCode {
    /// Accepts the six digits with spaces around them (pasted from the SMS), nothing else.
    pub fn parse(raw: &str) -> Result<Self, MalformedCode> {
        let code = raw.trim();
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(code.to_owned()))
        } else {
            Err(MalformedCode)
        }
    }

    /// A uniformly random code from the thread's CSPRNG (ChaCha seeded by the OS), no modulo bias.
    pub fn generate() -> Self {
        Self(format!("{:06}", rand::random_range(0..1_000_000u32)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// A code in a Debug print would end up in some log.
impl fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeCode(******)")
    }
}

/// A key or secret from the environment: never printed, not even by Debug.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// 32 random bytes as hex: the code secret of a development server that has none set.
    pub fn random() -> Self {
        Self(crate::digest::hex(&rand::random::<[u8; 32]>()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// Past a limit: one code per phone per minute, the daily cap per phone, the hourly cap per
    /// client address.
    #[error("too many codes requested; retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// The provider failed or did not answer in time; nothing was recorded as sent.
    #[error("the SMS provider failed: {0}")]
    Unavailable(#[from] ProviderError),
    /// A wrong code; `tries_left` 0 means the code is burned and a new one must be requested.
    #[error("wrong code ({tries_left} tries left)")]
    WrongCode { tries_left: u32 },
    /// No code to check: never requested, expired, used, burned, or replaced by a newer one.
    #[error("no valid code; request a new one")]
    NoValidCode,
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers_are_the_stored_eleven_digits() {
        assert_eq!(MobileNumber::parse("13812345678").map(|m| m.masked()), Ok("138****5678".to_owned()));
        for bad in ["", "1381234567", "12812345678", "+8613812345678", "138 1234 5678", "1381234567x"] {
            assert_eq!(MobileNumber::parse(bad), Err(InvalidMobileNumber), "{bad}");
        }
        let phone = MobileNumber::parse("13812345678").expect("valid");
        assert!(!format!("{phone:?}").contains("1234"));
    }

    #[test]
    fn codes_are_six_digits_and_never_debug_printed() {
        assert_eq!(OneTimeCode::parse(" 012345 ").map(|c| c.as_str().to_owned()), Ok("012345".to_owned()));
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６", "12 345"] {
            assert_eq!(OneTimeCode::parse(bad), Err(MalformedCode), "{bad}");
        }
        let code = OneTimeCode::generate();
        assert_eq!(code.as_str().len(), 6);
        assert!(!format!("{code:?}").contains(code.as_str()));
        assert_eq!(format!("{:?}", Secret::new("top secret")), "Secret(***)");
    }

    #[test]
    fn generated_codes_cover_the_whole_range() {
        // 2000 draws from 10^6 values: a generator stuck on a few values, or one that dropped
        // leading zeros, shows at once.
        let codes: std::collections::HashSet<String> =
            (0..2000).map(|_| OneTimeCode::generate().as_str().to_owned()).collect();
        assert!(codes.len() > 1990);
        assert!(codes.iter().all(|c| c.len() == 6));
    }
}

//! The SMS settings: the provider, its approved signature and template, the code limits, and the
//! secrets, which come from the environment only.

use serde::Deserialize;

use super::{ConfigError, RawSettings};
use crate::sms::{AliyunSettings, ProviderSettings, SendLimits, SmsSettings, TencentSettings};

/// The SMS secrets, read from the environment only (never from a file, never logged): the
/// provider's key pair and the secret that keys the stored code hashes.
pub(super) const SMS_KEY_ID: &str = "PUFA_SMS_KEY_ID";
pub(super) const SMS_KEY_SECRET: &str = "PUFA_SMS_KEY_SECRET";
pub(super) const SMS_CODE_SECRET: &str = "PUFA_SMS_CODE_SECRET";

/// `sms_provider`: who sends the codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum SmsProviderName {
    Log,
    Tencent,
    Aliyun,
}

/// `sms_endpoint`: the provider's own when empty; HTTPS, or plain HTTP to this machine only (a
/// test stub), and nothing after the host: both signatures cover the path `/`.
fn sms_endpoint(raw: &str, default: &str) -> Result<reqwest::Url, ConfigError> {
    let text = if raw.trim().is_empty() { default } else { raw.trim() };
    let problem = |p: &str| ConfigError::new("sms_endpoint", p);
    let url =
        reqwest::Url::parse(text).map_err(|_| problem("must be a URL such as https://sms.tencentcloudapi.com"))?;
    let secure = url.scheme() == "https" || (url.scheme() == "http" && crate::sms::is_loopback(&url));
    if !secure {
        return Err(problem("must start with https:// (plain http:// only to this machine)"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(problem("must be the provider's address alone, without a path, query or user"));
    }
    Ok(url)
}

impl RawSettings {
    pub(super) fn sms(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<SmsSettings, ConfigError> {
        let secret = |name: &str| env(name).filter(|v| !v.trim().is_empty()).map(crate::sms::Secret::new);
        if !(1..=100).contains(&self.sms_codes_per_phone_per_day) {
            return Err(ConfigError::new("sms_codes_per_phone_per_day", "must be between 1 and 100"));
        }
        if !(1..=100_000).contains(&self.sms_codes_per_address_per_hour) {
            return Err(ConfigError::new("sms_codes_per_address_per_hour", "must be between 1 and 100000"));
        }
        if !(1..=30).contains(&self.sms_timeout_secs) {
            return Err(ConfigError::new("sms_timeout_secs", "must be between 1 and 30"));
        }
        let code_secret = secret(SMS_CODE_SECRET);
        if code_secret.as_ref().is_some_and(|s| s.expose().len() < 32) {
            return Err(ConfigError::new(
                "sms_code_secret",
                format!("{SMS_CODE_SECRET} must be 32 characters or more"),
            ));
        }
        let limits = SendLimits {
            per_phone_per_day: self.sms_codes_per_phone_per_day,
            per_address_per_hour: self.sms_codes_per_address_per_hour,
        };
        if self.sms_provider == SmsProviderName::Log {
            return Ok(SmsSettings { provider: ProviderSettings::Log, limits, code_secret });
        }
        if code_secret.is_none() {
            return Err(ConfigError::new(
                "sms_code_secret",
                format!("set {SMS_CODE_SECRET} (32 characters or more) in the environment"),
            ));
        }
        let key_id = secret(SMS_KEY_ID)
            .ok_or_else(|| ConfigError::new("sms_key_id", format!("set {SMS_KEY_ID} in the environment")))?;
        let key_secret = secret(SMS_KEY_SECRET)
            .ok_or_else(|| ConfigError::new("sms_key_secret", format!("set {SMS_KEY_SECRET} in the environment")))?;
        let sign_name = self.sms_sign_name.trim();
        if sign_name.is_empty() || sign_name.chars().count() > 32 || sign_name.chars().any(char::is_control) {
            return Err(ConfigError::new("sms_sign_name", "the approved SMS signature (签名), 1 to 32 characters"));
        }
        let template_id = self.sms_template_id.trim();
        if template_id.is_empty()
            || template_id.len() > 64
            || !template_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(ConfigError::new("sms_template_id", "the approved template's id, letters, digits and _"));
        }
        let timeout = std::time::Duration::from_secs(self.sms_timeout_secs);
        let provider = if self.sms_provider == SmsProviderName::Tencent {
            if self.sms_app_id.is_empty()
                || self.sms_app_id.len() > 20
                || !self.sms_app_id.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(ConfigError::new(
                    "sms_app_id",
                    "the SmsSdkAppId of the SMS application, digits such as 1400006666",
                ));
            }
            if self.sms_region.is_empty()
                || !self.sms_region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(ConfigError::new("sms_region", "a region such as ap-guangzhou"));
            }
            ProviderSettings::Tencent(TencentSettings {
                secret_id: key_id,
                secret_key: key_secret,
                sdk_app_id: self.sms_app_id.clone(),
                sign_name: sign_name.to_owned(),
                template_id: template_id.to_owned(),
                region: self.sms_region.clone(),
                endpoint: sms_endpoint(&self.sms_endpoint, crate::sms::TENCENT_ENDPOINT)?,
                timeout,
            })
        } else {
            ProviderSettings::Aliyun(AliyunSettings {
                access_key_id: key_id,
                access_key_secret: key_secret,
                sign_name: sign_name.to_owned(),
                template_code: template_id.to_owned(),
                endpoint: sms_endpoint(&self.sms_endpoint, crate::sms::ALIYUN_ENDPOINT)?,
                timeout,
            })
        };
        Ok(SmsSettings { provider, limits, code_secret })
    }
}

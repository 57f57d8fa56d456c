//! Settings: Rocket.toml profiles, then `PUFA_*` environment variables, validated once at start.

use std::path::PathBuf;

use rocket::figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use serde::Deserialize;

use crate::sms::{AliyunSettings, ProviderSettings, SendLimits, SmsSettings, TencentSettings};
pub use crate::store::StoreMode as LiveScoresMode;

/// The SMS secrets, read from the environment only (never from a file, never logged): the
/// provider's key pair and the secret that keys the stored code hashes.
const SMS_KEY_ID: &str = "PUFA_SMS_KEY_ID";
const SMS_KEY_SECRET: &str = "PUFA_SMS_KEY_SECRET";
const SMS_CODE_SECRET: &str = "PUFA_SMS_CODE_SECRET";

/// `sms_provider`: who sends the codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum SmsProviderName {
    Log,
    Tencent,
    Aliyun,
}

/// Raw settings as they arrive from files and the environment.
#[derive(Debug, Clone, Deserialize)]
struct RawSettings {
    database_url: String,
    redis_url: Option<String>,
    redis_prefix: String,
    live_scores: LiveScoresMode,
    token_ttl_days: u32,
    regions_file: PathBuf,
    question_bank_dir: PathBuf,
    import_on_start: bool,
    bootstrap_admin_phone: String,
    login_max_failures_per_phone: u32,
    login_max_failures_per_address: u32,
    login_window_secs: u64,
    registrations_per_address_per_hour: u32,
    answers_per_minute: u32,
    password_hash_concurrency: usize,
    json_limit_bytes: u64,
    upload_limit_bytes: u64,
    answer_grace_secs: u32,
    organiser_name: String,
    organiser_contact: String,
    sms_provider: SmsProviderName,
    sms_sign_name: String,
    sms_template_id: String,
    sms_app_id: String,
    sms_region: String,
    sms_endpoint: String,
    sms_timeout_secs: u64,
    sms_codes_per_phone_per_day: u32,
    sms_codes_per_address_per_hour: u32,
}

/// Settings after validation: every field is usable as it is.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub redis_url: Option<String>,
    pub redis_prefix: String,
    pub live_scores: LiveScoresMode,
    pub token_ttl: chrono::Duration,
    pub regions_file: PathBuf,
    pub question_bank_dir: PathBuf,
    pub import_on_start: bool,
    pub bootstrap_admin_phone: crate::accounts::Phone,
    pub login_max_failures_per_phone: u32,
    pub login_max_failures_per_address: u32,
    pub login_window_secs: u64,
    /// Accounts one address may create per hour (a village meeting shares one address).
    pub registrations_per_address_per_hour: u32,
    /// Answers one resident may send per minute, in bursts of up to a third of it (0: no limit).
    pub answers_per_minute: u32,
    pub password_hash_concurrency: usize,
    pub json_limit_bytes: u64,
    pub upload_limit_bytes: u64,
    pub answer_grace_secs: u32,
    /// Who runs the quiz and keeps residents' data: shown in the privacy notice.
    pub organiser_name: String,
    /// How residents reach the organiser (a phone or an address), shown in the privacy notice.
    pub organiser_contact: String,
    /// The SMS provider, its settings and the code limits (secrets redacted in Debug).
    pub sms: SmsSettings,
}

/// A setting that cannot be used, named so the operator can fix it in one go.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting `{key}`: {problem}")]
pub struct ConfigError {
    pub key: String,
    pub problem: String,
}

impl ConfigError {
    fn new(key: &str, problem: impl Into<String>) -> Self {
        Self { key: key.to_owned(), problem: problem.into() }
    }
}

/// Defaults shared by every profile; Rocket.toml and `PUFA_*` override them.
const DEFAULTS: &str = r#"
database_url = "sqlite://pufa.db?mode=rwc"
redis_url = "redis://127.0.0.1:6379"
redis_prefix = "pufa"
live_scores = "auto"
token_ttl_days = 30
regions_file = "question-bank/regions.toml"
question_bank_dir = "question-bank"
import_on_start = true
bootstrap_admin_phone = "19900000000"
login_max_failures_per_phone = 5
login_max_failures_per_address = 50
login_window_secs = 900
registrations_per_address_per_hour = 300
answers_per_minute = 120
password_hash_concurrency = 0
json_limit_bytes = 65536
upload_limit_bytes = 16777216
answer_grace_secs = 5
organiser_name = "乌拉特中旗司法局"
organiser_contact = "12348公共法律服务热线"
static_dir = "static"
sms_provider = "log"
sms_sign_name = ""
sms_template_id = ""
sms_app_id = ""
sms_region = "ap-guangzhou"
sms_endpoint = ""
sms_timeout_secs = 5
sms_codes_per_phone_per_day = 10
sms_codes_per_address_per_hour = 30
"#;

/// The configuration pufa reads: Rocket's own (Rocket.toml, `ROCKET_*`) plus `PUFA_*`.
pub fn figment() -> Figment {
    rocket::Config::figment().join(Toml::string(DEFAULTS)).merge(Env::prefixed("PUFA_").global())
}

impl Settings {
    pub fn from_figment(figment: &Figment) -> Result<Self, ConfigError> {
        Self::from_sources(figment, &|name| std::env::var(name).ok())
    }

    /// `from_figment` with the environment the SMS secrets are read from given by the caller.
    pub fn from_sources(figment: &Figment, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let raw: RawSettings = figment.clone().join(Toml::string(DEFAULTS)).extract().map_err(|e| {
            let key = e.path.join(".");
            let key = if key.is_empty() { "configuration".to_owned() } else { key };
            ConfigError::new(&key, e.kind.to_string())
        })?;
        // A secret the figment has but the environment has not came from a file.
        for name in [SMS_KEY_ID, SMS_KEY_SECRET, SMS_CODE_SECRET] {
            let key = name.trim_start_matches("PUFA_").to_ascii_lowercase();
            if figment.contains(&key) && env(name).is_none() {
                return Err(ConfigError::new(
                    &key,
                    format!("is read from the environment only ({name}); remove it from the file"),
                ));
            }
        }
        let sms = raw.sms(env)?;
        raw.validate(sms)
    }
}

/// `redis_url`: one URL, or several comma-separated nodes of a Redis Cluster (more than one
/// means cluster mode). Returns the list trimmed and joined by commas.
fn redis_nodes(raw: &str) -> Result<String, ConfigError> {
    let nodes: Vec<&str> = raw.split(',').map(str::trim).collect();
    if nodes.len() == 1 {
        let url = nodes[0];
        if !(url.starts_with("redis://") || url.starts_with("rediss://") || url.starts_with("redis+unix://")) {
            return Err(ConfigError::new(
                "redis_url",
                "must start with redis:// (several, comma-separated, for a cluster)",
            ));
        }
        return Ok(url.to_owned());
    }
    for (i, url) in nodes.iter().enumerate() {
        if url.is_empty() {
            return Err(ConfigError::new("redis_url", format!("node {} of the cluster list is empty", i + 1)));
        }
        if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
            return Err(ConfigError::new(
                "redis_url",
                format!("cluster node `{url}` must start with redis:// or rediss://"),
            ));
        }
        if nodes[..i].contains(url) {
            return Err(ConfigError::new("redis_url", format!("cluster node `{url}` is listed twice")));
        }
    }
    Ok(nodes.join(","))
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
    fn sms(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<SmsSettings, ConfigError> {
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

    fn validate(self, sms: SmsSettings) -> Result<Settings, ConfigError> {
        let db = self.database_url.trim();
        if !(db.starts_with("sqlite:") || db.starts_with("postgres://") || db.starts_with("postgresql://")) {
            return Err(ConfigError::new("database_url", "must start with sqlite: or postgres://"));
        }
        let redis_url = self.redis_url.filter(|u| !u.trim().is_empty()).map(|u| redis_nodes(&u)).transpose()?;
        if self.live_scores == LiveScoresMode::Redis && redis_url.is_none() {
            return Err(ConfigError::new("redis_url", "is required when live_scores = \"redis\""));
        }
        if self.redis_prefix.is_empty() || self.redis_prefix.contains(['{', '}', ' ']) {
            return Err(ConfigError::new("redis_prefix", "must be non-empty without braces or spaces"));
        }
        if !(1..=365).contains(&self.token_ttl_days) {
            return Err(ConfigError::new("token_ttl_days", "must be between 1 and 365"));
        }
        let bootstrap_admin_phone = crate::accounts::Phone::parse(&self.bootstrap_admin_phone)
            .map_err(|_| ConfigError::new("bootstrap_admin_phone", "must be an 11-digit mainland mobile number"))?;
        if self.login_max_failures_per_phone == 0 || self.login_max_failures_per_address == 0 {
            return Err(ConfigError::new("login_max_failures_per_phone", "limits must be at least 1"));
        }
        if !(10..=86_400).contains(&self.login_window_secs) {
            return Err(ConfigError::new("login_window_secs", "must be between 10 and 86400"));
        }
        if self.registrations_per_address_per_hour == 0 {
            return Err(ConfigError::new("registrations_per_address_per_hour", "must be at least 1"));
        }
        if self.password_hash_concurrency > 64 {
            return Err(ConfigError::new("password_hash_concurrency", "must be between 0 (half the cores) and 64"));
        }
        if !(1024..=16 * 1024 * 1024).contains(&self.json_limit_bytes) {
            return Err(ConfigError::new("json_limit_bytes", "must be between 1 KiB and 16 MiB"));
        }
        if !(1024..=256 * 1024 * 1024).contains(&self.upload_limit_bytes) {
            return Err(ConfigError::new("upload_limit_bytes", "must be between 1 KiB and 256 MiB"));
        }
        for (key, value) in [("organiser_name", &self.organiser_name), ("organiser_contact", &self.organiser_contact)] {
            if !(1..=100).contains(&value.trim().chars().count()) {
                return Err(ConfigError::new(key, "1 to 100 characters"));
            }
        }
        if self.answer_grace_secs > 120 {
            return Err(ConfigError::new("answer_grace_secs", "at most 120 seconds"));
        }
        Ok(Settings {
            database_url: db.to_owned(),
            redis_url,
            redis_prefix: self.redis_prefix,
            live_scores: self.live_scores,
            token_ttl: chrono::Duration::days(i64::from(self.token_ttl_days)),
            regions_file: self.regions_file,
            question_bank_dir: self.question_bank_dir,
            import_on_start: self.import_on_start,
            bootstrap_admin_phone,
            login_max_failures_per_phone: self.login_max_failures_per_phone,
            login_max_failures_per_address: self.login_max_failures_per_address,
            login_window_secs: self.login_window_secs,
            registrations_per_address_per_hour: self.registrations_per_address_per_hour,
            answers_per_minute: self.answers_per_minute,
            // Half the cores by default: a sign-in flood must leave the other half to the quiz.
            password_hash_concurrency: match self.password_hash_concurrency {
                0 => std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
                n => n,
            },
            json_limit_bytes: self.json_limit_bytes,
            upload_limit_bytes: self.upload_limit_bytes,
            answer_grace_secs: self.answer_grace_secs,
            organiser_name: self.organiser_name.trim().to_owned(),
            organiser_contact: self.organiser_contact.trim().to_owned(),
            sms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(key: &str, value: &str) -> Result<Settings, ConfigError> {
        Settings::from_figment(&Figment::from(Toml::string(DEFAULTS)).merge((key, value)))
    }

    #[test]
    fn defaults_are_valid() {
        let settings = with("redis_prefix", "pufa").expect("defaults validate");
        assert_eq!(settings.live_scores, LiveScoresMode::Auto);
        assert_eq!(settings.token_ttl, chrono::Duration::days(30));
    }

    #[test]
    fn a_bad_setting_is_named_in_one_line() {
        let err = with("live_scores", "sometimes").expect_err("unknown mode");
        assert_eq!(err.key, "live_scores");
        let err = with("database_url", "mysql://x").expect_err("unsupported database");
        assert_eq!(err.to_string().lines().count(), 1);
        assert!(err.to_string().contains("database_url"));
    }

    #[test]
    fn several_redis_urls_mean_a_cluster() {
        let settings = with("redis_url", " redis://127.0.0.1:7000, redis://127.0.0.1:7001,redis://127.0.0.1:7002 ")
            .expect("a cluster list");
        assert_eq!(
            settings.redis_url.as_deref(),
            Some("redis://127.0.0.1:7000,redis://127.0.0.1:7001,redis://127.0.0.1:7002")
        );
        assert_eq!(with("redis_url", "redis://h:1").expect("one node").redis_url.as_deref(), Some("redis://h:1"));
        for bad in [
            "redis://h:1,,redis://h:2",
            "redis://h:1,",
            "redis://h:1,h:2",
            "redis://h:1,redis+unix:///tmp/r.sock",
            "redis://h:1,redis://h:1",
            "h:1",
        ] {
            let err = with("redis_url", bad).expect_err(bad);
            assert_eq!(err.key, "redis_url", "{bad}");
            assert_eq!(err.to_string().lines().count(), 1);
        }
    }

    #[test]
    fn redis_mode_needs_a_redis_url() {
        let figment = Figment::from(Toml::string(DEFAULTS)).merge(("live_scores", "redis")).merge(("redis_url", ""));
        let err = Settings::from_figment(&figment).expect_err("redis without url");
        assert_eq!(err.key, "redis_url");
    }
}

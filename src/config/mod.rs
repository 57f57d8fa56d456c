//! Settings: Rocket.toml profiles, then `PUFA_*` environment variables, validated once at start.

use std::path::PathBuf;

use rocket::figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use serde::Deserialize;

mod network;
mod sms;

pub use self::network::{Cidr, TrustedProxies};
use self::sms::{SMS_CODE_SECRET, SMS_KEY_ID, SMS_KEY_SECRET, SmsProviderName};

use crate::sms::SmsSettings;
pub use crate::store::StoreMode as LiveScoresMode;

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
    bootstrap_admin_phone: Option<String>,
    trusted_proxies: Vec<String>,
    cookie_secure: bool,
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
    require_verified_phone: bool,
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
    /// The first admin's phone, when the operator names one (else a random number, printed once).
    pub bootstrap_admin_phone: Option<crate::accounts::Phone>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// Mark the sign-in cookie `Secure` (when pufa is served over https).
    pub cookie_secure: bool,
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
    /// Registration needs an SMS code (else a password-only registration makes an unverified
    /// account).
    pub require_verified_phone: bool,
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
trusted_proxies = []
cookie_secure = false
ip_header = false
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
require_verified_phone = false
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

impl RawSettings {
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
        let bootstrap_admin_phone = self
            .bootstrap_admin_phone
            .as_deref()
            .filter(|p| !p.trim().is_empty())
            .map(crate::accounts::Phone::parse)
            .transpose()
            .map_err(|_| ConfigError::new("bootstrap_admin_phone", "must be an 11-digit mainland mobile number"))?;
        let trusted_proxies =
            TrustedProxies::parse(&self.trusted_proxies).map_err(|p| ConfigError::new("trusted_proxies", p))?;
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
            trusted_proxies,
            cookie_secure: self.cookie_secure,
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
            require_verified_phone: self.require_verified_phone,
        })
    }
}

#[cfg(test)]
mod tests;

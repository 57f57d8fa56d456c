//! The providers behind one trait, and what their HTTP clients share: the client (rustls over
//! ring, a timeout), a bounded read of the answer, HMAC-SHA256 and the errors.

use std::time::Duration;

use hmac::{KeyInit, Mac};

use super::aliyun::{AliyunClient, AliyunSettings};
use super::log::LogProvider;
use super::tencent::{TencentClient, TencentSettings};
use super::{MobileNumber, OneTimeCode};

/// Sends one code to one phone. `Ok` means the provider accepted the message.
pub trait SmsSender: Send + Sync {
    fn send(&self, to: &MobileNumber, code: &OneTimeCode) -> impl Future<Output = Result<(), ProviderError>> + Send;
}

/// Which provider, with its settings (setting `sms_provider`).
#[derive(Debug, Clone)]
pub enum ProviderSettings {
    Log,
    Tencent(TencentSettings),
    Aliyun(AliyunSettings),
}

/// The provider this process sends with, chosen once at start.
#[derive(Clone)]
pub enum Provider {
    Log(LogProvider),
    Tencent(TencentClient),
    Aliyun(AliyunClient),
}

impl Provider {
    pub fn from_settings(settings: &ProviderSettings) -> Result<Self, ProviderError> {
        Ok(match settings {
            ProviderSettings::Log => Self::Log(LogProvider::default()),
            ProviderSettings::Tencent(s) => Self::Tencent(TencentClient::new(s.clone())?),
            ProviderSettings::Aliyun(s) => Self::Aliyun(AliyunClient::new(s.clone())?),
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Log(_) => "log",
            Self::Tencent(_) => "tencent",
            Self::Aliyun(_) => "aliyun",
        }
    }
}

impl SmsSender for Provider {
    async fn send(&self, to: &MobileNumber, code: &OneTimeCode) -> Result<(), ProviderError> {
        match self {
            Self::Log(p) => p.send(to, code).await,
            Self::Tencent(p) => p.send(to, code).await,
            Self::Aliyun(p) => p.send(to, code).await,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot reach the provider: {0}")]
    Unreachable(String),
    /// The provider answered and refused the message (its own error code and message).
    #[error("the provider refused the message: {code}: {message}")]
    Refused { code: String, message: String },
    #[error("unexpected answer (HTTP {status}): {detail}")]
    BadAnswer { status: u16, detail: String },
    #[error("cannot build the HTTP client: {0}")]
    Setup(String),
}

/// The largest answer read from a provider; theirs are a few hundred bytes.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// One HTTP client per provider: rustls with ring, system roots, the provider's timeout for the
/// whole exchange. A loopback endpoint (tests) never goes through a proxy.
pub(super) fn http_client(endpoint: &reqwest::Url, timeout: Duration) -> Result<reqwest::Client, ProviderError> {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Fails only when another thread installed one meanwhile, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let mut builder = reqwest::Client::builder().timeout(timeout).connect_timeout(timeout);
    if is_loopback(endpoint) {
        builder = builder.no_proxy();
    }
    builder.build().map_err(|e| ProviderError::Setup(e.to_string()))
}

/// Whether an endpoint names this machine (only such an endpoint may be plain `http://`).
pub fn is_loopback(endpoint: &reqwest::Url) -> bool {
    let host = endpoint.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `host` or `host:port` as the Host header carries it (the port only when not the scheme's own).
pub(super) fn host_header(endpoint: &reqwest::Url) -> String {
    let host = endpoint.host_str().unwrap_or_default();
    match endpoint.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Sends a request and reads the answer, at most `MAX_ANSWER_BYTES` of it.
pub(super) async fn exchange(
    request: reqwest::RequestBuilder,
    timeout: Duration,
) -> Result<(u16, Vec<u8>), ProviderError> {
    let transport = |e: reqwest::Error| {
        if e.is_timeout() { ProviderError::Timeout(timeout) } else { ProviderError::Unreachable(e.to_string()) }
    };
    let mut response = request.send().await.map_err(transport)?;
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(ProviderError::BadAnswer { status, detail: "answer too large".into() });
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

/// A short, printable excerpt of an answer for an error message.
pub(super) fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(body).chars().take(200).collect()
}

pub(super) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// RFC 3986 percent-encoding: letters, digits and `-_.~` stay, every other byte of the UTF-8 is
/// `%XX` (space is `%20`, `*` is `%2A`), as both providers' signatures require.
pub(super) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_follows_rfc_3986() {
        assert_eq!(percent_encode("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(percent_encode("a b*c+d/e"), "a%20b%2Ac%2Bd%2Fe");
        assert_eq!(percent_encode(r#"{"code":"1"}"#), "%7B%22code%22%3A%221%22%7D");
        assert_eq!(percent_encode("普法"), "%E6%99%AE%E6%B3%95");
    }

    #[test]
    fn an_https_client_builds_with_rustls_over_ring() {
        let endpoint = reqwest::Url::parse("https://sms.tencentcloudapi.com").expect("url");
        http_client(&endpoint, Duration::from_secs(5)).expect("TLS client with the system's roots");
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }

    #[test]
    fn only_this_machine_is_loopback() {
        let url = |s: &str| reqwest::Url::parse(s).expect("url");
        assert!(is_loopback(&url("http://127.0.0.1:9000/")));
        assert!(is_loopback(&url("http://localhost:9000/")));
        assert!(is_loopback(&url("http://[::1]:9000/")));
        assert!(!is_loopback(&url("https://sms.tencentcloudapi.com")));
        assert!(!is_loopback(&url("http://10.0.0.1/")));
        assert_eq!(host_header(&url("http://127.0.0.1:9000/")), "127.0.0.1:9000");
        assert_eq!(host_header(&url("https://dysmsapi.aliyuncs.com")), "dysmsapi.aliyuncs.com");
    }
}

//! Alibaba Cloud SMS `SendSms` (Dysmsapi 2017-05-25, RPC style), signed with ACS3-HMAC-SHA256.
//!
//! - Signature V3: https://help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature
//!   (English: https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature)
//! - SendSms: https://help.aliyun.com/zh/sms/developer-reference/api-dysmsapi-2017-05-25-sendsms
//!
//! A POST to `/` with the parameters in the query string (RPC style: `PhoneNumbers`, `SignName`,
//! `TemplateCode`, `TemplateParam` as JSON) and an empty body; the headers `x-acs-action`,
//! `x-acs-version`, `x-acs-date`, `x-acs-signature-nonce`, `x-acs-content-sha256` and `host` are
//! signed. The answer's `Code` is `OK` when the message was accepted.

use std::time::Duration;

use chrono::Utc;
use serde::Deserialize;

use super::provider::{
    ProviderError, SmsSender, excerpt, exchange, hmac_sha256, host_header, http_client, percent_encode,
};
use super::{MobileNumber, OneTimeCode, Secret};
use crate::digest::{hex, sha256_hex};

pub const DEFAULT_ENDPOINT: &str = "https://dysmsapi.aliyuncs.com";
const ACTION: &str = "SendSms";
const VERSION: &str = "2017-05-25";

#[derive(Debug, Clone)]
pub struct AliyunSettings {
    /// AccessKey ID (`PUFA_SMS_KEY_ID`).
    pub access_key_id: Secret,
    /// AccessKey secret (`PUFA_SMS_KEY_SECRET`).
    pub access_key_secret: Secret,
    /// The approved signature (签名).
    pub sign_name: String,
    /// The approved template, `SMS_…`; its one variable `${code}` is the code.
    pub template_code: String,
    pub endpoint: reqwest::Url,
    pub timeout: Duration,
}

#[derive(Clone)]
pub struct AliyunClient {
    settings: AliyunSettings,
    http: reqwest::Client,
}

impl AliyunClient {
    pub fn new(settings: AliyunSettings) -> Result<Self, ProviderError> {
        let http = http_client(&settings.endpoint, settings.timeout)?;
        Ok(Self { settings, http })
    }
}

/// One V3-signed request: everything the signature covers.
#[derive(Debug, Clone, Copy)]
pub struct Acs3Request<'a> {
    pub method: &'a str,
    pub host: &'a str,
    pub action: &'a str,
    pub version: &'a str,
    /// `x-acs-date`, ISO 8601 UTC: `2023-10-26T10:22:32Z`.
    pub date: &'a str,
    pub nonce: &'a str,
    /// The canonical query string (`canonical_query`).
    pub query: &'a str,
    pub body: &'a [u8],
}

/// The parameters sorted by name, names and values RFC 3986-encoded, joined by `&`: both the
/// canonical query string of the signature and the query string actually sent.
pub fn canonical_query(params: &[(&str, &str)]) -> String {
    let mut encoded: Vec<(String, String)> =
        params.iter().map(|(k, v)| (percent_encode(k), percent_encode(v))).collect();
    encoded.sort();
    encoded.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// The `Authorization` header of an ACS3-HMAC-SHA256 request to `/` (RPC style).
pub fn acs3_authorization(access_key_id: &str, access_key_secret: &str, request: &Acs3Request<'_>) -> String {
    const SIGNED_HEADERS: &str =
        "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version";
    let payload_hash = sha256_hex(request.body);
    let canonical_request = format!(
        "{}\n/\n{}\nhost:{}\nx-acs-action:{}\nx-acs-content-sha256:{payload_hash}\nx-acs-date:{}\n\
         x-acs-signature-nonce:{}\nx-acs-version:{}\n\n{SIGNED_HEADERS}\n{payload_hash}",
        request.method.to_ascii_uppercase(),
        request.query,
        request.host.trim(),
        request.action.trim(),
        request.date.trim(),
        request.nonce.trim(),
        request.version.trim(),
    );
    let string_to_sign = format!("ACS3-HMAC-SHA256\n{}", sha256_hex(canonical_request.as_bytes()));
    let signature = hex(&hmac_sha256(access_key_secret.as_bytes(), string_to_sign.as_bytes()));
    format!("ACS3-HMAC-SHA256 Credential={access_key_id},SignedHeaders={SIGNED_HEADERS},Signature={signature}")
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    code: Option<String>,
    #[serde(default)]
    message: String,
}

impl SmsSender for AliyunClient {
    async fn send(&self, to: &MobileNumber, code: &OneTimeCode) -> Result<(), ProviderError> {
        let s = &self.settings;
        let template_param = serde_json::json!({ "code": code.as_str() }).to_string();
        let query = canonical_query(&[
            ("PhoneNumbers", to.as_str()),
            ("SignName", &s.sign_name),
            ("TemplateCode", &s.template_code),
            ("TemplateParam", &template_param),
        ]);
        let date = Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let nonce = hex(&rand::random::<[u8; 16]>());
        let signed = Acs3Request {
            method: "POST",
            host: &host_header(&s.endpoint),
            action: ACTION,
            version: VERSION,
            date: &date,
            nonce: &nonce,
            query: &query,
            body: b"",
        };
        let authorization = acs3_authorization(s.access_key_id.expose(), s.access_key_secret.expose(), &signed);
        let mut url = s.endpoint.clone();
        url.set_path("/");
        // Only unreserved characters and %XX escapes: the URL keeps the query byte for byte.
        url.set_query(Some(&query));
        let request = self
            .http
            .post(url)
            .header("Authorization", authorization)
            .header("Accept", "application/json")
            .header("x-acs-action", ACTION)
            .header("x-acs-version", VERSION)
            .header("x-acs-date", &date)
            .header("x-acs-signature-nonce", &nonce)
            .header("x-acs-content-sha256", sha256_hex(b""));
        let (status, answer) = exchange(request, s.timeout).await?;
        let parsed: Option<Answer> = serde_json::from_slice(&answer).ok();
        match parsed {
            Some(Answer { code: Some(code), .. }) if status == 200 && code == "OK" => Ok(()),
            // Refusals come as 200 (`isv.…`: the number, the template, a limit) or 4xx (the keys).
            Some(Answer { code: Some(code), message }) => Err(ProviderError::Refused { code, message }),
            _ => Err(ProviderError::BadAnswer { status, detail: excerpt(&answer) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The "Fixed parameter values" example of the V3 signature document (URL above): ECS
    /// RunInstances at ecs.cn-shanghai.aliyuncs.com, AccessKey `YourAccessKeyId` /
    /// `YourAccessKeySecret`, nonce `3156853299f313e23d1673dc12e1703d`, 2023-10-26T10:22:32Z.
    #[test]
    fn the_documented_example_gives_the_documented_signature() {
        let query = canonical_query(&[
            ("RegionId", "cn-shanghai"),
            ("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"),
        ]);
        assert_eq!(query, "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai");
        let authorization = acs3_authorization(
            "YourAccessKeyId",
            "YourAccessKeySecret",
            &Acs3Request {
                method: "POST",
                host: "ecs.cn-shanghai.aliyuncs.com",
                action: "RunInstances",
                version: "2014-05-26",
                date: "2023-10-26T10:22:32Z",
                nonce: "3156853299f313e23d1673dc12e1703d",
                query: &query,
                body: b"",
            },
        );
        assert_eq!(
            authorization,
            "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,\
             SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,\
             Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
    }

    #[test]
    fn the_template_parameter_is_encoded_whole() {
        let query = canonical_query(&[("TemplateParam", r#"{"code":"012345"}"#), ("SignName", "普法 司法")]);
        assert_eq!(
            query,
            "SignName=%E6%99%AE%E6%B3%95%20%E5%8F%B8%E6%B3%95&TemplateParam=%7B%22code%22%3A%22012345%22%7D"
        );
    }
}

//! Tencent Cloud SMS, API 3.0 `SendSms` (version 2021-01-11), signed with TC3-HMAC-SHA256.
//!
//! - Signature v3: https://cloud.tencent.com/document/api/382/52072 (the same text for every
//!   product: https://www.tencentcloud.com/document/api/1021/34193)
//! - SendSms: https://cloud.tencent.com/document/api/382/55981
//!
//! A POST of JSON to `/`; the headers `X-TC-Action`, `X-TC-Timestamp`, `X-TC-Version`,
//! `X-TC-Region` and the Authorization over `content-type;host` and the SHA-256 of the body. The
//! answer is always HTTP 200: `Response.Error` on failure, else one `SendStatusSet` entry per phone
//! whose `Code` is `Ok` when the message went to the carrier.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::provider::{ProviderError, SmsSender, excerpt, exchange, hmac_sha256, host_header, http_client};
use super::{MobileNumber, OneTimeCode, Secret};
use crate::digest::{hex, sha256_hex};

pub const DEFAULT_ENDPOINT: &str = "https://sms.tencentcloudapi.com";
const SERVICE: &str = "sms";
const ACTION: &str = "SendSms";
const VERSION: &str = "2021-01-11";
const CONTENT_TYPE: &str = "application/json; charset=utf-8";

#[derive(Debug, Clone)]
pub struct TencentSettings {
    /// SecretId (`PUFA_SMS_KEY_ID`).
    pub secret_id: Secret,
    /// SecretKey (`PUFA_SMS_KEY_SECRET`).
    pub secret_key: Secret,
    /// SmsSdkAppId of the SMS application, e.g. `1400006666`.
    pub sdk_app_id: String,
    /// The approved signature (签名), e.g. `乌拉特中旗司法局`.
    pub sign_name: String,
    /// The approved template; its one parameter `{1}` is the code.
    pub template_id: String,
    /// `ap-guangzhou`, `ap-beijing` or `ap-nanjing`.
    pub region: String,
    pub endpoint: reqwest::Url,
    pub timeout: Duration,
}

#[derive(Clone)]
pub struct TencentClient {
    settings: TencentSettings,
    http: reqwest::Client,
}

impl TencentClient {
    pub fn new(settings: TencentSettings) -> Result<Self, ProviderError> {
        let http = http_client(&settings.endpoint, settings.timeout)?;
        Ok(Self { settings, http })
    }
}

/// The `Authorization` header of a TC3-HMAC-SHA256 POST of `payload` with content type
/// `application/json; charset=utf-8` to `/` at `host`, signed over `content-type;host`.
pub fn tc3_authorization(
    secret_id: &str,
    secret_key: &str,
    service: &str,
    host: &str,
    timestamp: i64,
    payload: &[u8],
) -> String {
    let canonical_request = format!(
        "POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{}\n\ncontent-type;host\n{}",
        host.to_ascii_lowercase(),
        sha256_hex(payload)
    );
    // The UTC date of the timestamp, not the local one (the docs warn of failures at midnight).
    let date = DateTime::<Utc>::from_timestamp(timestamp, 0).unwrap_or_default().format("%Y-%m-%d").to_string();
    let scope = format!("{date}/{service}/tc3_request");
    let string_to_sign = format!("TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}", sha256_hex(canonical_request.as_bytes()));
    let secret_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let secret_service = hmac_sha256(&secret_date, service.as_bytes());
    let secret_signing = hmac_sha256(&secret_service, b"tc3_request");
    let signature = hex(&hmac_sha256(&secret_signing, string_to_sign.as_bytes()));
    format!("TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}")
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SendSmsRequest<'a> {
    phone_number_set: [String; 1],
    sms_sdk_app_id: &'a str,
    sign_name: &'a str,
    template_id: &'a str,
    template_param_set: [&'a str; 1],
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    response: AnswerBody,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AnswerBody {
    error: Option<Status>,
    #[serde(default)]
    send_status_set: Vec<Status>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Status {
    code: String,
    #[serde(default)]
    message: String,
}

impl SmsSender for TencentClient {
    async fn send(&self, to: &MobileNumber, code: &OneTimeCode) -> Result<(), ProviderError> {
        let s = &self.settings;
        let body = serde_json::to_vec(&SendSmsRequest {
            phone_number_set: [format!("+86{}", to.as_str())],
            sms_sdk_app_id: &s.sdk_app_id,
            sign_name: &s.sign_name,
            template_id: &s.template_id,
            template_param_set: [code.as_str()],
        })
        .map_err(|e| ProviderError::Setup(e.to_string()))?;
        let timestamp = Utc::now().timestamp();
        let authorization = tc3_authorization(
            s.secret_id.expose(),
            s.secret_key.expose(),
            SERVICE,
            &host_header(&s.endpoint),
            timestamp,
            &body,
        );
        let request = self
            .http
            .post(s.endpoint.clone())
            .header("Authorization", authorization)
            .header("Content-Type", CONTENT_TYPE)
            .header("X-TC-Action", ACTION)
            .header("X-TC-Timestamp", timestamp.to_string())
            .header("X-TC-Version", VERSION)
            .header("X-TC-Region", &s.region)
            .body(body);
        let (status, answer) = exchange(request, s.timeout).await?;
        let bad = |detail: String| ProviderError::BadAnswer { status, detail };
        if status != 200 {
            return Err(bad(excerpt(&answer)));
        }
        let answer: Answer = serde_json::from_slice(&answer).map_err(|_| bad(excerpt(&answer)))?;
        if let Some(error) = answer.response.error {
            return Err(ProviderError::Refused { code: error.code, message: error.message });
        }
        match answer.response.send_status_set.into_iter().next() {
            Some(sent) if sent.code == "Ok" => Ok(()),
            Some(refused) => Err(ProviderError::Refused { code: refused.code, message: refused.message }),
            None => Err(bad("no SendStatusSet".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of "Signature v3" (https://cloud.tencent.com/document/api/213/30654,
    /// https://www.tencentcloud.com/document/api/1021/34193): CVM DescribeInstances in Guangzhou,
    /// SecretId `AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE`, SecretKey
    /// `Gu5t9xGARNpq86cd98joQYCN3EXAMPLE`, timestamp 1551113065 (2019-02-25 UTC).
    #[test]
    fn the_documented_example_gives_the_documented_signature() {
        let payload = r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
        assert_eq!(sha256_hex(payload.as_bytes()), "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
        let authorization = tc3_authorization(
            "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            "cvm",
            "cvm.tencentcloudapi.com",
            1_551_113_065,
            payload.as_bytes(),
        );
        assert_eq!(
            authorization,
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, \
             SignedHeaders=content-type;host, \
             Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    #[test]
    fn the_body_is_the_documented_send_sms_request() {
        let body = serde_json::to_value(SendSmsRequest {
            phone_number_set: ["+8613812345678".into()],
            sms_sdk_app_id: "1400006666",
            sign_name: "普法",
            template_id: "1110",
            template_param_set: ["012345"],
        })
        .expect("json");
        assert_eq!(
            body,
            serde_json::json!({
                "PhoneNumberSet": ["+8613812345678"], "SmsSdkAppId": "1400006666", "SignName": "普法",
                "TemplateId": "1110", "TemplateParamSet": ["012345"]
            })
        );
    }
}

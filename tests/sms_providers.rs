//! The Tencent Cloud and Alibaba Cloud clients against local stubs that check each request the way
//! the provider documents it (signature recomputed here, independently of the client's code; body
//! and parameters exactly) and answer the way the provider does: success, a refusal, or silence.
//! Also the SMS settings: keys from the environment only, never in Debug output.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{KeyInit, Mac};
use pufa::config::Settings;
use pufa::digest::{hex, sha256_hex};
use pufa::sms::{
    AliyunClient, AliyunSettings, MobileNumber, OneTimeCode, ProviderError, ProviderSettings, Secret, SmsSender,
    TencentClient, TencentSettings,
};
use rocket::figment::Figment;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request as the stub received it.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    query: String,
    /// Lowercase names.
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
}

/// How the stub answers a request it has checked: `Ok(body)` for HTTP 200, `Err((status, body))`
/// otherwise; `None` keeps the connection open without a word (a provider that hangs).
type Answer = Option<Result<String, (u16, String)>>;

/// How a stub answers.
type Answering = fn(&Received) -> Answer;

/// A one-connection-at-a-time HTTP/1.1 server on a free port of this machine.
struct Stub {
    address: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Stub {
    async fn start(answer: impl Fn(&Received) -> Answer + Send + Sync + 'static) -> Stub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let address = listener.local_addr().expect("address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let Some(request) = read_request(&mut socket).await else { continue };
                log.lock().expect("log").push(request.clone());
                match answer(&request) {
                    Some(reply) => {
                        let (status, body) = match reply {
                            Ok(body) => (200, body),
                            Err(pair) => pair,
                        };
                        let head = format!(
                            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = socket.write_all(head.as_bytes()).await;
                        let _ = socket.write_all(body.as_bytes()).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            }
        });
        Stub { address, received }
    }

    fn url(&self) -> reqwest::Url {
        reqwest::Url::parse(&format!("http://{}/", self.address)).expect("url")
    }

    fn requests(&self) -> Vec<Received> {
        self.received.lock().expect("log").clone()
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
    };
    let head = String::from_utf8(data[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?.to_owned(), first.next()?.to_owned());
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    let (path, query) = target.split_once('?').map_or((target.clone(), String::new()), |(p, q)| (p.into(), q.into()));
    Some(Received { method, path, query, headers, body })
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("key");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn to() -> MobileNumber {
    MobileNumber::parse("13812345678").expect("phone")
}

fn code() -> OneTimeCode {
    OneTimeCode::parse("042917").expect("code")
}

// ---- Tencent Cloud ------------------------------------------------------------------------------

const TENCENT_ID: &str = "AKIDstubstubstubstubstubstubstubstub";
const TENCENT_KEY: &str = "stub-secret-key-0123456789";

fn tencent(endpoint: reqwest::Url, timeout: Duration) -> TencentClient {
    tencent_keyed(endpoint, timeout, TENCENT_KEY)
}

fn tencent_keyed(endpoint: reqwest::Url, timeout: Duration, key: &str) -> TencentClient {
    TencentClient::new(TencentSettings {
        secret_id: Secret::new(TENCENT_ID),
        secret_key: Secret::new(key),
        sdk_app_id: "1400006666".into(),
        sign_name: "乌拉特中旗司法局".into(),
        template_id: "1110".into(),
        region: "ap-beijing".into(),
        endpoint,
        timeout,
    })
    .expect("client")
}

/// What Tencent checks (signature v3, https://cloud.tencent.com/document/api/382/52072), redone
/// here from the documentation: `Err` carries the error code Tencent would answer with.
fn tencent_check(r: &Received) -> Result<(), &'static str> {
    let timestamp: i64 = r.header("x-tc-timestamp").parse().map_err(|_| "MissingParameter")?;
    if (now() - timestamp).abs() > 300 {
        return Err("AuthFailure.SignatureExpire");
    }
    if r.method != "POST" || r.path != "/" || !r.query.is_empty() {
        return Err("InvalidParameter");
    }
    let date = chrono::DateTime::from_timestamp(timestamp, 0).expect("time").format("%Y-%m-%d").to_string();
    let scope = format!("{date}/sms/tc3_request");
    let canonical = format!(
        "POST\n/\n\ncontent-type:{}\nhost:{}\n\ncontent-type;host\n{}",
        r.header("content-type").to_ascii_lowercase(),
        r.header("host").to_ascii_lowercase(),
        sha256_hex(&r.body)
    );
    let to_sign = format!("TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}", sha256_hex(canonical.as_bytes()));
    let key = hmac(&hmac(&hmac(format!("TC3{TENCENT_KEY}").as_bytes(), &date), "sms"), "tc3_request");
    let expected = format!(
        "TC3-HMAC-SHA256 Credential={TENCENT_ID}/{scope}, SignedHeaders=content-type;host, Signature={}",
        hex(&hmac(&key, &to_sign))
    );
    if r.header("authorization") != expected {
        return Err("AuthFailure.SignatureFailure");
    }
    Ok(())
}

fn tencent_error(code: &str) -> String {
    json!({"Response": {"Error": {"Code": code, "Message": "stub"}, "RequestId": "stub-request"}}).to_string()
}

fn tencent_sent(status: &str) -> String {
    json!({"Response": {"SendStatusSet": [{
        "SerialNo": "5000:1045710669157053657849499619", "PhoneNumber": "+8613812345678", "Fee": 1,
        "SessionContext": "", "Code": status, "Message": "send success", "IsoCode": "CN"
    }], "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279"}})
    .to_string()
}

#[rocket::async_test]
async fn tencent_sends_a_signed_documented_request() {
    let stub = Stub::start(tencent_provider).await;
    tencent(stub.url(), Duration::from_secs(5)).send(&to(), &code()).await.expect("the stub accepts the signature");

    let requests = stub.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(tencent_check(r), Ok(()));
    assert_eq!(r.header("content-type"), "application/json; charset=utf-8");
    assert_eq!(r.header("x-tc-action"), "SendSms");
    assert_eq!(r.header("x-tc-version"), "2021-01-11");
    assert_eq!(r.header("x-tc-region"), "ap-beijing");
    let body: Value = serde_json::from_slice(&r.body).expect("JSON");
    assert_eq!(
        body,
        json!({
            "PhoneNumberSet": ["+8613812345678"], "SmsSdkAppId": "1400006666", "SignName": "乌拉特中旗司法局",
            "TemplateId": "1110", "TemplateParamSet": ["042917"]
        })
    );
}

/// The stub that answers like Tencent: its check, then the send status.
fn tencent_provider(r: &Received) -> Answer {
    Some(Ok(tencent_check(r).map_or_else(tencent_error, |()| tencent_sent("Ok"))))
}

#[rocket::async_test]
async fn tencent_refuses_a_wrong_signature() {
    let stub = Stub::start(tencent_provider).await;
    let wrong_key = tencent_keyed(stub.url(), Duration::from_secs(5), "not-the-key");
    match wrong_key.send(&to(), &code()).await {
        Err(ProviderError::Refused { code, .. }) => assert_eq!(code, "AuthFailure.SignatureFailure"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[rocket::async_test]
async fn tencent_refusals_and_silence_are_errors() {
    let refusals: [(&str, Answering); 2] = [
        ("LimitExceeded.PhoneNumberDailyLimit", |_| Some(Ok(tencent_sent("LimitExceeded.PhoneNumberDailyLimit")))),
        ("FailedOperation.InsufficientBalanceInSmsPackage", |_| {
            Some(Ok(tencent_error("FailedOperation.InsufficientBalanceInSmsPackage")))
        }),
    ];
    for (expected, answer) in refusals {
        let stub = Stub::start(answer).await;
        match tencent(stub.url(), Duration::from_secs(5)).send(&to(), &code()).await {
            Err(ProviderError::Refused { code, .. }) => assert_eq!(code, expected),
            other => panic!("{expected}: expected a refusal, got {other:?}"),
        }
    }
    let broken = Stub::start(|_| Some(Err((502, "<html>bad gateway</html>".into())))).await;
    let result = tencent(broken.url(), Duration::from_secs(5)).send(&to(), &code()).await;
    assert!(matches!(result, Err(ProviderError::BadAnswer { status: 502, .. })), "{result:?}");

    let silent = Stub::start(|_| None).await;
    let started = std::time::Instant::now();
    let result = tencent(silent.url(), Duration::from_millis(300)).send(&to(), &code()).await;
    assert!(matches!(result, Err(ProviderError::Timeout(_))), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "the timeout holds");
}

// ---- Alibaba Cloud ------------------------------------------------------------------------------

const ALIYUN_ID: &str = "LTAIstubstubstub";
const ALIYUN_SECRET: &str = "stub-access-key-secret";

fn aliyun(endpoint: reqwest::Url, timeout: Duration) -> AliyunClient {
    aliyun_keyed(endpoint, timeout, ALIYUN_SECRET)
}

fn aliyun_keyed(endpoint: reqwest::Url, timeout: Duration, secret: &str) -> AliyunClient {
    AliyunClient::new(AliyunSettings {
        access_key_id: Secret::new(ALIYUN_ID),
        access_key_secret: Secret::new(secret),
        sign_name: "乌拉特中旗司法局".into(),
        template_code: "SMS_154950909".into(),
        endpoint,
        timeout,
    })
    .expect("client")
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).expect("hex"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

/// RFC 3986 as the V3 document spells it out, written again here.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The request's parameters, decoded.
fn parameters(r: &Received) -> BTreeMap<String, String> {
    r.query.split('&').filter_map(|p| p.split_once('=')).map(|(k, v)| (decode(k), decode(v))).collect()
}

/// What Alibaba Cloud checks (V3, https://help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature):
/// `Err` carries the error code it would answer with.
fn aliyun_check(r: &Received) -> Result<(), &'static str> {
    let date = chrono::DateTime::parse_from_rfc3339(r.header("x-acs-date")).map_err(|_| "InvalidTimeStamp.Format")?;
    if (now() - date.timestamp()).abs() > 900 || !r.header("x-acs-date").ends_with('Z') {
        return Err("InvalidTimeStamp.Expired");
    }
    if r.header("x-acs-signature-nonce").len() < 16 {
        return Err("MissingSignatureNonce");
    }
    if r.header("x-acs-content-sha256") != sha256_hex(&r.body) {
        return Err("IncompleteSignature");
    }
    let auth = r.header("authorization");
    let rest = auth.strip_prefix("ACS3-HMAC-SHA256 ").ok_or("IncompleteSignature")?;
    let fields: BTreeMap<&str, &str> = rest.split(',').filter_map(|f| f.split_once('=')).collect();
    if fields.get("Credential") != Some(&ALIYUN_ID) {
        return Err("InvalidAccessKeyId.NotFound");
    }
    let signed = *fields.get("SignedHeaders").ok_or("IncompleteSignature")?;
    // Every x-acs-* header, host and content-type must be signed.
    for name in r.headers.keys() {
        if (name.starts_with("x-acs-") || name == "host" || name == "content-type")
            && !signed.split(';').any(|s| s == name)
        {
            return Err("IncompleteSignature");
        }
    }
    let headers: String = signed.split(';').map(|name| format!("{name}:{}\n", r.header(name).trim())).collect();
    let mut pairs: Vec<(String, String)> = parameters(r).iter().map(|(k, v)| (encode(k), encode(v))).collect();
    pairs.sort();
    let query = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let canonical =
        format!("{}\n{}\n{query}\n{headers}\n{signed}\n{}", r.method, r.path, r.header("x-acs-content-sha256"));
    let to_sign = format!("ACS3-HMAC-SHA256\n{}", sha256_hex(canonical.as_bytes()));
    if fields.get("Signature").copied() != Some(hex(&hmac(ALIYUN_SECRET.as_bytes(), &to_sign)).as_str()) {
        return Err("SignatureDoesNotMatch");
    }
    Ok(())
}

fn aliyun_answer(code: &str) -> String {
    json!({"Code": code, "Message": if code == "OK" { "OK" } else { "stub" },
           "BizId": "900619746936498440^0", "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990"})
    .to_string()
}

/// The stub that answers like Alibaba Cloud: 400 with the code of what failed, else `OK`.
fn aliyun_provider(r: &Received) -> Answer {
    Some(match aliyun_check(r) {
        Ok(()) => Ok(aliyun_answer("OK")),
        Err(code) => Err((400, aliyun_answer(code))),
    })
}

#[rocket::async_test]
async fn aliyun_sends_a_signed_documented_request() {
    let stub = Stub::start(aliyun_provider).await;
    aliyun(stub.url(), Duration::from_secs(5)).send(&to(), &code()).await.expect("the stub accepts the signature");

    let requests = stub.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(aliyun_check(r), Ok(()));
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/"));
    assert!(r.body.is_empty(), "RPC style: the parameters travel in the query");
    assert_eq!(r.header("x-acs-action"), "SendSms");
    assert_eq!(r.header("x-acs-version"), "2017-05-25");
    let params = parameters(r);
    assert_eq!(
        params.keys().map(String::as_str).collect::<Vec<_>>(),
        ["PhoneNumbers", "SignName", "TemplateCode", "TemplateParam"]
    );
    assert_eq!(params["PhoneNumbers"], "13812345678");
    assert_eq!(params["SignName"], "乌拉特中旗司法局");
    assert_eq!(params["TemplateCode"], "SMS_154950909");
    assert_eq!(serde_json::from_str::<Value>(&params["TemplateParam"]).expect("JSON"), json!({"code": "042917"}));
}

#[rocket::async_test]
async fn aliyun_refusals_and_silence_are_errors() {
    let limited = Stub::start(|_| Some(Ok(aliyun_answer("isv.BUSINESS_LIMIT_CONTROL")))).await;
    match aliyun(limited.url(), Duration::from_secs(5)).send(&to(), &code()).await {
        Err(ProviderError::Refused { code, .. }) => assert_eq!(code, "isv.BUSINESS_LIMIT_CONTROL"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let checking = Stub::start(aliyun_provider).await;
    match aliyun_keyed(checking.url(), Duration::from_secs(5), "not-the-secret").send(&to(), &code()).await {
        Err(ProviderError::Refused { code, .. }) => assert_eq!(code, "SignatureDoesNotMatch"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let silent = Stub::start(|_| None).await;
    let result = aliyun(silent.url(), Duration::from_millis(300)).send(&to(), &code()).await;
    assert!(matches!(result, Err(ProviderError::Timeout(_))), "{result:?}");
}

// ---- Settings ------------------------------------------------------------------------------------

/// Settings pairs, and the environment they are read with.
type Pairs<'a> = Vec<(&'a str, &'a str)>;
type Env<'a> = &'a [(&'a str, &'a str)];

fn settings(pairs: &[(&str, &str)], env: &[(&str, &str)]) -> Result<Settings, pufa::config::ConfigError> {
    let figment = pairs.iter().fold(Figment::new(), |f, (k, v)| f.merge((*k, *v)));
    let env: BTreeMap<String, String> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    Settings::from_sources(&figment, &|name| env.get(name).cloned())
}

const KEYS: [(&str, &str); 3] = [
    ("PUFA_SMS_KEY_ID", "AKIDsecretid0000"),
    ("PUFA_SMS_KEY_SECRET", "the-secret-key-itself"),
    ("PUFA_SMS_CODE_SECRET", "a code secret of at least thirty-two characters"),
];

const TENCENT: [(&str, &str); 4] =
    [("sms_provider", "tencent"), ("sms_sign_name", "普法"), ("sms_template_id", "1110"), ("sms_app_id", "1400006666")];

#[test]
fn the_log_provider_is_the_default_and_needs_no_keys() {
    let s = settings(&[], &[]).expect("defaults");
    assert!(matches!(s.sms.provider, ProviderSettings::Log));
    assert_eq!((s.sms.limits.per_phone_per_day, s.sms.limits.per_address_per_hour), (10, 30));
    assert!(s.sms.code_secret.is_none());
}

#[test]
fn a_real_provider_takes_its_keys_from_the_environment_and_never_shows_them() {
    let s = settings(&TENCENT, &KEYS).expect("tencent");
    let ProviderSettings::Tencent(t) = &s.sms.provider else { panic!("tencent") };
    assert_eq!(t.endpoint.as_str(), "https://sms.tencentcloudapi.com/");
    assert_eq!((t.region.as_str(), t.timeout), ("ap-guangzhou", Duration::from_secs(5)));
    assert_eq!(t.secret_key.expose(), "the-secret-key-itself");
    let shown = format!("{s:?}");
    for (_, value) in KEYS {
        assert!(!shown.contains(value), "Debug shows a secret: {value}");
    }
    let aliyun = [("sms_provider", "aliyun"), ("sms_sign_name", "普法"), ("sms_template_id", "SMS_1")];
    let s = settings(&aliyun, &KEYS).expect("aliyun");
    let ProviderSettings::Aliyun(a) = &s.sms.provider else { panic!("aliyun") };
    assert_eq!(a.endpoint.as_str(), "https://dysmsapi.aliyuncs.com/");
}

#[test]
fn bad_sms_settings_are_named_in_one_line() {
    let cases: Vec<(Pairs, Env, &str)> = vec![
        (TENCENT.to_vec(), &KEYS[..2], "sms_code_secret"),
        (TENCENT.to_vec(), &KEYS[1..], "sms_key_id"),
        (
            TENCENT.to_vec(),
            &[("PUFA_SMS_KEY_ID", "x"), ("PUFA_SMS_KEY_SECRET", "y"), ("PUFA_SMS_CODE_SECRET", "short")],
            "sms_code_secret",
        ),
        ([&TENCENT[..3], &[("sms_app_id", "app")]].concat(), &KEYS, "sms_app_id"),
        ([&TENCENT[..], &[("sms_endpoint", "http://sms.example.com")]].concat(), &KEYS, "sms_endpoint"),
        ([&TENCENT[..], &[("sms_endpoint", "https://sms.example.com/v2")]].concat(), &KEYS, "sms_endpoint"),
        ([&TENCENT[..], &[("sms_timeout_secs", "0")]].concat(), &KEYS, "sms_timeout_secs"),
        (vec![("sms_provider", "aliyun"), ("sms_template_id", "SMS_1")], &KEYS, "sms_sign_name"),
        (vec![("sms_provider", "twilio")], &KEYS, "sms_provider"),
        (vec![("sms_codes_per_phone_per_day", "0")], &[], "sms_codes_per_phone_per_day"),
        // A key in a file is refused: keys come from the environment only.
        (vec![("sms_key_secret", "written-in-rocket-toml")], &[], "sms_key_secret"),
    ];
    for (pairs, env, key) in cases {
        let err = settings(&pairs, env).expect_err(key);
        assert_eq!(err.key, key, "{pairs:?}");
        assert_eq!(err.to_string().lines().count(), 1);
        for (_, value) in KEYS {
            assert!(!err.to_string().contains(value));
        }
    }
    let local = [&TENCENT[..], &[("sms_endpoint", "http://127.0.0.1:9000")]].concat();
    assert!(settings(&local, &KEYS).is_ok(), "plain HTTP to this machine (a stub) is allowed");
}

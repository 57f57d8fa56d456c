//! Request guards: identity from the bearer token (or cookie), roles, JSON bodies.

use rocket::data::{Data, FromData, Outcome as DataOutcome, ToByteUnit};
use rocket::request::{FromRequest, Outcome, Request};
use serde::de::DeserializeOwned;

use crate::accounts::{AccountError, Accounts, CurrentUser, HashError, Role, StaffScope, Token};
use crate::config::Settings;
use crate::error::{ApiError, FieldProblem, remember};

pub const TOKEN_COOKIE: &str = "pufa_token";

/// The token the client presented, well formed (it may still be unknown or expired), and whether
/// it came in the cookie (which a browser adds by itself, so a write needs more proof).
pub struct PresentedToken(pub Token, pub bool);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PresentedToken {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let (raw, from_cookie) = match req.headers().get_one("Authorization") {
            Some(header) => (header.strip_prefix("Bearer ").map(str::trim).map(str::to_owned), false),
            None => (req.cookies().get(TOKEN_COOKIE).map(|c| c.value().to_owned()), true),
        };
        match raw.as_deref().and_then(Token::parse) {
            Some(token) => Outcome::Success(Self(token, from_cookie)),
            None => Outcome::Error((remember(req, ApiError::Unauthorized), ())),
        }
    }
}

/// A write authenticated by the cookie alone must come from a page of this site (its `Origin`)
/// and carry JSON (a cross-site form can send neither): the cookie is SameSite=Strict already,
/// this holds even where a browser ignores that.
fn cookie_write_allowed(req: &Request<'_>) -> bool {
    use rocket::http::Method;
    if matches!(req.method(), Method::Get | Method::Head | Method::Options) {
        return true;
    }
    let host = req.headers().get_one("Host");
    let origin_host = req.headers().get_one("Origin").and_then(|o| o.split_once("://")).map(|(_, h)| h);
    let same_origin = host.is_some() && origin_host == host;
    let has_body = req.headers().get_one("Content-Length").is_some_and(|l| l != "0")
        || req.headers().contains("Transfer-Encoding");
    same_origin && (!has_body || req.content_type().is_some_and(|ct| ct.is_json()))
}

/// What a sign-in that must change its password may still do.
fn allowed_before_password_change(req: &Request<'_>) -> bool {
    use rocket::http::Method;
    let path = req.uri().path();
    matches!(
        (req.method(), path.as_str()),
        (Method::Post, "/api/v1/me/password") | (Method::Post, "/api/v1/auth/logout") | (Method::Get, "/api/v1/me")
    )
}

/// The client's address: the peer, or behind a trusted proxy the address it names
/// (`trusted_proxies`); never what a client says of itself.
pub struct ClientAddress(pub Option<std::net::IpAddr>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientAddress {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let Some(peer) = req.remote().map(|r| r.ip()) else { return Outcome::Success(Self(None)) };
        let client = match req.rocket().state::<Settings>() {
            Some(settings) => {
                let forwarded: Vec<&str> = req.headers().get("X-Forwarded-For").collect();
                settings.trusted_proxies.client(peer, &forwarded)
            }
            None => peer,
        };
        Outcome::Success(Self(Some(client)))
    }
}

/// Any signed-in user (resident or staff).
pub struct User(pub CurrentUser);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for User {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let cached = req
            .local_cache_async(async {
                let (token, from_cookie) = match req.guard::<PresentedToken>().await {
                    Outcome::Success(token) => (token.0, token.1),
                    _ => return Err(ApiError::Unauthorized),
                };
                if from_cookie && !cookie_write_allowed(req) {
                    return Err(ApiError::Refused {
                        code: "cross_origin",
                        message: "这个请求不是从本站页面发出的，没有执行".into(),
                    });
                }
                let accounts = req.rocket().state::<Accounts>().ok_or(ApiError::Internal)?;
                let user = accounts.authenticate(&token).await.map_err(ApiError::from)?;
                if user.must_change_password && !allowed_before_password_change(req) {
                    return Err(ApiError::Refused {
                        code: "password_change_required", message: "请先修改密码".into()
                    });
                }
                Ok(user)
            })
            .await;
        match cached {
            Ok(user) => Outcome::Success(Self(user.clone())),
            Err(err) => Outcome::Error((remember(req, err.clone()), ())),
        }
    }
}

/// The bureau's admin; anyone else signed in (residents, township staff, village liaisons) gets
/// 403 `forbidden`.
pub struct Admin(pub CurrentUser);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Admin {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match req.guard::<User>().await {
            Outcome::Success(User(user)) if user.is_admin() => Outcome::Success(Self(user)),
            Outcome::Success(_) => Outcome::Error((remember(req, ApiError::Forbidden), ())),
            Outcome::Error(e) => Outcome::Error(e),
            Outcome::Forward(f) => Outcome::Forward(f),
        }
    }
}

/// The bureau's admin or a township's staff, with the residents whose figures they may see
/// (`StaffScope`); anyone else signed in gets 403 `forbidden`. Routes that report on residents
/// take it and hand the scope to the domain.
pub struct Staff(pub CurrentUser, pub StaffScope);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Staff {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match req.guard::<User>().await {
            Outcome::Success(User(user)) => match (user.role, user.scope()) {
                (Role::Admin | Role::TownshipStaff, Some(scope)) => Outcome::Success(Self(user, scope)),
                _ => Outcome::Error((remember(req, ApiError::Forbidden), ())),
            },
            Outcome::Error(e) => Outcome::Error(e),
            Outcome::Forward(f) => Outcome::Forward(f),
        }
    }
}

/// A JSON body, read up to `json_limit_bytes` and parsed with errors a client can act on:
/// 413 `payload_too_large`, 400 `malformed_json`, 422 `invalid_body` naming the field.
pub struct JsonBody<T>(pub T);

/// Like `JsonBody`, for a route whose body may be left out: an empty body is `T::default()`.
pub struct OptionalJsonBody<T>(pub T);

async fn read_body<'r>(req: &'r Request<'_>, data: Data<'r>) -> Result<Vec<u8>, ApiError> {
    let limit = req.rocket().state::<Settings>().map_or(65_536, |s| s.json_limit_bytes);
    match data.open(limit.bytes()).into_bytes().await {
        Ok(read) if read.is_complete() => Ok(read.into_inner()),
        Ok(_) => Err(ApiError::PayloadTooLarge { limit }),
        Err(_) => Err(ApiError::bad_request("malformed_json", "没有收到完整的内容，请再试一次")),
    }
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for JsonBody<T> {
    type Error = ();

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> DataOutcome<'r, Self, ()> {
        match read_body(req, data).await.and_then(|bytes| parse_json(&bytes)) {
            Ok(value) => DataOutcome::Success(Self(value)),
            Err(err) => DataOutcome::Error((remember(req, err), ())),
        }
    }
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned + Default> FromData<'r> for OptionalJsonBody<T> {
    type Error = ();

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> DataOutcome<'r, Self, ()> {
        let parsed = read_body(req, data).await.and_then(|bytes| {
            // `null` is what many clients send for "nothing".
            if bytes.iter().all(u8::is_ascii_whitespace) || bytes.trim_ascii() == b"null" {
                Ok(T::default())
            } else {
                parse_json(&bytes)
            }
        });
        match parsed {
            Ok(value) => DataOutcome::Success(Self(value)),
            Err(err) => DataOutcome::Error((remember(req, err), ())),
        }
    }
}

/// Syntax problems are 400 `malformed_json`; well-formed JSON of the wrong shape is 422 `invalid_body`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("malformed_json", "提交的内容是空的"));
    }
    let text =
        std::str::from_utf8(bytes).map_err(|_| ApiError::bad_request("malformed_json", "提交的内容不是UTF-8文字"))?;
    // serde_json's depth limit (128) stays on: deep JSON is refused, never a stack overflow.
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = serde_path_to_error::deserialize::<_, T>(&mut de);
    if parsed.is_ok() {
        de.end().map_err(|e| ApiError::bad_request("malformed_json", format!("提交的内容不是有效的JSON（{e}）")))?;
    }
    parsed.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_data() {
            let field = if path == "." { "body".to_owned() } else { path };
            ApiError::Unprocessable {
                code: "invalid_body",
                message: "提交的内容有误，请检查后再试".into(),
                fields: vec![FieldProblem::new(&field, inner.to_string())],
                problems: Vec::new(),
            }
        } else {
            ApiError::bad_request("malformed_json", format!("提交的内容不是有效的JSON（{inner}）"))
        }
    })
}

impl From<crate::sms::SmsError> for ApiError {
    fn from(err: crate::sms::SmsError) -> Self {
        use crate::sms::SmsError;
        match err {
            SmsError::TooManyRequests { retry_after_secs } => ApiError::TooManyAttempts { retry_after_secs },
            SmsError::Unavailable(e) => {
                tracing::warn!(error = %e, "the SMS provider failed");
                ApiError::SmsUnavailable
            }
            SmsError::WrongCode { tries_left: 0 } => {
                ApiError::invalid_field("invalid_code", "code", "验证码错了5次，已经失效，请重新获取")
            }
            SmsError::WrongCode { tries_left } => {
                ApiError::invalid_field("invalid_code", "code", format!("验证码不对，还可以再试{tries_left}次"))
            }
            SmsError::NoValidCode => {
                ApiError::invalid_field("code_expired", "code", "验证码已过期或已失效，请重新获取")
            }
            SmsError::Db(e) => ApiError::from(e),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::PhoneTaken => ApiError::conflict("phone_taken", "该手机号已注册"),
            AccountError::UnknownRegion => {
                ApiError::invalid_field("unknown_region", "region_code", "请选择所在的嘎查/村/社区")
            }
            AccountError::InvalidCredentials => ApiError::InvalidCredentials("手机号或密码错误"),
            AccountError::TooManyAttempts { retry_after_secs } => ApiError::TooManyAttempts { retry_after_secs },
            AccountError::Unauthorized => ApiError::Unauthorized,
            AccountError::NoRegions => ApiError::Unavailable("地区列表还没有加载"),
            AccountError::Disabled => {
                ApiError::Refused { code: "account_disabled", message: "该账号已停用".into() }
            }
            AccountError::NoSuchUser => ApiError::NotFound,
            AccountError::LastAdmin => ApiError::conflict(
                "last_admin",
                "这是最后一个可用的管理员账号，不能停用或取消管理员。请先把另一个账号设为管理员",
            ),
            AccountError::WrongCurrentPassword => {
                ApiError::invalid_field("wrong_password", "current_password", "现在的密码不对")
            }
            AccountError::NoAccountForCode => ApiError::InvalidCredentials("这个手机号还没有注册，或账号已停用"),
            AccountError::CodeRequired => ApiError::invalid_field("code_required", "code", "请先获取并填写短信验证码"),
            AccountError::Sms(e) => e.into(),
            AccountError::Db(e) => ApiError::from(e),
            AccountError::Hash(HashError::Busy) => ApiError::Unavailable("登录的人太多，请稍后再试"),
            AccountError::Hash(e) => ApiError::internal("password hashing", &e),
        }
    }
}

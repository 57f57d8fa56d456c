//! Request guards: identity from the bearer token (or cookie), roles, JSON bodies.

use rocket::data::{Data, FromData, Outcome as DataOutcome, ToByteUnit};
use rocket::request::{FromRequest, Outcome, Request};
use serde::de::DeserializeOwned;

use crate::accounts::{AccountError, Accounts, CurrentUser, HashError, Token};
use crate::config::Settings;
use crate::error::{ApiError, FieldProblem, remember};

pub const TOKEN_COOKIE: &str = "pufa_token";

/// The token the client presented, well formed (it may still be unknown or expired).
pub struct PresentedToken(pub Token);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PresentedToken {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let raw = match req.headers().get_one("Authorization") {
            Some(header) => header.strip_prefix("Bearer ").map(str::trim).map(str::to_owned),
            None => req.cookies().get(TOKEN_COOKIE).map(|c| c.value().to_owned()),
        };
        match raw.as_deref().and_then(Token::parse) {
            Some(token) => Outcome::Success(Self(token)),
            None => Outcome::Error((remember(req, ApiError::Unauthorized), ())),
        }
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
                let token = match req.guard::<PresentedToken>().await {
                    Outcome::Success(token) => token.0,
                    _ => return Err(ApiError::Unauthorized),
                };
                let accounts = req.rocket().state::<Accounts>().ok_or(ApiError::Internal)?;
                accounts.authenticate(&token).await.map_err(ApiError::from)
            })
            .await;
        match cached {
            Ok(user) => Outcome::Success(Self(user.clone())),
            Err(err) => Outcome::Error((remember(req, err.clone()), ())),
        }
    }
}

/// A signed-in staff member; a resident gets 403 `forbidden`.
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

/// A JSON body, read up to `json_limit_bytes` and parsed with errors a client can act on:
/// 413 `payload_too_large`, 400 `malformed_json`, 422 `invalid_body` naming the field.
pub struct JsonBody<T>(pub T);

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for JsonBody<T> {
    type Error = ();

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> DataOutcome<'r, Self, ()> {
        let limit = req.rocket().state::<Settings>().map_or(65_536, |s| s.json_limit_bytes);
        let bytes = match data.open(limit.bytes()).into_bytes().await {
            Ok(read) if read.is_complete() => read.into_inner(),
            Ok(_) => return DataOutcome::Error((remember(req, ApiError::PayloadTooLarge { limit }), ())),
            Err(_) => {
                let err = ApiError::bad_request("malformed_json", "没有收到完整的内容，请再试一次");
                return DataOutcome::Error((remember(req, err), ()));
            }
        };
        match parse_json(&bytes) {
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
            AccountError::Db(e) => ApiError::from(e),
            AccountError::Hash(HashError::Busy) => ApiError::Unavailable("登录的人太多，请稍后再试"),
            AccountError::Hash(e) => ApiError::internal("password hashing", &e),
        }
    }
}

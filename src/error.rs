//! The one HTTP error type: every failure on an /api path becomes
//! `{"error": {"code", "message", "fields"?, "problems"?}}` with a stable code.

use std::io::Cursor;

pub use crate::problems::{FieldProblem, PlacedProblem};
use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::serde::json::serde_json;

/// The body of every error on /api (documentation of what `ApiError` writes; see `body`).
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code (`not_found`, `invalid_body`, `phone_taken`, …).
    pub code: String,
    /// For people; may change.
    pub message: String,
    /// Validation errors: every field that failed.
    #[schema(nullable = false)]
    pub fields: Option<Vec<FieldProblem>>,
    /// An uploaded file's problems (`invalid_bank`), each with its place.
    #[schema(nullable = false)]
    pub problems: Option<Vec<PlacedProblem>>,
    /// With `session_in_progress`: the session to resume.
    #[schema(nullable = false)]
    pub session_id: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("请先登录")]
    Unauthorized,
    #[error("{0}")]
    InvalidCredentials(&'static str),
    #[error("这个账号没有权限做这件事")]
    Forbidden,
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error("没有找到")]
    NotFound,
    #[error("不支持这个操作")]
    MethodNotAllowed,
    #[error("{message}")]
    Conflict { code: &'static str, message: String, extra: Option<(&'static str, String)> },
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    #[error("提交的内容太大（超过{limit}字节）")]
    PayloadTooLarge { limit: u64 },
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String, fields: Vec<FieldProblem>, problems: Vec<PlacedProblem> },
    #[error("尝试次数太多，请{retry_after_secs}秒后再试")]
    TooManyAttempts { retry_after_secs: u64 },
    /// A limit of the caller's own, with its code and a message for people (429 + `Retry-After`).
    #[error("{message}")]
    LimitReached { code: &'static str, message: String, retry_after_secs: u64 },
    #[error("{0}")]
    Unavailable(&'static str),
    /// The SMS provider failed or timed out; no code was sent.
    #[error("短信暂时发不出去，请稍后再试，或先用密码登录")]
    SmsUnavailable,
    /// Anything unexpected: logged in full where it happens, shown as a generic message.
    #[error("服务器出了点问题，请稍后再试")]
    Internal,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest { code, message: message.into() }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into(), extra: None }
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unprocessable { code, message: message.into(), fields: Vec::new(), problems: Vec::new() }
    }

    pub fn invalid_field(code: &'static str, field: &str, problem: impl Into<String>) -> Self {
        let problem = problem.into();
        Self::Unprocessable {
            code,
            message: problem.clone(),
            fields: vec![FieldProblem { field: field.to_owned(), problem }],
            problems: Vec::new(),
        }
    }

    /// Log an unexpected failure with its whole cause chain; the client sees only `internal`.
    pub fn internal(context: &str, err: &dyn std::error::Error) -> Self {
        let mut chain = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            chain.push_str(": ");
            chain.push_str(&cause.to_string());
            source = cause.source();
        }
        tracing::error!(context, error = %chain, "internal error");
        Self::Internal
    }

    pub fn status(&self) -> Status {
        match self {
            Self::BadRequest { .. } => Status::BadRequest,
            Self::Unauthorized | Self::InvalidCredentials(_) => Status::Unauthorized,
            Self::Forbidden | Self::Refused { .. } => Status::Forbidden,
            Self::NotFound => Status::NotFound,
            Self::MethodNotAllowed => Status::MethodNotAllowed,
            Self::Conflict { .. } => Status::Conflict,
            Self::Gone { .. } => Status::Gone,
            Self::PayloadTooLarge { .. } => Status::PayloadTooLarge,
            Self::Unprocessable { .. } => Status::UnprocessableEntity,
            Self::TooManyAttempts { .. } | Self::LimitReached { .. } => Status::TooManyRequests,
            Self::Unavailable(_) | Self::SmsUnavailable => Status::ServiceUnavailable,
            Self::Internal => Status::InternalServerError,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Refused { code, .. }
            | Self::Conflict { code, .. }
            | Self::Gone { code, .. }
            | Self::LimitReached { code, .. }
            | Self::Unprocessable { code, .. } => code,
            Self::Unauthorized => "unauthorized",
            Self::InvalidCredentials(_) => "invalid_credentials",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::Unavailable(_) => "unavailable",
            Self::SmsUnavailable => "sms_unavailable",
            Self::Internal => "internal",
        }
    }

    /// The error a bare status becomes when no handler said more (catchers).
    pub fn from_status(status: Status) -> Self {
        match status.code {
            400 => Self::bad_request("bad_request", "请求的格式不对"),
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            413 => Self::PayloadTooLarge { limit: 0 },
            415 => Self::Unprocessable {
                code: "unsupported_media_type",
                message: "不支持这种内容类型".into(),
                fields: Vec::new(),
                problems: Vec::new(),
            },
            422 => Self::unprocessable("invalid_body", "提交的内容有误"),
            429 => Self::TooManyAttempts { retry_after_secs: 60 },
            503 => Self::Unavailable("服务器正忙，请稍后再试"),
            _ => Self::Internal,
        }
    }

    fn body(&self) -> serde_json::Value {
        let mut error = serde_json::json!({ "code": self.code(), "message": self.to_string() });
        match self {
            Self::Unprocessable { fields, problems, .. } => {
                if !fields.is_empty() {
                    error["fields"] = serde_json::json!(fields);
                }
                if !problems.is_empty() {
                    error["problems"] = serde_json::json!(problems);
                }
            }
            Self::Conflict { extra: Some((key, value)), .. } => {
                error[*key] = serde_json::json!(value);
            }
            Self::PayloadTooLarge { limit: 0 } => {
                error["message"] = serde_json::json!("提交的内容太大");
            }
            _ => {}
        }
        serde_json::json!({ "error": error })
    }
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let body = self.body().to_string();
        let mut response = Response::build();
        response.status(self.status()).header(ContentType::JSON).sized_body(body.len(), Cursor::new(body));
        match self {
            Self::TooManyAttempts { retry_after_secs } | Self::LimitReached { retry_after_secs, .. } => {
                response.header(Header::new("Retry-After", retry_after_secs.max(1).to_string()));
            }
            // Overload or a lost database: worth another try shortly.
            Self::Unavailable(_) => {
                response.header(Header::new("Retry-After", "2"));
            }
            Self::SmsUnavailable => {
                response.header(Header::new("Retry-After", "30"));
            }
            _ => {}
        }
        Ok(response.finalize())
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        if crate::db::is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            Self::Unavailable("数据库暂时连不上，请稍后再试")
        } else {
            Self::internal("database", &err)
        }
    }
}

/// Remembers, for the catcher, the error a guard failed with (Rocket 0.5 catchers see only a status).
pub fn remember(req: &Request<'_>, err: ApiError) -> Status {
    let status = err.status();
    req.local_cache(|| CaughtError(std::sync::Mutex::new(None))).0.lock().map(|mut slot| *slot = Some(err)).ok();
    status
}

struct CaughtError(std::sync::Mutex<Option<ApiError>>);

/// The catcher for every status on every path: the error a guard remembered, or a generic one.
#[rocket::catch(default)]
pub fn json_catcher(status: Status, req: &Request<'_>) -> ApiError {
    let remembered =
        req.local_cache(|| CaughtError(std::sync::Mutex::new(None))).0.lock().ok().and_then(|mut slot| slot.take());
    match remembered {
        Some(err) if err.status() == status => err,
        _ => ApiError::from_status(status),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sea_orm::{DbErr, RuntimeErr};

    use super::*;

    fn sqlx(err: sea_orm::sqlx::Error) -> DbErr {
        DbErr::Query(RuntimeErr::SqlxError(Arc::new(err)))
    }

    #[test]
    fn a_lost_database_is_unavailable_not_internal() {
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        for err in [
            sqlx(sea_orm::sqlx::Error::Io(reset)),
            sqlx(sea_orm::sqlx::Error::PoolTimedOut),
            DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout),
        ] {
            assert!(crate::db::is_unavailable(&err), "{err}");
            assert_eq!(ApiError::from(err).code(), "unavailable");
        }
        for err in [sqlx(sea_orm::sqlx::Error::RowNotFound), DbErr::Custom("bad statement".into())] {
            assert!(!crate::db::is_unavailable(&err), "{err}");
            assert_eq!(ApiError::from(err).code(), "internal");
        }
    }
}

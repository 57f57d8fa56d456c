//! SMS codes: asking for one, resetting a password with one, verifying a signed-in account's
//! number, and the staff list of accounts whose number its owner claimed.

use rocket::http::{CookieJar, Status};
use rocket::serde::json::Json;
use rocket::{State, get, post, routes};
use serde::Deserialize;
use utoipa::ToSchema;

use super::accounts::set_token_cookie;
use super::guards::{Admin, ClientAddress, JsonBody, User};
use crate::accounts::{Accounts, ClaimedAccount, Password, Phone, SignedIn};
use crate::config::Settings;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::sms::{CodeSent, OneTimeCode, Purpose};

pub fn routes() -> Vec<rocket::Route> {
    routes![request_code, reset_password, verify_phone, claimed_accounts]
}

fn phone(raw: &str) -> Result<Phone, ApiError> {
    Phone::parse(raw).map_err(|e| ApiError::invalid_field("invalid_phone", "phone", e.to_string()))
}

fn code(raw: &str) -> Result<OneTimeCode, ApiError> {
    OneTimeCode::parse(raw).map_err(|e| ApiError::invalid_field("invalid_code", "code", e.to_string()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CodeRequest {
    #[schema(example = "13912345678", pattern = r"^1[3-9][0-9]{9}$")]
    phone: String,
    purpose: Purpose,
}

/// Sends a 6-digit code by SMS, valid for 5 minutes (five wrong tries burn it). The answer is the
/// same whether or not the number is registered.
#[utoipa::path(
    post,
    path = "/api/v1/auth/codes",
    tag = "accounts",
    request_body = CodeRequest,
    responses(
        (status = 202, description = "sent; another may be asked for after `resend_after_secs`", body = CodeSent),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 422, description = "`invalid_phone` or `invalid_body`", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`: one code a minute per number, a daily cap per number, an hourly cap per address", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds"))),
        (status = 503, description = "`sms_unavailable`: the SMS provider failed; nothing was sent", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds"))),
    )
)]
#[post("/auth/codes", data = "<body>")]
async fn request_code(
    body: JsonBody<CodeRequest>,
    address: ClientAddress,
    accounts: &State<Accounts>,
) -> ApiResult<(Status, Json<CodeSent>)> {
    let sent = accounts.request_code(&phone(&body.0.phone)?, body.0.purpose, address.0).await?;
    Ok((Status::Accepted, Json(sent)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ResetRequest {
    #[schema(example = "13912345678", pattern = r"^1[3-9][0-9]{9}$")]
    phone: String,
    /// The code requested with `purpose: "reset"`.
    #[schema(example = "123456")]
    code: String,
    /// 8 to 128 characters, not the phone, not a common password.
    #[schema(example = "a-new-good-password", min_length = 8, max_length = 128)]
    new_password: String,
}

/// Sets a forgotten password with a code; every earlier sign-in ends, and this one begins.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset",
    tag = "accounts",
    request_body = ResetRequest,
    responses(
        (status = 200, description = "the new password is set, and signed in", body = SignedIn,
            headers(("Set-Cookie" = String, description = "`pufa_token`, HttpOnly, SameSite=Strict"))),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 401, description = "`invalid_credentials`: no account that may sign in has this number", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 422, description = "`invalid_phone`, `invalid_code`, `code_expired`, `weak_password` or `invalid_body`", body = ErrorBody),
    )
)]
#[post("/auth/password-reset", data = "<body>")]
async fn reset_password(
    body: JsonBody<ResetRequest>,
    accounts: &State<Accounts>,
    settings: &State<Settings>,
    cookies: &CookieJar<'_>,
) -> ApiResult<Json<SignedIn>> {
    let ResetRequest { phone: raw_phone, code: raw_code, new_password } = body.0;
    let phone = phone(&raw_phone)?;
    let code = code(&raw_code)?;
    let password = Password::parse_new(new_password, &phone)
        .map_err(|e| ApiError::invalid_field("weak_password", "new_password", e.to_string()))?;
    let signed_in = accounts.reset_password_with_code(&phone, &code, &password).await?;
    set_token_cookie(cookies, &signed_in, settings);
    Ok(Json(signed_in))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct VerifyRequest {
    /// The code sent to the account's number with `purpose: "login"`.
    #[schema(example = "123456")]
    code: String,
}

/// Verifies the signed-in account's number with a code sent to it.
#[utoipa::path(
    post,
    path = "/api/v1/me/phone-verification",
    tag = "accounts",
    security(("bearer" = [])),
    request_body = VerifyRequest,
    responses(
        (status = 204, description = "verified"),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 422, description = "`invalid_code`, `code_expired` or `invalid_body`", body = ErrorBody),
    )
)]
#[post("/me/phone-verification", data = "<body>")]
async fn verify_phone(user: User, body: JsonBody<VerifyRequest>, accounts: &State<Accounts>) -> ApiResult<Status> {
    accounts.verify_phone(&user.0, &code(&body.0.code)?).await?;
    Ok(Status::NoContent)
}

/// Accounts whose number its true owner claimed with a code: disabled, for staff to look at (the
/// most recent first, at most 500).
#[utoipa::path(
    get,
    path = "/api/v1/admin/claimed-accounts",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the accounts, with the number each held", body = Vec<ClaimedAccount>),
    )
)]
#[get("/admin/claimed-accounts")]
async fn claimed_accounts(_admin: Admin, accounts: &State<Accounts>) -> ApiResult<Json<Vec<ClaimedAccount>>> {
    Ok(Json(accounts.claimed_accounts().await?))
}

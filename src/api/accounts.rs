//! /api/v1/auth/*, /api/v1/me, /api/v1/regions.

use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::serde::json::Json;
use rocket::{State, get, post, routes};
use serde::Deserialize;
use utoipa::ToSchema;

use super::guards::{ClientAddress, JsonBody, PresentedToken, TOKEN_COOKIE, User};
use crate::accounts::{Accounts, Consent, DisplayName, NewResident, Password, Phone, RegionNode, SignedIn, UserView};
use crate::config::Settings;
use crate::error::{ApiError, ApiResult, ErrorBody, FieldProblem};
use crate::sms::OneTimeCode;

pub fn routes() -> Vec<rocket::Route> {
    routes![register, login, logout, me, regions, change_password]
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RegisterRequest {
    /// A mainland mobile number: 11 digits, `1[3-9]…` (a leading `+86`, spaces and dashes are
    /// accepted too).
    #[schema(example = "13912345678", pattern = r"^1[3-9][0-9]{9}$")]
    phone: String,
    /// 8 to 128 characters.
    #[schema(example = "a-good-password", min_length = 8, max_length = 128)]
    password: String,
    /// 1 to 20 characters after trimming, no control characters.
    #[schema(example = "张三", min_length = 1, max_length = 20)]
    display_name: String,
    /// A village (嘎查/村/社区) code from `GET /api/v1/regions`.
    #[schema(example = "150824100001")]
    region_code: String,
    /// The resident has read and agreed to the privacy notice (`GET /api/v1/privacy`); without it,
    /// 422 `consent_required`.
    #[serde(default)]
    consent: bool,
    /// The 6-digit SMS code requested with `POST /api/v1/auth/codes {purpose: "register"}`: the
    /// account is verified (and claims the number from an unverified account that holds it).
    #[serde(default)]
    #[schema(example = "123456", nullable = false)]
    code: Option<String>,
}

impl TryFrom<RegisterRequest> for NewResident {
    type Error = ApiError;

    /// Every bad field is reported at once; the code names the first.
    fn try_from(body: RegisterRequest) -> Result<Self, ApiError> {
        let mut problems: Vec<(&'static str, FieldProblem)> = Vec::new();
        let mut note = |code, field: &str, problem: String| {
            problems.push((code, FieldProblem { field: field.to_owned(), problem }));
        };
        let phone = Phone::parse(&body.phone).map_err(|e| note("invalid_phone", "phone", e.to_string())).ok();
        let password = match &phone {
            Some(phone) => Password::parse_new(body.password, phone),
            None => Password::parse(body.password),
        };
        let password = password.map_err(|e| note("weak_password", "password", e.to_string())).ok();
        let display_name = DisplayName::parse(&body.display_name)
            .map_err(|e| note("invalid_display_name", "display_name", e.to_string()))
            .ok();
        let consent = Consent::given(body.consent).map_err(|e| note("consent_required", "consent", e.to_string())).ok();
        let code = match body.code.as_deref().filter(|c| !c.trim().is_empty()) {
            None => Some(None),
            Some(raw) => {
                OneTimeCode::parse(raw).map(Some).map_err(|e| note("invalid_code", "code", e.to_string())).ok()
            }
        };
        match (phone, password, display_name, consent, code) {
            (Some(phone), Some(password), Some(display_name), Some(consent), Some(code)) => {
                Ok(NewResident { phone, password, display_name, region_code: body.region_code, consent, code })
            }
            _ => {
                let code = problems.first().map_or("invalid_body", |(code, _)| code);
                let message = problems.iter().map(|(_, p)| p.problem.clone()).collect::<Vec<_>>();
                Err(ApiError::Unprocessable {
                    code,
                    message: message.join("；"),
                    fields: problems.into_iter().map(|(_, p)| p).collect(),
                    problems: Vec::new(),
                })
            }
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    /// As for register.
    #[schema(example = "13912345678", pattern = r"^1[3-9][0-9]{9}$")]
    phone: String,
    /// The password, or else:
    #[serde(default)]
    #[schema(example = "a-good-password", max_length = 128, nullable = false)]
    password: Option<String>,
    /// the 6-digit SMS code requested with `POST /api/v1/auth/codes {purpose: "login"}`.
    #[serde(default)]
    #[schema(example = "123456", nullable = false)]
    code: Option<String>,
}

pub fn set_token_cookie(cookies: &CookieJar<'_>, signed_in: &SignedIn, settings: &Settings) {
    let cookie = Cookie::build((TOKEN_COOKIE, signed_in.token.clone()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(settings.cookie_secure)
        .path("/")
        .max_age(rocket::time::Duration::seconds((signed_in.expires_at - chrono::Utc::now()).num_seconds()));
    cookies.add(cookie);
}

/// Registers a resident and signs them in (the token also comes as an HttpOnly cookie).
#[utoipa::path(
    post,
    path = "/api/v1/auth/register",
    tag = "accounts",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "registered and signed in", body = SignedIn,
            headers(("Set-Cookie" = String, description = "`pufa_token`, HttpOnly, SameSite=Strict"))),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 409, description = "`phone_taken`: registered (with a code: registered and verified)", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 422, description = "`invalid_phone`, `weak_password`, `invalid_display_name`, `consent_required`, `unknown_region`, `invalid_code`, `code_expired`, `code_required` or `invalid_body`, with `fields`", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`: too many accounts from this address this hour", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds"))),
        (status = 503, description = "`unavailable`: too many sign-ins at once, or the database is unreachable", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds"))),
    )
)]
#[post("/auth/register", data = "<body>")]
async fn register(
    body: JsonBody<RegisterRequest>,
    address: ClientAddress,
    accounts: &State<Accounts>,
    settings: &State<Settings>,
    cookies: &CookieJar<'_>,
) -> ApiResult<(Status, Json<SignedIn>)> {
    let new = NewResident::try_from(body.0)?;
    let signed_in = accounts.register(new, address.0).await?;
    set_token_cookie(cookies, &signed_in, settings);
    Ok((Status::Created, Json(signed_in)))
}

/// Signs in with phone and password, or phone and SMS code (the token also comes as an HttpOnly
/// cookie); a code verifies the number.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "signed in", body = SignedIn,
            headers(("Set-Cookie" = String, description = "`pufa_token`, HttpOnly, SameSite=Strict"))),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 401, description = "`invalid_credentials`: a wrong password, or a disabled account (the same answer); with a right code, no account that may sign in", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 422, description = "`invalid_phone`, `invalid_code` (with the tries left), `code_expired` or `invalid_body`, with `fields`", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`: too many wrong passwords for this phone or address", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds"))),
        (status = 503, description = "`unavailable`: too many sign-ins at once, or the database is unreachable", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds"))),
    )
)]
#[post("/auth/login", data = "<body>")]
async fn login(
    body: JsonBody<LoginRequest>,
    address: ClientAddress,
    accounts: &State<Accounts>,
    settings: &State<Settings>,
    cookies: &CookieJar<'_>,
) -> ApiResult<Json<SignedIn>> {
    let LoginRequest { phone, password, code } = body.0;
    let phone = Phone::parse(&phone).map_err(|e| ApiError::invalid_field("invalid_phone", "phone", e.to_string()))?;
    let signed_in = match (password, code) {
        (Some(password), None) => accounts.login(&phone, &Password::for_login(password), address.0).await?,
        (None, Some(code)) => {
            let code = OneTimeCode::parse(&code)
                .map_err(|e| ApiError::invalid_field("invalid_code", "code", e.to_string()))?;
            accounts.login_with_code(&phone, &code).await?
        }
        _ => return Err(ApiError::invalid_field("invalid_body", "password", "请填写密码，或者短信验证码（二选一）")),
    };
    set_token_cookie(cookies, &signed_in, settings);
    Ok(Json(signed_in))
}

/// Signs out: the token stops working at once.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "signed out"),
    )
)]
#[post("/auth/logout")]
async fn logout(
    _user: User,
    token: PresentedToken,
    accounts: &State<Accounts>,
    cookies: &CookieJar<'_>,
) -> ApiResult<Status> {
    accounts.logout(&token.0).await?;
    cookies.remove(Cookie::build(TOKEN_COOKIE).path("/"));
    Ok(Status::NoContent)
}

/// The signed-in user.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the signed-in user (phone masked)", body = UserView),
    )
)]
#[get("/me")]
fn me(user: User, accounts: &State<Accounts>) -> Json<UserView> {
    Json(accounts.view(&user.0))
}

/// The region tree (旗 > 苏木镇 > 嘎查/村/社区) for the registration picker.
#[utoipa::path(
    get,
    path = "/api/v1/regions",
    tag = "accounts",
    responses((status = 200, description = "the region tree", body = Vec<RegionNode>))
)]
#[get("/regions")]
fn regions(accounts: &State<Accounts>) -> Json<Vec<RegionNode>> {
    Json(accounts.regions().tree())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChangePasswordRequest {
    #[schema(max_length = 128)]
    current_password: String,
    /// At least 8 characters, not the phone number, not one of the most common passwords.
    #[schema(min_length = 8, max_length = 128)]
    new_password: String,
}

/// Changes the caller's password; every other sign-in ends. A sign-in that must change its password
/// (the first admin, after a staff reset) may do only this.
#[utoipa::path(
    post,
    path = "/api/v1/me/password",
    tag = "accounts",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "changed"),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 422, description = "`wrong_password` (the current one), `weak_password` or `invalid_body`, with `fields`", body = ErrorBody),
    )
)]
#[post("/me/password", data = "<body>")]
async fn change_password(
    user: User,
    token: PresentedToken,
    body: JsonBody<ChangePasswordRequest>,
    accounts: &State<Accounts>,
) -> ApiResult<Status> {
    let ChangePasswordRequest { current_password, new_password } = body.0;
    let phone = Phone::parse(&user.0.phone).map_err(|_| ApiError::Internal)?;
    let new = Password::parse_new(new_password, &phone)
        .map_err(|e| ApiError::invalid_field("weak_password", "new_password", e.to_string()))?;
    accounts.change_password(&user.0, &Password::for_login(current_password), &new, &token.0).await?;
    Ok(Status::NoContent)
}

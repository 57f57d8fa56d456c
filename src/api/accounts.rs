//! /api/v1/auth/*, /api/v1/me, /api/v1/regions.

use std::net::IpAddr;

use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::serde::json::Json;
use rocket::{State, get, post, routes};
use serde::Deserialize;

use super::guards::{JsonBody, PresentedToken, TOKEN_COOKIE, User};
use crate::accounts::{Accounts, DisplayName, NewResident, Password, Phone, RegionNode, SignedIn, UserView};
use crate::error::{ApiError, ApiResult, FieldProblem};

pub fn routes() -> Vec<rocket::Route> {
    routes![register, login, logout, me, regions]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterRequest {
    phone: String,
    password: String,
    display_name: String,
    region_code: String,
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
        let password =
            Password::parse(body.password).map_err(|e| note("weak_password", "password", e.to_string())).ok();
        let display_name = DisplayName::parse(&body.display_name)
            .map_err(|e| note("invalid_display_name", "display_name", e.to_string()))
            .ok();
        match (phone, password, display_name) {
            (Some(phone), Some(password), Some(display_name)) => {
                Ok(NewResident { phone, password, display_name, region_code: body.region_code })
            }
            _ => {
                let code = problems.first().map_or("invalid_body", |(code, _)| code);
                let message = problems.iter().map(|(_, p)| format!("{}: {}", p.field, p.problem)).collect::<Vec<_>>();
                Err(ApiError::Unprocessable {
                    code,
                    message: message.join("; "),
                    fields: problems.into_iter().map(|(_, p)| p).collect(),
                    problems: Vec::new(),
                })
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    phone: String,
    password: String,
}

fn set_token_cookie(cookies: &CookieJar<'_>, signed_in: &SignedIn) {
    let cookie = Cookie::build((TOKEN_COOKIE, signed_in.token.clone()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(rocket::time::Duration::seconds((signed_in.expires_at - chrono::Utc::now()).num_seconds()));
    cookies.add(cookie);
}

#[post("/auth/register", data = "<body>")]
async fn register(
    body: JsonBody<RegisterRequest>,
    address: Option<IpAddr>,
    accounts: &State<Accounts>,
    cookies: &CookieJar<'_>,
) -> ApiResult<(Status, Json<SignedIn>)> {
    let new = NewResident::try_from(body.0)?;
    let signed_in = accounts.register(new, address).await?;
    set_token_cookie(cookies, &signed_in);
    Ok((Status::Created, Json(signed_in)))
}

#[post("/auth/login", data = "<body>")]
async fn login(
    body: JsonBody<LoginRequest>,
    address: Option<IpAddr>,
    accounts: &State<Accounts>,
    cookies: &CookieJar<'_>,
) -> ApiResult<Json<SignedIn>> {
    let LoginRequest { phone, password } = body.0;
    let phone = Phone::parse(&phone).map_err(|e| ApiError::invalid_field("invalid_phone", "phone", e.to_string()))?;
    let signed_in = accounts.login(&phone, &Password::for_login(password), address).await?;
    set_token_cookie(cookies, &signed_in);
    Ok(Json(signed_in))
}

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

#[get("/me")]
fn me(user: User, accounts: &State<Accounts>) -> Json<UserView> {
    Json(accounts.view(&user.0))
}

#[get("/regions")]
fn regions(accounts: &State<Accounts>) -> Json<Vec<RegionNode>> {
    Json(accounts.regions().tree())
}

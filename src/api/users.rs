//! /api/v1/admin/users: staff manage accounts (search, password resets, disable and enable, roles).

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{State, get, post, routes};
use serde::Serialize;

use super::guards::{Admin, JsonBody};
use crate::accounts::{AccountView, Accounts, InvalidAssignment, Role, RoleAssignment};
use crate::admin::AdminOps;
use crate::error::{ApiError, ApiResult, ErrorBody};

pub fn routes() -> Vec<rocket::Route> {
    routes![list_users, reset_password, disable_user, enable_user, promote_user, set_role]
}

/// Accounts, newest first, by phone digits or name.
#[utoipa::path(
    get,
    path = "/api/v1/admin/users",
    tag = "admin",
    security(("bearer" = [])),
    params(
        ("q" = Option<String>, Query, description = "part of a phone number or a name"),
        ("offset" = Option<u64>, Query, description = "accounts to skip (default 0)"),
        ("limit" = Option<u64>, Query, description = "at most this many (default 50, 1 to 200)"),
    ),
    responses(
        (status = 200, description = "the accounts (phones in full)", body = Vec<AccountView>),
    )
)]
#[get("/admin/users?<q>&<offset>&<limit>")]
async fn list_users(
    q: Option<&str>,
    offset: Option<u64>,
    limit: Option<u64>,
    _admin: Admin,
    accounts: &State<Accounts>,
) -> ApiResult<Json<Vec<AccountView>>> {
    Ok(Json(accounts.search(q, offset.unwrap_or(0), limit.unwrap_or(50)).await?))
}

/// A user id that is not a (64-bit) number names no user: 404 like an unknown one, after the
/// admin check (a typed path parameter would answer 422 before it).
fn user_id(raw: &str) -> ApiResult<i64> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

#[derive(Serialize, utoipa::ToSchema)]
struct NewPassword {
    password: String,
}

/// Sets a new random password (shown once) and ends the user's sign-ins.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}/password-reset",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "the user id", example = 2)),
    responses(
        (status = 200, description = "the new password", body = NewPassword),
        (status = 404, description = "`not_found`: no such user", body = ErrorBody),
    )
)]
#[post("/admin/users/<id>/password-reset")]
async fn reset_password(id: &str, admin: Admin, ops: &State<AdminOps>) -> ApiResult<Json<NewPassword>> {
    let password = ops.reset_password(admin.0.id, user_id(id)?).await?;
    Ok(Json(NewPassword { password: password.expose().to_owned() }))
}

/// Disables an account; its tokens stop working at once.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}/disable",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "the user id", example = 2)),
    responses(
        (status = 204, description = "done"),
        (status = 404, description = "`not_found`: no such user", body = ErrorBody),
        (status = 409, description = "`last_admin`: the last active admin cannot be disabled", body = ErrorBody),
    )
)]
#[post("/admin/users/<id>/disable")]
async fn disable_user(id: &str, admin: Admin, ops: &State<AdminOps>) -> ApiResult<Status> {
    ops.set_disabled(admin.0.id, user_id(id)?, true).await?;
    Ok(Status::NoContent)
}

/// Enables a disabled account.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}/enable",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "the user id", example = 2)),
    responses(
        (status = 204, description = "done"),
        (status = 404, description = "`not_found`: no such user", body = ErrorBody),
    )
)]
#[post("/admin/users/<id>/enable")]
async fn enable_user(id: &str, admin: Admin, ops: &State<AdminOps>) -> ApiResult<Status> {
    ops.set_disabled(admin.0.id, user_id(id)?, false).await?;
    Ok(Status::NoContent)
}

/// Makes an account an administrator.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}/promote",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "the user id", example = 2)),
    responses(
        (status = 204, description = "done"),
        (status = 404, description = "`not_found`: no such user", body = ErrorBody),
    )
)]
#[post("/admin/users/<id>/promote")]
async fn promote_user(id: &str, admin: Admin, ops: &State<AdminOps>) -> ApiResult<Status> {
    ops.promote(admin.0.id, user_id(id)?).await?;
    Ok(Status::NoContent)
}

/// A role as staff assign it.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RoleRequest {
    role: Role,
    /// The township code for `township_staff`, the village code for `village_liaison`; left out
    /// for `resident` and `admin`.
    #[serde(default)]
    #[schema(example = "150824202000")]
    region_code: Option<String>,
}

impl From<InvalidAssignment> for ApiError {
    fn from(err: InvalidAssignment) -> Self {
        ApiError::invalid_field("invalid_region", "region_code", err.to_string())
    }
}

/// Gives an account a role: `admin` (the bureau), `township_staff` (one 苏木镇, named by
/// `region_code`), `village_liaison` (one village) or `resident`. Audited with before and after;
/// the account's sign-ins end. The last active admin cannot be demoted.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}/role",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "the user id", example = 2)),
    request_body = RoleRequest,
    responses(
        (status = 200, description = "the account with its new role", body = AccountView),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such user", body = ErrorBody),
        (status = 409, description = "`last_admin`: it would leave no active admin", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 422, description = "`invalid_region` (a township for township_staff, a village for village_liaison, none otherwise) or `invalid_body`, with `fields`", body = ErrorBody),
    )
)]
#[post("/admin/users/<id>/role", data = "<body>")]
async fn set_role(
    id: &str,
    admin: Admin,
    body: JsonBody<RoleRequest>,
    accounts: &State<Accounts>,
    ops: &State<AdminOps>,
) -> ApiResult<Json<AccountView>> {
    let user = user_id(id)?;
    let assignment = RoleAssignment::parse(body.0.role, body.0.region_code.as_deref(), accounts.regions())?;
    Ok(Json(ops.set_role(admin.0.id, user, &assignment).await?))
}

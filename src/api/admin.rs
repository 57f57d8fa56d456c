//! Staff operations: statistics, exports, the prize draw, accounts and the audit log.

use rocket::http::{ContentType, Header, Status};
use rocket::response::stream::ByteStream;
use rocket::serde::json::Json;
use rocket::{Responder, State, get, post, routes};
use serde::Serialize;

use super::guards::Admin;
use crate::accounts::AccountView;
use crate::admin::audit::AuditEntry;
use crate::admin::draw::DrawRecord;
use crate::admin::stats::CampaignStats;
use crate::admin::{AdminError, AdminOps, PublicDraw};
use crate::error::{ApiError, ApiResult};

pub fn routes() -> Vec<rocket::Route> {
    routes![
        campaign_stats,
        stats_csv,
        results_csv,
        run_draw,
        public_draw,
        audit_log,
        list_users,
        reset_password,
        disable_user,
        enable_user,
        promote_user
    ]
}

impl From<AdminError> for ApiError {
    fn from(err: AdminError) -> Self {
        match err {
            AdminError::Quiz(e) => e.into(),
            AdminError::Bank(e) => e.into(),
            AdminError::Account(e) => e.into(),
            AdminError::Scores(e) => e.into(),
            AdminError::Db(e) => e.into(),
        }
    }
}

#[get("/admin/campaigns/<slug>/stats")]
async fn campaign_stats(slug: &str, _admin: Admin, ops: &State<AdminOps>) -> ApiResult<Json<CampaignStats>> {
    Ok(Json(ops.stats(slug).await?))
}

#[derive(Responder)]
struct CsvFile<T> {
    body: T,
    content_type: ContentType,
    disposition: Header<'static>,
}

fn csv_type() -> ContentType {
    ContentType::new("text", "csv").with_params(("charset", "utf-8"))
}

fn attachment(name: &str) -> Header<'static> {
    Header::new("Content-Disposition", format!("attachment; filename=\"{name}\""))
}

/// Per-question statistics as CSV (UTF-8 with BOM, for Excel).
#[get("/admin/campaigns/<slug>/stats.csv")]
async fn stats_csv(slug: &str, _admin: Admin, ops: &State<AdminOps>) -> ApiResult<CsvFile<String>> {
    let out = crate::admin::exports::stats_csv(&ops.stats(slug).await?);
    Ok(CsvFile { body: out, content_type: csv_type(), disposition: attachment(&format!("{slug}-stats.csv")) })
}

/// Every ranked participant in board order, phones in full (staff only), streamed.
#[get("/admin/campaigns/<slug>/results.csv")]
async fn results_csv(slug: &str, _admin: Admin, ops: &State<AdminOps>) -> ApiResult<CsvFile<ByteStream![Vec<u8>]>> {
    let mut export = ops.results(slug).await?;
    let stream = ByteStream! {
        yield crate::admin::exports::HEADER.as_bytes().to_vec();
        loop {
            match export.next_batch().await {
                Ok(Some(batch)) => yield batch.into_bytes(),
                Ok(None) => break,
                Err(e) => {
                    tracing::error!(error = %e, "results export stopped");
                    break;
                }
            }
        }
    };
    Ok(CsvFile { body: stream, content_type: csv_type(), disposition: attachment(&format!("{slug}-results.csv")) })
}

#[post("/admin/campaigns/<slug>/draw")]
async fn run_draw(slug: &str, admin: Admin, ops: &State<AdminOps>) -> ApiResult<Json<DrawRecord>> {
    Ok(Json(ops.run_draw(admin.0.id, slug).await?))
}

#[get("/campaigns/<slug>/draw")]
async fn public_draw(slug: &str, ops: &State<AdminOps>) -> ApiResult<Json<PublicDraw>> {
    Ok(Json(ops.public_draw(slug).await?))
}

#[get("/admin/audit?<offset>&<limit>")]
async fn audit_log(
    offset: Option<u64>,
    limit: Option<u64>,
    _admin: Admin,
    ops: &State<AdminOps>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    Ok(Json(ops.audit().list(offset.unwrap_or(0), limit.unwrap_or(100)).await.map_err(ApiError::from)?))
}

#[get("/admin/users?<q>&<offset>&<limit>")]
async fn list_users(
    q: Option<&str>,
    offset: Option<u64>,
    limit: Option<u64>,
    _admin: Admin,
    accounts: &State<crate::accounts::Accounts>,
) -> ApiResult<Json<Vec<AccountView>>> {
    Ok(Json(accounts.search(q, offset.unwrap_or(0), limit.unwrap_or(50)).await?))
}

/// A user id that is not a (64-bit) number names no user: 404 like an unknown one, after the
/// admin check (a typed path parameter would answer 422 before it).
fn user_id(raw: &str) -> ApiResult<i64> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

#[derive(Serialize)]
struct NewPassword {
    password: String,
}

#[post("/admin/users/<id>/password-reset")]
async fn reset_password(id: &str, admin: Admin, ops: &State<AdminOps>) -> ApiResult<Json<NewPassword>> {
    let password = ops.reset_password(admin.0.id, user_id(id)?).await?;
    Ok(Json(NewPassword { password: password.expose().to_owned() }))
}

#[post("/admin/users/<id>/disable")]
async fn disable_user(id: &str, admin: Admin, ops: &State<AdminOps>) -> ApiResult<Status> {
    ops.set_disabled(admin.0.id, user_id(id)?, true).await?;
    Ok(Status::NoContent)
}

#[post("/admin/users/<id>/enable")]
async fn enable_user(id: &str, admin: Admin, ops: &State<AdminOps>) -> ApiResult<Status> {
    ops.set_disabled(admin.0.id, user_id(id)?, false).await?;
    Ok(Status::NoContent)
}

#[post("/admin/users/<id>/promote")]
async fn promote_user(id: &str, admin: Admin, ops: &State<AdminOps>) -> ApiResult<Status> {
    ops.promote(admin.0.id, user_id(id)?).await?;
    Ok(Status::NoContent)
}

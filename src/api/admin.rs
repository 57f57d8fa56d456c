//! Staff operations: statistics, exports, the prize draw and the audit log (accounts: `users.rs`).

use rocket::http::{ContentType, Header};
use rocket::response::stream::ByteStream;
use rocket::serde::json::Json;
use rocket::{Responder, State, get, post, routes};

use super::guards::{Admin, OptionalJsonBody};
use crate::admin::audit::AuditEntry;
use crate::admin::stats::CampaignStats;
use crate::admin::{AdminError, AdminOps};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::prize::draw::PublicDraw;
use crate::quiz::FlaggedAttempt;

pub fn routes() -> Vec<rocket::Route> {
    routes![
        campaign_stats,
        stats_csv,
        results_csv,
        run_draw,
        public_draw,
        eligible_csv,
        flagged_attempts,
        clear_flag,
        audit_log,
    ]
}

impl From<AdminError> for ApiError {
    fn from(err: AdminError) -> Self {
        match err {
            AdminError::Quiz(e) => e.into(),
            AdminError::Bank(e) => e.into(),
            AdminError::Account(e) => e.into(),
            AdminError::Scores(e) => e.into(),
            AdminError::BankInUse(campaign) => ApiError::Conflict {
                code: "bank_in_use",
                message: format!(
                    "活动“{}”（{}）正在用这个题库：{}。没有做任何改动",
                    campaign.title, campaign.slug, campaign.problem
                ),
                extra: Some(("campaign", campaign.slug)),
            },
            AdminError::ListNotFixedYet(at) => ApiError::conflict(
                "eligible_not_fixed",
                format!(
                    "活动刚结束，最后开始的答题可能还没交卷。抽奖名单在{}（北京时间）确定，之后才能抽奖",
                    at.with_timezone(&crate::clock::shanghai()).format("%Y-%m-%d %H:%M")
                ),
            ),
            AdminError::ListFixed(at) => ApiError::conflict(
                "eligible_fixed",
                format!(
                    "抽奖名单已在{}（北京时间）确定并公示，不能再恢复成绩",
                    at.with_timezone(&crate::clock::shanghai()).format("%Y-%m-%d %H:%M")
                ),
            ),
            AdminError::NoBeacon => ApiError::invalid_field(
                "beacon_required",
                "beacon",
                "请填写公开随机数：名单确定后开奖的第一期福利彩票号码，或drand的一轮随机数（1到200个字）",
            ),
            AdminError::Lessons(e) => e.into(),
            AdminError::Db(e) => e.into(),
        }
    }
}

/// Participation, completion, the score histogram, per-region and per-question statistics.
#[utoipa::path(
    get,
    path = "/api/v1/admin/campaigns/{slug}/stats",
    tag = "admin",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "the campaign slug", example = "2023-civil-code-month")),
    responses(
        (status = 200, description = "the statistics", body = CampaignStats),
        (status = 404, description = "`not_found`: no such campaign", body = ErrorBody),
    )
)]
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
#[utoipa::path(
    get,
    path = "/api/v1/admin/campaigns/{slug}/stats.csv",
    tag = "admin",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "the campaign slug", example = "2023-civil-code-month")),
    responses(
        (status = 200, description = "CSV, UTF-8 with BOM", body = String, content_type = "text/csv", headers(("Content-Disposition" = String, description = "attachment; filename=\"{slug}-….csv\""))),
        (status = 404, description = "`not_found`: no such campaign", body = ErrorBody),
    )
)]
#[get("/admin/campaigns/<slug>/stats.csv")]
async fn stats_csv(slug: &str, _admin: Admin, ops: &State<AdminOps>) -> ApiResult<CsvFile<String>> {
    let out = crate::admin::exports::stats_csv(&ops.stats(slug).await?);
    Ok(CsvFile { body: out, content_type: csv_type(), disposition: attachment(&format!("{slug}-stats.csv")) })
}

/// Every ranked participant in board order, phones in full (staff only), streamed.
#[utoipa::path(
    get,
    path = "/api/v1/admin/campaigns/{slug}/results.csv",
    tag = "admin",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "the campaign slug", example = "2023-civil-code-month")),
    responses(
        (status = 200, description = "CSV, UTF-8 with BOM: rank, name, phone, region, score, duration, finished_at", body = String, content_type = "text/csv", headers(("Content-Disposition" = String, description = "attachment; filename=\"{slug}-….csv\""))),
        (status = 404, description = "`not_found`: no such campaign", body = ErrorBody),
    )
)]
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

/// What staff enter at the draw.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DrawRequest {
    /// A public random value nobody knew when the eligible list was fixed: the numbers of the
    /// first 中国福利彩票 draw after that, or a drand round's randomness, as published (1–200 characters).
    #[serde(default)]
    #[schema(example = "双色球2026140期 03 07 12 19 25 31 + 09")]
    beacon: Option<String>,
}

/// Runs the prize draw once the campaign has closed and its eligible list is fixed, with the
/// public beacon staff enter; the same call again returns the same draw.
#[utoipa::path(
    post,
    path = "/api/v1/admin/campaigns/{slug}/draw",
    tag = "admin",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "the campaign slug", example = "2023-civil-code-month")),
    request_body(content = Option<DrawRequest>, description = "the beacon; may be left out before the close"),
    responses(
        (status = 200, description = "the draw: winners, seed, beacon, commitment and the eligible list", body = PublicDraw),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such campaign", body = ErrorBody),
        (status = 409, description = "`campaign_still_open`; `eligible_not_fixed`: sessions may still finish", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 422, description = "`beacon_required`; `invalid_body`", body = ErrorBody),
    )
)]
#[post("/admin/campaigns/<slug>/draw", data = "<body>")]
async fn run_draw(
    slug: &str,
    admin: Admin,
    body: OptionalJsonBody<DrawRequest>,
    ops: &State<AdminOps>,
) -> ApiResult<Json<PublicDraw>> {
    let beacon = body.0.beacon.unwrap_or_default();
    Ok(Json(ops.run_draw(admin.0.id, slug, &beacon).await?))
}

/// The full eligible list as fixed, with names and phones (staff only), as CSV.
#[utoipa::path(
    get,
    path = "/api/v1/admin/campaigns/{slug}/draw/eligible.csv",
    tag = "admin",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "the campaign slug", example = "2023-civil-code-month")),
    responses(
        (status = 200, description = "CSV, UTF-8 with BOM: entrant, day, name, phone, region, score (empty until the list is fixed)", body = String, content_type = "text/csv", headers(("Content-Disposition" = String, description = "attachment; filename=\"{slug}-eligible.csv\""))),
        (status = 404, description = "`not_found`: no such campaign", body = ErrorBody),
    )
)]
#[get("/admin/campaigns/<slug>/draw/eligible.csv")]
async fn eligible_csv(slug: &str, _admin: Admin, ops: &State<AdminOps>) -> ApiResult<CsvFile<String>> {
    let out = crate::admin::exports::eligible_csv(&ops.eligible_rows(slug).await?);
    Ok(CsvFile { body: out, content_type: csv_type(), disposition: attachment(&format!("{slug}-eligible.csv")) })
}

/// The public record of a campaign's draw: the commitment, and after the draw the seed and masked winners.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{slug}/draw",
    tag = "admin",
    params(("slug" = String, Path, description = "the campaign slug", example = "2023-civil-code-month")),
    responses(
        (status = 200, description = "the public record", body = PublicDraw),
        (status = 404, description = "`not_found`: no such published campaign", body = ErrorBody),
    )
)]
#[get("/campaigns/<slug>/draw")]
async fn public_draw(slug: &str, ops: &State<AdminOps>) -> ApiResult<Json<PublicDraw>> {
    Ok(Json(ops.public_draw(slug).await?))
}

/// A campaign's attempts kept off the boards for answering faster than a person reads, the most
/// recent first (at most 1,000), cleared ones included.
#[utoipa::path(
    get,
    path = "/api/v1/admin/campaigns/{slug}/flagged",
    tag = "admin",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "the campaign slug", example = "2023-civil-code-month")),
    responses(
        (status = 200, description = "the flagged attempts", body = Vec<FlaggedAttempt>),
        (status = 404, description = "`not_found`: no such campaign", body = ErrorBody),
    )
)]
#[get("/admin/campaigns/<slug>/flagged")]
async fn flagged_attempts(slug: &str, _admin: Admin, ops: &State<AdminOps>) -> ApiResult<Json<Vec<FlaggedAttempt>>> {
    Ok(Json(ops.flagged(slug).await?))
}

/// Clears a flagged attempt after staff checked it (audited): it counts on the boards and in the
/// draw again. Clearing it twice changes nothing.
#[utoipa::path(
    post,
    path = "/api/v1/admin/sessions/{id}/clear-flag",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "the session id")),
    responses(
        (status = 200, description = "the attempt, cleared", body = FlaggedAttempt),
        (status = 404, description = "`not_found`: no such session", body = ErrorBody),
        (status = 409, description = "`not_flagged`; `eligible_fixed`: the draw's list is public already", body = ErrorBody),
    )
)]
#[post("/admin/sessions/<id>/clear-flag")]
async fn clear_flag(id: &str, admin: Admin, ops: &State<AdminOps>) -> ApiResult<Json<FlaggedAttempt>> {
    Ok(Json(ops.clear_flag(admin.0.id, id).await?))
}

/// The hash-chained log of admin writes.
#[utoipa::path(
    get,
    path = "/api/v1/admin/audit",
    tag = "admin",
    security(("bearer" = [])),
    params(
        ("offset" = Option<u64>, Query, description = "entries to skip (default 0)"),
        ("limit" = Option<u64>, Query, description = "at most this many (default 100)"),
    ),
    responses(
        (status = 200, description = "the entries", body = Vec<AuditEntry>),
    )
)]
#[get("/admin/audit?<offset>&<limit>")]
async fn audit_log(
    offset: Option<u64>,
    limit: Option<u64>,
    _admin: Admin,
    ops: &State<AdminOps>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    Ok(Json(ops.audit().list(offset.unwrap_or(0), limit.unwrap_or(100)).await.map_err(ApiError::from)?))
}

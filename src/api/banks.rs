//! /api/v1/admin/banks (staff upload and browse question files) and /api/v1/categories.

use rocket::data::{Data, FromData, Outcome, ToByteUnit};
use rocket::serde::json::Json;
use rocket::{Request, State, get, post, routes};

use super::guards::Admin;
use crate::bank::{
    AdminQuestion, BankError, BankSummary, Banks, CategoryCount, Format, ImportReport, Problem, QuestionFilter,
    QuestionKind,
};
use crate::config::Settings;
use crate::error::{ApiError, ApiResult, ErrorBody, PlacedProblem, remember};

pub fn routes() -> Vec<rocket::Route> {
    routes![upload_bank, list_banks, list_questions, question_revisions, categories]
}

impl From<BankError> for ApiError {
    fn from(err: BankError) -> Self {
        match err {
            BankError::Invalid(problems) => invalid_bank(problems),
            BankError::NotFound => ApiError::NotFound,
            BankError::Db(e) => ApiError::from(e),
        }
    }
}

fn invalid_bank(problems: Vec<Problem>) -> ApiError {
    ApiError::Unprocessable {
        code: "invalid_bank",
        message: format!("题库文件有{}处问题，没有导入任何内容", problems.len()),
        fields: Vec::new(),
        problems: problems
            .into_iter()
            .map(|p| PlacedProblem { place: p.place, field: p.field, problem: p.problem })
            .collect(),
    }
}

/// A raw file upload, read up to `upload_limit_bytes`.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Upload(Vec<u8>);

#[rocket::async_trait]
impl<'r> FromData<'r> for Upload {
    type Error = ();

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r, Self, ()> {
        let limit = req.rocket().state::<Settings>().map_or(16 << 20, |s| s.upload_limit_bytes);
        match data.open(limit.bytes()).into_bytes().await {
            Ok(read) if read.is_complete() => Outcome::Success(Self(read.into_inner())),
            Ok(_) => Outcome::Error((remember(req, ApiError::PayloadTooLarge { limit }), ())),
            Err(_) => {
                Outcome::Error((remember(req, ApiError::bad_request("bad_upload", "the upload could not be read")), ()))
            }
        }
    }
}

/// Uploads a question file (the raw file as the body): all or nothing.
#[utoipa::path(
    post,
    path = "/api/v1/admin/banks",
    tag = "banks",
    security(("bearer" = [])),
    params(
        ("format" = Option<Format>, Query, description = "the file's format; without it: 422 `invalid_bank`"),
        ("dry_run" = Option<bool>, Query, description = "check and count, change nothing"),
        ("bank" = Option<String>, Query, description = "the bank key; required for csv and xlsx"),
        ("title" = Option<String>, Query, description = "the bank's title, for a new bank from a spreadsheet"),
    ),
    request_body(
        description = "the file itself: TOML, JSON or CSV text (UTF-8 or GB18030), or an .xlsx workbook",
        content(
            (Upload = "application/octet-stream"),
            (String = "text/plain"),
        )
    ),
    responses(
        (status = 200, description = "imported (or, with dry_run, checked)", body = ImportReport),
        (status = 400, description = "`bad_upload`: the body could not be read", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: larger than `upload_limit_bytes`", body = ErrorBody),
        (status = 422, description = "`invalid_bank` with every `problem`; nothing was changed", body = ErrorBody),
    )
)]
#[post("/admin/banks?<format>&<dry_run>&<bank>&<title>", data = "<file>")]
async fn upload_bank(
    admin: Admin,
    format: Option<&str>,
    dry_run: Option<bool>,
    bank: Option<&str>,
    title: Option<&str>,
    file: Upload,
    ops: &State<crate::admin::AdminOps>,
) -> ApiResult<Json<ImportReport>> {
    let format = format.and_then(Format::parse).ok_or_else(|| {
        invalid_bank(vec![Problem::new("request", "format", "请指明文件格式 format=toml|json|csv|xlsx")])
    })?;
    if !format.has_header() && bank.is_none() {
        return Err(invalid_bank(vec![Problem::new("request", "bank", "表格文件请用 bank=题库编号 指明导入哪个题库")]));
    }
    let name = format!("upload.{}", format!("{format:?}").to_lowercase());
    let report = ops.import_bank(admin.0.id, &file.0, format, &name, bank, title, dry_run.unwrap_or(false)).await?;
    Ok(Json(report))
}

/// Every question bank with its question counts.
#[utoipa::path(
    get,
    path = "/api/v1/admin/banks",
    tag = "banks",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the banks", body = Vec<BankSummary>),
    )
)]
#[get("/admin/banks")]
async fn list_banks(_admin: Admin, banks: &State<Banks>) -> ApiResult<Json<Vec<BankSummary>>> {
    Ok(Json(banks.list().await?))
}

/// The current revision of every question of a bank (retired ones too), with answers.
#[utoipa::path(
    get,
    path = "/api/v1/admin/banks/{key}/questions",
    tag = "banks",
    security(("bearer" = [])),
    params(
        ("key" = String, Path, description = "the bank key", example = "civil-code-general"),
        ("category" = Option<String>, Query, description = "only this category (编)"),
        ("kind" = Option<String>, Query, description = "`single`, `multiple` or `judge` (or 单选/多选/判断)"),
        ("offset" = Option<usize>, Query, description = "questions to skip (default 0)"),
        ("limit" = Option<usize>, Query, description = "at most this many (default 100, at most 1000)"),
    ),
    responses(
        (status = 200, description = "the questions", body = Vec<AdminQuestion>),
        (status = 404, description = "`not_found`: no such bank", body = ErrorBody),
        (status = 422, description = "`invalid_query`: an unknown `kind`", body = ErrorBody),
    )
)]
#[get("/admin/banks/<key>/questions?<category>&<kind>&<offset>&<limit>")]
async fn list_questions(
    _admin: Admin,
    key: &str,
    category: Option<String>,
    kind: Option<&str>,
    offset: Option<usize>,
    limit: Option<usize>,
    banks: &State<Banks>,
) -> ApiResult<Json<Vec<AdminQuestion>>> {
    let kind = match kind {
        Some(raw) => Some(QuestionKind::parse(raw).ok_or_else(|| {
            ApiError::invalid_field(
                "invalid_query",
                "kind",
                "题型只能是single（单选）、multiple（多选）或judge（判断）",
            )
        })?),
        None => None,
    };
    let filter = QuestionFilter { category, kind, offset: offset.unwrap_or(0), limit: limit.unwrap_or(100) };
    Ok(Json(banks.questions(key, &filter).await?))
}

/// Every revision of one question, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/banks/{key}/questions/{question}/revisions",
    tag = "banks",
    security(("bearer" = [])),
    params(
        ("key" = String, Path, description = "the bank key", example = "civil-code-general"),
        ("question" = String, Path, description = "the question key within the bank"),
    ),
    responses(
        (status = 200, description = "the revisions", body = Vec<AdminQuestion>),
        (status = 404, description = "`not_found`: no such question", body = ErrorBody),
    )
)]
#[get("/admin/banks/<key>/questions/<question>/revisions")]
async fn question_revisions(
    _admin: Admin,
    key: &str,
    question: &str,
    banks: &State<Banks>,
) -> ApiResult<Json<Vec<AdminQuestion>>> {
    Ok(Json(banks.revisions(key, question).await?))
}

/// Active questions per category (编).
#[utoipa::path(
    get,
    path = "/api/v1/categories",
    tag = "banks",
    responses((status = 200, description = "the categories", body = Vec<CategoryCount>))
)]
#[get("/categories")]
fn categories(banks: &State<Banks>) -> Json<Vec<CategoryCount>> {
    Json(banks.categories())
}

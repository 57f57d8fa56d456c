//! /api/v1/admin/banks (staff upload and browse question files) and /api/v1/categories.

use rocket::data::{Data, FromData, Outcome, ToByteUnit};
use rocket::serde::json::Json;
use rocket::{Request, State, get, post, put, routes};

use super::guards::{Admin, JsonBody};
use crate::admin::{AdminOps, BankVisibility, UploadReport};
use crate::bank::{
    AdminQuestion, BankError, BankSummary, Banks, CategoryCount, Format, ImportMode, ImportOptions, Problem, Problems,
    QuestionFilter, QuestionKind, Source, Visibility,
};
use crate::config::Settings;
use crate::error::{ApiError, ApiResult, ErrorBody, remember};

pub fn routes() -> Vec<rocket::Route> {
    routes![upload_bank, set_visibility, list_banks, list_questions, question_revisions, categories]
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

/// 422 `invalid_bank`: the listed problems (at most `bank::LISTED`) and, in the message, how many
/// there are in all.
fn invalid_bank(problems: impl Into<Problems>) -> ApiError {
    let problems = problems.into();
    let total = problems.total();
    let listed = problems.len();
    let message = if total > listed {
        format!("题库文件有{total}处问题（下面列出前{listed}处），没有导入任何内容")
    } else {
        format!("题库文件有{total}处问题，没有导入任何内容")
    };
    ApiError::Unprocessable { code: "invalid_bank", message, fields: Vec::new(), problems: problems.into_listed() }
}

fn request_problem(field: &str, problem: &str) -> ApiError {
    invalid_bank(Problem::new("request", field, problem))
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
            Err(_) => Outcome::Error((
                remember(req, ApiError::bad_request("bad_upload", "上传的文件没有读完整，请重新上传")),
                (),
            )),
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
        ("format" = Option<Format>, Query, description = "the file's format; a workbook's bytes decide (a mislabelled .xls still reads); without it the bytes decide"),
        ("dry_run" = Option<bool>, Query, description = "check and count, change nothing; the report lists what would be retired, the campaigns it would starve and a preview"),
        ("bank" = Option<String>, Query, description = "the bank key; required for csv, xlsx, xls and ods"),
        ("title" = Option<String>, Query, description = "the bank's title (a spreadsheet without one keeps the stored title)"),
        ("mode" = Option<ImportMode>, Query, description = "`merge` (default: adds and updates, never retires) or `replace` (also retires what the file does not list)"),
        ("visibility" = Option<Visibility>, Query, description = "`study` or `sealed` (drawn only by campaigns that name the bank)"),
    ),
    request_body(
        description = "the file itself: TOML, JSON or CSV text (UTF-8 or GB18030), or an .xlsx, .xls or .ods workbook",
        content(
            (Upload = "application/octet-stream"),
            (String = "text/plain"),
        )
    ),
    responses(
        (status = 200, description = "imported (or, with dry_run, checked)", body = UploadReport),
        (status = 400, description = "`bad_upload`: the body could not be read", body = ErrorBody),
        (status = 409, description = "`bank_in_use`: the import would leave an open campaign (named in `campaign`) unable to fill its quiz, or release a sealed bank it names; nothing was changed", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: larger than `upload_limit_bytes`", body = ErrorBody),
        (status = 422, description = "`invalid_bank` with the first 200 `problems` (the message counts them all); nothing was changed", body = ErrorBody),
    )
)]
#[allow(clippy::too_many_arguments)]
#[post("/admin/banks?<format>&<dry_run>&<bank>&<title>&<mode>&<visibility>", data = "<file>")]
async fn upload_bank(
    admin: Admin,
    format: Option<&str>,
    dry_run: Option<bool>,
    bank: Option<&str>,
    title: Option<&str>,
    mode: Option<&str>,
    visibility: Option<&str>,
    file: Upload,
    ops: &State<AdminOps>,
) -> ApiResult<Json<UploadReport>> {
    let format = match format {
        Some(raw) => Format::parse(raw)
            .ok_or_else(|| request_problem("format", "format 只能是 toml、json、csv、xlsx、xls 或 ods"))?,
        None => Format::of_bytes(&file.0),
    };
    if !format.has_header() && bank.is_none() {
        return Err(request_problem("bank", "表格文件请用 bank=题库编号 指明导入哪个题库"));
    }
    let mode = match mode {
        Some(raw) => ImportMode::parse(raw)
            .ok_or_else(|| request_problem("mode", "mode 只能是 merge（合并）或 replace（替换）"))?,
        None => ImportMode::Merge,
    };
    let visibility = match visibility {
        Some(raw) => Some(Visibility::parse(raw).ok_or_else(|| {
            request_problem("visibility", "visibility 只能是 study（练习可见）或 sealed（只用于活动）")
        })?),
        None => None,
    };
    let name = format!("upload.{}", format.extension());
    let upload = crate::bank::Upload { bytes: &file.0, format, name: &name, bank, title };
    let options = ImportOptions { mode, source: Source::Upload, visibility, dry_run: dry_run.unwrap_or(false) };
    Ok(Json(ops.import_bank(admin.0.id, upload, options).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct VisibilityRequest {
    visibility: Visibility,
}

/// Makes a bank `study` (practice, the pack, the daily question, categories) or `sealed` (drawn
/// only by campaigns that name it). Audited with before and after.
#[utoipa::path(
    put,
    path = "/api/v1/admin/banks/{key}/visibility",
    tag = "banks",
    security(("bearer" = [])),
    params(("key" = String, Path, description = "the bank key", example = "civil-code-general")),
    request_body = VisibilityRequest,
    responses(
        (status = 200, description = "the bank's visibility now", body = BankVisibility),
        (status = 400, description = "`malformed_json`: not JSON, or empty", body = ErrorBody),
        (status = 404, description = "`not_found`: no such bank", body = ErrorBody),
        (status = 409, description = "`bank_in_use`: a campaign that has not closed names this sealed bank, or sealing it would leave an open campaign unable to fill its quiz (named in `campaign`)", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: larger than `json_limit_bytes`", body = ErrorBody),
        (status = 422, description = "`invalid_body`: visibility is `study` or `sealed`", body = ErrorBody),
    )
)]
#[put("/admin/banks/<key>/visibility", data = "<body>")]
async fn set_visibility(
    admin: Admin,
    key: &str,
    body: JsonBody<VisibilityRequest>,
    ops: &State<AdminOps>,
) -> ApiResult<Json<BankVisibility>> {
    Ok(Json(ops.set_bank_visibility(admin.0.id, key, body.0.visibility).await?))
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
                "题型只能是 single、multiple、judge（或 单选、多选、判断）",
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

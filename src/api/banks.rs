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
use crate::error::{ApiError, ApiResult, PlacedProblem, remember};

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
        message: format!(
            "题库文件有{}处问题，没有导入任何内容 (the file has {} problem(s); nothing was changed)",
            problems.len(),
            problems.len()
        ),
        fields: Vec::new(),
        problems: problems
            .into_iter()
            .map(|p| PlacedProblem { place: p.place, field: p.field, problem: p.problem })
            .collect(),
    }
}

/// A raw file upload, read up to `upload_limit_bytes`.
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

#[get("/admin/banks")]
async fn list_banks(_admin: Admin, banks: &State<Banks>) -> ApiResult<Json<Vec<BankSummary>>> {
    Ok(Json(banks.list().await?))
}

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
        Some(raw) => Some(
            QuestionKind::parse(raw)
                .ok_or_else(|| ApiError::invalid_field("invalid_query", "kind", "single, multiple or judge"))?,
        ),
        None => None,
    };
    let filter = QuestionFilter { category, kind, offset: offset.unwrap_or(0), limit: limit.unwrap_or(100) };
    Ok(Json(banks.questions(key, &filter).await?))
}

#[get("/admin/banks/<key>/questions/<question>/revisions")]
async fn question_revisions(
    _admin: Admin,
    key: &str,
    question: &str,
    banks: &State<Banks>,
) -> ApiResult<Json<Vec<AdminQuestion>>> {
    Ok(Json(banks.revisions(key, question).await?))
}

#[get("/categories")]
fn categories(banks: &State<Banks>) -> Json<Vec<CategoryCount>> {
    Json(banks.categories())
}

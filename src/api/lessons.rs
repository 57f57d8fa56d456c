//! The Code's text, lessons, 每日一法 and 你点我讲 (residents' side).

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{State, get, post, routes};
use serde::Deserialize;
use utoipa::ToSchema;

use super::guards::{JsonBody, User};
use crate::error::{ApiError, ApiResult, ErrorBody, FieldProblem};
use crate::lessons::daily::parse_day;
use crate::lessons::{
    ArticleView, DailyLaw, LessonPage, LessonQuery, LessonRequestView, LessonView, Lessons, LessonsError, TagCount,
};

pub fn routes() -> Vec<rocket::Route> {
    routes![article, list_lessons, get_lesson, lesson_tags, daily_law, ask_lesson, my_lesson_requests]
}

/// 422 with the problems in Chinese as the message, and each field named in `fields`.
fn unprocessable(code: &'static str, fields: Vec<FieldProblem>) -> ApiError {
    let message = fields.iter().map(|f| f.problem.as_str()).collect::<Vec<_>>().join("；");
    ApiError::Unprocessable { code, message, fields, problems: Vec::new() }
}

impl From<LessonsError> for ApiError {
    fn from(err: LessonsError) -> Self {
        match err {
            LessonsError::NotFound => ApiError::NotFound,
            LessonsError::InvalidLesson(fields) => unprocessable("invalid_lesson", fields),
            LessonsError::SlugTaken => ApiError::conflict("slug_taken", "这个课程标识已经有课程在用了"),
            LessonsError::EditConflict => ApiError::conflict("edit_conflict", "刚刚有人改过这里，请刷新后再改"),
            LessonsError::InvalidDailyLaw(fields) => unprocessable("invalid_daily_law", fields),
            LessonsError::InvalidQuery(field) => unprocessable("invalid_query", vec![field]),
            LessonsError::InvalidTopic(problem) => {
                unprocessable("invalid_topic", vec![FieldProblem::new("topic", problem)])
            }
            LessonsError::InvalidReason(problem) => {
                unprocessable("invalid_reason", vec![FieldProblem::new("reason", problem)])
            }
            LessonsError::NoSuchLesson => {
                unprocessable("unknown_lesson", vec![FieldProblem::new("slug", "没有这个课程，请先写好课程再答复")])
            }
            LessonsError::LessonNotPublished => {
                ApiError::conflict("lesson_not_published", "这个课程还没有发布，发布后才能用来答复")
            }
            LessonsError::TooManyRequests { retry_after_secs } => ApiError::LimitReached {
                code: "too_many_requests",
                message: format!("今天已经点了{}次课，请明天再来", crate::lessons::requests::DAILY_CAP),
                retry_after_secs,
            },
            LessonsError::Db(e) => e.into(),
        }
    }
}

/// An article of the Civil Code.
#[utoipa::path(
    get,
    path = "/api/v1/articles/{number}",
    tag = "lessons",
    params(("number" = u32, Path, description = "the article's number, 1–1260", example = 1047)),
    responses(
        (status = 200, description = "the article", body = ArticleView),
        (status = 404, description = "`not_found`: the Code has no such article", body = ErrorBody),
    )
)]
#[get("/articles/<number>")]
fn article(number: &str, lessons: &State<Lessons>) -> ApiResult<Json<ArticleView>> {
    Ok(Json(lessons.article(number)?))
}

/// Published lessons, newest first, by article and/or topic tag.
#[utoipa::path(
    get,
    path = "/api/v1/lessons",
    tag = "lessons",
    params(
        ("article" = Option<u32>, Query, description = "only lessons citing this article (1–1260)"),
        ("tag" = Option<String>, Query, description = "only lessons with this topic tag"),
        ("offset" = Option<u64>, Query, description = "lessons to skip (default 0)"),
        ("limit" = Option<u64>, Query, description = "at most this many (default 20, 1 to 100)"),
    ),
    responses(
        (status = 200, description = "a page of lessons", body = LessonPage),
        (status = 422, description = "`invalid_query`: `article` is not an article of the Code", body = ErrorBody),
    )
)]
#[get("/lessons?<article>&<tag>&<offset>&<limit>")]
async fn list_lessons(
    article: Option<&str>,
    tag: Option<&str>,
    offset: Option<u64>,
    limit: Option<u64>,
    lessons: &State<Lessons>,
) -> ApiResult<Json<LessonPage>> {
    let query = LessonQuery::parse(article, tag, offset, limit)?;
    Ok(Json(lessons.list(&query).await))
}

/// A published lesson: its body as blocks of text, its Markdown, and the text of the articles it cites.
#[utoipa::path(
    get,
    path = "/api/v1/lessons/{slug}",
    tag = "lessons",
    params(("slug" = String, Path, description = "the lesson's slug", example = "loan-no-iou")),
    responses(
        (status = 200, description = "the lesson", body = LessonView),
        (status = 404, description = "`not_found`: no such published lesson", body = ErrorBody),
    )
)]
#[get("/lessons/<slug>")]
async fn get_lesson(slug: &str, lessons: &State<Lessons>) -> ApiResult<Json<LessonView>> {
    Ok(Json(lessons.lesson(slug).await?))
}

/// The topic tags of published lessons, most used first.
#[utoipa::path(
    get,
    path = "/api/v1/lesson-tags",
    tag = "lessons",
    responses((status = 200, description = "the tags with their lesson counts", body = Vec<TagCount>))
)]
#[get("/lesson-tags")]
async fn lesson_tags(lessons: &State<Lessons>) -> Json<Vec<TagCount>> {
    Json(lessons.tags().await)
}

/// 每日一法: the day's article with a plain-language gloss, and a lesson on it when there is one.
#[utoipa::path(
    get,
    path = "/api/v1/daily-law",
    tag = "lessons",
    params(("date" = Option<String>, Query, description = "`YYYY-MM-DD` (default: today in Asia/Shanghai)", example = "2026-12-02")),
    responses(
        (status = 200, description = "the day's item", body = DailyLaw),
        (status = 404, description = "`not_found`: no item is in the rotation", body = ErrorBody),
        (status = 422, description = "`invalid_query`: `date` is not a date", body = ErrorBody),
    )
)]
#[get("/daily-law?<date>")]
async fn daily_law(date: Option<&str>, lessons: &State<Lessons>) -> ApiResult<Json<DailyLaw>> {
    let day = date.filter(|d| !d.is_empty()).map(parse_day).transpose()?;
    Ok(Json(lessons.daily_law(day).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LessonAsk {
    /// What the resident wants explained: 2–200 characters, no line breaks.
    #[schema(example = "草场被别人占了怎么办")]
    topic: String,
}

/// 你点我讲: asks the bureau for a lesson on a topic (at most 5 a day).
#[utoipa::path(
    post,
    path = "/api/v1/lesson-requests",
    tag = "lessons",
    security(("bearer" = [])),
    request_body = LessonAsk,
    responses(
        (status = 201, description = "received", body = LessonRequestView),
        (status = 400, description = "`malformed_json`: not JSON, or empty", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: larger than `json_limit_bytes`", body = ErrorBody),
        (status = 422, description = "`invalid_topic` or `invalid_body`, with `fields`", body = ErrorBody),
        (status = 429, description = "`too_many_requests`: 5 requests today already", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds until the next day in Asia/Shanghai"))),
    )
)]
#[post("/lesson-requests", data = "<body>")]
async fn ask_lesson(
    user: User,
    body: JsonBody<LessonAsk>,
    lessons: &State<Lessons>,
) -> ApiResult<(Status, Json<LessonRequestView>)> {
    Ok((Status::Created, Json(lessons.ask(user.0.id, &body.0.topic).await?)))
}

/// The caller's 你点我讲 requests, newest first, each with its state.
#[utoipa::path(
    get,
    path = "/api/v1/me/lesson-requests",
    tag = "lessons",
    security(("bearer" = [])),
    params(
        ("offset" = Option<u64>, Query, description = "requests to skip (default 0)"),
        ("limit" = Option<u64>, Query, description = "at most this many (default 50, 1 to 100)"),
    ),
    responses((status = 200, description = "the requests", body = Vec<LessonRequestView>))
)]
#[get("/me/lesson-requests?<offset>&<limit>")]
async fn my_lesson_requests(
    offset: Option<u64>,
    limit: Option<u64>,
    user: User,
    lessons: &State<Lessons>,
) -> ApiResult<Json<Vec<LessonRequestView>>> {
    Ok(Json(lessons.my_requests(user.0.id, offset.unwrap_or(0), limit.unwrap_or(50)).await?))
}

//! Staff routes for lessons (write, preview, publish, revisions), 每日一法 items and 你点我讲
//! requests. Every write goes through `AdminOps`, which records it in the audit log.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{State, get, post, put, routes};
use serde::Deserialize;
use utoipa::ToSchema;

use super::guards::{Admin, JsonBody};
use crate::admin::AdminOps;
use crate::error::{ApiResult, ErrorBody};
use crate::lessons::{
    DailyLawEdit, DailyLawItem, LessonEdit, LessonRevisionView, LessonView, Lessons, NewLesson, Preview, RequestState,
    StaffLessonPage, StaffLessonRequest, StaffRequestPage,
};

pub fn routes() -> Vec<rocket::Route> {
    routes![
        staff_lessons,
        create_lesson,
        preview_lesson,
        staff_lesson,
        update_lesson,
        publish_lesson,
        unpublish_lesson,
        lesson_revisions,
        daily_law_items,
        save_daily_law_item,
        staff_lesson_requests,
        answer_lesson_request,
        decline_lesson_request,
    ]
}

/// Every lesson, drafts included, most recently changed first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/lessons",
    tag = "lessons",
    security(("bearer" = [])),
    params(
        ("offset" = Option<u64>, Query, description = "lessons to skip (default 0)"),
        ("limit" = Option<u64>, Query, description = "at most this many (default 100, 1 to 200)"),
    ),
    responses((status = 200, description = "the lessons", body = StaffLessonPage))
)]
#[get("/admin/lessons?<offset>&<limit>")]
async fn staff_lessons(
    offset: Option<u64>,
    limit: Option<u64>,
    _admin: Admin,
    lessons: &State<Lessons>,
) -> ApiResult<Json<StaffLessonPage>> {
    Ok(Json(lessons.staff_lessons(offset.unwrap_or(0), limit.unwrap_or(100)).await?))
}

/// Writes a new lesson (a draft unless `published`). Audited.
#[utoipa::path(
    post,
    path = "/api/v1/admin/lessons",
    tag = "lessons",
    security(("bearer" = [])),
    request_body = NewLesson,
    responses(
        (status = 201, description = "created", body = LessonView),
        (status = 400, description = "`malformed_json`: not JSON, or empty", body = ErrorBody),
        (status = 409, description = "`slug_taken`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: larger than `json_limit_bytes`", body = ErrorBody),
        (status = 422, description = "`invalid_lesson` or `invalid_body`, with `fields`", body = ErrorBody),
    )
)]
#[post("/admin/lessons", data = "<body>")]
async fn create_lesson(
    admin: Admin,
    body: JsonBody<NewLesson>,
    ops: &State<AdminOps>,
) -> ApiResult<(Status, Json<LessonView>)> {
    Ok((Status::Created, Json(ops.create_lesson(admin.0.id, body.0).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PreviewRequest {
    /// The Markdown of a draft.
    body: String,
}

/// The server's rendering of a draft body, as the app will show it, or every problem with it.
#[utoipa::path(
    post,
    path = "/api/v1/admin/lessons/preview",
    tag = "lessons",
    security(("bearer" = [])),
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "the blocks", body = Preview),
        (status = 400, description = "`malformed_json`: not JSON, or empty", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: larger than `json_limit_bytes`", body = ErrorBody),
        (status = 422, description = "`invalid_lesson` (each problem with its line) or `invalid_body`", body = ErrorBody),
    )
)]
#[post("/admin/lessons/preview", data = "<body>")]
fn preview_lesson(_admin: Admin, body: JsonBody<PreviewRequest>, lessons: &State<Lessons>) -> ApiResult<Json<Preview>> {
    Ok(Json(lessons.preview(&body.0.body)?))
}

/// A lesson, drafts included.
#[utoipa::path(
    get,
    path = "/api/v1/admin/lessons/{slug}",
    tag = "lessons",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "the lesson's slug", example = "loan-no-iou")),
    responses(
        (status = 200, description = "the lesson", body = LessonView),
        (status = 404, description = "`not_found`: no such lesson", body = ErrorBody),
    )
)]
#[get("/admin/lessons/<slug>")]
async fn staff_lesson(slug: &str, _admin: Admin, lessons: &State<Lessons>) -> ApiResult<Json<LessonView>> {
    Ok(Json(lessons.staff_lesson(slug).await?))
}

/// Saves a lesson's content as a new revision; the start-up import keeps this staff version from
/// then on. Audited.
#[utoipa::path(
    put,
    path = "/api/v1/admin/lessons/{slug}",
    tag = "lessons",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "the lesson's slug", example = "loan-no-iou")),
    request_body = LessonEdit,
    responses(
        (status = 200, description = "saved", body = LessonView),
        (status = 400, description = "`malformed_json`: not JSON, or empty", body = ErrorBody),
        (status = 404, description = "`not_found`: no such lesson", body = ErrorBody),
        (status = 409, description = "`edit_conflict`: saved by someone else meanwhile", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: larger than `json_limit_bytes`", body = ErrorBody),
        (status = 422, description = "`invalid_lesson` or `invalid_body`, with `fields`", body = ErrorBody),
    )
)]
#[put("/admin/lessons/<slug>", data = "<body>")]
async fn update_lesson(
    slug: &str,
    admin: Admin,
    body: JsonBody<LessonEdit>,
    ops: &State<AdminOps>,
) -> ApiResult<Json<LessonView>> {
    Ok(Json(ops.update_lesson(admin.0.id, slug, &body.0).await?))
}

/// Shows a lesson to the public. Audited.
#[utoipa::path(
    post,
    path = "/api/v1/admin/lessons/{slug}/publish",
    tag = "lessons",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "the lesson's slug", example = "loan-no-iou")),
    responses(
        (status = 200, description = "published", body = LessonView),
        (status = 404, description = "`not_found`: no such lesson", body = ErrorBody),
    )
)]
#[post("/admin/lessons/<slug>/publish")]
async fn publish_lesson(slug: &str, admin: Admin, ops: &State<AdminOps>) -> ApiResult<Json<LessonView>> {
    Ok(Json(ops.publish_lesson(admin.0.id, slug, true).await?))
}

/// Hides a lesson from the public again. Audited.
#[utoipa::path(
    post,
    path = "/api/v1/admin/lessons/{slug}/unpublish",
    tag = "lessons",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "the lesson's slug", example = "loan-no-iou")),
    responses(
        (status = 200, description = "unpublished", body = LessonView),
        (status = 404, description = "`not_found`: no such lesson", body = ErrorBody),
    )
)]
#[post("/admin/lessons/<slug>/unpublish")]
async fn unpublish_lesson(slug: &str, admin: Admin, ops: &State<AdminOps>) -> ApiResult<Json<LessonView>> {
    Ok(Json(ops.publish_lesson(admin.0.id, slug, false).await?))
}

/// A lesson's revisions, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/lessons/{slug}/revisions",
    tag = "lessons",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "the lesson's slug", example = "loan-no-iou")),
    responses(
        (status = 200, description = "the revisions", body = Vec<LessonRevisionView>),
        (status = 404, description = "`not_found`: no such lesson", body = ErrorBody),
    )
)]
#[get("/admin/lessons/<slug>/revisions")]
async fn lesson_revisions(
    slug: &str,
    _admin: Admin,
    lessons: &State<Lessons>,
) -> ApiResult<Json<Vec<LessonRevisionView>>> {
    Ok(Json(lessons.revisions(slug).await?))
}

/// Every 每日一法 item, in rotation order.
#[utoipa::path(
    get,
    path = "/api/v1/admin/daily-law",
    tag = "lessons",
    security(("bearer" = [])),
    responses((status = 200, description = "the items", body = Vec<DailyLawItem>))
)]
#[get("/admin/daily-law")]
async fn daily_law_items(_admin: Admin, lessons: &State<Lessons>) -> ApiResult<Json<Vec<DailyLawItem>>> {
    Ok(Json(lessons.daily_law_items().await?))
}

/// Writes the 每日一法 item of an article (a new one joins the end of the rotation); the start-up
/// import keeps it as staff left it. Audited.
#[utoipa::path(
    put,
    path = "/api/v1/admin/daily-law/{article}",
    tag = "lessons",
    security(("bearer" = [])),
    params(("article" = u32, Path, description = "the article's number, 1–1260", example = 679)),
    request_body = DailyLawEdit,
    responses(
        (status = 200, description = "saved", body = DailyLawItem),
        (status = 400, description = "`malformed_json`: not JSON, or empty", body = ErrorBody),
        (status = 404, description = "`not_found`: the Code has no such article", body = ErrorBody),
        (status = 409, description = "`edit_conflict`: created by someone else meanwhile", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: larger than `json_limit_bytes`", body = ErrorBody),
        (status = 422, description = "`invalid_daily_law` or `invalid_body`, with `fields`", body = ErrorBody),
    )
)]
#[put("/admin/daily-law/<article>", data = "<body>")]
async fn save_daily_law_item(
    article: &str,
    admin: Admin,
    body: JsonBody<DailyLawEdit>,
    ops: &State<AdminOps>,
) -> ApiResult<Json<DailyLawItem>> {
    Ok(Json(ops.save_daily_law_item(admin.0.id, article, &body.0).await?))
}

/// 你点我讲 requests, oldest first, with counts by state and the most asked topics.
#[utoipa::path(
    get,
    path = "/api/v1/admin/lesson-requests",
    tag = "lessons",
    security(("bearer" = [])),
    params(
        ("state" = Option<RequestState>, Query, description = "only requests in this state"),
        ("offset" = Option<u64>, Query, description = "requests to skip (default 0)"),
        ("limit" = Option<u64>, Query, description = "at most this many (default 100, 1 to 200)"),
    ),
    responses(
        (status = 200, description = "the requests", body = StaffRequestPage),
        (status = 422, description = "`invalid_query`: no such state", body = ErrorBody),
    )
)]
#[get("/admin/lesson-requests?<state>&<offset>&<limit>")]
async fn staff_lesson_requests(
    state: Option<&str>,
    offset: Option<u64>,
    limit: Option<u64>,
    _admin: Admin,
    lessons: &State<Lessons>,
) -> ApiResult<Json<StaffRequestPage>> {
    let state = state.filter(|s| !s.is_empty()).map(RequestState::parse).transpose()?;
    Ok(Json(lessons.staff_requests(state, offset.unwrap_or(0), limit.unwrap_or(100)).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AnswerWithLesson {
    /// A published lesson (write a new one with `POST /api/v1/admin/lessons` first).
    #[schema(example = "loan-no-iou")]
    slug: String,
}

/// Answers a request with a published lesson. Audited.
#[utoipa::path(
    post,
    path = "/api/v1/admin/lesson-requests/{id}/answer",
    tag = "lessons",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "the request's id", example = 1)),
    request_body = AnswerWithLesson,
    responses(
        (status = 200, description = "answered", body = StaffLessonRequest),
        (status = 400, description = "`malformed_json`: not JSON, or empty", body = ErrorBody),
        (status = 404, description = "`not_found`: no such request", body = ErrorBody),
        (status = 409, description = "`lesson_not_published`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: larger than `json_limit_bytes`", body = ErrorBody),
        (status = 422, description = "`unknown_lesson` or `invalid_body`, with `fields`", body = ErrorBody),
    )
)]
#[post("/admin/lesson-requests/<id>/answer", data = "<body>")]
async fn answer_lesson_request(
    id: &str,
    admin: Admin,
    body: JsonBody<AnswerWithLesson>,
    ops: &State<AdminOps>,
) -> ApiResult<Json<StaffLessonRequest>> {
    Ok(Json(ops.answer_lesson_request(admin.0.id, id, &body.0.slug).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Decline {
    /// Why, for the resident: 2–200 characters.
    #[schema(example = "这个问题涉及刑事案件，请拨打12348咨询")]
    reason: String,
}

/// Declines a request with a reason the resident will read. Audited.
#[utoipa::path(
    post,
    path = "/api/v1/admin/lesson-requests/{id}/decline",
    tag = "lessons",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "the request's id", example = 1)),
    request_body = Decline,
    responses(
        (status = 200, description = "declined", body = StaffLessonRequest),
        (status = 400, description = "`malformed_json`: not JSON, or empty", body = ErrorBody),
        (status = 404, description = "`not_found`: no such request", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: larger than `json_limit_bytes`", body = ErrorBody),
        (status = 422, description = "`invalid_reason` or `invalid_body`, with `fields`", body = ErrorBody),
    )
)]
#[post("/admin/lesson-requests/<id>/decline", data = "<body>")]
async fn decline_lesson_request(
    id: &str,
    admin: Admin,
    body: JsonBody<Decline>,
    ops: &State<AdminOps>,
) -> ApiResult<Json<StaffLessonRequest>> {
    Ok(Json(ops.decline_lesson_request(admin.0.id, id, &body.0.reason).await?))
}

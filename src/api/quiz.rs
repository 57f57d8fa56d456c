//! Campaigns, quiz sessions, practice, the daily question and the mistake book.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{State, get, post, put, routes};
use serde::Deserialize;
use utoipa::ToSchema;

use super::guards::{Admin, JsonBody, User};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::quiz::{
    AnswerOutcome, CampaignSpec, CampaignView, DailyQuestion, Mistake, PracticeOutcome, PracticePack, PracticeQuestion,
    Quiz, QuizError, RawChoice, SessionResult, SessionView,
};

pub fn routes() -> Vec<rocket::Route> {
    routes![
        create_campaign,
        update_campaign,
        list_all_campaigns,
        list_campaigns,
        get_campaign,
        start_session,
        get_session,
        submit_answer,
        finish_session,
        practice,
        practice_answer,
        practice_pack,
        daily,
        my_mistakes,
    ]
}

impl From<QuizError> for ApiError {
    fn from(err: QuizError) -> Self {
        match err {
            QuizError::NotFound => ApiError::NotFound,
            QuizError::CampaignNotOpen => {
                ApiError::Refused { code: "campaign_not_open", message: "答题活动未开放".into() }
            }
            QuizError::AttemptLimitReached { today } => ApiError::conflict(
                "attempt_limit_reached",
                if today { "今天的答题次数已用完" } else { "答题次数已用完" },
            ),
            QuizError::SessionInProgress(id) => ApiError::Conflict {
                code: "session_in_progress",
                message: "您有一次答题还没交卷".into(),
                extra: Some(("session_id", id)),
            },
            QuizError::AlreadyAnswered => ApiError::conflict("already_answered", "这道题已经作答，不能更改"),
            QuizError::SessionExpired => {
                ApiError::Gone { code: "session_expired", message: "答题时间已到".into() }
            }
            QuizError::SessionFinished => ApiError::conflict("session_finished", "已经交卷"),
            QuizError::InvalidChoice(e) => ApiError::invalid_field("invalid_choice", "choice", e.to_string()),
            QuizError::InvalidCampaign(fields) => ApiError::Unprocessable {
                code: "invalid_campaign",
                message: fields.iter().map(|f| format!("{}: {}", f.field, f.problem)).collect::<Vec<_>>().join("; "),
                fields,
                problems: Vec::new(),
            },
            QuizError::CampaignStillOpen => ApiError::conflict("campaign_still_open", "活动尚未结束，不能抽奖"),
            QuizError::CampaignLocked(e) => ApiError::conflict("campaign_locked", e.to_string()),
            QuizError::SlugTaken => ApiError::conflict("slug_taken", "这个活动编号已经被别的活动用了，请换一个"),
            QuizError::NotFlagged => ApiError::conflict("not_flagged", "这次答题没有因答得太快被标记，不需要恢复"),
            QuizError::NotEnoughQuestions(e) => ApiError::conflict("not_enough_questions", e.to_string()),
            QuizError::TooFast { retry_after_secs } => ApiError::TooManyAttempts { retry_after_secs },
            QuizError::Db(e) => ApiError::from(e),
        }
    }
}

/// Creates a campaign.
#[utoipa::path(
    post,
    path = "/api/v1/admin/campaigns",
    tag = "campaigns",
    security(("bearer" = [])),
    request_body = CampaignSpec,
    responses(
        (status = 201, description = "created", body = CampaignView),
        (status = 400, description = "`malformed_json`: not JSON, or empty", body = ErrorBody),
        (status = 409, description = "`slug_taken`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: larger than `json_limit_bytes`", body = ErrorBody),
        (status = 422, description = "`invalid_campaign` (e.g. quotas ask more questions than the banks hold) or `invalid_body`, with `fields`", body = ErrorBody),
    )
)]
#[post("/admin/campaigns", data = "<body>")]
async fn create_campaign(
    admin: Admin,
    body: JsonBody<CampaignSpec>,
    ops: &State<crate::admin::AdminOps>,
) -> ApiResult<(Status, Json<CampaignView>)> {
    Ok((Status::Created, Json(ops.save_campaign(admin.0.id, body.0, None).await?)))
}

/// Replaces a campaign (the body's slug must be the path's).
#[utoipa::path(
    put,
    path = "/api/v1/admin/campaigns/{slug}",
    tag = "campaigns",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "the campaign slug", example = "2023-civil-code-month")),
    request_body = CampaignSpec,
    responses(
        (status = 200, description = "saved", body = CampaignView),
        (status = 400, description = "`malformed_json`: not JSON, or empty", body = ErrorBody),
        (status = 404, description = "`not_found`: no such campaign", body = ErrorBody),
        (status = 409, description = "`campaign_locked`: the campaign is open (only title, description and a later close may change) or drawn (nothing may)", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: larger than `json_limit_bytes`", body = ErrorBody),
        (status = 422, description = "`invalid_campaign` or `invalid_body`, with `fields`", body = ErrorBody),
    )
)]
#[put("/admin/campaigns/<slug>", data = "<body>")]
async fn update_campaign(
    admin: Admin,
    slug: &str,
    body: JsonBody<CampaignSpec>,
    ops: &State<crate::admin::AdminOps>,
) -> ApiResult<Json<CampaignView>> {
    Ok(Json(ops.save_campaign(admin.0.id, body.0, Some(slug)).await?))
}

/// Every campaign, published or not.
#[utoipa::path(
    get,
    path = "/api/v1/admin/campaigns",
    tag = "campaigns",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the campaigns", body = Vec<CampaignView>),
    )
)]
#[get("/admin/campaigns")]
async fn list_all_campaigns(_admin: Admin, quiz: &State<Quiz>) -> ApiResult<Json<Vec<CampaignView>>> {
    Ok(Json(quiz.list_all().await?))
}

/// The published campaigns, each with its `state`.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns",
    tag = "campaigns",
    responses(
        (status = 200, description = "the published campaigns", body = Vec<CampaignView>),
    )
)]
#[get("/campaigns")]
async fn list_campaigns(quiz: &State<Quiz>) -> ApiResult<Json<Vec<CampaignView>>> {
    Ok(Json(quiz.list_published().await?))
}

/// A published campaign, with `me` when signed in.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{slug}",
    tag = "campaigns",
    security((), ("bearer" = [])),
    params(("slug" = String, Path, description = "the campaign slug", example = "2023-civil-code-month")),
    responses(
        (status = 200, description = "the campaign", body = CampaignView),
        (status = 404, description = "`not_found`: no such published campaign", body = ErrorBody),
    )
)]
#[get("/campaigns/<slug>", rank = 2)]
async fn get_campaign(slug: &str, user: Option<User>, quiz: &State<Quiz>) -> ApiResult<Json<CampaignView>> {
    Ok(Json(quiz.campaign_for(slug, user.map(|u| u.0.id)).await?))
}

/// Starts an attempt: questions drawn at random, options shuffled.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns/{slug}/sessions",
    tag = "sessions",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "the campaign slug", example = "2023-civil-code-month")),
    responses(
        (status = 201, description = "the new session", body = SessionView),
        (status = 403, description = "`campaign_not_open`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such published campaign", body = ErrorBody),
        (status = 409, description = "`attempt_limit_reached`, `session_in_progress` (with its `session_id`) or `not_enough_questions`", body = ErrorBody),
    )
)]
#[post("/campaigns/<slug>/sessions")]
async fn start_session(slug: &str, user: User, quiz: &State<Quiz>) -> ApiResult<(Status, Json<SessionView>)> {
    Ok((Status::Created, Json(quiz.start_session(user.0.id, slug).await?)))
}

/// One of the caller's sessions (resume after a reload); finished if its time ran out.
#[utoipa::path(
    get,
    path = "/api/v1/sessions/{id}",
    tag = "sessions",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "the session id, from `POST /api/v1/campaigns/{slug}/sessions`")),
    responses(
        (status = 200, description = "the session", body = SessionView),
        (status = 404, description = "`not_found`: no such session of the caller", body = ErrorBody),
    )
)]
#[get("/sessions/<id>")]
async fn get_session(id: &str, user: User, quiz: &State<Quiz>) -> ApiResult<Json<SessionView>> {
    Ok(Json(quiz.session(user.0.id, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AnswerRequest {
    /// Letters as shown (`"B"`, `"ACD"`), or for a judge question `true`/`false` (or `"T"`/`"F"`).
    choice: RawChoice,
}

/// Answers the question at `position`. Final: the same choice again answers the same.
#[utoipa::path(
    put,
    path = "/api/v1/sessions/{id}/answers/{position}",
    tag = "sessions",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "the session id, from `POST /api/v1/campaigns/{slug}/sessions`"),
        ("position" = u32, Path, description = "the question's position in the session, from 1"),
    ),
    request_body = AnswerRequest,
    responses(
        (status = 200, description = "accepted (`correct`, `answer`, `explanation`, `basis` only with reveal after_each)", body = AnswerOutcome),
        (status = 400, description = "`malformed_json`: not JSON, or empty", body = ErrorBody),
        (status = 404, description = "`not_found`: no such session of the caller, or no such position", body = ErrorBody),
        (status = 409, description = "`already_answered` with another choice, or `session_finished`", body = ErrorBody),
        (status = 410, description = "`session_expired`: the time is up", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: larger than `json_limit_bytes`", body = ErrorBody),
        (status = 422, description = "`invalid_choice` or `invalid_body`, with `fields`", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`: answers are coming too fast", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds"))),
    )
)]
#[put("/sessions/<id>/answers/<position>", data = "<body>")]
async fn submit_answer(
    id: &str,
    position: &str,
    user: User,
    body: JsonBody<AnswerRequest>,
    quiz: &State<Quiz>,
) -> ApiResult<Json<AnswerOutcome>> {
    // A position that is not a number names no question: 404 like one out of range.
    let position: u32 = position.parse().map_err(|_| ApiError::NotFound)?;
    Ok(Json(quiz.answer(user.0.id, id, position, &body.0.choice).await?))
}

/// Finishes a session: the result with the review. Finishing again returns the same result.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/finish",
    tag = "sessions",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "the session id, from `POST /api/v1/campaigns/{slug}/sessions`")),
    responses(
        (status = 200, description = "the result", body = SessionResult),
        (status = 404, description = "`not_found`: no such session of the caller", body = ErrorBody),
    )
)]
#[post("/sessions/<id>/finish")]
async fn finish_session(id: &str, user: User, quiz: &State<Quiz>) -> ApiResult<Json<SessionResult>> {
    Ok(Json(quiz.finish(user.0.id, id).await?))
}

/// Questions to practise: shuffled options, no answers.
#[utoipa::path(
    get,
    path = "/api/v1/practice",
    tag = "practice",
    params(
        ("category" = Option<String>, Query, description = "only this category (编)"),
        ("difficulty" = Option<u8>, Query, description = "1, 2 or 3"),
        ("count" = Option<usize>, Query, description = "how many (default 10)"),
    ),
    responses((status = 200, description = "the questions", body = Vec<PracticeQuestion>))
)]
#[get("/practice?<category>&<difficulty>&<count>")]
fn practice(
    category: Option<&str>,
    difficulty: Option<u8>,
    count: Option<usize>,
    quiz: &State<Quiz>,
) -> Json<Vec<PracticeQuestion>> {
    Json(quiz.practice(category.filter(|c| !c.is_empty()), difficulty, count.unwrap_or(10)))
}

/// An offline practice pack: questions with their answers (practice questions only).
#[utoipa::path(
    get,
    path = "/api/v1/practice/pack",
    tag = "practice",
    params(
        ("category" = Option<String>, Query, description = "only this category (编)"),
        ("count" = Option<usize>, Query, description = "how many (default 50)"),
    ),
    responses((status = 200, description = "the pack", body = PracticePack))
)]
#[get("/practice/pack?<category>&<count>")]
fn practice_pack(category: Option<&str>, count: Option<usize>, quiz: &State<Quiz>) -> Json<PracticePack> {
    Json(quiz.practice_pack(category.filter(|c| !c.is_empty()), count.unwrap_or(50)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PracticeAnswerRequest {
    /// The `id` of a practice or daily question (it carries the option order shown).
    question_id: String,
    /// Letters as shown (`"B"`, `"ACD"`), or for a judge question `true`/`false` (or `"T"`/`"F"`).
    choice: RawChoice,
}

/// Grades a practice (or daily) answer; a signed-in caller's wrong answer enters the mistake book.
#[utoipa::path(
    post,
    path = "/api/v1/practice/answers",
    tag = "practice",
    security((), ("bearer" = [])),
    request_body = PracticeAnswerRequest,
    responses(
        (status = 200, description = "graded", body = PracticeOutcome),
        (status = 400, description = "`malformed_json`: not JSON, or empty", body = ErrorBody),
        (status = 404, description = "`not_found`: no such question, or one practice does not serve (a sealed bank's, a retired or superseded revision)", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: larger than `json_limit_bytes`", body = ErrorBody),
        (status = 422, description = "`invalid_choice` or `invalid_body`, with `fields`", body = ErrorBody),
    )
)]
#[post("/practice/answers", data = "<body>")]
async fn practice_answer(
    user: Option<User>,
    body: JsonBody<PracticeAnswerRequest>,
    quiz: &State<Quiz>,
) -> ApiResult<Json<PracticeOutcome>> {
    let PracticeAnswerRequest { question_id, choice } = body.0;
    Ok(Json(quiz.practice_answer(user.map(|u| u.0.id), &question_id, &choice).await?))
}

/// Today's question (the same for everyone on an Asia/Shanghai day).
#[utoipa::path(
    get,
    path = "/api/v1/daily",
    tag = "practice",
    responses(
        (status = 200, description = "today's question", body = DailyQuestion),
        (status = 404, description = "`not_found`: the bank has no active question", body = ErrorBody),
    )
)]
#[get("/daily")]
async fn daily(user: Option<User>, quiz: &State<Quiz>) -> ApiResult<Json<DailyQuestion>> {
    Ok(Json(quiz.daily(user.map(|u| u.0.id)).await?))
}

/// The caller's mistake book.
#[utoipa::path(
    get,
    path = "/api/v1/me/mistakes",
    tag = "practice",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the mistake book", body = Vec<Mistake>),
    )
)]
#[get("/me/mistakes")]
async fn my_mistakes(user: User, quiz: &State<Quiz>) -> ApiResult<Json<Vec<Mistake>>> {
    Ok(Json(quiz.mistakes(user.0.id).await?))
}

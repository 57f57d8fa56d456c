//! Campaigns, quiz sessions, practice, the daily question and the mistake book.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{State, get, post, put, routes};
use serde::Deserialize;

use super::guards::{Admin, JsonBody, User};
use crate::error::{ApiError, ApiResult};
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
            QuizError::CampaignNotOpen => ApiError::Refused {
                code: "campaign_not_open",
                message: "答题活动未开放 (the campaign is not open now)".into(),
            },
            QuizError::AttemptLimitReached { today } => ApiError::conflict(
                "attempt_limit_reached",
                if today {
                    "今天的答题次数已用完 (no attempts left today)"
                } else {
                    "答题次数已用完 (no attempts left)"
                },
            ),
            QuizError::SessionInProgress(id) => ApiError::Conflict {
                code: "session_in_progress",
                message: "您有一次答题还没交卷 (a session is already in progress)".into(),
                extra: Some(("session_id", id)),
            },
            QuizError::AlreadyAnswered => ApiError::conflict(
                "already_answered",
                "这道题已经作答，不能更改 (answered already with another choice)",
            ),
            QuizError::SessionExpired => {
                ApiError::Gone { code: "session_expired", message: "答题时间已到 (the time is up)".into() }
            }
            QuizError::SessionFinished => ApiError::conflict("session_finished", "已经交卷 (the session is finished)"),
            QuizError::InvalidChoice(e) => ApiError::invalid_field("invalid_choice", "choice", e.to_string()),
            QuizError::InvalidCampaign(fields) => ApiError::Unprocessable {
                code: "invalid_campaign",
                message: fields.iter().map(|f| format!("{}: {}", f.field, f.problem)).collect::<Vec<_>>().join("; "),
                fields,
                problems: Vec::new(),
            },
            QuizError::CampaignStillOpen => {
                ApiError::conflict("campaign_still_open", "活动尚未结束，不能抽奖 (the campaign has not closed yet)")
            }
            QuizError::SlugTaken => ApiError::conflict("slug_taken", "a campaign with this slug exists"),
            QuizError::NotEnoughQuestions(e) => ApiError::conflict("not_enough_questions", e.to_string()),
            QuizError::TooFast { retry_after_secs } => ApiError::TooManyAttempts { retry_after_secs },
            QuizError::Db(e) => ApiError::from(e),
        }
    }
}

#[post("/admin/campaigns", data = "<body>")]
async fn create_campaign(
    admin: Admin,
    body: JsonBody<CampaignSpec>,
    ops: &State<crate::admin::AdminOps>,
) -> ApiResult<(Status, Json<CampaignView>)> {
    Ok((Status::Created, Json(ops.save_campaign(admin.0.id, body.0, None).await?)))
}

#[put("/admin/campaigns/<slug>", data = "<body>")]
async fn update_campaign(
    admin: Admin,
    slug: &str,
    body: JsonBody<CampaignSpec>,
    ops: &State<crate::admin::AdminOps>,
) -> ApiResult<Json<CampaignView>> {
    Ok(Json(ops.save_campaign(admin.0.id, body.0, Some(slug)).await?))
}

#[get("/admin/campaigns")]
async fn list_all_campaigns(_admin: Admin, quiz: &State<Quiz>) -> ApiResult<Json<Vec<CampaignView>>> {
    Ok(Json(quiz.list_all().await?))
}

#[get("/campaigns")]
async fn list_campaigns(quiz: &State<Quiz>) -> ApiResult<Json<Vec<CampaignView>>> {
    Ok(Json(quiz.list_published().await?))
}

#[get("/campaigns/<slug>", rank = 2)]
async fn get_campaign(slug: &str, user: Option<User>, quiz: &State<Quiz>) -> ApiResult<Json<CampaignView>> {
    Ok(Json(quiz.campaign_for(slug, user.map(|u| u.0.id)).await?))
}

#[post("/campaigns/<slug>/sessions")]
async fn start_session(slug: &str, user: User, quiz: &State<Quiz>) -> ApiResult<(Status, Json<SessionView>)> {
    Ok((Status::Created, Json(quiz.start_session(user.0.id, slug).await?)))
}

#[get("/sessions/<id>")]
async fn get_session(id: &str, user: User, quiz: &State<Quiz>) -> ApiResult<Json<SessionView>> {
    Ok(Json(quiz.session(user.0.id, id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerRequest {
    choice: RawChoice,
}

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

#[post("/sessions/<id>/finish")]
async fn finish_session(id: &str, user: User, quiz: &State<Quiz>) -> ApiResult<Json<SessionResult>> {
    Ok(Json(quiz.finish(user.0.id, id).await?))
}

#[get("/practice?<category>&<difficulty>&<count>")]
fn practice(
    category: Option<&str>,
    difficulty: Option<u8>,
    count: Option<usize>,
    quiz: &State<Quiz>,
) -> Json<Vec<PracticeQuestion>> {
    Json(quiz.practice(category.filter(|c| !c.is_empty()), difficulty, count.unwrap_or(10)))
}

#[get("/practice/pack?<category>&<count>")]
fn practice_pack(category: Option<&str>, count: Option<usize>, quiz: &State<Quiz>) -> Json<PracticePack> {
    Json(quiz.practice_pack(category.filter(|c| !c.is_empty()), count.unwrap_or(50)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PracticeAnswerRequest {
    question_id: String,
    choice: RawChoice,
}

#[post("/practice/answers", data = "<body>")]
async fn practice_answer(
    user: Option<User>,
    body: JsonBody<PracticeAnswerRequest>,
    quiz: &State<Quiz>,
) -> ApiResult<Json<PracticeOutcome>> {
    let PracticeAnswerRequest { question_id, choice } = body.0;
    Ok(Json(quiz.practice_answer(user.map(|u| u.0.id), &question_id, &choice).await?))
}

#[get("/daily")]
fn daily(quiz: &State<Quiz>) -> ApiResult<Json<DailyQuestion>> {
    Ok(Json(quiz.daily()?))
}

#[get("/me/mistakes")]
async fn my_mistakes(user: User, quiz: &State<Quiz>) -> ApiResult<Json<Vec<Mistake>>> {
    Ok(Json(quiz.mistakes(user.0.id).await?))
}

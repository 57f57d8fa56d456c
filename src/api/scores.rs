//! Leaderboards, regional participation, the live stream and board rebuilds.

use rocket::response::stream::{Event, EventStream};
use rocket::serde::json::Json;
use rocket::{Shutdown, State, get, post, routes};

use super::guards::{Admin, User};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::quiz::Quiz;
use crate::scores::ScoresError;
use crate::scores::{Leaderboard, RebuildReport, RegionLevel, RegionStat};

pub fn routes() -> Vec<rocket::Route> {
    routes![leaderboard, around_me, region_stats, live, rebuild_boards]
}

impl From<ScoresError> for ApiError {
    fn from(err: ScoresError) -> Self {
        match err {
            ScoresError::Live(e) => {
                tracing::warn!(error = %e, "live store unavailable for a board read");
                ApiError::Unavailable("排行榜暂时打不开，请稍后再试")
            }
            ScoresError::Db(e) => ApiError::from(e),
            ScoresError::UnknownRegion => ApiError::invalid_field("unknown_region", "region", "没有这个地区"),
            ScoresError::BadDay => {
                ApiError::invalid_field("invalid_query", "day", "日期应写成2026-12-01这样，或者today")
            }
        }
    }
}

/// A page of a campaign's board (the banner, a region, or a day), with `me` when signed in.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{slug}/leaderboard",
    tag = "leaderboards",
    security((), ("bearer" = [])),
    params(
        ("slug" = String, Path, description = "the campaign slug", example = "2023-civil-code-month"),
        ("region" = Option<String>, Query, description = "a township or village code: that region's board"),
        ("day" = Option<String>, Query, pattern = r"^(today|[0-9]{4}-[0-9]{2}-[0-9]{2})$", description = "`today` or `YYYY-MM-DD` (Asia/Shanghai): that day's board"),
        ("live" = Option<bool>, Query, description = "the board of sessions in progress, by score so far"),
        ("limit" = Option<u64>, Query, description = "rows (default 50)"),
        ("offset" = Option<u64>, Query, description = "rows to skip (default 0); ranks start at 1"),
    ),
    responses(
        (status = 200, description = "the page", body = Leaderboard),
        (status = 404, description = "`not_found`: no such published campaign", body = ErrorBody),
        (status = 422, description = "`unknown_region` or `invalid_query` (a bad `day`), with `fields`", body = ErrorBody),
        (status = 503, description = "`unavailable`: the leaderboard store or the database is unreachable", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds"))),
    )
)]
#[get("/campaigns/<slug>/leaderboard?<region>&<day>&<live>&<limit>&<offset>")]
#[allow(clippy::too_many_arguments)]
async fn leaderboard(
    slug: &str,
    region: Option<&str>,
    day: Option<&str>,
    live: Option<bool>,
    limit: Option<u64>,
    offset: Option<u64>,
    user: Option<User>,
    quiz: &State<Quiz>,
) -> ApiResult<Json<Leaderboard>> {
    let campaign = quiz.published(slug).await?;
    let scores = quiz.scores();
    let board = scores.board_for(region, day, live.unwrap_or(false), quiz.now())?;
    let page = scores
        .leaderboard(&campaign.scoring(), &board, offset.unwrap_or(0), limit.unwrap_or(50), user.map(|u| u.0.id))
        .await?;
    Ok(Json(page))
}

/// The rows of a board around the caller.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{slug}/leaderboard/around-me",
    tag = "leaderboards",
    security(("bearer" = [])),
    params(
        ("slug" = String, Path, description = "the campaign slug", example = "2023-civil-code-month"),
        ("radius" = Option<u64>, Query, description = "rows above and below (default 5)"),
        ("region" = Option<String>, Query, description = "a township or village code: that region's board"),
        ("day" = Option<String>, Query, pattern = r"^(today|[0-9]{4}-[0-9]{2}-[0-9]{2})$", description = "`today` or `YYYY-MM-DD` (Asia/Shanghai): that day's board"),
    ),
    responses(
        (status = 200, description = "the rows around the caller", body = Leaderboard),
        (status = 404, description = "`not_found`: no such published campaign", body = ErrorBody),
        (status = 422, description = "`unknown_region` or `invalid_query` (a bad `day`), with `fields`", body = ErrorBody),
        (status = 503, description = "`unavailable`: the leaderboard store or the database is unreachable", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds"))),
    )
)]
#[get("/campaigns/<slug>/leaderboard/around-me?<radius>&<region>&<day>")]
async fn around_me(
    slug: &str,
    radius: Option<u64>,
    region: Option<&str>,
    day: Option<&str>,
    user: User,
    quiz: &State<Quiz>,
) -> ApiResult<Json<Leaderboard>> {
    let campaign = quiz.published(slug).await?;
    let board = quiz.scores().board_for(region, day, false, quiz.now())?;
    Ok(Json(quiz.scores().around(&campaign.scoring(), &board, user.0.id, radius.unwrap_or(5)).await?))
}

/// Participation and average score per township (or village).
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{slug}/regions",
    tag = "leaderboards",
    params(
        ("slug" = String, Path, description = "the campaign slug", example = "2023-civil-code-month"),
        ("level" = Option<RegionLevel>, Query, description = "`township` (default) or `village`"),
    ),
    responses(
        (status = 200, description = "one row per region", body = Vec<RegionStat>),
        (status = 404, description = "`not_found`: no such published campaign", body = ErrorBody),
        (status = 422, description = "`invalid_query`: a bad `level`", body = ErrorBody),
        (status = 503, description = "`unavailable`: the leaderboard store or the database is unreachable", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds"))),
    )
)]
#[get("/campaigns/<slug>/regions?<level>")]
async fn region_stats(slug: &str, level: Option<&str>, quiz: &State<Quiz>) -> ApiResult<Json<Vec<RegionStat>>> {
    let campaign = quiz.published(slug).await?;
    let level = match level {
        None | Some("township") => RegionLevel::Township,
        Some("village") => RegionLevel::Village,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "invalid_query",
                "level",
                "只能是township（苏木镇）或village（嘎查村）",
            ));
        }
    };
    Ok(Json(quiz.scores().region_stats(&campaign.scoring(), level).await?))
}

/// One event of `GET /api/v1/campaigns/{slug}/live`, as an SSE client reads it.
#[derive(utoipa::ToSchema)]
pub struct BoardEvent {
    pub event: BoardEventName,
    /// The snapshot's `seq` (what a reconnecting client sends as `Last-Event-ID`).
    pub id: String,
    #[schema(schema_with = snapshot_json)]
    pub data: String,
}

#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum BoardEventName {
    Board,
}

/// `data`: a `LiveSnapshot` as JSON (JSON Schema's `contentMediaType` and `contentSchema`).
fn snapshot_json() -> utoipa::openapi::Object {
    let mut data = utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .content_media_type("application/json")
        .description(Some("a `LiveSnapshot` as JSON"))
        .build();
    data.extensions
        .get_or_insert_with(Default::default)
        .insert("contentSchema".into(), serde_json::json!({ "$ref": "#/components/schemas/LiveSnapshot" }));
    data
}

/// Server-sent events: a `board` event with the top of the board whenever it changes.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{slug}/live",
    tag = "leaderboards",
    params(("slug" = String, Path, description = "the campaign slug", example = "2023-civil-code-month")),
    responses(
        (status = 200, description = "a stream of `board` events (the current snapshot first, then one per change) and heartbeat comments", body = BoardEvent, content_type = "text/event-stream"),
        (status = 404, description = "`not_found`: no such published campaign", body = ErrorBody),
    )
)]
#[get("/campaigns/<slug>/live")]
async fn live(slug: &str, quiz: &State<Quiz>, mut shutdown: Shutdown) -> ApiResult<EventStream![Event + 'static]> {
    let campaign = quiz.published(slug).await?;
    let mut updates = quiz.scores().subscribe(&campaign.scoring());
    Ok(EventStream! {
        loop {
            let snapshot = updates.borrow_and_update().clone();
            if let Some(snapshot) = snapshot {
                yield Event::json(&*snapshot).event("board").id(snapshot.seq.to_string());
            }
            rocket::tokio::select! {
                changed = updates.changed() => if changed.is_err() { break },
                _ = &mut shutdown => break,
            }
        }
    }
    .heartbeat(std::time::Duration::from_secs(15)))
}

/// Rebuilds every board of a campaign exactly from SQL.
#[utoipa::path(
    post,
    path = "/api/v1/admin/campaigns/{slug}/scores/rebuild",
    tag = "leaderboards",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "the campaign slug", example = "2023-civil-code-month")),
    responses(
        (status = 200, description = "rebuilt", body = RebuildReport),
        (status = 404, description = "`not_found`: no such published campaign", body = ErrorBody),
        (status = 503, description = "`unavailable`: the leaderboard store or the database is unreachable", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds"))),
    )
)]
#[post("/admin/campaigns/<slug>/scores/rebuild")]
async fn rebuild_boards(
    slug: &str,
    admin: Admin,
    ops: &State<crate::admin::AdminOps>,
) -> ApiResult<Json<RebuildReport>> {
    Ok(Json(ops.rebuild_boards(admin.0.id, slug).await?))
}

//! Leaderboards, regional participation, the live stream and board rebuilds.

use rocket::response::stream::{Event, EventStream};
use rocket::serde::json::Json;
use rocket::{Shutdown, State, get, post, routes};

use super::guards::{Admin, User};
use crate::error::{ApiError, ApiResult};
use crate::quiz::Quiz;
use crate::scores::service::ScoresError;
use crate::scores::{Leaderboard, RebuildReport, RegionLevel, RegionStat};

pub fn routes() -> Vec<rocket::Route> {
    routes![leaderboard, around_me, region_stats, live, rebuild_boards]
}

impl From<ScoresError> for ApiError {
    fn from(err: ScoresError) -> Self {
        match err {
            ScoresError::Live(e) => {
                tracing::warn!(error = %e, "live store unavailable for a board read");
                ApiError::Unavailable("the leaderboard is temporarily unavailable")
            }
            ScoresError::Db(e) => ApiError::from(e),
            ScoresError::UnknownRegion => ApiError::invalid_field("unknown_region", "region", "no such region code"),
            ScoresError::BadDay => ApiError::invalid_field("invalid_query", "day", "YYYY-MM-DD or today"),
        }
    }
}

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
    let page =
        scores.leaderboard(&campaign, &board, offset.unwrap_or(0), limit.unwrap_or(50), user.map(|u| u.0.id)).await?;
    Ok(Json(page))
}

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
    Ok(Json(quiz.scores().around(&campaign, &board, user.0.id, radius.unwrap_or(5)).await?))
}

#[get("/campaigns/<slug>/regions?<level>")]
async fn region_stats(slug: &str, level: Option<&str>, quiz: &State<Quiz>) -> ApiResult<Json<Vec<RegionStat>>> {
    let campaign = quiz.published(slug).await?;
    let level = match level {
        None | Some("township") => RegionLevel::Township,
        Some("village") => RegionLevel::Village,
        Some(_) => return Err(ApiError::invalid_field("invalid_query", "level", "township or village")),
    };
    Ok(Json(quiz.scores().region_stats(&campaign, level).await?))
}

/// Server-sent events: a `board` event with the top of the board whenever it changes.
#[get("/campaigns/<slug>/live")]
async fn live(slug: &str, quiz: &State<Quiz>, mut shutdown: Shutdown) -> ApiResult<EventStream![Event + 'static]> {
    let campaign = quiz.published(slug).await?;
    let mut updates = quiz.scores().subscribe(&campaign);
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

#[post("/admin/campaigns/<slug>/scores/rebuild")]
async fn rebuild_boards(
    slug: &str,
    admin: Admin,
    ops: &State<crate::admin::AdminOps>,
) -> ApiResult<Json<RebuildReport>> {
    Ok(Json(ops.rebuild_boards(admin.0.id, slug).await?))
}

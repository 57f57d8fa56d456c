//! 你点我讲: residents name a topic they want explained; staff answer with a lesson or decline
//! with a reason. At most `DAILY_CAP` requests a resident a day (Asia/Shanghai), held by the
//! database itself: the n-th request of a day takes slot n, unique per resident and day.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, SqlErr,
};
use serde::Serialize;

use super::index::LessonLink;
use super::store::by_slug;
use super::{Lessons, LessonsError};
use crate::clock::{shanghai_day, shanghai_midnight};
use crate::db::entity::{lesson, lesson_request};
use crate::problems::FieldProblem;

/// Requests one resident may make in a day.
pub const DAILY_CAP: u64 = 5;
pub const MAX_TOPIC_CHARS: usize = 200;
/// Topics listed with their counts for planning.
const TOP_TOPICS: u64 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RequestState {
    /// Waiting for the bureau.
    Received,
    /// A lesson answers it.
    Answered,
    /// The bureau will not make this lesson, and says why.
    Declined,
}

impl RequestState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Answered => "answered",
            Self::Declined => "declined",
        }
    }

    /// A state named in a query.
    pub fn parse(raw: &str) -> Result<Self, LessonsError> {
        match raw {
            "received" => Ok(Self::Received),
            "answered" => Ok(Self::Answered),
            "declined" => Ok(Self::Declined),
            _ => Err(LessonsError::InvalidQuery(FieldProblem::new(
                "state",
                "状态只能是 received（已收到）、answered（已答复）或 declined（不安排）",
            ))),
        }
    }

    fn of(stored: &str) -> Self {
        Self::parse(stored).unwrap_or(Self::Received)
    }
}

/// Text a person typed: trimmed, inner runs of spaces made one, `2..=200` characters, no control
/// characters (so the same topic typed twice counts as one).
fn short_text(raw: &str, what: &str) -> Result<String, String> {
    if raw.chars().any(char::is_control) {
        return Err(format!("{what}不能含换行或控制字符"));
    }
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let count = text.chars().count();
    if (2..=MAX_TOPIC_CHARS).contains(&count) {
        Ok(text)
    } else {
        Err(format!("{what}要写2到{MAX_TOPIC_CHARS}个字，现在是{count}个字"))
    }
}

/// A request as its resident sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LessonRequestView {
    pub id: i64,
    #[schema(example = "草场被占了怎么办")]
    pub topic: String,
    pub state: RequestState,
    pub created_at: DateTime<Utc>,
    /// The lesson that answers it (`answered`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub lesson: Option<LessonLink>,
    /// Why it was declined (`declined`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub decided_at: Option<DateTime<Utc>>,
}

/// A request as staff see it: who asked, and who decided.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffLessonRequest {
    #[serde(flatten)]
    pub request: LessonRequestView,
    pub user_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub decided_by: Option<i64>,
}

/// A topic and how many requests name it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct TopicCount {
    pub topic: String,
    pub requests: u64,
}

/// The staff list: a page of requests, the counts by state, and the most asked topics.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffRequestPage {
    pub items: Vec<StaffLessonRequest>,
    /// Requests matching the filter.
    pub total: u64,
    pub received: u64,
    pub answered: u64,
    pub declined: u64,
    /// The most asked topics among the matching requests, most asked first (at most 50).
    pub topics: Vec<TopicCount>,
}

impl Lessons {
    /// A resident asks for a lesson on a topic.
    pub async fn ask(&self, user_id: i64, topic: &str) -> Result<LessonRequestView, LessonsError> {
        let topic = short_text(topic, "想听的话题").map_err(LessonsError::InvalidTopic)?;
        let now = self.clock.now();
        let day = shanghai_day(now);
        let same_day = || {
            lesson_request::Entity::find()
                .filter(lesson_request::Column::UserId.eq(user_id))
                .filter(lesson_request::Column::CreatedDay.eq(day.to_string()))
        };
        let until_tomorrow = || {
            let tomorrow = shanghai_midnight(day.succ_opt().unwrap_or(day));
            // Rounded up: a client that waits this long finds the new day begun.
            u64::try_from((tomorrow - now).num_milliseconds()).unwrap_or(0).div_ceil(1000).max(1)
        };
        // Two requests racing for the same slot: the loser counts again and takes the next. Every
        // loss means one more slot is taken, so the cap is reached within `DAILY_CAP + 1` rounds.
        for _ in 0..=DAILY_CAP {
            let made = same_day().count(&self.db).await?;
            if made >= DAILY_CAP {
                return Err(LessonsError::TooManyRequests { retry_after_secs: until_tomorrow() });
            }
            let inserted = lesson_request::ActiveModel {
                user_id: Set(user_id),
                topic: Set(topic.clone()),
                state: Set(RequestState::Received.as_str().to_owned()),
                created_at: Set(now),
                created_day: Set(day.to_string()),
                day_seq: Set(i16::try_from(made + 1).unwrap_or(i16::MAX)),
                ..Default::default()
            }
            .insert(&self.db)
            .await;
            match inserted {
                Ok(row) => return Ok(self.views(vec![row]).await?.remove(0).request),
                Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(LessonsError::TooManyRequests { retry_after_secs: until_tomorrow() })
    }

    /// The caller's requests, newest first.
    pub async fn my_requests(
        &self,
        user_id: i64,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<LessonRequestView>, LessonsError> {
        let rows = lesson_request::Entity::find()
            .filter(lesson_request::Column::UserId.eq(user_id))
            .order_by_desc(lesson_request::Column::Id)
            .offset(offset.min(crate::db::MAX_OFFSET))
            .limit(limit.clamp(1, 100))
            .all(&self.db)
            .await?;
        Ok(self.views(rows).await?.into_iter().map(|v| v.request).collect())
    }

    /// Requests for staff, oldest waiting first, with counts to plan lessons by.
    pub async fn staff_requests(
        &self,
        state: Option<RequestState>,
        offset: u64,
        limit: u64,
    ) -> Result<StaffRequestPage, LessonsError> {
        let matching = || {
            let query = lesson_request::Entity::find();
            match state {
                Some(state) => query.filter(lesson_request::Column::State.eq(state.as_str())),
                None => query,
            }
        };
        let total = matching().count(&self.db).await?;
        let rows = matching()
            .order_by_asc(lesson_request::Column::Id)
            .offset(offset.min(crate::db::MAX_OFFSET))
            .limit(limit.clamp(1, 200))
            .all(&self.db)
            .await?;
        let by_state = |s: RequestState| {
            lesson_request::Entity::find().filter(lesson_request::Column::State.eq(s.as_str())).count(&self.db)
        };
        let (received, answered, declined) = (
            by_state(RequestState::Received).await?,
            by_state(RequestState::Answered).await?,
            by_state(RequestState::Declined).await?,
        );
        let count = Expr::from(Func::count(Expr::col(lesson_request::Column::Id)));
        let topics = matching()
            .select_only()
            .column(lesson_request::Column::Topic)
            .column_as(count.clone(), "requests")
            .group_by(lesson_request::Column::Topic)
            .order_by(count, Order::Desc)
            .order_by_asc(lesson_request::Column::Topic)
            .limit(TOP_TOPICS)
            .into_tuple::<(String, i64)>()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|(topic, requests)| TopicCount { topic, requests: u64::try_from(requests).unwrap_or(0) })
            .collect();
        Ok(StaffRequestPage { items: self.views(rows).await?, total, received, answered, declined, topics })
    }

    /// Answers a request with a published lesson.
    pub async fn answer_request(&self, actor: i64, id: &str, slug: &str) -> Result<StaffLessonRequest, LessonsError> {
        let row = self.request(id).await?;
        let lesson = by_slug(&self.db, slug).await?.ok_or(LessonsError::NoSuchLesson)?;
        if !lesson.published {
            return Err(LessonsError::LessonNotPublished);
        }
        self.decide(actor, row, RequestState::Answered, Some(lesson.id), None).await
    }

    /// Declines a request, saying why.
    pub async fn decline_request(
        &self,
        actor: i64,
        id: &str,
        reason: &str,
    ) -> Result<StaffLessonRequest, LessonsError> {
        let reason = short_text(reason, "不安排的原因").map_err(LessonsError::InvalidReason)?;
        let row = self.request(id).await?;
        self.decide(actor, row, RequestState::Declined, None, Some(reason)).await
    }

    async fn request(&self, id: &str) -> Result<lesson_request::Model, LessonsError> {
        let id: i64 = id.parse().map_err(|_| LessonsError::NotFound)?;
        lesson_request::Entity::find_by_id(id).one(&self.db).await?.ok_or(LessonsError::NotFound)
    }

    async fn decide(
        &self,
        actor: i64,
        row: lesson_request::Model,
        state: RequestState,
        lesson_id: Option<i64>,
        reason: Option<String>,
    ) -> Result<StaffLessonRequest, LessonsError> {
        let mut model: lesson_request::ActiveModel = row.into();
        model.state = Set(state.as_str().to_owned());
        model.lesson_id = Set(lesson_id);
        model.reason = Set(reason);
        model.decided_at = Set(Some(self.clock.now()));
        model.decided_by = Set(Some(actor));
        let row = model.update(&self.db).await?;
        Ok(self.views(vec![row]).await?.remove(0))
    }

    /// Rows as views, with their lessons' slugs and titles (one query for all).
    async fn views(&self, rows: Vec<lesson_request::Model>) -> Result<Vec<StaffLessonRequest>, LessonsError> {
        let ids: Vec<i64> = rows.iter().filter_map(|r| r.lesson_id).collect();
        let lessons: HashMap<i64, LessonLink> = if ids.is_empty() {
            HashMap::new()
        } else {
            lesson::Entity::find()
                .filter(lesson::Column::Id.is_in(ids))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|l| (l.id, LessonLink { slug: l.slug, title: l.title }))
                .collect()
        };
        Ok(rows
            .into_iter()
            .map(|r| StaffLessonRequest {
                request: LessonRequestView {
                    id: r.id,
                    state: RequestState::of(&r.state),
                    lesson: r.lesson_id.and_then(|id| lessons.get(&id).cloned()),
                    topic: r.topic,
                    created_at: r.created_at,
                    reason: r.reason,
                    decided_at: r.decided_at,
                },
                user_id: r.user_id,
                decided_by: r.decided_by,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_trimmed_squeezed_and_bounded() {
        assert_eq!(short_text("  草场  被占了 ", "话题"), Ok("草场 被占了".to_owned()));
        assert!(short_text("草", "话题").is_err());
        assert!(short_text(&"草".repeat(201), "话题").is_err());
        assert!(short_text("草场\n被占", "话题").is_err());
        assert!(short_text("草场\u{0}", "话题").is_err());
    }
}

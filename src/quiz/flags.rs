//! Attempts kept off the boards and out of the draw for answering faster than a person reads
//! (`plausibility`), as staff review them: the list of a campaign, and clearing one, which puts it
//! back on the boards at once.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use super::{Campaign, Quiz, QuizError};
use crate::accounts::mask_phone;
use crate::db::entity::{quiz_session, user};
use crate::plausibility::QUICK_LIMIT;

/// The most a campaign's list shows (the most recent first).
const LIST_LIMIT: u64 = 1000;

/// A flagged attempt as staff see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FlaggedAttempt {
    pub session_id: String,
    pub user_id: i64,
    pub display_name: String,
    pub phone_masked: String,
    pub score: i32,
    pub correct: i32,
    pub total: i32,
    /// Answers faster than the campaign's floor after the previous one.
    pub quick_answers: i32,
    /// Why, in words.
    pub flag_reason: String,
    #[schema(required = true)]
    pub finished_at: Option<DateTime<Utc>>,
    /// Set once staff cleared it: it counts again.
    #[schema(required = true)]
    pub cleared_at: Option<DateTime<Utc>>,
}

impl FlaggedAttempt {
    fn of(session: quiz_session::Model, person: Option<&user::Model>) -> Self {
        Self {
            flag_reason: session.flag_reason.unwrap_or_default(),
            session_id: session.id,
            user_id: session.user_id,
            display_name: person.map_or_else(String::new, |p| p.display_name.clone()),
            phone_masked: person.map_or_else(String::new, |p| mask_phone(&p.phone)),
            score: session.score,
            correct: session.correct,
            total: session.total,
            quick_answers: session.quick_answers,
            finished_at: session.finished_at,
            cleared_at: session.flag_cleared_at,
        }
    }
}

impl Quiz {
    /// A campaign's flagged attempts, the most recent first, cleared ones included.
    pub async fn flagged(&self, slug: &str) -> Result<Vec<FlaggedAttempt>, QuizError> {
        let campaign = self.campaign_row_by_slug(slug).await?;
        let sessions = quiz_session::Entity::find()
            .filter(quiz_session::Column::CampaignId.eq(campaign.id))
            .filter(quiz_session::Column::FinishedAt.is_not_null())
            .filter(quiz_session::Column::QuickAnswers.gte(QUICK_LIMIT))
            .order_by_desc(quiz_session::Column::FinishedAt)
            .limit(LIST_LIMIT)
            .all(&self.db)
            .await?;
        let people: std::collections::HashMap<i64, user::Model> = user::Entity::find()
            .filter(user::Column::Id.is_in(sessions.iter().map(|s| s.user_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        Ok(sessions.into_iter().map(|s| FlaggedAttempt::of(s.clone(), people.get(&s.user_id))).collect())
    }

    /// The flagged attempt `id` and its campaign, for staff about to clear it.
    pub async fn flagged_attempt(&self, id: &str) -> Result<(quiz_session::Model, Campaign), QuizError> {
        let session =
            quiz_session::Entity::find_by_id(id.to_owned()).one(&self.db).await?.ok_or(QuizError::NotFound)?;
        if session.finished_at.is_none() || session.quick_answers < QUICK_LIMIT {
            return Err(QuizError::NotFlagged);
        }
        let row = super::campaign_row::Entity::find_by_id(session.campaign_id)
            .one(&self.db)
            .await?
            .ok_or(QuizError::NotFound)?;
        Ok((session, Campaign::from_row(row)))
    }

    /// Clears a flag by `staff_id`: the attempt counts again, on every board at once. Clearing a
    /// cleared attempt changes nothing.
    pub async fn clear_flag(
        &self,
        session: quiz_session::Model,
        campaign: &Campaign,
        staff_id: i64,
    ) -> Result<FlaggedAttempt, QuizError> {
        let person = user::Entity::find_by_id(session.user_id).one(&self.db).await?;
        if session.flag_cleared_at.is_some() {
            return Ok(FlaggedAttempt::of(session, person.as_ref()));
        }
        let mut row: quiz_session::ActiveModel = session.into();
        row.flag_cleared_at = Set(Some(self.now()));
        row.flag_cleared_by = Set(Some(staff_id));
        let cleared = row.update(&self.db).await?;
        self.scores.record_finish(&cleared, &campaign.scoring()).await;
        Ok(FlaggedAttempt::of(cleared, person.as_ref()))
    }
}

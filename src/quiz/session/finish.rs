//! Finishing: by the resident (`finish`), or when the time ran out (`sweep_expired`, and any read
//! of an expired session). A session finishes once; its boards are then rewritten from SQL.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};

use super::super::campaign::{Campaign, Reveal};
use super::super::commit::FinishWrite;
use super::super::{Quiz, QuizError};
use super::SessionResult;
use crate::db::entity::{campaign as campaign_row, quiz_session};
use crate::plausibility;

impl Quiz {
    /// Finishes a session (explicitly). Finishing twice returns the same result.
    pub async fn finish(&self, user_id: i64, id: &str) -> Result<SessionResult, QuizError> {
        // The cached row saves a read; if it is stale (finished elsewhere) finish_row reads SQL.
        let cached = self.sessions.session(id).filter(|s| s.user_id == user_id);
        let (mut session, campaign) = match cached {
            Some(session) => self.settled(session).await?,
            None => self.own_session(user_id, id).await?,
        };
        if session.finished_at.is_none() {
            session = self.finish_row(&session, &campaign, self.now()).await?;
        }
        let (rows, questions) = self.drawn(&session.id).await?;
        self.result(&session, &campaign, &rows, &questions).await
    }

    /// Marks the session finished with what it has (never past its deadline) and frees the
    /// in-progress slot. Idempotent: a session finished concurrently is read back.
    pub(super) async fn finish_row(
        &self,
        session: &quiz_session::Model,
        campaign: &Campaign,
        now: DateTime<Utc>,
    ) -> Result<quiz_session::Model, QuizError> {
        let finished_at = std::cmp::min(now, session.deadline);
        let duration_ms = std::cmp::max((finished_at - session.started_at).num_milliseconds(), 0);
        let write = FinishWrite {
            session_id: session.id.clone(),
            finished_at,
            duration_ms,
            note_mistakes: campaign.reveal == Reveal::AtEnd,
        };
        let finished = self.writes.finish_session(write).await?;
        self.sessions.forget(&session.id);
        let mut stored = match finished {
            Some(row) => row,
            None => {
                quiz_session::Entity::find_by_id(session.id.clone()).one(&self.db).await?.ok_or(QuizError::NotFound)?
            }
        };
        if plausibility::implausible(stored.quick_answers) && stored.flag_reason.is_none() {
            // The boards and the draw leave it out by its quick answers already; the words are
            // for the staff's list.
            let reason = plausibility::reason(stored.quick_answers, campaign.min_ms_per_answer);
            let mut flagged: quiz_session::ActiveModel = stored.clone().into();
            flagged.flag_reason = sea_orm::ActiveValue::Set(Some(reason));
            stored = sea_orm::ActiveModelTrait::update(flagged, &self.db).await?;
        }
        self.scores.record_finish(&stored, &campaign.scoring()).await;
        Ok(stored)
    }

    /// Sessions in progress now (for /metrics).
    pub async fn live_sessions(&self) -> Result<u64, DbErr> {
        use sea_orm::PaginatorTrait;
        quiz_session::Entity::find()
            .filter(quiz_session::Column::FinishedAt.is_null())
            .filter(quiz_session::Column::Deadline.gt(self.now() - self.grace))
            .count(&self.db)
            .await
    }

    /// Finishes every session whose time ran out (the sweeper calls this now and then).
    pub async fn sweep_expired(&self) -> Result<usize, QuizError> {
        let now = self.now();
        self.sessions.forget_ended(now - self.grace);
        let overdue = quiz_session::Entity::find()
            .filter(quiz_session::Column::FinishedAt.is_null())
            .filter(quiz_session::Column::Deadline.lt(now - self.grace))
            .all(&self.db)
            .await?;
        let mut campaigns: HashMap<i64, Campaign> = HashMap::new();
        for session in &overdue {
            if !campaigns.contains_key(&session.campaign_id)
                && let Some(row) = campaign_row::Entity::find_by_id(session.campaign_id).one(&self.db).await?
            {
                campaigns.insert(session.campaign_id, Campaign::from_row(row));
            }
            if let Some(campaign) = campaigns.get(&session.campaign_id) {
                self.finish_row(session, campaign, now).await?;
            }
        }
        Ok(overdue.len())
    }
}

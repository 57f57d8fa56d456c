//! A quiz session: start (`start`: the draw), resume (here), answer (`answer`: graded, stored
//! before the reply), finish (`finish`: by the resident, or by the sweeper when time ran out), and
//! what the resident sees of it (`views`). The answer key never leaves the server before it may:
//! `views` decides when.

mod answer;
mod finish;
mod start;
mod views;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

pub(super) use self::views::options_shown;
pub use self::views::{AnswerOutcome, OptionView, ReviewItem, SessionResult, SessionView};
use super::campaign::Campaign;
use super::{Questions, Quiz, QuizError};
use crate::bank::IndexedQuestion;
use crate::db::entity::{campaign as campaign_row, question_revision, quiz_session, session_question};

fn is_session_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Quiz {
    pub(super) fn expired(&self, session: &quiz_session::Model, now: DateTime<Utc>) -> bool {
        now > session.deadline + self.grace
    }

    /// A session of this user (another user's is "not found"); finishes it if its time ran out.
    pub(super) async fn own_session(
        &self,
        user_id: i64,
        id: &str,
    ) -> Result<(quiz_session::Model, Arc<Campaign>), QuizError> {
        if !is_session_id(id) {
            return Err(QuizError::NotFound);
        }
        let session = quiz_session::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?
            .filter(|s| s.user_id == user_id)
            .ok_or(QuizError::NotFound)?;
        self.settled(session).await
    }

    /// The session with its campaign, finished first if its time ran out.
    pub(super) async fn settled(
        &self,
        session: quiz_session::Model,
    ) -> Result<(quiz_session::Model, Arc<Campaign>), QuizError> {
        let campaign = self.campaign_by_id(session.campaign_id).await?;
        if session.finished_at.is_none() && self.expired(&session, self.now()) {
            let finished = self.finish_row(&session, &campaign, self.now()).await?;
            return Ok((finished, campaign));
        }
        Ok((session, campaign))
    }

    /// A campaign by id, from the short-lived cache or SQL.
    pub(super) async fn campaign_by_id(&self, id: i64) -> Result<Arc<Campaign>, QuizError> {
        if let Some(campaign) = self.campaigns.get(id) {
            return Ok(campaign);
        }
        let row = campaign_row::Entity::find_by_id(id).one(&self.db).await?.ok_or(QuizError::NotFound)?;
        let campaign = Arc::new(Campaign::from_row(row));
        self.campaigns.keep(Arc::clone(&campaign));
        Ok(campaign)
    }

    /// The session and the question at `position`, from the cache of sessions in progress or SQL.
    pub(super) async fn session_question(
        &self,
        user_id: i64,
        id: &str,
        position: i32,
    ) -> Result<(quiz_session::Model, session_question::Model, Arc<Campaign>), QuizError> {
        if !is_session_id(id) {
            return Err(QuizError::NotFound);
        }
        let (session, question) = match self.sessions.question(id, position) {
            Some((session, question)) => (session, question),
            None => {
                let session = quiz_session::Entity::find_by_id(id.to_owned()).one(&self.db).await?;
                let session = session.filter(|s| s.user_id == user_id).ok_or(QuizError::NotFound)?;
                let rows = session_question::Entity::find()
                    .filter(session_question::Column::SessionId.eq(id))
                    .order_by_asc(session_question::Column::Position)
                    .all(&self.db)
                    .await?;
                self.sessions.keep(&session, &rows);
                let question = rows.into_iter().find(|q| q.position == position);
                (session, question)
            }
        };
        if session.user_id != user_id {
            return Err(QuizError::NotFound);
        }
        let question = question.ok_or(QuizError::NotFound)?;
        let (session, campaign) = self.settled(session).await?;
        Ok((session, question, campaign))
    }

    pub async fn session(&self, user_id: i64, id: &str) -> Result<SessionView, QuizError> {
        let (session, campaign) = self.own_session(user_id, id).await?;
        self.view(&session, &campaign).await
    }

    pub(super) async fn drawn(&self, session_id: &str) -> Result<(Vec<session_question::Model>, Questions), DbErr> {
        let rows = session_question::Entity::find()
            .filter(session_question::Column::SessionId.eq(session_id))
            .order_by_asc(session_question::Column::Position)
            .all(&self.db)
            .await?;
        let questions = self.questions_for(rows.iter().map(|r| r.revision_id)).await?;
        Ok((rows, questions))
    }

    /// The revisions a session drew: from the index, or SQL for revisions no longer current.
    pub(super) async fn questions_for(&self, ids: impl Iterator<Item = i64>) -> Result<Questions, DbErr> {
        let mut found: Questions = HashMap::new();
        let mut missing = Vec::new();
        for id in ids {
            match self.banks.index().get(id) {
                Some(q) => {
                    found.insert(id, q);
                }
                None => missing.push(id),
            }
        }
        if !missing.is_empty() {
            for row in question_revision::Entity::find()
                .filter(question_revision::Column::Id.is_in(missing))
                .all(&self.db)
                .await?
            {
                if let Some(q) = IndexedQuestion::from_row(row) {
                    found.insert(q.revision_id, Arc::new(q));
                }
            }
        }
        Ok(found)
    }
}

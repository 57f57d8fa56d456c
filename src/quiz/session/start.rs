//! Starting an attempt: the campaign is open, the attempt limits allow it, no other attempt is in
//! progress; then a fresh seeded draw, stored through the write lanes.

use std::collections::HashSet;

use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use super::super::attempts::AttemptLimit;
use super::super::campaign::CampaignState;
use super::super::commit::{StartWrite, Started};
use super::super::draw::{draw_questions, fresh_seed, seed_hex};
use super::super::{Quiz, QuizError};
use super::SessionView;
use crate::clock::shanghai_day;
use crate::db::entity::{question_revision, quiz_session, session_question};

fn in_progress_key(user_id: i64, campaign_id: i64) -> String {
    format!("{user_id}:{campaign_id}")
}

impl Quiz {
    /// Starts an attempt: attempt limits, one session in progress, a fresh seeded draw.
    pub async fn start_session(&self, user_id: i64, slug: &str) -> Result<SessionView, QuizError> {
        let campaign = self.published(slug).await?;
        let now = self.now();
        if campaign.state(now) != CampaignState::Open {
            return Err(QuizError::CampaignNotOpen);
        }
        let sessions = self.sessions_of(campaign.id, user_id).await?;
        if let Some(open) = sessions.iter().find(|s| s.finished_at.is_none()) {
            if self.expired(open, now) {
                self.finish_row(open, &campaign, now).await?;
            } else {
                return Err(QuizError::SessionInProgress(open.id.clone()));
            }
        }
        let today = shanghai_day(now).to_string();
        let attempts = self.count_attempts(&campaign, &sessions);
        if let Some(limit) = attempts.refusal(campaign.attempts_per_day, campaign.max_attempts) {
            return Err(QuizError::AttemptLimitReached { today: limit == AttemptLimit::Today });
        }

        let seen = self.seen_questions(&sessions).await?;
        let seed = fresh_seed();
        let drawn =
            draw_questions(self.banks.index(), &campaign.rule(), &seen, seed).map_err(QuizError::NotEnoughQuestions)?;
        let id = crate::digest::hex(&rand::random::<[u8; 16]>());
        let deadline = now + chrono::Duration::seconds(i64::from(campaign.time_limit_secs));
        let attempt = i32::try_from(sessions.len() + 1).unwrap_or(i32::MAX);
        let session = quiz_session::Model {
            id: id.clone(),
            user_id,
            campaign_id: campaign.id,
            attempt,
            seed: seed_hex(&seed),
            started_at: now,
            started_day: today,
            deadline,
            finished_at: None,
            score: 0,
            correct: 0,
            total: i32::try_from(drawn.len()).unwrap_or(i32::MAX),
            duration_ms: None,
            in_progress_key: Some(in_progress_key(user_id, campaign.id)),
            quick_answers: 0,
            flag_reason: None,
            flag_cleared_at: None,
            flag_cleared_by: None,
        };
        let drawn_rows: Vec<session_question::Model> = drawn
            .iter()
            .enumerate()
            .map(|(position, d)| session_question::Model {
                session_id: id.clone(),
                position: i32::try_from(position + 1).unwrap_or(i32::MAX),
                revision_id: d.revision_id,
                permutation: d.order.code(),
                choice: None,
                correct: None,
                answered_at: None,
            })
            .collect();
        let write = StartWrite { session: session.clone(), questions: drawn_rows.clone() };
        if self.writes.start_session(write).await? == Started::InProgress {
            // Another start won the race: the unique in-progress key lets exactly one through.
            let open = self.sessions_of(campaign.id, user_id).await?.into_iter().find(|s| s.finished_at.is_none());
            return match open {
                Some(open) => Err(QuizError::SessionInProgress(open.id)),
                // ...and finished already: start afresh, on the attempts as they are now.
                None => Box::pin(self.start_session(user_id, slug)).await,
            };
        }
        self.sessions.keep(&session, &drawn_rows);
        let questions = self.questions_for(drawn_rows.iter().map(|r| r.revision_id)).await?;
        self.view_of(&session, &campaign, &drawn_rows, &questions).await
    }

    /// (bank, key) of every question in the user's earlier attempts at this campaign.
    async fn seen_questions(&self, sessions: &[quiz_session::Model]) -> Result<HashSet<(String, String)>, DbErr> {
        if sessions.is_empty() {
            return Ok(HashSet::new());
        }
        let ids: Vec<String> = sessions.iter().map(|s| s.id.clone()).collect();
        let revision_ids: Vec<i64> = session_question::Entity::find()
            .select_only()
            .column(session_question::Column::RevisionId)
            .filter(session_question::Column::SessionId.is_in(ids))
            .into_tuple::<i64>()
            .all(&self.db)
            .await?;
        // Current revisions are in the index; only older ones need SQL.
        let mut seen = HashSet::new();
        let mut older = Vec::new();
        for id in revision_ids {
            match self.banks.index().get(id) {
                Some(q) => {
                    seen.insert((q.bank_key.clone(), q.key.clone()));
                }
                None => older.push(id),
            }
        }
        if !older.is_empty() {
            let pairs = question_revision::Entity::find()
                .select_only()
                .column(question_revision::Column::BankKey)
                .column(question_revision::Column::Key)
                .filter(question_revision::Column::Id.is_in(older))
                .into_tuple::<(String, String)>()
                .all(&self.db)
                .await?;
            seen.extend(pairs);
        }
        Ok(seen)
    }
}

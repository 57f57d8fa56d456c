//! Answering: one choice per position, final; graded by `grading::grade`; the reply waits until the
//! answer is committed (`commit`), then the boards follow off the reply path.

use std::sync::atomic::Ordering;

use super::super::campaign::{Campaign, Reveal};
use super::super::commit::{AnswerWrite, Stored};
use super::super::grading::{Choice, Permutation, RawChoice, grade};
use super::super::{Quiz, QuizError};
use super::AnswerOutcome;
use crate::bank::{IndexedQuestion, QuestionKind};
use crate::plausibility;

impl Quiz {
    /// The reply waits until the answer is committed (in a group commit with its neighbours).
    pub async fn answer(
        &self,
        user_id: i64,
        id: &str,
        position: u32,
        raw: &RawChoice,
    ) -> Result<AnswerOutcome, QuizError> {
        self.pace.take(user_id).map_err(|retry_after_secs| QuizError::TooFast { retry_after_secs })?;
        let position = i32::try_from(position).map_err(|_| QuizError::NotFound)?;
        self.store_answer(user_id, id, position, raw).await
    }

    async fn store_answer(
        &self,
        user_id: i64,
        id: &str,
        position: i32,
        raw: &RawChoice,
    ) -> Result<AnswerOutcome, QuizError> {
        let (session, row, campaign) = self.session_question(user_id, id, position).await?;
        let questions = self.questions_for(std::iter::once(row.revision_id)).await?;
        let q = questions.get(&row.revision_id).ok_or(QuizError::NotFound)?;
        let order = Permutation::from_code(&row.permutation).unwrap_or_else(|| Permutation::identity(0));
        let shown = if q.kind == QuestionKind::Judge { 0 } else { order.0.len() };
        let choice = Choice::parse(raw, q.kind, shown).map_err(QuizError::InvalidChoice)?;

        if let Some(stored) = &row.choice {
            return if *stored == choice.code() {
                Ok(self.outcome(&campaign, q, &order, row.correct.unwrap_or(false), session.score))
            } else {
                Err(QuizError::AlreadyAnswered)
            };
        }
        if session.finished_at.is_some() {
            let expired = session.finished_at.is_some_and(|f| f >= session.deadline);
            return Err(if expired { QuizError::SessionExpired } else { QuizError::SessionFinished });
        }

        let now = self.now();
        let correct = grade(&q.answer, &order, &choice);
        let previous = self.sessions.last_answered(id).unwrap_or(session.started_at).max(session.started_at);
        let at_end = campaign.reveal == Reveal::AtEnd;
        let write = AnswerWrite {
            session_id: session.id.clone(),
            position,
            choice: choice.code(),
            correct,
            points: if correct { i32::try_from(campaign.points_per_question).unwrap_or(0) } else { 0 },
            at: now,
            user_id,
            bank_key: q.bank_key.clone(),
            key: q.key.clone(),
            revision_id: q.revision_id,
            quick: plausibility::is_quick(now - previous, campaign.min_ms_per_answer),
            // Nothing about correctness reaches anyone before an at_end session finishes.
            note_mistake: !at_end,
        };
        match self.writes.answer(write).await? {
            Stored::Counted(after) => {
                // Committed: from here on nothing can lose the answer.
                self.answers_accepted.fetch_add(1, Ordering::Relaxed);
                let answered = self.sessions.answered(&after, position, &choice.code(), correct, now);
                // The live board shows an at_end session by its progress, never by its score, and
                // an implausible one not at all.
                if !plausibility::implausible(after.quick_answers) {
                    let shown = if at_end { answered } else { after.score };
                    self.scores.record_answer(&after, shown, now);
                }
                Ok(self.outcome(&campaign, q, &order, correct, after.score))
            }
            Stored::Raced => {
                // Another request (maybe on another instance) answered or finished first:
                // settle by what SQL holds now.
                self.sessions.forget(id);
                Box::pin(self.store_answer(user_id, id, position, raw)).await
            }
        }
    }

    fn outcome(
        &self,
        campaign: &Campaign,
        q: &IndexedQuestion,
        order: &Permutation,
        correct: bool,
        score: i32,
    ) -> AnswerOutcome {
        let reveal = campaign.reveal == Reveal::AfterEach;
        AnswerOutcome {
            accepted: true,
            correct: reveal.then_some(correct),
            answer: reveal.then(|| order.shown_answer(&q.answer)),
            explanation: reveal.then(|| q.explanation.clone()),
            basis: reveal.then(|| q.basis.clone()),
            score: reveal.then_some(score),
        }
    }
}

//! What a resident sees of a session: the questions in the session's option order, and the key,
//! explanation and basis only once they may be shown (after each answer, or at the end).

use chrono::{DateTime, Utc};
use sea_orm::{DbErr, EntityTrait};
use serde::Serialize;

use super::super::campaign::{Campaign, Reveal};
use super::super::grading::Permutation;
use super::super::{Questions, Quiz, QuizError};
use crate::bank::{IndexedQuestion, QuestionKind, letter};
use crate::db::entity::{quiz_session, session_question, user};
use crate::lessons::LessonLink;
use crate::plausibility;
use crate::prize::eligibility::PrizeNote;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OptionView {
    pub key: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionView {
    pub position: u32,
    pub kind: QuestionKind,
    pub category: String,
    pub stem: String,
    pub options: Vec<OptionView>,
    pub answered: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub choice: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub correct: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub answer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub explanation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub basis: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: String,
    pub campaign: String,
    pub campaign_title: String,
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    /// The server's clock, so a phone with a wrong clock still counts down right.
    pub server_time: DateTime<Utc>,
    pub time_limit_secs: u32,
    pub reveal: Reveal,
    pub finished: bool,
    /// Points so far; `null` while an at_end session runs (it would tell right from wrong).
    #[schema(required = true)]
    pub score: Option<i32>,
    pub questions: Vec<QuestionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub result: Option<SessionResult>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnswerOutcome {
    pub accepted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub correct: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub answer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub explanation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub basis: Option<Vec<String>>,
    #[schema(required = true)]
    pub score: Option<i32>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewItem {
    pub position: u32,
    pub kind: QuestionKind,
    pub stem: String,
    pub options: Vec<OptionView>,
    #[schema(required = true)]
    pub choice: Option<String>,
    pub answer: String,
    pub correct: bool,
    pub explanation: String,
    pub basis: Vec<String>,
    /// 相关案例: lessons on the articles of `basis`.
    pub lessons: Vec<LessonLink>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionResult {
    pub score: i32,
    pub correct: i32,
    pub total: i32,
    pub duration_ms: i64,
    /// The resident's rank on the campaign board (the same rank the board shows).
    #[schema(required = true)]
    pub rank: Option<u64>,
    /// Attempts the resident may still start today (for 再答一次).
    pub attempts_left: u32,
    /// Whether this result takes part in the prize, and if not, why (in words).
    pub prize: PrizeNote,
    /// Set when the attempt was answered faster than a person reads (`plausibility`): why, in
    /// words. Such an attempt is on no board and in no draw until staff clear it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub flagged: Option<String>,
    pub review: Vec<ReviewItem>,
}

/// The options as this session (or practice round) shows them; judge questions show 正确/错误.
pub(in crate::quiz) fn options_shown(q: &IndexedQuestion, order: &Permutation) -> Vec<OptionView> {
    if q.kind == QuestionKind::Judge {
        return vec![
            OptionView { key: "T".into(), text: "正确".into() },
            OptionView { key: "F".into(), text: "错误".into() },
        ];
    }
    order
        .0
        .iter()
        .enumerate()
        .map(|(shown, original)| OptionView {
            key: letter(u8::try_from(shown).unwrap_or(7)).to_string(),
            text: q.options.get(usize::from(*original)).cloned().unwrap_or_default(),
        })
        .collect()
}

impl Quiz {
    pub(super) async fn view(
        &self,
        session: &quiz_session::Model,
        campaign: &Campaign,
    ) -> Result<SessionView, QuizError> {
        let (rows, questions) = self.drawn(&session.id).await?;
        self.view_of(session, campaign, &rows, &questions).await
    }

    pub(super) async fn view_of(
        &self,
        session: &quiz_session::Model,
        campaign: &Campaign,
        rows: &[session_question::Model],
        questions: &Questions,
    ) -> Result<SessionView, QuizError> {
        let finished = session.finished_at.is_some();
        let mut views = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(q) = questions.get(&row.revision_id) else { continue };
            let order = Permutation::from_code(&row.permutation).unwrap_or_else(|| Permutation::identity(0));
            // The key may be shown once this question is answered (after_each) or the session is over.
            let reveal = finished || (campaign.reveal == Reveal::AfterEach && row.choice.is_some());
            views.push(QuestionView {
                position: u32::try_from(row.position).unwrap_or(0),
                kind: q.kind,
                category: q.category.clone(),
                stem: q.stem.clone(),
                options: options_shown(q, &order),
                answered: row.choice.is_some(),
                choice: row.choice.clone(),
                correct: if reveal { row.correct } else { None },
                answer: reveal.then(|| order.shown_answer(&q.answer)),
                explanation: reveal.then(|| q.explanation.clone()),
                basis: reveal.then(|| q.basis.clone()),
            });
        }
        let result = if finished { Some(self.result(session, campaign, rows, questions).await?) } else { None };
        Ok(SessionView {
            id: session.id.clone(),
            campaign: campaign.slug.clone(),
            campaign_title: campaign.title.clone(),
            attempt: session.attempt,
            started_at: session.started_at,
            deadline: session.deadline,
            server_time: self.now(),
            time_limit_secs: campaign.time_limit_secs,
            reveal: campaign.reveal,
            finished,
            score: (finished || campaign.reveal == Reveal::AfterEach).then_some(session.score),
            questions: views,
            result,
        })
    }

    /// Records one answer. Final per position; the same choice again is answered the same way.
    pub(super) async fn result(
        &self,
        session: &quiz_session::Model,
        campaign: &Campaign,
        rows: &[session_question::Model],
        questions: &Questions,
    ) -> Result<SessionResult, QuizError> {
        let review = rows
            .iter()
            .filter_map(|row| {
                let q = questions.get(&row.revision_id)?;
                let order = Permutation::from_code(&row.permutation).unwrap_or_else(|| Permutation::identity(0));
                Some(ReviewItem {
                    position: u32::try_from(row.position).unwrap_or(0),
                    kind: q.kind,
                    stem: q.stem.clone(),
                    options: options_shown(q, &order),
                    choice: row.choice.clone(),
                    answer: order.shown_answer(&q.answer),
                    correct: row.correct.unwrap_or(false),
                    explanation: q.explanation.clone(),
                    basis: q.basis.clone(),
                    lessons: self.related_lessons(&q.basis),
                })
            })
            .collect();
        let rank = match self.scores.rank(&campaign.scoring(), session.user_id).await {
            Ok(Some(rank)) => Some(rank),
            // The live board is missing or behind: SQL answers (slower, always right).
            _ => self.rank_from_sql(campaign, session.user_id).await?,
        };
        let attempts = self.attempts_of(campaign, session.user_id).await?;
        let flagged = (plausibility::implausible(session.quick_answers) && session.flag_cleared_at.is_none())
            .then(|| plausibility::reason(session.quick_answers, campaign.min_ms_per_answer));
        let prize = match &flagged {
            Some(reason) => PrizeNote { eligible: false, note: reason.clone(), verify_phone: false },
            None => {
                let verified = user::Entity::find_by_id(session.user_id)
                    .one(&self.db)
                    .await?
                    .is_some_and(|u| u.phone_verified_at.is_some());
                PrizeNote::for_result(&campaign.prize, i64::from(session.score), rank, verified)
            }
        };
        Ok(SessionResult {
            score: session.score,
            correct: session.correct,
            total: session.total,
            duration_ms: session.duration_ms.unwrap_or(0),
            rank,
            attempts_left: attempts.left,
            prize,
            flagged,
            review,
        })
    }

    /// The user's rank on the campaign board, computed from SQL with the boards' own rules
    /// (the fallback when the live board is missing or behind).
    pub async fn rank_from_sql(&self, campaign: &Campaign, user_id: i64) -> Result<Option<u64>, DbErr> {
        use crate::scores::board::{board_order, entries_by_user};
        let sessions = crate::scores::finished_sessions(&self.db, campaign.id, None).await?;
        let order = board_order(entries_by_user(campaign.ranking, sessions.iter()));
        Ok(order.iter().position(|(user, _)| *user == user_id).map(|i| i as u64 + 1))
    }
}

//! A quiz session: start (draw), resume, answer (graded, stored before the reply), finish.
//! The answer key never leaves the server before it may: see `reveals`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use super::campaign::{Campaign, CampaignState, Reveal};
use super::clock::shanghai_day;
use super::commit::{AnswerWrite, FinishWrite, StartWrite, Started, Stored};
use super::draw::{draw_questions, fresh_seed, seed_hex};
use super::grading::{Choice, Permutation, RawChoice, grade};
use super::{Questions, Quiz, QuizError};
use crate::bank::{IndexedQuestion, QuestionKind, letter};
use crate::db::entity::{campaign as campaign_row, question_revision, quiz_session, session_question};

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
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionResult {
    pub score: i32,
    pub correct: i32,
    pub total: i32,
    pub duration_ms: i64,
    #[schema(required = true)]
    pub rank: Option<u64>,
    pub review: Vec<ReviewItem>,
}

/// The options as this session (or practice round) shows them; judge questions show 正确/错误.
pub(super) fn options_shown(q: &IndexedQuestion, order: &Permutation) -> Vec<OptionView> {
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

fn is_session_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

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
        let today_count = sessions.iter().filter(|s| s.started_day == today).count();
        if today_count >= campaign.attempts_per_day as usize {
            return Err(QuizError::AttemptLimitReached { today: true });
        }
        if campaign.max_attempts != 0 && sessions.len() >= campaign.max_attempts as usize {
            return Err(QuizError::AttemptLimitReached { today: false });
        }

        let seen = self.seen_questions(&sessions).await?;
        let seed = fresh_seed();
        let drawn =
            draw_questions(self.banks.index(), &campaign.rule(), &seen, seed).map_err(QuizError::NotEnoughQuestions)?;
        let id = crate::accounts::hex_digest(&rand::random::<[u8; 16]>());
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

    fn expired(&self, session: &quiz_session::Model, now: DateTime<Utc>) -> bool {
        now > session.deadline + self.grace
    }

    /// A session of this user (another user's is "not found"); finishes it if its time ran out.
    async fn own_session(&self, user_id: i64, id: &str) -> Result<(quiz_session::Model, Arc<Campaign>), QuizError> {
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
    async fn settled(&self, session: quiz_session::Model) -> Result<(quiz_session::Model, Arc<Campaign>), QuizError> {
        let campaign = self.campaign_by_id(session.campaign_id).await?;
        if session.finished_at.is_none() && self.expired(&session, self.now()) {
            let finished = self.finish_row(&session, &campaign, self.now()).await?;
            return Ok((finished, campaign));
        }
        Ok((session, campaign))
    }

    /// A campaign by id, from the short-lived cache or SQL.
    async fn campaign_by_id(&self, id: i64) -> Result<Arc<Campaign>, QuizError> {
        if let Some(campaign) = self.campaigns.get(id) {
            return Ok(campaign);
        }
        let row = campaign_row::Entity::find_by_id(id).one(&self.db).await?.ok_or(QuizError::NotFound)?;
        let campaign = Arc::new(Campaign::from_row(row));
        self.campaigns.keep(Arc::clone(&campaign));
        Ok(campaign)
    }

    /// The session and the question at `position`, from the cache of sessions in progress or SQL.
    async fn session_question(
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

    async fn drawn(&self, session_id: &str) -> Result<(Vec<session_question::Model>, Questions), DbErr> {
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

    async fn view(&self, session: &quiz_session::Model, campaign: &Campaign) -> Result<SessionView, QuizError> {
        let (rows, questions) = self.drawn(&session.id).await?;
        self.view_of(session, campaign, &rows, &questions).await
    }

    async fn view_of(
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
        };
        match self.writes.answer(write).await? {
            Stored::Counted(after) => {
                // Committed: from here on nothing can lose the answer.
                self.answers_accepted.fetch_add(1, Ordering::Relaxed);
                self.sessions.answered(&after, position, &choice.code(), correct, now);
                self.scores.record_answer(&after, after.score, now);
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
        let write = FinishWrite { session_id: session.id.clone(), finished_at, duration_ms };
        let finished = self.writes.finish_session(write).await?;
        self.sessions.forget(&session.id);
        let stored = match finished {
            Some(row) => row,
            None => {
                quiz_session::Entity::find_by_id(session.id.clone()).one(&self.db).await?.ok_or(QuizError::NotFound)?
            }
        };
        self.scores.record_finish(&stored, campaign).await;
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

    async fn result(
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
                })
            })
            .collect();
        Ok(SessionResult {
            score: session.score,
            correct: session.correct,
            total: session.total,
            duration_ms: session.duration_ms.unwrap_or(0),
            rank: match self.scores.rank(campaign, session.user_id).await {
                Ok(Some(rank)) => Some(rank),
                // The live board is missing or behind: SQL answers (slower, always right).
                _ => self.rank_from_sql(campaign, session.user_id).await?,
            },
            review,
        })
    }

    /// The user's rank on the campaign board, computed from SQL with the boards' own rules
    /// (the fallback when the live board is missing or behind).
    pub async fn rank_from_sql(&self, campaign: &Campaign, user_id: i64) -> Result<Option<u64>, DbErr> {
        use crate::scores::board::{board_order, entries_by_user};
        let sessions = crate::scores::service::finished_sessions(&self.db, campaign.id, None).await?;
        let order = board_order(entries_by_user(campaign.ranking, sessions.iter()));
        Ok(order.iter().position(|(user, _)| *user == user_id).map(|i| i as u64 + 1))
    }

    /// Used by tests and the scores module: the database connection behind the service.
    pub fn db(&self) -> &impl ConnectionTrait {
        &self.db
    }
}

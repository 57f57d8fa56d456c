//! Campaigns, quiz sessions (draw, answers, deadlines, grading), practice, the daily question and
//! the mistake book. Every quiz rule lives in this module; `api/` only translates HTTP.

mod attempts;
mod cache;
pub mod campaign;
mod commit;
mod daily;
pub mod draw;
mod flags;
pub mod frozen;
pub mod grading;
mod mistakes;
mod pace;
mod practice;
mod related;
mod session;
mod supply;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    SqlErr,
};

pub use self::campaign::{Campaign, CampaignSpec, CampaignState, CampaignView, MyCampaign, Ranking, Reveal};
pub use self::daily::{DailyQuestion, MyDaily};
pub use self::draw::{DrawRule, DrawnQuestion, Quota, draw_questions};
pub use self::flags::FlaggedAttempt;
pub use self::grading::{Choice, InvalidChoice, Permutation, RawChoice, grade};
pub use self::mistakes::Mistake;
pub use self::practice::{PracticeOutcome, PracticePack, PracticeQuestion};
pub use self::session::{AnswerOutcome, ReviewItem, SessionResult, SessionView};
pub use self::supply::{CampaignUse, Supply};
use crate::bank::Banks;
use crate::clock::Clock;
use crate::db::entity::{campaign as campaign_row, quiz_session};
use crate::lessons::LessonIndex;
use crate::problems::FieldProblem;
use crate::scores::Scores;

#[derive(Debug, thiserror::Error)]
pub enum QuizError {
    #[error("not found")]
    NotFound,
    #[error("the campaign is not open")]
    CampaignNotOpen,
    #[error("no attempts left")]
    AttemptLimitReached { today: bool },
    #[error("a session is in progress")]
    SessionInProgress(String),
    #[error("this question was answered already with another choice")]
    AlreadyAnswered,
    #[error("the time is up")]
    SessionExpired,
    #[error("the session is finished")]
    SessionFinished,
    #[error("invalid choice: {0}")]
    InvalidChoice(InvalidChoice),
    #[error("invalid campaign")]
    InvalidCampaign(Vec<FieldProblem>),
    #[error("a campaign with this slug exists")]
    SlugTaken,
    #[error("the campaign is still open")]
    CampaignStillOpen,
    #[error(transparent)]
    CampaignLocked(#[from] frozen::Locked),
    #[error("the question bank cannot fill this quiz now: {0}")]
    NotEnoughQuestions(draw::NotEnoughQuestions),
    #[error("this attempt is not flagged")]
    NotFlagged,
    #[error("answers are coming too fast")]
    TooFast { retry_after_secs: u64 },
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A campaign as saved, and what changed (for the audit log).
#[derive(Debug)]
pub struct CampaignSaved {
    pub view: CampaignView,
    pub changes: Vec<frozen::FieldChange>,
}

/// The quiz service.
#[derive(Clone)]
pub struct Quiz {
    db: DatabaseConnection,
    banks: Banks,
    scores: Scores,
    clock: Arc<dyn Clock>,
    /// Answers up to this long after the deadline still count (network delay on weak links).
    grace: chrono::Duration,
    answers_accepted: Arc<AtomicU64>,
    writes: commit::QuizWrites,
    sessions: Arc<cache::SessionCache>,
    campaigns: Arc<cache::CampaignCache>,
    pace: Arc<pace::AnswerPace>,
    /// The published lessons, for each question's 相关案例.
    lessons: LessonIndex,
}

impl Quiz {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: DatabaseConnection,
        banks: Banks,
        scores: Scores,
        lessons: LessonIndex,
        clock: Arc<dyn Clock>,
        grace_secs: u32,
        answers_per_minute: u32,
        answers_accepted: Arc<AtomicU64>,
    ) -> Self {
        Self {
            writes: commit::QuizWrites::spawn(db.clone(), crate::db::WriteGate::for_db(&db)),
            db,
            banks,
            scores,
            clock,
            grace: chrono::Duration::seconds(i64::from(grace_secs)),
            answers_accepted,
            sessions: Arc::default(),
            campaigns: Arc::default(),
            pace: Arc::new(pace::AnswerPace::new(answers_per_minute)),
            lessons,
        }
    }

    pub fn scores(&self) -> &Scores {
        &self.scores
    }

    /// What the boards need of every published campaign (for board upkeep).
    pub async fn published_scorings(&self) -> Result<Vec<crate::scores::Scoring>, QuizError> {
        let rows = campaign_row::Entity::find().filter(campaign_row::Column::Published.eq(true)).all(&self.db).await?;
        Ok(rows.into_iter().map(|row| Campaign::from_row(row).scoring()).collect())
    }

    /// The stored campaign row (draw data included), for the admin module.
    pub async fn campaign_row_by_slug(&self, slug: &str) -> Result<campaign_row::Model, QuizError> {
        self.campaign_row(slug).await?.ok_or(QuizError::NotFound)
    }

    /// What the prize draw needs to know of a campaign (when its last session settles included).
    pub fn prize_campaign(&self, campaign: &Campaign) -> crate::prize::PrizeCampaign {
        campaign.prize_campaign(self.grace)
    }

    pub fn now(&self) -> chrono::DateTime<Utc> {
        self.clock.now()
    }

    // ----- campaigns -----

    async fn campaign_row(&self, slug: &str) -> Result<Option<campaign_row::Model>, DbErr> {
        campaign_row::Entity::find().filter(campaign_row::Column::Slug.eq(slug)).one(&self.db).await
    }

    /// A published campaign by slug.
    /// (Read on every board view and start: kept a few seconds, see `cache`.)
    pub async fn published(&self, slug: &str) -> Result<Arc<Campaign>, QuizError> {
        if let Some(campaign) = self.campaigns.published(slug) {
            return Ok(campaign);
        }
        let row = self.campaign_row(slug).await?.filter(|c| c.published).ok_or(QuizError::NotFound)?;
        let campaign = Arc::new(Campaign::from_row(row));
        self.campaigns.keep_published(Arc::clone(&campaign));
        Ok(campaign)
    }

    /// Checks a campaign against the bank: named banks exist and the quotas can be filled.
    fn check_against_bank(&self, campaign: &Campaign) -> Result<(), QuizError> {
        let mut problems = Vec::new();
        for bank in &campaign.banks {
            if self.banks.index().pool(std::slice::from_ref(bank), None, None).is_empty() {
                problems.push(FieldProblem {
                    field: "banks".into(),
                    problem: format!("no active questions in bank {bank}"),
                });
            }
        }
        if problems.is_empty()
            && let Err(e) = draw_questions(self.banks.index(), &campaign.rule(), &Default::default(), [0; 32])
        {
            problems.push(FieldProblem { field: "quotas".into(), problem: e.to_string() });
        }
        if problems.is_empty() { Ok(()) } else { Err(QuizError::InvalidCampaign(problems)) }
    }

    /// Creates (`existing_slug` = None) or replaces a campaign.
    pub async fn save_campaign(
        &self,
        spec: CampaignSpec,
        existing_slug: Option<&str>,
        from_file: bool,
    ) -> Result<CampaignSaved, QuizError> {
        let now = self.now();
        if existing_slug.is_some_and(|slug| slug != spec.slug) {
            let problem = "the body's slug must match the path (a slug cannot be renamed)".to_owned();
            return Err(QuizError::InvalidCampaign(vec![FieldProblem { field: "slug".into(), problem }]));
        }
        let existing = match existing_slug {
            Some(slug) => Some(self.campaign_row(slug).await?.ok_or(QuizError::NotFound)?),
            None => None,
        };
        let dates = existing.as_ref().map(|c| (c.opens_at, c.closes_at));
        let campaign = spec.check(now, from_file, dates).map_err(QuizError::InvalidCampaign)?;
        let changes = match &existing {
            Some(row) => {
                let before = Campaign::from_row(row.clone());
                let changes = frozen::changes(&before, &campaign, now);
                frozen::allowed(&before, &changes, now, row.draw_result.is_some())?;
                changes
            }
            None => Vec::new(),
        };
        if existing.is_some() && changes.is_empty() {
            // Nothing to store (a campaign file loaded again at start).
            let row = existing.clone().ok_or(QuizError::NotFound)?;
            return Ok(CampaignSaved { view: CampaignView::new(&Campaign::from_row(row), now, None), changes });
        }
        self.check_against_bank(&campaign)?;
        let mut model = campaign_row::ActiveModel {
            slug: Set(campaign.slug.clone()),
            title: Set(campaign.title.clone()),
            description: Set(campaign.description.clone()),
            opens_at: Set(campaign.opens_at),
            closes_at: Set(campaign.closes_at),
            question_count: Set(to_i32(campaign.question_count)),
            quotas: Set(to_json(&campaign.quotas)),
            banks: Set(to_json(&campaign.banks)),
            time_limit_secs: Set(to_i32(campaign.time_limit_secs)),
            attempts_per_day: Set(to_i32(campaign.attempts_per_day)),
            max_attempts: Set(to_i32(campaign.max_attempts)),
            points_per_question: Set(to_i32(campaign.points_per_question)),
            min_ms_per_answer: Set(to_i32(campaign.min_ms_per_answer)),
            reveal: Set(if campaign.reveal == Reveal::AtEnd { "at_end" } else { "after_each" }.into()),
            ranking: Set(campaign.ranking.as_str().into()),
            prize: Set(to_json(&campaign.prize)),
            published: Set(campaign.published),
            updated_at: Set(now),
            ..Default::default()
        };
        // Publishing fixes the prize draw's secret seed and its public commitment, once.
        if campaign.published && existing.as_ref().is_none_or(|row| row.draw_commitment.is_none()) {
            let (seed, commitment) = crate::prize::draw::new_commitment();
            model.draw_seed = Set(Some(seed));
            model.draw_commitment = Set(Some(commitment));
        }
        let saved = match existing {
            Some(row) => {
                model.id = Set(row.id);
                model.created_at = Set(row.created_at);
                model.update(&self.db).await?
            }
            None => {
                model.created_at = Set(now);
                model.insert(&self.db).await.map_err(|e| match e.sql_err() {
                    Some(SqlErr::UniqueConstraintViolation(_)) => QuizError::SlugTaken,
                    _ => QuizError::Db(e),
                })?
            }
        };
        self.campaigns.clear();
        Ok(CampaignSaved { view: CampaignView::new(&Campaign::from_row(saved), now, None), changes })
    }

    /// Published campaigns, newest first, with their state now.
    pub async fn list_published(&self) -> Result<Vec<CampaignView>, QuizError> {
        let now = self.now();
        let rows = campaign_row::Entity::find()
            .filter(campaign_row::Column::Published.eq(true))
            .order_by_desc(campaign_row::Column::OpensAt)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|r| CampaignView::new(&Campaign::from_row(r), now, None)).collect())
    }

    /// Every campaign, drafts included (staff).
    pub async fn list_all(&self) -> Result<Vec<CampaignView>, QuizError> {
        let now = self.now();
        let rows = campaign_row::Entity::find().order_by_desc(campaign_row::Column::OpensAt).all(&self.db).await?;
        Ok(rows.into_iter().map(|r| CampaignView::new(&Campaign::from_row(r), now, None)).collect())
    }

    /// A published campaign, with the caller's attempts when signed in.
    pub async fn campaign_for(&self, slug: &str, user_id: Option<i64>) -> Result<CampaignView, QuizError> {
        let campaign = self.published(slug).await?;
        let me = match user_id {
            Some(user) => Some(self.my_standing(&campaign, user).await?),
            None => None,
        };
        Ok(CampaignView::new(&campaign, self.now(), me))
    }

    async fn my_standing(&self, campaign: &Campaign, user_id: i64) -> Result<MyCampaign, QuizError> {
        let sessions = self.sessions_of(campaign.id, user_id).await?;
        let attempts = self.count_attempts(campaign, &sessions);
        let best = sessions.iter().filter(|s| s.finished_at.is_some()).map(|s| s.score).max();
        let in_progress = sessions.iter().find(|s| s.finished_at.is_none()).map(|s| s.id.clone());
        Ok(MyCampaign {
            attempts_today: attempts.today,
            attempts_left: attempts.left,
            attempts: attempts.total,
            best,
            in_progress,
        })
    }

    /// The resident's attempts at a campaign as the limits count them.
    fn count_attempts(&self, campaign: &Campaign, sessions: &[quiz_session::Model]) -> attempts::Attempts {
        let today = crate::clock::shanghai_day(self.now()).to_string();
        attempts::Attempts::count(
            sessions.iter().map(|s| s.started_day.as_str()),
            &today,
            campaign.attempts_per_day,
            campaign.max_attempts,
        )
    }

    async fn attempts_of(&self, campaign: &Campaign, user_id: i64) -> Result<attempts::Attempts, QuizError> {
        Ok(self.count_attempts(campaign, &self.sessions_of(campaign.id, user_id).await?))
    }

    async fn sessions_of(&self, campaign_id: i64, user_id: i64) -> Result<Vec<quiz_session::Model>, DbErr> {
        quiz_session::Entity::find()
            .filter(quiz_session::Column::CampaignId.eq(campaign_id))
            .filter(quiz_session::Column::UserId.eq(user_id))
            .all(&self.db)
            .await
    }

    /// Loads question-bank/campaigns/*.toml (create or update by slug; dates of an existing
    /// campaign are kept when the file gives none). Problems are returned per file.
    pub async fn import_campaign_files(&self, dir: &Path) -> Vec<(String, Result<CampaignView, QuizError>)> {
        let mut results = Vec::new();
        let Ok(entries) = std::fs::read_dir(dir) else { return results };
        let mut paths: Vec<_> =
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "toml")).collect();
        paths.sort();
        for path in paths {
            let name = path.display().to_string();
            let spec = std::fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|text| toml::from_str::<CampaignSpec>(&text).map_err(|e| e.to_string()));
            let result = match spec {
                Ok(spec) => {
                    let slug = spec.slug.clone();
                    let exists = self.campaign_row(&slug).await.ok().flatten().is_some();
                    self.save_campaign(spec, exists.then_some(slug.as_str()), true).await.map(|saved| saved.view)
                }
                Err(message) => {
                    Err(QuizError::InvalidCampaign(vec![FieldProblem { field: "file".into(), problem: message }]))
                }
            };
            results.push((name, result));
        }
        results
    }
}

fn to_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// The text of one of the few JSON columns.
fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// A map from revision id to the question behind it, loaded once per request.
type Questions = HashMap<i64, Arc<crate::bank::IndexedQuestion>>;

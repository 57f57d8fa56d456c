//! Learning the law beyond quizzes (issue 22): the Civil Code's own text (`code`), 以案释法 lessons
//! (Markdown files and staff edits with revisions: `content`, `markdown`, `store`, `import`), the
//! published lessons in memory for lists and for the 相关案例 of quiz questions (`index`), 每日一法
//! (`daily`) and 你点我讲 requests (`requests`). Knows nothing of quizzes: the quiz module asks
//! `LessonIndex::related` with a question's articles. Staff writes are audited by `admin`.

pub mod code;
pub mod content;
pub mod daily;
pub mod import;
pub mod index;
pub mod markdown;
pub mod requests;
mod store;
pub mod views;

use std::sync::Arc;

use chrono::NaiveDate;
use sea_orm::{DatabaseConnection, DbErr};

pub use self::code::{ARTICLES, ArticleView, CivilCode, CodeFileError};
pub use self::content::{LessonEdit, NewLesson};
pub use self::daily::{DailyLaw, DailyLawEdit, DailyLawItem};
pub use self::import::{DAILY_LAW_FILE, ImportReport};
pub use self::index::{LessonIndex, LessonLink, LessonPage, LessonSummary, TagCount};
pub use self::requests::{LessonRequestView, RequestState, StaffLessonRequest, StaffRequestPage};
pub use self::views::{LessonRevisionView, LessonView, Preview, StaffLessonPage};
use crate::clock::{Clock, shanghai_day};
use crate::problems::FieldProblem;

#[derive(Debug, thiserror::Error)]
pub enum LessonsError {
    #[error("not found")]
    NotFound,
    #[error("the lesson is not valid")]
    InvalidLesson(Vec<FieldProblem>),
    #[error("a lesson with this slug exists")]
    SlugTaken,
    #[error("changed by someone else meanwhile")]
    EditConflict,
    #[error("the daily law item is not valid")]
    InvalidDailyLaw(Vec<FieldProblem>),
    #[error("invalid query: {}", .0.field)]
    InvalidQuery(FieldProblem),
    #[error("invalid topic: {0}")]
    InvalidTopic(String),
    #[error("invalid reason: {0}")]
    InvalidReason(String),
    #[error("no lesson with this slug")]
    NoSuchLesson,
    #[error("the lesson is not published")]
    LessonNotPublished,
    #[error("too many requests today")]
    TooManyRequests { retry_after_secs: u64 },
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The lessons service.
#[derive(Clone)]
pub struct Lessons {
    db: DatabaseConnection,
    code: Arc<CivilCode>,
    index: LessonIndex,
    clock: Arc<dyn Clock>,
}

/// What the public list is asked for.
#[derive(Debug, Clone, Default)]
pub struct LessonQuery {
    pub article: Option<u32>,
    pub tag: Option<String>,
    pub offset: u64,
    pub limit: u64,
}

impl LessonQuery {
    /// The list's query as it arrives: an article must be a number of the Code.
    pub fn parse(
        article: Option<&str>,
        tag: Option<&str>,
        offset: Option<u64>,
        limit: Option<u64>,
    ) -> Result<Self, LessonsError> {
        let article = match article.filter(|a| !a.is_empty()) {
            None => None,
            Some(raw) => Some(article_number(raw).ok_or_else(|| {
                LessonsError::InvalidQuery(FieldProblem::new("article", format!("条文号应是1到{ARTICLES}的数字")))
            })?),
        };
        Ok(Self {
            article,
            tag: tag.filter(|t| !t.is_empty()).map(str::to_owned),
            offset: offset.unwrap_or(0),
            limit: limit.unwrap_or(20),
        })
    }
}

/// `"1047"` → 1047, for numbers of the Code only.
fn article_number(raw: &str) -> Option<u32> {
    raw.parse().ok().filter(|n| (1..=ARTICLES).contains(n))
}

impl Lessons {
    pub async fn new(db: DatabaseConnection, code: CivilCode, clock: Arc<dyn Clock>) -> Result<Self, DbErr> {
        let index = LessonIndex::load(db.clone()).await?;
        Ok(Self { db, code: Arc::new(code), index, clock })
    }

    /// The published lessons, for the quiz's 相关案例.
    pub fn index(&self) -> &LessonIndex {
        &self.index
    }

    fn today(&self) -> NaiveDate {
        shanghai_day(self.clock.now())
    }

    /// After a lesson write: the lists and links show it at once.
    async fn after_write(&self) {
        if let Err(e) = self.index.refresh().await {
            tracing::warn!(error = %e, "lesson index not refreshed after a write");
        }
    }

    /// An article of the Code by its number as the path gives it (404 outside 1–1260).
    pub fn article(&self, number: &str) -> Result<ArticleView, LessonsError> {
        article_number(number).and_then(|n| self.code.article(n)).cloned().ok_or(LessonsError::NotFound)
    }

    /// A page of published lessons, newest first.
    pub async fn list(&self, query: &LessonQuery) -> LessonPage {
        self.index.fresh().await.page(query.article, query.tag.as_deref(), query.offset, query.limit)
    }

    /// The topic tags of published lessons with their counts.
    pub async fn tags(&self) -> Vec<TagCount> {
        self.index.fresh().await.tags()
    }
}

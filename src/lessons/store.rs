//! Lessons in SQL: every change of content is a new revision (the lesson row holds the current
//! one), written in one transaction; publishing is a flag, not a revision.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr, TransactionTrait,
};

use super::content::{LessonContent, LessonEdit, NewLesson, Slug, preview_body};
use super::views::{LessonRevisionView, LessonView, Preview, StaffLessonPage, StaffLessonRow};
use super::{Lessons, LessonsError};
use crate::db::entity::{lesson, lesson_revision};
use crate::problems::FieldProblem;

/// Where a revision came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A file of question-bank/lessons, imported at start.
    File,
    /// The staff console.
    Staff,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Staff => "staff",
        }
    }
}

/// The most revisions one listing shows.
const MAX_REVISIONS: u64 = 500;

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

fn revision_row(
    lesson_id: i64,
    revision: i32,
    content: &LessonContent,
    source: Source,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> lesson_revision::ActiveModel {
    lesson_revision::ActiveModel {
        lesson_id: Set(lesson_id),
        revision: Set(revision),
        title: Set(content.title.clone()),
        summary: Set(content.summary.clone()),
        articles: Set(json(&content.articles)),
        tags: Set(json(&content.tags)),
        author: Set(content.author.clone()),
        published_on: Set(content.published_on.to_string()),
        body: Set(content.body.clone()),
        source: Set(source.as_str().to_owned()),
        actor_id: Set(actor),
        content_hash: Set(content.content_hash()),
        created_at: Set(now),
        ..Default::default()
    }
}

/// The lesson row's columns that follow its current revision.
fn set_content(model: &mut lesson::ActiveModel, content: &LessonContent, source: Source, now: DateTime<Utc>) {
    model.title = Set(content.title.clone());
    model.summary = Set(content.summary.clone());
    model.articles = Set(json(&content.articles));
    model.tags = Set(json(&content.tags));
    model.author = Set(content.author.clone());
    model.published_on = Set(content.published_on.to_string());
    model.body = Set(content.body.clone());
    model.source = Set(source.as_str().to_owned());
    model.content_hash = Set(content.content_hash());
    model.updated_at = Set(now);
}

/// Stores a new lesson with its first revision.
pub(super) async fn insert(
    db: &DatabaseConnection,
    slug: &Slug,
    content: &LessonContent,
    source: Source,
    actor: Option<i64>,
    published: bool,
    now: DateTime<Utc>,
) -> Result<lesson::Model, LessonsError> {
    let txn = db.begin().await?;
    let mut model = lesson::ActiveModel {
        slug: Set(slug.as_str().to_owned()),
        published: Set(published),
        revision: Set(1),
        created_at: Set(now),
        ..Default::default()
    };
    set_content(&mut model, content, source, now);
    let row = model.insert(&txn).await.map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => LessonsError::SlugTaken,
        _ => LessonsError::Db(e),
    })?;
    revision_row(row.id, 1, content, source, actor, now).insert(&txn).await?;
    txn.commit().await?;
    Ok(row)
}

/// Makes `content` the lesson's next revision. Two writers racing for the same revision number:
/// the unique index refuses the second, which changes nothing.
pub(super) async fn add_revision(
    db: &DatabaseConnection,
    row: lesson::Model,
    content: &LessonContent,
    source: Source,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<lesson::Model, LessonsError> {
    let txn = db.begin().await?;
    let next = row.revision + 1;
    revision_row(row.id, next, content, source, actor, now).insert(&txn).await.map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => LessonsError::EditConflict,
        _ => LessonsError::Db(e),
    })?;
    let mut model: lesson::ActiveModel = row.into();
    model.revision = Set(next);
    set_content(&mut model, content, source, now);
    let row = model.update(&txn).await?;
    txn.commit().await?;
    Ok(row)
}

pub(super) async fn by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<lesson::Model>, DbErr> {
    if slug.len() > 64 {
        return Ok(None);
    }
    lesson::Entity::find().filter(lesson::Column::Slug.eq(slug)).one(db).await
}

impl Lessons {
    /// A published lesson, to read.
    pub async fn lesson(&self, slug: &str) -> Result<LessonView, LessonsError> {
        let row = by_slug(&self.db, slug).await?.filter(|l| l.published).ok_or(LessonsError::NotFound)?;
        Ok(LessonView::new(row, &self.code))
    }

    /// Any lesson, drafts included (staff).
    pub async fn staff_lesson(&self, slug: &str) -> Result<LessonView, LessonsError> {
        let row = by_slug(&self.db, slug).await?.ok_or(LessonsError::NotFound)?;
        Ok(LessonView::new(row, &self.code))
    }

    /// Every lesson, most recently changed first (staff).
    pub async fn staff_lessons(&self, offset: u64, limit: u64) -> Result<StaffLessonPage, LessonsError> {
        let total = lesson::Entity::find().count(&self.db).await?;
        let rows = lesson::Entity::find()
            .order_by_desc(lesson::Column::UpdatedAt)
            .order_by_asc(lesson::Column::Slug)
            .offset(offset.min(crate::db::MAX_OFFSET))
            .limit(limit.clamp(1, 200))
            .all(&self.db)
            .await?;
        Ok(StaffLessonPage { items: rows.into_iter().map(StaffLessonRow::new).collect(), total })
    }

    /// A lesson's revisions, newest first.
    pub async fn revisions(&self, slug: &str) -> Result<Vec<LessonRevisionView>, LessonsError> {
        let row = by_slug(&self.db, slug).await?.ok_or(LessonsError::NotFound)?;
        let revisions = lesson_revision::Entity::find()
            .filter(lesson_revision::Column::LessonId.eq(row.id))
            .order_by_desc(lesson_revision::Column::Revision)
            .limit(MAX_REVISIONS)
            .all(&self.db)
            .await?;
        Ok(revisions.into_iter().map(LessonRevisionView::new).collect())
    }

    /// The server's rendering of a draft body, or what is wrong with it.
    pub fn preview(&self, body: &str) -> Result<Preview, LessonsError> {
        let blocks = preview_body(body).map_err(LessonsError::InvalidLesson)?;
        Ok(Preview { blocks })
    }

    /// Creates a lesson written by staff (a draft unless `published`).
    pub async fn create(&self, actor: i64, new: NewLesson) -> Result<LessonView, LessonsError> {
        let (slug, edit, published) = new.into_parts();
        let slug = Slug::parse(&slug).map_err(|p| LessonsError::InvalidLesson(vec![FieldProblem::new("slug", p)]));
        let content = edit.check(self.today()).map_err(LessonsError::InvalidLesson);
        let (slug, content) = match (slug, content) {
            (Ok(slug), Ok(content)) => (slug, content),
            (Err(LessonsError::InvalidLesson(mut a)), Err(LessonsError::InvalidLesson(b))) => {
                a.extend(b);
                return Err(LessonsError::InvalidLesson(a));
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        let row = insert(&self.db, &slug, &content, Source::Staff, Some(actor), published, self.clock.now()).await?;
        self.after_write().await;
        Ok(LessonView::new(row, &self.code))
    }

    /// A staff edit: a new revision (none when nothing changed). From now on the start-up import
    /// leaves this lesson alone.
    pub async fn update(&self, actor: i64, slug: &str, edit: &LessonEdit) -> Result<(LessonView, bool), LessonsError> {
        let row = by_slug(&self.db, slug).await?.ok_or(LessonsError::NotFound)?;
        let own_day = chrono::NaiveDate::parse_from_str(&row.published_on, "%Y-%m-%d").unwrap_or_else(|_| self.today());
        let content = edit.check(own_day).map_err(LessonsError::InvalidLesson)?;
        if content.content_hash() == row.content_hash && row.source == Source::Staff.as_str() {
            return Ok((LessonView::new(row, &self.code), false));
        }
        let row = add_revision(&self.db, row, &content, Source::Staff, Some(actor), self.clock.now()).await?;
        self.after_write().await;
        Ok((LessonView::new(row, &self.code), true))
    }

    /// Shows a lesson to the public, or hides it again.
    pub async fn set_published(&self, slug: &str, published: bool) -> Result<LessonView, LessonsError> {
        let row = by_slug(&self.db, slug).await?.ok_or(LessonsError::NotFound)?;
        let row = if row.published == published {
            row
        } else {
            let mut model: lesson::ActiveModel = row.into();
            model.published = Set(published);
            model.updated_at = Set(self.clock.now());
            model.update(&self.db).await?
        };
        self.after_write().await;
        Ok(LessonView::new(row, &self.code))
    }
}

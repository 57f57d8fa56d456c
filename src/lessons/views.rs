//! What the public and staff see of a lesson and its revisions.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::code::{ArticleView, CivilCode};
use super::markdown::{Block, render};
use crate::db::entity::{lesson, lesson_revision};

/// A lesson to read: its body as blocks to render as text (never as HTML), the Markdown it was
/// written in, and the text of every article it cites (kept with the lesson for offline reading).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LessonView {
    #[schema(example = "loan-no-iou")]
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// Civil Code article numbers, in the lesson's order.
    pub articles: Vec<u32>,
    pub tags: Vec<String>,
    pub author: String,
    #[schema(example = "2026-11-10")]
    pub published_on: String,
    pub published: bool,
    pub revision: i32,
    pub updated_at: DateTime<Utc>,
    pub blocks: Vec<Block>,
    /// The body as written.
    pub markdown: String,
    /// The cited articles' text, in the order of `articles`.
    pub cited: Vec<ArticleView>,
}

impl LessonView {
    pub fn new(row: lesson::Model, code: &CivilCode) -> Self {
        let articles: Vec<u32> = serde_json::from_str(&row.articles).unwrap_or_default();
        // Stored bodies were checked when written; one that no longer renders shows as nothing.
        let blocks = render(&row.body).unwrap_or_default();
        Self {
            cited: articles.iter().filter_map(|n| code.article(*n).cloned()).collect(),
            articles,
            tags: serde_json::from_str(&row.tags).unwrap_or_default(),
            slug: row.slug,
            title: row.title,
            summary: row.summary,
            author: row.author,
            published_on: row.published_on,
            published: row.published,
            revision: row.revision,
            updated_at: row.updated_at,
            blocks,
            markdown: row.body,
        }
    }
}

/// A lesson in the staff list, drafts included.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffLessonRow {
    pub slug: String,
    pub title: String,
    pub articles: Vec<u32>,
    pub tags: Vec<String>,
    pub published_on: String,
    pub published: bool,
    pub revision: i32,
    /// Where the current revision came from: `file` (question-bank/lessons) or `staff`.
    #[schema(example = "file")]
    pub source: String,
    pub updated_at: DateTime<Utc>,
}

impl StaffLessonRow {
    pub fn new(row: lesson::Model) -> Self {
        Self {
            articles: serde_json::from_str(&row.articles).unwrap_or_default(),
            tags: serde_json::from_str(&row.tags).unwrap_or_default(),
            slug: row.slug,
            title: row.title,
            published_on: row.published_on,
            published: row.published,
            revision: row.revision,
            source: row.source,
            updated_at: row.updated_at,
        }
    }
}

/// One page of the staff list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffLessonPage {
    pub items: Vec<StaffLessonRow>,
    pub total: u64,
}

/// One version of a lesson's content.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LessonRevisionView {
    pub revision: i32,
    pub title: String,
    pub summary: String,
    pub articles: Vec<u32>,
    pub tags: Vec<String>,
    pub author: String,
    pub published_on: String,
    pub markdown: String,
    /// `file` or `staff`.
    pub source: String,
    /// The staff member who wrote it (none for a file).
    #[schema(required = true)]
    pub actor_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl LessonRevisionView {
    pub fn new(row: lesson_revision::Model) -> Self {
        Self {
            articles: serde_json::from_str(&row.articles).unwrap_or_default(),
            tags: serde_json::from_str(&row.tags).unwrap_or_default(),
            revision: row.revision,
            title: row.title,
            summary: row.summary,
            author: row.author,
            published_on: row.published_on,
            markdown: row.body,
            source: row.source,
            actor_id: row.actor_id,
            created_at: row.created_at,
        }
    }
}

/// The server's rendering of a draft body.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Preview {
    pub blocks: Vec<Block>,
}

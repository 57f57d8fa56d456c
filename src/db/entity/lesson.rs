use sea_orm::entity::prelude::*;

/// A 以案释法 lesson as it is now: its current revision's content and whether the public sees it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lessons")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// JSON: Civil Code article numbers, in the order the lesson gives them.
    pub articles: String,
    /// JSON: topic tags.
    pub tags: String,
    pub author: String,
    /// `YYYY-MM-DD`.
    pub published_on: String,
    /// Markdown (the allowed subset, see `lessons::markdown`).
    pub body: String,
    pub published: bool,
    /// The current revision's number.
    pub revision: i32,
    /// Where the current revision came from: `file` (question-bank/lessons) or `staff`.
    pub source: String,
    pub content_hash: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

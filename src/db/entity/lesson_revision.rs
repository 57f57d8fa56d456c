use sea_orm::entity::prelude::*;

/// One version of a lesson's content; the newest is the lesson's current one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lesson_revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub lesson_id: i64,
    pub revision: i32,
    pub title: String,
    pub summary: String,
    /// JSON: Civil Code article numbers.
    pub articles: String,
    /// JSON: topic tags.
    pub tags: String,
    pub author: String,
    pub published_on: String,
    pub body: String,
    /// `file` or `staff`.
    pub source: String,
    /// The staff member who wrote it (none for a file).
    pub actor_id: Option<i64>,
    pub content_hash: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// One version of a question's content. Sessions point at revisions, so an edit never
/// changes what an earlier quiz asked or how it was graded.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "question_revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub bank_key: String,
    pub key: String,
    pub revision: i32,
    pub kind: String,
    pub category: String,
    pub difficulty: i16,
    pub stem: String,
    /// JSON array of option texts (empty for judge).
    pub options: String,
    /// `C`, `ABD`, `T` or `F`.
    pub answer: String,
    pub explanation: String,
    /// JSON array of citations.
    pub basis: String,
    pub content_hash: String,
    /// Where this revision came from: `file` (question-bank/ at start), `upload` or `editor`.
    pub source: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

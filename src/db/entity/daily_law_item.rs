use sea_orm::entity::prelude::*;

/// A 每日一法 item: an article with a title and a plain-language gloss.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "daily_law_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The Civil Code article; one item per article.
    #[sea_orm(unique)]
    pub article: i32,
    pub title: String,
    pub gloss: String,
    /// Its place in the rotation (the file's order; staff additions go last).
    pub position: i32,
    pub in_rotation: bool,
    /// `file` (question-bank/lessons/daily-law.toml) or `staff`.
    pub source: String,
    pub updated_at: DateTimeUtc,
    pub updated_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

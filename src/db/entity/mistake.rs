use sea_orm::entity::prelude::*;

/// A question in a user's mistake book, until answered right twice in a row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mistakes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// The question's identity (questions.id), so a new revision stays the same mistake.
    #[sea_orm(primary_key, auto_increment = false)]
    pub question_id: i64,
    /// The revision last answered wrong.
    pub revision_id: i64,
    pub wrong_count: i32,
    pub right_streak: i32,
    pub last_wrong_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

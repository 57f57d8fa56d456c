use sea_orm::entity::prelude::*;

/// One drawn question of a session, with the session's own option order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session_questions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub session_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    pub revision_id: i64,
    /// Displayed option i is original option `permutation[i]` (digits; empty for judge).
    pub permutation: String,
    /// The answer as the resident gave it, in displayed letters (`B`, `ACD`) or `T`/`F`.
    pub choice: Option<String>,
    pub correct: Option<bool>,
    pub answered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// One attempt at a campaign.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quiz_sessions")]
pub struct Model {
    /// 128 random bits, hex: unguessable.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: i64,
    pub campaign_id: i64,
    /// 1 for the user's first attempt at the campaign, and so on.
    pub attempt: i32,
    /// The ChaCha seed of the draw, hex, so the draw can be audited.
    pub seed: String,
    pub started_at: DateTimeUtc,
    /// The Asia/Shanghai day it started (`YYYY-MM-DD`), for attempts per day.
    pub started_day: String,
    pub deadline: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub score: i32,
    pub correct: i32,
    pub total: i32,
    pub duration_ms: Option<i64>,
    /// `"{user}:{campaign}"` while in progress, NULL after: a unique index keeps one open attempt.
    pub in_progress_key: Option<String>,
    /// Answers that came faster than the campaign's floor (`min_ms_per_answer`) after the previous one.
    pub quick_answers: i32,
    /// Set at finish when the session broke the floor: why, in words. Off the boards and out of
    /// the draw while set and not cleared.
    pub flag_reason: Option<String>,
    /// Staff looked at the flag and cleared it (who, when).
    pub flag_cleared_at: Option<DateTimeUtc>,
    pub flag_cleared_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

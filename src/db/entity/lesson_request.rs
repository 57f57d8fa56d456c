use sea_orm::entity::prelude::*;

/// A resident's 你点我讲 request: a topic they want explained.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lesson_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub topic: String,
    /// `received`, `answered` or `declined`.
    pub state: String,
    /// The lesson that answers it.
    pub lesson_id: Option<i64>,
    /// Why it was declined.
    pub reason: Option<String>,
    pub created_at: DateTimeUtc,
    /// The Asia/Shanghai day it was made (`YYYY-MM-DD`), for the daily cap.
    pub created_day: String,
    /// 1 for the resident's first request that day, and so on (unique per resident and day).
    pub day_seq: i16,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// How many codes one subject (a phone, or a client address's keyed hash) was sent in its current
/// window, and when it may be sent the next one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_quotas")]
pub struct Model {
    /// `phone:13812345678` or `address:<hex>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    pub window_started_at: DateTimeUtc,
    pub sends: i32,
    pub next_send_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

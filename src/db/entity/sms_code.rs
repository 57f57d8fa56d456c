use sea_orm::entity::prelude::*;

/// A one-time code sent by SMS: only its HMAC is stored (see `sms`), one per phone and purpose.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub phone: String,
    /// `register`, `login` or `reset`.
    pub purpose: String,
    /// HMAC-SHA256 (server secret) of phone, purpose and code, as hex.
    pub code_hash: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// Tries used, right or wrong; the code is gone after the fifth.
    pub tries: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

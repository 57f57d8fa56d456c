use sea_orm::entity::prelude::*;

/// A question's identity, (bank, key), and which revision is current. Never deleted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "questions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub bank_key: String,
    pub key: String,
    /// The current revision number (see question_revisions).
    pub revision: i32,
    /// `active` or `retired`.
    pub status: String,
    /// Who made the current state (revision or status): `file`, `upload` or `editor`.
    pub source: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

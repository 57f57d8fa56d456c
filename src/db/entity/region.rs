use sea_orm::entity::prelude::*;

/// banner (旗) > township (苏木/镇) > village or community (嘎查/村/社区).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "regions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
    /// Registered residents, filled in by the bureau; 0 while unknown.
    pub residents: i32,
    /// Order within the parent, as listed in regions.toml.
    pub position: i32,
    /// False once a re-loaded regions.toml no longer lists it (users keep their region).
    pub active: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

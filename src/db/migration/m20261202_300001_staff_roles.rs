//! Staff roles scoped to a region: `users.scope_region` holds the township code of a
//! `township_staff` account or the village code of a `village_liaison` (null for everyone else).

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum Users {
    Table,
    ScopeRegion,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(ColumnDef::new(Users::ScopeRegion).string_len(32).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Users::Table).drop_column(Users::ScopeRegion).to_owned()).await
    }
}

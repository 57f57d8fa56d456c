//! The private half of a fixed eligible list: who each pseudonym is, the name and masked phone a
//! winner will be announced with, and the random nonce that opens the entry's public `contact`
//! commitment (revealed for winners only).

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    EligibleContacts,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Campaigns::Table)
                    .add_column(ColumnDef::new(Campaigns::EligibleContacts).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Campaigns::Table).drop_column(Campaigns::EligibleContacts).to_owned())
            .await
    }
}

//! Verified phones (issue 18): when a resident proved with an SMS code that the number is theirs,
//! and, on an account whose number its true owner claimed, the number it held and when.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum Users {
    Table,
    PhoneVerifiedAt,
    ClaimedPhone,
    ClaimedAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for column in [
            ColumnDef::new(Users::PhoneVerifiedAt).timestamp_with_time_zone().null().to_owned(),
            ColumnDef::new(Users::ClaimedPhone).string_len(11).null().to_owned(),
            ColumnDef::new(Users::ClaimedAt).timestamp_with_time_zone().null().to_owned(),
        ] {
            manager.alter_table(Table::alter().table(Users::Table).add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Users::PhoneVerifiedAt, Users::ClaimedPhone, Users::ClaimedAt] {
            manager.alter_table(Table::alter().table(Users::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

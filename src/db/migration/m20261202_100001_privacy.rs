//! Personal data (个人信息保护法): the consent given at registration (when, and to which version
//! of the privacy notice), the erasure of an account (its personal fields are overwritten, the
//! row stays so anonymous statistics stay true), and the daily question each resident answered
//! (a streak, and the day's answer shown again after a reload).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum Users {
    Table,
    ConsentAt,
    ConsentVersion,
    ErasedAt,
}

#[derive(DeriveIden)]
enum DailyAnswers {
    Table,
    UserId,
    Day,
    RevisionId,
    Choice,
    Correct,
    AnsweredAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for column in [
            ColumnDef::new(Users::ConsentAt).timestamp_with_time_zone().null().to_owned(),
            ColumnDef::new(Users::ConsentVersion).string_len(32).null().to_owned(),
            ColumnDef::new(Users::ErasedAt).timestamp_with_time_zone().null().to_owned(),
        ] {
            manager.alter_table(Table::alter().table(Users::Table).add_column(column).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(DailyAnswers::Table)
                    .if_not_exists()
                    .col(big_integer(DailyAnswers::UserId))
                    .col(string_len(DailyAnswers::Day, 10))
                    .col(big_integer(DailyAnswers::RevisionId))
                    .col(string_len(DailyAnswers::Choice, 8))
                    .col(boolean(DailyAnswers::Correct))
                    .col(timestamp_with_time_zone(DailyAnswers::AnsweredAt))
                    .primary_key(Index::create().col(DailyAnswers::UserId).col(DailyAnswers::Day))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(DailyAnswers::Table).to_owned()).await?;
        for column in [Users::ConsentAt, Users::ConsentVersion, Users::ErasedAt] {
            manager.alter_table(Table::alter().table(Users::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

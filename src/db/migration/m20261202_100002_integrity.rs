//! An honest prize quiz: a password that must be changed (the bootstrap admin, a staff reset); the
//! answers that came faster than a person reads, counted per session, and the flag a finish sets
//! on a session that broke the campaign's floor (kept off the boards and out of the draw until
//! staff clear it); the campaign's floor; and the eligible list fixed at close, with its hash.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum Users {
    Table,
    MustChangePassword,
}

#[derive(DeriveIden)]
enum QuizSessions {
    Table,
    QuickAnswers,
    FlagReason,
    FlagClearedAt,
    FlagClearedBy,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    MinMsPerAnswer,
    EligibleJson,
    EligibleSha256,
    EligibleFixedAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        let add =
            |table: DynIden, column: ColumnDef| Table::alter().table(table).add_column(column.to_owned()).to_owned();
        for statement in [
            add(
                Users::Table.into_iden(),
                ColumnDef::new(Users::MustChangePassword).boolean().not_null().default(false).to_owned(),
            ),
            add(
                QuizSessions::Table.into_iden(),
                ColumnDef::new(QuizSessions::QuickAnswers).integer().not_null().default(0).to_owned(),
            ),
            add(QuizSessions::Table.into_iden(), ColumnDef::new(QuizSessions::FlagReason).text().null().to_owned()),
            add(
                QuizSessions::Table.into_iden(),
                ColumnDef::new(QuizSessions::FlagClearedAt).timestamp_with_time_zone().null().to_owned(),
            ),
            add(
                QuizSessions::Table.into_iden(),
                ColumnDef::new(QuizSessions::FlagClearedBy).big_integer().null().to_owned(),
            ),
            add(
                Campaigns::Table.into_iden(),
                ColumnDef::new(Campaigns::MinMsPerAnswer).integer().not_null().default(2000).to_owned(),
            ),
            add(Campaigns::Table.into_iden(), ColumnDef::new(Campaigns::EligibleJson).text().null().to_owned()),
            add(
                Campaigns::Table.into_iden(),
                ColumnDef::new(Campaigns::EligibleSha256).string_len(64).null().to_owned(),
            ),
            add(
                Campaigns::Table.into_iden(),
                ColumnDef::new(Campaigns::EligibleFixedAt).timestamp_with_time_zone().null().to_owned(),
            ),
        ] {
            manager.alter_table(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = |table: DynIden, column: DynIden| Table::alter().table(table).drop_column(column).to_owned();
        for statement in [
            drop(Users::Table.into_iden(), Users::MustChangePassword.into_iden()),
            drop(QuizSessions::Table.into_iden(), QuizSessions::QuickAnswers.into_iden()),
            drop(QuizSessions::Table.into_iden(), QuizSessions::FlagReason.into_iden()),
            drop(QuizSessions::Table.into_iden(), QuizSessions::FlagClearedAt.into_iden()),
            drop(QuizSessions::Table.into_iden(), QuizSessions::FlagClearedBy.into_iden()),
            drop(Campaigns::Table.into_iden(), Campaigns::MinMsPerAnswer.into_iden()),
            drop(Campaigns::Table.into_iden(), Campaigns::EligibleJson.into_iden()),
            drop(Campaigns::Table.into_iden(), Campaigns::EligibleSha256.into_iden()),
            drop(Campaigns::Table.into_iden(), Campaigns::EligibleFixedAt.into_iden()),
        ] {
            manager.alter_table(statement).await?;
        }
        Ok(())
    }
}

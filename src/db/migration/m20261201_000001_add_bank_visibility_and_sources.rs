//! Bank visibility (`study` or `sealed`) and where each question revision, and each question's
//! current state, came from (`file`, `upload` or `editor`), so the start-up import can leave what
//! staff changed alone. Rows from before are taken as made by the shipped files.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum Banks {
    Table,
    Visibility,
}

#[derive(DeriveIden)]
enum Questions {
    Table,
    Source,
}

#[derive(DeriveIden)]
enum QuestionRevisions {
    Table,
    Source,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Banks::Table)
                    .add_column(string_len(Banks::Visibility, 16).default("study"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Questions::Table)
                    .add_column(string_len(Questions::Source, 16).default("file"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(QuestionRevisions::Table)
                    .add_column(string_len(QuestionRevisions::Source, 16).default("file"))
                    .to_owned(),
            )
            .await
    }
}

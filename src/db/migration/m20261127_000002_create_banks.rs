use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Banks {
    Table,
    Key,
    Title,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Questions {
    Table,
    Id,
    BankKey,
    Key,
    Revision,
    Status,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum QuestionRevisions {
    Table,
    Id,
    BankKey,
    Key,
    Revision,
    Kind,
    Category,
    Difficulty,
    Stem,
    Options,
    Answer,
    Explanation,
    Basis,
    ContentHash,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Banks::Table)
                    .if_not_exists()
                    .col(string_len(Banks::Key, 64).primary_key())
                    .col(string_len(Banks::Title, 200))
                    .col(timestamp_with_time_zone(Banks::CreatedAt))
                    .col(timestamp_with_time_zone(Banks::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Questions::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Questions::Id))
                    .col(string_len(Questions::BankKey, 64))
                    .col(string_len(Questions::Key, 64))
                    .col(integer(Questions::Revision))
                    .col(string_len(Questions::Status, 16))
                    .col(timestamp_with_time_zone(Questions::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_questions_bank")
                            .from(Questions::Table, Questions::BankKey)
                            .to(Banks::Table, Banks::Key),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_questions_bank_key")
                    .table(Questions::Table)
                    .col(Questions::BankKey)
                    .col(Questions::Key)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(QuestionRevisions::Table)
                    .if_not_exists()
                    .col(big_pk_auto(QuestionRevisions::Id))
                    .col(string_len(QuestionRevisions::BankKey, 64))
                    .col(string_len(QuestionRevisions::Key, 64))
                    .col(integer(QuestionRevisions::Revision))
                    .col(string_len(QuestionRevisions::Kind, 16))
                    .col(string_len(QuestionRevisions::Category, 32))
                    .col(small_integer(QuestionRevisions::Difficulty))
                    .col(text(QuestionRevisions::Stem))
                    .col(text(QuestionRevisions::Options))
                    .col(string_len(QuestionRevisions::Answer, 8))
                    .col(text(QuestionRevisions::Explanation))
                    .col(text(QuestionRevisions::Basis))
                    .col(string_len(QuestionRevisions::ContentHash, 64))
                    .col(timestamp_with_time_zone(QuestionRevisions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_question_revisions_bank")
                            .from(QuestionRevisions::Table, QuestionRevisions::BankKey)
                            .to(Banks::Table, Banks::Key),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_question_revisions")
                    .table(QuestionRevisions::Table)
                    .col(QuestionRevisions::BankKey)
                    .col(QuestionRevisions::Key)
                    .col(QuestionRevisions::Revision)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }
}

//! Lessons (以案释法) with their revisions, the 每日一法 items, and residents' 你点我讲 requests.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Lessons {
    Table,
    Id,
    Slug,
    Title,
    Summary,
    Articles,
    Tags,
    Author,
    PublishedOn,
    Body,
    Published,
    Revision,
    Source,
    ContentHash,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LessonRevisions {
    Table,
    Id,
    LessonId,
    Revision,
    Title,
    Summary,
    Articles,
    Tags,
    Author,
    PublishedOn,
    Body,
    Source,
    ActorId,
    ContentHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DailyLawItems {
    Table,
    Id,
    Article,
    Title,
    Gloss,
    Position,
    InRotation,
    Source,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum LessonRequests {
    Table,
    Id,
    UserId,
    Topic,
    State,
    LessonId,
    Reason,
    CreatedAt,
    CreatedDay,
    DaySeq,
    DecidedAt,
    DecidedBy,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Lessons::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Lessons::Id))
                    .col(string_len_uniq(Lessons::Slug, 64))
                    .col(string_len(Lessons::Title, 100))
                    .col(string_len(Lessons::Summary, 300))
                    .col(text(Lessons::Articles))
                    .col(text(Lessons::Tags))
                    .col(string_len(Lessons::Author, 100))
                    .col(string_len(Lessons::PublishedOn, 10))
                    .col(text(Lessons::Body))
                    .col(boolean(Lessons::Published))
                    .col(integer(Lessons::Revision))
                    .col(string_len(Lessons::Source, 16))
                    .col(string_len(Lessons::ContentHash, 64))
                    .col(timestamp_with_time_zone(Lessons::CreatedAt))
                    .col(timestamp_with_time_zone(Lessons::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LessonRevisions::Table)
                    .if_not_exists()
                    .col(big_pk_auto(LessonRevisions::Id))
                    .col(big_integer(LessonRevisions::LessonId))
                    .col(integer(LessonRevisions::Revision))
                    .col(string_len(LessonRevisions::Title, 100))
                    .col(string_len(LessonRevisions::Summary, 300))
                    .col(text(LessonRevisions::Articles))
                    .col(text(LessonRevisions::Tags))
                    .col(string_len(LessonRevisions::Author, 100))
                    .col(string_len(LessonRevisions::PublishedOn, 10))
                    .col(text(LessonRevisions::Body))
                    .col(string_len(LessonRevisions::Source, 16))
                    .col(big_integer_null(LessonRevisions::ActorId))
                    .col(string_len(LessonRevisions::ContentHash, 64))
                    .col(timestamp_with_time_zone(LessonRevisions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_lesson_revisions_lesson")
                            .from(LessonRevisions::Table, LessonRevisions::LessonId)
                            .to(Lessons::Table, Lessons::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_lesson_revisions")
                    .table(LessonRevisions::Table)
                    .col(LessonRevisions::LessonId)
                    .col(LessonRevisions::Revision)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DailyLawItems::Table)
                    .if_not_exists()
                    .col(big_pk_auto(DailyLawItems::Id))
                    .col(integer_uniq(DailyLawItems::Article))
                    .col(string_len(DailyLawItems::Title, 100))
                    .col(text(DailyLawItems::Gloss))
                    .col(integer(DailyLawItems::Position))
                    .col(boolean(DailyLawItems::InRotation))
                    .col(string_len(DailyLawItems::Source, 16))
                    .col(timestamp_with_time_zone(DailyLawItems::UpdatedAt))
                    .col(big_integer_null(DailyLawItems::UpdatedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LessonRequests::Table)
                    .if_not_exists()
                    .col(big_pk_auto(LessonRequests::Id))
                    .col(big_integer(LessonRequests::UserId))
                    .col(string_len(LessonRequests::Topic, 200))
                    .col(string_len(LessonRequests::State, 16))
                    .col(big_integer_null(LessonRequests::LessonId))
                    .col(string_len_null(LessonRequests::Reason, 200))
                    .col(timestamp_with_time_zone(LessonRequests::CreatedAt))
                    .col(string_len(LessonRequests::CreatedDay, 10))
                    .col(small_integer(LessonRequests::DaySeq))
                    .col(timestamp_with_time_zone_null(LessonRequests::DecidedAt))
                    .col(big_integer_null(LessonRequests::DecidedBy))
                    // Personal data: a removed account row takes its requests with it.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_lesson_requests_user")
                            .from(LessonRequests::Table, LessonRequests::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_lesson_requests_lesson")
                            .from(LessonRequests::Table, LessonRequests::LessonId)
                            .to(Lessons::Table, Lessons::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // The daily cap holds across processes: the n-th request of a resident's day takes slot n,
        // and two racing for the same slot cannot both be stored.
        manager
            .create_index(
                Index::create()
                    .name("uq_lesson_requests_day_slot")
                    .table(LessonRequests::Table)
                    .col(LessonRequests::UserId)
                    .col(LessonRequests::CreatedDay)
                    .col(LessonRequests::DaySeq)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_lesson_requests_state")
                    .table(LessonRequests::Table)
                    .col(LessonRequests::State)
                    .col(LessonRequests::CreatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }
}

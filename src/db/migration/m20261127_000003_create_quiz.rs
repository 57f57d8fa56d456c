use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    Slug,
    Title,
    Description,
    OpensAt,
    ClosesAt,
    QuestionCount,
    Quotas,
    Banks,
    TimeLimitSecs,
    AttemptsPerDay,
    MaxAttempts,
    PointsPerQuestion,
    Reveal,
    Ranking,
    Prize,
    Published,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum QuizSessions {
    Table,
    Id,
    UserId,
    CampaignId,
    Attempt,
    Seed,
    StartedAt,
    StartedDay,
    Deadline,
    FinishedAt,
    Score,
    Correct,
    Total,
    DurationMs,
    InProgressKey,
}

#[derive(DeriveIden)]
enum SessionQuestions {
    Table,
    SessionId,
    Position,
    RevisionId,
    Permutation,
    Choice,
    Correct,
    AnsweredAt,
}

#[derive(DeriveIden)]
enum Mistakes {
    Table,
    UserId,
    QuestionId,
    RevisionId,
    WrongCount,
    RightStreak,
    LastWrongAt,
    UpdatedAt,
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
                    .table(Campaigns::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Campaigns::Id))
                    .col(string_len_uniq(Campaigns::Slug, 64))
                    .col(string_len(Campaigns::Title, 200))
                    .col(text(Campaigns::Description))
                    .col(timestamp_with_time_zone(Campaigns::OpensAt))
                    .col(timestamp_with_time_zone(Campaigns::ClosesAt))
                    .col(integer(Campaigns::QuestionCount))
                    .col(text(Campaigns::Quotas))
                    .col(text(Campaigns::Banks))
                    .col(integer(Campaigns::TimeLimitSecs))
                    .col(integer(Campaigns::AttemptsPerDay))
                    .col(integer(Campaigns::MaxAttempts))
                    .col(integer(Campaigns::PointsPerQuestion))
                    .col(string_len(Campaigns::Reveal, 16))
                    .col(string_len(Campaigns::Ranking, 16))
                    .col(text(Campaigns::Prize))
                    .col(boolean(Campaigns::Published))
                    .col(timestamp_with_time_zone(Campaigns::CreatedAt))
                    .col(timestamp_with_time_zone(Campaigns::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(QuizSessions::Table)
                    .if_not_exists()
                    .col(string_len(QuizSessions::Id, 32).primary_key())
                    .col(big_integer(QuizSessions::UserId))
                    .col(big_integer(QuizSessions::CampaignId))
                    .col(integer(QuizSessions::Attempt))
                    .col(string_len(QuizSessions::Seed, 64))
                    .col(timestamp_with_time_zone(QuizSessions::StartedAt))
                    .col(string_len(QuizSessions::StartedDay, 10))
                    .col(timestamp_with_time_zone(QuizSessions::Deadline))
                    .col(timestamp_with_time_zone_null(QuizSessions::FinishedAt))
                    .col(integer(QuizSessions::Score))
                    .col(integer(QuizSessions::Correct))
                    .col(integer(QuizSessions::Total))
                    .col(big_integer_null(QuizSessions::DurationMs))
                    .col(string_len_null(QuizSessions::InProgressKey, 48))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sessions_user")
                            .from(QuizSessions::Table, QuizSessions::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sessions_campaign")
                            .from(QuizSessions::Table, QuizSessions::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One session in progress per user and campaign, enforced by the database itself.
        manager
            .create_index(
                Index::create()
                    .name("uq_sessions_in_progress")
                    .table(QuizSessions::Table)
                    .col(QuizSessions::InProgressKey)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_campaign_user")
                    .table(QuizSessions::Table)
                    .col(QuizSessions::CampaignId)
                    .col(QuizSessions::UserId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_open_deadline")
                    .table(QuizSessions::Table)
                    .col(QuizSessions::FinishedAt)
                    .col(QuizSessions::Deadline)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SessionQuestions::Table)
                    .if_not_exists()
                    .col(string_len(SessionQuestions::SessionId, 32))
                    .col(integer(SessionQuestions::Position))
                    .col(big_integer(SessionQuestions::RevisionId))
                    .col(string_len(SessionQuestions::Permutation, 8))
                    .col(string_len_null(SessionQuestions::Choice, 8))
                    .col(boolean_null(SessionQuestions::Correct))
                    .col(timestamp_with_time_zone_null(SessionQuestions::AnsweredAt))
                    .primary_key(Index::create().col(SessionQuestions::SessionId).col(SessionQuestions::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_session_questions_session")
                            .from(SessionQuestions::Table, SessionQuestions::SessionId)
                            .to(QuizSessions::Table, QuizSessions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Mistakes::Table)
                    .if_not_exists()
                    .col(big_integer(Mistakes::UserId))
                    .col(big_integer(Mistakes::QuestionId))
                    .col(big_integer(Mistakes::RevisionId))
                    .col(integer(Mistakes::WrongCount))
                    .col(integer(Mistakes::RightStreak))
                    .col(timestamp_with_time_zone(Mistakes::LastWrongAt))
                    .col(timestamp_with_time_zone(Mistakes::UpdatedAt))
                    .primary_key(Index::create().col(Mistakes::UserId).col(Mistakes::QuestionId))
                    .to_owned(),
            )
            .await
    }
}

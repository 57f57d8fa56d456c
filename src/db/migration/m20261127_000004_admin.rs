use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorId,
    Action,
    Target,
    Details,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    DrawSeed,
    DrawCommitment,
    DrawResult,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Disabled,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(big_integer_null(AuditLog::ActorId))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_len(AuditLog::Target, 200))
                    .col(text(AuditLog::Details))
                    .col(string_len(AuditLog::PrevHash, 64))
                    .col(string_len(AuditLog::Hash, 64))
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for column in [
            ColumnDef::new(Campaigns::DrawSeed).string_len(64).null().to_owned(),
            ColumnDef::new(Campaigns::DrawCommitment).string_len(64).null().to_owned(),
            ColumnDef::new(Campaigns::DrawResult).text().null().to_owned(),
        ] {
            manager.alter_table(Table::alter().table(Campaigns::Table).add_column(column).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(ColumnDef::new(Users::Disabled).boolean().not_null().default(false))
                    .to_owned(),
            )
            .await
    }
}

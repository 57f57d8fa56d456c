//! One successor per audit entry: with several pufa processes, two appends racing for the same
//! predecessor would fork the chain. A unique index on `prev_hash` makes the loser's INSERT fail,
//! and the audit log retries it on top of the winner (see `admin::audit`).

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    PrevHash,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("audit_log_one_successor")
                    .table(AuditLog::Table)
                    .col(AuditLog::PrevHash)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("audit_log_one_successor").table(AuditLog::Table).to_owned()).await
    }
}

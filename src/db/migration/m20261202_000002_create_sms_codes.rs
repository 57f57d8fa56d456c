//! SMS one-time codes and their send quotas (see `sms`). Codes live in SQL so they survive a
//! restart and hold across processes; only an HMAC of each code is stored.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SmsCodes {
    Table,
    Id,
    Phone,
    Purpose,
    CodeHash,
    CreatedAt,
    ExpiresAt,
    Tries,
}

#[derive(DeriveIden)]
enum SmsQuotas {
    Table,
    Subject,
    WindowStartedAt,
    Sends,
    NextSendAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SmsCodes::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SmsCodes::Id))
                    .col(string_len(SmsCodes::Phone, 11))
                    .col(string_len(SmsCodes::Purpose, 16))
                    .col(string_len(SmsCodes::CodeHash, 64))
                    .col(timestamp_with_time_zone(SmsCodes::CreatedAt))
                    .col(timestamp_with_time_zone(SmsCodes::ExpiresAt))
                    .col(integer(SmsCodes::Tries).default(0))
                    .to_owned(),
            )
            .await?;
        // One live code per phone and purpose: a new one replaces the old.
        manager
            .create_index(
                Index::create()
                    .name("sms_codes_one_per_purpose")
                    .table(SmsCodes::Table)
                    .col(SmsCodes::Phone)
                    .col(SmsCodes::Purpose)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sms_codes_expires")
                    .table(SmsCodes::Table)
                    .col(SmsCodes::ExpiresAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SmsQuotas::Table)
                    .if_not_exists()
                    .col(string_len(SmsQuotas::Subject, 80).primary_key())
                    .col(timestamp_with_time_zone(SmsQuotas::WindowStartedAt))
                    .col(integer(SmsQuotas::Sends).default(0))
                    .col(timestamp_with_time_zone(SmsQuotas::NextSendAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SmsQuotas::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(SmsCodes::Table).to_owned()).await
    }
}

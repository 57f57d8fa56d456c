use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Regions {
    Table,
    Code,
    Name,
    Level,
    ParentCode,
    Residents,
    Position,
    Active,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Phone,
    DisplayName,
    RegionCode,
    Role,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuthTokens {
    Table,
    TokenHash,
    UserId,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Regions::Table)
                    .if_not_exists()
                    .col(string_len(Regions::Code, 32).primary_key())
                    .col(string_len(Regions::Name, 64))
                    .col(string_len(Regions::Level, 16))
                    .col(string_len_null(Regions::ParentCode, 32))
                    .col(integer(Regions::Residents).default(0))
                    .col(integer(Regions::Position).default(0))
                    .col(boolean(Regions::Active).default(true))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_regions_parent")
                    .table(Regions::Table)
                    .col(Regions::ParentCode)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Users::Id))
                    .col(string_len_uniq(Users::Phone, 11))
                    .col(string_len(Users::DisplayName, 64))
                    .col(string_len(Users::RegionCode, 32))
                    .col(string_len(Users::Role, 16))
                    .col(string_len(Users::PasswordHash, 128))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_users_region")
                            .from(Users::Table, Users::RegionCode)
                            .to(Regions::Table, Regions::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_region")
                    .table(Users::Table)
                    .col(Users::RegionCode)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuthTokens::Table)
                    .if_not_exists()
                    .col(string_len(AuthTokens::TokenHash, 64).primary_key())
                    .col(big_integer(AuthTokens::UserId))
                    .col(timestamp_with_time_zone(AuthTokens::CreatedAt))
                    .col(timestamp_with_time_zone(AuthTokens::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_auth_tokens_user")
                            .from(AuthTokens::Table, AuthTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_auth_tokens_user")
                    .table(AuthTokens::Table)
                    .col(AuthTokens::UserId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }
}

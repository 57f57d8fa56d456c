//! Migrations, applied at start; one set for SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

mod m20261127_000001_create_accounts;
mod m20261127_000002_create_banks;
mod m20261127_000003_create_quiz;
mod m20261127_000004_admin;
mod m20261127_000005_audit_chain_unique;
mod m20261202_200001_create_lessons;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_accounts::Migration),
            Box::new(m20261127_000002_create_banks::Migration),
            Box::new(m20261127_000003_create_quiz::Migration),
            Box::new(m20261127_000004_admin::Migration),
            Box::new(m20261127_000005_audit_chain_unique::Migration),
            Box::new(m20261202_200001_create_lessons::Migration),
        ]
    }
}

//! Migrations, applied at start; one set for SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

mod m20261127_000001_create_accounts;
mod m20261127_000002_create_banks;
mod m20261127_000003_create_quiz;
mod m20261127_000004_admin;
mod m20261127_000005_audit_chain_unique;
mod m20261201_000001_add_bank_visibility_and_sources;
mod m20261202_000002_create_sms_codes;
mod m20261202_100001_privacy;
mod m20261202_100002_integrity;
mod m20261202_100003_eligible_contacts;
mod m20261202_100004_verified_phones;
mod m20261202_200001_create_lessons;
mod m20261202_300001_staff_roles;

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
            Box::new(m20261202_100001_privacy::Migration),
            Box::new(m20261202_100002_integrity::Migration),
            Box::new(m20261202_000002_create_sms_codes::Migration),
            Box::new(m20261201_000001_add_bank_visibility_and_sources::Migration),
            Box::new(m20261202_100003_eligible_contacts::Migration),
            Box::new(m20261202_100004_verified_phones::Migration),
            Box::new(m20261202_200001_create_lessons::Migration),
            Box::new(m20261202_300001_staff_roles::Migration),
        ]
    }
}

//! Database connection, entities and migrations: one schema for SQLite and PostgreSQL.

pub mod entity;
pub mod migration;

use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;

/// Connects, tunes SQLite for concurrent use (WAL, busy timeout, foreign keys) and applies migrations.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false).connect_timeout(Duration::from_secs(5)).acquire_timeout(Duration::from_secs(5));
    if url.starts_with("sqlite:") {
        options.max_connections(8).min_connections(1).map_sqlx_sqlite_opts(|o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            // WAL lets readers run beside the single writer; FULL sync keeps every
            // acknowledged answer on disk even if the machine loses power.
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    } else {
        options.max_connections(32).min_connections(1);
    }
    let db = Database::connect(options).await?;
    migration::Migrator::up(&db, None).await?;
    Ok(db)
}

/// Whether the database answers a trivial query (readiness).
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

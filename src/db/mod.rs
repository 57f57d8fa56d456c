//! Database connection, entities and migrations: one schema for SQLite and PostgreSQL.

pub mod entity;
pub mod migration;

use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;

/// The largest OFFSET both databases take (a signed 64-bit integer); larger ones are clamped
/// (they skip everything anyway) instead of failing to bind.
pub const MAX_OFFSET: u64 = i64::MAX as u64;

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
                // 8 MB of pages per connection instead of 2: reads stop going to the kernel.
                .pragma("cache_size", "-8000")
                // Deleted and overwritten content is zeroed, so an erased resident's phone and
                // name do not linger in free pages (个人信息保护法 第47条).
                .pragma("secure_delete", "on")
                // Batched answers give each batch size its own SQL text; keep them all prepared.
                .statement_cache_capacity(1024)
        });
    } else {
        // While the server is away every SQL call of a request waits the whole acquire timeout
        // (sqlx retries a refused connection until then) before its 503, and a request makes up
        // to three in a row (a finish: the session, the boards, the review). 2 s keeps such a
        // request within a client's 10 s; a pool that cannot hand out one of its 32 connections
        // in 2 s is overloaded anyway.
        options.max_connections(32).min_connections(1).acquire_timeout(Duration::from_secs(2));
    }
    let db = Database::connect(options).await?;
    migration::Migrator::up(&db, None).await?;
    Ok(db)
}

/// Whether a database error means the database is away (worth another try shortly) rather than
/// a bad statement: no connection to be had, a connection lost mid-query, or a server shutting
/// down or starting up. Lost connections surface from sqlx as query errors, not only `Conn`.
pub fn is_unavailable(err: &sea_orm::DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => match &**e {
            Sqlx::Io(_) | Sqlx::Tls(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
            // SQLSTATE class 08 (connection exception), 57P01-57P03 (admin or crash shutdown,
            // cannot connect now), 53300 (too many connections).
            Sqlx::Database(e) => e
                .code()
                .is_some_and(|code| code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")),
            _ => false,
        },
        _ => false,
    }
}

/// Whether the database answers a trivial query (readiness).
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// Serialises this process's quiz writes on SQLite. SQLite has one writer; a second connection
/// that tries to write meanwhile sleeps in the busy handler (1, 2, 5 … 100 ms steps), which put
/// second-long tails on session starts under load. Waiting in line here costs only the wait.
/// PostgreSQL writes in parallel, so there the gate is open.
#[derive(Clone)]
pub struct WriteGate(Option<std::sync::Arc<tokio::sync::Mutex<()>>>);

impl WriteGate {
    pub fn for_db(db: &DatabaseConnection) -> Self {
        let sqlite = db.get_database_backend() == sea_orm::DbBackend::Sqlite;
        Self(sqlite.then(Default::default))
    }

    pub async fn enter(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.0 {
            Some(lock) => Some(lock.lock().await),
            None => None,
        }
    }
}

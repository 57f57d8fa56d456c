//! The audit log: every admin write, hash-chained so that a removed or edited entry is detected.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, QueryOrder, QuerySelect, SqlErr,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::db::entity::audit_entry;

/// The hash before the first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    #[schema(required = true)]
    pub actor_id: Option<i64>,
    pub action: String,
    pub target: String,
    pub details: serde_json::Value,
    pub hash: String,
}

/// Where the chain breaks: the first entry whose hash does not follow from what precedes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit entry {id} does not match the chain (edited, or an entry before it was removed)")]
pub struct BrokenChain {
    pub id: i64,
}

fn entry_hash(prev: &str, at: &DateTime<Utc>, actor: Option<i64>, action: &str, target: &str, details: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [
        prev,
        &at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        &actor.map_or(String::new(), |a| a.to_string()),
        action,
        target,
        details,
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    crate::digest::hex(&hasher.finalize())
}

#[derive(Clone)]
pub struct AuditLog {
    db: DatabaseConnection,
    /// Appends one at a time, so two writes cannot both chain to the same predecessor.
    append: Arc<Mutex<()>>,
}

impl AuditLog {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db, append: Arc::default() }
    }

    /// Appends an entry. Call after the write it describes has been stored.
    pub async fn record(
        &self,
        actor: Option<i64>,
        action: &str,
        target: &str,
        details: serde_json::Value,
    ) -> Result<(), DbErr> {
        let _turn = self.append.lock().await;
        let details = details.to_string();
        // In-process appends take turns; another pufa process may still append between our read
        // of the last entry and our insert. The unique index on prev_hash refuses the second
        // successor, and we chain again on top of the winner.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let last =
                audit_entry::Entity::find().order_by_desc(audit_entry::Column::Id).limit(1).one(&self.db).await?;
            let prev = last.map_or_else(|| GENESIS.to_owned(), |e| e.hash);
            // Microsecond precision: the stored time must hash the same after a round trip through SQL.
            let at = DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap_or_else(Utc::now);
            let hash = entry_hash(&prev, &at, actor, action, target, &details);
            let inserted = audit_entry::ActiveModel {
                at: Set(at),
                actor_id: Set(actor),
                action: Set(action.to_owned()),
                target: Set(target.to_owned()),
                details: Set(details.clone()),
                prev_hash: Set(prev),
                hash: Set(hash),
                ..Default::default()
            }
            .insert(&self.db)
            .await;
            match inserted {
                Ok(_) => return Ok(()),
                Err(e) if attempts < 20 && matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {}
                Err(e) => return Err(e),
            }
        }
    }

    pub async fn list(&self, offset: u64, limit: u64) -> Result<Vec<AuditEntry>, DbErr> {
        let rows = audit_entry::Entity::find()
            .order_by_desc(audit_entry::Column::Id)
            .offset(offset.min(crate::db::MAX_OFFSET))
            .limit(limit.clamp(1, 500))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|e| AuditEntry {
                id: e.id,
                at: e.at,
                actor_id: e.actor_id,
                action: e.action,
                target: e.target,
                details: serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null),
                hash: e.hash,
            })
            .collect())
    }

    /// Walks the whole chain; returns the number of entries, or the first one that breaks it.
    pub async fn verify(&self) -> Result<Result<usize, BrokenChain>, DbErr> {
        let rows = audit_entry::Entity::find().order_by_asc(audit_entry::Column::Id).all(&self.db).await?;
        let mut prev = GENESIS.to_owned();
        for row in &rows {
            let expected = entry_hash(&prev, &row.at, row.actor_id, &row.action, &row.target, &row.details);
            if row.prev_hash != prev || row.hash != expected {
                return Ok(Err(BrokenChain { id: row.id }));
            }
            prev = row.hash.clone();
        }
        Ok(Ok(rows.len()))
    }
}

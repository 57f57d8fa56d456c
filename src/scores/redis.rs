//! The Redis live store: shared by every pufa process; rebuildable from SQL.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{Counters, LiveError, WindowCount};

#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
}

impl RedisStore {
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, LiveError> {
        let client = redis::Client::open(url)?;
        // Short timeouts: a Redis outage must not stall answers, which SQL already holds.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(1)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        let conn = client.get_connection_manager_with_config(config).await?;
        let store = Self { conn, prefix: prefix.to_owned() };
        redis::cmd("PING").query_async::<String>(&mut store.conn.clone()).await?;
        Ok(store)
    }

    pub async fn ping(&self) -> bool {
        redis::cmd("PING").query_async::<String>(&mut self.conn.clone()).await.is_ok()
    }

    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.prefix)
    }
}

impl Counters for RedisStore {
    async fn hit(&self, key: &str, window_secs: u64) -> Result<WindowCount, LiveError> {
        let key = self.key(key);
        // One round trip: count, open the window if it is new (NX), read what is left of it.
        let (hits, _, ttl): (u32, i64, i64) = redis::pipe()
            .atomic()
            .cmd("INCR")
            .arg(&key)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(window_secs)
            .arg("NX")
            .cmd("TTL")
            .arg(&key)
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(WindowCount { hits, resets_in_secs: u64::try_from(ttl).unwrap_or(1).max(1) })
    }

    async fn peek(&self, key: &str) -> Result<WindowCount, LiveError> {
        let key = self.key(key);
        let (hits, ttl): (Option<u32>, i64) =
            redis::pipe().cmd("GET").arg(&key).cmd("TTL").arg(&key).query_async(&mut self.conn.clone()).await?;
        Ok(WindowCount { hits: hits.unwrap_or(0), resets_in_secs: u64::try_from(ttl).unwrap_or(0) })
    }

    async fn reset(&self, key: &str) -> Result<(), LiveError> {
        redis::cmd("DEL").arg(self.key(key)).query_async::<i64>(&mut self.conn.clone()).await?;
        Ok(())
    }
}

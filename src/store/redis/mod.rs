//! The Redis live store: shared by every pufa process; rebuildable from SQL. Works on one Redis
//! server or on a Redis Cluster (`redis_url` lists several nodes): every pipeline and script below
//! touches one slot only (a campaign's keys share the hash tag `{c<id>}`; a counter is one key).

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisError, RedisFuture, Value};

use super::{Counters, LiveError, WindowCount};

/// Short timeouts: a Redis outage must not stall answers, which SQL already holds.
const TIMEOUT: Duration = Duration::from_secs(1);

/// One Redis server or a Redis Cluster; both multiplex one connection per node, reconnect by
/// themselves and are cheap to clone. Commands go through it as through any redis-rs connection.
#[derive(Clone)]
pub enum RedisConnection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl RedisConnection {
    /// `urls`: one `redis://` URL, or several separated by commas (nodes of a Redis Cluster, from
    /// which the client learns the others).
    pub async fn connect(urls: &str) -> Result<Self, RedisError> {
        let nodes: Vec<&str> = urls.split(',').map(str::trim).filter(|u| !u.is_empty()).collect();
        match nodes.as_slice() {
            [] => Err(RedisError::from((redis::ErrorKind::InvalidClientConfig, "no Redis URL"))),
            [url] => {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(TIMEOUT))
                    .set_response_timeout(Some(TIMEOUT))
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_secs(2));
                let conn = redis::Client::open(*url)?.get_connection_manager_with_config(config).await?;
                Ok(Self::Single(conn))
            }
            nodes => {
                // Retries cover MOVED/ASK redirections and a node reconnecting after a failover;
                // the whole request, retries included, is still bounded (2 s).
                let client = ClusterClientBuilder::new(nodes.iter().copied())
                    .connection_timeout(TIMEOUT)
                    .response_timeout(TIMEOUT)
                    .overall_response_timeout(Some(2 * TIMEOUT))
                    .retries(3)
                    .min_retry_wait(10)
                    .max_retry_wait(200)
                    .build()?;
                Ok(Self::Cluster(client.get_async_connection().await?))
            }
        }
    }

    pub fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(conn) => conn.req_packed_command(cmd),
            Self::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(conn) => conn.req_packed_commands(pipeline, offset, count),
            Self::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(conn) => conn.get_db(),
            Self::Cluster(conn) => conn.get_db(),
        }
    }
}

#[derive(Clone)]
pub struct RedisStore {
    conn: RedisConnection,
    prefix: String,
}

impl RedisStore {
    /// `url`: one Redis server, or several comma-separated nodes of a Redis Cluster.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, LiveError> {
        let conn = RedisConnection::connect(url).await?;
        let store = Self { conn, prefix: prefix.to_owned() };
        redis::cmd("PING").query_async::<String>(&mut store.conn.clone()).await?;
        Ok(store)
    }

    /// Whether Redis answers (on a cluster: every master).
    pub async fn ping(&self) -> bool {
        redis::cmd("PING").query_async::<String>(&mut self.conn.clone()).await.is_ok()
    }

    pub fn is_cluster(&self) -> bool {
        self.conn.is_cluster()
    }

    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.prefix)
    }
}

impl Counters for RedisStore {
    async fn hit(&self, key: &str, window_secs: u64) -> Result<WindowCount, LiveError> {
        let key = self.key(key);
        // One round trip: count, open the window if it is new (NX), read what is left of it.
        // One key, so one slot: a transaction is legal on a cluster too.
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

mod boards;

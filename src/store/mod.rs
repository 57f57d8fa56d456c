//! Live state outside SQL: leaderboards (sorted boards per campaign) and expiring counters
//! (throttling). Two interchangeable stores: Redis (shared by every pufa process) and an
//! in-process one for a single machine without Redis. SQL stays the source of truth; nothing here
//! is the only copy of anything a resident was told was saved. This module knows boards only as
//! sorted sets; what a standing is and when it changes is `scores`' business.

pub mod board;
pub mod memory;
mod ranked_set;
pub mod redis;

use serde::Deserialize;

pub use self::board::{Board, Entry};
pub use self::memory::MemoryStore;
pub use self::redis::{RedisConnection, RedisStore};

/// Which store a process uses (setting `live_scores`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreMode {
    /// Redis when it answers at start, else the in-process store (with a loud warning).
    Auto,
    /// Redis or refuse to start: for deployments of several processes.
    Redis,
    /// The in-process store, for a single machine without Redis.
    Memory,
}

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("redis: {0}")]
    Redis(#[from] ::redis::RedisError),
}

/// A fixed-window counter's state: hits so far and seconds until the window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCount {
    pub hits: u32,
    pub resets_in_secs: u64,
}

/// A change to one board for one user: a new entry, or removal (`None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardUpdate {
    pub board: Board,
    pub entry: Option<Entry>,
}

/// One `put`, for `put_many`.
#[derive(Debug, Clone)]
pub struct Put {
    pub campaign: i64,
    pub user: i64,
    pub card: String,
    pub updates: Vec<BoardUpdate>,
}

/// A board row as stored: rank (1-based), user, entry and the user's card (name, region).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked {
    pub rank: u64,
    pub user_id: i64,
    pub entry: Entry,
    pub card: Option<String>,
}

/// Leaderboards: sorted boards per campaign, exact order (see `board`), rank in O(log N).
/// Implemented by Redis (shared by all pufa processes) and in-process (one machine).
pub trait LiveScores: Send + Sync {
    /// Applies one user's updates on several boards of a campaign atomically, in one round trip.
    fn put(
        &self,
        campaign: i64,
        user: i64,
        card: &str,
        updates: &[BoardUpdate],
    ) -> impl Future<Output = Result<(), LiveError>> + Send;
    /// Several `put`s in order; Redis sends them in one round trip (a pipeline).
    fn put_many(&self, puts: &[Put]) -> impl Future<Output = Result<(), LiveError>> + Send {
        async move {
            for p in puts {
                self.put(p.campaign, p.user, &p.card, &p.updates).await?;
            }
            Ok(())
        }
    }
    /// Rows `offset..offset+limit` of a board, and how many entries it has.
    fn page(
        &self,
        campaign: i64,
        board: &Board,
        offset: u64,
        limit: u64,
    ) -> impl Future<Output = Result<(Vec<Ranked>, u64), LiveError>> + Send;
    /// A user's row on a board.
    fn rank(
        &self,
        campaign: i64,
        board: &Board,
        user: i64,
    ) -> impl Future<Output = Result<Option<Ranked>, LiveError>> + Send;
    /// (entries, sum of points) of each board: participants and averages per region.
    fn tallies(
        &self,
        campaign: i64,
        boards: &[Board],
    ) -> impl Future<Output = Result<Vec<(u64, i64)>, LiveError>> + Send;
    /// Forgets every board of a campaign (before a rebuild).
    fn clear(&self, campaign: i64) -> impl Future<Output = Result<(), LiveError>> + Send;
    /// Notes that a rebuild of the campaign's boards is under way (for a while): other processes
    /// sharing the store then take the boards for built and do not start a rebuild of their own,
    /// whose clear would empty the boards under this one.
    fn mark_rebuilding(&self, campaign: i64) -> impl Future<Output = Result<(), LiveError>> + Send;
    /// Marks a campaign's boards as complete (after a rebuild); `is_built` reads it.
    fn mark_built(&self, campaign: i64) -> impl Future<Output = Result<(), LiveError>> + Send;
    fn is_built(&self, campaign: i64) -> impl Future<Output = Result<bool, LiveError>> + Send;
}

/// Counters that expire: the primitive behind login throttling.
pub trait Counters: Send + Sync {
    /// Adds one hit to `key`'s window (starting a window of `window_secs` if none is open).
    fn hit(&self, key: &str, window_secs: u64) -> impl Future<Output = Result<WindowCount, LiveError>> + Send;
    /// The window's state without adding to it.
    fn peek(&self, key: &str) -> impl Future<Output = Result<WindowCount, LiveError>> + Send;
    /// Closes the window (e.g. after a successful login).
    fn reset(&self, key: &str) -> impl Future<Output = Result<(), LiveError>> + Send;
}

/// The store this process uses, chosen once at start.
#[derive(Clone)]
pub enum LiveStore {
    Redis(RedisStore),
    Memory(MemoryStore),
}

#[derive(Debug, thiserror::Error)]
#[error("live_scores = \"redis\" but Redis at {url} does not answer: {source}")]
pub struct RedisRequired {
    url: String,
    source: LiveError,
}

impl LiveStore {
    /// Picks the store for `mode`; only `Redis` refuses to start without Redis at `url`.
    pub async fn connect(mode: StoreMode, url: Option<&str>, prefix: &str) -> Result<Self, RedisRequired> {
        match (mode, url) {
            (StoreMode::Memory, _) | (StoreMode::Auto, None) => {
                if mode == StoreMode::Auto {
                    tracing::warn!("no redis_url set: live scores and throttling are kept IN THIS PROCESS only");
                }
                Ok(Self::Memory(MemoryStore::default()))
            }
            (mode, Some(url)) => match RedisStore::connect(url, prefix).await {
                Ok(store) => Ok(Self::Redis(store)),
                Err(source) if mode == StoreMode::Redis => Err(RedisRequired { url: url.to_owned(), source }),
                Err(err) => {
                    tracing::warn!(
                        "Redis at {url} does not answer ({err}). pufa runs on this one machine with \
                         leaderboards and sign-in limits kept in this process (fine for a single server; \
                         they are rebuilt from SQL at every start). To use Redis, start it (redis-server) and \
                         restart pufa; to refuse to start without it, set PUFA_LIVE_SCORES=redis."
                    );
                    Ok(Self::Memory(MemoryStore::default()))
                }
            },
            (StoreMode::Redis, None) => Err(RedisRequired {
                url: String::new(),
                source: LiveError::Redis(::redis::RedisError::from((
                    ::redis::ErrorKind::InvalidClientConfig,
                    "no redis_url",
                ))),
            }),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Redis(_) => "redis",
            Self::Memory(_) => "memory",
        }
    }

    /// `Some(answers)` for Redis, `None` for the in-process store (nothing to reach).
    pub async fn ping(&self) -> Option<bool> {
        match self {
            Self::Redis(store) => Some(store.ping().await),
            Self::Memory(_) => None,
        }
    }
}

impl Counters for LiveStore {
    async fn hit(&self, key: &str, window_secs: u64) -> Result<WindowCount, LiveError> {
        match self {
            Self::Redis(s) => s.hit(key, window_secs).await,
            Self::Memory(s) => s.hit(key, window_secs).await,
        }
    }

    async fn peek(&self, key: &str) -> Result<WindowCount, LiveError> {
        match self {
            Self::Redis(s) => s.peek(key).await,
            Self::Memory(s) => s.peek(key).await,
        }
    }

    async fn reset(&self, key: &str) -> Result<(), LiveError> {
        match self {
            Self::Redis(s) => s.reset(key).await,
            Self::Memory(s) => s.reset(key).await,
        }
    }
}

impl LiveScores for LiveStore {
    async fn put_many(&self, puts: &[Put]) -> Result<(), LiveError> {
        match self {
            Self::Redis(s) => s.put_many(puts).await,
            Self::Memory(s) => s.put_many(puts).await,
        }
    }

    async fn put(&self, campaign: i64, user: i64, card: &str, updates: &[BoardUpdate]) -> Result<(), LiveError> {
        match self {
            Self::Redis(s) => s.put(campaign, user, card, updates).await,
            Self::Memory(s) => s.put(campaign, user, card, updates).await,
        }
    }

    async fn page(
        &self,
        campaign: i64,
        board: &Board,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Ranked>, u64), LiveError> {
        match self {
            Self::Redis(s) => s.page(campaign, board, offset, limit).await,
            Self::Memory(s) => s.page(campaign, board, offset, limit).await,
        }
    }

    async fn rank(&self, campaign: i64, board: &Board, user: i64) -> Result<Option<Ranked>, LiveError> {
        match self {
            Self::Redis(s) => s.rank(campaign, board, user).await,
            Self::Memory(s) => s.rank(campaign, board, user).await,
        }
    }

    async fn tallies(&self, campaign: i64, boards: &[Board]) -> Result<Vec<(u64, i64)>, LiveError> {
        match self {
            Self::Redis(s) => s.tallies(campaign, boards).await,
            Self::Memory(s) => s.tallies(campaign, boards).await,
        }
    }

    async fn clear(&self, campaign: i64) -> Result<(), LiveError> {
        match self {
            Self::Redis(s) => s.clear(campaign).await,
            Self::Memory(s) => s.clear(campaign).await,
        }
    }

    async fn mark_rebuilding(&self, campaign: i64) -> Result<(), LiveError> {
        match self {
            Self::Redis(s) => s.mark_rebuilding(campaign).await,
            Self::Memory(s) => s.mark_rebuilding(campaign).await,
        }
    }

    async fn mark_built(&self, campaign: i64) -> Result<(), LiveError> {
        match self {
            Self::Redis(s) => s.mark_built(campaign).await,
            Self::Memory(s) => s.mark_built(campaign).await,
        }
    }

    async fn is_built(&self, campaign: i64) -> Result<bool, LiveError> {
        match self {
            Self::Redis(s) => s.is_built(campaign).await,
            Self::Memory(s) => s.is_built(campaign).await,
        }
    }
}

//! Live state outside SQL: throttling counters now, live scores and leaderboards later.
//! Two interchangeable stores: Redis (shared by every pufa process) and an in-process one
//! for a single machine without Redis. SQL stays the source of truth; nothing here is the
//! only copy of anything a resident was told was saved.

pub mod memory;
pub mod redis;

use crate::config::{LiveScoresMode, Settings};

pub use self::memory::MemoryStore;
pub use self::redis::RedisStore;

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
    /// Picks the store for `settings.live_scores`; only `"redis"` refuses to start without Redis.
    pub async fn for_settings(settings: &Settings) -> Result<Self, RedisRequired> {
        let url = settings.redis_url.as_deref();
        match (settings.live_scores, url) {
            (LiveScoresMode::Memory, _) | (LiveScoresMode::Auto, None) => {
                if settings.live_scores == LiveScoresMode::Auto {
                    tracing::warn!("no redis_url set: live scores and throttling are kept IN THIS PROCESS only");
                }
                Ok(Self::Memory(MemoryStore::default()))
            }
            (mode, Some(url)) => match RedisStore::connect(url, &settings.redis_prefix).await {
                Ok(store) => Ok(Self::Redis(store)),
                Err(source) if mode == LiveScoresMode::Redis => Err(RedisRequired { url: url.to_owned(), source }),
                Err(err) => {
                    tracing::warn!(
                        "Redis at {url} does not answer ({err}): live scores and throttling are kept IN THIS \
                         PROCESS only; run a single pufa process, or set live_scores = \"redis\" to require Redis"
                    );
                    Ok(Self::Memory(MemoryStore::default()))
                }
            },
            (LiveScoresMode::Redis, None) => unreachable!("settings validation requires redis_url in redis mode"),
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

/// What the quiz tells the live boards after every accepted answer and every finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreEvent {
    pub campaign_id: i64,
    pub user_id: i64,
    pub session_id: String,
    pub score: i32,
    pub duration_ms: Option<i64>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    pub ranking: Option<crate::quiz::Ranking>,
}

impl ScoreEvent {
    pub fn in_progress(session: &crate::db::entity::quiz_session::Model, score: i32) -> Self {
        Self {
            campaign_id: session.campaign_id,
            user_id: session.user_id,
            session_id: session.id.clone(),
            score,
            duration_ms: None,
            finished_at: None,
            ranking: None,
        }
    }

    pub fn finished(session: &crate::db::entity::quiz_session::Model, ranking: crate::quiz::Ranking) -> Self {
        Self {
            campaign_id: session.campaign_id,
            user_id: session.user_id,
            session_id: session.id.clone(),
            score: session.score,
            duration_ms: session.duration_ms,
            finished_at: session.finished_at,
            ranking: Some(ranking),
        }
    }
}

impl LiveStore {
    /// An answer was stored in SQL. Live boards (issue #5) update here; SQL already holds it,
    /// so a failure here never fails the answer.
    pub async fn record_answer(&self, event: &ScoreEvent) {
        tracing::trace!(?event, "answer recorded (live boards not built yet)");
    }

    /// A session finished (stored in SQL).
    pub async fn record_finish(&self, event: &ScoreEvent) {
        tracing::trace!(?event, "finish recorded (live boards not built yet)");
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

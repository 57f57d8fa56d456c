//! Scores: keeps the live boards in step with SQL, answers board reads, and rebuilds boards from
//! SQL (the source of truth) whenever the live store lost them.
//!
//! - `board`: a resident's standing from their sessions (`Ranking`), and a board's order from SQL;
//! - `writer`: what an answer and a finish change on the boards;
//! - `rebuild`: boards rewritten from SQL (on demand, after a Redis loss, at start);
//! - `reads`: board pages, ranks, "around me", region participation;
//! - `regions`: what a region's participants and average score are;
//! - `live`: the live stream of the top of the board;
//! - `views`: what the API shows of all this.

pub mod board;
pub mod live;
mod reads;
mod rebuild;
pub mod regions;
mod views;
mod writer;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use tokio::sync::mpsc;

pub use self::board::{Board, Entry, FinishedSession, Ranking, board_order, entries_by_user, entry_from_sessions};
use self::live::LiveFeed;
pub use self::rebuild::finished_sessions;
pub use self::views::{Leaderboard, LeaderboardEntry, MyRank, RebuildReport, RegionLevel, RegionStat};
use self::writer::{LIVE_QUEUE, LiveJob};
use crate::accounts::Regions;
use crate::db::entity::user;
use crate::store::{LiveError, LiveStore};

#[derive(Debug, thiserror::Error)]
pub enum ScoresError {
    #[error("live store: {0}")]
    Live(#[from] LiveError),
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("没有这个地区")]
    UnknownRegion,
    #[error("日期应写成2026-12-01这样，或者today")]
    BadDay,
}

/// What scores need to know of a campaign: which boards are its, how a resident's attempts make
/// one standing, and when it takes answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scoring {
    pub id: i64,
    pub slug: String,
    pub ranking: Ranking,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// What the live board of sessions in progress ranks by.
    pub live_by: LiveMeasure,
}

impl Scoring {
    /// What `board`'s scores are.
    pub fn measure_of(&self, board: &Board) -> LiveMeasure {
        if *board == Board::Live { self.live_by } else { LiveMeasure::Points }
    }
}

/// What the live board of sessions in progress shows: the points so far, or, where a campaign
/// keeps correctness secret until the end, only how many questions each has answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LiveMeasure {
    Points,
    Answered,
}

#[derive(Clone)]
pub struct Scores {
    db: DatabaseConnection,
    store: LiveStore,
    regions: Regions,
    /// Campaigns whose boards missed an update (live store unreachable): rebuilt when it returns.
    dirty: Arc<Mutex<HashSet<i64>>>,
    cards: Arc<Mutex<HashMap<i64, (String, String)>>>,
    feed: LiveFeed,
    live_answers: mpsc::Sender<LiveJob>,
    /// Held by a rebuild. A rebuild clears the boards (and the built mark) first: the upkeep
    /// must not take a rebuild in progress for lost boards and clear them again halfway.
    rebuilding: Arc<tokio::sync::Mutex<()>>,
}

impl Scores {
    /// Needs a Tokio runtime: it starts the live-board writer.
    pub fn new(db: DatabaseConnection, store: LiveStore, regions: Regions) -> Self {
        let (live_answers, rx) = mpsc::channel(LIVE_QUEUE);
        let scores = Self {
            db,
            store,
            regions,
            dirty: Arc::default(),
            cards: Arc::default(),
            feed: LiveFeed::default(),
            live_answers,
            rebuilding: Arc::default(),
        };
        tokio::spawn(scores.clone().write_live_answers(rx));
        scores
    }

    pub fn store(&self) -> &LiveStore {
        &self.store
    }

    pub fn feed(&self) -> &LiveFeed {
        &self.feed
    }

    /// (card, village code) of a user, cached: display names and regions rarely change.
    async fn user_card(&self, user_id: i64) -> Result<(String, String), DbErr> {
        if let Some(found) = self.cards.lock().unwrap_or_else(PoisonError::into_inner).get(&user_id) {
            return Ok(found.clone());
        }
        let row = user::Entity::find_by_id(user_id).one(&self.db).await?;
        let (name, region) = row.map_or_else(|| ("?".to_owned(), String::new()), |u| (u.display_name, u.region_code));
        let value = (views::card(&name, &region), region);
        let mut cache = self.cards.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() > 200_000 {
            cache.clear();
        }
        cache.insert(user_id, value.clone());
        Ok(value)
    }

    /// The regional boards a resident of `village` appears on (staff appear on none).
    fn regional_boards(&self, village: &str) -> Vec<Board> {
        match self.regions.get(village) {
            Some(region) if region.level == crate::accounts::regions::Level::Village => {
                let mut boards = vec![Board::Village(region.code.clone())];
                if let Some(township) = region.parent {
                    boards.push(Board::Township(township));
                }
                boards
            }
            _ => Vec::new(),
        }
    }

    /// Forgets what is cached of a user (their card), after their account changed or was erased.
    pub fn forget_user(&self, user_id: i64) {
        self.cards.lock().unwrap_or_else(PoisonError::into_inner).remove(&user_id);
    }

    fn note_failure(&self, campaign: i64, err: &dyn std::fmt::Display) {
        tracing::warn!(campaign, error = %err, "live boards missed an update; they will be rebuilt from SQL");
        self.dirty.lock().unwrap_or_else(PoisonError::into_inner).insert(campaign);
    }
}

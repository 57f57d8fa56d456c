//! The in-process live store: for one pufa process on one machine, without Redis.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{Counters, LiveError, WindowCount};

#[derive(Clone, Default)]
pub struct MemoryStore {
    windows: Arc<Mutex<HashMap<String, Window>>>,
    boards: MemoryBoards,
}

#[derive(Clone, Copy)]
struct Window {
    hits: u32,
    ends: Instant,
}

impl Window {
    fn count(self, now: Instant) -> WindowCount {
        WindowCount { hits: self.hits, resets_in_secs: self.ends.saturating_duration_since(now).as_secs().max(1) }
    }
}

impl MemoryStore {
    fn with_windows<T>(&self, f: impl FnOnce(&mut HashMap<String, Window>, Instant) -> T) -> T {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        // Drop closed windows now and then so the map cannot grow without bound.
        if windows.len() > 10_000 {
            windows.retain(|_, w| w.ends > now);
        }
        f(&mut windows, now)
    }
}

impl Counters for MemoryStore {
    async fn hit(&self, key: &str, window_secs: u64) -> Result<WindowCount, LiveError> {
        Ok(self.with_windows(|windows, now| {
            let window = windows
                .entry(key.to_owned())
                .and_modify(|w| {
                    if w.ends <= now {
                        *w = Window { hits: 0, ends: now + Duration::from_secs(window_secs) };
                    }
                })
                .or_insert(Window { hits: 0, ends: now + Duration::from_secs(window_secs) });
            window.hits = window.hits.saturating_add(1);
            window.count(now)
        }))
    }

    async fn peek(&self, key: &str) -> Result<WindowCount, LiveError> {
        Ok(self.with_windows(|windows, now| match windows.get(key) {
            Some(w) if w.ends > now => w.count(now),
            _ => WindowCount { hits: 0, resets_in_secs: 0 },
        }))
    }

    async fn reset(&self, key: &str) -> Result<(), LiveError> {
        self.with_windows(|windows, _| windows.remove(key));
        Ok(())
    }
}

// ---------- leaderboards ----------

use std::collections::HashMap as Map;

use super::ranked_set::RankedSet;

use super::{Board, BoardUpdate, Entry, LiveScores, Ranked};

#[derive(Default)]
struct BoardSet {
    /// (score, member): the same order Redis keeps.
    order: RankedSet<(i64, String)>,
    who: Map<i64, (i64, String)>,
    sum: i64,
}

/// How long a rebuild in progress keeps other instances from starting their own.
const REBUILDING_FOR: std::time::Duration = std::time::Duration::from_secs(120);

#[derive(Default)]
struct CampaignBoards {
    boards: Map<String, BoardSet>,
    cards: Map<i64, String>,
    built: bool,
    /// A rebuild under way until then (kept by `clear`).
    rebuilding_until: Option<std::time::Instant>,
}

#[derive(Clone, Default)]
pub struct MemoryBoards(Arc<Mutex<Map<i64, CampaignBoards>>>);

impl MemoryStore {
    fn with_campaign<T>(&self, campaign: i64, f: impl FnOnce(&mut CampaignBoards) -> T) -> T {
        let mut all = self.boards.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(all.entry(campaign).or_default())
    }
}

fn row(set: &BoardSet, rank: u64, key: &(i64, String), cards: &Map<i64, String>) -> Option<Ranked> {
    let _ = set;
    let (user_id, entry) = Entry::parse(key.0 as f64, &key.1)?;
    Some(Ranked { rank, user_id, entry, card: cards.get(&user_id).cloned() })
}

impl LiveScores for MemoryStore {
    async fn put(&self, campaign: i64, user: i64, card: &str, updates: &[BoardUpdate]) -> Result<(), LiveError> {
        self.with_campaign(campaign, |c| {
            c.cards.insert(user, card.to_owned());
            for update in updates {
                let set = c.boards.entry(update.board.name()).or_default();
                if let Some(old) = set.who.remove(&user) {
                    set.order.remove(&old);
                    set.sum += old.0;
                }
                if let Some(entry) = update.entry {
                    let key = (-entry.points, entry.member(user));
                    set.order.insert(key.clone());
                    set.who.insert(user, key);
                    set.sum += entry.points;
                }
            }
        });
        Ok(())
    }

    async fn page(
        &self,
        campaign: i64,
        board: &Board,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Ranked>, u64), LiveError> {
        Ok(self.with_campaign(campaign, |c| {
            let Some(set) = c.boards.get(&board.name()) else { return (Vec::new(), 0) };
            let rows = set
                .order
                .iter_from(usize::try_from(offset).unwrap_or(usize::MAX))
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .zip(offset + 1..)
                .filter_map(|(key, rank)| row(set, rank, key, &c.cards))
                .collect();
            (rows, set.order.len() as u64)
        }))
    }

    async fn rank(&self, campaign: i64, board: &Board, user: i64) -> Result<Option<Ranked>, LiveError> {
        Ok(self.with_campaign(campaign, |c| {
            let set = c.boards.get(&board.name())?;
            let key = set.who.get(&user)?;
            let rank = set.order.rank(key)? as u64 + 1;
            row(set, rank, key, &c.cards)
        }))
    }

    async fn tallies(&self, campaign: i64, boards: &[Board]) -> Result<Vec<(u64, i64)>, LiveError> {
        Ok(self.with_campaign(campaign, |c| {
            boards.iter().map(|b| c.boards.get(&b.name()).map_or((0, 0), |s| (s.order.len() as u64, s.sum))).collect()
        }))
    }

    async fn clear(&self, campaign: i64) -> Result<(), LiveError> {
        self.with_campaign(campaign, |c| {
            *c = CampaignBoards { rebuilding_until: c.rebuilding_until, ..CampaignBoards::default() };
        });
        Ok(())
    }

    async fn mark_rebuilding(&self, campaign: i64) -> Result<(), LiveError> {
        let until = std::time::Instant::now() + REBUILDING_FOR;
        self.with_campaign(campaign, |c| c.rebuilding_until = Some(until));
        Ok(())
    }

    async fn mark_built(&self, campaign: i64) -> Result<(), LiveError> {
        self.with_campaign(campaign, |c| {
            c.built = true;
            c.rebuilding_until = None;
        });
        Ok(())
    }

    async fn is_built(&self, campaign: i64) -> Result<bool, LiveError> {
        let now = std::time::Instant::now();
        Ok(self.with_campaign(campaign, |c| c.built || c.rebuilding_until.is_some_and(|until| now < until)))
    }
}

//! The scores service: keeps the live boards in step with SQL, answers board reads, and rebuilds
//! boards from SQL (the source of truth) whenever the live store lost them.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;

use super::board::{Board, Entry, FinishedSession, entries_by_user, entry_from_sessions};
use super::live::LiveFeed;
use super::{BoardUpdate, LiveError, LiveScores, LiveStore, Put, Ranked};
use crate::accounts::{RegionRef, Regions};
use crate::db::entity::{quiz_session, session_question, user};
use crate::quiz::clock::shanghai_day;
use crate::quiz::{Campaign, Ranking};
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, thiserror::Error)]
pub enum ScoresError {
    #[error("live store: {0}")]
    Live(#[from] LiveError),
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("no such region")]
    UnknownRegion,
    #[error("day must be YYYY-MM-DD or today")]
    BadDay,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct LeaderboardEntry {
    pub rank: u64,
    pub display_name: String,
    pub region: RegionRef,
    pub score: i64,
    pub duration_ms: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct MyRank {
    pub rank: u64,
    pub score: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Leaderboard {
    pub board: String,
    pub entries: Vec<LeaderboardEntry>,
    pub total: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub me: Option<MyRank>,
}

/// The level of `GET /campaigns/{slug}/regions?level=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum RegionLevel {
    Township,
    Village,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct RegionStat {
    pub code: String,
    pub name: String,
    pub participants: u64,
    pub residents: u32,
    /// participants / registered residents; null while the bureau has not filled in residents.
    #[schema(required = true)]
    pub participation_rate: Option<f64>,
    #[schema(required = true)]
    pub average_score: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct RebuildReport {
    pub campaign: String,
    pub users: usize,
    pub finished_sessions: usize,
    pub sessions_in_progress: usize,
}

/// Public fields of a user on boards: never the phone.
fn card(display_name: &str, region_code: &str) -> String {
    format!("{display_name}\u{1f}{region_code}")
}

fn parse_card(card: Option<&str>) -> (String, String) {
    card.and_then(|c| c.split_once('\u{1f}'))
        .map_or_else(|| ("?".into(), String::new()), |(n, r)| (n.to_owned(), r.to_owned()))
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

/// Residents written per round trip by a rebuild.
const REBUILD_BATCH: usize = 256;

/// How a rebuild treats what the store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rebuild {
    /// Clear the campaign's boards first: exact, entries SQL no longer backs are dropped.
    Replace,
    /// Rewrite every resident's entries in place: the boards stay readable throughout.
    Refresh,
}

/// Work for the live-board writer, applied in order.
enum LiveJob {
    /// A session's running score after an answer.
    Answer { campaign: i64, user: i64, entry: Entry },
    /// The user's session finished: a running score still waiting is dropped, and the finish
    /// (which waits for this) takes the user off the live board.
    Finished { campaign: i64, user: i64, done: oneshot::Sender<()> },
}

/// How long the live-board writer gathers running scores before writing them: a resident's
/// answers within one window make one write. A live board this much behind is not noticed on a
/// screen; the Redis work per answer (a script of ten commands) is.
const LIVE_WINDOW: std::time::Duration = std::time::Duration::from_millis(50);

/// Live-board updates waiting to be written; past this they are dropped and the campaign's
/// boards rebuilt from SQL instead (the same path as a Redis outage).
const LIVE_QUEUE: usize = 65_536;

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

    /// The live-board writer: answers' running scores, the latest of each resident, many per
    /// round trip. The answer itself is in SQL already, so its reply need not wait for Redis.
    async fn write_live_answers(self, mut rx: mpsc::Receiver<LiveJob>) {
        let mut jobs = Vec::with_capacity(512);
        let mut latest: HashMap<(i64, i64), Entry> = HashMap::new();
        while rx.recv_many(&mut jobs, 512).await > 0 {
            let window = tokio::time::sleep(LIVE_WINDOW);
            tokio::pin!(window);
            loop {
                for job in jobs.drain(..) {
                    match job {
                        LiveJob::Answer { campaign, user, entry } => {
                            latest.insert((campaign, user), entry);
                        }
                        LiveJob::Finished { campaign, user, done } => {
                            latest.remove(&(campaign, user));
                            let _ = done.send(());
                        }
                    }
                }
                tokio::select! {
                    received = rx.recv_many(&mut jobs, 512) => if received == 0 { break },
                    () = &mut window => break,
                }
            }
            let mut puts = Vec::with_capacity(latest.len());
            for ((campaign, user), entry) in latest.drain() {
                match self.user_card(user).await {
                    Ok((card, _)) => puts.push(Put {
                        campaign,
                        user,
                        card,
                        updates: vec![BoardUpdate { board: Board::Live, entry: Some(entry) }],
                    }),
                    Err(e) => self.note_failure(campaign, &e),
                }
            }
            self.put_live(puts).await;
        }
    }

    async fn put_live(&self, puts: Vec<Put>) {
        if let Err(e) = self.store.put_many(&puts).await {
            let campaigns: HashSet<i64> = puts.iter().map(|p| p.campaign).collect();
            for campaign in campaigns {
                self.note_failure(campaign, &e);
            }
        }
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
        let value = (card(&name, &region), region);
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

    fn note_failure(&self, campaign: i64, err: &dyn std::fmt::Display) {
        tracing::warn!(campaign, error = %err, "live boards missed an update; they will be rebuilt from SQL");
        self.dirty.lock().unwrap_or_else(PoisonError::into_inner).insert(campaign);
    }

    /// After an answer is stored: the session's running score on the campaign's live board
    /// (queued; written within milliseconds, in order).
    pub fn record_answer(&self, session: &quiz_session::Model, score: i32, at: DateTime<Utc>) {
        let entry = Entry {
            points: i64::from(score),
            duration_ms: (at - session.started_at).num_milliseconds().max(0),
            at_ms: at.timestamp_millis(),
        };
        let job = LiveJob::Answer { campaign: session.campaign_id, user: session.user_id, entry };
        if self.live_answers.try_send(job).is_err() {
            self.note_failure(session.campaign_id, &"the live-board queue is full");
        }
    }

    /// After a session finished (stored): the user's entries, recomputed from SQL, on every board.
    /// First drops the running score still waiting for the live board, so the live board cannot
    /// show the session again afterwards.
    pub async fn record_finish(&self, session: &quiz_session::Model, campaign: &Campaign) {
        let (done, applied) = oneshot::channel();
        let finished = LiveJob::Finished { campaign: session.campaign_id, user: session.user_id, done };
        if self.live_answers.send(finished).await.is_ok() {
            let _ = applied.await;
        }
        if let Err(e) = self.update_user(campaign, session.user_id, session.finished_at).await {
            self.note_failure(campaign.id, &e);
        }
    }

    async fn update_user(
        &self,
        campaign: &Campaign,
        user_id: i64,
        finished_at: Option<DateTime<Utc>>,
    ) -> Result<(), ScoresError> {
        let sessions = finished_sessions(&self.db, campaign.id, Some(user_id)).await?;
        let (card, village) = self.user_card(user_id).await?;
        let entry = entry_from_sessions(campaign.ranking, sessions.iter());
        let mut updates: Vec<BoardUpdate> = std::iter::once(Board::All)
            .chain(self.regional_boards(&village))
            .map(|board| BoardUpdate { board, entry })
            .collect();
        if let Some(at) = finished_at {
            let day = shanghai_day(at);
            let that_day = sessions.iter().filter(|s| shanghai_day(s.finished_at) == day);
            updates.push(BoardUpdate {
                board: Board::Day(day.to_string()),
                entry: entry_from_sessions(campaign.ranking, that_day),
            });
        }
        updates.push(BoardUpdate { board: Board::Live, entry: None });
        self.store.put(campaign.id, user_id, &card, &updates).await?;
        Ok(())
    }

    /// Rebuilds every board of a campaign from SQL, exactly; one rebuild at a time.
    pub async fn rebuild(&self, campaign: &Campaign) -> Result<RebuildReport, ScoresError> {
        let _rebuilding = self.rebuilding.lock().await;
        self.rebuild_now(campaign, Rebuild::Replace).await
    }

    /// At start-up: lost boards are rebuilt (`catch_up`), and every other campaign still taking
    /// answers gets each of its residents' entries rewritten from SQL. A process killed between a commit and its board write (kill -9, power
    /// loss) left the boards short of answers and finishes that SQL holds; the boards stay up
    /// meanwhile (no clear), so other instances and readers carry on.
    pub async fn refresh_after_start(&self, campaigns: &[Campaign], now: DateTime<Utc>) {
        let rebuilt = self.catch_up(campaigns).await;
        for campaign in campaigns.iter().filter(|c| !rebuilt.iter().any(|r| r.campaign == c.slug)) {
            // Sessions may be answered until their time limit past the close, and finished later.
            let taking_answers = campaign.opens_at <= now && now < campaign.closes_at + chrono::Duration::days(1);
            if !taking_answers {
                continue;
            }
            let _rebuilding = self.rebuilding.lock().await;
            match self.rebuild_now(campaign, Rebuild::Refresh).await {
                Ok(report) => {
                    tracing::info!(campaign = %campaign.slug, users = report.users, "boards refreshed from SQL at start");
                }
                Err(e) => {
                    tracing::warn!(campaign = %campaign.slug, error = %e, "boards not refreshed at start");
                    self.dirty.lock().unwrap_or_else(PoisonError::into_inner).insert(campaign.id);
                }
            }
        }
    }

    /// `rebuild`, for a caller that holds `rebuilding`.
    async fn rebuild_now(&self, campaign: &Campaign, how: Rebuild) -> Result<RebuildReport, ScoresError> {
        self.store.mark_rebuilding(campaign.id).await?;
        let first = Snapshot::read(&self.db, campaign.id).await?;
        if how == Rebuild::Replace {
            self.store.clear(campaign.id).await?;
        }
        self.put_snapshot(campaign, &first, |_| true).await?;
        // Answers and finishes committed while the snapshot was read and written may have put
        // their own entries before it, and been overwritten by older ones: their residents are
        // written again from a second read (at most those with a session open in either).
        let second = Snapshot::read(&self.db, campaign.id).await?;
        let moved = first.moved_users(&second);
        self.put_snapshot(campaign, &second, |user| moved.contains(&user)).await?;
        self.store.mark_built(campaign.id).await?;
        self.dirty.lock().unwrap_or_else(PoisonError::into_inner).remove(&campaign.id);
        Ok(RebuildReport {
            campaign: campaign.slug.clone(),
            users: second.users().len(),
            finished_sessions: second.finished.len(),
            sessions_in_progress: second.open.len(),
        })
    }

    /// Writes every board entry of the residents `keep` picks, as the snapshot has them.
    async fn put_snapshot(
        &self,
        campaign: &Campaign,
        snapshot: &Snapshot,
        keep: impl Fn(i64) -> bool,
    ) -> Result<(), ScoresError> {
        let mut per_user = snapshot.updates_by_user(campaign.ranking);
        let mut puts = Vec::with_capacity(REBUILD_BATCH);
        for user_id in snapshot.users().into_iter().filter(|u| keep(*u)) {
            let (card, village) = self.user_card(user_id).await?;
            let mut updates = per_user.remove(&user_id).unwrap_or_default();
            if !updates.iter().any(|u| u.board == Board::Live) {
                // No session in progress: a live entry left behind is gone (finished meanwhile).
                updates.push(BoardUpdate { board: Board::Live, entry: None });
            }
            if let Some(all) = updates.iter().find(|u| u.board == Board::All).map(|u| u.entry) {
                updates
                    .extend(self.regional_boards(&village).into_iter().map(|board| BoardUpdate { board, entry: all }));
            }
            puts.push(Put { campaign: campaign.id, user: user_id, card, updates });
            if puts.len() == REBUILD_BATCH {
                self.store.put_many(&puts).await?;
                puts.clear();
            }
        }
        self.store.put_many(&puts).await?;
        Ok(())
    }

    /// Rebuilds the campaigns whose boards are missing (a Redis restarted empty) or missed updates.
    pub async fn catch_up(&self, campaigns: &[Campaign]) -> Vec<RebuildReport> {
        let mut reports = Vec::new();
        for campaign in campaigns {
            // Looked at only while no rebuild runs: one in progress has dropped the built mark.
            let _rebuilding = self.rebuilding.lock().await;
            let dirty = self.dirty.lock().unwrap_or_else(PoisonError::into_inner).contains(&campaign.id);
            let missing = match self.store.is_built(campaign.id).await {
                Ok(built) => !built,
                Err(_) => continue, // still unreachable: try again later
            };
            if dirty || missing {
                match self.rebuild_now(campaign, Rebuild::Replace).await {
                    Ok(report) => {
                        tracing::info!(campaign = %campaign.slug, users = report.users, "boards rebuilt from SQL");
                        reports.push(report);
                    }
                    Err(e) => tracing::warn!(campaign = %campaign.slug, error = %e, "boards not rebuilt yet"),
                }
            }
        }
        reports
    }

    fn entry_view(&self, row: Ranked) -> LeaderboardEntry {
        let (display_name, region) = parse_card(row.card.as_deref());
        LeaderboardEntry {
            rank: row.rank,
            display_name,
            region: self.regions.reference(&region),
            score: row.entry.points,
            duration_ms: row.entry.duration_ms,
        }
    }

    /// Which board a request means: a region (township or village), an Asia/Shanghai day
    /// (`today` or `YYYY-MM-DD`), the sessions in progress, or the whole campaign.
    pub fn board_for(
        &self,
        region: Option<&str>,
        day: Option<&str>,
        live: bool,
        now: DateTime<Utc>,
    ) -> Result<Board, ScoresError> {
        use crate::accounts::regions::Level;
        if live {
            return Ok(Board::Live);
        }
        if let Some(day) = day.filter(|d| !d.is_empty()) {
            let day = if day == "today" {
                shanghai_day(now)
            } else {
                chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| ScoresError::BadDay)?
            };
            return Ok(Board::Day(day.to_string()));
        }
        match region.filter(|r| !r.is_empty()) {
            None => Ok(Board::All),
            Some(code) => match self.regions.get(code).map(|r| r.level) {
                Some(Level::Township) => Ok(Board::Township(code.to_owned())),
                Some(Level::Village) => Ok(Board::Village(code.to_owned())),
                Some(Level::Banner) => Ok(Board::All),
                None => Err(ScoresError::UnknownRegion),
            },
        }
    }

    /// A page of a board, with the caller's own rank when signed in.
    pub async fn leaderboard(
        &self,
        campaign: &Campaign,
        board: &Board,
        offset: u64,
        limit: u64,
        me: Option<i64>,
    ) -> Result<Leaderboard, ScoresError> {
        // Both at once: on Redis they travel together, one round trip instead of two.
        let page = self.store.page(campaign.id, board, offset, limit.clamp(1, 200));
        let mine = async {
            match me {
                Some(user) => self.store.rank(campaign.id, board, user).await,
                None => Ok(None),
            }
        };
        let ((rows, total), mine) = tokio::try_join!(page, mine)?;
        let me = mine.map(|r| MyRank { rank: r.rank, score: r.entry.points });
        Ok(Leaderboard {
            board: board.name(),
            entries: rows.into_iter().map(|r| self.entry_view(r)).collect(),
            total,
            me,
        })
    }

    /// The entries around the caller (`radius` above and below).
    pub async fn around(
        &self,
        campaign: &Campaign,
        board: &Board,
        user: i64,
        radius: u64,
    ) -> Result<Leaderboard, ScoresError> {
        let radius = radius.clamp(1, 50);
        let mine = self.store.rank(campaign.id, board, user).await?;
        let Some(mine) = mine else {
            let (_, total) = self.store.page(campaign.id, board, 0, 0).await?;
            return Ok(Leaderboard { board: board.name(), entries: Vec::new(), total, me: None });
        };
        let offset = (mine.rank - 1).saturating_sub(radius);
        let (rows, total) = self.store.page(campaign.id, board, offset, radius * 2 + 1).await?;
        Ok(Leaderboard {
            board: board.name(),
            entries: rows.into_iter().map(|r| self.entry_view(r)).collect(),
            total,
            me: Some(MyRank { rank: mine.rank, score: mine.entry.points }),
        })
    }

    /// The user's rank on the campaign board.
    pub async fn rank(&self, campaign: &Campaign, user: i64) -> Result<Option<u64>, ScoresError> {
        Ok(self.store.rank(campaign.id, &Board::All, user).await?.map(|r| r.rank))
    }

    /// Participants, participation and average score per township (or per village).
    pub async fn region_stats(&self, campaign: &Campaign, level: RegionLevel) -> Result<Vec<RegionStat>, ScoresError> {
        let regions: Vec<crate::accounts::RegionNode> = self
            .regions
            .tree()
            .into_iter()
            .flat_map(|banner| banner.children)
            .flat_map(|township| match level {
                RegionLevel::Township => vec![township],
                RegionLevel::Village => township.children,
            })
            .collect();
        let boards: Vec<Board> = regions
            .iter()
            .map(|r| match level {
                RegionLevel::Township => Board::Township(r.code.clone()),
                RegionLevel::Village => Board::Village(r.code.clone()),
            })
            .collect();
        let tallies = self.store.tallies(campaign.id, &boards).await?;
        Ok(regions
            .into_iter()
            .zip(tallies)
            .map(|(region, (participants, sum))| RegionStat {
                participation_rate: (region.residents > 0)
                    .then(|| (participants as f64 / f64::from(region.residents) * 10_000.0).round() / 10_000.0),
                average_score: (participants > 0).then(|| (sum as f64 / participants as f64 * 10.0).round() / 10.0),
                code: region.code,
                name: region.name,
                participants,
                residents: region.residents,
            })
            .collect())
    }
}

/// (user, score, duration_ms, finished_at) as SQL returns them.
type FinishedRow = (i64, i32, Option<i64>, Option<DateTime<Utc>>);

/// Finished sessions of a campaign (optionally of one user), as boards need them.
/// What SQL holds for a campaign's boards at one moment.
struct Snapshot {
    finished: Vec<FinishedSession>,
    open: Vec<quiz_session::Model>,
    last_answers: HashMap<String, DateTime<Utc>>,
}

impl Snapshot {
    async fn read(db: &DatabaseConnection, campaign: i64) -> Result<Self, DbErr> {
        let finished = finished_sessions(db, campaign, None).await?;
        let open = quiz_session::Entity::find()
            .filter(quiz_session::Column::CampaignId.eq(campaign))
            .filter(quiz_session::Column::FinishedAt.is_null())
            .all(db)
            .await?;
        let last_answers = last_answer_times(db, &open).await?;
        Ok(Self { finished, open, last_answers })
    }

    fn users(&self) -> HashSet<i64> {
        self.finished.iter().map(|s| s.user_id).chain(self.open.iter().map(|s| s.user_id)).collect()
    }

    /// Residents whose entries may differ in `later`: a session open in either, or more finished.
    /// (Sessions only go from open to finished; answers only go to open sessions.)
    fn moved_users(&self, later: &Snapshot) -> HashSet<i64> {
        let count = |s: &Snapshot| {
            let mut n: HashMap<i64, usize> = HashMap::new();
            for f in &s.finished {
                *n.entry(f.user_id).or_default() += 1;
            }
            n
        };
        let (before, after) = (count(self), count(later));
        let mut moved: HashSet<i64> = self.open.iter().chain(&later.open).map(|s| s.user_id).collect();
        moved.extend(after.iter().filter(|(user, n)| before.get(user) != Some(n)).map(|(user, _)| *user));
        moved
    }

    fn updates_by_user(&self, ranking: Ranking) -> HashMap<i64, Vec<BoardUpdate>> {
        let mut per_user: HashMap<i64, Vec<BoardUpdate>> = HashMap::new();
        for (user_id, entry) in entries_by_user(ranking, self.finished.iter()) {
            per_user.entry(user_id).or_default().push(BoardUpdate { board: Board::All, entry: Some(entry) });
        }
        let mut by_day: HashMap<String, Vec<&FinishedSession>> = HashMap::new();
        for s in &self.finished {
            by_day.entry(shanghai_day(s.finished_at).to_string()).or_default().push(s);
        }
        for (day, sessions) in by_day {
            for (user_id, entry) in entries_by_user(ranking, sessions.into_iter()) {
                per_user
                    .entry(user_id)
                    .or_default()
                    .push(BoardUpdate { board: Board::Day(day.clone()), entry: Some(entry) });
            }
        }
        for s in &self.open {
            let Some(at) = self.last_answers.get(&s.id) else { continue };
            let entry = Entry {
                points: i64::from(s.score),
                duration_ms: (*at - s.started_at).num_milliseconds().max(0),
                at_ms: at.timestamp_millis(),
            };
            per_user.entry(s.user_id).or_default().push(BoardUpdate { board: Board::Live, entry: Some(entry) });
        }
        per_user
    }
}

pub async fn finished_sessions(
    db: &DatabaseConnection,
    campaign: i64,
    user: Option<i64>,
) -> Result<Vec<FinishedSession>, DbErr> {
    let mut query = quiz_session::Entity::find()
        .select_only()
        .column(quiz_session::Column::UserId)
        .column(quiz_session::Column::Score)
        .column(quiz_session::Column::DurationMs)
        .column(quiz_session::Column::FinishedAt)
        .filter(quiz_session::Column::CampaignId.eq(campaign))
        .filter(quiz_session::Column::FinishedAt.is_not_null());
    if let Some(user) = user {
        query = query.filter(quiz_session::Column::UserId.eq(user));
    }
    let rows: Vec<FinishedRow> = query.into_tuple().all(db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(user_id, score, duration, finished)| {
            Some(FinishedSession { user_id, score, duration_ms: duration.unwrap_or(0), finished_at: finished? })
        })
        .collect())
}

async fn last_answer_times(
    db: &DatabaseConnection,
    open: &[quiz_session::Model],
) -> Result<HashMap<String, DateTime<Utc>>, DbErr> {
    if open.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, Option<DateTime<Utc>>)> = session_question::Entity::find()
        .select_only()
        .column(session_question::Column::SessionId)
        .column(session_question::Column::AnsweredAt)
        .filter(session_question::Column::SessionId.is_in(open.iter().map(|s| s.id.clone())))
        .filter(session_question::Column::AnsweredAt.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    let mut last: HashMap<String, DateTime<Utc>> = HashMap::new();
    for (session, at) in rows {
        if let Some(at) = at {
            let slot = last.entry(session).or_insert(at);
            *slot = (*slot).max(at);
        }
    }
    Ok(last)
}

impl Ranking {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Best => "best",
            Self::Total => "total",
        }
    }
}

//! Boards rebuilt from SQL, exactly: on demand, when the live store lost them (a Redis restarted
//! empty, updates it missed), and at start (a killed process may have left them behind SQL).

use std::collections::{HashMap, HashSet};
use std::sync::PoisonError;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect};

use super::LiveMeasure;
use super::board::{Board, Entry, FinishedSession, Ranking, entries_by_user};
use super::views::RebuildReport;
use super::{Scores, ScoresError, Scoring};
use crate::clock::shanghai_day;
use crate::db::entity::{quiz_session, session_question, user};
use crate::store::{BoardUpdate, LiveScores, Put};

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

impl Scores {
    /// Rebuilds every board of a campaign from SQL, exactly; one rebuild at a time.
    pub async fn rebuild(&self, campaign: &Scoring) -> Result<RebuildReport, ScoresError> {
        let _rebuilding = self.rebuilding.lock().await;
        self.rebuild_now(campaign, Rebuild::Replace).await
    }

    /// At start-up: lost boards are rebuilt (`catch_up`), and every other campaign still taking
    /// answers gets each of its residents' entries rewritten from SQL. A process killed between a commit and its board write (kill -9, power
    /// loss) left the boards short of answers and finishes that SQL holds; the boards stay up
    /// meanwhile (no clear), so other instances and readers carry on.
    pub async fn refresh_after_start(&self, campaigns: &[Scoring], now: DateTime<Utc>) {
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
    async fn rebuild_now(&self, campaign: &Scoring, how: Rebuild) -> Result<RebuildReport, ScoresError> {
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
        campaign: &Scoring,
        snapshot: &Snapshot,
        keep: impl Fn(i64) -> bool,
    ) -> Result<(), ScoresError> {
        let mut per_user = snapshot.updates_by_user(campaign.ranking, campaign.live_by);
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
    pub async fn catch_up(&self, campaigns: &[Scoring]) -> Vec<RebuildReport> {
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
}

/// (user, score, duration_ms, finished_at) as SQL returns them.
type FinishedRow = (i64, i32, Option<i64>, Option<DateTime<Utc>>);

/// Finished sessions of a campaign (optionally of one user), as boards need them.
/// What SQL holds for a campaign's boards at one moment.
struct Snapshot {
    finished: Vec<FinishedSession>,
    open: Vec<quiz_session::Model>,
    last_answers: HashMap<String, (DateTime<Utc>, i64)>,
}

impl Snapshot {
    async fn read(db: &DatabaseConnection, campaign: i64) -> Result<Self, DbErr> {
        let finished = finished_sessions(db, campaign, None).await?;
        let open = quiz_session::Entity::find()
            .filter(quiz_session::Column::CampaignId.eq(campaign))
            .filter(quiz_session::Column::FinishedAt.is_null())
            .filter(counted())
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

    fn updates_by_user(&self, ranking: Ranking, live_by: LiveMeasure) -> HashMap<i64, Vec<BoardUpdate>> {
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
            let Some((at, answered)) = self.last_answers.get(&s.id) else { continue };
            let entry = Entry {
                points: match live_by {
                    LiveMeasure::Points => i64::from(s.score),
                    LiveMeasure::Answered => *answered,
                },
                duration_ms: (*at - s.started_at).num_milliseconds().max(0),
                at_ms: at.timestamp_millis(),
            };
            per_user.entry(s.user_id).or_default().push(BoardUpdate { board: Board::Live, entry: Some(entry) });
        }
        per_user
    }
}

/// Sessions that count on boards and in draws: of accounts that were not erased (an erased
/// resident's sessions stay in SQL, anonymous, for statistics), and plausible (`plausibility`:
/// not too many quick answers, or cleared by staff).
fn counted() -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Condition, Query};
    let not_erased = quiz_session::Column::UserId.not_in_subquery(
        Query::select()
            .column(user::Column::Id)
            .from(user::Entity)
            .and_where(user::Column::ErasedAt.is_not_null())
            .to_owned(),
    );
    let plausible = Condition::any()
        .add(quiz_session::Column::QuickAnswers.lt(crate::plausibility::QUICK_LIMIT))
        .add(quiz_session::Column::FlagClearedAt.is_not_null());
    Condition::all().add(not_erased).add(plausible).into()
}

/// Finished sessions of a campaign (optionally of one user) as boards need them, erased accounts left out.
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
        .filter(quiz_session::Column::FinishedAt.is_not_null())
        .filter(counted());
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

/// Each open session's latest answer time and number of answers.
async fn last_answer_times(
    db: &DatabaseConnection,
    open: &[quiz_session::Model],
) -> Result<HashMap<String, (DateTime<Utc>, i64)>, DbErr> {
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
    let mut last: HashMap<String, (DateTime<Utc>, i64)> = HashMap::new();
    for (session, at) in rows {
        if let Some(at) = at {
            let slot = last.entry(session).or_insert((at, 0));
            slot.0 = slot.0.max(at);
            slot.1 += 1;
        }
    }
    Ok(last)
}

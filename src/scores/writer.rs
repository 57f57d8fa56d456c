//! What an answer and a finish change on the boards. An answer's running score goes to the live
//! board through a writer that gathers them (off the reply path: the answer is in SQL already);
//! a finish rewrites the resident's entries on every board from SQL.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use super::board::{Board, Entry, entry_from_sessions};
use super::rebuild::finished_sessions;
use super::{Scores, ScoresError, Scoring};
use crate::clock::shanghai_day;
use crate::db::entity::quiz_session;
use crate::store::{BoardUpdate, LiveScores, Put};

/// Work for the live-board writer, applied in order.
pub(super) enum LiveJob {
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
pub(super) const LIVE_QUEUE: usize = 65_536;

impl Scores {
    /// The live-board writer: answers' running scores, the latest of each resident, many per
    /// round trip. The answer itself is in SQL already, so its reply need not wait for Redis.
    pub(super) async fn write_live_answers(self, mut rx: mpsc::Receiver<LiveJob>) {
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
    pub async fn record_finish(&self, session: &quiz_session::Model, campaign: &Scoring) {
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
        campaign: &Scoring,
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
}

//! The live stream behind `GET /campaigns/{slug}/live`: one poller per campaign and process reads
//! the top of the board a few times a second and publishes a snapshot when it changed, so a
//! stadium screen and a hundred phones cost the store the same, and every pufa process (each
//! with its own poller) shows the same board. A reconnecting client simply gets the current snapshot.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

use super::board::Board;
use super::{LeaderboardEntry, LiveMeasure, Scores, Scoring};

/// How often a campaign's board is looked at: at most this many events per second.
const POLL: Duration = Duration::from_millis(250);
const TOP: u64 = 10;

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct LiveSnapshot {
    /// Increases with every change; the SSE event id.
    pub seq: u64,
    pub campaign: String,
    /// The top of the campaign board (finished attempts).
    pub top: Vec<LeaderboardEntry>,
    /// The top of the sessions in progress: by score so far, or by questions answered where the
    /// campaign keeps correctness secret until the end (`in_progress_measure`).
    pub in_progress: Vec<LeaderboardEntry>,
    pub in_progress_measure: LiveMeasure,
    pub participants: u64,
}

type Snapshot = Option<Arc<LiveSnapshot>>;

#[derive(Clone, Default)]
pub struct LiveFeed {
    channels: Arc<Mutex<HashMap<i64, watch::Receiver<Snapshot>>>>,
}

impl Scores {
    /// A receiver of the campaign's snapshots; starts the campaign's poller if none runs.
    pub fn subscribe(&self, campaign: &Scoring) -> watch::Receiver<Snapshot> {
        let mut channels = self.feed().channels.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(rx) = channels.get(&campaign.id)
            && rx.has_changed().is_ok()
        {
            return rx.clone();
        }
        let (tx, rx) = watch::channel(None);
        channels.insert(campaign.id, rx.clone());
        tokio::spawn(self.clone().poll(campaign.clone(), tx));
        rx
    }

    async fn poll(self, campaign: Scoring, tx: watch::Sender<Snapshot>) {
        let mut last: Option<(Vec<LeaderboardEntry>, Vec<LeaderboardEntry>, u64)> = None;
        let mut seq = 0;
        loop {
            // The map keeps one receiver; when it is the only one left, nobody is watching.
            if tx.receiver_count() <= 1 {
                let mut channels = self.feed().channels.lock().unwrap_or_else(PoisonError::into_inner);
                if tx.receiver_count() <= 1 {
                    channels.remove(&campaign.id);
                    return;
                }
            }
            let top = self.leaderboard(&campaign, &Board::All, 0, TOP, None).await;
            let live = self.leaderboard(&campaign, &Board::Live, 0, TOP, None).await;
            if let (Ok(top), Ok(live)) = (top, live) {
                let now = (top.entries, live.entries, top.total);
                if last.as_ref() != Some(&now) {
                    seq += 1;
                    let snapshot = LiveSnapshot {
                        seq,
                        campaign: campaign.slug.clone(),
                        top: now.0.clone(),
                        in_progress: now.1.clone(),
                        in_progress_measure: campaign.live_by,
                        participants: now.2,
                    };
                    let _ = tx.send(Some(Arc::new(snapshot)));
                    last = Some(now);
                }
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

//! What the answer path would otherwise read from SQL on every request: the sessions in progress
//! (their drawn questions and the answers so far) and the campaigns. Both are hints, never the
//! authority: an answer is still stored by a conditional UPDATE, so a stale entry (another
//! instance answered or finished the session) only costs a reload from SQL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::campaign::Campaign;
use crate::db::entity::{quiz_session, session_question};

/// More sessions in progress than this on one instance means something is wrong; past it the
/// cache forgets the oldest half rather than grow without bound.
const MAX_SESSIONS: usize = 200_000;
/// How long a campaign read from SQL is trusted (edits on another instance show up within it).
const CAMPAIGN_TTL: Duration = Duration::from_secs(5);

struct CachedSession {
    session: quiz_session::Model,
    /// By position - 1.
    questions: Vec<session_question::Model>,
}

#[derive(Default)]
pub(super) struct SessionCache {
    sessions: Mutex<HashMap<String, CachedSession>>,
}

impl SessionCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedSession>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps an unfinished session with its drawn questions (in position order).
    pub fn keep(&self, session: &quiz_session::Model, questions: &[session_question::Model]) {
        if session.finished_at.is_some() {
            return;
        }
        let mut sessions = self.lock();
        if sessions.len() >= MAX_SESSIONS {
            let mut by_start: Vec<(DateTime<Utc>, String)> =
                sessions.iter().map(|(id, c)| (c.session.started_at, id.clone())).collect();
            by_start.sort_unstable();
            for (_, id) in by_start.into_iter().take(MAX_SESSIONS / 2) {
                sessions.remove(&id);
            }
        }
        let mut questions = questions.to_vec();
        questions.sort_by_key(|q| q.position);
        sessions.insert(session.id.clone(), CachedSession { session: session.clone(), questions });
    }

    /// The session and one of its questions, if cached.
    pub fn question(&self, id: &str, position: i32) -> Option<(quiz_session::Model, Option<session_question::Model>)> {
        let sessions = self.lock();
        let cached = sessions.get(id)?;
        let index = usize::try_from(position).ok()?.checked_sub(1);
        let question = index.and_then(|i| cached.questions.get(i)).filter(|q| q.position == position).cloned();
        Some((cached.session.clone(), question))
    }

    /// The session row, if cached.
    pub fn session(&self, id: &str) -> Option<quiz_session::Model> {
        self.lock().get(id).map(|c| c.session.clone())
    }

    /// When the session's latest answer came, if cached.
    pub fn last_answered(&self, id: &str) -> Option<DateTime<Utc>> {
        self.lock().get(id).and_then(|c| c.questions.iter().filter_map(|q| q.answered_at).max())
    }

    /// An answer was stored: `session` is the row as the answer left it. Returns how many of the
    /// session's questions are answered now (as far as this cache knows).
    pub fn answered(
        &self,
        session: &quiz_session::Model,
        position: i32,
        choice: &str,
        correct: bool,
        at: DateTime<Utc>,
    ) -> i32 {
        let mut sessions = self.lock();
        let Some(cached) = sessions.get_mut(&session.id) else { return 0 };
        // Two answers of one session may report back out of order: keep the later count.
        if session.correct >= cached.session.correct && session.score >= cached.session.score {
            cached.session = session.clone();
        }
        if let Some(q) = cached.questions.iter_mut().find(|q| q.position == position) {
            q.choice = Some(choice.to_owned());
            q.correct = Some(correct);
            q.answered_at = Some(at);
        }
        i32::try_from(cached.questions.iter().filter(|q| q.choice.is_some()).count()).unwrap_or(i32::MAX)
    }

    pub fn forget(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Forgets sessions whose time is over (they are finished from SQL by the sweeper).
    pub fn forget_ended(&self, before: DateTime<Utc>) {
        self.lock().retain(|_, c| c.session.deadline >= before);
    }
}

#[derive(Default)]
struct Campaigns {
    by_id: HashMap<i64, (Arc<Campaign>, Instant)>,
    /// Published campaigns only.
    by_slug: HashMap<String, (Arc<Campaign>, Instant)>,
}

#[derive(Default)]
pub(super) struct CampaignCache {
    campaigns: Mutex<Campaigns>,
}

impl CampaignCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Campaigns> {
        self.campaigns.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(&self, id: i64) -> Option<Arc<Campaign>> {
        self.lock().by_id.get(&id).filter(|(_, at)| at.elapsed() < CAMPAIGN_TTL).map(|(c, _)| Arc::clone(c))
    }

    pub fn published(&self, slug: &str) -> Option<Arc<Campaign>> {
        self.lock().by_slug.get(slug).filter(|(_, at)| at.elapsed() < CAMPAIGN_TTL).map(|(c, _)| Arc::clone(c))
    }

    pub fn keep(&self, campaign: Arc<Campaign>) {
        self.lock().by_id.insert(campaign.id, (campaign, Instant::now()));
    }

    pub fn keep_published(&self, campaign: Arc<Campaign>) {
        let mut campaigns = self.lock();
        campaigns.by_slug.insert(campaign.slug.clone(), (Arc::clone(&campaign), Instant::now()));
        campaigns.by_id.insert(campaign.id, (campaign, Instant::now()));
    }

    pub fn clear(&self) {
        *self.lock() = Campaigns::default();
    }
}

//! Signed-in users by token digest, so a busy resident's every request does not cost two SQL
//! reads. Entries live briefly: a logout, a disable or a password reset on this instance evicts
//! at once; one made on another instance takes effect here within `TTL`.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::CurrentUser;

const TTL: Duration = Duration::from_secs(10);
const MAX_ENTRIES: usize = 100_000;

struct Entry {
    user: CurrentUser,
    expires_at: DateTime<Utc>,
    cached_at: Instant,
}

#[derive(Default)]
pub(super) struct TokenCache {
    by_digest: Mutex<HashMap<String, Entry>>,
}

impl TokenCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.by_digest.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(&self, digest: &str, now: DateTime<Utc>) -> Option<CurrentUser> {
        let entries = self.lock();
        let entry = entries.get(digest)?;
        (entry.cached_at.elapsed() < TTL && entry.expires_at > now).then(|| entry.user.clone())
    }

    pub fn keep(&self, digest: String, user: CurrentUser, expires_at: DateTime<Utc>) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, e| e.cached_at.elapsed() < TTL);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(digest, Entry { user, expires_at, cached_at: Instant::now() });
    }

    pub fn forget_token(&self, digest: &str) {
        self.lock().remove(digest);
    }

    pub fn forget_user(&self, user_id: i64) {
        self.lock().retain(|_, e| e.user.id != user_id);
    }
}

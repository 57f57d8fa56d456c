//! The in-process live store: for one pufa process on one machine, without Redis.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{Counters, LiveError, WindowCount};

#[derive(Clone, Default)]
pub struct MemoryStore {
    windows: Arc<Mutex<HashMap<String, Window>>>,
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

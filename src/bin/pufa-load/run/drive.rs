//! Driving the story: closed loop (N virtual users back to back) or open loop (R stories a second
//! at fixed times, whatever the server does, so a slow server shows as latency and schedule lag).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;

use super::story::{Ctx, Outcome, Vu, quiz_story};
use crate::http::{Conn, Target};
use crate::stats::Recorder;

/// Idle pooled connections older than this are dropped: Rocket closes keep-alive connections
/// idle for 5 s by default, and a fresh connect is cheaper than a failed request.
const MAX_IDLE: Duration = Duration::from_secs(4);

/// Closed loop: one virtual user repeating the story until the window ends.
pub(super) async fn closed_vu(ctx: Arc<Ctx>) -> Recorder {
    let mut vu = Vu::new(Conn::new(ctx.target.clone()));
    while !ctx.stopped() {
        let Some(token) = ctx.take_token() else {
            // Every token is exhausted or busy: nothing this user can do.
            if ctx.window.contains(Instant::now()) {
                vu.rec.error("start", 0, "no_idle_user");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let outcome = quiz_story(&mut vu, &ctx, token).await;
        if outcome == Outcome::Exhausted {
            vu.rec.count("tokens_exhausted", 1);
        } else {
            ctx.give_token(token);
        }
        if outcome == Outcome::Failed {
            // Do not spin on a failing server (a refused connection fails in microseconds).
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    vu.rec.count("connects", vu.conn.connects);
    vu.rec
}

/// A pool of idle keep-alive connections for open-loop work.
#[derive(Clone)]
pub(super) struct ConnPool {
    target: Target,
    idle: Arc<Mutex<Vec<Conn>>>,
}

impl ConnPool {
    pub(super) fn new(target: Target) -> Self {
        Self { target, idle: Arc::new(Mutex::new(Vec::new())) }
    }

    pub(super) fn take(&self) -> Conn {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(conn) = idle.pop() {
            if conn.last_used.elapsed() < MAX_IDLE {
                return conn;
            }
        }
        Conn::new(self.target.clone())
    }

    pub(super) fn give(&self, conn: Conn) {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(conn);
    }
}

/// Counts in-flight work and remembers the peak.
#[derive(Default)]
pub(super) struct InFlight {
    pub(super) now: AtomicUsize,
    peak: AtomicUsize,
}

impl InFlight {
    pub(super) fn enter(&self) -> usize {
        let n = self.now.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(n, Ordering::Relaxed);
        n
    }

    pub(super) fn leave(&self) {
        self.now.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Open loop: `rate` stories a second at fixed times from `ctx.window.start - warmup`.
pub(super) async fn open_loop(ctx: Arc<Ctx>, rate: f64, begin: Instant) -> (Recorder, usize) {
    let period = Duration::from_secs_f64(1.0 / rate);
    let mut ticker = tokio::time::interval_at(begin.into(), period);
    // Late ticks fire at once (and their lag is recorded): the offered load never drops.
    ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let pool = ConnPool::new(ctx.target.clone());
    let inflight = Arc::new(InFlight::default());
    let merged = Arc::new(Mutex::new(Recorder::default()));
    let mut rec = Recorder::default();
    let mut stories = JoinSet::new();
    loop {
        let scheduled = ticker.tick().await.into_std();
        if scheduled >= ctx.stop_at {
            break;
        }
        while stories.try_join_next().is_some() {}
        let counted = ctx.window.contains(scheduled);
        if counted {
            rec.latency("schedule_lag", Instant::now().saturating_duration_since(scheduled));
            rec.count("stories_scheduled", 1);
        }
        let Some(token) = ctx.take_token() else {
            if counted {
                rec.error("start", 0, "no_idle_user");
            }
            continue;
        };
        inflight.enter();
        let (ctx, pool, inflight, merged) = (ctx.clone(), pool.clone(), inflight.clone(), merged.clone());
        stories.spawn(async move {
            let mut vu = Vu::new(pool.take());
            let connects_before = vu.conn.connects;
            let outcome = quiz_story(&mut vu, &ctx, token).await;
            if outcome == Outcome::Exhausted {
                vu.rec.count("tokens_exhausted", 1);
            } else {
                ctx.give_token(token);
            }
            inflight.leave();
            vu.rec.count("connects", vu.conn.connects - connects_before);
            let Vu { conn, rec, .. } = vu;
            pool.give(conn);
            merged.lock().unwrap_or_else(PoisonError::into_inner).merge(rec);
        });
    }
    while stories.join_next().await.is_some() {}
    let stories_rec = std::mem::take(&mut *merged.lock().unwrap_or_else(PoisonError::into_inner));
    rec.merge(stories_rec);
    (rec, inflight.peak.load(Ordering::Relaxed))
}

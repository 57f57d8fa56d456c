//! The machine's ceiling for this server (GET /healthz on the same connections) and the server's
//! memory (RSS sampled from /proc while the run goes on).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::report::{Ceiling, Latency, error_rows};
use super::story::Vu;
use crate::http::{Conn, Method, Target};
use crate::stats::{Recorder, Window, rate, round2};

/// The ceiling: `connections` closed-loop loops of GET /healthz for `secs`.
pub async fn healthz_ceiling(target: &Target, connections: usize, secs: f64) -> Ceiling {
    let start = Instant::now();
    let window = Window { start, end: start + Duration::from_secs_f64(secs) };
    let mut tasks = JoinSet::new();
    for _ in 0..connections.max(1) {
        let target = target.clone();
        tasks.spawn(async move {
            let mut vu = Vu::new(Conn::new(target));
            while Instant::now() < window.end {
                if let Ok(reply) = vu.call(&window, "healthz", Method::Get, "/healthz", "", None).await {
                    if reply.response.status == 200 {
                        vu.rec.count("ok", 1);
                    } else {
                        vu.unexpected("healthz", &reply);
                    }
                } else {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            vu.rec
        });
    }
    let mut rec = Recorder::default();
    while let Some(done) = tasks.join_next().await {
        if let Ok(r) = done {
            rec.merge(r);
        }
    }
    let secs = window.secs();
    let s = rec.summary("healthz");
    Ceiling {
        connections: connections.max(1),
        secs,
        ok: rec.counter("ok"),
        req_per_sec: round2(rate(rec.counter("ok"), secs)),
        latency: Latency::of(&s, secs),
        errors: error_rows(&rec),
    }
}

/// VmRSS and VmHWM of a process in kB, from /proc/PID/status.
pub(super) fn memory_kb(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.split_whitespace().next()?.parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Samples the server's RSS every 500 ms until `stop`; returns (peak RSS kB, samples).
pub(super) async fn sample_rss(pid: u32, stop: Arc<AtomicBool>) -> (u64, u64) {
    let mut peak = 0;
    let mut samples = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        if let Some((rss, _)) = memory_kb(pid) {
            peak = peak.max(rss);
            samples += 1;
        }
    }
    (peak, samples)
}

//! Prometheus text metrics: requests by route and status, and a latency histogram per route.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Data, Request, Response};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// One route of one method: requests by status, and their latency.
#[derive(Default)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    latency: Histogram,
}

/// By method, then route template. Looked up by `&str`: a request allocates nothing here once
/// its route has been seen.
#[derive(Default)]
struct Inner {
    routes: BTreeMap<&'static str, BTreeMap<String, RouteStats>>,
}

/// Cheap to clone; shared by the fairing and the /metrics route.
#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Mutex<Inner>>,
    gauges: Arc<Gauges>,
}

/// Counters that domain code bumps.
#[derive(Default)]
pub struct Gauges {
    pub answers_accepted: Arc<AtomicU64>,
}

impl Metrics {
    /// The counter the quiz bumps for every stored answer.
    pub fn answers_accepted(&self) -> Arc<AtomicU64> {
        self.gauges.answers_accepted.clone()
    }

    fn observe(&self, method: &'static str, route: &str, status: u16, seconds: f64) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let routes = inner.routes.entry(method).or_default();
        if !routes.contains_key(route) {
            routes.insert(route.to_owned(), RouteStats::default());
        }
        let Some(stats) = routes.get_mut(route) else { return };
        *stats.by_status.entry(status).or_default() += 1;
        let histogram = &mut stats.latency;
        histogram.count += 1;
        histogram.sum += seconds;
        for (slot, bound) in histogram.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *slot += 1;
            }
        }
    }

    /// The text exposition; `live_sessions` is read from SQL by the caller (None: unknown).
    pub fn render(&self, live_sessions: Option<u64>) -> String {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = String::new();
        out.push_str("# HELP pufa_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE pufa_http_requests_total counter\n");
        for (method, routes) in &inner.routes {
            for (route, stats) in routes {
                for (status, n) in &stats.by_status {
                    let _ = writeln!(
                        out,
                        "pufa_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                        escape(route)
                    );
                }
            }
        }
        out.push_str("# HELP pufa_http_request_duration_seconds HTTP request latency.\n");
        out.push_str("# TYPE pufa_http_request_duration_seconds histogram\n");
        let latency = inner.routes.iter().flat_map(|(method, routes)| {
            routes.iter().map(move |(route, stats)| (format!("{method} {route}"), &stats.latency))
        });
        let latency: BTreeMap<String, &Histogram> = latency.collect();
        for (route, h) in latency {
            let route = escape(&route);
            for (bound, n) in BUCKETS.iter().zip(h.buckets) {
                let _ =
                    writeln!(out, "pufa_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}");
            }
            let _ =
                writeln!(out, "pufa_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "pufa_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
            let _ = writeln!(out, "pufa_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
        }
        out.push_str("# HELP pufa_answers_accepted_total Quiz answers accepted and stored.\n");
        out.push_str("# TYPE pufa_answers_accepted_total counter\n");
        let _ = writeln!(out, "pufa_answers_accepted_total {}", self.gauges.answers_accepted.load(Ordering::Relaxed));
        if let Some(live) = live_sessions {
            out.push_str("# HELP pufa_live_sessions Quiz sessions in progress.\n# TYPE pufa_live_sessions gauge\n");
            let _ = writeln!(out, "pufa_live_sessions {live}");
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

struct Started(Instant);

#[rocket::async_trait]
impl Fairing for Metrics {
    fn info(&self) -> Info {
        Info { name: "metrics", kind: Kind::Request | Kind::Response }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        req.local_cache(|| Started(Instant::now()));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let started = req.local_cache(|| Started(Instant::now())).0;
        // The route template, not the raw path, so ids do not explode the label set.
        let route = req.route().map_or("unmatched", |r| r.uri.as_str());
        self.observe(req.method().as_str(), route, res.status().code, started.elapsed().as_secs_f64());
    }
}

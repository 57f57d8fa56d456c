//! The run's report: typed, written as JSON (`--json`) and printed as tables. The fault scripts and
//! `verify --from-json` read the JSON back, so its field names are a contract.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::story::STORY_ENDPOINTS;
use crate::stats::{self, LATENCY_HEADER, Recorder, Summary, rate, round2};

/// Latency percentiles of one endpoint over the measured window, in milliseconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Latency {
    pub count: u64,
    pub per_sec: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Latency {
    pub fn of(s: &Summary, secs: f64) -> Self {
        Self {
            count: s.count,
            per_sec: round2(rate(s.count, secs)),
            p50_ms: round2(s.p50),
            p95_ms: round2(s.p95),
            p99_ms: round2(s.p99),
            max_ms: round2(s.max),
            mean_ms: round2(s.mean),
        }
    }
}

/// Unexpected answers of one kind: an endpoint, a status (0: no HTTP answer) and an error code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorRow {
    pub endpoint: String,
    pub status: u16,
    pub code: String,
    pub count: u64,
}

pub fn error_rows(rec: &Recorder) -> Vec<ErrorRow> {
    rec.error_rows()
        .into_iter()
        .map(|(endpoint, status, code, count)| ErrorRow { endpoint: endpoint.to_owned(), status, code, count })
        .collect()
}

/// GET /healthz on the same connections: what this server can answer at all on this machine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ceiling {
    pub connections: usize,
    pub secs: f64,
    pub ok: u64,
    pub req_per_sec: f64,
    pub latency: Latency,
    pub errors: Vec<ErrorRow>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rss {
    pub pid: u32,
    pub samples: u64,
    pub peak_rss_mb: f64,
    pub vm_hwm_mb: f64,
}

/// The sign-in flood beside the run (`--login-rate`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginReport {
    pub rate: f64,
    pub sent: u64,
    pub dropped_over_1000_in_flight: u64,
    pub latency: Latency,
    /// By status (`"0"`: no HTTP answer).
    pub statuses: BTreeMap<String, u64>,
    pub unexpected: Vec<ErrorRow>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AckLogReport {
    pub path: String,
    pub lines: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    pub label: Option<String>,
    /// `closed` or `open`.
    pub mode: String,
    pub concurrency: Option<usize>,
    pub rate: Option<f64>,
    pub peak_concurrency: usize,
    pub threads: usize,
    pub warmup_secs: f64,
    pub duration_secs: f64,
    pub run_started_at: String,
    pub run_ended_at: String,
    pub quizzes_completed: u64,
    pub quizzes_per_sec: f64,
    /// Answers acknowledged with 200 inside the measured window.
    pub answers_ok: u64,
    pub answers_per_sec: f64,
    /// Answers acknowledged with 200 at any time of the run (warmup included).
    pub answers_ok_all: u64,
    pub sessions_resumed: u64,
    pub tokens_exhausted: u64,
    pub connections_opened: u64,
    pub stories_scheduled: u64,
    pub schedule_lag: Option<Latency>,
    pub endpoints: BTreeMap<String, Latency>,
    pub errors_total: u64,
    pub errors: Vec<ErrorRow>,
    pub healthz: Option<Ceiling>,
    pub answers_per_healthz: Option<f64>,
    pub rss: Option<Rss>,
    pub login: Option<LoginReport>,
    pub ack_log: Option<AckLogReport>,
}

fn or_dash<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

pub fn print_run(report: &RunReport, rec: &mut Recorder) {
    let secs = report.duration_secs;
    let label = report.label.as_ref().map(|l| format!(" [{l}]")).unwrap_or_default();
    let how = match report.mode.as_str() {
        "open" => {
            format!("open loop, {} stories/s (peak {} in flight)", or_dash(report.rate), report.peak_concurrency)
        }
        _ => format!("closed loop, {} virtual users", or_dash(report.concurrency)),
    };
    println!("\n== pufa-load run{label}: {how}, {secs:.1} s measured after {} s warmup ==", report.warmup_secs);
    println!(
        "quizzes completed {} ({}/s)   answers accepted (200) {} ({}/s)   errors {}",
        report.quizzes_completed,
        report.quizzes_per_sec,
        report.answers_ok,
        report.answers_per_sec,
        report.errors_total
    );
    println!(
        "sessions resumed {}   tokens exhausted {}   connections opened {}",
        report.sessions_resumed, report.tokens_exhausted, report.connections_opened
    );
    let mut rows = stats::latency_rows(rec, &STORY_ENDPOINTS, secs);
    if report.mode == "open" {
        rows.append(&mut stats::latency_rows(rec, &["schedule_lag"], secs));
    }
    print!("{}", stats::table(&LATENCY_HEADER, &rows));
    print_errors(rec);
    if let Some(h) = &report.healthz {
        println!(
            "healthz ceiling: {} connections, {} req/s (p50 {} ms, p99 {} ms)   answers/s ÷ healthz req/s = {}",
            h.connections,
            h.req_per_sec,
            h.latency.p50_ms,
            h.latency.p99_ms,
            report.answers_per_healthz.map_or("-".to_owned(), |r| format!("{r:.4}")),
        );
    }
    if let Some(r) = &report.rss {
        println!("server RSS: peak {} MB over {} samples, VmHWM {} MB", r.peak_rss_mb, r.samples, r.vm_hwm_mb);
    }
    if let Some(a) = &report.ack_log {
        println!("acknowledged answers logged: {} lines in {}", a.lines, a.path);
    }
    if let Some(l) = &report.login {
        println!(
            "login flood {}/s: sent {}, statuses {:?}, p50 {} ms, p99 {} ms, max {} ms, dropped {}",
            l.rate,
            l.sent,
            l.statuses,
            l.latency.p50_ms,
            l.latency.p99_ms,
            l.latency.max_ms,
            l.dropped_over_1000_in_flight,
        );
    }
}

pub fn print_errors(rec: &Recorder) {
    let rows: Vec<Vec<String>> = rec
        .error_rows()
        .into_iter()
        .map(|(endpoint, status, code, count)| {
            let status = if status == 0 { "-".to_owned() } else { status.to_string() };
            vec![endpoint.to_owned(), status, code, count.to_string()]
        })
        .collect();
    if rows.is_empty() {
        println!("errors: none");
    } else {
        println!("errors:");
        print!("{}", stats::table(&["endpoint", "status", "code", "count"], &rows));
    }
}

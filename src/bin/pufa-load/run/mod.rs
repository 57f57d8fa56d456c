//! `run`: the resident story under closed-loop or open-loop load, then the /healthz ceiling.
//!
//! - `story`: the story one virtual user plays, and what they all share;
//! - `drive`: closed and open loop;
//! - `ceiling`: GET /healthz on the same connections, and the server's RSS;
//! - `flood`: an optional sign-in flood beside the run;
//! - `report`: the typed report, as JSON and as tables.

mod ceiling;
mod drive;
mod flood;
mod report;
mod story;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use self::report::{AckLogReport, Latency, Rss, error_rows, print_run};
pub use self::report::{RunReport, print_errors};
use self::story::STORY_ENDPOINTS;
pub use self::story::{Ctx, Outcome, Vu};
use crate::Error;
use crate::http::Target;
use crate::seed::read_tokens;
use crate::stats::{Recorder, Window, rate, round2};

pub struct RunArgs {
    pub url: String,
    pub tokens: PathBuf,
    pub campaign: String,
    pub concurrency: Option<usize>,
    pub rate: Option<f64>,
    pub duration: f64,
    pub warmup: f64,
    pub ceiling_secs: f64,
    pub server_pid: Option<u32>,
    pub json: Option<PathBuf>,
    pub label: Option<String>,
    pub login_rate: Option<f64>,
    pub login_password: Option<String>,
    pub threads: usize,
    /// One line per answer that got 200: `session_id<TAB>position<TAB>choice` (warmup included).
    pub ack_log: Option<PathBuf>,
}

/// A finite number above zero.
pub fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

pub async fn run(args: RunArgs) -> Result<(), Error> {
    let target = Target::parse(&args.url)?;
    let tokens = read_tokens(&args.tokens)?;
    if !positive(args.duration) || args.warmup < 0.0 || args.ceiling_secs < 0.0 {
        return Err("--duration must be > 0, --warmup and --ceiling-secs >= 0".into());
    }
    if let Some(n) = args.concurrency
        && (n == 0 || n > tokens.len())
    {
        return Err(format!(
            "--concurrency {n} needs 1..={} (a token is never used by two virtual users at once)",
            tokens.len()
        )
        .into());
    }
    if args.rate.is_some_and(|r| !positive(r)) {
        return Err("--rate must be > 0".into());
    }
    let login = match (args.login_rate, &args.login_password) {
        (Some(r), Some(pw)) if positive(r) => Some((r, pw.clone())),
        (Some(_), None) => return Err("--login-rate needs --login-password".into()),
        (Some(_), Some(_)) => return Err("--login-rate must be > 0".into()),
        _ => None,
    };

    let run_started_at = chrono::Utc::now();
    let begin = Instant::now();
    let window = Window {
        start: begin + Duration::from_secs_f64(args.warmup),
        end: begin + Duration::from_secs_f64(args.warmup + args.duration),
    };
    let phones: Vec<String> = tokens.iter().map(|t| t.phone.clone()).collect();
    let mut ctx = Ctx::new(target.clone(), tokens, &args.campaign, window);
    if let Some(path) = &args.ack_log {
        ctx = ctx.with_ack_log(path)?;
    }
    let ctx = Arc::new(ctx);

    let rss_stop = Arc::new(AtomicBool::new(false));
    let rss = args.server_pid.map(|pid| tokio::spawn(ceiling::sample_rss(pid, rss_stop.clone())));
    let login_task = login.map(|(r, pw)| tokio::spawn(flood::login_flood(target.clone(), phones, pw, r, window)));

    let mode = if args.rate.is_some() { "open" } else { "closed" };
    eprintln!(
        "pufa-load run: {mode} loop, {} on {} threads, {:.0} s warmup + {:.0} s measured…",
        match (args.concurrency, args.rate) {
            (_, Some(r)) => format!("{r} stories/s"),
            (Some(n), None) => format!("{n} virtual users"),
            _ => String::new(),
        },
        args.threads,
        args.warmup,
        args.duration
    );
    let (mut rec, peak) = match (args.concurrency, args.rate) {
        (_, Some(r)) => drive::open_loop(ctx.clone(), r, begin).await,
        (Some(n), None) => {
            let mut vus = JoinSet::new();
            for _ in 0..n {
                vus.spawn(drive::closed_vu(ctx.clone()));
            }
            let mut rec = Recorder::default();
            while let Some(done) = vus.join_next().await {
                rec.merge(done.map_err(|e| format!("virtual user failed: {e}"))?);
            }
            (rec, n)
        }
        (None, None) => return Err("give --concurrency N or --rate R".into()),
    };
    let run_ended_at = chrono::Utc::now();
    let ack_log = ctx.finish_ack_log();
    if let Some((_, Some(e))) = &ack_log {
        return Err(format!("--ack-log: cannot write: {e}").into());
    }
    let login_report = match login_task {
        Some(task) => Some(task.await.map_err(|e| format!("login flood failed: {e}"))?),
        None => None,
    };

    let healthz = if args.ceiling_secs > 0.0 {
        eprintln!("ceiling: GET /healthz on {peak} connections for {:.0} s…", args.ceiling_secs);
        Some(ceiling::healthz_ceiling(&target, peak, args.ceiling_secs).await)
    } else {
        None
    };
    rss_stop.store(true, Ordering::Relaxed);
    let rss_report = match (rss, args.server_pid) {
        (Some(task), Some(pid)) => {
            let (peak_kb, samples) = task.await.unwrap_or((0, 0));
            let hwm_kb = ceiling::memory_kb(pid).map_or(0, |(_, hwm)| hwm);
            Some(Rss {
                pid,
                samples,
                peak_rss_mb: round2(peak_kb as f64 / 1024.0),
                vm_hwm_mb: round2(hwm_kb as f64 / 1024.0),
            })
        }
        _ => None,
    };

    let secs = window.secs();
    let quizzes = rec.counter("quizzes");
    let answers_ok = rec.counter("answers_ok");
    let answers_per_sec = rate(answers_ok, secs);
    let healthz_rps = healthz.as_ref().map_or(0.0, |h| h.req_per_sec);
    let endpoints = STORY_ENDPOINTS.iter().map(|e| ((*e).to_owned(), Latency::of(&rec.summary(e), secs))).collect();
    let report = RunReport {
        label: args.label.clone(),
        mode: mode.to_owned(),
        concurrency: args.concurrency,
        rate: args.rate,
        peak_concurrency: peak,
        threads: args.threads,
        warmup_secs: args.warmup,
        duration_secs: round2(secs),
        run_started_at: run_started_at.to_rfc3339(),
        run_ended_at: run_ended_at.to_rfc3339(),
        quizzes_completed: quizzes,
        quizzes_per_sec: round2(rate(quizzes, secs)),
        answers_ok,
        answers_per_sec: round2(answers_per_sec),
        answers_ok_all: rec.counter("answers_ok_all"),
        sessions_resumed: rec.counter("resumed"),
        tokens_exhausted: rec.counter("tokens_exhausted"),
        connections_opened: rec.counter("connects"),
        stories_scheduled: rec.counter("stories_scheduled"),
        schedule_lag: (mode == "open").then(|| Latency::of(&rec.summary("schedule_lag"), secs)),
        endpoints,
        errors_total: rec.errors_total(),
        errors: error_rows(&rec),
        healthz,
        answers_per_healthz: (healthz_rps > 0.0).then(|| answers_per_sec / healthz_rps),
        rss: rss_report,
        login: login_report,
        ack_log: args.ack_log.as_ref().map(|p| AckLogReport {
            path: p.display().to_string(),
            lines: ack_log.as_ref().map_or(0, |(lines, _)| *lines),
        }),
    };

    print_run(&report, &mut rec);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("report written to {}", path.display());
    }
    Ok(())
}

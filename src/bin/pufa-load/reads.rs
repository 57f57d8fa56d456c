//! `reads` (board reads only, to compare small and large boards) and `starts` (session starts only).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::Error;
use crate::http::{Conn, Method, Target, encode_segment};
use crate::run::{Outcome, Vu, print_errors};
use crate::seed::read_tokens;
use crate::stats::{self, LATENCY_HEADER, Recorder, Window, rate, round2};

pub struct ReadsArgs {
    pub url: String,
    pub tokens: PathBuf,
    pub campaign: String,
    pub concurrency: usize,
    pub duration: f64,
    pub warmup: f64,
    pub json: Option<PathBuf>,
    pub label: Option<String>,
}

const READ_ENDPOINTS: [&str; 2] = ["board", "around_me"];

pub async fn reads(args: ReadsArgs) -> Result<(), Error> {
    let target = Target::parse(&args.url)?;
    let tokens = read_tokens(&args.tokens)?;
    if args.concurrency == 0 || args.concurrency > tokens.len() {
        return Err(format!("--concurrency needs 1..={} (one token per virtual user)", tokens.len()).into());
    }
    if !crate::run::positive(args.duration) || args.warmup < 0.0 {
        return Err("--duration must be > 0 and --warmup >= 0".into());
    }
    let slug = encode_segment(&args.campaign);
    let board = Arc::new(format!("/api/v1/campaigns/{slug}/leaderboard?limit=50"));
    let around = Arc::new(format!("/api/v1/campaigns/{slug}/leaderboard/around-me"));
    let begin = Instant::now();
    let window = Window {
        start: begin + Duration::from_secs_f64(args.warmup),
        end: begin + Duration::from_secs_f64(args.warmup + args.duration),
    };
    eprintln!(
        "pufa-load reads: {} virtual users, {:.0} s warmup + {:.0} s measured…",
        args.concurrency, args.warmup, args.duration
    );
    let mut vus = JoinSet::new();
    for line in tokens.into_iter().take(args.concurrency) {
        let (target, board, around) = (target.clone(), board.clone(), around.clone());
        vus.spawn(async move {
            let mut vu = Vu::new(Conn::new(target));
            let token = line.token.as_str();
            while Instant::now() < window.end {
                let mut failed = false;
                for (endpoint, path) in [("board", board.as_str()), ("around_me", around.as_str())] {
                    match vu.call(&window, endpoint, Method::Get, path, token, None).await {
                        Ok(reply) if reply.response.status == 200 => {
                            // Did the board name the caller (`me`)? Counted, not required.
                            if endpoint == "board" && reply.counted {
                                let has_me = serde_json::from_slice::<Value>(&reply.response.body)
                                    .ok()
                                    .and_then(|v| v.get("me").map(|m| !m.is_null()))
                                    .unwrap_or(false);
                                vu.rec.count(if has_me { "board_with_me" } else { "board_without_me" }, 1);
                            }
                        }
                        Ok(reply) => {
                            if reply.counted {
                                vu.rec.http_error(endpoint, &reply.response);
                            }
                        }
                        Err(_) => failed = true,
                    }
                }
                if failed {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            vu.rec
        });
    }
    let mut rec = Recorder::default();
    while let Some(done) = vus.join_next().await {
        rec.merge(done.map_err(|e| format!("virtual user failed: {e}"))?);
    }
    let secs = window.secs();
    let mut endpoints = serde_json::Map::new();
    for endpoint in READ_ENDPOINTS {
        endpoints.insert(endpoint.to_owned(), rec.summary(endpoint).json(secs));
    }
    let total: u64 = READ_ENDPOINTS.iter().map(|e| rec.summary(e).count).sum();
    let report = json!({
        "label": args.label,
        "concurrency": args.concurrency,
        "warmup_secs": args.warmup,
        "duration_secs": round2(secs),
        "requests": total,
        "req_per_sec": round2(rate(total, secs)),
        "board_with_me": rec.counter("board_with_me"),
        "board_without_me": rec.counter("board_without_me"),
        "endpoints": endpoints,
        "errors_total": rec.errors_total(),
        "errors": rec.errors_json(),
    });
    let label = args.label.as_deref().map(|l| format!(" [{l}]")).unwrap_or_default();
    println!("\n== pufa-load reads{label}: {} virtual users, {secs:.1} s measured ==", args.concurrency);
    println!(
        "requests {total} ({:.1}/s)   boards naming the caller {} of {}",
        rate(total, secs),
        rec.counter("board_with_me"),
        rec.counter("board_with_me") + rec.counter("board_without_me")
    );
    print!("{}", stats::table(&LATENCY_HEADER, &stats::latency_rows(&mut rec, &READ_ENDPOINTS, secs)));
    print_errors(&rec);
    write_json(args.json.as_ref(), &report)
}

pub struct StartsArgs {
    pub url: String,
    pub tokens: PathBuf,
    pub campaign: String,
    pub concurrency: usize,
    pub count: u64,
    pub json: Option<PathBuf>,
    pub label: Option<String>,
}

const START_ENDPOINTS: [&str; 3] = ["start", "finish", "finish_stale"];

pub async fn starts(args: StartsArgs) -> Result<(), Error> {
    let target = Target::parse(&args.url)?;
    let tokens = read_tokens(&args.tokens)?;
    if args.concurrency == 0 || args.concurrency > tokens.len() {
        return Err(format!("--concurrency needs 1..={} (a token is never shared)", tokens.len()).into());
    }
    let slug = encode_segment(&args.campaign);
    let start_path = Arc::new(format!("/api/v1/campaigns/{slug}/sessions"));
    let begin = Instant::now();
    // Everything counts: no warmup, no end but the count.
    let window = Window { start: begin, end: begin + Duration::from_secs(365 * 24 * 3600) };
    let ctx = Arc::new(crate::run::Ctx::new(target.clone(), tokens, &args.campaign, window));
    let left = Arc::new(AtomicU64::new(args.count));
    eprintln!("pufa-load starts: {} sessions started and finished by {} virtual users…", args.count, args.concurrency);
    let mut vus = JoinSet::new();
    for _ in 0..args.concurrency {
        let (ctx, left, start_path) = (ctx.clone(), left.clone(), start_path.clone());
        vus.spawn(async move {
            let mut vu = Vu::new(Conn::new(ctx.target.clone()));
            while left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok() {
                let Some(index) = ctx.take_token() else {
                    vu.rec.error("start", 0, "no_idle_user");
                    break;
                };
                let token = ctx.tokens.get(index).map(|t| t.token.clone()).unwrap_or_default();
                let outcome = start_and_finish(&mut vu, &window, &start_path, &token).await;
                if outcome == Outcome::Exhausted {
                    vu.rec.count("tokens_exhausted", 1);
                } else {
                    ctx.give_token(index);
                }
            }
            vu.rec
        });
    }
    let mut rec = Recorder::default();
    while let Some(done) = vus.join_next().await {
        rec.merge(done.map_err(|e| format!("virtual user failed: {e}"))?);
    }
    let secs = begin.elapsed().as_secs_f64();
    let mut endpoints = serde_json::Map::new();
    for endpoint in START_ENDPOINTS {
        endpoints.insert(endpoint.to_owned(), rec.summary(endpoint).json(secs));
    }
    let started = rec.counter("started");
    let report = json!({
        "label": args.label,
        "concurrency": args.concurrency,
        "count": args.count,
        "secs": round2(secs),
        "started": started,
        "starts_per_sec": round2(rate(started, secs)),
        "tokens_exhausted": rec.counter("tokens_exhausted"),
        "endpoints": endpoints,
        "errors_total": rec.errors_total(),
        "errors": rec.errors_json(),
    });
    let label = args.label.as_deref().map(|l| format!(" [{l}]")).unwrap_or_default();
    println!("\n== pufa-load starts{label}: {} virtual users, {secs:.1} s ==", args.concurrency);
    println!("sessions started {started} ({:.1}/s)", rate(started, secs));
    print!("{}", stats::table(&LATENCY_HEADER, &stats::latency_rows(&mut rec, &START_ENDPOINTS, secs)));
    print_errors(&rec);
    write_json(args.json.as_ref(), &report)
}

/// Starts a session and finishes it unanswered; a session left in progress is finished first.
async fn start_and_finish(vu: &mut Vu, window: &Window, start_path: &str, token: &str) -> Outcome {
    for _ in 0..2 {
        let Ok(reply) = vu.call(window, "start", Method::Post, start_path, token, None).await else {
            return Outcome::Failed;
        };
        let body: Value = serde_json::from_slice(&reply.response.body).unwrap_or(Value::Null);
        let (endpoint, id) = match reply.response.status {
            201 | 200 => ("finish", body.get("id").and_then(Value::as_str)),
            409 => {
                let error = body.get("error");
                match error.and_then(|e| e.get("code")).and_then(Value::as_str) {
                    Some("session_in_progress") => {
                        ("finish_stale", error.and_then(|e| e.get("session_id")).and_then(Value::as_str))
                    }
                    Some("attempt_limit_reached") => {
                        vu.rec.http_error("start", &reply.response);
                        return Outcome::Exhausted;
                    }
                    _ => {
                        vu.rec.http_error("start", &reply.response);
                        return Outcome::Failed;
                    }
                }
            }
            _ => {
                vu.rec.http_error("start", &reply.response);
                return Outcome::Failed;
            }
        };
        let Some(id) = id else {
            vu.rec.error("start", reply.response.status, "no_session_id");
            return Outcome::Failed;
        };
        if endpoint == "finish" {
            vu.rec.count("started", 1);
        }
        let path = format!("/api/v1/sessions/{}/finish", encode_segment(id));
        match vu.call(window, endpoint, Method::Post, &path, token, None).await {
            Ok(r) if r.response.status == 200 => {}
            Ok(r) => vu.rec.http_error(endpoint, &r.response),
            Err(_) => return Outcome::Failed,
        }
        if endpoint == "finish" {
            return Outcome::Done;
        }
        // A stale session was in the way: now start the real one.
    }
    Outcome::Failed
}

fn write_json(path: Option<&PathBuf>, report: &Value) -> Result<(), Error> {
    if let Some(path) = path {
        std::fs::write(path, serde_json::to_string_pretty(report)?).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("report written to {}", path.display());
    }
    Ok(())
}

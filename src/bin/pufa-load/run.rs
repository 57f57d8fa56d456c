//! `run`: the resident story under closed-loop or open-loop load, then the /healthz ceiling.
//!
//! The story: start a session (or resume the one in progress), answer every question, finish,
//! read the board. Closed loop: N virtual users repeat it back to back. Open loop: a ticker
//! starts R stories a second at fixed times whatever the server does, so a slow server shows up
//! as latency and schedule lag instead of silently lowering the offered load.

use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;

use crate::Error;
use crate::http::{Conn, HttpError, Method, Response, Target, encode_segment};
use crate::seed::{TokenLine, read_tokens};
use crate::stats::{self, LATENCY_HEADER, Recorder, StatusCounts, Summary, Window, rate, round2};

/// Idle pooled connections older than this are dropped: Rocket closes keep-alive connections
/// idle for 5 s by default, and a fresh connect is cheaper than a failed request.
const MAX_IDLE: Duration = Duration::from_secs(4);

/// The endpoints of the story, in the order the tables show them.
pub const STORY_ENDPOINTS: [&str; 5] = ["start", "resume", "answer", "finish", "board"];

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

/// xorshift64*: the few random picks a story needs, `Send`, and nearly free.
pub struct Rng(u64);

impl Rng {
    pub fn new() -> Self {
        Self(rand::random::<u64>() | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// What every virtual user shares.
pub struct Ctx {
    pub target: Target,
    pub tokens: Vec<TokenLine>,
    /// Tokens not in use by any virtual user, oldest-returned first (round-robin).
    idle: Mutex<VecDeque<usize>>,
    start_path: String,
    board_path: String,
    pub window: Window,
    /// No request is sent from here on.
    pub stop_at: Instant,
    /// Where every acknowledged answer is written (`--ack-log`).
    ack_log: Option<Mutex<AckLog>>,
}

/// The acknowledged answers, one line each, so `verify --ack-log` can look every one up in SQL.
struct AckLog {
    out: std::io::BufWriter<std::fs::File>,
    lines: u64,
    /// The first write error; the run reports it at the end (a short log would pass verify).
    failed: Option<String>,
}

impl Ctx {
    pub fn new(target: Target, tokens: Vec<TokenLine>, slug: &str, window: Window) -> Self {
        let slug = encode_segment(slug);
        Self {
            target,
            idle: Mutex::new((0..tokens.len()).collect()),
            tokens,
            start_path: format!("/api/v1/campaigns/{slug}/sessions"),
            board_path: format!("/api/v1/campaigns/{slug}/leaderboard?limit=50"),
            window,
            stop_at: window.end,
            ack_log: None,
        }
    }

    /// Writes each acknowledged answer to `path` (created or truncated).
    pub fn with_ack_log(mut self, path: &std::path::Path) -> Result<Self, Error> {
        let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let out = std::io::BufWriter::with_capacity(256 * 1024, file);
        self.ack_log = Some(Mutex::new(AckLog { out, lines: 0, failed: None }));
        Ok(self)
    }

    /// Records one answer the server acknowledged with 200.
    fn acknowledged(&self, session: &str, position: u32, choice: &str) {
        let Some(log) = &self.ack_log else { return };
        let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
        match writeln!(log.out, "{session}\t{position}\t{choice}") {
            Ok(()) => log.lines += 1,
            Err(e) => {
                log.failed.get_or_insert_with(|| e.to_string());
            }
        }
    }

    /// Flushes the acknowledged-answers log: (lines written, first error).
    fn finish_ack_log(&self) -> Option<(u64, Option<String>)> {
        let log = self.ack_log.as_ref()?;
        let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(e) = log.out.flush() {
            log.failed.get_or_insert_with(|| e.to_string());
        }
        Some((log.lines, log.failed.clone()))
    }

    pub fn take_token(&self) -> Option<usize> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop_front()
    }

    pub fn give_token(&self, token: usize) {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).push_back(token);
    }

    fn stopped(&self) -> bool {
        Instant::now() >= self.stop_at
    }
}

/// A response and whether its request was sent inside the measured window.
pub struct Reply {
    pub response: Response,
    pub counted: bool,
}

/// One virtual user: its connection, what it recorded, its random picks.
pub struct Vu {
    pub conn: Conn,
    pub rec: Recorder,
    pub rng: Rng,
}

impl Vu {
    pub fn new(conn: Conn) -> Self {
        Self { conn, rec: Recorder::default(), rng: Rng::new() }
    }

    /// Sends one request; its latency (from the moment it was sent) and transport errors are
    /// recorded when it was sent inside the window.
    pub async fn call(
        &mut self,
        window: &Window,
        endpoint: &'static str,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&[u8]>,
    ) -> Result<Reply, HttpError> {
        let sent = Instant::now();
        let counted = window.contains(sent);
        let token = (!token.is_empty()).then_some(token);
        match self.conn.request(method, path, token, body).await {
            Ok(response) => {
                if counted {
                    self.rec.latency(endpoint, sent.elapsed());
                }
                Ok(Reply { response, counted })
            }
            Err(err) => {
                if counted {
                    self.rec.transport_error(endpoint, err);
                }
                Err(err)
            }
        }
    }

    fn unexpected(&mut self, endpoint: &'static str, reply: &Reply) {
        if reply.counted {
            self.rec.http_error(endpoint, &reply.response);
        }
    }
}

#[derive(Deserialize)]
struct SessionDoc {
    id: String,
    questions: Vec<QuestionDoc>,
}

#[derive(Deserialize)]
struct QuestionDoc {
    position: u32,
    kind: String,
    options: Vec<OptionDoc>,
    #[serde(default)]
    answered: bool,
}

#[derive(Deserialize)]
struct OptionDoc {
    key: String,
}

/// A plausible answer: one option, two for a multiple-choice question, true/false for judge.
/// Returns the request body and the choice as pufa stores it (`B`, `AC`, `T`/`F`).
fn choice_body(q: &QuestionDoc, rng: &mut Rng) -> (Vec<u8>, String) {
    let choice = match q.kind.as_str() {
        "judge" => Value::Bool(rng.below(2) == 1),
        "multiple" if q.options.len() >= 2 => {
            let a = rng.below(q.options.len());
            let b = (a + 1 + rng.below(q.options.len() - 1)) % q.options.len();
            let mut keys = [q.options[a].key.as_str(), q.options[b].key.as_str()];
            keys.sort_unstable();
            Value::String(keys.concat())
        }
        _ if q.options.is_empty() => Value::String("A".to_owned()),
        _ => Value::String(q.options[rng.below(q.options.len())].key.clone()),
    };
    let code = match &choice {
        Value::Bool(true) => "T".to_owned(),
        Value::Bool(false) => "F".to_owned(),
        other => other.as_str().unwrap_or_default().to_owned(),
    };
    (serde_json::to_vec(&json!({ "choice": choice })).unwrap_or_default(), code)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Failed,
    /// The token's user has no attempts left today: not given back to the pool.
    Exhausted,
    Stopped,
}

fn parse_session(vu: &mut Vu, endpoint: &'static str, reply: &Reply) -> Option<SessionDoc> {
    match serde_json::from_slice::<SessionDoc>(&reply.response.body) {
        Ok(doc) => Some(doc),
        Err(_) => {
            if reply.counted {
                vu.rec.error(endpoint, reply.response.status, "unreadable_session");
            }
            None
        }
    }
}

/// Starts a session, or resumes the one in progress. `Err` ends the story with that outcome.
async fn start_or_resume(vu: &mut Vu, ctx: &Ctx, token: &str) -> Result<SessionDoc, Outcome> {
    let reply = vu.call(&ctx.window, "start", Method::Post, &ctx.start_path, token, None).await;
    let reply = reply.map_err(|_| Outcome::Failed)?;
    match reply.response.status {
        201 | 200 => parse_session(vu, "start", &reply).ok_or(Outcome::Failed),
        409 => {
            let body: Value = serde_json::from_slice(&reply.response.body).unwrap_or(Value::Null);
            let error = body.get("error");
            let code = error.and_then(|e| e.get("code")).and_then(Value::as_str).unwrap_or("-");
            let session_id = error.and_then(|e| e.get("session_id")).and_then(Value::as_str);
            match (code, session_id) {
                ("session_in_progress", Some(id)) => {
                    vu.rec.count("resumed", 1);
                    let path = format!("/api/v1/sessions/{}", encode_segment(id));
                    let resumed = vu.call(&ctx.window, "resume", Method::Get, &path, token, None).await;
                    let resumed = resumed.map_err(|_| Outcome::Failed)?;
                    if resumed.response.status != 200 {
                        vu.unexpected("resume", &resumed);
                        return Err(Outcome::Failed);
                    }
                    parse_session(vu, "resume", &resumed).ok_or(Outcome::Failed)
                }
                ("attempt_limit_reached", _) => {
                    vu.unexpected("start", &reply);
                    Err(Outcome::Exhausted)
                }
                _ => {
                    vu.unexpected("start", &reply);
                    Err(Outcome::Failed)
                }
            }
        }
        _ => {
            vu.unexpected("start", &reply);
            Err(Outcome::Failed)
        }
    }
}

/// The resident story once, with the token at `token_index`.
pub async fn quiz_story(vu: &mut Vu, ctx: &Ctx, token_index: usize) -> Outcome {
    let Some(token_line) = ctx.tokens.get(token_index) else { return Outcome::Failed };
    let token = token_line.token.as_str();
    if ctx.stopped() {
        return Outcome::Stopped;
    }
    let session = match start_or_resume(vu, ctx, token).await {
        Ok(session) => session,
        Err(outcome) => return outcome,
    };
    let session_path = format!("/api/v1/sessions/{}", encode_segment(&session.id));
    let mut answer_path = String::with_capacity(session_path.len() + 16);
    for q in session.questions.iter().filter(|q| !q.answered) {
        if ctx.stopped() {
            return Outcome::Stopped;
        }
        let (body, choice) = choice_body(q, &mut vu.rng);
        answer_path.clear();
        answer_path.push_str(&session_path);
        answer_path.push_str("/answers/");
        answer_path.push_str(&q.position.to_string());
        let reply = match vu.call(&ctx.window, "answer", Method::Put, &answer_path, token, Some(&body)).await {
            Ok(reply) => reply,
            // The server is gone: the rest of this story would fail the same way.
            Err(HttpError::Connect) => return Outcome::Failed,
            // A timeout or a broken connection: the next request reconnects.
            Err(_) => continue,
        };
        match reply.response.status {
            200 => {
                ctx.acknowledged(&session.id, q.position, &choice);
                vu.rec.count("answers_ok_all", 1);
                if reply.counted {
                    vu.rec.count("answers_ok", 1);
                }
            }
            410 => {
                vu.unexpected("answer", &reply);
                break;
            }
            _ => vu.unexpected("answer", &reply),
        }
    }
    if ctx.stopped() {
        return Outcome::Stopped;
    }
    let finish_path = format!("{session_path}/finish");
    match vu.call(&ctx.window, "finish", Method::Post, &finish_path, token, None).await {
        Ok(reply) if reply.response.status == 200 => {
            if reply.counted {
                vu.rec.count("quizzes", 1);
            }
        }
        Ok(reply) => vu.unexpected("finish", &reply),
        Err(_) => {}
    }
    if ctx.stopped() {
        return Outcome::Stopped;
    }
    match vu.call(&ctx.window, "board", Method::Get, &ctx.board_path, token, None).await {
        Ok(reply) if reply.response.status == 200 => Outcome::Done,
        Ok(reply) => {
            vu.unexpected("board", &reply);
            Outcome::Failed
        }
        Err(_) => Outcome::Failed,
    }
}

/// Closed loop: one virtual user repeating the story until the window ends.
async fn closed_vu(ctx: Arc<Ctx>) -> Recorder {
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
struct ConnPool {
    target: Target,
    idle: Arc<Mutex<Vec<Conn>>>,
}

impl ConnPool {
    fn new(target: Target) -> Self {
        Self { target, idle: Arc::new(Mutex::new(Vec::new())) }
    }

    fn take(&self) -> Conn {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(conn) = idle.pop() {
            if conn.last_used.elapsed() < MAX_IDLE {
                return conn;
            }
        }
        Conn::new(self.target.clone())
    }

    fn give(&self, conn: Conn) {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(conn);
    }
}

/// Counts in-flight work and remembers the peak.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl InFlight {
    fn enter(&self) -> usize {
        let n = self.now.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(n, Ordering::Relaxed);
        n
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Open loop: `rate` stories a second at fixed times from `ctx.window.start - warmup`.
async fn open_loop(ctx: Arc<Ctx>, rate: f64, begin: Instant) -> (Recorder, usize) {
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

/// The ceiling: `connections` closed-loop loops of GET /healthz for `secs`.
pub async fn healthz_ceiling(target: &Target, connections: usize, secs: f64) -> Value {
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
    json!({
        "connections": connections.max(1),
        "secs": secs,
        "ok": rec.counter("ok"),
        "req_per_sec": round2(rate(rec.counter("ok"), secs)),
        "latency": s.json(secs),
        "errors": rec.errors_json(),
    })
}

/// VmRSS and VmHWM of a process in kB, from /proc/PID/status.
fn memory_kb(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.split_whitespace().next()?.parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Samples the server's RSS every 500 ms until `stop`; returns (peak RSS kB, samples).
async fn sample_rss(pid: u32, stop: Arc<AtomicBool>) -> (u64, u64) {
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

/// An open-loop flood of sign-ins, reported on its own.
async fn login_flood(target: Target, phones: Vec<String>, password: String, rate: f64, window: Window) -> Value {
    let period = Duration::from_secs_f64(1.0 / rate);
    let begin = Instant::now();
    let mut ticker = tokio::time::interval_at(begin.into(), period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let pool = ConnPool::new(target);
    let inflight = Arc::new(InFlight::default());
    let results: Arc<Mutex<(Recorder, StatusCounts)>> = Arc::default();
    let mut sent = 0u64;
    let mut dropped = 0u64;
    let mut tasks = JoinSet::new();
    let mut next_phone = 0usize;
    loop {
        let scheduled = ticker.tick().await.into_std();
        if scheduled >= window.end {
            break;
        }
        while tasks.try_join_next().is_some() {}
        // A server that stops answering must not make the flood hold unbounded connections.
        if inflight.now.load(Ordering::Relaxed) >= 1000 {
            dropped += u64::from(window.contains(scheduled));
            continue;
        }
        let phone = phones.get(next_phone % phones.len().max(1)).cloned().unwrap_or_default();
        next_phone += 1;
        sent += u64::from(window.contains(scheduled));
        let body = serde_json::to_vec(&json!({"phone": phone, "password": password})).unwrap_or_default();
        let (pool, inflight, results) = (pool.clone(), inflight.clone(), results.clone());
        inflight.enter();
        tasks.spawn(async move {
            let mut conn = pool.take();
            let sent_at = Instant::now();
            let outcome = conn.request(Method::Post, "/api/v1/auth/login", None, Some(&body)).await;
            let took = sent_at.elapsed();
            inflight.leave();
            pool.give(conn);
            if !window.contains(sent_at) {
                return;
            }
            let mut guard = results.lock().unwrap_or_else(PoisonError::into_inner);
            let (rec, statuses) = &mut *guard;
            match outcome {
                Ok(response) => {
                    rec.latency("login", took);
                    *statuses.entry(response.status).or_default() += 1;
                    if !matches!(response.status, 200 | 401 | 429 | 503) {
                        rec.http_error("login", &response);
                    }
                }
                Err(err) => {
                    *statuses.entry(0).or_default() += 1;
                    rec.transport_error("login", err);
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let mut guard = results.lock().unwrap_or_else(PoisonError::into_inner);
    let (rec, statuses) = &mut *guard;
    let secs = window.secs();
    let s = rec.summary("login");
    let statuses: serde_json::Map<String, Value> =
        statuses.iter().map(|(status, n)| (status.to_string(), json!(n))).collect();
    json!({
        "rate": rate,
        "sent": sent,
        "dropped_over_1000_in_flight": dropped,
        "latency": s.json(secs),
        "statuses": statuses,
        "unexpected": rec.errors_json(),
    })
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
    let rss = args.server_pid.map(|pid| tokio::spawn(sample_rss(pid, rss_stop.clone())));
    let login_task = login.map(|(r, pw)| tokio::spawn(login_flood(target.clone(), phones, pw, r, window)));

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
        (_, Some(r)) => open_loop(ctx.clone(), r, begin).await,
        (Some(n), None) => {
            let mut vus = JoinSet::new();
            for _ in 0..n {
                vus.spawn(closed_vu(ctx.clone()));
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
        Some(healthz_ceiling(&target, peak, args.ceiling_secs).await)
    } else {
        None
    };
    rss_stop.store(true, Ordering::Relaxed);
    let rss_report = match (rss, args.server_pid) {
        (Some(task), Some(pid)) => {
            let (peak_kb, samples) = task.await.unwrap_or((0, 0));
            let hwm_kb = memory_kb(pid).map_or(0, |(_, hwm)| hwm);
            Some(json!({
                "pid": pid,
                "samples": samples,
                "peak_rss_mb": round2(peak_kb as f64 / 1024.0),
                "vm_hwm_mb": round2(hwm_kb as f64 / 1024.0),
            }))
        }
        _ => None,
    };

    let secs = window.secs();
    let quizzes = rec.counter("quizzes");
    let answers_ok = rec.counter("answers_ok");
    let answers_per_sec = rate(answers_ok, secs);
    let healthz_rps = healthz.as_ref().and_then(|h| h.get("req_per_sec")).and_then(Value::as_f64).unwrap_or(0.0);
    let mut endpoints = serde_json::Map::new();
    let mut summaries: Vec<(&str, Summary)> = Vec::new();
    for endpoint in STORY_ENDPOINTS {
        let s = rec.summary(endpoint);
        endpoints.insert(endpoint.to_owned(), s.json(secs));
        summaries.push((endpoint, s));
    }
    let lag = (mode == "open").then(|| rec.summary("schedule_lag"));
    let report = json!({
        "label": args.label,
        "mode": mode,
        "concurrency": args.concurrency,
        "rate": args.rate,
        "peak_concurrency": peak,
        "threads": args.threads,
        "warmup_secs": args.warmup,
        "duration_secs": round2(secs),
        "run_started_at": run_started_at.to_rfc3339(),
        "run_ended_at": run_ended_at.to_rfc3339(),
        "quizzes_completed": quizzes,
        "quizzes_per_sec": round2(rate(quizzes, secs)),
        "answers_ok": answers_ok,
        "answers_per_sec": round2(answers_per_sec),
        "answers_ok_all": rec.counter("answers_ok_all"),
        "sessions_resumed": rec.counter("resumed"),
        "tokens_exhausted": rec.counter("tokens_exhausted"),
        "connections_opened": rec.counter("connects"),
        "stories_scheduled": rec.counter("stories_scheduled"),
        "schedule_lag": lag.map(|s| s.json(secs)),
        "endpoints": endpoints,
        "errors_total": rec.errors_total(),
        "errors": rec.errors_json(),
        "healthz": healthz,
        "answers_per_healthz": if healthz_rps > 0.0 { Some(answers_per_sec / healthz_rps) } else { None },
        "rss": rss_report,
        "login": login_report,
        "ack_log": args.ack_log.as_ref().map(|p| json!({
            "path": p.display().to_string(),
            "lines": ack_log.as_ref().map_or(0, |(lines, _)| *lines),
        })),
    });

    print_run(&report, &mut rec, secs);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("report written to {}", path.display());
    }
    Ok(())
}

fn print_run(report: &Value, rec: &mut Recorder, secs: f64) {
    let get = |k: &str| report.get(k).cloned().unwrap_or(Value::Null);
    let label = get("label").as_str().map(|l| format!(" [{l}]")).unwrap_or_default();
    let how = match get("mode").as_str() {
        Some("open") => format!("open loop, {} stories/s (peak {} in flight)", get("rate"), get("peak_concurrency")),
        _ => format!("closed loop, {} virtual users", get("concurrency")),
    };
    println!("\n== pufa-load run{label}: {how}, {secs:.1} s measured after {} s warmup ==", get("warmup_secs"));
    println!(
        "quizzes completed {} ({}/s)   answers accepted (200) {} ({}/s)   errors {}",
        get("quizzes_completed"),
        get("quizzes_per_sec"),
        get("answers_ok"),
        get("answers_per_sec"),
        get("errors_total")
    );
    println!(
        "sessions resumed {}   tokens exhausted {}   connections opened {}",
        get("sessions_resumed"),
        get("tokens_exhausted"),
        get("connections_opened")
    );
    let mut rows = stats::latency_rows(rec, &STORY_ENDPOINTS, secs);
    if get("mode").as_str() == Some("open") {
        let mut lag_rows = stats::latency_rows(rec, &["schedule_lag"], secs);
        rows.append(&mut lag_rows);
    }
    print!("{}", stats::table(&LATENCY_HEADER, &rows));
    print_errors(rec);
    if let Some(h) = report.get("healthz").filter(|h| !h.is_null()) {
        let lat = h.get("latency").cloned().unwrap_or(Value::Null);
        println!(
            "healthz ceiling: {} connections, {} req/s (p50 {} ms, p99 {} ms)   answers/s ÷ healthz req/s = {}",
            h.get("connections").cloned().unwrap_or(Value::Null),
            h.get("req_per_sec").cloned().unwrap_or(Value::Null),
            lat.get("p50_ms").cloned().unwrap_or(Value::Null),
            lat.get("p99_ms").cloned().unwrap_or(Value::Null),
            report.get("answers_per_healthz").and_then(Value::as_f64).map_or("-".to_owned(), |r| format!("{r:.4}")),
        );
    }
    if let Some(r) = report.get("rss").filter(|r| !r.is_null()) {
        println!(
            "server RSS: peak {} MB over {} samples, VmHWM {} MB",
            r.get("peak_rss_mb").cloned().unwrap_or(Value::Null),
            r.get("samples").cloned().unwrap_or(Value::Null),
            r.get("vm_hwm_mb").cloned().unwrap_or(Value::Null),
        );
    }
    if let Some(a) = report.get("ack_log").filter(|a| !a.is_null()) {
        println!(
            "acknowledged answers logged: {} lines in {}",
            a.get("lines").cloned().unwrap_or(Value::Null),
            a.get("path").and_then(Value::as_str).unwrap_or("?"),
        );
    }
    if let Some(l) = report.get("login").filter(|l| !l.is_null()) {
        let lat = l.get("latency").cloned().unwrap_or(Value::Null);
        println!(
            "login flood {}/s: sent {}, statuses {}, p50 {} ms, p99 {} ms, max {} ms, dropped {}",
            l.get("rate").cloned().unwrap_or(Value::Null),
            l.get("sent").cloned().unwrap_or(Value::Null),
            l.get("statuses").cloned().unwrap_or(Value::Null),
            lat.get("p50_ms").cloned().unwrap_or(Value::Null),
            lat.get("p99_ms").cloned().unwrap_or(Value::Null),
            lat.get("max_ms").cloned().unwrap_or(Value::Null),
            l.get("dropped_over_1000_in_flight").cloned().unwrap_or(Value::Null),
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

//! The resident story, as one virtual user plays it: start a session (or resume the one in
//! progress), answer every question, finish, read the board. Also what every virtual user shares
//! (`Ctx`: tokens, the window, the acknowledged-answers log) and the one request call (`Vu::call`)
//! that records latency and errors.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::Error;
use crate::http::{Conn, HttpError, Method, Response, Target, encode_segment};
use crate::seed::TokenLine;
use crate::stats::{Recorder, Window};

/// The endpoints of the story, in the order the tables show them.
pub const STORY_ENDPOINTS: [&str; 5] = ["start", "resume", "answer", "finish", "board"];

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
    pub(super) fn finish_ack_log(&self) -> Option<(u64, Option<String>)> {
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

    pub(super) fn stopped(&self) -> bool {
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

    pub(super) fn unexpected(&mut self, endpoint: &'static str, reply: &Reply) {
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

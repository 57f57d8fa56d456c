//! Group commit of a quiz's writes: answers, starts and finishes. A rush of residents becomes a
//! few transactions instead of thousands: each writer lane collects the writes waiting for it,
//! stores them in one transaction, and only after COMMIT replies to each request. So one fsync
//! covers many writes, and still nothing is acknowledged before it is on disk.
//!
//! SQLite has one writer anyway, so it gets one lane; PostgreSQL commits in parallel, so it gets
//! one per core. A session always goes to the same lane, so its writes are stored in the order they
//! came. Starts and finishes ride the same lanes: measured, a start or finish in a transaction of
//! its own held SQLite's single writer about 1.9 ms, and at 200 quizzes a second those two
//! commits per quiz took more of the writer's time than the twenty answers did.

mod batch;
pub(crate) mod sql;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbBackend, DbErr};
use tokio::sync::{mpsc, oneshot};

use self::batch::store_batch;
use crate::db::WriteGate;
use crate::db::entity::{quiz_session, session_question};

/// The most writes one transaction stores.
const MAX_BATCH: usize = 256;
/// Requests that may wait for a lane before a write waits for room (back-pressure).
const QUEUE: usize = 4096;
/// One graded answer, ready to store.
#[derive(Debug, Clone)]
pub(super) struct AnswerWrite {
    pub session_id: String,
    pub position: i32,
    pub choice: String,
    pub correct: bool,
    pub points: i32,
    pub at: DateTime<Utc>,
    pub user_id: i64,
    /// The question's identity, for the mistake book.
    pub bank_key: String,
    pub key: String,
    pub revision_id: i64,
    /// Faster than the campaign's floor after the previous answer (`plausibility`).
    pub quick: bool,
    /// Whether the mistake book hears of it now; an `at_end` campaign's answers wait for the finish.
    pub note_mistake: bool,
}

/// What storing an answer did.
#[derive(Debug)]
pub(super) enum Stored {
    /// Stored; the session row after the answer counted (its score is the new score).
    Counted(Box<quiz_session::Model>),
    /// Nothing stored: the question was answered, or the session finished, by another request
    /// (maybe on another instance). The caller settles by what SQL holds now.
    Raced,
}

/// A new session and its drawn questions, ready to store.
#[derive(Debug, Clone)]
pub(super) struct StartWrite {
    pub session: quiz_session::Model,
    pub questions: Vec<session_question::Model>,
}

/// What storing a start did.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Started {
    Stored,
    /// Nothing stored: the user has a session of this campaign in progress (the unique
    /// in-progress key let another start through first).
    InProgress,
}

/// A session to mark finished.
#[derive(Debug, Clone)]
pub(super) struct FinishWrite {
    pub session_id: String,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: i64,
    /// The session's answers enter the mistake book now (an `at_end` campaign's, kept back until here).
    pub note_mistakes: bool,
}

/// A write for a lane. Transactions store answers, then finishes, then starts.
#[derive(Debug)]
enum Write {
    Answer(AnswerWrite),
    Finish(FinishWrite),
    Start(StartWrite),
}

impl Write {
    fn session_id(&self) -> &str {
        match self {
            Write::Answer(w) => &w.session_id,
            Write::Finish(w) => &w.session_id,
            Write::Start(w) => &w.session.id,
        }
    }
}

#[derive(Debug)]
enum Outcome {
    Answer(Stored),
    /// The session row as finished by this write; `None`: it was finished already.
    Finish(Option<Box<quiz_session::Model>>),
    Start(Started),
}

type Job = (Write, oneshot::Sender<Result<Outcome, DbErr>>);

/// The writer lanes. Cheap to clone.
#[derive(Clone)]
pub(super) struct QuizWrites {
    lanes: Vec<mpsc::Sender<Job>>,
}

impl QuizWrites {
    /// Starts the lanes on the current Tokio runtime.
    pub fn spawn(db: DatabaseConnection, gate: WriteGate) -> Self {
        // PostgreSQL: a lane per core. Measured on 2 cores in the rush: 1 lane 2,129 answers/s
        // with p99 52 ms (commits wait on each other), 2 lanes 2,351, 4 lanes 2,093 (more,
        // smaller commits).
        let lanes = match db.get_database_backend() {
            DbBackend::Sqlite => 1,
            _ => std::thread::available_parallelism().map_or(2, |n| n.get().max(2)),
        };
        let lanes = (0..lanes)
            .map(|_| {
                let (tx, rx) = mpsc::channel(QUEUE);
                tokio::spawn(run_lane(db.clone(), gate.clone(), rx));
                tx
            })
            .collect();
        Self { lanes }
    }

    /// Stores one answer; returns after its transaction committed (or failed).
    pub async fn answer(&self, write: AnswerWrite) -> Result<Stored, DbErr> {
        match self.store(Write::Answer(write)).await? {
            Outcome::Answer(stored) => Ok(stored),
            other => Err(mismatch(&other)),
        }
    }

    /// Stores a new session with its questions, unless one of the user's is in progress.
    pub async fn start_session(&self, write: StartWrite) -> Result<Started, DbErr> {
        match self.store(Write::Start(write)).await? {
            Outcome::Start(started) => Ok(started),
            other => Err(mismatch(&other)),
        }
    }

    /// Marks a session finished; `None` if it was finished already.
    pub async fn finish_session(&self, write: FinishWrite) -> Result<Option<quiz_session::Model>, DbErr> {
        match self.store(Write::Finish(write)).await? {
            Outcome::Finish(finished) => Ok(finished.map(|row| *row)),
            other => Err(mismatch(&other)),
        }
    }

    async fn store(&self, write: Write) -> Result<Outcome, DbErr> {
        let lane = lane_of(write.session_id(), self.lanes.len());
        let (reply, outcome) = oneshot::channel();
        let closed = || DbErr::Custom("the quiz writer stopped".into());
        self.lanes[lane].send((write, reply)).await.map_err(|_| closed())?;
        outcome.await.map_err(|_| closed())?
    }
}

fn mismatch(outcome: &Outcome) -> DbErr {
    DbErr::Custom(format!("the quiz writer replied out of kind: {outcome:?}"))
}

fn lane_of(session_id: &str, lanes: usize) -> usize {
    session_id.bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b))) % lanes.max(1)
}

/// Which sessions the batch finishes or starts: a later write of such a session must wait for the
/// next transaction, because a transaction stores answers before finishes before starts.
#[derive(Default)]
struct Order {
    finishing: HashSet<String>,
    starting: HashSet<String>,
}

impl Order {
    /// Takes `write` into the batch's reckoning; false if it must wait for the next batch.
    fn admit(&mut self, write: &Write) -> bool {
        let id = write.session_id();
        let later_phase_first = match write {
            Write::Answer(_) => self.finishing.contains(id) || self.starting.contains(id),
            Write::Finish(_) => self.starting.contains(id),
            Write::Start(_) => false,
        };
        if later_phase_first {
            return false;
        }
        match write {
            Write::Answer(_) => {}
            Write::Finish(_) => {
                self.finishing.insert(id.to_owned());
            }
            Write::Start(_) => {
                self.starting.insert(id.to_owned());
            }
        }
        true
    }

    fn clear(&mut self) {
        self.finishing.clear();
        self.starting.clear();
    }
}

async fn run_lane(db: DatabaseConnection, gate: WriteGate, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    let mut order = Order::default();
    let mut carried: Option<Job> = None;
    loop {
        let first = match carried.take() {
            Some(job) => job,
            None => match rx.recv().await {
                Some(job) => job,
                None => break,
            },
        };
        order.admit(&first.0);
        batch.push(first);
        // Collect after the gate opens: whatever queued while we waited joins this commit.
        let entered = gate.enter().await;
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) if order.admit(&job.0) => batch.push(job),
                Ok(job) => {
                    carried = Some(job);
                    break;
                }
                Err(_) => break,
            }
        }
        order.clear();
        let writes: Vec<&Write> = batch.iter().map(|(write, _)| write).collect();
        let stored = store_batch(&db, &writes).await;
        drop((writes, entered));
        match stored {
            Ok(results) => {
                for ((_, reply), result) in batch.drain(..).zip(results) {
                    let _ = reply.send(Ok(result));
                }
            }
            // The database is away: the whole batch, and every write that queued behind it
            // meanwhile, gets that verdict (503) at once. Each waiting for a connection in turn
            // would hold the lane, and the replies, far past any client's patience.
            Err(err) if crate::db::is_unavailable(&err) => {
                batch.extend(carried.take());
                while let Ok(job) = rx.try_recv() {
                    batch.push(job);
                }
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(err.clone()));
                }
            }
            // The batch failed as a whole otherwise (a busy database): try each on its own, so
            // one bad write cannot sink the others, and each gets its own verdict.
            Err(_) => {
                for (write, reply) in batch.drain(..) {
                    let _entered = gate.enter().await;
                    let result = store_batch(&db, &[&write]).await;
                    let _ = reply.send(result.and_then(|mut one| one.pop().ok_or_else(mismatch_empty)));
                }
            }
        }
    }
}

fn mismatch_empty() -> DbErr {
    DbErr::Custom("the quiz writer stored nothing for a write".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(session: &str) -> Write {
        Write::Answer(AnswerWrite {
            session_id: session.into(),
            position: 1,
            choice: "A".into(),
            correct: true,
            points: 5,
            at: Utc::now(),
            user_id: 1,
            bank_key: "b".into(),
            key: "k".into(),
            revision_id: 1,
            quick: false,
            note_mistake: true,
        })
    }

    fn finish(session: &str) -> Write {
        Write::Finish(FinishWrite {
            session_id: session.into(),
            finished_at: Utc::now(),
            duration_ms: 1,
            note_mistakes: false,
        })
    }

    #[test]
    fn an_answer_sent_after_its_sessions_finish_waits_for_the_next_commit() {
        let mut order = Order::default();
        assert!(order.admit(&answer("s1")), "answers before the finish share its commit");
        assert!(order.admit(&finish("s1")));
        assert!(order.admit(&answer("s2")), "other sessions are not held up");
        assert!(!order.admit(&answer("s1")), "stored before the finish, it would count after it");
        order.clear();
        assert!(order.admit(&answer("s1")), "the next commit takes it (and refuses it)");
    }
}

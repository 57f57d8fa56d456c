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

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Value};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, FromQueryResult, IdenStatic,
    Iterable, QueryFilter, Statement, TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};

use crate::db::WriteGate;
use crate::db::entity::{quiz_session, session_question};

/// The most writes one transaction stores.
const MAX_BATCH: usize = 256;
/// Requests that may wait for a lane before a write waits for room (back-pressure).
const QUEUE: usize = 4096;
/// Rows per multi-row INSERT: well under SQLite's 32,766 bound values (7 columns a row).
const INSERT_CHUNK: usize = 1_000;

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
}

/// What storing an answer did.
#[derive(Debug)]
pub(super) enum Stored {
    /// Stored; the session row after the answer counted (its score is the new score).
    Counted(quiz_session::Model),
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
    Finish(Option<quiz_session::Model>),
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
            Outcome::Finish(finished) => Ok(finished),
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
            Err(err) if crate::error::db_unavailable(&err) => {
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

/// Stores a batch in one transaction with a handful of statements, whatever its size: every
/// question taken at once, every session's score counted at once, the mistake book at once, then
/// every finish and every start at once. Outcomes come in the order of `writes`.
async fn store_batch(db: &DatabaseConnection, writes: &[&Write]) -> Result<Vec<Outcome>, DbErr> {
    let backend = db.get_database_backend();
    let mut answers = Vec::new();
    let mut finishes = Vec::new();
    let mut starts = Vec::new();
    for write in writes {
        match write {
            Write::Answer(w) => answers.push(w),
            Write::Finish(w) => finishes.push(w),
            Write::Start(w) => starts.push(w),
        }
    }
    let txn = db.begin().await?;
    let answered = store_answers(&txn, backend, &answers).await?;
    let mut finished = store_finishes(&txn, backend, &finishes).await?;
    let started = store_starts(&txn, backend, &starts).await?;
    txn.commit().await?;

    let mut answered = answered.into_iter();
    writes
        .iter()
        .map(|write| match write {
            Write::Answer(_) => answered.next().map(Outcome::Answer).ok_or_else(mismatch_empty),
            // A second finish of the same session in this batch finds it finished already.
            Write::Finish(w) => Ok(Outcome::Finish(finished.remove(&w.session_id))),
            Write::Start(w) => {
                Ok(Outcome::Start(if started.contains(&w.session.id) { Started::Stored } else { Started::InProgress }))
            }
        })
        .collect()
}

/// Stores the batch's answers; their outcomes in the order given.
async fn store_answers(
    txn: &impl ConnectionTrait,
    backend: DbBackend,
    writes: &[&AnswerWrite],
) -> Result<Vec<Stored>, DbErr> {
    if writes.is_empty() {
        return Ok(Vec::new());
    }
    // One UPDATE cannot take the same row twice: a repeat of (session, position) in this batch
    // (a phone's retry racing its original) is settled afterwards, by what SQL then holds.
    let mut firsts: HashSet<(&str, i32)> = HashSet::new();
    let candidates: Vec<&AnswerWrite> =
        writes.iter().copied().filter(|w| firsts.insert((w.session_id.as_str(), w.position))).collect();

    let taken = take_questions(txn, backend, &candidates).await?;
    let taken_writes: Vec<&AnswerWrite> =
        candidates.iter().copied().filter(|w| taken.contains(&(w.session_id.clone(), w.position))).collect();
    let counted = count_scores(txn, backend, &taken_writes).await?;
    // Sessions finished meanwhile: their answers must not count, so take them back.
    for w in taken_writes.iter().filter(|w| !counted.contains_key(&w.session_id)) {
        session_question::Entity::update_many()
            .col_expr(session_question::Column::Choice, Expr::value(Option::<String>::None))
            .col_expr(session_question::Column::Correct, Expr::value(Option::<bool>::None))
            .col_expr(session_question::Column::AnsweredAt, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(session_question::Column::SessionId.eq(w.session_id.clone()))
            .filter(session_question::Column::Position.eq(w.position))
            .exec(txn)
            .await?;
    }
    let notes: Vec<MistakeNote> = taken_writes
        .iter()
        .filter(|w| counted.contains_key(&w.session_id))
        .map(|w| MistakeNote {
            user_id: w.user_id,
            bank_key: w.bank_key.clone(),
            key: w.key.clone(),
            revision_id: w.revision_id,
            correct: w.correct,
            at: w.at,
        })
        .collect();
    note_mistakes(txn, &notes).await?;

    Ok(writes
        .iter()
        .map(|w| {
            let stored_this = taken_writes.iter().any(|t| std::ptr::eq(*t, *w));
            match counted.get(&w.session_id) {
                Some(session) if stored_this => Stored::Counted(session.clone()),
                _ => Stored::Raced,
            }
        })
        .collect())
}

/// Marks sessions finished (those not finished already). Returns each finished row by id.
async fn store_finishes(
    txn: &impl ConnectionTrait,
    backend: DbBackend,
    writes: &[&FinishWrite],
) -> Result<HashMap<String, quiz_session::Model>, DbErr> {
    let mut seen = HashSet::new();
    let firsts: Vec<&FinishWrite> = writes.iter().copied().filter(|w| seen.insert(w.session_id.as_str())).collect();
    if firsts.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(backend);
    sql.push("UPDATE quiz_sessions SET finished_at = v.column2, duration_ms = v.column3, in_progress_key = NULL FROM ");
    sql.values_table(&firsts, |w| vec![w.session_id.clone().into(), w.finished_at.into(), w.duration_ms.into()]);
    sql.push(" WHERE quiz_sessions.id = v.column1 AND quiz_sessions.finished_at IS NULL RETURNING ");
    sql.push(&session_columns());
    sessions_by_id(txn.query_all_raw(sql.statement()).await?)
}

/// Inserts new sessions and their questions; a session whose in-progress key is taken (the user
/// has one in progress) is skipped. Returns the ids stored.
async fn store_starts(
    txn: &impl ConnectionTrait,
    backend: DbBackend,
    writes: &[&StartWrite],
) -> Result<HashSet<String>, DbErr> {
    if writes.is_empty() {
        return Ok(HashSet::new());
    }
    let mut sql = Sql::new(backend);
    sql.push(
        "INSERT INTO quiz_sessions (id, user_id, campaign_id, attempt, seed, started_at, started_day, deadline, \
         finished_at, score, correct, total, duration_ms, in_progress_key) VALUES ",
    );
    for (i, w) in writes.iter().enumerate() {
        let s = &w.session;
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.param(s.id.clone()).push(", ").param(s.user_id).push(", ").param(s.campaign_id).push(", ");
        sql.param(s.attempt).push(", ").param(s.seed.clone()).push(", ").param(s.started_at).push(", ");
        sql.param(s.started_day.clone()).push(", ").param(s.deadline).push(", ").param(s.finished_at).push(", ");
        sql.param(s.score).push(", ").param(s.correct).push(", ").param(s.total).push(", ");
        sql.param(s.duration_ms).push(", ").param(s.in_progress_key.clone()).push(")");
    }
    // No conflict target: the in-progress key is the one unique column a new random id can meet.
    sql.push(" ON CONFLICT DO NOTHING RETURNING id");
    let rows = txn.query_all_raw(sql.statement()).await?;
    let stored: HashSet<String> =
        rows.iter().map(|row| row.try_get::<String>("", "id")).collect::<Result<_, DbErr>>()?;

    let questions: Vec<&session_question::Model> =
        writes.iter().filter(|w| stored.contains(&w.session.id)).flat_map(|w| &w.questions).collect();
    for chunk in questions.chunks(INSERT_CHUNK) {
        let mut sql = Sql::new(backend);
        sql.push(
            "INSERT INTO session_questions (session_id, position, revision_id, permutation, choice, correct, \
             answered_at) VALUES ",
        );
        for (i, q) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.param(q.session_id.clone()).push(", ").param(q.position).push(", ").param(q.revision_id).push(", ");
            sql.param(q.permutation.clone()).push(", ").param(q.choice.clone()).push(", ").param(q.correct);
            sql.push(", ").param(q.answered_at).push(")");
        }
        txn.execute_raw(sql.statement()).await?;
    }
    Ok(stored)
}

/// `quiz_sessions.id, quiz_sessions.user_id, …`: every column, for RETURNING.
fn session_columns() -> String {
    let columns: Vec<String> = quiz_session::Column::iter().map(|c| format!("quiz_sessions.{}", c.as_str())).collect();
    columns.join(", ")
}

fn sessions_by_id(rows: Vec<sea_orm::QueryResult>) -> Result<HashMap<String, quiz_session::Model>, DbErr> {
    rows.iter()
        .map(|row| {
            let session = quiz_session::Model::from_query_result(row, "")?;
            Ok((session.id.clone(), session))
        })
        .collect()
}

/// SQL text with placeholders in the backend's own style, and the values bound to them.
struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DbBackend) -> Self {
        Self { backend, text: String::new(), values: Vec::new() }
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    fn param(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => {
                let _ = write!(self.text, "${}", self.values.len());
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// `(VALUES (a, b), (c, d)) AS v`: its columns are v.column1, v.column2… on both backends.
    fn values_table<T>(&mut self, rows: &[T], row: impl Fn(&T) -> Vec<Value>) -> &mut Self {
        self.push("(VALUES ");
        for (i, item) in rows.iter().enumerate() {
            self.push(if i == 0 { "(" } else { ", (" });
            for (j, value) in row(item).into_iter().enumerate() {
                if j > 0 {
                    self.push(", ");
                }
                self.param(value);
            }
            self.push(")");
        }
        self.push(") AS v")
    }

    fn statement(&self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text.clone(), self.values.clone())
    }
}

/// Answers are final: only unanswered questions take one. Returns the (session, position)s taken.
async fn take_questions(
    txn: &impl ConnectionTrait,
    backend: DbBackend,
    writes: &[&AnswerWrite],
) -> Result<HashSet<(String, i32)>, DbErr> {
    if writes.is_empty() {
        return Ok(HashSet::new());
    }
    let mut sql = Sql::new(backend);
    sql.push("UPDATE session_questions SET choice = v.column3, correct = v.column4, answered_at = v.column5 FROM ");
    sql.values_table(writes, |w| {
        vec![w.session_id.clone().into(), w.position.into(), w.choice.clone().into(), w.correct.into(), w.at.into()]
    });
    sql.push(
        " WHERE session_questions.session_id = v.column1 AND session_questions.position = v.column2 \
         AND session_questions.choice IS NULL RETURNING session_questions.session_id, session_questions.position",
    );
    let rows = txn.query_all_raw(sql.statement()).await?;
    rows.iter().map(|row| Ok((row.try_get::<String>("", "session_id")?, row.try_get::<i32>("", "position")?))).collect()
}

/// Adds the taken answers to their sessions' running scores (unless a session finished
/// meanwhile). Returns each counted session row as it is now.
async fn count_scores(
    txn: &impl ConnectionTrait,
    backend: DbBackend,
    taken: &[&AnswerWrite],
) -> Result<HashMap<String, quiz_session::Model>, DbErr> {
    let mut sums: Vec<(String, i32, i32)> = Vec::new();
    for w in taken {
        match sums.iter_mut().find(|(id, _, _)| *id == w.session_id) {
            Some((_, points, correct)) => {
                *points += w.points;
                *correct += i32::from(w.correct);
            }
            None => sums.push((w.session_id.clone(), w.points, i32::from(w.correct))),
        }
    }
    if sums.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(backend);
    sql.push("UPDATE quiz_sessions SET score = score + v.column2, correct = correct + v.column3 FROM ");
    sql.values_table(&sums, |(id, points, correct)| vec![id.clone().into(), (*points).into(), (*correct).into()]);
    sql.push(" WHERE quiz_sessions.id = v.column1 AND quiz_sessions.finished_at IS NULL RETURNING ");
    sql.push(&session_columns());
    sessions_by_id(txn.query_all_raw(sql.statement()).await?)
}

/// One answered question, as the mistake book sees it.
#[derive(Debug, Clone)]
pub(super) struct MistakeNote {
    pub user_id: i64,
    pub bank_key: String,
    pub key: String,
    pub revision_id: i64,
    pub correct: bool,
    pub at: DateTime<Utc>,
}

/// The mistake book's rule, for quiz and practice answers alike: a wrong answer enters the
/// question (or keeps it, its right-streak reset); `CLEARS_AFTER` right answers in a row clear it.
pub(super) async fn note_mistakes(conn: &impl ConnectionTrait, notes: &[MistakeNote]) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    // One statement may touch a (user, question) once: keep the last note of each.
    let mut last: HashMap<(i64, &str, &str), &MistakeNote> = HashMap::new();
    for note in notes {
        last.insert((note.user_id, note.bank_key.as_str(), note.key.as_str()), note);
    }
    let (right, wrong): (Vec<&MistakeNote>, Vec<&MistakeNote>) = last.into_values().partition(|n| n.correct);
    let identity = |n: &&MistakeNote| -> Vec<Value> {
        vec![n.user_id.into(), n.bank_key.clone().into(), n.key.clone().into(), n.at.into()]
    };
    if !right.is_empty() {
        let matching = |sql: &mut Sql| {
            sql.push("(user_id, question_id) IN (SELECT v.column1, q.id FROM ");
            sql.values_table(&right, identity);
            sql.push(" JOIN questions q ON q.bank_key = v.column2 AND q.key = v.column3)");
        };
        let mut clear = Sql::new(backend);
        clear
            .push("DELETE FROM mistakes WHERE right_streak + 1 >= ")
            .param(super::practice::CLEARS_AFTER)
            .push(" AND ");
        matching(&mut clear);
        conn.execute_raw(clear.statement()).await?;
        let mut streak = Sql::new(backend);
        streak.push("UPDATE mistakes SET right_streak = right_streak + 1, updated_at = ").param(right[0].at);
        streak.push(" WHERE ");
        matching(&mut streak);
        conn.execute_raw(streak.statement()).await?;
    }
    if !wrong.is_empty() {
        let mut enter = Sql::new(backend);
        enter.push(
            "INSERT INTO mistakes (user_id, question_id, revision_id, wrong_count, right_streak, last_wrong_at, \
             updated_at) SELECT v.column1, q.id, v.column5, 1, 0, v.column4, v.column4 FROM ",
        );
        enter.values_table(&wrong, |n| {
            let mut row = identity(n);
            row.push(n.revision_id.into());
            row
        });
        enter.push(
            " JOIN questions q ON q.bank_key = v.column2 AND q.key = v.column3 WHERE true \
             ON CONFLICT (user_id, question_id) DO UPDATE SET wrong_count = mistakes.wrong_count + 1, \
             right_streak = 0, revision_id = excluded.revision_id, last_wrong_at = excluded.last_wrong_at, \
             updated_at = excluded.updated_at",
        );
        conn.execute_raw(enter.statement()).await?;
    }
    Ok(())
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
        })
    }

    fn finish(session: &str) -> Write {
        Write::Finish(FinishWrite { session_id: session.into(), finished_at: Utc::now(), duration_ms: 1 })
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

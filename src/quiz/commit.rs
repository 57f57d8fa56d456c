//! Group commit of quiz answers. A rush of residents answering at once becomes a few
//! transactions instead of thousands: each writer lane collects the answers waiting for it,
//! stores them in one transaction, and only after COMMIT replies to each request. So one fsync
//! covers many answers, and still no answer is acknowledged before it is on disk.
//!
//! SQLite has one writer anyway, so it gets one lane; PostgreSQL commits in parallel, so it gets
//! several. A session always goes to the same lane, so its answers are stored in order.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Value};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, FromQueryResult, IdenStatic,
    Iterable, QueryFilter, Statement, TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};

use crate::db::WriteGate;
use crate::db::entity::{quiz_session, session_question};

/// The most answers one transaction stores.
const MAX_BATCH: usize = 256;
/// Requests that may wait for a lane before `store` waits for room (back-pressure).
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
}

/// What storing did.
#[derive(Debug)]
pub(super) enum Stored {
    /// Stored; the session row after the answer counted (its score is the new score).
    Counted(quiz_session::Model),
    /// Nothing stored: the question was answered, or the session finished, by another request
    /// (maybe on another instance). The caller settles by what SQL holds now.
    Raced,
}

type Job = (AnswerWrite, oneshot::Sender<Result<Stored, DbErr>>);

/// The writer lanes. Cheap to clone.
#[derive(Clone)]
pub(super) struct AnswerLog {
    lanes: Vec<mpsc::Sender<Job>>,
}

impl AnswerLog {
    /// Starts the lanes on the current Tokio runtime.
    pub fn start(db: DatabaseConnection, gate: WriteGate) -> Self {
        let lanes = match db.get_database_backend() {
            DbBackend::Sqlite => 1,
            _ => 4,
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
    pub async fn store(&self, write: AnswerWrite) -> Result<Stored, DbErr> {
        let lane = lane_of(&write.session_id, self.lanes.len());
        let (reply, answer) = oneshot::channel();
        let closed = || DbErr::Custom("the answer writer stopped".into());
        self.lanes[lane].send((write, reply)).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

fn lane_of(session_id: &str, lanes: usize) -> usize {
    session_id.bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b))) % lanes.max(1)
}

async fn run_lane(db: DatabaseConnection, gate: WriteGate, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        // Collect after the gate opens: whatever queued while we waited joins this commit.
        let entered = gate.enter().await;
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let writes: Vec<&AnswerWrite> = batch.iter().map(|(write, _)| write).collect();
        let stored = store_batch(&db, &writes).await;
        drop((writes, entered));
        match stored {
            Ok(results) => {
                for ((_, reply), result) in batch.drain(..).zip(results) {
                    let _ = reply.send(Ok(result));
                }
            }
            // The database is away: the whole batch, and every answer that queued behind it
            // meanwhile, gets that verdict (503) at once. Each waiting for a connection in turn
            // would hold the lane, and the replies, far past any client's patience.
            Err(err) if crate::error::db_unavailable(&err) => {
                while let Ok(job) = rx.try_recv() {
                    batch.push(job);
                }
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(err.clone()));
                }
            }
            // The batch failed as a whole otherwise (a busy database): try each on its own, so
            // one bad answer cannot sink the others, and each gets its own verdict.
            Err(_) => {
                for (write, reply) in batch.drain(..) {
                    let _entered = gate.enter().await;
                    let result = store_batch(&db, &[&write]).await;
                    let _ = reply.send(result.map(|mut one| one.pop().unwrap_or(Stored::Raced)));
                }
            }
        }
    }
}

/// Stores a batch in one transaction with a handful of statements, whatever its size: every
/// question taken at once, every session's score counted at once, the mistake book at once.
async fn store_batch(db: &DatabaseConnection, writes: &[&AnswerWrite]) -> Result<Vec<Stored>, DbErr> {
    let backend = db.get_database_backend();
    // One UPDATE cannot take the same row twice: a repeat of (session, position) in this batch
    // (a phone's retry racing its original) is settled afterwards, by what SQL then holds.
    let mut firsts: HashSet<(&str, i32)> = HashSet::new();
    let candidates: Vec<&AnswerWrite> =
        writes.iter().copied().filter(|w| firsts.insert((w.session_id.as_str(), w.position))).collect();

    let txn = db.begin().await?;
    let taken = take_questions(&txn, backend, &candidates).await?;
    let taken_writes: Vec<&AnswerWrite> =
        candidates.iter().copied().filter(|w| taken.contains(&(w.session_id.clone(), w.position))).collect();
    let counted = count_scores(&txn, backend, &taken_writes).await?;
    // Sessions finished meanwhile: their answers must not count, so take them back.
    for w in taken_writes.iter().filter(|w| !counted.contains_key(&w.session_id)) {
        session_question::Entity::update_many()
            .col_expr(session_question::Column::Choice, Expr::value(Option::<String>::None))
            .col_expr(session_question::Column::Correct, Expr::value(Option::<bool>::None))
            .col_expr(session_question::Column::AnsweredAt, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(session_question::Column::SessionId.eq(w.session_id.clone()))
            .filter(session_question::Column::Position.eq(w.position))
            .exec(&txn)
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
    note_mistakes(&txn, &notes).await?;
    txn.commit().await?;

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
                let n = self.values.len();
                self.text.push_str(&format!("${n}"));
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
    let columns: Vec<String> = quiz_session::Column::iter().map(|c| format!("quiz_sessions.{}", c.as_str())).collect();
    sql.push(&columns.join(", "));
    let rows = txn.query_all_raw(sql.statement()).await?;
    rows.iter()
        .map(|row| {
            let session = quiz_session::Model::from_query_result(row, "")?;
            Ok((session.id.clone(), session))
        })
        .collect()
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

//! Group commit of quiz answers. A rush of residents answering at once becomes a few
//! transactions instead of thousands: each writer lane collects the answers waiting for it,
//! stores them in one transaction, and only after COMMIT replies to each request. So one fsync
//! covers many answers, and still no answer is acknowledged before it is on disk.
//!
//! SQLite has one writer anyway, so it gets one lane; PostgreSQL commits in parallel, so it gets
//! several. A session always goes to the same lane, so its answers are stored in order.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};

use crate::db::entity::{mistake, question, quiz_session, session_question};

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
    pub fn start(db: DatabaseConnection) -> Self {
        let lanes = match db.get_database_backend() {
            DbBackend::Sqlite => 1,
            _ => 4,
        };
        let lanes = (0..lanes)
            .map(|_| {
                let (tx, rx) = mpsc::channel(QUEUE);
                tokio::spawn(run_lane(db.clone(), rx));
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

async fn run_lane(db: DatabaseConnection, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let writes: Vec<&AnswerWrite> = batch.iter().map(|(write, _)| write).collect();
        let stored = store_batch(&db, &writes).await;
        drop(writes);
        match stored {
            Ok(results) => {
                for ((_, reply), result) in batch.drain(..).zip(results) {
                    let _ = reply.send(Ok(result));
                }
            }
            // The batch failed as a whole (a lost connection, a busy database): try each on its
            // own, so one bad answer cannot sink the others, and each gets its own verdict.
            Err(_) => {
                for (write, reply) in batch.drain(..) {
                    let result = store_batch(&db, &[&write]).await;
                    let _ = reply.send(result.map(|mut one| one.pop().unwrap_or(Stored::Raced)));
                }
            }
        }
    }
}

async fn store_batch(db: &DatabaseConnection, writes: &[&AnswerWrite]) -> Result<Vec<Stored>, DbErr> {
    let txn = db.begin().await?;
    let mut results = Vec::with_capacity(writes.len());
    for write in writes {
        results.push(store_one(&txn, write).await?);
    }
    txn.commit().await?;
    Ok(results)
}

/// The answer, the session's running score and the mistake book, inside the caller's transaction.
async fn store_one(txn: &impl ConnectionTrait, w: &AnswerWrite) -> Result<Stored, DbErr> {
    let this_question = || {
        session_question::Column::SessionId
            .eq(w.session_id.clone())
            .and(session_question::Column::Position.eq(w.position))
    };
    // Answers are final: only an unanswered question takes one.
    let taken = session_question::Entity::update_many()
        .col_expr(session_question::Column::Choice, Expr::value(w.choice.clone()))
        .col_expr(session_question::Column::Correct, Expr::value(w.correct))
        .col_expr(session_question::Column::AnsweredAt, Expr::value(w.at))
        .filter(this_question())
        .filter(session_question::Column::Choice.is_null())
        .exec(txn)
        .await?;
    if taken.rows_affected != 1 {
        return Ok(Stored::Raced);
    }
    let counted = quiz_session::Entity::update_many()
        .col_expr(quiz_session::Column::Score, Expr::col(quiz_session::Column::Score).add(w.points))
        .col_expr(quiz_session::Column::Correct, Expr::col(quiz_session::Column::Correct).add(i32::from(w.correct)))
        .filter(quiz_session::Column::Id.eq(w.session_id.clone()))
        .filter(quiz_session::Column::FinishedAt.is_null())
        .exec_with_returning(txn)
        .await?;
    let Some(session) = counted.into_iter().next() else {
        // Finished meanwhile: the answer must not count, so take it back (same transaction).
        session_question::Entity::update_many()
            .col_expr(session_question::Column::Choice, Expr::value(Option::<String>::None))
            .col_expr(session_question::Column::Correct, Expr::value(Option::<bool>::None))
            .col_expr(session_question::Column::AnsweredAt, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(this_question())
            .exec(txn)
            .await?;
        return Ok(Stored::Raced);
    };
    note_in_mistake_book(txn, w).await?;
    Ok(Stored::Counted(session))
}

/// A wrong answer enters (or stays in) the mistake book; two right answers in a row clear it.
async fn note_in_mistake_book(txn: &impl ConnectionTrait, w: &AnswerWrite) -> Result<(), DbErr> {
    let identity = Query::select()
        .column(question::Column::Id)
        .from(question::Entity)
        .and_where(question::Column::BankKey.eq(w.bank_key.clone()))
        .and_where(question::Column::Key.eq(w.key.clone()))
        .to_owned();
    let of_this_question =
        mistake::Column::UserId.eq(w.user_id).and(mistake::Column::QuestionId.in_subquery(identity.clone()));
    if w.correct {
        mistake::Entity::delete_many()
            .filter(of_this_question.clone())
            .filter(mistake::Column::RightStreak.gte(super::practice::CLEARS_AFTER - 1))
            .exec(txn)
            .await?;
        mistake::Entity::update_many()
            .col_expr(mistake::Column::RightStreak, Expr::col(mistake::Column::RightStreak).add(1))
            .col_expr(mistake::Column::UpdatedAt, Expr::value(w.at))
            .filter(of_this_question)
            .exec(txn)
            .await?;
        return Ok(());
    }
    let row = Query::select()
        .expr(Expr::value(w.user_id))
        .column(question::Column::Id)
        .expr(Expr::value(w.revision_id))
        .expr(Expr::value(1))
        .expr(Expr::value(0))
        .expr(Expr::value(w.at))
        .expr(Expr::value(w.at))
        .from(question::Entity)
        .and_where(question::Column::BankKey.eq(w.bank_key.clone()))
        .and_where(question::Column::Key.eq(w.key.clone()))
        .to_owned();
    let insert = Query::insert()
        .into_table(mistake::Entity)
        .columns([
            mistake::Column::UserId,
            mistake::Column::QuestionId,
            mistake::Column::RevisionId,
            mistake::Column::WrongCount,
            mistake::Column::RightStreak,
            mistake::Column::LastWrongAt,
            mistake::Column::UpdatedAt,
        ])
        .select_from(row)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(
            OnConflict::columns([mistake::Column::UserId, mistake::Column::QuestionId])
                .value(mistake::Column::WrongCount, Expr::col((mistake::Entity, mistake::Column::WrongCount)).add(1))
                .value(mistake::Column::RightStreak, 0)
                .update_columns([mistake::Column::RevisionId, mistake::Column::LastWrongAt, mistake::Column::UpdatedAt])
                .to_owned(),
        )
        .to_owned();
    txn.execute(&insert).await?;
    Ok(())
}

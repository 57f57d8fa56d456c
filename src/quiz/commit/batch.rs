//! One batch of a lane, stored in one transaction with a handful of set-based statements,
//! whatever its size.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, FromQueryResult, IdenStatic,
    Iterable, QueryFilter, TransactionTrait,
};

use super::sql::Sql;
use super::{AnswerWrite, FinishWrite, Outcome, StartWrite, Started, Stored, Write, mismatch_empty};
use crate::db::entity::{quiz_session, session_question};
use crate::quiz::mistakes::{MistakeNote, note_mistakes};

/// Rows per multi-row INSERT: well under SQLite's 32,766 bound values (7 columns a row).
const INSERT_CHUNK: usize = 1_000;

/// Stores a batch in one transaction with a handful of statements, whatever its size: every
/// question taken at once, every session's score counted at once, the mistake book at once, then
/// every finish and every start at once. Outcomes come in the order of `writes`.
pub(super) async fn store_batch(db: &DatabaseConnection, writes: &[&Write]) -> Result<Vec<Outcome>, DbErr> {
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
            Write::Finish(w) => Ok(Outcome::Finish(finished.remove(&w.session_id).map(Box::new))),
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
        .filter(|w| w.note_mistake && counted.contains_key(&w.session_id))
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
                Some(session) if stored_this => Stored::Counted(Box::new(session.clone())),
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
    let finished = sessions_by_id(txn.query_all_raw(sql.statement()).await?)?;
    // Answers kept back from the mistake book while the session ran (`at_end`) enter it now.
    let held_back: Vec<&quiz_session::Model> =
        firsts.iter().filter(|w| w.note_mistakes).filter_map(|w| finished.get(&w.session_id)).collect();
    note_finished_answers(txn, backend, &held_back).await?;
    Ok(finished)
}

/// The mistake-book notes of every answer of `sessions`, as their answers were stored.
async fn note_finished_answers(
    txn: &impl ConnectionTrait,
    backend: DbBackend,
    sessions: &[&quiz_session::Model],
) -> Result<(), DbErr> {
    if sessions.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(backend);
    sql.push(
        "SELECT sq.session_id, sq.revision_id, sq.correct, sq.answered_at, qr.bank_key, qr.key \
         FROM session_questions sq JOIN question_revisions qr ON qr.id = sq.revision_id \
         WHERE sq.choice IS NOT NULL AND sq.session_id IN (",
    );
    for (i, session) in sessions.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.param(session.id.clone());
    }
    sql.push(")");
    let rows = txn.query_all_raw(sql.statement()).await?;
    let user_of: HashMap<&str, i64> = sessions.iter().map(|s| (s.id.as_str(), s.user_id)).collect();
    let mut notes = Vec::with_capacity(rows.len());
    for row in rows {
        let session: String = row.try_get("", "session_id")?;
        let Some(user_id) = user_of.get(session.as_str()).copied() else { continue };
        notes.push(MistakeNote {
            user_id,
            bank_key: row.try_get("", "bank_key")?,
            key: row.try_get("", "key")?,
            revision_id: row.try_get("", "revision_id")?,
            correct: row.try_get::<Option<bool>>("", "correct")?.unwrap_or(false),
            at: row.try_get::<Option<DateTime<Utc>>>("", "answered_at")?.unwrap_or_else(Utc::now),
        });
    }
    note_mistakes(txn, &notes).await
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
    let mut sums: Vec<(String, i32, i32, i32)> = Vec::new();
    for w in taken {
        match sums.iter_mut().find(|(id, _, _, _)| *id == w.session_id) {
            Some((_, points, correct, quick)) => {
                *points += w.points;
                *correct += i32::from(w.correct);
                *quick += i32::from(w.quick);
            }
            None => sums.push((w.session_id.clone(), w.points, i32::from(w.correct), i32::from(w.quick))),
        }
    }
    if sums.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(backend);
    sql.push(
        "UPDATE quiz_sessions SET score = score + v.column2, correct = correct + v.column3, \
         quick_answers = quick_answers + v.column4 FROM ",
    );
    sql.values_table(&sums, |(id, points, correct, quick)| {
        vec![id.clone().into(), (*points).into(), (*correct).into(), (*quick).into()]
    });
    sql.push(" WHERE quiz_sessions.id = v.column1 AND quiz_sessions.finished_at IS NULL RETURNING ");
    sql.push(&session_columns());
    sessions_by_id(txn.query_all_raw(sql.statement()).await?)
}
